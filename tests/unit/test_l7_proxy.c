/*
 * test_l7_proxy: the PROXY protocol parser (HAProxy's proxy-protocol.txt,
 * v1 and v2) over the headers of the spec and of real senders (HAProxy
 * send-proxy / send-proxy-v2, AWS NLB with its TLV), each followed by
 * the client's first bytes; cut at every length; and broken ones. Every
 * input is copied to a heap block of its exact size, so ASan sees any
 * read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l7.h"

/* A byte string literal and its length, without the literal's NUL. */
#define B(lit)	((const uint8_t *)(lit)), (sizeof(lit) - 1)

#define V2SIG	"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
#define V6_DB8_1 \
	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
#define V6_DB8_2 \
	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"
#define V6_FFFF "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

struct hdr {
	const char	*name;
	const uint8_t	*h;		/* the header */
	size_t		 nh;
	const uint8_t	*p;		/* what the client sends after it */
	size_t		 np;
	uint8_t		 version;
	const char	*origin;
};

static const struct hdr hdrs[] = {
	{ "v1 tcp4, the spec's example",
	  B("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
	  B("GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n"),
	  1, "192.168.0.1:56324" },
	{ "v1 tcp6",
	  B("PROXY TCP6 2001:db8::1 2001:db8::2 51000 443\r\n"),
	  B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
	  1, "[2001:db8::1]:51000" },
	{ "v1 tcp6, the spec's worst case (104 bytes)",
	  B("PROXY TCP6 " V6_FFFF " " V6_FFFF " 65535 65535\r\n"),
	  B("\x05\x01\x00"),
	  1, "[" V6_FFFF "]:65535" },
	{ "v1 tcp4, ports 0, leading zeros",
	  B("PROXY TCP4 10.1.2.3 10.0.0.1 00080 0\r\n"),
	  B("x"),
	  1, "10.1.2.3:80" },
	{ "v1 tcp6, IPv4-mapped",
	  B("PROXY TCP6 ::ffff:192.0.2.7 ::ffff:192.0.2.1 4000 443\r\n"),
	  B(""),
	  1, "[::ffff:192.0.2.7]:4000" },
	{ "v1 unknown",
	  B("PROXY UNKNOWN\r\n"),
	  B("GET / HTTP/1.1\r\n"),
	  1, "" },
	{ "v1 unknown, the spec's worst case (107 bytes)",
	  B("PROXY UNKNOWN " V6_FFFF " " V6_FFFF " 65535 65535\r\n"),
	  B("GET / HTTP/1.1\r\n"),
	  1, "" },
	{ "v2 tcp4 (haproxy send-proxy-v2)",
	  B(V2SIG "\x21\x11\x00\x0c"
	    "\xc0\xa8\x00\x01" "\xc0\xa8\x00\x0b" "\xdc\x04" "\x01\xbb"),
	  B("GET / HTTP/1.1\r\n"),
	  2, "192.168.0.1:56324" },
	{ "v2 tcp6 with an AWS VPC endpoint TLV and a CRC32c TLV",
	  B(V2SIG "\x21\x21\x00\x45"
	    V6_DB8_1 V6_DB8_2 "\xc7\x38" "\x01\xbb"
	    "\xea\x00\x17\x01" "vpce-08d2bf15fac5001c9"
	    "\x03\x00\x04\x9a\x3c\x5e\x11"),
	  B("\x16\x03\x01\x00\x05"),
	  2, "[2001:db8::1]:51000" },
	{ "v2 udp4",
	  B(V2SIG "\x21\x12\x00\x0c"
	    "\x0a\x00\x00\x01" "\x0a\x00\x00\x02" "\x13\x88" "\x00\x35"),
	  B("\x12\x34\x01\x00"),
	  2, "10.0.0.1:5000" },
	{ "v2 local (a balancer's health check)",
	  B(V2SIG "\x20\x00\x00\x00"),
	  B("GET /health HTTP/1.0\r\n\r\n"),
	  2, "" },
	{ "v2 local with a stray block",
	  B(V2SIG "\x20\x11\x00\x03" "\x01\x02\x03"),
	  B(""),
	  2, "" },
	{ "v2 proxy unspec",
	  B(V2SIG "\x21\x00\x00\x00"),
	  B("\x05\x01\x00"),
	  2, "" },
};

#define NHDRS	(sizeof(hdrs) / sizeof(hdrs[0]))

/* An exact-size heap copy of a then b (never NULL). */
static uint8_t *
dup_cat(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	uint8_t *d = malloc(na + nb > 0 ? na + nb : 1);

	assert_non_null(d);
	if (na > 0)
		memcpy(d, a, na);
	if (nb > 0)
		memcpy(d + na, b, nb);
	return d;
}

static enum l7_res
parse(const uint8_t *c, size_t nc, struct l7_result *r, size_t *hdr_len)
{
	uint8_t *d = dup_cat(c, nc, NULL, 0);
	enum l7_res res;

	memset(r, 0, sizeof(*r));
	*hdr_len = 12345;
	res = l7_proxy_parse(d, nc, r, hdr_len);
	free(d);
	return res;
}

/* Only proxy_hdr and origin are the PROXY parser's. */
static void
assert_foreign_untouched(const struct l7_result *r)
{
	static const struct l7_result zero;
	struct l7_result t;

	memcpy(&t, r, sizeof(t));
	t.proxy_hdr = 0;
	memset(t.origin, 0, sizeof(t.origin));
	assert_memory_equal(&t, &zero, sizeof(t));
}

static void
test_l7_proxy_headers(void **state)
{
	struct l7_result r;
	size_t k, hl;
	uint8_t *d;

	(void)state;
	for (k = 0; k < NHDRS; k++) {
		const struct hdr *h = &hdrs[k];

		print_message("%s\n", h->name);
		d = dup_cat(h->h, h->nh, h->p, h->np);
		memset(&r, 0, sizeof(r));
		assert_int_equal(l7_proxy_parse(d, h->nh + h->np, &r, &hl),
		    L7_DONE);
		free(d);
		assert_int_equal(hl, h->nh);
		assert_int_equal(r.proxy_hdr, h->version);
		assert_string_equal(r.origin, h->origin);
		assert_foreign_untouched(&r);
	}
	assert_int_equal(hdrs[2].nh, 104);
	assert_int_equal(hdrs[6].nh, 107);
	assert_int_equal(strlen(hdrs[2].origin), L7_ORIGIN_MAX);
}

/*
 * Every prefix: L7_MORE with nothing but the version learnt before the
 * header is complete, the same answer from then on whatever follows.
 */
static void
test_l7_proxy_truncation_sweep(void **state)
{
	struct l7_result r;
	size_t k, n, hl;
	uint8_t *d;
	enum l7_res res;

	(void)state;
	for (k = 0; k < NHDRS; k++) {
		const struct hdr *h = &hdrs[k];

		d = dup_cat(h->h, h->nh, h->p, h->np);
		for (n = 0; n <= h->nh + h->np; n++) {
			uint8_t *e = dup_cat(d, n, NULL, 0);

			memset(&r, 0, sizeof(r));
			res = l7_proxy_parse(e, n, &r, &hl);
			free(e);
			if (n < h->nh) {
				assert_int_equal(res, L7_MORE);
				assert_int_equal(hl, 0);
				assert_string_equal(r.origin, "");
				if (r.proxy_hdr != 0)
					assert_int_equal(r.proxy_hdr,
					    h->version);
			} else {
				assert_int_equal(res, L7_DONE);
				assert_int_equal(hl, h->nh);
				assert_int_equal(r.proxy_hdr, h->version);
				assert_string_equal(r.origin, h->origin);
			}
			assert_foreign_untouched(&r);
		}
		free(d);
	}
}

/* First bytes that cannot begin either signature: no waiting. */
static void
test_l7_proxy_not_proxy(void **state)
{
	static const struct {
		const uint8_t	*c;
		size_t		 nc;
	} no[] = {
		{ B("GET / HTTP/1.1\r\n") },
		{ B("CONNECT example.com:443 HTTP/1.1\r\n") },
		{ B("\x05\x01\x00") },
		{ B("\x04\x01\x00\x50\x01\x02\x03\x04\x00") },
		{ B("\x16\x03\x01") },
		{ B("G") },
		{ B("\x00") },
		{ B("PROXX") },
		{ B("PROXY\t") },
		{ B("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PR0") },
		{ B("\r\n\r\n\r\n") },
		{ B("\r\n\r\nGET") },
		{ B("\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0d") },
		{ B("\r\n\r\n\x00\r\nX") },
	};
	static const struct {
		const uint8_t	*c;
		size_t		 nc;
	} more[] = {
		{ B("P") },
		{ B("PROXY") },
		{ B("PROXY ") },
		{ B("PROXY TCP4") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r") },
		{ B("\r") },
		{ B("\r\n\r\n\x00\r\nQUI") },
		{ B(V2SIG) },
		{ B(V2SIG "\x21\x11\x00\x0c\xc0\xa8") },
		/* The largest block there can be, not there yet. */
		{ B(V2SIG "\x21\x11\xff\xff\xc0\xa8\x00\x01\xc0\xa8\x00\x0b"
		    "\xdc\x04\x01\xbb") },
	};
	struct l7_result r;
	size_t k, hl;

	(void)state;
	for (k = 0; k < sizeof(no) / sizeof(no[0]); k++) {
		assert_int_equal(parse(no[k].c, no[k].nc, &r, &hl),
		    L7_NOMATCH);
		assert_int_equal(r.proxy_hdr, 0);
		assert_int_equal(hl, 0);
	}
	for (k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
		assert_int_equal(parse(more[k].c, more[k].nc, &r, &hl),
		    L7_MORE);
		assert_string_equal(r.origin, "");
	}
	assert_int_equal(parse(NULL, 0, &r, &hl), L7_MORE);
	memset(&r, 0, sizeof(r));
	assert_int_equal(l7_proxy_parse(NULL, 0, &r, &hl), L7_MORE);
}

static void
test_l7_proxy_v1_malformed(void **state)
{
	static const struct {
		const uint8_t	*c;
		size_t		 nc;
	} v[] = {
		{ B("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") },
		{ B("PROXY TCP4\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8\r\n") },
		{ B("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 ::1 ::1 1 2\r\n") },
		{ B("PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 000080 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2\r\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n") },
		{ B("PROXY TCP4 1.2.3.4\x00 5.6.7.8 1 2\r\n") },
		{ B("PROXY TCP6 2001:db8:::1 2001:db8::2 1 2\r\n") },
		{ B("PROXY TCP6 [2001:db8::1] 2001:db8::2 1 2\r\n") },
		{ B("PROXY UNKNOWNX\r\n") },
		{ B("PROXY UNKNOWN\rX") },
		{ B("PROXY UNKNOWN \n") },
		{ B("PROXY UNKNOWN 1.2.3.4\n5.6.7.8\r\n") },
		{ B("PROXY \r\n") },
	};
	struct l7_result r;
	size_t k, hl;

	(void)state;
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		print_message("%zu\n", k);
		assert_int_equal(parse(v[k].c, v[k].nc, &r, &hl), L7_INVALID);
		assert_int_equal(r.proxy_hdr, 1);
		assert_string_equal(r.origin, "");
		assert_int_equal(hl, 0);
	}
}

/* 107 bytes at most, CRLF included: the 107th byte decides. */
static void
test_l7_proxy_v1_line_limit(void **state)
{
	uint8_t buf[120];
	struct l7_result r;
	size_t hl;

	(void)state;
	memcpy(buf, "PROXY UNKNOWN ", 14);
	memset(buf + 14, 'a', sizeof(buf) - 14);
	assert_int_equal(parse(buf, 106, &r, &hl), L7_MORE);
	assert_int_equal(parse(buf, 107, &r, &hl), L7_INVALID);
	assert_int_equal(parse(buf, sizeof(buf), &r, &hl), L7_INVALID);
	/* CRLF at bytes 106-107: fits. */
	buf[105] = '\r';
	buf[106] = '\n';
	assert_int_equal(parse(buf, 107, &r, &hl), L7_DONE);
	assert_int_equal(hl, 107);
	/* CRLF at bytes 107-108: one too many. */
	buf[105] = 'a';
	buf[106] = '\r';
	buf[107] = '\n';
	assert_int_equal(parse(buf, 106, &r, &hl), L7_MORE);
	assert_int_equal(parse(buf, 107, &r, &hl), L7_INVALID);
	assert_int_equal(parse(buf, 108, &r, &hl), L7_INVALID);
}

static void
test_l7_proxy_v2_malformed(void **state)
{
	static const struct {
		const uint8_t	*c;
		size_t		 nc;
	} v[] = {
		/* Version 1 and 3 in the high nibble, seen at once. */
		{ B(V2SIG "\x11") },
		{ B(V2SIG "\x31\x11\x00\x0c") },
		{ B(V2SIG "\x01\x11\x00\x0c") },
		/* Commands 2 and 15. */
		{ B(V2SIG "\x22") },
		{ B(V2SIG "\x2f\x11\x00\x00") },
		/* Families no spec names. */
		{ B(V2SIG "\x21\x13") },
		{ B(V2SIG "\x21\x41\x00\x00") },
		{ B(V2SIG "\x21\x01\x00\x00") },
		{ B(V2SIG "\x21\x10\x00\x00") },
		/* Blocks shorter than their addresses: zero, 8, 35. */
		{ B(V2SIG "\x21\x11\x00\x00") },
		{ B(V2SIG "\x21\x11\x00\x08\xc0\xa8\x00\x01\xc0\xa8\x00\x0b") },
		{ B(V2SIG "\x21\x21\x00\x0c"
		    "\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb") },
		{ B(V2SIG "\x21\x22\x00\x23") },
		/* A TLV running past the block, and a cut TLV header. */
		{ B(V2SIG "\x21\x11\x00\x10"
		    "\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb"
		    "\x04\x00\x05\x00") },
		{ B(V2SIG "\x21\x11\x00\x0e"
		    "\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb"
		    "\x04\x00") },
		{ B(V2SIG "\x21\x11\x00\x0f"
		    "\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb"
		    "\x04\xff\xff") },
	};
	struct l7_result r;
	size_t k, hl;

	(void)state;
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		print_message("%zu\n", k);
		assert_int_equal(parse(v[k].c, v[k].nc, &r, &hl), L7_INVALID);
		assert_int_equal(r.proxy_hdr, 2);
		assert_string_equal(r.origin, "");
		assert_int_equal(hl, 0);
	}
}

