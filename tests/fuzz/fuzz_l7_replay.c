/*
 * fuzz_l7_replay: runs fuzz_l7's target without libFuzzer on seed
 * handshakes (SOCKS4a, SOCKS5 with a login, CONNECT, a proxy request, a
 * TLS ClientHello, PROXY v1) and a DNS response, and on a bounded number
 * of deterministic mutations of each (byte flips, cuts, insertions), so
 * every build fuzzes the enrichment readers a little (ctest
 * unit_fuzz_l7_replay). Files or directories named on the command line
 * are run as inputs too.
 *
 *   fuzz_l7_replay [-n MUTATIONS] [file]...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seed {
	const char	*c;
	size_t		 nc;
	const char	*s;
	size_t		 ns;
};

#define S(x)	x, sizeof(x) - 1

static const struct seed seeds[] = {
	{ S("\x04\x01\x00\x50\x00\x00\x00\x01" "bob\x00" "example.com\x00"),
	  S("\x00\x5a\x00\x00\x00\x00\x00\x00") },
	{ S("\x05\x02\x00\x02" "\x01\x05" "alice" "\x06" "secret"
	    "\x05\x01\x00\x03\x0b" "example.com" "\x01\xbb"),
	  S("\x05\x02" "\x01\x00" "\x05\x00\x00\x01\x7f\x00\x00\x01\x10\x00") },
	{ S("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
	    "Proxy-Authorization: Basic YWxpY2U6d29uZGVy\r\n\r\n"
	    "\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03"),
	  S("HTTP/1.1 200 Connection established\r\n\r\n") },
	{ S("GET http://example.com:8080/x HTTP/1.1\r\nHost: e\r\n\r\n"),
	  S("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n") },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 40000 443\r\n"
	    "GET / HTTP/1.0\r\nHost: [2001:db8::1]\r\n\r\n"), S("") },
	{ S("\x16\x03\x01\x00\x3d\x01\x00\x00\x39\x03\x03"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x02\x13\x01\x01\x00\x00\x0e\x00\x00\x00\x0a\x00\x08\x00"
	    "\x00\x05" "a.com"), S("") },
	/* A DNS response: www.a.io CNAME cd.a.io, its A and AAAA. */
	{ S("\x12\x34\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00"
	    "\x03" "www" "\x01" "a" "\x02" "io" "\x00\x00\x01\x00\x01"
	    "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x05"
	    "\x02" "cd" "\xc0\x10"
	    "\xc0\x26\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04"
	    "\xc0\x00\x02\x01"
	    "\xc0\x26\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x01"), S("") },
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* [u16 split][client][server], as the target reads it. */
static size_t
build(uint8_t *buf, const struct seed *sd)
{
	buf[0] = (uint8_t)(sd->nc >> 8);
	buf[1] = (uint8_t)sd->nc;
	memcpy(buf + 2, sd->c, sd->nc);
	memcpy(buf + 2 + sd->nc, sd->s, sd->ns);
	return 2 + sd->nc + sd->ns;
}

static void
run_file(const char *path)
{
	static uint8_t buf[65538];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, n);
}

int
main(int argc, char **argv)
{
	uint8_t in[4096], mut[4096];
	unsigned long i, n = 20000, runs = 0;
	size_t k, len, m;
	int a = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		n = strtoul(argv[2], NULL, 10);
		a = 3;
	}
	for (; a < argc; a++, runs++)
		run_file(argv[a]);
	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		len = build(in, &seeds[k]);
		(void)LLVMFuzzerTestOneInput(in, len);
		runs++;
		for (i = 0; i < n / (sizeof(seeds) / sizeof(seeds[0])); i++) {
			memcpy(mut, in, len);
			m = len;
			switch (rng() % 4) {
			case 0:		/* flip a few bytes */
				for (int f = 0; f < 1 + (int)(rng() % 4); f++)
					mut[2 + rng() % (m - 2)] ^=
					    (uint8_t)(1u << (rng() % 8));
				break;
			case 1:		/* cut the end */
				m = 2 + rng() % (m - 1);
				break;
			case 2:		/* a random byte anywhere */
				mut[2 + rng() % (m - 2)] = (uint8_t)rng();
				break;
			case 3:		/* move the split */
				mut[0] = (uint8_t)(rng() % 2);
				mut[1] = (uint8_t)rng();
				break;
			}
			(void)LLVMFuzzerTestOneInput(mut, m);
			runs++;
		}
	}
	printf("fuzz_l7_replay: %lu inputs, no invariant broken\n", runs);
	return 0;
}
