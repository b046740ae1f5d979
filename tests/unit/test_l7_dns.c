/*
 * test_l7_dns: the DNS response reader. Every response from port 53 in
 * the real captures that hold DNS is read and checked against what
 * tshark's DNS dissector read from the same bytes (tests/pcap/
 * *.tshark-dns.tsv); every prefix of a real response with a CNAME chain;
 * and hand-made messages with compression loops, pointers out of bounds,
 * oversize counts and names, bad record lengths, and CNAME chains.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "decode.h"
#include "l7_dns.h"

#ifndef SA_PCAP_DIR
#error "SA_PCAP_DIR must name tests/pcap"
#endif

#define MAXMSG	4096

/* The UDP payload of frame number frame (1-based) of a capture in
 * tests/pcap; its length, 0 if that frame is not UDP from port 53. */
static size_t
load_frame(const char *file, unsigned frame, uint8_t *out)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct decoded d;
	enum decode_reason why;
	pcap_t *pc;
	unsigned k = 0;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", SA_PCAP_DIR, file);
	pc = pcap_open_offline(path, err);
	assert_non_null(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		if (++k != frame)
			continue;
		if (decode_packet(pcap_datalink(pc), data, h->caplen, h->len,
		    &d, &why) == DEC_OK && d.proto == 17 && d.sport == 53 &&
		    d.l7 != NULL) {
			n = d.l7_caplen < d.payload ? d.l7_caplen : d.payload;
			assert_true(n <= MAXMSG);
			memcpy(out, d.l7, n);
		}
		break;
	}
	pcap_close(pc);
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits s (modified) at commas into v; returns the count. */
static size_t
split(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *t;

	while (s != NULL && *s != '\0' && n < max) {
		t = strchr(s, ',');
		if (t != NULL)
			*t++ = '\0';
		v[n++] = s;
		s = t;
	}
	return n;
}

/* One capture: each row of its oracle against the reader. */
static void
check_capture(const char *file)
{
	char path[512], line[8192], *f[4], *want[64], got[64][INET6_ADDRSTRLEN];
	char *gotp[64];
	uint8_t msg[MAXMSG];
	struct l7_dns d;
	size_t n, nw, i, rows = 0;
	FILE *fp;
	char *s, *nl;
	unsigned frame;
	int k;

	snprintf(path, sizeof(path), "%s/%s.tshark-dns.tsv", SA_PCAP_DIR, file);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || strncmp(line, "frame\t", 6) == 0)
			continue;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		s = line;
		for (k = 0; k < 4; k++) {
			f[k] = s;
			if (s != NULL && (s = strchr(s, '\t')) != NULL)
				*s++ = '\0';
		}
		assert_non_null(f[3]);
		frame = (unsigned)strtoul(f[0], NULL, 10);
		n = load_frame(file, frame, msg);
		assert_true(n > 0);
		assert_int_equal(l7_dns_parse(msg, n, &d), L7_DONE);
		assert_int_equal(strcasecmp(d.qname, f[1]), 0);
		nw = split(f[2], want, 64);
		nw += split(f[3], want + nw, 64 - nw);
		assert_int_equal(d.more, 0);
		assert_int_equal(d.naddr, nw);
		for (i = 0; i < d.naddr; i++) {
			assert_non_null(inet_ntop(d.addr[i].af == 4 ? AF_INET :
			    AF_INET6, d.addr[i].addr, got[i], sizeof(got[i])));
			gotp[i] = got[i];
		}
		qsort(want, nw, sizeof(*want), cmp_str);
		qsort(gotp, d.naddr, sizeof(*gotp), cmp_str);
		for (i = 0; i < nw; i++)
			assert_string_equal(gotp[i], want[i]);
		rows++;
	}
	fclose(fp);
	assert_true(rows > 0);
}

