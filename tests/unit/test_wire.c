/*
 * test_wire: the proto/ module, mp_read.c (strict MessagePack readers) and
 * wire.c (BATCH and ACK). Round trips, a sweep over every truncated prefix,
 * hostile headers, wrong types and out-of-range values for every field,
 * encoder overflow, and a cross-check against msgpack-c both ways: its
 * unpacker must read what we encode, and we must read what its packer
 * writes with any integer, string and container width the spec allows.
 * Decoder inputs are heap copies of their exact length, so ASan flags any
 * read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "mp_read.h"
#include "wire.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define A16		"aaaaaaaaaaaaaaaa"
#define A64		A16 A16 A16 A16
#define H16		"hhhhhhhhhhhhhhhh"
#define N16		"nnnnnnnnnnnnnnnn"

/* ------------------------------------------------------------------ */
/* Fixtures                                                             */
/* ------------------------------------------------------------------ */

static const char *const users[] = { NULL, "alice", "", "J\xc3\xbcrgen" };
static const char *const targets[] = { NULL, "db.example:5432" };

/* Values at every MessagePack integer width boundary. */
static const uint64_t edges[] = {
	0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	(uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX,
};

static uint8_t *
dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n > 0 ? n : 1);

	assert_non_null(q);
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

static struct proto_event *
alloc_events(size_t n)
{
	struct proto_event *ev = calloc(n, sizeof(*ev));

	assert_non_null(ev);
	return ev;
}

