/*
 * fuzz_wire: libFuzzer target for proto/ (STYLE.md 12.3). Each input is
 * one message. Besides the sanitizers it checks, and abort()s when one
 * breaks:
 *   - proto_batch_decode and proto_ack_decode return 0, -EBADMSG, -EPROTO
 *     (-EMSGSIZE only above the cap), with a reason; what they accept obeys
 *     docs/PROTOCOL.md and its strings point into the input;
 *   - what decodes re-encodes (wire.c), and that decodes to the same
 *     values; encoding again gives the same bytes;
 *   - the input walked value by value with the mp_read_* readers agrees
 *     with msgpack-c's own unpacker on every value the readers accept
 *     (type, value, bytes used), and every cap is inclusive.
 * Built with -fsanitize=fuzzer only when SA_FUZZ=ON; fuzz_wire_replay.c
 * drives the same function from corpus_wire/ in the normal build.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "fuzz_wire.h"
#include "mp_read.h"
#include "wire.h"

#define WALK_DEPTH	16	/* below msgpack-c's own stack of 32 */

static void	check(int, const char *, const char *, int);

#define CHECK(c)	check(!!(c), #c, __FILE__, __LINE__)

/*
 * Scratch for decoded events: PROTO_MAX_EVENTS each, too big for the
 * stack and too slow to allocate per input. Test-harness state only.
 */
static struct proto_event ev_a[PROTO_MAX_EVENTS], ev_b[PROTO_MAX_EVENTS];

static void
check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

static int
inside(const void *s, uint32_t len, const uint8_t *buf, size_t n)
{
	const uint8_t *p = s;

	return p >= buf && len <= n && (size_t)(p - buf) <= n - len;
}

static int
same_str(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (a == NULL || b == NULL)
		return a == NULL && b == NULL;
	return alen == blen && memcmp(a, b, alen) == 0;
}

