/*
 * test_l7_tls: the ClientHello reader over real and built hellos. The
 * builder assembles a ClientHello the way Chrome lays one out (GREASE,
 * a post-quantum key share before server_name, padding) and cuts it into
 * records; every prefix of every hello is parsed too, as tcp_stream would
 * hand it over segment by segment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l7.h"

#define HELLO_CAP	(70 * 1024)
#define REC_FRAG	16384

/*
 * curl 7.x's ClientHello to www.ntop.org, the first client segment of
 * tests/pcap/443-curl.pcap (nDPI's capture; 517 bytes, one record).
 */
static const uint8_t curl_hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x3e,
	0x38, 0x41, 0xed, 0xcc, 0x20, 0xf6, 0xd0, 0xe5, 0xf7, 0x16, 0x7a, 0xb7,
	0xee, 0x91, 0xa8, 0x00, 0xc8, 0xef, 0x70, 0xc2, 0xd6, 0x24, 0xc7, 0xc7,
	0x94, 0x3a, 0x24, 0x02, 0x6d, 0x9f, 0xbc, 0x00, 0x00, 0x86, 0xcc, 0x14,
	0xcc, 0x13, 0xcc, 0x15, 0xc0, 0x30, 0xc0, 0x2c, 0xc0, 0x28, 0xc0, 0x24,
	0xc0, 0x14, 0xc0, 0x0a, 0x00, 0xa3, 0x00, 0x9f, 0x00, 0x6b, 0x00, 0x6a,
	0x00, 0x39, 0x00, 0x38, 0xff, 0x85, 0x00, 0xc4, 0x00, 0xc3, 0x00, 0x88,
	0x00, 0x87, 0x00, 0x81, 0xc0, 0x32, 0xc0, 0x2e, 0xc0, 0x2a, 0xc0, 0x26,
	0xc0, 0x0f, 0xc0, 0x05, 0x00, 0x9d, 0x00, 0x3d, 0x00, 0x35, 0x00, 0xc0,
	0x00, 0x84, 0xc0, 0x2f, 0xc0, 0x2b, 0xc0, 0x27, 0xc0, 0x23, 0xc0, 0x13,
	0xc0, 0x09, 0x00, 0xa2, 0x00, 0x9e, 0x00, 0x67, 0x00, 0x40, 0x00, 0x33,
	0x00, 0x32, 0x00, 0xbe, 0x00, 0xbd, 0x00, 0x45, 0x00, 0x44, 0xc0, 0x31,
	0xc0, 0x2d, 0xc0, 0x29, 0xc0, 0x25, 0xc0, 0x0e, 0xc0, 0x04, 0x00, 0x9c,
	0x00, 0x3c, 0x00, 0x2f, 0x00, 0xba, 0x00, 0x41, 0xc0, 0x12, 0xc0, 0x08,
	0x00, 0x16, 0x00, 0x13, 0xc0, 0x0d, 0xc0, 0x03, 0x00, 0x0a, 0x00, 0xff,
	0x01, 0x00, 0x01, 0x4d, 0x00, 0x00, 0x00, 0x11, 0x00, 0x0f, 0x00, 0x00,
	0x0c, 0x77, 0x77, 0x77, 0x2e, 0x6e, 0x74, 0x6f, 0x70, 0x2e, 0x6f, 0x72,
	0x67, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00,
	0x3a, 0x00, 0x38, 0x00, 0x0e, 0x00, 0x0d, 0x00, 0x19, 0x00, 0x1c, 0x00,
	0x0b, 0x00, 0x0c, 0x00, 0x1b, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0a, 0x00,
	0x1a, 0x00, 0x16, 0x00, 0x17, 0x00, 0x08, 0x00, 0x06, 0x00, 0x07, 0x00,
	0x14, 0x00, 0x15, 0x00, 0x04, 0x00, 0x05, 0x00, 0x12, 0x00, 0x13, 0x00,
	0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x0f, 0x00, 0x10, 0x00, 0x11, 0x00,
	0x0d, 0x00, 0x26, 0x00, 0x24, 0x06, 0x01, 0x06, 0x02, 0x06, 0x03, 0xef,
	0xef, 0x05, 0x01, 0x05, 0x02, 0x05, 0x03, 0x04, 0x01, 0x04, 0x02, 0x04,
	0x03, 0xee, 0xee, 0xed, 0xed, 0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x02,
	0x01, 0x02, 0x02, 0x02, 0x03, 0x33, 0x74, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f,
	0x31, 0x2e, 0x31, 0x00, 0x15, 0x00, 0xae, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};