/* Event i of a deterministic mix: v4/v6, TCP/UDP, UPDATE/CLOSE, strings. */
static void
make_event(struct proto_event *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->af = i % 2 ? 6 : 4;
	e->proto = i % 3 ? 6 : 17;
	e->kind = i % 4 == 3 ? PROTO_EV_CLOSE : PROTO_EV_UPDATE;
	if (e->kind == PROTO_EV_CLOSE) {
		e->status = 1 + i % 3;
		e->reason = 1 + i % 7;
	}
	if (e->af == 4) {
		e->cli[0] = 10;
		e->cli[1] = (uint8_t)(i >> 8);
		e->cli[2] = (uint8_t)i;
		e->cli[3] = 1;
		memcpy(e->srv, "\xc0\xa8\x01\x02", 4);
	} else {
		memcpy(e->cli, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0", 14);
		e->cli[14] = (uint8_t)(i >> 8);
		e->cli[15] = (uint8_t)i;
		memset(e->srv, 0xfe, 16);
		e->srv[0] = 0xfd;
	}
	e->cli_port = (uint16_t)(1024 + i * 7919);
	e->srv_port = i % 5 == 0 ? 65535 : 443;
	e->start_ns = 1700000000000000000ULL + (uint64_t)i * 1000;
	e->last_ns = e->start_ns + edges[i % NELEM(edges)] % 1000000;
	e->packets[0] = i;
	e->packets[1] = edges[i % NELEM(edges)];
	e->bytes[0] = (uint64_t)i * 1500;
	e->bytes[1] = edges[(i + 5) % NELEM(edges)];
	e->wire_bytes[0] = (uint64_t)i << 40 | i;
	e->wire_bytes[1] = edges[(i + 11) % NELEM(edges)];
	e->tcp_flags[0] = (uint8_t)i;
	e->tcp_flags[1] = (uint8_t)(i * 7);
	e->user = users[i % NELEM(users)];
	e->user_len = e->user ? (uint32_t)strlen(e->user) : 0;
	e->target = targets[i % NELEM(targets)];
	e->target_len = e->target ? (uint32_t)strlen(e->target) : 0;
}

static void
make_batch(struct proto_batch *b, uint32_t nevents, uint32_t nreasons)
{
	static const char agent[] = "agent-01.example:eu_1";
	static const char host[] = "cap host 1";
	uint32_t i;

	memset(b, 0, sizeof(*b));
	b->agent_id = agent;
	b->agent_len = sizeof(agent) - 1;
	b->host = host;
	b->host_len = sizeof(host) - 1;
	b->boot_id = 0x0123456789abcdefULL;
	b->seq = 42;
	b->floor_seq = 40;
	b->sent_ns = 1700000000123456789ULL;
	b->stats.packets = UINT64_MAX;
	b->stats.kernel_drops = 0x80;
	b->stats.if_drops = 0;
	b->stats.decode_errors = 0x10000;
	b->stats.batches_dropped = 3;
	b->stats.nreasons = nreasons;
	for (i = 0; i < nreasons; i++) {
		snprintf(b->stats.reasons[i].name,
		    sizeof(b->stats.reasons[i].name), "reason_%02u", i);
		b->stats.reasons[i].count = edges[i % NELEM(edges)];
	}
	b->nevents = nevents;
}

/* Encodes with proto/wire.c; returns the first error. */
static int
encode_batch(struct proto_buf *out, const struct proto_batch *b,
    const struct proto_event *ev)
{
	uint32_t i;
	int rc, first;

	first = proto_batch_begin(out, b);
	for (i = 0; i < b->nevents; i++) {
		rc = proto_batch_add_event(out, &ev[i]);
		/* Once over, every later call fails too. */
		if (first == -EMSGSIZE)
			assert_int_equal(rc, -EMSGSIZE);
		if (first == 0)
			first = rc;
	}
	if (first == -EMSGSIZE)
		assert_int_equal(out->overflow, 1);
	return first;
}

static void
assert_same_str(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (a == NULL || b == NULL) {
		assert_true(a == NULL && b == NULL);
		assert_int_equal(alen, 0);
		assert_int_equal(blen, 0);
		return;
	}
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
}

static void
assert_batch_eq(const struct proto_batch *want, const struct proto_batch *got)
{
	uint32_t i;

	assert_same_str(want->agent_id, want->agent_len, got->agent_id,
	    got->agent_len);
	assert_same_str(want->host, want->host_len, got->host, got->host_len);
	assert_int_equal(want->boot_id, got->boot_id);
	assert_int_equal(want->seq, got->seq);
	assert_int_equal(want->floor_seq, got->floor_seq);
	assert_int_equal(want->sent_ns, got->sent_ns);
	assert_int_equal(want->boot_ns, got->boot_ns);
	assert_int_equal(want->clock_ns, got->clock_ns);
	assert_int_equal(want->stats.packets, got->stats.packets);
	assert_int_equal(want->stats.kernel_drops, got->stats.kernel_drops);
	assert_int_equal(want->stats.if_drops, got->stats.if_drops);
	assert_int_equal(want->stats.decode_errors, got->stats.decode_errors);
	assert_int_equal(want->stats.batches_dropped,
	    got->stats.batches_dropped);
	assert_int_equal(want->stats.nreasons, got->stats.nreasons);
	for (i = 0; i < want->stats.nreasons; i++) {
		assert_string_equal(want->stats.reasons[i].name,
		    got->stats.reasons[i].name);
		assert_int_equal(want->stats.reasons[i].count,
		    got->stats.reasons[i].count);
	}
	assert_int_equal(want->stats.nenrich, got->stats.nenrich);
	for (i = 0; i < want->stats.nenrich; i++) {
		assert_string_equal(want->stats.enrich[i].name,
		    got->stats.enrich[i].name);
		assert_int_equal(want->stats.enrich[i].count,
		    got->stats.enrich[i].count);
	}
	assert_int_equal(want->stats.nprocess, got->stats.nprocess);
	for (i = 0; i < want->stats.nprocess; i++) {
		assert_string_equal(want->stats.process[i].name,
		    got->stats.process[i].name);
		assert_int_equal(want->stats.process[i].count,
		    got->stats.process[i].count);
	}
	assert_int_equal(want->nevents, got->nevents);
}

static void
assert_event_eq(const struct proto_event *want, const struct proto_event *got)
{
	size_t alen = want->af == 4 ? 4 : 16;

	assert_int_equal(want->kind, got->kind);
	assert_int_equal(want->af, got->af);
	assert_int_equal(want->proto, got->proto);
	assert_int_equal(want->status, got->status);
	assert_int_equal(want->reason, got->reason);
	assert_memory_equal(want->cli, got->cli, alen);
	assert_memory_equal(want->srv, got->srv, alen);
	if (alen == 4) {
		/* The decoder zeroes what an IPv4 address leaves unused. */
		static const uint8_t zero[12];

		assert_memory_equal(got->cli + 4, zero, 12);
		assert_memory_equal(got->srv + 4, zero, 12);
	}
	assert_int_equal(want->cli_port, got->cli_port);
	assert_int_equal(want->srv_port, got->srv_port);
	assert_int_equal(want->start_ns, got->start_ns);
	assert_int_equal(want->last_ns, got->last_ns);
	assert_int_equal(want->packets[0], got->packets[0]);
	assert_int_equal(want->packets[1], got->packets[1]);
	assert_int_equal(want->bytes[0], got->bytes[0]);
	assert_int_equal(want->bytes[1], got->bytes[1]);
	assert_int_equal(want->wire_bytes[0], got->wire_bytes[0]);
	assert_int_equal(want->wire_bytes[1], got->wire_bytes[1]);
	assert_int_equal(want->tcp_flags[0], got->tcp_flags[0]);
	assert_int_equal(want->tcp_flags[1], got->tcp_flags[1]);
	assert_same_str(want->user, want->user_len, got->user, got->user_len);
	assert_same_str(want->target, want->target_len, got->target,
	    got->target_len);
	assert_same_str(want->origin, want->origin_len, got->origin,
	    got->origin_len);
	assert_int_equal(want->leg, got->leg);
	assert_int_equal(want->peer_hash, got->peer_hash);
	assert_int_equal(want->peer_start, got->peer_start);
	assert_int_equal(want->end_ns, got->end_ns);
}

/* A decoded string must point into the message it came from. */
static void
assert_inside(const void *s, uint32_t len, const uint8_t *buf, size_t n)
{
	const uint8_t *p = s;

	if (s == NULL)
		return;
	assert_true(p >= buf && len <= n && (size_t)(p - buf) <= n - len);
}

/*
 * Decodes msg (copied to an exact-size buffer) and compares it with the
 * batch and events it should hold.
 */
static void
decode_expect(const uint8_t *msg, size_t n, size_t max_msg,
    const struct proto_batch *want, const struct proto_event *wev)
{
	struct proto_batch got;
	struct proto_event *gev = alloc_events(PROTO_MAX_EVENTS);
	const char *why = NULL;
	uint8_t *buf = dup_exact(msg, n);
	uint32_t i;
	int rc;

	memset(&got, 0xa5, sizeof(got));
	rc = proto_batch_decode(buf, n, max_msg, &got, gev, &why);
	if (rc != 0)
		fail_msg("decode: %d (%s)", rc, why ? why : "?");
	assert_batch_eq(want, &got);
	assert_inside(got.agent_id, got.agent_len, buf, n);
	assert_inside(got.host, got.host_len, buf, n);
	for (i = 0; i < want->nevents; i++) {
		assert_event_eq(&wev[i], &gev[i]);
		assert_inside(gev[i].user, gev[i].user_len, buf, n);
		assert_inside(gev[i].target, gev[i].target_len, buf, n);
	}
	assert_int_equal(proto_msg_type(buf, n), PROTO_MSG_BATCH);
	free(buf);
	free(gev);
}

static void
roundtrip(const struct proto_batch *b, const struct proto_event *ev)
{
	struct proto_buf out;

	proto_buf_init(&out, PROTO_MAX_MSG_LIMIT);
	assert_int_equal(encode_batch(&out, b, ev), 0);
	assert_true(out.len <= out.cap && out.cap <= out.max);
	decode_expect(out.data, out.len, PROTO_MAX_MSG_LIMIT, b, ev);
	proto_buf_free(&out);
}

/* Encodes the standard small batch used by the sweeps (8 events). */
static void
encode_small(struct proto_buf *out, struct proto_batch *b,
    struct proto_event *ev, uint32_t nev)
{
	uint32_t i;

	make_batch(b, nev, 3);
	for (i = 0; i < nev; i++)
		make_event(&ev[i], i);
	proto_buf_init(out, PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(encode_batch(out, b, ev), 0);
}

static int
decode_batch_bytes(const uint8_t *msg, size_t n, const char **why)
{
	static struct proto_event ev[PROTO_MAX_EVENTS];
	struct proto_batch b;
	uint8_t *buf = dup_exact(msg, n);
	int rc;

	*why = NULL;
	rc = proto_batch_decode(buf, n, PROTO_MAX_MSG_DEFAULT, &b, ev, why);
	free(buf);
	return rc;
}

static int
decode_ack_bytes(const uint8_t *msg, size_t n, struct proto_ack *a)
{
	uint8_t *buf = dup_exact(msg, n);
	int rc;

	rc = proto_ack_decode(buf, n, a);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* A message builder over msgpack-c's packer, with knobs for width and  */
/* for replacing any one field with something else.                    */
/* ------------------------------------------------------------------ */

enum width {
	W_MIN,		/* msgpack-c's choice: the shortest form */
	W_U64,		/* every uint as uint64, str/bin/array/map as 32 */
	W_I64,		/* every uint as int64 (uint64 above INT64_MAX) */
	W_CYCLE,	/* every form that can hold the value, in turn */
};

enum fld {
	F_NONE,
	F_MSG, F_VERSION, F_TYPE,
	F_AGENT, F_HOST, F_BOOT, F_SEQ, F_FLOOR, F_SENT,
	F_STATS, F_ST_PACKETS, F_ST_KDROPS, F_ST_IFDROPS, F_ST_DECERR,
	F_ST_BDROPS, F_ST_REASONS, F_RS_NAME, F_RS_COUNT,
	F_EVENTS,
	F_EV, F_EV_KIND, F_EV_AF, F_EV_PROTO, F_EV_CLI, F_EV_CLI_PORT,
	F_EV_SRV, F_EV_SRV_PORT, F_EV_START, F_EV_LAST, F_EV_PKTS0,
	F_EV_PKTS1, F_EV_BYTES0, F_EV_BYTES1, F_EV_WIRE0, F_EV_WIRE1,
	F_EV_FLAGS0, F_EV_FLAGS1, F_EV_STATUS, F_EV_REASON, F_EV_USER,
	F_EV_TARGET,
	F_ACK_STATUS, F_ACK_REASON,
};

enum ovk {
	/* Values of the wrong type for most fields. */
	OV_NIL, OV_TRUE, OV_FALSE, OV_NEGFIX, OV_INT8_NEG, OV_INT64_MIN,
	OV_FLOAT32, OV_FLOAT64, OV_STR, OV_BIN, OV_ARRAY, OV_MAP, OV_FIXEXT,
	OV_EXT8, OV_NEVER,
	OV_NWRONG,
	OV_UINT = OV_NWRONG,	/* a uint u instead */
	OV_COUNT,		/* container header claims u, body unchanged */
	OV_EXTRA,		/* container holds one element more */
	OV_RAW,			/* the bytes s[0..n) instead */
	OV_STRVAL,		/* the string s[0..n) instead */
	OV_BINVAL,		/* the binary s[0..n) instead */
};

struct ovr {
	enum fld	 f;
	enum ovk	 k;
	uint64_t	 u;
	const void	*s;
	size_t		 n;
	uint32_t	 at;	/* event or reason index */
};

struct bld {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	enum width	 w;
	unsigned	 turn;
	const struct ovr *ov;
	uint32_t	 at;
};

static void
bld_init(struct bld *b, enum width w, const struct ovr *ov)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	b->w = w;
	b->turn = 0;
	b->ov = ov;
	b->at = 0;
}

static void
bld_free(struct bld *b)
{
	msgpack_sbuffer_destroy(&b->sb);
}

static void
raw(struct bld *b, const void *p, size_t n)
{
	assert_int_equal(msgpack_sbuffer_write(&b->sb, p, n), 0);
}

static int
indexed(enum fld f)
{
	return f == F_RS_NAME || f == F_RS_COUNT ||
	    (f >= F_EV && f <= F_EV_TARGET);
}

static int
match(const struct bld *b, enum fld f)
{
	return b->ov != NULL && b->ov->f == f &&
	    (!indexed(f) || b->ov->at == b->at);
}

/* A header of type byte t (or fix form fixbase | n) with the given width. */
static void
hdr(struct bld *b, uint8_t fixbase, uint8_t fixmax, uint8_t t8,
    uint8_t t16, uint8_t t32, size_t n)
{
	uint8_t h[5];
	unsigned form;

	if (b->w == W_MIN) {
		form = n <= fixmax && fixbase != 0 ? 0 :
		    n <= 0xff && t8 != 0 ? 1 : n <= 0xffff ? 2 : 3;
	} else if (b->w == W_CYCLE) {
		for (;;) {
			form = b->turn++ % 4;
			if ((form == 0 && fixbase != 0 && n <= fixmax) ||
			    (form == 1 && t8 != 0 && n <= 0xff) ||
			    (form == 2 && n <= 0xffff) || form == 3)
				break;
		}
	} else
		form = 3;
	switch (form) {
	case 0:
		h[0] = (uint8_t)(fixbase | n);
		raw(b, h, 1);
		break;
	case 1:
		h[0] = t8;
		h[1] = (uint8_t)n;
		raw(b, h, 2);
		break;
	case 2:
		h[0] = t16;
		h[1] = (uint8_t)(n >> 8);
		h[2] = (uint8_t)n;
		raw(b, h, 3);
		break;
	default:
		h[0] = t32;
		h[1] = (uint8_t)(n >> 24);
		h[2] = (uint8_t)(n >> 16);
		h[3] = (uint8_t)(n >> 8);
		h[4] = (uint8_t)n;
		raw(b, h, 5);
		break;
	}
}

static void
put_uint_w(struct bld *b, uint64_t v)
{
	msgpack_packer *pk = &b->pk;
	uint8_t fix;

	switch (b->w) {
	case W_MIN:
		msgpack_pack_uint64(pk, v);
		return;
	case W_U64:
		msgpack_pack_fix_uint64(pk, v);
		return;
	case W_I64:
		if (v <= INT64_MAX)
			msgpack_pack_fix_int64(pk, (int64_t)v);
		else
			msgpack_pack_fix_uint64(pk, v);
		return;
	case W_CYCLE:
		break;
	}
	for (;;) {
		switch (b->turn++ % 9) {
		case 0:
			if (v > 0x7f)
				continue;
			fix = (uint8_t)v;
			raw(b, &fix, 1);
			return;
		case 1:
			if (v > UINT8_MAX)
				continue;
			msgpack_pack_fix_uint8(pk, (uint8_t)v);
			return;
		case 2:
			if (v > UINT16_MAX)
				continue;
			msgpack_pack_fix_uint16(pk, (uint16_t)v);
			return;
		case 3:
			if (v > UINT32_MAX)
				continue;
			msgpack_pack_fix_uint32(pk, (uint32_t)v);
			return;
		case 4:
			msgpack_pack_fix_uint64(pk, v);
			return;
		case 5:
			if (v > INT8_MAX)
				continue;
			msgpack_pack_fix_int8(pk, (int8_t)v);
			return;
		case 6:
			if (v > INT16_MAX)
				continue;
			msgpack_pack_fix_int16(pk, (int16_t)v);
			return;
		case 7:
			if (v > INT32_MAX)
				continue;
			msgpack_pack_fix_int32(pk, (int32_t)v);
			return;
		default:
			if (v > INT64_MAX)
				continue;
			msgpack_pack_fix_int64(pk, (int64_t)v);
			return;
		}
	}
}

static void
put_str_w(struct bld *b, const void *s, size_t n)
{
	if (b->w == W_MIN)
		msgpack_pack_str(&b->pk, n);
	else
		hdr(b, 0xa0, 31, 0xd9, 0xda, 0xdb, n);
	raw(b, s, n);
}

static void
put_bin_w(struct bld *b, const void *s, size_t n)
{
	if (b->w == W_MIN)
		msgpack_pack_bin(&b->pk, n);
	else
		hdr(b, 0, 0, 0xc4, 0xc5, 0xc6, n);
	raw(b, s, n);
}

/* Emits the override for f, if any; returns nonzero if it did. */
static int
put_override(struct bld *b, enum fld f)
{
	static const uint8_t negfix = 0xff, never = 0xc1;
	static const uint8_t fixext[] = { 0xd4, 0x01, 0x00 };
	static const uint8_t ext8[] = { 0xc7, 0x01, 0x05, 0x00 };
	msgpack_packer *pk = &b->pk;

	if (!match(b, f))
		return 0;
	switch (b->ov->k) {
	case OV_NIL:
		msgpack_pack_nil(pk);
		break;
	case OV_TRUE:
		msgpack_pack_true(pk);
		break;
	case OV_FALSE:
		msgpack_pack_false(pk);
		break;
	case OV_NEGFIX:
		raw(b, &negfix, 1);
		break;
	case OV_INT8_NEG:
		msgpack_pack_fix_int8(pk, -1);
		break;
	case OV_INT64_MIN:
		msgpack_pack_fix_int64(pk, INT64_MIN);
		break;
	case OV_FLOAT32:
		msgpack_pack_float(pk, 1.0f);
		break;
	case OV_FLOAT64:
		msgpack_pack_double(pk, 1.0);
		break;
	case OV_STR:
		msgpack_pack_str_with_body(pk, "1", 1);
		break;
	case OV_BIN:
		msgpack_pack_bin_with_body(pk, "\x01", 1);
		break;
	case OV_ARRAY:
		msgpack_pack_array(pk, 1);
		msgpack_pack_uint8(pk, 1);
		break;
	case OV_MAP:
		msgpack_pack_map(pk, 1);
		msgpack_pack_uint8(pk, 1);
		msgpack_pack_uint8(pk, 1);
		break;
	case OV_FIXEXT:
		raw(b, fixext, sizeof(fixext));
		break;
	case OV_EXT8:
		raw(b, ext8, sizeof(ext8));
		break;
	case OV_NEVER:
		raw(b, &never, 1);
		break;
	case OV_UINT:
		msgpack_pack_uint64(pk, b->ov->u);
		break;
	case OV_RAW:
		raw(b, b->ov->s, b->ov->n);
		break;
	case OV_STRVAL:
		msgpack_pack_str_with_body(pk, b->ov->s, b->ov->n);
		break;
	case OV_BINVAL:
		msgpack_pack_bin_with_body(pk, b->ov->s, b->ov->n);
		break;
	case OV_COUNT:
	case OV_EXTRA:
		return 0;
	}
	return 1;
}

static void
put_uint(struct bld *b, enum fld f, uint64_t v)
{
	if (!put_override(b, f))
		put_uint_w(b, v);
}

static void
put_str(struct bld *b, enum fld f, const char *s, size_t n)
{
	if (put_override(b, f))
		return;
	if (s == NULL)
		msgpack_pack_nil(&b->pk);
	else
		put_str_w(b, s, n);
}

static void
put_bin(struct bld *b, enum fld f, const uint8_t *s, size_t n)
{
	if (!put_override(b, f))
		put_bin_w(b, s, n);
}

/* Container header; returns nonzero if its body is to follow. */
static int
put_container(struct bld *b, enum fld f, size_t n, int is_map)
{
	if (put_override(b, f))
		return 0;
	if (match(b, f) && b->ov->k == OV_COUNT)
		n = (size_t)b->ov->u;
	else if (match(b, f) && b->ov->k == OV_EXTRA)
		n++;
	if (is_map)
		hdr(b, 0x80, 15, 0, 0xde, 0xdf, n);
	else
		hdr(b, 0x90, 15, 0, 0xdc, 0xdd, n);
	return 1;
}

static void
put_container_end(struct bld *b, enum fld f, int is_map)
{
	if (!match(b, f) || b->ov->k != OV_EXTRA)
		return;
	if (is_map)
		put_str_w(b, "extra", 5);
	put_uint_w(b, 0);
}

static void
build_event(struct bld *b, const struct proto_event *e)
{
	size_t alen = e->af == 4 ? 4 : 16;

	if (!put_container(b, F_EV, 21, 0))
		return;
	put_uint(b, F_EV_KIND, e->kind);
	put_uint(b, F_EV_AF, e->af);
	put_uint(b, F_EV_PROTO, e->proto);
	put_bin(b, F_EV_CLI, e->cli, alen);
	put_uint(b, F_EV_CLI_PORT, e->cli_port);
	put_bin(b, F_EV_SRV, e->srv, alen);
	put_uint(b, F_EV_SRV_PORT, e->srv_port);
	put_uint(b, F_EV_START, e->start_ns);
	put_uint(b, F_EV_LAST, e->last_ns);
	put_uint(b, F_EV_PKTS0, e->packets[0]);
	put_uint(b, F_EV_PKTS1, e->packets[1]);
	put_uint(b, F_EV_BYTES0, e->bytes[0]);
	put_uint(b, F_EV_BYTES1, e->bytes[1]);
	put_uint(b, F_EV_WIRE0, e->wire_bytes[0]);
	put_uint(b, F_EV_WIRE1, e->wire_bytes[1]);
	put_uint(b, F_EV_FLAGS0, e->tcp_flags[0]);
	put_uint(b, F_EV_FLAGS1, e->tcp_flags[1]);
	put_uint(b, F_EV_STATUS, e->status);
	put_uint(b, F_EV_REASON, e->reason);
	put_str(b, F_EV_USER, e->user, e->user_len);
	put_str(b, F_EV_TARGET, e->target, e->target_len);
	put_container_end(b, F_EV, 0);
}

static void
build_batch(struct bld *b, const struct proto_batch *pb,
    const struct proto_event *ev)
{
	const struct proto_capstats *st = &pb->stats;
	uint32_t i;

	if (!put_container(b, F_MSG, 10, 0))
		return;
	put_uint(b, F_VERSION, PROTO_VERSION);
	put_uint(b, F_TYPE, PROTO_MSG_BATCH);
	put_str(b, F_AGENT, pb->agent_id, pb->agent_len);
	put_str(b, F_HOST, pb->host, pb->host_len);
	put_uint(b, F_BOOT, pb->boot_id);
	put_uint(b, F_SEQ, pb->seq);
	/* wire.c writes floor_seq as a fixed uint64, to rewrite it in
	 * place (proto_batch_set_floor); W_MIN matches it byte for byte. */
	if (b->w != W_MIN)
		put_uint(b, F_FLOOR, pb->floor_seq);
	else if (!put_override(b, F_FLOOR))
		msgpack_pack_fix_uint64(&b->pk, pb->floor_seq);
	put_uint(b, F_SENT, pb->sent_ns);
	if (put_container(b, F_STATS, 6, 0)) {
		put_uint(b, F_ST_PACKETS, st->packets);
		put_uint(b, F_ST_KDROPS, st->kernel_drops);
		put_uint(b, F_ST_IFDROPS, st->if_drops);
		put_uint(b, F_ST_DECERR, st->decode_errors);
		/* Also fixed width (proto_batch_set_dropped). */
		if (b->w != W_MIN)
			put_uint(b, F_ST_BDROPS, st->batches_dropped);
		else if (!put_override(b, F_ST_BDROPS))
			msgpack_pack_fix_uint64(&b->pk, st->batches_dropped);
		if (put_container(b, F_ST_REASONS, st->nreasons, 1)) {
			for (i = 0; i < st->nreasons; i++) {
				b->at = i;
				put_str(b, F_RS_NAME, st->reasons[i].name,
				    strlen(st->reasons[i].name));
				put_uint(b, F_RS_COUNT, st->reasons[i].count);
			}
			put_container_end(b, F_ST_REASONS, 1);
		}
		put_container_end(b, F_STATS, 0);
	}
	if (put_container(b, F_EVENTS, pb->nevents, 0)) {
		for (i = 0; i < pb->nevents; i++) {
			b->at = i;
			build_event(b, &ev[i]);
		}
		put_container_end(b, F_EVENTS, 0);
	}
	put_container_end(b, F_MSG, 0);
}

static void
build_ack(struct bld *b, const struct proto_ack *a)
{
	if (!put_container(b, F_MSG, 6, 0))
		return;
	put_uint(b, F_VERSION, PROTO_VERSION);
	put_uint(b, F_TYPE, PROTO_MSG_ACK);
	put_uint(b, F_BOOT, a->boot_id);
	put_uint(b, F_SEQ, a->seq);
	put_uint(b, F_ACK_STATUS, a->status);
	put_str(b, F_ACK_REASON, a->reason, strlen(a->reason));
	put_container_end(b, F_MSG, 0);
}

/* The fixture for hostile tests: 3 reasons; events UPDATE v4, UPDATE v6,
 * CLOSE v6 (make_event 0, 1, 3). */
static void
hostile_fixture(struct proto_batch *b, struct proto_event ev[3])
{
	make_batch(b, 3, 3);
	make_event(&ev[0], 0);
	make_event(&ev[1], 1);
	make_event(&ev[2], 3);
}

/* Builds the fixture with override ov and expects rc, with why naming
 * the field when want_why is given. */
static void
expect_batch(const struct ovr *ov, enum width w, int want_rc,
    const char *want_why)
{
	struct proto_batch b;
	struct proto_event ev[3];
	struct bld bl;
	const char *why;
	int rc;

	hostile_fixture(&b, ev);
	bld_init(&bl, w, ov);
	build_batch(&bl, &b, ev);
	rc = decode_batch_bytes((const uint8_t *)bl.sb.data, bl.sb.size, &why);
	if (rc != want_rc)
		fail_msg("field %d kind %d u %llu at %u: rc %d (%s), want %d",
		    ov ? (int)ov->f : -1, ov ? (int)ov->k : -1,
		    ov ? (unsigned long long)ov->u : 0ULL, ov ? ov->at : 0,
		    rc, why ? why : "-", want_rc);
	if (want_rc != 0) {
		assert_non_null(why);
		if (want_why != NULL && strstr(why, want_why) == NULL)
			fail_msg("field %d kind %d: why '%s', want '%s'",
			    (int)ov->f, (int)ov->k, why, want_why);
	}
	bld_free(&bl);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                          */
/* ------------------------------------------------------------------ */

static void
test_wire_batch_roundtrip_empty(void **state)
{
	struct proto_batch b;

	(void)state;
	make_batch(&b, 0, 0);
	b.host = "";
	b.host_len = 0;
	roundtrip(&b, NULL);
}

static void
test_wire_batch_roundtrip_one(void **state)
{
	struct proto_batch b;
	struct proto_event ev[1];

	(void)state;
	make_batch(&b, 1, 1);
	make_event(&ev[0], 0);
	assert_int_equal(ev[0].af, 4);
	assert_null(ev[0].user);
	roundtrip(&b, ev);
	/* The same event as IPv6 with both strings. */
	make_event(&ev[0], 1);
	ev[0].user = "bob";
	ev[0].user_len = 3;
	ev[0].target = "x";
	ev[0].target_len = 1;
	roundtrip(&b, ev);
}

/*
 * The batch's trailing elements, after the last event (or the header when
 * there is none): boot_ns (the agent's start), then clock_ns (its packet
 * clock at its last complete report), each written only as far as the
 * last one present (10, 11 or 12 elements) and read back; older batches
 * of 10 or 11 still decode, with 0. The encoder refuses clock_ns without
 * boot_ns, the decoder a clock_ns of 0.
 */
static void
test_wire_batch_trailer(void **state)
{
	static const struct {
		uint64_t	boot_ns, clock_ns;
		uint8_t		fields;
	} cases[] = {
		{ 1700000000987654321ULL, 1600000000123456789ULL, 12 },
		{ 1700000000987654321ULL, 1, 12 },
		{ 1700000000987654321ULL, 0, 11 },
		{ 0, 0, 10 },
	};
	struct proto_batch b;
	struct proto_event ev[3];
	struct proto_buf out;
	const char *why = NULL;
	uint32_t n;
	size_t i;

	(void)state;
	for (n = 0; n <= 3; n += 3)
	for (i = 0; i < NELEM(cases); i++) {
		make_batch(&b, n, 1);
		make_event(&ev[0], 0);
		make_event(&ev[1], 1);
		make_event(&ev[2], 3);
		b.boot_ns = cases[i].boot_ns;
		b.clock_ns = cases[i].clock_ns;
		roundtrip(&b, ev);
		proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
		assert_int_equal(encode_batch(&out, &b, ev), 0);
		assert_int_equal(out.data[0], 0x90 | cases[i].fields);
		if (b.clock_ns == 1) {
			/* One byte on the wire; as 0 it is refused. */
			assert_int_equal(out.data[out.len - 1], 0x01);
			out.data[out.len - 1] = 0x00;
			assert_int_equal(decode_batch_bytes(out.data, out.len,
			    &why), -EBADMSG);
			assert_string_equal(why, "clock_ns");
		}
		proto_buf_free(&out);
		if (b.clock_ns != 0) {
			b.boot_ns = 0;
			proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
			assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
			assert_int_equal(out.len, 0);
			proto_buf_free(&out);
		}
	}
}

/*
 * The trailing fields (origin, link, end_ns) each alone and together: the
 * encoder writes only as many as the last one present needs, and every
 * combination reads back the same.
 */
static void
test_wire_batch_trailing_fields(void **state)
{
	struct proto_batch b;
	struct proto_event ev[1];
	struct proto_buf out;
	int origin, leg, amend;

	(void)state;
	make_batch(&b, 1, 0);
	for (origin = 0; origin < 2; origin++)
	for (leg = 0; leg < 3; leg++)
	for (amend = 0; amend < 2; amend++) {
		make_event(&ev[0], 2);
		ev[0].origin = origin ? "[2001:db8::1]:65535" : NULL;
		ev[0].origin_len = origin ? 19 : 0;
		ev[0].leg = (uint8_t)leg;
		ev[0].peer_hash = leg ? 0xfedcba9876543210ULL : 0;
		ev[0].peer_start = leg ? 1700000000123456789ULL : 0;
		if (amend) {
			ev[0].kind = PROTO_EV_AMEND;
			ev[0].end_ns = ev[0].start_ns + 5;
		}
		roundtrip(&b, ev);
	}
	/* What the encoder refuses to write. */
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	make_event(&ev[0], 2);
	ev[0].leg = 3;
	assert_int_equal(encode_batch(&out, &b, ev), -EINVAL);
	ev[0].leg = 0;
	ev[0].kind = 4;
	assert_int_equal(encode_batch(&out, &b, ev), -EINVAL);
	proto_buf_free(&out);
}

static void
test_wire_batch_roundtrip_many(void **state)
{
	struct proto_batch b;
	struct proto_event *ev = alloc_events(1000);
	uint32_t i;

	(void)state;
	make_batch(&b, 1000, PROTO_MAX_REASONS);
	for (i = 0; i < 1000; i++)
		make_event(&ev[i], i);
	roundtrip(&b, ev);
	free(ev);
}

static void
test_wire_batch_roundtrip_max_events(void **state)
{
	struct proto_batch b;
	struct proto_event *ev = alloc_events(PROTO_MAX_EVENTS + 1);
	struct proto_buf out;
	struct bld bl;
	const char *why;
	uint32_t i;

	(void)state;
	make_batch(&b, PROTO_MAX_EVENTS, 2);
	for (i = 0; i < PROTO_MAX_EVENTS + 1; i++)
		make_event(&ev[i], i);
	roundtrip(&b, ev);

	/* Above the default size cap it is refused before parsing. */
	proto_buf_init(&out, PROTO_MAX_MSG_LIMIT);
	assert_int_equal(encode_batch(&out, &b, ev), 0);
	assert_true(out.len > PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(decode_batch_bytes(out.data, out.len, &why),
	    -EMSGSIZE);
	proto_buf_free(&out);

	/* One event more than the cap: the encoder refuses, and a message
	 * built by hand is rejected at the count. */
	b.nevents = PROTO_MAX_EVENTS + 1;
	proto_buf_init(&out, PROTO_MAX_MSG_LIMIT);
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	assert_int_equal(out.len, 0);
	proto_buf_free(&out);
	for (i = 0; i < PROTO_MAX_EVENTS + 1; i++) {
		/* Small values, to stay under the default size cap. */
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].kind = PROTO_EV_UPDATE;
		ev[i].af = 4;
		ev[i].proto = 6;
	}
	bld_init(&bl, W_MIN, NULL);
	build_batch(&bl, &b, ev);
	assert_true(bl.sb.size < PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(decode_batch_bytes((const uint8_t *)bl.sb.data,
	    bl.sb.size, &why), -EBADMSG);
	assert_string_equal(why, "events");
	bld_free(&bl);
	free(ev);
}

/* Limits that must still be accepted, one at a time. */
static void
test_wire_batch_boundaries(void **state)
{
	static const char id64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
	struct proto_batch b;
	struct proto_event ev[2];
	char host[65], user[256], name[32];

	(void)state;
	memset(host, 'h', 64);
	host[64] = '\0';
	memset(user, 0xc3, 255);	/* high bytes are not controls */
	user[255] = '\0';
	memset(name, 'n', 31);
	name[31] = '\0';
	assert_int_equal(strlen(id64), 66);

	make_batch(&b, 2, 1);
	make_event(&ev[0], 0);
	make_event(&ev[1], 3);	/* CLOSE */
	b.agent_id = id64;
	b.agent_len = PROTO_MAX_ID;
	b.host = host;
	b.host_len = PROTO_MAX_ID;
	b.seq = b.floor_seq = UINT64_MAX;
	memcpy(b.stats.reasons[0].name, name, sizeof(name));
	ev[0].cli_port = ev[0].srv_port = 65535;
	ev[0].tcp_flags[0] = ev[0].tcp_flags[1] = 255;
	ev[0].last_ns = ev[0].start_ns = UINT64_MAX;
	ev[0].user = user;
	ev[0].user_len = PROTO_MAX_STR;
	ev[0].target = "";
	ev[0].target_len = 0;
	ev[1].status = 3;
	ev[1].reason = 7;
	ev[1].target = user;
	ev[1].target_len = PROTO_MAX_STR;
	roundtrip(&b, ev);

	b.agent_id = "a";
	b.agent_len = 1;
	b.seq = b.floor_seq = 1;
	ev[1].status = 1;
	ev[1].reason = 1;
	ev[1].cli_port = ev[1].srv_port = 0;
	roundtrip(&b, ev);
}

static void
test_wire_ack_roundtrip(void **state)
{
	static const uint8_t status[] = { PROTO_ACK_OK, PROTO_ACK_REJECTED,
	    PROTO_ACK_RESEND };
	struct proto_ack a, got;
	struct proto_buf out;
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(status); i++) {
		for (j = 0; j < 3; j++) {
			memset(&a, 0, sizeof(a));
			a.boot_id = edges[(i * 3 + j) % NELEM(edges)];
			a.seq = edges[(i * 5 + j + 3) % NELEM(edges)];
			a.status = status[i];
			if (j == 1)
				strcpy(a.reason, "event.af");
			else if (j == 2)
				memset(a.reason, 'r', sizeof(a.reason) - 1);
			proto_buf_init(&out, 4096);
			assert_int_equal(proto_ack_encode(&out, &a), 0);
			assert_int_equal(proto_msg_type(out.data, out.len),
			    PROTO_MSG_ACK);
			memset(&got, 0xa5, sizeof(got));
			assert_int_equal(decode_ack_bytes(out.data, out.len,
			    &got), 0);
			assert_int_equal(got.boot_id, a.boot_id);
			assert_int_equal(got.seq, a.seq);
			assert_int_equal(got.status, a.status);
			assert_string_equal(got.reason, a.reason);
			proto_buf_free(&out);
		}
	}
}

/* The buffer is reused: reset empties it, and the bytes come out equal. */
static void
test_wire_buf_reset_reuse(void **state)
{
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out, again;

	(void)state;
	encode_small(&out, &b, ev, 8);
	proto_buf_init(&again, PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(encode_batch(&again, &b, ev), 0);
	proto_buf_reset(&again);
	assert_int_equal(again.len, 0);
	assert_int_equal(encode_batch(&again, &b, ev), 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);
	proto_buf_free(&again);
	proto_buf_free(&out);
	/* Freeing an unused or freed buffer is fine. */
	proto_buf_init(&again, 10);
	proto_buf_free(&again);
	proto_buf_free(&again);
}

/* floor_seq is rewritten in place before a resend, and only in a batch. */
static void
test_wire_batch_set_floor(void **state)
{
	struct proto_batch b, want;
	struct proto_event ev[8];
	struct proto_buf out;
	struct proto_ack a, got;
	const char *why;
	size_t len;

	(void)state;
	encode_small(&out, &b, ev, 8);
	len = out.len;
	want = b;
	want.floor_seq = 41;
	proto_batch_set_floor(&out, 41);
	assert_int_equal(out.len, len);
	decode_expect(out.data, out.len, PROTO_MAX_MSG_DEFAULT, &want, ev);
	want.floor_seq = 42;
	proto_batch_set_floor(&out, 42);
	decode_expect(out.data, out.len, PROTO_MAX_MSG_DEFAULT, &want, ev);
	/* It does not check the rules: the decoder does. */
	proto_batch_set_floor(&out, 43);
	assert_int_equal(decode_batch_bytes(out.data, out.len, &why),
	    -EBADMSG);
	assert_string_equal(why, "floor_seq");

	/*
	 * After a reset the buffer holds an ACK whose reason is all 0xcf,
	 * the byte set_floor looks for at the old offset: nothing changes.
	 */
	proto_buf_reset(&out);
	memset(&a, 0, sizeof(a));
	memset(a.reason, 0xcf, sizeof(a.reason) - 1);
	assert_int_equal(proto_ack_encode(&out, &a), 0);
	proto_batch_set_floor(&out, 0x0102030405060708ULL);
	assert_int_equal(decode_ack_bytes(out.data, out.len, &got), 0);
	assert_string_equal(got.reason, a.reason);
	proto_buf_free(&out);

	/* A buffer never written, or one that overflowed: no effect. */
	proto_buf_init(&out, 20);
	proto_batch_set_floor(&out, 1);
	assert_int_equal(proto_batch_begin(&out, &b), -EMSGSIZE);
	proto_batch_set_floor(&out, 1);
	assert_true(out.len <= 20);
	proto_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* Truncation and corruption                                            */
/* ------------------------------------------------------------------ */

static void
test_wire_batch_truncation_sweep(void **state)
{
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out;
	const char *why;
	size_t k;
	int rc;

	(void)state;
	encode_small(&out, &b, ev, 8);
	for (k = 0; k < out.len; k++) {
		rc = decode_batch_bytes(out.data, k, &why);
		if (rc != -EBADMSG)
			fail_msg("prefix %zu of %zu: %d", k, out.len, rc);
		assert_non_null(why);
		/* proto_msg_type only needs the header. */
		rc = proto_msg_type(out.data, k);
		assert_true(rc == -EBADMSG || rc == PROTO_MSG_BATCH);
	}
	assert_int_equal(decode_batch_bytes(out.data, out.len, &why), 0);
	proto_buf_free(&out);

	/* The empty batch too, where the end comes sooner. */
	make_batch(&b, 0, 0);
	proto_buf_init(&out, 4096);
	assert_int_equal(encode_batch(&out, &b, NULL), 0);
	for (k = 0; k < out.len; k++)
		assert_int_equal(decode_batch_bytes(out.data, k, &why),
		    -EBADMSG);
	proto_buf_free(&out);
}

static void
test_wire_ack_truncation_sweep(void **state)
{
	struct proto_ack a, got;
	struct proto_buf out;
	size_t k;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.boot_id = UINT64_MAX;
	a.seq = 1000;
	a.status = PROTO_ACK_REJECTED;
	strcpy(a.reason, "event.af");
	proto_buf_init(&out, 4096);
	assert_int_equal(proto_ack_encode(&out, &a), 0);
	for (k = 0; k < out.len; k++)
		assert_int_equal(decode_ack_bytes(out.data, k, &got),
		    -EBADMSG);
	proto_buf_free(&out);
}

/*
 * Every byte of a message replaced by every value: no crash, no read past
 * the end, and anything that still decodes obeys the rules.
 */
static void
test_wire_batch_byte_mutations(void **state)
{
	static struct proto_event dev[PROTO_MAX_EVENTS];
	struct proto_batch b, got;
	struct proto_event ev[3];
	struct proto_buf out;
	const char *why;
	uint8_t *buf;
	size_t k;
	unsigned v, nok = 0;
	uint32_t i;
	int rc;

	(void)state;
	make_batch(&b, 3, 2);
	for (i = 0; i < 3; i++)
		make_event(&ev[i], i + 1);
	proto_buf_init(&out, 4096);
	assert_int_equal(encode_batch(&out, &b, ev), 0);
	buf = dup_exact(out.data, out.len);
	for (k = 0; k < out.len; k++) {
		for (v = 0; v < 256; v++) {
			if (v == out.data[k])
				continue;
			buf[k] = (uint8_t)v;
			rc = proto_batch_decode(buf, out.len,
			    PROTO_MAX_MSG_DEFAULT, &got, dev, &why);
			assert_true(rc == 0 || rc == -EBADMSG ||
			    rc == -EPROTO);
			if (rc != 0)
				continue;
			nok++;
			assert_true(got.seq >= got.floor_seq &&
			    got.floor_seq >= 1);
			for (i = 0; i < got.nevents; i++) {
				assert_true(dev[i].af == 4 || dev[i].af == 6);
				assert_true(dev[i].last_ns >=
				    dev[i].start_ns);
			}
		}
		buf[k] = out.data[k];
	}
	/* Changing a counter byte keeps it valid: the sweep did reach the
	 * end of the message. */
	assert_true(nok > 0);
	free(buf);
	proto_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* Hostile inputs                                                       */
/* ------------------------------------------------------------------ */

static void
test_wire_huge_claims(void **state)
{
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t arr16[] = { 0xdc, 0xff, 0xff };
	static const uint8_t map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t str32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t bin32[] = { 0xc6, 0xff, 0xff, 0xff, 0xfe, 0 };
	static const uint8_t *const whole[] = { arr32, arr16, map32, str32 };
	static const size_t wlen[] = { sizeof(arr32), sizeof(arr16),
	    sizeof(map32), sizeof(str32) };
	struct proto_ack a;
	struct ovr ov;
	const char *why;
	size_t i;

	(void)state;
	/* As the whole message. */
	for (i = 0; i < NELEM(whole); i++) {
		assert_int_equal(decode_batch_bytes(whole[i], wlen[i], &why),
		    -EBADMSG);
		assert_int_equal(decode_ack_bytes(whole[i], wlen[i], &a),
		    -EBADMSG);
		assert_int_equal(proto_msg_type(whole[i], wlen[i]), -EBADMSG);
	}
	/* In place of each container and string of a valid batch. */
	memset(&ov, 0, sizeof(ov));
	ov.k = OV_RAW;
	ov.s = arr32;
	ov.n = sizeof(arr32);
	ov.f = F_EVENTS;
	expect_batch(&ov, W_MIN, -EBADMSG, "events");
	ov.f = F_STATS;
	expect_batch(&ov, W_MIN, -EBADMSG, "stats");
	ov.f = F_EV;
	ov.at = 1;
	expect_batch(&ov, W_MIN, -EBADMSG, "event");
	ov.s = map32;
	ov.f = F_ST_REASONS;
	expect_batch(&ov, W_MIN, -EBADMSG, "stats.reasons");
	ov.s = str32;
	ov.n = sizeof(str32);
	ov.f = F_AGENT;
	expect_batch(&ov, W_MIN, -EBADMSG, "agent_id");
	ov.f = F_HOST;
	expect_batch(&ov, W_MIN, -EBADMSG, "host");
	ov.f = F_EV_USER;
	expect_batch(&ov, W_MIN, -EBADMSG, "event.user");
	ov.f = F_RS_NAME;
	expect_batch(&ov, W_MIN, -EBADMSG, "stats.reasons name");
	ov.s = bin32;
	ov.n = sizeof(bin32);
	ov.f = F_EV_CLI;
	expect_batch(&ov, W_MIN, -EBADMSG, "event.cli");
	/* Counts within the cap but beyond the bytes left. */
	ov.k = OV_COUNT;
	ov.f = F_EVENTS;
	ov.u = PROTO_MAX_EVENTS;
	expect_batch(&ov, W_MIN, -EBADMSG, "events");
	ov.u = PROTO_MAX_EVENTS + 1;
	expect_batch(&ov, W_MIN, -EBADMSG, "events");
	ov.u = UINT32_MAX;
	expect_batch(&ov, W_U64, -EBADMSG, "events");
	ov.f = F_ST_REASONS;
	ov.u = PROTO_MAX_REASONS + 1;
	expect_batch(&ov, W_MIN, -EBADMSG, "stats.reasons");
	ov.u = 4;
	expect_batch(&ov, W_MIN, -EBADMSG, NULL);
}

static void
test_wire_nesting(void **state)
{
	static const enum fld where[] = { F_MSG, F_AGENT, F_STATS,
	    F_ST_REASONS, F_RS_COUNT, F_EVENTS, F_EV, F_EV_CLI, F_EV_USER };
	enum { DEPTH = 100000 };
	uint8_t *deep = malloc(DEPTH + 1);
	struct proto_ack a;
	struct ovr ov;
	const char *why;
	size_t i;

	(void)state;
	assert_non_null(deep);
	memset(deep, 0x91, DEPTH);	/* [[[[ ... nil ... ]]]] */
	deep[DEPTH] = 0xc0;
	assert_int_equal(decode_batch_bytes(deep, DEPTH + 1, &why), -EBADMSG);
	assert_int_equal(decode_ack_bytes(deep, DEPTH + 1, &a), -EBADMSG);
	memset(&ov, 0, sizeof(ov));
	ov.k = OV_RAW;
	ov.s = deep;
	ov.n = DEPTH + 1;
	ov.at = 1;
	for (i = 0; i < NELEM(where); i++) {
		ov.f = where[i];
		expect_batch(&ov, W_MIN, -EBADMSG, NULL);
	}
	memset(deep, 0x81, DEPTH);	/* {{{{ ... }}}} */
	for (i = 0; i < NELEM(where); i++) {
		ov.f = where[i];
		expect_batch(&ov, W_MIN, -EBADMSG, NULL);
	}
	free(deep);
}

/* Which MessagePack family each field takes, and what why should say. */
struct fdesc {
	enum fld	 f;
	char		 cls;	/* U uint, S str, N str or nil, B bin, A, M */
	const char	*why;
};

static const struct fdesc batch_fields[] = {
	{ F_MSG, 'A', "message is not an array" },
	{ F_VERSION, 'U', "version" },
	{ F_TYPE, 'U', "message type" },
	{ F_AGENT, 'S', "agent_id" },
	{ F_HOST, 'S', "host" },
	{ F_BOOT, 'U', "boot_id" },
	{ F_SEQ, 'U', "seq" },
	{ F_FLOOR, 'U', "floor_seq" },
	{ F_SENT, 'U', "sent_ns" },
	{ F_STATS, 'A', "stats" },
	{ F_ST_PACKETS, 'U', "stats.packets" },
	{ F_ST_KDROPS, 'U', "stats.kernel_drops" },
	{ F_ST_IFDROPS, 'U', "stats.if_drops" },
	{ F_ST_DECERR, 'U', "stats.decode_errors" },
	{ F_ST_BDROPS, 'U', "stats.batches_dropped" },
	{ F_ST_REASONS, 'M', "stats.reasons" },
	{ F_RS_NAME, 'S', "stats.reasons name" },
	{ F_RS_COUNT, 'U', "stats.reasons count" },
	{ F_EVENTS, 'A', "events" },
	{ F_EV, 'A', "event" },
	{ F_EV_KIND, 'U', "event.kind" },
	{ F_EV_AF, 'U', "event.af" },
	{ F_EV_PROTO, 'U', "event.proto" },
	{ F_EV_CLI, 'B', "event.cli" },
	{ F_EV_CLI_PORT, 'U', "event.cli_port" },
	{ F_EV_SRV, 'B', "event.srv" },
	{ F_EV_SRV_PORT, 'U', "event.srv_port" },
	{ F_EV_START, 'U', "event.start_ns" },
	{ F_EV_LAST, 'U', "event.last_ns" },
	{ F_EV_PKTS0, 'U', "event.packets" },
	{ F_EV_PKTS1, 'U', "event.packets" },
	{ F_EV_BYTES0, 'U', "event.bytes" },
	{ F_EV_BYTES1, 'U', "event.bytes" },
	{ F_EV_WIRE0, 'U', "event.wire_bytes" },
	{ F_EV_WIRE1, 'U', "event.wire_bytes" },
	{ F_EV_FLAGS0, 'U', "event.tcp_flags" },
	{ F_EV_FLAGS1, 'U', "event.tcp_flags" },
	{ F_EV_STATUS, 'U', "event.status" },
	{ F_EV_REASON, 'U', "event.reason" },
	{ F_EV_USER, 'N', "event.user" },
	{ F_EV_TARGET, 'N', "event.target" },
};

/* Nonzero if value kind k is of the type field class cls expects. */
static int
type_fits(char cls, enum ovk k)
{
	switch (cls) {
	case 'S':
		return k == OV_STR;
	case 'N':
		return k == OV_STR || k == OV_NIL;
	case 'B':
		return k == OV_BIN;
	case 'A':
		return k == OV_ARRAY;
	case 'M':
		return k == OV_MAP;
	}
	return 0;
}

static void
test_wire_batch_wrong_types(void **state)
{
	struct ovr ov;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < NELEM(batch_fields); i++) {
		for (k = 0; k < OV_NWRONG; k++) {
			if (type_fits(batch_fields[i].cls, (enum ovk)k))
				continue;
			memset(&ov, 0, sizeof(ov));
			ov.f = batch_fields[i].f;
			ov.k = (enum ovk)k;
			ov.at = 1;
			expect_batch(&ov, W_MIN, -EBADMSG,
			    batch_fields[i].why);
		}
	}
}

static void
test_wire_ack_wrong_types(void **state)
{
	static const enum fld fields[] = { F_MSG, F_VERSION, F_TYPE, F_BOOT,
	    F_SEQ, F_ACK_STATUS, F_ACK_REASON };
	struct proto_ack a, got;
	struct ovr ov;
	struct bld bl;
	size_t i;
	int k;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.seq = 9;
	strcpy(a.reason, "ok");
	for (i = 0; i < NELEM(fields); i++) {
		for (k = 0; k < OV_NWRONG; k++) {
			if ((fields[i] == F_MSG && k == OV_ARRAY) ||
			    (fields[i] == F_ACK_REASON && k == OV_STR))
				continue;
			memset(&ov, 0, sizeof(ov));
			ov.f = fields[i];
			ov.k = (enum ovk)k;
			bld_init(&bl, W_MIN, &ov);
			build_ack(&bl, &a);
			if (decode_ack_bytes((const uint8_t *)bl.sb.data,
			    bl.sb.size, &got) != -EBADMSG)
				fail_msg("ack field %d kind %d accepted",
				    (int)fields[i], k);
			bld_free(&bl);
		}
	}
}

struct bad {
	enum fld	 f;
	enum ovk	 k;
	uint64_t	 u;
	const char	*s;
	size_t		 n;
	uint32_t	 at;
	int		 rc;
	const char	*why;
};

static void
run_bad(const struct bad *t, size_t n)
{
	struct ovr ov;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&ov, 0, sizeof(ov));
		ov.f = t[i].f;
		ov.k = t[i].k;
		ov.u = t[i].u;
		ov.s = t[i].s;
		ov.n = t[i].s != NULL && t[i].n == 0 ? strlen(t[i].s) :
		    t[i].n;
		ov.at = t[i].at;
		expect_batch(&ov, W_MIN, t[i].rc, t[i].why);
		expect_batch(&ov, W_CYCLE, t[i].rc, t[i].why);
	}
}

#define BAD(f, u, at, why)	{ f, OV_UINT, u, NULL, 0, at, -EBADMSG, why }
#define BADS(f, s, at, why)	{ f, OV_STRVAL, 0, s, 0, at, -EBADMSG, why }

static void
test_wire_batch_out_of_range(void **state)
{
	/* Fixture: seq 42, floor 40; ev 0 UPDATE v4, 1 UPDATE v6, 2 CLOSE. */
	static const struct bad t[] = {
		BAD(F_EV_AF, 5, 1, "event.af"),
		BAD(F_EV_AF, 0, 0, "event.af"),
		BAD(F_EV_AF, 7, 0, "event.af"),
		BAD(F_EV_AF, 255, 2, "event.af"),
		BAD(F_EV_AF, UINT64_MAX, 2, "event.af"),
		BAD(F_EV_PROTO, 1, 0, "event.proto"),
		BAD(F_EV_PROTO, 0, 1, "event.proto"),
		BAD(F_EV_PROTO, 7, 1, "event.proto"),
		BAD(F_EV_PROTO, 18, 1, "event.proto"),
		BAD(F_EV_PROTO, 256 + 6, 1, "event.proto"),
		BAD(F_EV_CLI_PORT, 70000, 0, "event.cli_port"),
		BAD(F_EV_CLI_PORT, 65536, 1, "event.cli_port"),
		BAD(F_EV_SRV_PORT, 65536, 2, "event.srv_port"),
		BAD(F_EV_SRV_PORT, UINT64_MAX, 2, "event.srv_port"),
		BAD(F_EV_KIND, 0, 0, "event.kind"),
		BAD(F_EV_KIND, 4, 1, "event.kind"),
		/* An AMEND needs its end_ns (24 fields). */
		BAD(F_EV_KIND, PROTO_EV_AMEND, 1, "wrong number of fields"),
		BAD(F_EV_KIND, 257, 1, "event.kind"),
		BAD(F_EV_STATUS, 4, 2, "event.status"),
		BAD(F_EV_REASON, 8, 2, "event.reason"),
		BAD(F_EV_FLAGS0, 256, 0, "event.tcp_flags"),
		BAD(F_EV_FLAGS1, 0x10000, 0, "event.tcp_flags"),
		/* UPDATE carries neither status nor reason. */
		BAD(F_EV_STATUS, 1, 0, "update or amend event with status or reason"),
		BAD(F_EV_REASON, 1, 1, "update or amend event with status or reason"),
		BAD(F_EV_STATUS, 3, 1, "update or amend event with status or reason"),
		/* CLOSE carries both. */
		BAD(F_EV_STATUS, 0, 2, "close event without status or reason"),
		BAD(F_EV_REASON, 0, 2, "close event without status or reason"),
		/* The kind decides: an UPDATE turned CLOSE lacks both. */
		BAD(F_EV_KIND, PROTO_EV_CLOSE, 0,
		    "close event without status or reason"),
		BAD(F_EV_KIND, PROTO_EV_UPDATE, 2,
		    "update or amend event with status or reason"),
		/* start_ns of event 0 is 1700000000000000000. */
		BAD(F_EV_LAST, 1700000000000000000ULL - 1, 0,
		    "event.last_ns before start_ns"),
		BAD(F_EV_LAST, 0, 0, "event.last_ns before start_ns"),
		BAD(F_EV_START, UINT64_MAX, 1,
		    "event.last_ns before start_ns"),
		BAD(F_SEQ, 0, 0, "seq"),
		BAD(F_FLOOR, 43, 0, "floor_seq"),
		BAD(F_FLOOR, UINT64_MAX, 0, "floor_seq"),
		BAD(F_FLOOR, 0, 0, "floor_seq"),
		BAD(F_SEQ, 39, 0, "floor_seq"),
		/* Addresses: the length follows af, and both agree. */
		{ F_EV_CLI, OV_BINVAL, 0, "\x0a\0\0\x01\x02", 5, 0, -EBADMSG,
		    "event.cli length" },
		{ F_EV_CLI, OV_BINVAL, 0, "\x0a\0\0\x01", 4, 1, -EBADMSG,
		    "event.cli length" },
		{ F_EV_CLI, OV_BINVAL, 0, "0123456789abcdef", 16, 0,
		    -EBADMSG, "event.cli length" },
		{ F_EV_CLI, OV_BINVAL, 0, "0123456789abcdefg", 17, 1,
		    -EBADMSG, "event.cli" },
		{ F_EV_CLI, OV_BINVAL, 0, "", 0, 0, -EBADMSG,
		    "event.cli length" },
		{ F_EV_SRV, OV_BINVAL, 0, "\x0a\0\0\x01", 4, 1, -EBADMSG,
		    "event.srv length" },
		{ F_EV_SRV, OV_BINVAL, 0, "0123456789abcdef", 16, 0,
		    -EBADMSG, "event.srv length" },
		/* Agent ids: [A-Za-z0-9._:-]{1,64}. */
		BADS(F_AGENT, "", 0, "agent_id"),
		BADS(F_AGENT, "a b", 0, "agent_id"),
		BADS(F_AGENT, "a/b", 0, "agent_id"),
		BADS(F_AGENT, "a\\b", 0, "agent_id"),
		BADS(F_AGENT, "caf\xc3\xa9", 0, "agent_id"),
		BADS(F_AGENT, "a\nb", 0, "agent_id"),
		BADS(F_AGENT, "a@b", 0, "agent_id"),
		{ F_AGENT, OV_STRVAL, 0, "a\0b", 3, 0, -EBADMSG, "agent_id" },
		BADS(F_AGENT, A64 "a", 0, "agent_id"),
		/* Host and enrichment strings: no control characters. */
		BADS(F_HOST, "a\x01" "b", 0, "host"),
		BADS(F_HOST, "\x7f", 0, "host"),
		BADS(F_HOST, "tab\there", 0, "host"),
		{ F_HOST, OV_STRVAL, 0, "nul\0", 4, 0, -EBADMSG, "host" },
		BADS(F_HOST, H16 H16 H16 H16 "h", 0, "host"),
		BADS(F_EV_USER, "line\n", 1, "event.user"),
		BADS(F_EV_USER, "\x1f", 0, "event.user"),
		BADS(F_EV_USER, "del\x7f", 2, "event.user"),
		BADS(F_EV_USER, "esc\x1b[31m", 2, "event.user"),
		BADS(F_EV_TARGET, "\r", 0, "event.target"),
		BADS(F_EV_TARGET, "x\x7f", 1, "event.target"),
		{ F_EV_TARGET, OV_STRVAL, 0, "\0", 1, 2, -EBADMSG,
		    "event.target" },
		/* Reason names are ids of at most 31 bytes. */
		BADS(F_RS_NAME, "bad name", 1, "stats.reasons name"),
		BADS(F_RS_NAME, "", 0, "stats.reasons name"),
		BADS(F_RS_NAME, N16 N16, 2, "stats.reasons name"),
		/* Field counts. */
		{ F_MSG, OV_COUNT, 9, NULL, 0, 0, -EBADMSG,
		    "wrong number of fields" },
		{ F_MSG, OV_COUNT, 11, NULL, 0, 0, -EBADMSG, NULL },
		/* An 11th element is the optional boot_ns: 0 is not one. */
		{ F_MSG, OV_EXTRA, 0, NULL, 0, 0, -EBADMSG, "boot_ns" },
		/* A 12th, clock_ns, comes only after boot_ns. */
		{ F_MSG, OV_COUNT, 12, NULL, 0, 0, -EBADMSG, "boot_ns" },
		{ F_MSG, OV_COUNT, 13, NULL, 0, 0, -EBADMSG,
		    "wrong number of fields" },
		{ F_MSG, OV_COUNT, 0, NULL, 0, 0, -EBADMSG, NULL },
		{ F_MSG, OV_COUNT, 65, NULL, 0, 0, -EBADMSG, NULL },
		{ F_STATS, OV_COUNT, 5, NULL, 0, 0, -EBADMSG, "stats" },
		{ F_STATS, OV_EXTRA, 0, NULL, 0, 0, -EBADMSG, "stats" },
		{ F_EV, OV_COUNT, 20, NULL, 0, 1, -EBADMSG, "event" },
		{ F_EV, OV_EXTRA, 0, NULL, 0, 2, -EBADMSG, "event" },
		{ F_EV, OV_COUNT, 0, NULL, 0, 0, -EBADMSG, "event" },
		{ F_EVENTS, OV_EXTRA, 0, NULL, 0, 0, -EBADMSG, "event" },
		{ F_EVENTS, OV_COUNT, 2, NULL, 0, 0, -EBADMSG,
		    "trailing bytes" },
		{ F_ST_REASONS, OV_COUNT, 2, NULL, 0, 0, -EBADMSG, NULL },
		/* Version and type: well-formed but unknown is EPROTO. */
		{ F_VERSION, OV_UINT, 0, NULL, 0, 0, -EPROTO,
		    "unsupported protocol version" },
		{ F_VERSION, OV_UINT, 2, NULL, 0, 0, -EPROTO,
		    "unsupported protocol version" },
		{ F_VERSION, OV_UINT, 256, NULL, 0, 0, -EPROTO,
		    "unsupported protocol version" },
		{ F_VERSION, OV_UINT, UINT64_MAX, NULL, 0, 0, -EPROTO,
		    "unsupported protocol version" },
		{ F_TYPE, OV_UINT, PROTO_MSG_ACK, NULL, 0, 0, -EPROTO,
		    "unexpected message type" },
		{ F_TYPE, OV_UINT, 0, NULL, 0, 0, -EPROTO,
		    "unexpected message type" },
		{ F_TYPE, OV_UINT, 3, NULL, 0, 0, -EPROTO,
		    "unexpected message type" },
		{ F_TYPE, OV_UINT, 0x101, NULL, 0, 0, -EPROTO,
		    "unexpected message type" },
	};

	(void)state;
	run_bad(t, NELEM(t));
}

/* The same overrides with values inside the rules decode fine. */
static void
test_wire_batch_in_range(void **state)
{
	static const struct bad t[] = {
		{ F_EV_AF, OV_UINT, 4, NULL, 0, 0, 0, NULL },
		{ F_EV_PROTO, OV_UINT, 17, NULL, 0, 1, 0, NULL },
		{ F_EV_CLI_PORT, OV_UINT, 65535, NULL, 0, 0, 0, NULL },
		{ F_EV_SRV_PORT, OV_UINT, 0, NULL, 0, 2, 0, NULL },
		{ F_EV_STATUS, OV_UINT, 3, NULL, 0, 2, 0, NULL },
		{ F_EV_REASON, OV_UINT, 7, NULL, 0, 2, 0, NULL },
		{ F_EV_FLAGS0, OV_UINT, 255, NULL, 0, 0, 0, NULL },
		{ F_FLOOR, OV_UINT, 42, NULL, 0, 0, 0, NULL },
		{ F_FLOOR, OV_UINT, 1, NULL, 0, 0, 0, NULL },
		{ F_SEQ, OV_UINT, UINT64_MAX, NULL, 0, 0, 0, NULL },
		{ F_SEQ, OV_UINT, 40, NULL, 0, 0, 0, NULL },
		{ F_EV_LAST, OV_UINT, 1700000000000000000ULL, NULL, 0, 0, 0,
		    NULL },
		{ F_AGENT, OV_STRVAL, 0, "Z", 0, 0, 0, NULL },
		{ F_AGENT, OV_STRVAL, 0, A64, 0, 0, 0, NULL },
		{ F_HOST, OV_STRVAL, 0, H16 H16 H16 H16, 0, 0, 0, NULL },
		{ F_HOST, OV_STRVAL, 0, "", 0, 0, 0, NULL },
		{ F_HOST, OV_STRVAL, 0, "h\xc3\xb6st ~!", 0, 0, 0, NULL },
		{ F_EV_USER, OV_NIL, 0, NULL, 0, 1, 0, NULL },
		{ F_EV_TARGET, OV_STRVAL, 0, "", 0, 0, 0, NULL },
		{ F_RS_NAME, OV_STRVAL, 0, N16 "nnnnnnnnnnnnnnn", 0, 1, 0,
		    NULL },
		/* A fourth reason is still within the cap. */
		{ F_ST_REASONS, OV_EXTRA, 0, NULL, 0, 0, 0, NULL },
	};

	(void)state;
	run_bad(t, NELEM(t));
	expect_batch(NULL, W_MIN, 0, NULL);
}

static void
test_wire_ack_out_of_range(void **state)
{
	static const struct {
		enum fld	f;
		enum ovk	k;
		uint64_t	u;
		int		rc;
	} t[] = {
		{ F_ACK_STATUS, OV_UINT, 3, -EBADMSG },
		{ F_ACK_STATUS, OV_UINT, 256, -EBADMSG },
		{ F_VERSION, OV_UINT, 2, -EPROTO },
		{ F_VERSION, OV_UINT, 0x10001, -EPROTO },
		{ F_TYPE, OV_UINT, PROTO_MSG_BATCH, -EPROTO },
		{ F_TYPE, OV_UINT, 7, -EPROTO },
		{ F_MSG, OV_COUNT, 5, -EBADMSG },
		{ F_MSG, OV_COUNT, 7, -EBADMSG },
		{ F_MSG, OV_EXTRA, 0, -EBADMSG },
		{ F_ACK_STATUS, OV_UINT, PROTO_ACK_RESEND, 0 },
	};
	char r128[129];
	struct proto_ack a, got;
	struct ovr ov;
	struct bld bl;
	size_t i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.boot_id = 5;
	a.seq = 9;
	strcpy(a.reason, "why");
	for (i = 0; i < NELEM(t); i++) {
		memset(&ov, 0, sizeof(ov));
		ov.f = t[i].f;
		ov.k = t[i].k;
		ov.u = t[i].u;
		bld_init(&bl, W_CYCLE, &ov);
		build_ack(&bl, &a);
		if (decode_ack_bytes((const uint8_t *)bl.sb.data, bl.sb.size,
		    &got) != t[i].rc)
			fail_msg("ack case %zu: want %d", i, t[i].rc);
		bld_free(&bl);
	}
	/* A reason of 128 bytes does not fit the 127 + NUL of the struct. */
	memset(r128, 'r', 128);
	r128[128] = '\0';
	memset(&ov, 0, sizeof(ov));
	ov.f = F_ACK_REASON;
	ov.k = OV_STRVAL;
	ov.s = r128;
	ov.n = 128;
	bld_init(&bl, W_MIN, &ov);
	build_ack(&bl, &a);
	assert_int_equal(decode_ack_bytes((const uint8_t *)bl.sb.data,
	    bl.sb.size, &got), -EBADMSG);
	bld_free(&bl);
	ov.n = 127;
	bld_init(&bl, W_MIN, &ov);
	build_ack(&bl, &a);
	assert_int_equal(decode_ack_bytes((const uint8_t *)bl.sb.data,
	    bl.sb.size, &got), 0);
	assert_int_equal(strlen(got.reason), 127);
	bld_free(&bl);
}

static void
test_wire_trailing_bytes(void **state)
{
	static const uint8_t tails[][3] = { { 0xc0 }, { 0x00 }, { 0x90 } };
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out, ack;
	struct proto_ack a, got;
	uint8_t *m;
	const char *why;
	size_t i;

	(void)state;
	encode_small(&out, &b, ev, 8);
	m = malloc(out.len * 2);
	assert_non_null(m);
	for (i = 0; i < NELEM(tails); i++) {
		memcpy(m, out.data, out.len);
		m[out.len] = tails[i][0];
		assert_int_equal(decode_batch_bytes(m, out.len + 1, &why),
		    -EBADMSG);
		assert_string_equal(why, "trailing bytes after the message");
	}
	/* Two messages in one: msgpack itself would stop after the first. */
	memcpy(m + out.len, out.data, out.len);
	assert_int_equal(decode_batch_bytes(m, out.len * 2, &why), -EBADMSG);
	free(m);

	memset(&a, 0, sizeof(a));
	a.seq = 1;
	proto_buf_init(&ack, 4096);
	assert_int_equal(proto_ack_encode(&ack, &a), 0);
	m = malloc(ack.len + 1);
	assert_non_null(m);
	memcpy(m, ack.data, ack.len);
	m[ack.len] = 0xc0;
	assert_int_equal(decode_ack_bytes(m, ack.len + 1, &got), -EBADMSG);
	assert_int_equal(decode_ack_bytes(m, ack.len, &got), 0);
	free(m);
	proto_buf_free(&ack);
	proto_buf_free(&out);
}

static void
test_wire_wrong_message_type(void **state)
{
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out, ack;
	struct proto_ack a, got;
	const char *why;

	(void)state;
	encode_small(&out, &b, ev, 8);
	memset(&a, 0, sizeof(a));
	proto_buf_init(&ack, 4096);
	assert_int_equal(proto_ack_encode(&ack, &a), 0);
	assert_int_equal(decode_batch_bytes(ack.data, ack.len, &why),
	    -EPROTO);
	assert_string_equal(why, "unexpected message type");
	assert_int_equal(decode_ack_bytes(out.data, out.len, &got), -EPROTO);
	assert_int_equal(proto_msg_type(out.data, out.len), PROTO_MSG_BATCH);
	assert_int_equal(proto_msg_type(ack.data, ack.len), PROTO_MSG_ACK);
	assert_int_equal(proto_msg_type((const uint8_t *)"\x91\x01", 2),
	    -EBADMSG);
	assert_int_equal(proto_msg_type((const uint8_t *)"\x92\x01\xc0", 3),
	    -EBADMSG);
	assert_int_equal(proto_msg_type(NULL, 0), -EBADMSG);
	assert_int_equal(proto_msg_type((const uint8_t *)"\x92\xc0\x01", 3),
	    -EBADMSG);
	proto_buf_free(&ack);
	proto_buf_free(&out);
}

static void
test_wire_oversized(void **state)
{
	struct proto_batch b, got;
	struct proto_event ev[8];
	struct proto_event *dev = alloc_events(PROTO_MAX_EVENTS);
	struct proto_buf out;
	const char *why = NULL;

	(void)state;
	/* Refused on the length alone: the buffer is never touched. */
	assert_int_equal(proto_batch_decode(NULL, PROTO_MAX_MSG_DEFAULT + 1,
	    PROTO_MAX_MSG_DEFAULT, &got, dev, &why), -EMSGSIZE);
	assert_string_equal(why, "message too large");
	assert_int_equal(proto_batch_decode(NULL, SIZE_MAX,
	    PROTO_MAX_MSG_LIMIT, &got, dev, NULL), -EMSGSIZE);

	/* A valid message one byte over the cap, then exactly at it. */
	encode_small(&out, &b, ev, 8);
	assert_int_equal(proto_batch_decode(out.data, out.len, out.len - 1,
	    &got, dev, &why), -EMSGSIZE);
	assert_int_equal(proto_batch_decode(out.data, out.len, out.len,
	    &got, dev, &why), 0);
	proto_buf_free(&out);
	free(dev);
}

/* why may be NULL: every failure path still returns its code. */
static void
test_wire_why_optional(void **state)
{
	static const struct {
		enum fld	f;
		enum ovk	k;
		uint64_t	u;
		int		rc;
	} t[] = {
		{ F_MSG, OV_NIL, 0, -EBADMSG },
		{ F_VERSION, OV_UINT, 2, -EPROTO },
		{ F_VERSION, OV_NIL, 0, -EBADMSG },
		{ F_TYPE, OV_UINT, 2, -EPROTO },
		{ F_TYPE, OV_NIL, 0, -EBADMSG },
		{ F_MSG, OV_COUNT, 9, -EBADMSG },
		{ F_AGENT, OV_NIL, 0, -EBADMSG },
		{ F_SEQ, OV_UINT, 0, -EBADMSG },
		{ F_ST_PACKETS, OV_NIL, 0, -EBADMSG },
		{ F_EV_AF, OV_UINT, 5, -EBADMSG },
		{ F_EV_USER, OV_TRUE, 0, -EBADMSG },
		{ F_EVENTS, OV_EXTRA, 0, -EBADMSG },
		{ F_NONE, OV_NIL, 0, 0 },
	};
	static struct proto_event dev[PROTO_MAX_EVENTS];
	struct proto_batch b, got;
	struct proto_event ev[3];
	struct ovr ov;
	struct bld bl;
	size_t i;

	(void)state;
	hostile_fixture(&b, ev);
	for (i = 0; i < NELEM(t); i++) {
		memset(&ov, 0, sizeof(ov));
		ov.f = t[i].f;
		ov.k = t[i].k;
		ov.u = t[i].u;
		bld_init(&bl, W_MIN, &ov);
		build_batch(&bl, &b, ev);
		assert_int_equal(proto_batch_decode((const uint8_t *)bl.sb.data,
		    bl.sb.size, PROTO_MAX_MSG_DEFAULT, &got, dev, NULL),
		    t[i].rc);
		/* Truncation, trailing bytes, the size cap, without why. */
		if (t[i].rc == 0) {
			assert_int_equal(proto_batch_decode(
			    (const uint8_t *)bl.sb.data, bl.sb.size - 1,
			    PROTO_MAX_MSG_DEFAULT, &got, dev, NULL), -EBADMSG);
			msgpack_pack_nil(&bl.pk);
			assert_int_equal(proto_batch_decode(
			    (const uint8_t *)bl.sb.data, bl.sb.size,
			    PROTO_MAX_MSG_DEFAULT, &got, dev, NULL), -EBADMSG);
			bl.sb.size--;
			assert_int_equal(proto_batch_decode(
			    (const uint8_t *)bl.sb.data, bl.sb.size,
			    bl.sb.size - 1, &got, dev, NULL), -EMSGSIZE);
		}
		bld_free(&bl);
	}
}

/* ------------------------------------------------------------------ */
/* Encoder                                                              */
/* ------------------------------------------------------------------ */

static void
test_wire_encoder_overflow(void **state)
{
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out, small;
	struct proto_ack a;
	size_t max, full;

	(void)state;
	encode_small(&out, &b, ev, 8);
	for (max = 0; max < out.len; max++) {
		proto_buf_init(&small, max);
		assert_int_equal(encode_batch(&small, &b, ev), -EMSGSIZE);
		assert_true(small.len <= max && small.cap <= max);
		/* Reset clears the overflow: an empty batch header may fit. */
		proto_buf_reset(&small);
		assert_int_equal(small.overflow, 0);
		proto_buf_free(&small);
	}
	proto_buf_init(&small, out.len);
	assert_int_equal(encode_batch(&small, &b, ev), 0);
	assert_int_equal(small.len, out.len);
	assert_memory_equal(small.data, out.data, out.len);
	proto_buf_free(&small);
	proto_buf_free(&out);

	memset(&a, 0, sizeof(a));
	a.boot_id = UINT64_MAX;
	strcpy(a.reason, "stats.reasons name");
	proto_buf_init(&out, 4096);
	assert_int_equal(proto_ack_encode(&out, &a), 0);
	full = out.len;
	proto_buf_free(&out);
	for (max = 0; max < full; max++) {
		proto_buf_init(&small, max);
		assert_int_equal(proto_ack_encode(&small, &a), -EMSGSIZE);
		assert_true(small.len <= max);
		proto_buf_free(&small);
	}
}

/* Input the decoder would refuse is refused by the encoder, and nothing
 * is written: an agent learns at once instead of by a REJECTED ack. */
static void
test_wire_encoder_invalid(void **state)
{
	char big[PROTO_MAX_STR + 1];
	struct proto_batch b;
	struct proto_event ev[1];
	struct proto_buf out;
	struct proto_ack a;

	(void)state;
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	make_batch(&b, 0, PROTO_MAX_REASONS);
	b.stats.nreasons = PROTO_MAX_REASONS + 1;
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	assert_int_equal(out.len, 0);
	b.stats.nreasons = UINT32_MAX;
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	b.stats.nreasons = 1;
	/* A name that fills its array has no room for the NUL. */
	memset(b.stats.reasons[0].name, 'n', sizeof(b.stats.reasons[0].name));
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	assert_int_equal(out.len, 0);

	make_event(&ev[0], 0);
	memset(big, 'u', sizeof(big));
	ev[0].user = big;
	ev[0].user_len = PROTO_MAX_STR + 1;
	assert_int_equal(proto_batch_add_event(&out, &ev[0]), -EINVAL);
	ev[0].user = NULL;
	ev[0].user_len = 0;
	ev[0].target = big;
	ev[0].target_len = PROTO_MAX_STR + 1;
	assert_int_equal(proto_batch_add_event(&out, &ev[0]), -EINVAL);
	assert_int_equal(out.len, 0);
	ev[0].target_len = PROTO_MAX_STR;
	assert_int_equal(proto_batch_add_event(&out, &ev[0]), 0);
	proto_buf_free(&out);

	memset(&a, 0, sizeof(a));
	memset(a.reason, 'r', sizeof(a.reason));
	proto_buf_init(&out, 4096);
	assert_int_equal(proto_ack_encode(&out, &a), -EINVAL);
	assert_int_equal(out.len, 0);
	proto_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* msgpack-c cross-checks                                               */
/* ------------------------------------------------------------------ */

static void
check_u(const msgpack_object *o, uint64_t v)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(o->via.u64, v);
}

static void
check_str(const msgpack_object *o, const char *s, uint32_t n)
{
	if (s == NULL) {
		assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
		return;
	}
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, n);
	assert_memory_equal(o->via.str.ptr, s, n);
}

static void
check_bin(const msgpack_object *o, const uint8_t *p, uint32_t n)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_BIN);
	assert_int_equal(o->via.bin.size, n);
	assert_memory_equal(o->via.bin.ptr, p, n);
}

