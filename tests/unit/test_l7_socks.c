/*
 * test_l7_socks: the SOCKS4/4A and SOCKS5 (RFC 1928, RFC 1929) parser
 * over exchanges as real clients and servers send them (curl, dante,
 * microsocks), whole, cut at every length and split at every point
 * between the two directions. Every input is copied to a heap block of
 * its exact size, so ASan sees any read past the end.
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

struct exch {
	const char	*name;
	const uint8_t	*c;
	size_t		 nc;
	const uint8_t	*s;
	size_t		 ns;
	size_t		 c_min, s_min;	/* bytes each side needs for DONE */
	uint8_t		 kind, verdict;
	const char	*user, *req_target;
	uint8_t		 req_af;
	uint16_t	 req_port;
	uint8_t		 bnd_af;
	uint16_t	 bnd_port;
	uint32_t	 c_tunnel, s_tunnel;
	const char	*password;	/* must never show up in the result */
};

#define V6_DB8_1 \
	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
#define V6_DB8_2 \
	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"

static const struct exch exchs[] = {
	{
		/* curl --socks5 to microsocks, which answers all zeros. */
		"socks5_curl_noauth_ipv4",
		B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x5d\xb8\xd8\x22\x00\x50"),
		B("\x05\x00"
		  "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		13, 12, L7_SOCKS5, L7_V_OK, "", "93.184.216.34:80",
		4, 80, 0, 0, 13, 12, NULL,
	},
	{
		/* curl --socks5-hostname -U alice:... to dante. */
		"socks5_curl_userpass_domain",
		B("\x05\x02\x00\x02"
		  "\x01\x05" "alice" "\x0b" "Pa55-w0rd.z"
		  "\x05\x01\x00\x03\x0b" "example.com" "\x01\xbb"),
		B("\x05\x02"
		  "\x01\x00"
		  "\x05\x00\x00\x01\xc0\xa8\x01\x0a\xc3\x50"),
		41, 14, L7_SOCKS5, L7_V_OK, "alice", "example.com:443",
		0, 0, 4, 50000, 41, 14, "Pa55-w0rd.z",
	},
	{
		/* An optimistic client: greeting and request at once, then
		 * its TLS ClientHello; the server's reply, then its own. */
		"socks5_optimistic_ipv6",
		B("\x05\x01\x00"
		  "\x05\x01\x00\x04" V6_DB8_1 "\x01\xbb"
		  "\x16\x03\x01\x00\x05"),
		B("\x05\x00"
		  "\x05\x00\x00\x04" V6_DB8_2 "\x1f\x90"
		  "\x16\x03\x03"),
		25, 24, L7_SOCKS5, L7_V_OK, "", "[2001:db8::1]:443",
		6, 443, 6, 8080, 25, 24, NULL,
	},
	{
		/* Credentials offered, the server accepts none of them. */
		"socks5_no_acceptable_method",
		B("\x05\x02\x00\x02"),
		B("\x05\xff"),
		4, 2, L7_SOCKS5, L7_V_REJECTED, "", "",
		0, 0, 0, 0, 0, 0, NULL,
	},
	{
		/* RFC 1929 failure: the user is still recorded. */
		"socks5_auth_failure",
		B("\x05\x01\x02"
		  "\x01\x05" "alice" "\x09" "wr0ng-pw!"),
		B("\x05\x02"
		  "\x01\x01"),
		20, 4, L7_SOCKS5, L7_V_REJECTED, "alice", "",
		0, 0, 0, 0, 0, 0, "wr0ng-pw!",
	},
	{
		/* Pipelined greeting, RFC 1929 and request (the whole
		 * handshake in one segment), refused by the ruleset. */
		"socks5_pipelined_ruleset",
		B("\x05\x01\x02"
		  "\x01\x03" "bob" "\x06" "hunter"
		  "\x05\x01\x00\x03\x0b" "example.com" "\x00\x50"),
		B("\x05\x02"
		  "\x01\x00"
		  "\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00"),
		33, 14, L7_SOCKS5, L7_V_REJECTED, "bob", "example.com:80",
		0, 0, 0, 0, 0, 0, "hunter",
	},
	{
		/* Connection refused by the destination: a failure. */
		"socks5_connection_refused",
		B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x0a\x00\x00\x07\x00\x16"),
		B("\x05\x00"
		  "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"),
		13, 12, L7_SOCKS5, L7_V_FAILED, "", "10.0.0.7:22",
		4, 22, 0, 0, 0, 0, NULL,
	},
	{
		/* GSS-API chosen: what follows is encapsulated. */
		"socks5_gssapi",
		B("\x05\x02\x00\x01"
		  "\x01\x01\x00\x04\x60\x82\x02\x4a"),
		B("\x05\x01"
		  "\x01\x02\x00\x04\x60\x81\x9c\x06"),
		4, 2, L7_SOCKS5, L7_V_UNKNOWN, "", "",
		0, 0, 0, 0, 0, 0, NULL,
	},
	{
		/* Three methods offered: the client waits for the choice. */
		"socks5_three_methods_userpass",
		B("\x05\x03\x00\x01\x02"
		  "\x01\x04" "carl" "\x04" "s3cr"
		  "\x05\x01\x00\x01\xc0\x00\x02\x05\x01\xbb"),
		B("\x05\x02"
		  "\x01\x00"
		  "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		26, 14, L7_SOCKS5, L7_V_OK, "carl", "192.0.2.5:443",
		4, 443, 0, 0, 26, 14, "s3cr",
	},
	{
		/* curl --socks4: no USERID. */
		"socks4_curl_connect",
		B("\x04\x01\x00\x50\x5d\xb8\xd8\x22\x00"),
		B("\x00\x5a\x00\x00\x00\x00\x00\x00"),
		9, 8, L7_SOCKS4, L7_V_OK, "", "93.184.216.34:80",
		4, 80, 0, 0, 9, 8, NULL,
	},
	{
		/* dante refusing user bob (CD 91). */
		"socks4_rejected_user",
		B("\x04\x01\x01\xbb\x0a\x00\x00\x05" "bob" "\x00"),
		B("\x00\x5b\x00\x00\x00\x00\x00\x00"),
		12, 8, L7_SOCKS4, L7_V_REJECTED, "bob", "10.0.0.5:443",
		4, 443, 0, 0, 0, 0, NULL,
	},
	{
		/* curl --socks4a -U alice: the proxy resolves the name. */
		"socks4a_curl_domain",
		B("\x04\x01\x00\x50\x00\x00\x00\x01" "alice" "\x00"
		  "example.com" "\x00"),
		B("\x00\x5a\x00\x00\x00\x00\x00\x00"),
		26, 8, L7_SOCKS4, L7_V_OK, "alice", "example.com:80",
		0, 0, 0, 0, 26, 8, NULL,
	},
	{
		/* BIND (FTP data): the reply says where the proxy listens. */
		"socks4_bind",
		B("\x04\x02\x00\x15\xc0\x00\x02\x01\x00"),
		B("\x00\x5a\x04\x00\xc0\x00\x02\x63"),
		9, 8, L7_SOCKS4, L7_V_OK, "", "192.0.2.1:21",
		4, 21, 4, 1024, 9, 8, NULL,
	},
};

#define NEXCH	(sizeof(exchs) / sizeof(exchs[0]))

/* An exact-size heap copy of n bytes (never NULL, even for n == 0). */
static uint8_t *
dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n > 0 ? n : 1);

	assert_non_null(d);
	if (n > 0)
		memcpy(d, p, n);
	return d;
}