/* What the builder should put in. */
struct hello_opt {
	const char	*sni;		/* NULL: no server_name extension */
	size_t		 sni_len;	/* 0: strlen(sni) */
	size_t		 ks_len;	/* X25519MLKEM768 share, 0: none */
	size_t		 pad_len;	/* padding extension data, 0: none */
	int		 sni_first;	/* server_name before key_share */
	int		 no_ext;	/* an SSLv3-style hello */
	int		 nrec;		/* at least this many records */
};

/* Where the builder put things, as offsets in the record stream of a
 * one-record hello (a multi-record stream has more headers). */
struct hello_off {
	size_t	sid, cs, comp, ext, sni, sni_end;
};

static size_t
put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/* An extension with data d[0..n) (d NULL: n filler bytes). */
static size_t
put_ext(uint8_t *p, size_t off, unsigned type, const uint8_t *d, size_t n)
{
	size_t i;

	off = put16(p, off, type);
	off = put16(p, off, (unsigned)n);
	for (i = 0; i < n; i++)
		p[off + i] = d != NULL ? d[i] : 0;
	return off + n;
}

static size_t
put_sni(uint8_t *p, size_t off, const struct hello_opt *o,
    struct hello_off *w)
{
	size_t sl;

	sl = o->sni_len ? o->sni_len : strlen(o->sni);
	w->sni = off + 9 + 5;
	off = put16(p, off, 0x0000);
	off = put16(p, off, (unsigned)sl + 5);
	off = put16(p, off, (unsigned)sl + 3);
	p[off++] = 0;
	off = put16(p, off, (unsigned)sl);
	memcpy(p + off, o->sni, sl);
	w->sni_end = off + sl + 5;
	return off + sl;
}

/* key_share (RFC 8446 section 4.2.8): GREASE, X25519MLKEM768, x25519. */
static size_t
put_key_share(uint8_t *p, size_t off, const struct hello_opt *o)
{
	size_t ks, i;

	ks = 5 + (o->ks_len ? 4 + o->ks_len : 0) + 4 + 32;
	off = put16(p, off, 0x0033);
	off = put16(p, off, (unsigned)ks + 2);
	off = put16(p, off, (unsigned)ks);
	off = put16(p, off, 0xdada);
	off = put16(p, off, 1);
	p[off++] = 0;
	if (o->ks_len) {
		off = put16(p, off, 0x11ec);
		off = put16(p, off, (unsigned)o->ks_len);
		for (i = 0; i < o->ks_len; i++)
			p[off++] = (uint8_t)(i * 31 + 7);
	}
	off = put16(p, off, 0x001d);
	off = put16(p, off, 32);
	for (i = 0; i < 32; i++)
		p[off++] = (uint8_t)(i * 17 + 3);
	return off;
}

/*
 * A Chrome-like ClientHello (legacy_version 0x0303, a session id, GREASE
 * values, supported_versions with TLS 1.3) in records of at most 16384
 * bytes, at least o->nrec of them, each "16 03 01 len"; returns the
 * stream's length.
 */