static const msgpack_object *
check_array(const msgpack_object *o, uint32_t n)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(o->via.array.size, n);
	return o->via.array.ptr;
}

/* msgpack-c's unpacker must read msg as the tree PROTOCOL.md describes. */
static void
check_tree(const uint8_t *msg, size_t n, const struct proto_batch *b,
    const struct proto_event *ev)
{
	msgpack_unpacked up;
	const msgpack_object *m, *st, *evs, *e;
	const msgpack_object_kv *kv;
	size_t off = 0;
	uint32_t i, alen;

	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, (const char *)msg, n, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, n);
	m = check_array(&up.data, 10);
	check_u(&m[0], PROTO_VERSION);
	check_u(&m[1], PROTO_MSG_BATCH);
	check_str(&m[2], b->agent_id, b->agent_len);
	check_str(&m[3], b->host, b->host_len);
	check_u(&m[4], b->boot_id);
	check_u(&m[5], b->seq);
	check_u(&m[6], b->floor_seq);
	check_u(&m[7], b->sent_ns);
	st = check_array(&m[8], 6);
	check_u(&st[0], b->stats.packets);
	check_u(&st[1], b->stats.kernel_drops);
	check_u(&st[2], b->stats.if_drops);
	check_u(&st[3], b->stats.decode_errors);
	check_u(&st[4], b->stats.batches_dropped);
	assert_int_equal(st[5].type, MSGPACK_OBJECT_MAP);
	assert_int_equal(st[5].via.map.size, b->stats.nreasons);
	kv = st[5].via.map.ptr;
	for (i = 0; i < b->stats.nreasons; i++) {
		check_str(&kv[i].key, b->stats.reasons[i].name,
		    (uint32_t)strlen(b->stats.reasons[i].name));
		check_u(&kv[i].val, b->stats.reasons[i].count);
	}
	evs = check_array(&m[9], b->nevents);
	for (i = 0; i < b->nevents; i++) {
		e = check_array(&evs[i], 21);
		alen = ev[i].af == 4 ? 4 : 16;
		check_u(&e[0], ev[i].kind);
		check_u(&e[1], ev[i].af);
		check_u(&e[2], ev[i].proto);
		check_bin(&e[3], ev[i].cli, alen);
		check_u(&e[4], ev[i].cli_port);
		check_bin(&e[5], ev[i].srv, alen);
		check_u(&e[6], ev[i].srv_port);
		check_u(&e[7], ev[i].start_ns);
		check_u(&e[8], ev[i].last_ns);
		check_u(&e[9], ev[i].packets[0]);
		check_u(&e[10], ev[i].packets[1]);
		check_u(&e[11], ev[i].bytes[0]);
		check_u(&e[12], ev[i].bytes[1]);
		check_u(&e[13], ev[i].wire_bytes[0]);
		check_u(&e[14], ev[i].wire_bytes[1]);
		check_u(&e[15], ev[i].tcp_flags[0]);
		check_u(&e[16], ev[i].tcp_flags[1]);
		check_u(&e[17], ev[i].status);
		check_u(&e[18], ev[i].reason);
		check_str(&e[19], ev[i].user, ev[i].user_len);
		check_str(&e[20], ev[i].target, ev[i].target_len);
	}
	msgpack_unpacked_destroy(&up);
}