/* Parses the first i client and j server bytes of e into r. */
static enum l7_res
parse_prefix(const struct exch *e, size_t i, size_t j, struct l7_result *r)
{
	uint8_t *c = dup_exact(e->c, i), *s = dup_exact(e->s, j);
	enum l7_res res;

	memset(r, 0, sizeof(*r));
	res = l7_socks_parse(c, i, s, j, r);
	free(c);
	free(s);
	return res;
}

static enum l7_res
parse_bytes(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	uint8_t *cd = dup_exact(c, nc), *sd = dup_exact(s, ns);
	enum l7_res res;

	memset(r, 0, sizeof(*r));
	res = l7_socks_parse(cd, nc, sd, ns, r);
	free(cd);
	free(sd);
	return res;
}

/* Fields the SOCKS parser must never touch. */
static void
assert_foreign_untouched(const struct l7_result *r)
{
	assert_int_equal(r->proxy_hdr, 0);
	assert_string_equal(r->target, "");
	assert_string_equal(r->sni, "");
	assert_string_equal(r->host, "");
	assert_string_equal(r->origin, "");
}

static void
assert_password_absent(const struct exch *e, const struct l7_result *r)
{
	if (e->password == NULL)
		return;
	assert_null(memmem(r, sizeof(*r), e->password, strlen(e->password)));
}