static size_t
build_hello(uint8_t *out, const struct hello_opt *o, struct hello_off *w)
{
	static const uint8_t suites[] = {
		0x4a, 0x4a, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b,
		0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8,
		0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f,
		0x00, 0x35,
	};
	static const uint8_t groups[] = {
		0x00, 0x0a, 0xda, 0xda, 0x11, 0xec, 0x00, 0x1d, 0x00, 0x17,
		0x00, 0x18,
	};
	static const uint8_t versions[] = {
		0x06, 0x9a, 0x9a, 0x03, 0x04, 0x03, 0x03,
	};
	static const uint8_t sigalgs[] = {
		0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
		0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01,
	};
	static const uint8_t alpn[] = {
		0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/',
		'1', '.', '1',
	};
	static const uint8_t pts[] = { 0x01, 0x00 }, psk[] = { 0x01, 0x01 };
	static uint8_t hs[HELLO_CAP];
	struct hello_off dummy;
	size_t off, ext_start, len, frag, nrec, i, o_out, n;

	if (w == NULL)
		w = &dummy;
	memset(w, 0, sizeof(*w));
	hs[0] = 1;
	off = 4;
	off = put16(hs, off, 0x0303);
	for (i = 0; i < 32; i++)
		hs[off++] = (uint8_t)(0x5a ^ i * 7);
	w->sid = off + 5;
	hs[off++] = 32;
	for (i = 0; i < 32; i++)
		hs[off++] = (uint8_t)(0xc3 ^ i * 13);
	w->cs = off + 5;
	off = put16(hs, off, sizeof(suites));
	memcpy(hs + off, suites, sizeof(suites));
	off += sizeof(suites);
	w->comp = off + 5;
	hs[off++] = 1;
	hs[off++] = 0;
	if (!o->no_ext) {
		w->ext = off + 5;
		ext_start = off;
		off += 2;
		off = put_ext(hs, off, 0x2a2a, NULL, 0);
		if (o->sni != NULL && o->sni_first)
			off = put_sni(hs, off, o, w);
		off = put_ext(hs, off, 0x000a, groups, sizeof(groups));
		off = put_ext(hs, off, 0x000b, pts, sizeof(pts));
		off = put_key_share(hs, off, o);
		if (o->sni != NULL && !o->sni_first)
			off = put_sni(hs, off, o, w);
		off = put_ext(hs, off, 0x002b, versions, sizeof(versions));
		off = put_ext(hs, off, 0x000d, sigalgs, sizeof(sigalgs));
		off = put_ext(hs, off, 0x0010, alpn, sizeof(alpn));
		off = put_ext(hs, off, 0x002d, psk, sizeof(psk));
		off = put_ext(hs, off, 0x0017, NULL, 0);
		if (o->pad_len)
			off = put_ext(hs, off, 0x0015, NULL, o->pad_len);
		off = put_ext(hs, off, 0x1a1a, pts, 1);	/* GREASE */
		put16(hs, ext_start, (unsigned)(off - ext_start - 2));
	}
	assert_true(off <= sizeof(hs));
	len = off;
	hs[1] = (uint8_t)((len - 4) >> 16);
	hs[2] = (uint8_t)((len - 4) >> 8);
	hs[3] = (uint8_t)(len - 4);

	nrec = o->nrec > 0 ? (size_t)o->nrec : 1;
	if ((len + nrec - 1) / nrec > REC_FRAG)
		nrec = (len + REC_FRAG - 1) / REC_FRAG;
	frag = (len + nrec - 1) / nrec;
	o_out = 0;
	for (off = 0; off < len; off += n) {
		n = len - off < frag ? len - off : frag;
		out[o_out++] = 0x16;
		out[o_out++] = 0x03;
		out[o_out++] = 0x01;
		o_out = put16(out, o_out, (unsigned)n);
		memcpy(out + o_out, hs + off, n);
		o_out += n;
	}
	return o_out;
}

static enum l7_res
parse(const uint8_t *b, size_t n, struct l7_result *r)
{
	memset(r, 0, sizeof(*r));
	return l7_tls_parse(b, n, r);
}

/*
 * Every prefix of a valid hello is L7_MORE, the whole L7_DONE; what a
 * prefix learns (kind, sni) is what the whole learns, and no field that
 * belongs to another parser is touched.
 */