/* UNIX sockets (216 bytes of paths) and a block of 65535 bytes. */
static void
test_l7_proxy_v2_large_blocks(void **state)
{
	static const uint8_t sig[] = V2SIG;
	uint8_t *buf;
	struct l7_result r;
	size_t hl, n;

	(void)state;
	buf = calloc(1, 16 + 65535 + 4);
	assert_non_null(buf);
	memcpy(buf, sig, 12);
	memcpy(buf + 12, "\x21\x31\x00\xd8", 4);
	memcpy(buf + 16, "/run/haproxy/client.sock", 24);
	memcpy(buf + 16 + 108, "/run/app.sock", 13);
	assert_int_equal(parse(buf, 16 + 215, &r, &hl), L7_MORE);
	assert_int_equal(parse(buf, 16 + 216, &r, &hl), L7_DONE);
	assert_int_equal(hl, 16 + 216);
	assert_string_equal(r.origin, "");

	/* TCP4 and TLVs filling 65535 bytes: 12 of addresses, then
	 * 65523 = 3 + 65520 in one NOOP TLV (type 4). */
	memset(buf + 12, 0, 65535 + 4);
	memcpy(buf + 12, "\x21\x11\xff\xff", 4);
	memcpy(buf + 16, "\xc6\x33\x64\x07\xc0\x00\x02\x01\x30\x39\x00\x50",
	    12);
	n = 16 + 12;
	buf[n] = 0x04;
	buf[n + 1] = 0xff;
	buf[n + 2] = 0xf0;
	assert_int_equal(parse(buf, 16 + 65534, &r, &hl), L7_MORE);
	assert_int_equal(parse(buf, 16 + 65535 + 4, &r, &hl), L7_DONE);
	assert_int_equal(hl, 16 + 65535);
	assert_string_equal(r.origin, "198.51.100.7:12345");
	free(buf);
}