static void
test_wire_msgpack_c_reads_ours(void **state)
{
	struct proto_batch b;
	struct proto_event ev[40];
	struct proto_buf out;
	struct proto_ack a;
	msgpack_unpacked up;
	const msgpack_object *m;
	size_t off = 0;
	uint32_t i;

	(void)state;
	make_batch(&b, 40, PROTO_MAX_REASONS);
	for (i = 0; i < 40; i++)
		make_event(&ev[i], i);
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(encode_batch(&out, &b, ev), 0);
	check_tree(out.data, out.len, &b, ev);
	proto_buf_free(&out);

	memset(&a, 0, sizeof(a));
	a.boot_id = 77;
	a.seq = UINT64_MAX;
	a.status = PROTO_ACK_RESEND;
	strcpy(a.reason, "out of order");
	proto_buf_init(&out, 4096);
	assert_int_equal(proto_ack_encode(&out, &a), 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, (const char *)out.data,
	    out.len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, out.len);
	m = check_array(&up.data, 6);
	check_u(&m[0], PROTO_VERSION);
	check_u(&m[1], PROTO_MSG_ACK);
	check_u(&m[2], 77);
	check_u(&m[3], UINT64_MAX);
	check_u(&m[4], PROTO_ACK_RESEND);
	check_str(&m[5], "out of order", 12);
	msgpack_unpacked_destroy(&up);
	proto_buf_free(&out);
}