static void
sweep(const uint8_t *b, size_t n, const char *sni)
{
	static const struct l7_result zero;
	struct l7_result r, whole;
	size_t i;

	assert_int_equal(parse(b, n, &whole), L7_DONE);
	assert_int_equal(whole.kind, L7_TLS);
	assert_string_equal(whole.sni, sni);
	for (i = 0; i < n; i++) {
		assert_int_equal(parse(b, i, &r), L7_MORE);
		assert_true(r.kind == L7_NONE || r.kind == L7_TLS);
		if (r.sni[0] != '\0')
			assert_string_equal(r.sni, whole.sni);
		r.kind = 0;
		memset(r.sni, 0, sizeof(r.sni));
		assert_memory_equal(&r, &zero, sizeof(r));
	}
}

static void
test_l7_tls_curl_capture(void **state)
{
	struct l7_result r;

	(void)state;
	assert_int_equal(parse(curl_hello, sizeof(curl_hello), &r), L7_DONE);
	assert_int_equal(r.kind, L7_TLS);
	assert_string_equal(r.sni, "www.ntop.org");
	assert_int_equal(r.verdict, L7_V_UNKNOWN);
	assert_string_equal(r.user, "");
	assert_string_equal(r.req_target, "");
	/* Bytes after the ClientHello (the next record) change nothing. */
	{
		uint8_t b[sizeof(curl_hello) + 6];
		static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01,
		    0x01 };

		memcpy(b, curl_hello, sizeof(curl_hello));
		memcpy(b + sizeof(curl_hello), ccs, sizeof(ccs));
		assert_int_equal(parse(b, sizeof(b), &r), L7_DONE);
		assert_string_equal(r.sni, "www.ntop.org");
	}
}

static void
test_l7_tls_truncation_sweep(void **state)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	size_t n;

	(void)state;
	sweep(curl_hello, sizeof(curl_hello), "www.ntop.org");

	memset(&o, 0, sizeof(o));
	o.sni = "example.com";
	n = build_hello(b, &o, NULL);
	sweep(b, n, "example.com");

	o.ks_len = 1184;		/* ML-KEM-768 encapsulation key */
	o.nrec = 2;
	n = build_hello(b, &o, NULL);
	sweep(b, n, "example.com");

	o.nrec = 5;
	o.sni_first = 1;
	n = build_hello(b, &o, NULL);
	sweep(b, n, "example.com");

	memset(&o, 0, sizeof(o));
	n = build_hello(b, &o, NULL);
	sweep(b, n, "");
	o.no_ext = 1;
	n = build_hello(b, &o, NULL);
	sweep(b, n, "");
}

/*
 * Chrome 124+ with X25519MLKEM768 (X25519Kyber768 before it): a 1.2 KB
 * key share before server_name pushes the name past the first TCP
 * segment. Every size from 1500 to 2500 bytes, in one record cut into
 * two segments, and in two records.
 */
static void
test_l7_tls_pq_two_segments(void **state)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	struct hello_off w;
	struct l7_result r;
	size_t n, seg[2], i, tested;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sni = "www.google.com";
	o.ks_len = 1216;
	tested = 0;
	for (o.pad_len = 0; o.pad_len <= 1000; o.pad_len += 7) {
		n = build_hello(b, &o, &w);
		if (n < 1500 || n > 2500)
			continue;
		tested++;
		assert_true(w.sni > 1216);
		/* A typical MSS, and a cut inside the name itself. */
		seg[0] = 1448;
		seg[1] = w.sni + 4;
		for (i = 0; i < 2; i++) {
			assert_int_equal(parse(b, seg[i], &r), L7_MORE);
			assert_int_equal(r.kind, L7_TLS);
			if (seg[i] < w.sni_end)
				assert_string_equal(r.sni, "");
			else
				assert_string_equal(r.sni, "www.google.com");
		}
		assert_int_equal(parse(b, n, &r), L7_DONE);
		assert_string_equal(r.sni, "www.google.com");
	}
	assert_true(tested > 100);
}