static int
text_ok(const char *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
check_event(const struct proto_event *e, const uint8_t *buf, size_t n)
{
	static const uint8_t zero[12];

	CHECK(e->kind >= PROTO_EV_UPDATE && e->kind <= PROTO_EV_AMEND);
	CHECK(e->af == 4 || e->af == 6);
	CHECK(e->proto == 6 || e->proto == 17);
	if (e->kind == PROTO_EV_CLOSE)
		CHECK(e->status >= 1 && e->status <= 3 &&
		    e->reason >= 1 && e->reason <= 7);
	else
		CHECK(e->status == 0 && e->reason == 0);
	if (e->af == 4)
		CHECK(memcmp(e->cli + 4, zero, 12) == 0 &&
		    memcmp(e->srv + 4, zero, 12) == 0);
	CHECK(e->last_ns >= e->start_ns);
	CHECK(e->kind == PROTO_EV_AMEND ? e->end_ns >= e->start_ns :
	    e->end_ns == 0);
	CHECK(e->leg <= 2 && (e->leg != 0 || (e->peer_hash == 0 &&
	    e->peer_start == 0)));
	CHECK(e->origin == NULL || (e->origin_len <= PROTO_MAX_ORIGIN &&
	    inside(e->origin, e->origin_len, buf, n) &&
	    text_ok(e->origin, e->origin_len)));
	CHECK(e->user == NULL || (e->user_len <= PROTO_MAX_STR &&
	    inside(e->user, e->user_len, buf, n) &&
	    text_ok(e->user, e->user_len)));
	CHECK(e->target == NULL || (e->target_len <= PROTO_MAX_STR &&
	    inside(e->target, e->target_len, buf, n) &&
	    text_ok(e->target, e->target_len)));
}

static int
same_event(const struct proto_event *a, const struct proto_event *b)
{
	return a->kind == b->kind && a->af == b->af && a->proto == b->proto &&
	    a->status == b->status && a->reason == b->reason &&
	    a->tcp_flags[0] == b->tcp_flags[0] &&
	    a->tcp_flags[1] == b->tcp_flags[1] &&
	    a->cli_port == b->cli_port && a->srv_port == b->srv_port &&
	    memcmp(a->cli, b->cli, 16) == 0 &&
	    memcmp(a->srv, b->srv, 16) == 0 &&
	    a->start_ns == b->start_ns && a->last_ns == b->last_ns &&
	    memcmp(a->packets, b->packets, sizeof(a->packets)) == 0 &&
	    memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0 &&
	    memcmp(a->wire_bytes, b->wire_bytes, sizeof(a->wire_bytes)) == 0 &&
	    same_str(a->user, a->user_len, b->user, b->user_len) &&
	    same_str(a->target, a->target_len, b->target, b->target_len) &&
	    same_str(a->origin, a->origin_len, b->origin, b->origin_len) &&
	    a->leg == b->leg && a->peer_hash == b->peer_hash &&
	    a->peer_start == b->peer_start && a->end_ns == b->end_ns;
}

static int
same_batch(const struct proto_batch *a, const struct proto_batch *b)
{
	uint32_t i;

	if (!same_str(a->agent_id, a->agent_len, b->agent_id, b->agent_len) ||
	    !same_str(a->host, a->host_len, b->host, b->host_len) ||
	    a->boot_id != b->boot_id || a->seq != b->seq ||
	    a->floor_seq != b->floor_seq || a->sent_ns != b->sent_ns ||
	    a->nevents != b->nevents ||
	    a->stats.packets != b->stats.packets ||
	    a->stats.kernel_drops != b->stats.kernel_drops ||
	    a->stats.if_drops != b->stats.if_drops ||
	    a->stats.decode_errors != b->stats.decode_errors ||
	    a->stats.batches_dropped != b->stats.batches_dropped ||
	    a->stats.nreasons != b->stats.nreasons)
		return 0;
	for (i = 0; i < a->stats.nreasons; i++)
		if (strcmp(a->stats.reasons[i].name,
		    b->stats.reasons[i].name) != 0 ||
		    a->stats.reasons[i].count != b->stats.reasons[i].count)
			return 0;
	if (a->stats.nenrich != b->stats.nenrich)
		return 0;
	for (i = 0; i < a->stats.nenrich; i++)
		if (strcmp(a->stats.enrich[i].name,
		    b->stats.enrich[i].name) != 0 ||
		    a->stats.enrich[i].count != b->stats.enrich[i].count)
			return 0;
	return 1;
}

static int
encode_batch(struct proto_buf *out, const struct proto_batch *b,
    const struct proto_event *ev)
{
	uint32_t i;
	int rc;

	if ((rc = proto_batch_begin(out, b)) != 0)
		return rc;
	for (i = 0; i < b->nevents; i++)
		if ((rc = proto_batch_add_event(out, &ev[i])) != 0)
			return rc;
	return 0;
}

static void
fuzz_batch(const uint8_t *data, size_t size)
{
	struct proto_batch b, b2;
	struct proto_buf out, out2;
	const char *why = NULL;
	uint32_t i;
	int rc;

	rc = proto_batch_decode(data, size, PROTO_MAX_MSG_DEFAULT, &b, ev_a,
	    &why);
	if (rc == -EMSGSIZE) {
		CHECK(size > PROTO_MAX_MSG_DEFAULT);
		return;
	}
	CHECK(size <= PROTO_MAX_MSG_DEFAULT);
	if (rc != 0) {
		CHECK(rc == -EBADMSG || rc == -EPROTO);
		CHECK(why != NULL);
		return;
	}
	CHECK(proto_msg_type(data, size) == PROTO_MSG_BATCH);
	CHECK(b.agent_len >= 1 && b.agent_len <= PROTO_MAX_ID &&
	    inside(b.agent_id, b.agent_len, data, size));
	CHECK(b.host_len <= PROTO_MAX_ID && inside(b.host, b.host_len, data,
	    size) && text_ok(b.host, b.host_len));
	CHECK(b.seq >= b.floor_seq && b.floor_seq >= 1);
	CHECK(b.stats.nreasons <= PROTO_MAX_REASONS);
	for (i = 0; i < b.stats.nreasons; i++)
		CHECK(memchr(b.stats.reasons[i].name, '\0',
		    sizeof(b.stats.reasons[i].name)) != NULL &&
		    b.stats.reasons[i].name[0] != '\0');
	CHECK(b.nevents <= PROTO_MAX_EVENTS);
	for (i = 0; i < b.nevents; i++)
		check_event(&ev_a[i], data, size);

	/* Re-encode: it fits (shortest forms, but floor_seq and
	 * batches_dropped are always 9 bytes, to be patched in place: at
	 * most 8 more each than the shortest), and decodes the same. */
	proto_buf_init(&out, PROTO_MAX_MSG_LIMIT);
	CHECK(encode_batch(&out, &b, ev_a) == 0);
	CHECK(out.len <= size + 16);
	rc = proto_batch_decode(out.data, out.len, PROTO_MAX_MSG_LIMIT, &b2,
	    ev_b, &why);
	CHECK(rc == 0);
	CHECK(same_batch(&b, &b2));
	for (i = 0; i < b.nevents; i++)
		CHECK(same_event(&ev_a[i], &ev_b[i]));
	/* The encoding is canonical: once more gives the same bytes. */
	proto_buf_init(&out2, PROTO_MAX_MSG_LIMIT);
	CHECK(encode_batch(&out2, &b2, ev_b) == 0);
	CHECK(out2.len == out.len && memcmp(out2.data, out.data, out.len) == 0);
	proto_buf_free(&out2);
	proto_buf_free(&out);
}

static void
fuzz_ack(const uint8_t *data, size_t size)
{
	struct proto_ack a, a2;
	struct proto_buf out;
	int rc;

	rc = proto_ack_decode(data, size, &a);
	if (rc != 0) {
		CHECK(rc == -EBADMSG || rc == -EPROTO);
		return;
	}
	CHECK(proto_msg_type(data, size) == PROTO_MSG_ACK);
	CHECK(a.status <= PROTO_ACK_RESEND);
	CHECK(memchr(a.reason, '\0', sizeof(a.reason)) != NULL);
	proto_buf_init(&out, 4096);
	/* A reason with a NUL inside re-encodes shorter: compare to it. */
	CHECK(proto_ack_encode(&out, &a) == 0);
	CHECK(out.len <= size);
	CHECK(proto_ack_decode(out.data, out.len, &a2) == 0);
	CHECK(a2.boot_id == a.boot_id && a2.seq == a.seq &&
	    a2.status == a.status && strcmp(a2.reason, a.reason) == 0);
	proto_buf_free(&out);
}

/* Re-reads with cap limit - 1 (must fail) and limit (must pass). */
static void
check_caps(const struct cursor *at, uint8_t t, uint64_t limit)
{
	struct cursor c;
	const char *s;
	const uint8_t *p;
	uint32_t n;
	uint64_t v;
	int r1 = 0, r0;

	c = *at;
	if (t <= 0x7f || (t >= 0xcc && t <= 0xcf) ||
	    (t >= 0xd0 && t <= 0xd3)) {
		r0 = mp_read_uint(&c, limit, &v);
		if (limit > 0) {
			c = *at;
			r1 = mp_read_uint(&c, limit - 1, &v);
		}
	} else if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb)) {
		r0 = mp_read_str(&c, (uint32_t)limit, &s, &n);
		if (limit > 0) {
			c = *at;
			r1 = mp_read_str(&c, (uint32_t)limit - 1, &s, &n);
		}
	} else if (t >= 0xc4 && t <= 0xc6) {
		r0 = mp_read_bin(&c, (uint32_t)limit, &p, &n);
		if (limit > 0) {
			c = *at;
			r1 = mp_read_bin(&c, (uint32_t)limit - 1, &p, &n);
		}
	} else if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
		r0 = mp_read_array(&c, (uint32_t)limit, &n);
		if (limit > 0) {
			c = *at;
			r1 = mp_read_array(&c, (uint32_t)limit - 1, &n);
		}
	} else {
		r0 = mp_read_map(&c, (uint32_t)limit, &n);
		if (limit > 0) {
			c = *at;
			r1 = mp_read_map(&c, (uint32_t)limit - 1, &n);
		}
	}
	CHECK(r0 == 0);
	CHECK(limit == 0 || r1 == -EBADMSG);
}