/*
 * MessagePack lets a writer pick any width that holds a value: uint8 as
 * int64, 5 as uint64, a short string as str32. Each such message must
 * decode to the same batch; msgpack-c's unpacker checks that the builder
 * wrote valid MessagePack.
 */
static void
test_wire_alternative_widths(void **state)
{
	static const enum width widths[] = { W_MIN, W_U64, W_I64, W_CYCLE };
	struct proto_batch b;
	struct proto_event ev[24];
	struct proto_buf ours;
	struct proto_ack a, got;
	struct bld bl;
	size_t w;
	uint32_t i;

	(void)state;
	make_batch(&b, 24, 5);
	for (i = 0; i < 24; i++)
		make_event(&ev[i], i);
	proto_buf_init(&ours, PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(encode_batch(&ours, &b, ev), 0);
	for (w = 0; w < NELEM(widths); w++) {
		bld_init(&bl, widths[w], NULL);
		build_batch(&bl, &b, ev);
		/* The minimal form is byte for byte what wire.c writes. */
		if (widths[w] == W_MIN) {
			assert_int_equal(bl.sb.size, ours.len);
			assert_memory_equal(bl.sb.data, ours.data, ours.len);
		} else
			assert_true(bl.sb.size > ours.len);
		check_tree((const uint8_t *)bl.sb.data, bl.sb.size, &b, ev);
		decode_expect((const uint8_t *)bl.sb.data, bl.sb.size,
		    PROTO_MAX_MSG_DEFAULT, &b, ev);
		bld_free(&bl);

		memset(&a, 0, sizeof(a));
		a.boot_id = edges[w + 10];
		a.seq = 3;
		a.status = PROTO_ACK_REJECTED;
		strcpy(a.reason, "event.kind");
		bld_init(&bl, widths[w], NULL);
		build_ack(&bl, &a);
		assert_int_equal(decode_ack_bytes((const uint8_t *)bl.sb.data,
		    bl.sb.size, &got), 0);
		assert_int_equal(got.boot_id, a.boot_id);
		assert_int_equal(got.seq, 3);
		assert_int_equal(got.status, PROTO_ACK_REJECTED);
		assert_string_equal(got.reason, "event.kind");
		bld_free(&bl);
	}
	proto_buf_free(&ours);
}

/* ------------------------------------------------------------------ */
/* mp_read_* directly                                                   */
/* ------------------------------------------------------------------ */

enum rd { RD_UINT, RD_STR, RD_STR_OR_NIL, RD_BIN, RD_ARRAY, RD_MAP,
	RD_BOOL, RD_NREADERS };

/* Calls reader r with a generous cap; returns its result. */
static int
read_any(enum rd r, struct cursor *c, uint64_t cap)
{
	const char *s;
	const uint8_t *p;
	uint32_t n;
	uint64_t v;
	int bv;

	switch (r) {
	case RD_UINT:
		return mp_read_uint(c, cap, &v);
	case RD_STR:
		return mp_read_str(c, (uint32_t)cap, &s, &n);
	case RD_STR_OR_NIL:
		return mp_read_str_or_nil(c, (uint32_t)cap, &s, &n);
	case RD_BIN:
		return mp_read_bin(c, (uint32_t)cap, &p, &n);
	case RD_ARRAY:
		return mp_read_array(c, (uint32_t)cap, &n);
	case RD_MAP:
		return mp_read_map(c, (uint32_t)cap, &n);
	case RD_BOOL:
		return mp_read_bool(c, &bv);
	default:
		return -EINVAL;
	}
}

/*
 * What reader r should do with type byte t followed by zero bytes:
 * the number of bytes it consumes, or 0 if it must refuse t.
 */
static size_t
expect_consumed(enum rd r, uint8_t t)
{
	switch (r) {
	case RD_UINT:
		if (t <= 0x7f)
			return 1;
		switch (t) {
		case 0xcc: case 0xd0: return 2;
		case 0xcd: case 0xd1: return 3;
		case 0xce: case 0xd2: return 5;
		case 0xcf: case 0xd3: return 9;
		}
		return 0;
	case RD_STR_OR_NIL:
		if (t == 0xc0)
			return 1;
		/* FALLTHROUGH */
	case RD_STR:
		if (t >= 0xa0 && t <= 0xbf)
			return 1 + (size_t)(t & 0x1f);
		return t == 0xd9 ? 2 : t == 0xda ? 3 : t == 0xdb ? 5 : 0;
	case RD_BIN:
		return t == 0xc4 ? 2 : t == 0xc5 ? 3 : t == 0xc6 ? 5 : 0;
	case RD_ARRAY:
		if (t >= 0x90 && t <= 0x9f)
			return 1;
		return t == 0xdc ? 3 : t == 0xdd ? 5 : 0;
	case RD_MAP:
		if (t >= 0x80 && t <= 0x8f)
			return 1;
		return t == 0xde ? 3 : t == 0xdf ? 5 : 0;
	case RD_BOOL:
		return t == 0xc2 || t == 0xc3 ? 1 : 0;
	default:
		return 0;
	}
}

/*
 * Every reader against every type byte, followed by zeroes: accepted
 * exactly for its own family, consuming exactly the header and payload;
 * then every shorter buffer fails without reading past its end.
 */
static void
test_wire_mp_type_bytes(void **state)
{
	uint8_t in[1 + 32], *buf;
	struct cursor c;
	size_t want, k;
	unsigned t;
	int r, rc;

	(void)state;
	for (r = 0; r < RD_NREADERS; r++) {
		for (t = 0; t < 256; t++) {
			memset(in, 0, sizeof(in));
			in[0] = (uint8_t)t;
			buf = dup_exact(in, sizeof(in));
			cursor_init(&c, buf, sizeof(in));
			rc = read_any((enum rd)r, &c, UINT64_MAX >> 32);
			want = expect_consumed((enum rd)r, (uint8_t)t);
			if (want == 0 && rc != -EBADMSG)
				fail_msg("reader %d took 0x%02x", r, t);
			if (want != 0 && (rc != 0 ||
			    (size_t)(c.p - buf) != want))
				fail_msg("reader %d on 0x%02x: rc %d used %td,"
				    " want %zu", r, t, rc, c.p - buf, want);
			assert_true(c.p <= c.end);
			free(buf);
			for (k = 0; k < want; k++) {
				buf = dup_exact(in, k);
				cursor_init(&c, buf, k);
				if (read_any((enum rd)r, &c, UINT32_MAX) !=
				    -EBADMSG)
					fail_msg("reader %d 0x%02x: %zu of %zu"
					    " bytes accepted", r, t, k, want);
				assert_true(c.p <= c.end);
				free(buf);
			}
		}
	}
	/* peek_nil looks, never moves. */
	cursor_init(&c, (const uint8_t *)"\xc0", 1);
	assert_true(mp_peek_nil(&c));
	assert_int_equal(cursor_left(&c), 1);
	cursor_init(&c, (const uint8_t *)"\xc0", 0);
	assert_false(mp_peek_nil(&c));
	cursor_init(&c, (const uint8_t *)"\xc2", 1);
	assert_false(mp_peek_nil(&c));
}

static int
uint_of(const uint8_t *in, size_t n, uint64_t max, uint64_t *v, size_t *used)
{
	uint8_t *buf = dup_exact(in, n);
	struct cursor c;
	int rc;

	cursor_init(&c, buf, n);
	rc = mp_read_uint(&c, max, v);
	*used = n - cursor_left(&c);
	free(buf);
	return rc;
}

static void
test_wire_mp_uint(void **state)
{
	static const struct {
		const char	*in;
		size_t		 n;
		uint64_t	 v;	/* value, if ok */
		int		 ok;
	} t[] = {
		{ "\x00", 1, 0, 1 },
		{ "\x7f", 1, 0x7f, 1 },
		{ "\xcc\x80", 2, 0x80, 1 },
		{ "\xcc\xff", 2, 0xff, 1 },
		{ "\xcc\x00", 2, 0, 1 },
		{ "\xcd\x01\x00", 3, 0x100, 1 },
		{ "\xcd\xff\xff", 3, 0xffff, 1 },
		{ "\xce\x00\x01\x00\x00", 5, 0x10000, 1 },
		{ "\xce\xff\xff\xff\xff", 5, 0xffffffff, 1 },
		{ "\xcf\x00\x00\x00\x01\x00\x00\x00\x00", 9, 0x100000000ULL, 1 },
		{ "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9, UINT64_MAX, 1 },
		{ "\xcf\x01\x02\x03\x04\x05\x06\x07\x08", 9,
		    0x0102030405060708ULL, 1 },
		{ "\xd0\x00", 2, 0, 1 },
		{ "\xd0\x7f", 2, 0x7f, 1 },
		{ "\xd0\x80", 2, 0, 0 },		/* -128 */
		{ "\xd0\xff", 2, 0, 0 },		/* -1 */
		{ "\xd1\x7f\xff", 3, 0x7fff, 1 },
		{ "\xd1\x80\x00", 3, 0, 0 },
		{ "\xd1\xff\xff", 3, 0, 0 },
		{ "\xd2\x7f\xff\xff\xff", 5, 0x7fffffff, 1 },
		{ "\xd2\x80\x00\x00\x00", 5, 0, 0 },
		{ "\xd3\x7f\xff\xff\xff\xff\xff\xff\xff", 9,
		    (uint64_t)INT64_MAX, 1 },
		{ "\xd3\x00\x00\x00\x00\x00\x00\x00\x05", 9, 5, 1 },
		{ "\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9, 0, 0 },
		{ "\xd3\xff\xff\xff\xff\xff\xff\xff\xff", 9, 0, 0 },
		{ "\xe0", 1, 0, 0 },			/* -32 */
		{ "\xff", 1, 0, 0 },			/* -1 */
		{ "\xca\x3f\x80\x00\x00", 5, 0, 0 },	/* 1.0f */
		{ "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", 9, 0, 0 },
	};
	uint64_t v;
	size_t i, used;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		const uint8_t *in = (const uint8_t *)t[i].in;
		int rc = uint_of(in, t[i].n, UINT64_MAX, &v, &used);

		if (!t[i].ok) {
			if (rc != -EBADMSG)
				fail_msg("case %zu accepted", i);
			continue;
		}
		if (rc != 0 || v != t[i].v || used != t[i].n)
			fail_msg("case %zu: rc %d v %llu used %zu", i, rc,
			    (unsigned long long)v, used);
		/* The cap is inclusive. */
		assert_int_equal(uint_of(in, t[i].n, t[i].v, &v, &used), 0);
		if (t[i].v > 0)
			assert_int_equal(uint_of(in, t[i].n, t[i].v - 1, &v,
			    &used), -EBADMSG);
	}
}

/* A str/bin/array/map header of form t with length n, then n zeroes. */
static uint8_t *
make_sized(uint8_t t, uint32_t n, size_t body, size_t *len)
{
	size_t hl = t == 0xd9 || t == 0xc4 ? 2 :
	    t == 0xda || t == 0xc5 || t == 0xdc || t == 0xde ? 3 :
	    t == 0xdb || t == 0xc6 || t == 0xdd || t == 0xdf ? 5 : 1;
	uint8_t *p = calloc(1, hl + body);

	assert_non_null(p);
	p[0] = t;
	if (hl == 1)
		p[0] = (uint8_t)(t | n);
	else if (hl == 2)
		p[1] = (uint8_t)n;
	else if (hl == 3) {
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)n;
	} else {
		p[1] = (uint8_t)(n >> 24);
		p[2] = (uint8_t)(n >> 16);
		p[3] = (uint8_t)(n >> 8);
		p[4] = (uint8_t)n;
	}
	*len = hl + body;
	return p;
}

static void
sized_case(enum rd r, uint8_t t, uint32_t n)
{
	size_t len;
	uint8_t *p = make_sized(t, n, n, &len);
	struct cursor c;
	const char *s;
	const uint8_t *b;
	uint32_t got = 0;
	int rc;

	/* Cap equal to n: accepted, and the body is where it should be. */
	cursor_init(&c, p, len);
	switch (r) {
	case RD_STR:
		rc = mp_read_str(&c, n, &s, &got);
		assert_int_equal(rc, 0);
		assert_ptr_equal(s, (const char *)p + (len - n));
		assert_int_equal(cursor_left(&c), 0);
		break;
	case RD_BIN:
		rc = mp_read_bin(&c, n, &b, &got);
		assert_int_equal(rc, 0);
		assert_ptr_equal(b, p + (len - n));
		assert_int_equal(cursor_left(&c), 0);
		break;
	case RD_ARRAY:
		rc = mp_read_array(&c, n, &got);
		assert_int_equal(rc, 0);
		assert_int_equal(cursor_left(&c), n);
		break;
	default:
		rc = mp_read_map(&c, n, &got);
		assert_int_equal(rc, 0);
		assert_int_equal(cursor_left(&c), n);
		break;
	}
	assert_int_equal(got, n);
	if (n > 0) {
		/* Cap one below: refused. */
		cursor_init(&c, p, len);
		assert_int_equal(read_any(r, &c, n - 1), -EBADMSG);
		/* One body byte short: refused, even with no cap. */
		free(p);
		p = make_sized(t, n, n - 1, &len);
		cursor_init(&c, p, len);
		assert_int_equal(read_any(r, &c, UINT32_MAX), -EBADMSG);
	}
	free(p);
}

static void
test_wire_mp_lengths(void **state)
{
	static const struct {
		enum rd		r;
		uint8_t		t;
		uint32_t	n;
	} t[] = {
		{ RD_STR, 0xa0, 0 }, { RD_STR, 0xa0, 31 },
		{ RD_STR, 0xd9, 0 }, { RD_STR, 0xd9, 32 }, { RD_STR, 0xd9, 255 },
		{ RD_STR, 0xda, 256 }, { RD_STR, 0xda, 0xffff },
		{ RD_STR, 0xdb, 0x10000 }, { RD_STR, 0xdb, 5 },
		{ RD_BIN, 0xc4, 0 }, { RD_BIN, 0xc4, 255 },
		{ RD_BIN, 0xc5, 0xffff }, { RD_BIN, 0xc6, 0x10000 },
		{ RD_ARRAY, 0x90, 0 }, { RD_ARRAY, 0x90, 15 },
		{ RD_ARRAY, 0xdc, 16 }, { RD_ARRAY, 0xdc, 0xffff },
		{ RD_ARRAY, 0xdd, 0x10000 },
		{ RD_MAP, 0x80, 15 }, { RD_MAP, 0xde, 0xffff },
		{ RD_MAP, 0xdf, 0x10000 }, { RD_MAP, 0xdf, 0 },
	};
	static const uint8_t a32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t m32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t s32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff };
	struct cursor c;
	const char *s;
	uint32_t n;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++)
		sized_case(t[i].r, t[i].t, t[i].n);
	/* A 5-byte header claiming 2^32-1 is a lie whatever the cap. */
	cursor_init(&c, a32, sizeof(a32));
	assert_int_equal(mp_read_array(&c, UINT32_MAX, &n), -EBADMSG);
	cursor_init(&c, m32, sizeof(m32));
	assert_int_equal(mp_read_map(&c, UINT32_MAX, &n), -EBADMSG);
	cursor_init(&c, s32, sizeof(s32));
	assert_int_equal(mp_read_str(&c, UINT32_MAX, &s, &n), -EBADMSG);
}