static void
test_l7_tls_pq_two_records(void **state)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	struct l7_result r;
	size_t n, rec1, i;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sni = "www.google.com";
	o.ks_len = 1216;
	o.nrec = 2;
	for (o.pad_len = 0; o.pad_len <= 1000; o.pad_len += 7) {
		n = build_hello(b, &o, NULL);
		if (n < 1500 || n > 2500)
			continue;
		/* The first record alone, then up to each byte after. */
		rec1 = 5 + ((size_t)b[3] << 8 | b[4]);
		assert_true(b[rec1] == 0x16);
		for (i = rec1; i <= rec1 + 5; i++)
			assert_int_equal(parse(b, i, &r), L7_MORE);
		assert_int_equal(parse(b, n, &r), L7_DONE);
		assert_string_equal(r.sni, "www.google.com");
	}
	/* The sweep over one of them in full. */
	o.pad_len = 300;
	n = build_hello(b, &o, NULL);
	sweep(b, n, "www.google.com");
}

/*
 * A ClientHello longer than the parser keeps (16 KiB): the server_name
 * before the cut is found, one after it is not, and both end L7_DONE.
 */
static void
test_l7_tls_oversized_hello(void **state)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	struct l7_result r;
	size_t n;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sni = "big.example";
	o.sni_first = 1;
	o.pad_len = 30000;
	n = build_hello(b, &o, NULL);
	assert_true(n > 30000);
	assert_int_equal(parse(b, n, &r), L7_DONE);
	assert_string_equal(r.sni, "big.example");
	assert_int_equal(parse(b, n - 1, &r), L7_MORE);
	assert_string_equal(r.sni, "big.example");

	o.sni_first = 0;
	o.ks_len = 20000;
	n = build_hello(b, &o, NULL);
	assert_int_equal(parse(b, n, &r), L7_DONE);
	assert_string_equal(r.sni, "");
}

static void
test_l7_tls_sni_text(void **state)
{
	static uint8_t b[HELLO_CAP];
	char name[300];
	struct hello_opt o;
	struct l7_result r;
	size_t n;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sni = "a\001b_c.example";
	n = build_hello(b, &o, NULL);
	assert_int_equal(parse(b, n, &r), L7_DONE);
	assert_string_equal(r.sni, "a?b_c.example");

	/* 255 bytes is the most; 256 and 0 are refused. */
	memset(name, 'a', sizeof(name));
	o.sni = name;
	o.sni_len = 255;
	n = build_hello(b, &o, NULL);
	assert_int_equal(parse(b, n, &r), L7_DONE);
	assert_int_equal(strlen(r.sni), 255);
	o.sni_len = 256;
	n = build_hello(b, &o, NULL);
	assert_int_equal(parse(b, n, &r), L7_INVALID);
	o.sni = "";
	o.sni_len = 0;
	n = build_hello(b, &o, NULL);
	assert_int_equal(parse(b, n, &r), L7_INVALID);
}

static void
test_l7_tls_nomatch(void **state)
{
	static const uint8_t get[] = "GET / HTTP/1.1\r\n";
	static const uint8_t ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static const uint8_t v2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01 };
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x20 };
	static const uint8_t major2[] = { 0x16, 0x02, 0x00 };
	static const uint8_t minor5[] = { 0x16, 0x03, 0x05, 0x00, 0x40 };
	struct l7_result r;

	(void)state;
	assert_int_equal(parse(get, sizeof(get) - 1, &r), L7_NOMATCH);
	assert_int_equal(parse(ssh, sizeof(ssh) - 1, &r), L7_NOMATCH);
	assert_int_equal(parse(v2, sizeof(v2), &r), L7_NOMATCH);
	assert_int_equal(parse(appdata, sizeof(appdata), &r), L7_NOMATCH);
	assert_int_equal(parse(major2, sizeof(major2), &r), L7_NOMATCH);
	assert_int_equal(parse(minor5, sizeof(minor5), &r), L7_NOMATCH);
	assert_int_equal(r.kind, L7_NONE);
	assert_int_equal(parse(minor5, 1, &r), L7_MORE);
	assert_int_equal(parse(minor5, 2, &r), L7_MORE);
	assert_int_equal(parse(NULL, 0, &r), L7_MORE);
}