/*
 * Reads one value at c with the readers; with o, compares it with what
 * msgpack-c made of the same bytes (an empty str or bin may have a NULL
 * pointer there, hence no memcmp for n == 0). Returns 0, or -1 where the readers
 * refuse (a type they do not know, a negative number, a lie, too deep).
 */
static int
walk(struct cursor *c, const msgpack_object *o, int depth)
{
	struct cursor at = *c;
	const char *s;
	const uint8_t *p;
	uint32_t n, i;
	uint64_t v;
	uint8_t t;
	int bv;

	if (depth > WALK_DEPTH || cursor_left(c) == 0)
		return -1;
	t = c->p[0];
	if (mp_peek_nil(c)) {
		CHECK(mp_read_str_or_nil(c, 0, &s, &n) == 0 && s == NULL &&
		    n == 0);
		CHECK(o == NULL || o->type == MSGPACK_OBJECT_NIL);
		return 0;
	}
	if (t == 0xc2 || t == 0xc3) {
		CHECK(mp_read_bool(c, &bv) == 0);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_BOOLEAN &&
		    o->via.boolean == (bv != 0)));
		return 0;
	}
	if (mp_read_uint(c, UINT64_MAX, &v) == 0) {
		check_caps(&at, t, v);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 == v));
		return 0;
	}
	*c = at;
	if (mp_read_str_or_nil(c, UINT32_MAX, &s, &n) == 0) {
		CHECK(s != NULL && inside(s, n, at.p, cursor_left(&at)));
		check_caps(&at, t, n);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_STR &&
		    o->via.str.size == n &&
		    (n == 0 || memcmp(o->via.str.ptr, s, n) == 0)));
		return 0;
	}
	*c = at;
	if (mp_read_bin(c, UINT32_MAX, &p, &n) == 0) {
		CHECK(inside(p, n, at.p, cursor_left(&at)));
		check_caps(&at, t, n);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_BIN &&
		    o->via.bin.size == n &&
		    (n == 0 || memcmp(o->via.bin.ptr, p, n) == 0)));
		return 0;
	}
	*c = at;
	if (mp_read_array(c, UINT32_MAX, &n) == 0) {
		CHECK(n <= cursor_left(c));
		check_caps(&at, t, n);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_ARRAY &&
		    o->via.array.size == n));
		for (i = 0; i < n; i++)
			if (walk(c, o ? &o->via.array.ptr[i] : NULL,
			    depth + 1) != 0)
				return -1;
		return 0;
	}
	*c = at;
	if (mp_read_map(c, UINT32_MAX, &n) == 0) {
		CHECK(n <= cursor_left(c));
		check_caps(&at, t, n);
		CHECK(o == NULL || (o->type == MSGPACK_OBJECT_MAP &&
		    o->via.map.size == n));
		for (i = 0; i < n; i++)
			if (walk(c, o ? &o->via.map.ptr[i].key : NULL,
			    depth + 1) != 0 ||
			    walk(c, o ? &o->via.map.ptr[i].val : NULL,
			    depth + 1) != 0)
				return -1;
		return 0;
	}
	/* Nothing took it: only types the readers do not cover get here,
	 * or a header that lies about what follows. */
	*c = at;
	CHECK(c->p == at.p);
	return -1;
}