/* The parser leaves the rest of the result as it found it. */
static void
test_l7_proxy_keeps_other_fields(void **state)
{
	struct l7_result r;
	size_t hl;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.kind = L7_SOCKS5;
	memcpy(r.user, "alice", 6);
	memcpy(r.origin, "stale", 6);
	assert_int_equal(l7_proxy_parse(hdrs[5].h, hdrs[5].nh, &r, &hl),
	    L7_DONE);
	assert_string_equal(r.origin, "");
	assert_int_equal(r.kind, L7_SOCKS5);
	assert_string_equal(r.user, "alice");
	memcpy(r.origin, "stale", 6);
	assert_int_equal(l7_proxy_parse(hdrs[0].h, hdrs[0].nh, &r, &hl),
	    L7_DONE);
	assert_string_equal(r.origin, "192.168.0.1:56324");
	assert_string_equal(r.user, "alice");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l7_proxy_headers),
		cmocka_unit_test(test_l7_proxy_truncation_sweep),
		cmocka_unit_test(test_l7_proxy_not_proxy),
		cmocka_unit_test(test_l7_proxy_v1_malformed),
		cmocka_unit_test(test_l7_proxy_v1_line_limit),
		cmocka_unit_test(test_l7_proxy_v2_malformed),
		cmocka_unit_test(test_l7_proxy_v2_large_blocks),
		cmocka_unit_test(test_l7_proxy_keeps_other_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