/* One byte changed (or a length set) in a valid one-record hello. */
static enum l7_res
mutate(size_t at, unsigned v16, int wide)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	struct l7_result r;
	size_t n, i;
	enum l7_res res;

	memset(&o, 0, sizeof(o));
	o.sni = "example.org";
	n = build_hello(b, &o, NULL);
	if (wide)
		put16(b, at, v16);
	else
		b[at] = (uint8_t)v16;
	res = parse(b, n, &r);
	/* No prefix of a broken hello crashes or claims success. */
	for (i = 0; i < n; i++)
		assert_int_not_equal(parse(b, i, &r), L7_DONE);
	return res;
}

static void
test_l7_tls_malformed(void **state)
{
	static uint8_t b[HELLO_CAP];
	struct hello_opt o;
	struct hello_off w;
	struct l7_result r;
	size_t n, ext_len, rec1;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sni = "example.org";
	n = build_hello(b, &o, &w);
	ext_len = (size_t)b[w.ext] << 8 | b[w.ext + 1];

	assert_int_equal(mutate(3, 16384 + 257, 1), L7_INVALID);
	assert_int_equal(mutate(3, 0, 1), L7_INVALID);
	assert_int_equal(mutate(5, 2, 0), L7_INVALID);	/* ServerHello */
	assert_int_equal(mutate(6, 0x01, 0), L7_INVALID); /* 65536+ */
	assert_int_equal(mutate(w.sid, 33, 0), L7_INVALID);
	assert_int_equal(mutate(w.cs, 31, 1), L7_INVALID);
	assert_int_equal(mutate(w.cs, 0, 1), L7_INVALID);
	assert_int_equal(mutate(w.cs, 0xfffe, 1), L7_INVALID);
	assert_int_equal(mutate(w.comp, 0, 0), L7_INVALID);
	assert_int_equal(mutate(w.ext, (unsigned)ext_len + 1, 1), L7_INVALID);
	assert_int_equal(mutate(w.ext, (unsigned)ext_len - 1, 1), L7_INVALID);
	/* The first extension (GREASE, empty) claims more than is left. */
	assert_int_equal(mutate(w.ext + 4, 0xffff, 1), L7_INVALID);
	/* server_name: list length, then the name's length. */
	assert_int_equal(mutate(w.sni - 5, 0, 1), L7_INVALID);
	assert_int_equal(mutate(w.sni - 5, 100, 1), L7_INVALID);
	assert_int_equal(mutate(w.sni - 2, 12, 1), L7_INVALID);
	assert_int_equal(mutate(w.sni - 2, 0, 1), L7_INVALID);

	/* A ServerHello (the wrong direction) is refused from its first
	 * handshake byte. */
	b[5] = 2;
	assert_int_equal(parse(b, 6, &r), L7_INVALID);
	b[5] = 1;
	assert_int_equal(parse(b, n, &r), L7_DONE);

	/* An alert, or a bad version, between two records of a hello. */
	o.nrec = 2;
	n = build_hello(b, &o, NULL);
	rec1 = 5 + ((size_t)b[3] << 8 | b[4]);
	b[rec1] = 0x15;
	assert_int_equal(parse(b, n, &r), L7_INVALID);
	assert_int_equal(parse(b, rec1, &r), L7_MORE);
	b[rec1] = 0x16;
	b[rec1 + 2] = 0x07;
	assert_int_equal(parse(b, n, &r), L7_INVALID);
	b[rec1 + 2] = 0x01;
	b[rec1 + 1] = 0x02;
	assert_int_equal(parse(b, n, &r), L7_INVALID);
	b[rec1 + 1] = 0x03;
	assert_int_equal(parse(b, n, &r), L7_DONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l7_tls_curl_capture),
		cmocka_unit_test(test_l7_tls_truncation_sweep),
		cmocka_unit_test(test_l7_tls_pq_two_segments),
		cmocka_unit_test(test_l7_tls_pq_two_records),
		cmocka_unit_test(test_l7_tls_oversized_hello),
		cmocka_unit_test(test_l7_tls_sni_text),
		cmocka_unit_test(test_l7_tls_nomatch),
		cmocka_unit_test(test_l7_tls_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