static void
test_wire_mp_str_nil_bool(void **state)
{
	struct cursor c;
	const char *s;
	const uint8_t *b;
	uint32_t n;
	int v;

	(void)state;
	cursor_init(&c, (const uint8_t *)"\xc0\xa2hi", 4);
	s = "x";
	n = 9;
	assert_int_equal(mp_read_str_or_nil(&c, 10, &s, &n), 0);
	assert_null(s);
	assert_int_equal(n, 0);
	assert_int_equal(mp_read_str_or_nil(&c, 10, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(s, "hi", 2);
	assert_int_equal(cursor_left(&c), 0);
	assert_int_equal(mp_read_str_or_nil(&c, 10, &s, &n), -EBADMSG);
	/* nil is not a string to mp_read_str. */
	cursor_init(&c, (const uint8_t *)"\xc0", 1);
	assert_int_equal(mp_read_str(&c, 10, &s, &n), -EBADMSG);
	/* A string is not binary, nor binary a string. */
	cursor_init(&c, (const uint8_t *)"\xa1x", 2);
	assert_int_equal(mp_read_bin(&c, 10, &b, &n),
	    -EBADMSG);
	cursor_init(&c, (const uint8_t *)"\xc4\x01x", 3);
	assert_int_equal(mp_read_str(&c, 10, &s, &n), -EBADMSG);

	cursor_init(&c, (const uint8_t *)"\xc2\xc3\xc0", 3);
	assert_int_equal(mp_read_bool(&c, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mp_read_bool(&c, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(mp_read_bool(&c, &v), -EBADMSG);
	cursor_init(&c, (const uint8_t *)"", 0);
	assert_int_equal(mp_read_bool(&c, &v), -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* The stats' optional 7th element: the agent's enrichment counters     */
/* ------------------------------------------------------------------ */

/* What a bad 7th element holds. */
enum enr_bad {
	ENR_OK = 0,
	ENR_TOO_MANY,	/* PROTO_MAX_ENRICH + 1 entries */
	ENR_BAD_NAME,	/* a space in a name */
	ENR_LONG_NAME,	/* 32 bytes: no room for the NUL */
	ENR_EMPTY_NAME,
	ENR_DUP_NAME,
	ENR_NEG_COUNT,
	ENR_STR_COUNT,
	ENR_NOT_MAP,
	ENR_EIGHTH,	/* a well-formed 7th, then an 8th that is no map */
};

/*
 * A batch of no events written by msgpack-c (not by wire.c): stats of
 * 6 elements when n7 is 0, else 7 (or 8), the 7th a map of n7 counters
 * "c00" ... spoilt as bad says. Decoded into *b.
 */
static int
decode_enrich_variant(uint32_t n7, enum enr_bad bad, struct proto_batch *b,
    const char **why)
{
	static struct proto_event ev[1];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char name[40];
	uint8_t *buf;
	uint32_t i, nent = bad == ENR_TOO_MANY ? PROTO_MAX_ENRICH + 1 : n7;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_BATCH);
	msgpack_pack_str_with_body(&pk, "a1", 2);
	msgpack_pack_str_with_body(&pk, "h", 1);
	msgpack_pack_uint64(&pk, 7);		/* boot_id */
	msgpack_pack_uint64(&pk, 1);		/* seq */
	msgpack_pack_uint64(&pk, 1);		/* floor_seq */
	msgpack_pack_uint64(&pk, 1000);		/* sent_ns */
	msgpack_pack_array(&pk, n7 == 0 && bad == ENR_OK ? 6 :
	    bad == ENR_EIGHTH ? 8 : 7);
	for (i = 0; i < 5; i++)
		msgpack_pack_uint64(&pk, 10 + i);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "truncated", 9);
	msgpack_pack_uint64(&pk, 2);
	if (bad == ENR_NOT_MAP)
		msgpack_pack_array(&pk, 0);
	else if (n7 > 0 || bad != ENR_OK)
		msgpack_pack_map(&pk, nent);
	for (i = 0; i < nent && bad != ENR_NOT_MAP; i++) {
		snprintf(name, sizeof(name), "c%02u", i);
		if (i == 1 && bad == ENR_BAD_NAME)
			snprintf(name, sizeof(name), "c 1");
		if (i == 1 && bad == ENR_LONG_NAME)
			snprintf(name, sizeof(name), "%s", A16 A16);
		if (i == 1 && bad == ENR_EMPTY_NAME)
			name[0] = '\0';
		if (i == 1 && bad == ENR_DUP_NAME)
			snprintf(name, sizeof(name), "c00");
		msgpack_pack_str_with_body(&pk, name, strlen(name));
		if (i == 1 && bad == ENR_NEG_COUNT)
			msgpack_pack_int64(&pk, -1);
		else if (i == 1 && bad == ENR_STR_COUNT)
			msgpack_pack_str_with_body(&pk, "1", 1);
		else
			msgpack_pack_uint64(&pk, edges[i % NELEM(edges)]);
	}
	if (bad == ENR_EIGHTH)
		msgpack_pack_uint64(&pk, 0);
	msgpack_pack_array(&pk, 0);		/* events */
	buf = dup_exact(sb.data, sb.size);
	*why = NULL;
	memset(b, 0xa5, sizeof(*b));
	rc = proto_batch_decode(buf, sb.size, PROTO_MAX_MSG_DEFAULT, b, ev,
	    why);
	free(buf);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static void
test_wire_stats_enrichment(void **state)
{
	static const struct {
		enum enr_bad	 bad;
		const char	*why;
	} bads[] = {
		{ ENR_TOO_MANY, "stats.enrichment" },
		{ ENR_BAD_NAME, "stats.enrichment name" },
		{ ENR_LONG_NAME, "stats.enrichment name" },
		{ ENR_EMPTY_NAME, "stats.enrichment name" },
		{ ENR_DUP_NAME, "stats.enrichment duplicate name" },
		{ ENR_NEG_COUNT, "stats.enrichment count" },
		{ ENR_STR_COUNT, "stats.enrichment count" },
		{ ENR_NOT_MAP, "stats.enrichment" },
		{ ENR_EIGHTH, "stats.process" },
	};
	struct proto_batch b, got;
	struct proto_buf out;
	struct bld bl;
	const char *why;
	uint32_t i;

	(void)state;
	/* An older agent's 6 elements: no counters, the rest intact. */
	assert_int_equal(decode_enrich_variant(0, ENR_OK, &got, &why), 0);
	assert_int_equal(got.stats.nenrich, 0);
	assert_int_equal(got.stats.nreasons, 1);
	assert_string_equal(got.stats.reasons[0].name, "truncated");
	assert_int_equal(got.stats.batches_dropped, 14);
	/* 7 elements, from one counter to the most allowed. */
	for (i = 1; i <= PROTO_MAX_ENRICH; i += PROTO_MAX_ENRICH - 1) {
		assert_int_equal(decode_enrich_variant(i, ENR_OK, &got, &why),
		    0);
		assert_int_equal(got.stats.nenrich, i);
		assert_string_equal(got.stats.enrich[0].name, "c00");
		assert_int_equal(got.stats.enrich[i - 1].count,
		    edges[(i - 1) % NELEM(edges)]);
		assert_int_equal(got.stats.nreasons, 1);
	}
	/* Every spoilt 7th element is refused, naming it. */
	for (i = 0; i < NELEM(bads); i++) {
		assert_int_equal(decode_enrich_variant(3, bads[i].bad, &got,
		    &why), -EBADMSG);
		assert_non_null(why);
		if (strcmp(why, bads[i].why) != 0)
			fail_msg("case %u: why '%s', want '%s'", i, why,
			    bads[i].why);
	}

	/* wire.c round trip: the agent's names, every width of count. */
	make_batch(&b, 0, 2);
	b.stats.nenrich = PROTO_MAX_ENRICH;
	for (i = 0; i < PROTO_MAX_ENRICH; i++) {
		snprintf(b.stats.enrich[i].name, sizeof(b.stats.enrich[i].name),
		    i % 2 ? "given_up.cap_full_%02u" : "enriched.socks5_%02u",
		    i);
		b.stats.enrich[i].count = edges[i % NELEM(edges)];
	}
	roundtrip(&b, NULL);
	/* Without counters, wire.c writes the 6 elements of old: the same
	 * bytes as the independent builder's batch. */
	b.stats.nenrich = 0;
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	assert_int_equal(proto_batch_begin(&out, &b), 0);
	bld_init(&bl, W_MIN, NULL);
	build_batch(&bl, &b, NULL);
	assert_int_equal(bl.sb.size, out.len);
	assert_memory_equal(bl.sb.data, out.data, out.len);
	bld_free(&bl);
	proto_buf_free(&out);
	roundtrip(&b, NULL);
	/* The encoder refuses what the decoder would. */
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	b.stats.nenrich = PROTO_MAX_ENRICH + 1;
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	b.stats.nenrich = 1;
	memset(b.stats.enrich[0].name, 'n', sizeof(b.stats.enrich[0].name));
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	assert_int_equal(out.len, 0);
	proto_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* The stats' optional 8th element: the agent's own resources           */
/* ------------------------------------------------------------------ */

/* What the stats of decode_process_variant hold. */
enum proc_var {
	PV_OK = 0,	/* 6 usual, enrichment map, process map of n */
	PV_NIL7,	/* 6 usual, nil, process map */
	PV_NIL7_ONLY,	/* 7 elements, the 7th nil */
	PV_NINE,	/* a 9th element */
	PV_TOO_MANY,	/* PROTO_MAX_PROCESS + 1 entries */
	PV_BAD_NAME,
	PV_DUP_NAME,
	PV_NEG_VALUE,
	PV_NIL_VALUE,
	PV_NIL8,	/* the 8th nil */
	PV_ARRAY7,	/* the 7th an array */
};

/* A batch of no events written by msgpack-c, its stats as v says. */
static int
decode_process_variant(uint32_t n, enum proc_var v, struct proto_batch *b,
    const char **why)
{
	static struct proto_event ev[1];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char name[40];
	uint8_t *buf;
	uint32_t i, nent = v == PV_TOO_MANY ? PROTO_MAX_PROCESS + 1 : n;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_BATCH);
	msgpack_pack_str_with_body(&pk, "a1", 2);
	msgpack_pack_str_with_body(&pk, "h", 1);
	msgpack_pack_uint64(&pk, 7);		/* boot_id */
	msgpack_pack_uint64(&pk, 1);		/* seq */
	msgpack_pack_uint64(&pk, 1);		/* floor_seq */
	msgpack_pack_uint64(&pk, 1000);		/* sent_ns */
	msgpack_pack_array(&pk, v == PV_NIL7_ONLY ? 7 : v == PV_NINE ? 9 : 8);
	for (i = 0; i < 5; i++)
		msgpack_pack_uint64(&pk, 10 + i);
	msgpack_pack_map(&pk, 0);		/* decode reasons */
	if (v == PV_NIL7 || v == PV_NIL7_ONLY)
		msgpack_pack_nil(&pk);
	else if (v == PV_ARRAY7)
		msgpack_pack_array(&pk, 0);
	else {
		msgpack_pack_map(&pk, 1);
		msgpack_pack_str_with_body(&pk, "tracked", 7);
		msgpack_pack_uint64(&pk, 5);
	}
	if (v == PV_NIL8)
		msgpack_pack_nil(&pk);
	else if (v != PV_NIL7_ONLY)
		msgpack_pack_map(&pk, nent);
	for (i = 0; i < nent && v != PV_NIL7_ONLY && v != PV_NIL8; i++) {
		snprintf(name, sizeof(name), "p%02u", i);
		if (i == 1 && v == PV_BAD_NAME)
			snprintf(name, sizeof(name), "p\n1");
		if (i == 1 && v == PV_DUP_NAME)
			snprintf(name, sizeof(name), "p00");
		msgpack_pack_str_with_body(&pk, name, strlen(name));
		if (i == 1 && v == PV_NEG_VALUE)
			msgpack_pack_int64(&pk, -5);
		else if (i == 1 && v == PV_NIL_VALUE)
			msgpack_pack_nil(&pk);
		else
			msgpack_pack_uint64(&pk, edges[i % NELEM(edges)]);
	}
	if (v == PV_NINE)
		msgpack_pack_map(&pk, 0);
	msgpack_pack_array(&pk, 0);		/* events */
	buf = dup_exact(sb.data, sb.size);
	*why = NULL;
	memset(b, 0xa5, sizeof(*b));
	rc = proto_batch_decode(buf, sb.size, PROTO_MAX_MSG_DEFAULT, b, ev,
	    why);
	free(buf);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * The agent's resources (resident memory, CPU, ...) as the stats' 8th
 * element, after the enrichment map or a nil in its place: read back
 * with and without enrichment, absent for older agents, every spoilt
 * form refused naming it.
 */
static void
test_wire_stats_process(void **state)
{
	static const struct {
		enum proc_var	 v;
		const char	*why;
	} bads[] = {
		{ PV_NIL7_ONLY, "stats.enrichment" },
		{ PV_NINE, "stats" },
		{ PV_TOO_MANY, "stats.process" },
		{ PV_BAD_NAME, "stats.process name" },
		{ PV_DUP_NAME, "stats.process duplicate name" },
		{ PV_NEG_VALUE, "stats.process value" },
		{ PV_NIL_VALUE, "stats.process value" },
		{ PV_NIL8, "stats.process" },
		{ PV_ARRAY7, "stats.enrichment" },
	};
	static const char *const names[] = { "resident_memory_bytes",
	    "virtual_memory_bytes", "cpu_ns", "open_fds", "max_fds",
	    "threads" };
	struct proto_batch b, got;
	struct proto_event ev[2];
	struct proto_buf out;
	const char *why;
	uint32_t i, j;

	(void)state;
	/* Decoded as written, from none to the most allowed. */
	for (i = 0; i <= PROTO_MAX_PROCESS; i += PROTO_MAX_PROCESS / 2) {
		assert_int_equal(decode_process_variant(i, PV_OK, &got, &why),
		    0);
		assert_int_equal(got.stats.nenrich, 1);
		assert_int_equal(got.stats.nprocess, i);
		if (i > 0) {
			assert_string_equal(got.stats.process[0].name, "p00");
			assert_int_equal(got.stats.process[i - 1].count,
			    edges[(i - 1) % NELEM(edges)]);
		}
	}
	/* Without enrichment: a nil holds the 7th place. */
	assert_int_equal(decode_process_variant(3, PV_NIL7, &got, &why), 0);
	assert_int_equal(got.stats.nenrich, 0);
	assert_int_equal(got.stats.nprocess, 3);
	for (i = 0; i < NELEM(bads); i++) {
		assert_int_equal(decode_process_variant(3, bads[i].v, &got,
		    &why), -EBADMSG);
		assert_non_null(why);
		if (strcmp(why, bads[i].why) != 0)
			fail_msg("case %u: why '%s', want '%s'", i, why,
			    bads[i].why);
	}

	/* wire.c round trips: with and without enrichment and events, and
	 * with boot_ns after the events. */
	for (j = 0; j < 4; j++) {
		make_batch(&b, j & 1 ? 2 : 0, 1);
		make_event(&ev[0], 0);
		make_event(&ev[1], 1);
		b.boot_ns = j & 1 ? 1700000000000000001ULL : 0;
		if (j & 2) {
			b.stats.nenrich = 1;
			snprintf(b.stats.enrich[0].name,
			    sizeof(b.stats.enrich[0].name), "tracked");
			b.stats.enrich[0].count = 9;
		}
		b.stats.nprocess = NELEM(names);
		for (i = 0; i < NELEM(names); i++) {
			snprintf(b.stats.process[i].name,
			    sizeof(b.stats.process[i].name), "%s", names[i]);
			b.stats.process[i].count = edges[i % NELEM(edges)];
		}
		roundtrip(&b, ev);
		/* None: the stats end as before (the 7th or the 6th). */
		b.stats.nprocess = 0;
		roundtrip(&b, ev);
	}
	/* The encoder refuses what the decoder would. */
	make_batch(&b, 0, 1);
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	b.stats.nprocess = PROTO_MAX_PROCESS + 1;
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	b.stats.nprocess = 1;
	memset(b.stats.process[0].name, 'n', sizeof(b.stats.process[0].name));
	assert_int_equal(proto_batch_begin(&out, &b), -EINVAL);
	assert_int_equal(out.len, 0);
	proto_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_batch_roundtrip_empty),
		cmocka_unit_test(test_wire_batch_roundtrip_one),
		cmocka_unit_test(test_wire_batch_trailer),
		cmocka_unit_test(test_wire_batch_trailing_fields),
		cmocka_unit_test(test_wire_batch_roundtrip_many),
		cmocka_unit_test(test_wire_batch_roundtrip_max_events),
		cmocka_unit_test(test_wire_batch_boundaries),
		cmocka_unit_test(test_wire_ack_roundtrip),
		cmocka_unit_test(test_wire_buf_reset_reuse),
		cmocka_unit_test(test_wire_batch_set_floor),
		cmocka_unit_test(test_wire_batch_truncation_sweep),
		cmocka_unit_test(test_wire_ack_truncation_sweep),
		cmocka_unit_test(test_wire_batch_byte_mutations),
		cmocka_unit_test(test_wire_huge_claims),
		cmocka_unit_test(test_wire_nesting),
		cmocka_unit_test(test_wire_batch_wrong_types),
		cmocka_unit_test(test_wire_ack_wrong_types),
		cmocka_unit_test(test_wire_batch_out_of_range),
		cmocka_unit_test(test_wire_batch_in_range),
		cmocka_unit_test(test_wire_ack_out_of_range),
		cmocka_unit_test(test_wire_trailing_bytes),
		cmocka_unit_test(test_wire_wrong_message_type),
		cmocka_unit_test(test_wire_oversized),
		cmocka_unit_test(test_wire_why_optional),
		cmocka_unit_test(test_wire_encoder_overflow),
		cmocka_unit_test(test_wire_encoder_invalid),
		cmocka_unit_test(test_wire_msgpack_c_reads_ours),
		cmocka_unit_test(test_wire_alternative_widths),
		cmocka_unit_test(test_wire_mp_type_bytes),
		cmocka_unit_test(test_wire_mp_uint),
		cmocka_unit_test(test_wire_mp_lengths),
		cmocka_unit_test(test_wire_mp_str_nil_bool),
		cmocka_unit_test(test_wire_stats_enrichment),
		cmocka_unit_test(test_wire_stats_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