/* Whatever the partial result p holds, the whole result w holds too. */
static void
assert_sub_result(const struct l7_result *p, const struct l7_result *w)
{
	if (p->kind != 0)
		assert_int_equal(p->kind, w->kind);
	if (p->verdict != 0)
		assert_int_equal(p->verdict, w->verdict);
	if (p->user[0] != '\0')
		assert_string_equal(p->user, w->user);
	if (p->req_target[0] != '\0')
		assert_string_equal(p->req_target, w->req_target);
	if (p->req_af != 0) {
		assert_int_equal(p->req_af, w->req_af);
		assert_int_equal(p->req_port, w->req_port);
		assert_memory_equal(p->req_addr, w->req_addr, 16);
	}
	if (p->bnd_af != 0) {
		assert_int_equal(p->bnd_af, w->bnd_af);
		assert_int_equal(p->bnd_port, w->bnd_port);
		assert_memory_equal(p->bnd_addr, w->bnd_addr, 16);
	}
	if (p->c_tunnel != 0 || p->s_tunnel != 0) {
		assert_int_equal(p->c_tunnel, w->c_tunnel);
		assert_int_equal(p->s_tunnel, w->s_tunnel);
	}
}

static void
test_l7_socks_exchanges(void **state)
{
	struct l7_result r;
	size_t k;

	(void)state;
	for (k = 0; k < NEXCH; k++) {
		const struct exch *e = &exchs[k];

		print_message("%s\n", e->name);
		assert_int_equal(parse_prefix(e, e->nc, e->ns, &r), L7_DONE);
		assert_int_equal(r.kind, e->kind);
		assert_int_equal(r.verdict, e->verdict);
		assert_string_equal(r.user, e->user);
		assert_string_equal(r.req_target, e->req_target);
		assert_int_equal(r.req_af, e->req_af);
		assert_int_equal(r.req_port, e->req_port);
		assert_int_equal(r.bnd_af, e->bnd_af);
		assert_int_equal(r.bnd_port, e->bnd_port);
		assert_int_equal(r.c_tunnel, e->c_tunnel);
		assert_int_equal(r.s_tunnel, e->s_tunnel);
		assert_foreign_untouched(&r);
		assert_password_absent(e, &r);
	}
}