/*
 * Walks the input as a sequence of values. Each value the readers accept
 * is handed to msgpack-c too, only then: its counts are known to fit the
 * input, so msgpack-c cannot be made to reserve gigabytes.
 */
static void
fuzz_walk(const uint8_t *data, size_t size)
{
	struct cursor c, again;
	msgpack_unpacked up;
	size_t off = 0;
	msgpack_unpack_return ur;

	cursor_init(&c, data, size);
	msgpack_unpacked_init(&up);
	while (cursor_left(&c) > 0) {
		again = c;
		if (walk(&c, NULL, 0) != 0)
			break;
		CHECK(c.p > again.p && c.p <= c.end);
		ur = msgpack_unpack_next(&up, (const char *)data, size, &off);
		CHECK(ur == MSGPACK_UNPACK_SUCCESS);
		CHECK(off == (size_t)(c.p - data));
		CHECK(walk(&again, &up.data, 0) == 0);
		CHECK(again.p == c.p);
	}
	msgpack_unpacked_destroy(&up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int type;

	fuzz_batch(data, size);
	fuzz_ack(data, size);
	type = proto_msg_type(data, size);
	CHECK(type == -EBADMSG || (type >= 0 && type <= UINT8_MAX));
	fuzz_walk(data, size);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Seeds                                                                */
/* ------------------------------------------------------------------ */

static void
seed_event(struct proto_event *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->kind = i % 7 == 6 ? PROTO_EV_AMEND : i % 3 == 2 ? PROTO_EV_CLOSE :
	    PROTO_EV_UPDATE;
	e->af = i % 2 ? 6 : 4;
	e->proto = i % 4 == 1 ? 17 : 6;
	if (e->kind == PROTO_EV_CLOSE) {
		e->status = 1 + i % 3;
		e->reason = 1 + i % 7;
	}
	if (e->af == 4) {
		memcpy(e->cli, "\x0a\x00\x00\x01", 4);
		memcpy(e->srv, "\xc0\xa8\x01\x02", 4);
	} else {
		memcpy(e->cli, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(e->srv, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	e->cli_port = (uint16_t)(40000 + i);
	e->srv_port = i % 2 ? 443 : 53;
	e->start_ns = 1700000000000000000ULL + i;
	e->last_ns = e->start_ns + (i % 2 ? 0 : 1000000);
	e->packets[0] = i;
	e->packets[1] = i % 5 == 4 ? UINT64_MAX : 0x80;
	e->bytes[0] = 0xffff;
	e->bytes[1] = 0x10000;
	e->wire_bytes[0] = 0xffffffff;
	e->wire_bytes[1] = 0x100000000ULL;
	e->tcp_flags[0] = 0x12;
	e->tcp_flags[1] = 0xff;
	if (i % 3 == 1) {
		e->user = "alice";
		e->user_len = 5;
	}
	if (i % 2 == 1) {
		e->target = "db.example:5432";
		e->target_len = 15;
	}
	if (i % 4 == 0) {
		e->origin = "[2001:db8::1]:443";
		e->origin_len = 17;
	}
	if (i % 5 == 2) {
		e->leg = 1 + i % 2;
		e->peer_hash = 0x8000000000000000ULL | i;
		e->peer_start = e->start_ns + 5;
	}
	if (e->kind == PROTO_EV_AMEND)
		e->end_ns = e->start_ns + 1;
}

static int
seed_batch(fuzz_wire_seed_fn fn, void *arg, const char *name,
    uint32_t nevents, uint32_t nreasons)
{
	struct proto_batch b;
	struct proto_event ev[8];
	struct proto_buf out;
	uint32_t i;
	int rc;

	memset(&b, 0, sizeof(b));
	b.agent_id = "agent-1";
	b.agent_len = 7;
	b.host = "host 1";
	b.host_len = 6;
	b.boot_id = 0x1122334455667788ULL;
	b.seq = 7;
	b.floor_seq = 5;
	b.sent_ns = 1700000000123456789ULL;
	b.stats.packets = 1000;
	b.stats.kernel_drops = 1;
	b.stats.decode_errors = 0x80;
	b.stats.nreasons = nreasons;
	for (i = 0; i < nreasons; i++) {
		snprintf(b.stats.reasons[i].name,
		    sizeof(b.stats.reasons[i].name), "ip.bad_%u", i);
		b.stats.reasons[i].count = (uint64_t)1 << (i * 7 % 64);
	}
	b.stats.nenrich = nreasons < 3 ? nreasons : 3;
	for (i = 0; i < b.stats.nenrich; i++) {
		snprintf(b.stats.enrich[i].name,
		    sizeof(b.stats.enrich[i].name), "given_up.r%u", i);
		b.stats.enrich[i].count = (uint64_t)i << 40;
	}
	b.nevents = nevents;
	for (i = 0; i < nevents; i++)
		seed_event(&ev[i], i);
	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	rc = encode_batch(&out, &b, ev);
	if (rc == 0)
		rc = fn(arg, name, out.data, out.len);
	proto_buf_free(&out);
	return rc;
}

static int
seed_ack(fuzz_wire_seed_fn fn, void *arg, const char *name, uint8_t status,
    const char *reason)
{
	struct proto_ack a;
	struct proto_buf out;
	int rc;

	memset(&a, 0, sizeof(a));
	a.boot_id = 0x1122334455667788ULL;
	a.seq = 7;
	a.status = status;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	proto_buf_init(&out, 4096);
	rc = proto_ack_encode(&out, &a);
	if (rc == 0)
		rc = fn(arg, name, out.data, out.len);
	proto_buf_free(&out);
	return rc;
}

/* A value of every family the readers know, at wide and narrow widths. */
static int
seed_values(fuzz_wire_seed_fn fn, void *arg)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "ints", 4);
	msgpack_pack_array(&pk, 11);
	msgpack_pack_uint8(&pk, 0x7f);
	msgpack_pack_fix_uint8(&pk, 0x80);
	msgpack_pack_fix_uint16(&pk, 0xffff);
	msgpack_pack_fix_uint32(&pk, 0xffffffff);
	msgpack_pack_fix_uint64(&pk, UINT64_MAX);
	msgpack_pack_fix_int8(&pk, 5);
	msgpack_pack_fix_int16(&pk, 0x7fff);
	msgpack_pack_fix_int32(&pk, 0x7fffffff);
	msgpack_pack_fix_int64(&pk, INT64_MAX);
	msgpack_pack_true(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_str_with_body(&pk, "bytes", 5);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_bin_with_body(&pk, "\x01\x02\x03\x04", 4);
	msgpack_pack_str_with_body(&pk, "a string of thirty-two bytes...!", 32);
	msgpack_pack_false(&pk);
	msgpack_pack_str_with_body(&pk, "nested", 6);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_array(&pk, 0);
	/* A second value, of a type the readers refuse: the walk stops. */
	msgpack_pack_int8(&pk, -1);
	rc = fn(arg, "seed-values", (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int
fuzz_wire_seeds(fuzz_wire_seed_fn fn, void *arg)
{
	int rc;

	if ((rc = seed_batch(fn, arg, "seed-batch-empty", 0, 0)) != 0 ||
	    (rc = seed_batch(fn, arg, "seed-batch-1", 1, 1)) != 0 ||
	    (rc = seed_batch(fn, arg, "seed-batch-3", 3, 2)) != 0 ||
	    (rc = seed_batch(fn, arg, "seed-batch-8", 8, 5)) != 0 ||
	    (rc = seed_ack(fn, arg, "seed-ack-ok", PROTO_ACK_OK, "")) != 0 ||
	    (rc = seed_ack(fn, arg, "seed-ack-rejected", PROTO_ACK_REJECTED,
	    "event.af")) != 0 ||
	    (rc = seed_ack(fn, arg, "seed-ack-resend", PROTO_ACK_RESEND,
	    "out of order")) != 0 ||
	    (rc = seed_values(fn, arg)) != 0)
		return rc;
	return 0;
}