static void
test_dns_oracle(void **state)
{
	static const char *const files[] = { "dns.pcap", "1kxun.pcap",
	    "KakaoTalk_chat.pcap", "http_connect.pcap", "netflix.pcap",
	    "crafted/socks_dns.pcap" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check_capture(files[i]);
}

/* Every prefix of a real response whose answer is a chain of three
 * CNAMEs and three A records (1kxun.pcap frame 859). */
static void
test_dns_truncation(void **state)
{
	uint8_t msg[MAXMSG];
	struct l7_dns full, d;
	size_t n, k;
	uint8_t last = 0;
	enum l7_res res;

	(void)state;
	n = load_frame("1kxun.pcap", 859, msg);
	assert_true(n > 12);
	assert_int_equal(l7_dns_parse(msg, n, &full), L7_DONE);
	assert_int_equal(full.naddr, 3);
	assert_string_equal(full.qname, "dl-obs.official.line.naver.jp");
	for (k = 0; k < n; k++) {
		res = l7_dns_parse(msg, k, &d);
		/* No authority or additional records: every cut is short. */
		assert_int_equal(res, L7_MORE);
		assert_true(d.naddr >= last && d.naddr <= full.naddr);
		assert_memory_equal(d.addr, full.addr,
		    d.naddr * sizeof(d.addr[0]));
		last = d.naddr;
	}
	assert_int_equal(last, 2);	/* the last A record was cut */
}

/* A response header, one question "a.b" type A, and ancount answers. */
static size_t
hdr(uint8_t *m, uint16_t qd, uint16_t an)
{
	static const uint8_t h[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0,
	    0, 0, 0, 0, 1, 'a', 1, 'b', 0, 0, 1, 0, 1 };

	memcpy(m, h, sizeof(h));
	m[4] = (uint8_t)(qd >> 8);
	m[5] = (uint8_t)qd;
	m[6] = (uint8_t)(an >> 8);
	m[7] = (uint8_t)an;
	return sizeof(h);
}

/* Appends an answer: its name bytes, type, class IN, TTL, data. */
static size_t
rr(uint8_t *m, size_t o, const uint8_t *name, size_t nn, uint16_t type,
    const uint8_t *data, size_t nd)
{
	memcpy(m + o, name, nn);
	o += nn;
	m[o++] = (uint8_t)(type >> 8);
	m[o++] = (uint8_t)type;
	m[o++] = 0;
	m[o++] = 1;
	memset(m + o, 0, 4);
	m[o + 3] = 60;
	o += 4;
	m[o++] = (uint8_t)(nd >> 8);
	m[o++] = (uint8_t)nd;
	memcpy(m + o, data, nd);
	return o + nd;
}

static const uint8_t to_q[] = { 0xc0, 12 };	/* pointer to "a.b" */
static const uint8_t ip1[] = { 192, 0, 2, 1 };

static void
test_dns_pointers(void **state)
{
	uint8_t m[512];
	struct l7_dns d;
	size_t o;
	uint8_t self[4];
	static const uint8_t far[] = { 0xff, 0xff };
	static const uint8_t fwd[] = { 0xc0, 30 };

	(void)state;
	/* A name made of a pointer: fine. */
	o = rr(m, hdr(m, 1, 1), to_q, 2, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_DONE);
	assert_int_equal(d.naddr, 1);
	assert_string_equal(d.qname, "a.b");
	/* The question's name pointing at itself. */
	o = hdr(m, 1, 0);
	m[12] = 0xc0;
	m[13] = 12;
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	/* A label, then a pointer back to the label: a loop. */
	o = hdr(m, 1, 1);
	self[0] = 1;
	self[1] = 'x';
	self[2] = 0xc0;
	self[3] = (uint8_t)o;
	o = rr(m, o, self, 4, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	/* Out of bounds, and forward inside the message. */
	o = rr(m, hdr(m, 1, 1), far, 2, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	o = rr(m, hdr(m, 1, 1), fwd, 2, 1, ip1, 4);
	assert_true(o > 30);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	/* The reserved label types 01 and 10. */
	o = hdr(m, 1, 0);
	m[12] = 0x41;
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	m[12] = 0x81;
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
}

static void
test_dns_bounds(void **state)
{
	uint8_t m[1024], name[300], big[5];
	struct l7_dns d;
	size_t o, i;

	(void)state;
	/* ANCOUNT 65535 with one record: cut short, the record kept. */
	o = rr(m, hdr(m, 1, 65535), to_q, 2, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_MORE);
	assert_int_equal(d.naddr, 1);
	/* Not one question: not read. */
	o = rr(m, hdr(m, 2, 1), to_q, 2, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_NOMATCH);
	o = hdr(m, 0, 0);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_NOMATCH);
	/* A query, not a response. */
	o = rr(m, hdr(m, 1, 1), to_q, 2, 1, ip1, 4);
	m[2] = 0x01;
	assert_int_equal(l7_dns_parse(m, o, &d), L7_NOMATCH);
	/* A name of 4 labels of 63 octets: 257 octets with the root. */
	for (i = 0; i < 4; i++) {
		name[i * 64] = 63;
		memset(name + i * 64 + 1, 'x', 63);
	}
	name[256] = 0;
	o = rr(m, hdr(m, 1, 1), name, 257, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	/* 3 of 63 and one of 61: 255, the most. */
	name[192] = 61;
	name[254] = 0;
	o = rr(m, hdr(m, 1, 1), name, 255, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_DONE);
	assert_int_equal(d.naddr, 0);	/* not the question's name */
	/* An A record of 5 bytes, an AAAA of 4. */
	memset(big, 1, sizeof(big));
	o = rr(m, hdr(m, 1, 1), to_q, 2, 1, big, 5);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	o = rr(m, hdr(m, 1, 1), to_q, 2, 28, big, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
	/* More A records than are kept. */
	o = hdr(m, 1, L7_DNS_ADDR_MAX + 1);
	for (i = 0; i <= L7_DNS_ADDR_MAX; i++)
		o = rr(m, o, to_q, 2, 1, ip1, 4);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_DONE);
	assert_int_equal(d.naddr, L7_DNS_ADDR_MAX);
	assert_int_equal(d.more, 1);
}

/* The CNAME chain: a.b -> C.Net -> d.org; addresses of other names are
 * not the question's; a CNAME that does not fill its data is invalid. */
static void
test_dns_cname(void **state)
{
	static const uint8_t cnet[] = { 1, 'C', 3, 'N', 'e', 't', 0 };
	static const uint8_t dorg[] = { 1, 'd', 3, 'o', 'r', 'g', 0 };
	static const uint8_t other[] = { 1, 'z', 0 };
	static const uint8_t ip2[] = { 192, 0, 2, 2 };
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	uint8_t m[512], padded[8];
	struct l7_dns d;
	size_t o;

	(void)state;
	o = hdr(m, 1, 5);
	/* Out of order: the addresses first, the chain's second link
	 * before its first. */
	o = rr(m, o, other, sizeof(other), 1, ip1, 4);
	o = rr(m, o, dorg, sizeof(dorg), 1, ip2, 4);
	o = rr(m, o, dorg, sizeof(dorg), 28, ip6, 16);
	o = rr(m, o, (const uint8_t[]){ 1, 'c', 3, 'n', 'e', 't', 0 }, 7, 5,
	    dorg, sizeof(dorg));
	o = rr(m, o, to_q, 2, 5, cnet, sizeof(cnet));
	assert_int_equal(l7_dns_parse(m, o, &d), L7_DONE);
	assert_int_equal(d.naddr, 2);
	assert_int_equal(d.addr[0].af, 4);
	assert_memory_equal(d.addr[0].addr, ip2, 4);
	assert_int_equal(d.addr[1].af, 6);
	assert_memory_equal(d.addr[1].addr, ip6, 16);
	/* A CNAME loop back to the question ends the chain. */
	o = hdr(m, 1, 2);
	o = rr(m, o, to_q, 2, 5, cnet, sizeof(cnet));
	o = rr(m, o, cnet, sizeof(cnet), 5, (const uint8_t[]){ 0xc0, 12 }, 2);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_DONE);
	assert_int_equal(d.naddr, 0);
	/* A CNAME with a byte after its name. */
	memcpy(padded, cnet, sizeof(cnet));
	padded[7] = 0;
	o = rr(m, hdr(m, 1, 1), to_q, 2, 5, padded, 8);
	assert_int_equal(l7_dns_parse(m, o, &d), L7_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_oracle),
		cmocka_unit_test(test_dns_truncation),
		cmocka_unit_test(test_dns_pointers),
		cmocka_unit_test(test_dns_bounds),
		cmocka_unit_test(test_dns_cname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