static void
test_l7_socks_addresses(void **state)
{
	static const uint8_t ip4[4] = { 0x5d, 0xb8, 0xd8, 0x22 };
	static const uint8_t db8_1[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	static const uint8_t db8_2[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	};
	static const uint8_t dante_bnd[4] = { 192, 168, 1, 10 };
	static const uint8_t bind4[4] = { 192, 0, 2, 99 };
	struct l7_result r;

	(void)state;
	assert_int_equal(parse_prefix(&exchs[0], exchs[0].nc, exchs[0].ns,
	    &r), L7_DONE);
	assert_memory_equal(r.req_addr, ip4, 4);
	assert_int_equal(parse_prefix(&exchs[1], exchs[1].nc, exchs[1].ns,
	    &r), L7_DONE);
	assert_memory_equal(r.bnd_addr, dante_bnd, 4);
	assert_int_equal(parse_prefix(&exchs[2], exchs[2].nc, exchs[2].ns,
	    &r), L7_DONE);
	assert_memory_equal(r.req_addr, db8_1, 16);
	assert_memory_equal(r.bnd_addr, db8_2, 16);
	assert_int_equal(parse_prefix(&exchs[12], exchs[12].nc, exchs[12].ns,
	    &r), L7_DONE);
	assert_string_equal("socks4_bind", exchs[12].name);
	assert_memory_equal(r.bnd_addr, bind4, 4);
}

/*
 * Every prefix of each exchange, in the two extreme orders (the client
 * first, the server first): L7_MORE, or L7_DONE only once both sides
 * hold what DONE needs; never INVALID or NOMATCH.
 */
static void
test_l7_socks_truncation_sweep(void **state)
{
	struct l7_result r;
	size_t k, n, i, j, order;
	enum l7_res res;

	(void)state;
	for (k = 0; k < NEXCH; k++) {
		const struct exch *e = &exchs[k];

		for (order = 0; order < 2; order++)
			for (n = 0; n < e->nc + e->ns; n++) {
				if (order == 0) {
					i = n < e->nc ? n : e->nc;
					j = n - i;
				} else {
					j = n < e->ns ? n : e->ns;
					i = n - j;
				}
				res = parse_prefix(e, i, j, &r);
				if (i >= e->c_min && j >= e->s_min)
					assert_int_equal(res, L7_DONE);
				else
					assert_int_equal(res, L7_MORE);
			}
	}
}

/*
 * Client and server bytes given progressively, at every pair of
 * lengths: the answer depends only on what each side holds, and any
 * field filled at a prefix has its final value.
 */
static void
test_l7_socks_every_split(void **state)
{
	struct l7_result r, whole;
	size_t k, i, j;
	enum l7_res res;

	(void)state;
	for (k = 0; k < NEXCH; k++) {
		const struct exch *e = &exchs[k];

		assert_int_equal(parse_prefix(e, e->nc, e->ns, &whole),
		    L7_DONE);
		for (i = 0; i <= e->nc; i++)
			for (j = 0; j <= e->ns; j++) {
				res = parse_prefix(e, i, j, &r);
				if (i >= e->c_min && j >= e->s_min)
					assert_int_equal(res, L7_DONE);
				else
					assert_int_equal(res, L7_MORE);
				assert_sub_result(&r, &whole);
				assert_foreign_untouched(&r);
			}
	}
}

/* The RFC 1929 password is found nowhere in the result, at any split. */
static void
test_l7_socks_password_never_in_result(void **state)
{
	struct l7_result r;
	size_t k, i, j, seen = 0;

	(void)state;
	for (k = 0; k < NEXCH; k++) {
		const struct exch *e = &exchs[k];

		if (e->password == NULL)
			continue;
		seen++;
		/* The password really is on the wire. */
		assert_non_null(memmem(e->c, e->nc, e->password,
		    strlen(e->password)));
		for (i = 0; i <= e->nc; i++)
			for (j = 0; j <= e->ns; j++) {
				(void)parse_prefix(e, i, j, &r);
				assert_password_absent(e, &r);
			}
		assert_int_equal(parse_prefix(e, e->nc, e->ns, &r), L7_DONE);
		assert_string_equal(r.user, e->user);
	}
	assert_true(seen >= 3);
}

/* Other protocols' first bytes, and first bytes no SOCKS request has. */
static void
test_l7_socks_not_socks(void **state)
{
	static const struct {
		const uint8_t	*c;
		size_t		 nc;
	} v[] = {
		{ B("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n") },
		{ B("CONNECT example.com:443 HTTP/1.1\r\n") },
		{ B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") },
		{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ B("\x04\x00\x00\x50\x01\x02\x03\x04\x00") },	/* CD 0 */
		{ B("\x04\x03\x00\x50\x01\x02\x03\x04\x00") },	/* CD 3 */
		{ B("\x04\x5a") },
		{ B("\x05\x00") },				/* no method */
		{ B("\x05\x00\x05\x01\x00\x01") },
		{ B("\x16") },
		{ B("\x00") },
		{ B("\xff\xff") },
	};
	struct l7_result r;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		assert_int_equal(parse_bytes(v[k].c, v[k].nc, NULL, 0, &r),
		    L7_NOMATCH);
		assert_int_equal(r.kind, L7_NONE);
		assert_string_equal(r.req_target, "");
	}
	/* One byte that can begin a request is not yet a verdict. */
	assert_int_equal(parse_bytes(B("\x04"), NULL, 0, &r), L7_MORE);
	assert_int_equal(parse_bytes(B("\x05"), NULL, 0, &r), L7_MORE);
	assert_int_equal(parse_bytes(NULL, 0, NULL, 0, &r), L7_MORE);
	/* NULL buffers with zero lengths are fine. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(l7_socks_parse(NULL, 0, NULL, 0, &r), L7_MORE);
	assert_int_equal(l7_socks_parse((const uint8_t *)"\x05\x01\x00", 3,
	    NULL, 0, &r), L7_MORE);
	assert_int_equal(r.kind, L7_SOCKS5);
}

/* A malformed exchange: what it gives and what it keeps. */
struct bad {
	const char	*name;
	const uint8_t	*c;
	size_t		 nc;
	const uint8_t	*s;
	size_t		 ns;
	enum l7_res	 res;
	const char	*req_target;	/* kept from before the break */
};

static void
run_bad(const struct bad *v, size_t n)
{
	struct l7_result r;
	size_t k;

	for (k = 0; k < n; k++) {
		print_message("%s\n", v[k].name);
		assert_int_equal(parse_bytes(v[k].c, v[k].nc, v[k].s, v[k].ns,
		    &r), v[k].res);
		assert_string_equal(r.req_target, v[k].req_target);
		assert_foreign_untouched(&r);
	}
}

static void
test_l7_socks_socks4_malformed(void **state)
{
	static const struct bad v[] = {
		{ "reply version 4", B("\x04\x01\x00\x50\x01\x02\x03\x04\x00"),
		  B("\x04\x5a\x00\x00\x00\x00\x00\x00"), L7_INVALID,
		  "1.2.3.4:80" },
		{ "reply version, first byte", B("\x04\x01\x00\x50\x01\x02"
		  "\x03\x04\x00"), B("\x05"), L7_INVALID, "1.2.3.4:80" },
		{ "reply code 89", B("\x04\x01\x00\x50\x01\x02\x03\x04\x00"),
		  B("\x00\x59"), L7_INVALID, "1.2.3.4:80" },
		{ "reply code 94", B("\x04\x01\x00\x50\x01\x02\x03\x04\x00"),
		  B("\x00\x5e\x00\x00\x00\x00\x00\x00"), L7_INVALID,
		  "1.2.3.4:80" },
		{ "reply code 0", B("\x04\x01\x00\x50\x01\x02\x03\x04\x00"),
		  B("\x00\x00\x00\x00\x00\x00\x00\x00"), L7_INVALID,
		  "1.2.3.4:80" },
		{ "4a empty domain", B("\x04\x01\x00\x50\x00\x00\x00\x01"
		  "u\x00\x00"), B(""), L7_INVALID, "" },
	};
	uint8_t buf[8 + 256 + 1 + 256 + 1];
	struct l7_result r;

	(void)state;
	run_bad(v, sizeof(v) / sizeof(v[0]));

	/* USERID: 255 bytes and a NUL are fine, 256 without one are not. */
	memcpy(buf, "\x04\x01\x00\x50\x01\x02\x03\x04", 8);
	memset(buf + 8, 'u', 256);
	buf[8 + 255] = '\0';
	assert_int_equal(parse_bytes(buf, 8 + 256, NULL, 0, &r), L7_MORE);
	assert_int_equal(strlen(r.user), 255);
	assert_string_equal(r.req_target, "1.2.3.4:80");
	buf[8 + 255] = 'u';
	assert_int_equal(parse_bytes(buf, 8 + 255, NULL, 0, &r), L7_MORE);
	assert_int_equal(parse_bytes(buf, 8 + 256, NULL, 0, &r), L7_INVALID);
	assert_string_equal(r.user, "");

	/* DOMAIN (4A): the same cap. */
	memcpy(buf, "\x04\x01\x00\x50\x00\x00\x00\x09", 8);
	buf[8] = '\0';
	memset(buf + 9, 'd', 256);
	assert_int_equal(parse_bytes(buf, 9 + 255, NULL, 0, &r), L7_MORE);
	assert_int_equal(parse_bytes(buf, 9 + 256, NULL, 0, &r), L7_INVALID);
	assert_string_equal(r.req_target, "");
	buf[9 + 255] = '\0';
	assert_int_equal(parse_bytes(buf, 9 + 256, B("\x00\x5a\x00\x00\x00"
	    "\x00\x00\x00"), &r), L7_DONE);
	assert_int_equal(strlen(r.req_target), L7_STR_MAX);
	assert_int_equal(r.req_af, 0);
}

static void
test_l7_socks_socks5_malformed(void **state)
{
	static const struct bad v[] = {
		{ "method reply version 4", B("\x05\x01\x00"), B("\x04\x00"),
		  L7_INVALID, "" },
		{ "method not offered", B("\x05\x01\x00"), B("\x05\x02"),
		  L7_INVALID, "" },
		{ "gssapi not offered", B("\x05\x02\x00\x02"), B("\x05\x01"),
		  L7_INVALID, "" },
		{ "ulen zero", B("\x05\x01\x02\x01\x00\x03pwd"), B(""),
		  L7_INVALID, "" },
		{ "auth version 5", B("\x05\x01\x02\x05\x03" "bob\x01x"),
		  B(""), L7_INVALID, "" },
		{ "request where auth is due", B("\x05\x02\x00\x02"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"), B("\x05\x02"),
		  L7_INVALID, "" },
		{ "auth where none was chosen", B("\x05\x02\x00\x02"
		  "\x01\x03" "bob\x01x"), B("\x05\x00"), L7_INVALID, "" },
		{ "auth status version 5", B("\x05\x01\x02\x01\x03" "bob\x01x"),
		  B("\x05\x02\x05\x00"), L7_INVALID, "" },
		{ "request version 4", B("\x05\x01\x00"
		  "\x04\x01\x00\x01\x01\x02\x03\x04\x00\x50"), B(""),
		  L7_INVALID, "" },
		{ "command 0", B("\x05\x01\x00"
		  "\x05\x00\x00\x01\x01\x02\x03\x04\x00\x50"), B(""),
		  L7_INVALID, "" },
		{ "command 4", B("\x05\x01\x00"
		  "\x05\x04\x00\x01\x01\x02\x03\x04\x00\x50"), B(""),
		  L7_INVALID, "" },
		{ "reserved 1", B("\x05\x01\x00"
		  "\x05\x01\x01\x01\x01\x02\x03\x04\x00\x50"), B(""),
		  L7_INVALID, "" },
		{ "address type 2", B("\x05\x01\x00"
		  "\x05\x01\x00\x02\x01\x02\x03\x04\x00\x50"), B(""),
		  L7_INVALID, "" },
		{ "address type 0", B("\x05\x01\x00\x05\x01\x00\x00"), B(""),
		  L7_INVALID, "" },
		{ "domain length 0", B("\x05\x01\x00"
		  "\x05\x01\x00\x03\x00\x00\x50"), B(""), L7_INVALID, "" },
		{ "reply version 4", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x04\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		  L7_INVALID, "1.2.3.4:80" },
		{ "reply code 9", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x05\x09\x00\x01\x00\x00\x00\x00\x00\x00"),
		  L7_INVALID, "1.2.3.4:80" },
		{ "reply code 0xff", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x05\xff"), L7_INVALID, "1.2.3.4:80" },
		{ "reply reserved 1", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x05\x00\x01\x01\x00\x00\x00\x00\x00\x00"),
		  L7_INVALID, "1.2.3.4:80" },
		{ "reply address type 5", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x05\x00\x00\x05\x00\x00\x00\x00\x00\x00"),
		  L7_INVALID, "1.2.3.4:80" },
		{ "reply domain length 0", B("\x05\x01\x00"
		  "\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50"),
		  B("\x05\x00\x05\x00\x00\x03\x00\x00\x00"),
		  L7_INVALID, "1.2.3.4:80" },
		/* Lengths past what is there: more may come, and an answer
		 * already in does not end a request still arriving. */
		{ "nmethods 255, three sent", B("\x05\xff\x00\x01\x02"),
		  B("\x05\x00"), L7_MORE, "" },
		{ "domain length past the end", B("\x05\x01\x00"
		  "\x05\x01\x00\x03\xff" "example.com" "\x00\x50"),
		  B("\x05\x00\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		  L7_MORE, "" },
		{ "ulen past the end", B("\x05\x01\x02\x01\xff" "bob\x01x"),
		  B("\x05\x02\x01\x00"), L7_MORE, "" },
	};

	(void)state;
	run_bad(v, sizeof(v) / sizeof(v[0]));
}

/* The largest counts and lengths the wire allows, read without harm. */
static void
test_l7_socks_huge_counts(void **state)
{
	uint8_t c[2 + 255 + 5 + 255 + 2], s[2 + 10];
	struct l7_result r;
	size_t n;

	(void)state;
	/* 255 methods, all "none", then a 255-byte name. */
	c[0] = 5;
	c[1] = 255;
	memset(c + 2, 0, 255);
	n = 257;
	memcpy(c + n, "\x05\x01\x00\x03\xff", 5);
	n += 5;
	memset(c + n, 'h', 255);
	n += 255;
	c[n++] = 0x01;
	c[n++] = 0xbb;
	memcpy(s, "\x05\x00\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	assert_int_equal(parse_bytes(c, n, s, sizeof(s), &r), L7_DONE);
	assert_int_equal(r.verdict, L7_V_OK);
	/* "hhh...h:443" is cut at L7_STR_MAX. */
	assert_int_equal(strlen(r.req_target), L7_STR_MAX);
	assert_int_equal(r.c_tunnel, n);
	assert_int_equal(parse_bytes(c, n - 1, s, sizeof(s), &r), L7_MORE);
}

/* Bytes outside printable ASCII reach the result as '?'. */
static void
test_l7_socks_unprintable_names(void **state)
{
	struct l7_result r;

	(void)state;
	assert_int_equal(parse_bytes(B("\x05\x01\x02"
	    "\x01\x04" "a\x01\xff" "b" "\x01" "p"
	    "\x05\x01\x00\x03\x04" "h\n\x7f" "t" "\x00\x50"),
	    B("\x05\x02\x01\x00\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"), &r),
	    L7_DONE);
	assert_string_equal(r.user, "a??b");
	assert_string_equal(r.req_target, "h??t:80");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l7_socks_exchanges),
		cmocka_unit_test(test_l7_socks_addresses),
		cmocka_unit_test(test_l7_socks_truncation_sweep),
		cmocka_unit_test(test_l7_socks_every_split),
		cmocka_unit_test(test_l7_socks_password_never_in_result),
		cmocka_unit_test(test_l7_socks_not_socks),
		cmocka_unit_test(test_l7_socks_socks4_malformed),
		cmocka_unit_test(test_l7_socks_socks5_malformed),
		cmocka_unit_test(test_l7_socks_huge_counts),
		cmocka_unit_test(test_l7_socks_unprintable_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
