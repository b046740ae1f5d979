/*
 * wire: encode with msgpack-c's packer into a bounded buffer; decode with
 * the strict readers of mp_read.c. See docs/PROTOCOL.md for the layouts:
 *   BATCH [1, 1, agent_id, host, boot_id, seq, floor_seq, sent_ns,
 *          stats, events, boot_ns?, clock_ns?]
 *   stats [packets, kernel_drops, if_drops, decode_errors,
 *          batches_dropped, {reason: count}, {enrichment: count}?,
 *          {process: value}?]   (the 7th nil when only the 8th is there)
 *   event [kind, af, proto, cli, cli_port, srv, srv_port, start_ns,
 *          last_ns, pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c, wire_c2s,
 *          wire_s2c, flags_c2s, flags_s2c, status, reason, user, target]
 *   ACK   [1, 2, boot_id, seq, status, reason]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "../common/xmalloc.h"
#include "mp_read.h"
#include "proto_int.h"
#include "wire.h"

#define BATCH_FIELDS	12		/* boot_ns, then clock_ns: optional */
#define BATCH_FIELDS_MIN 10
#define STATS_FIELDS	8		/* 7th enrichment, 8th process: optional */
#define STATS_FIELDS_MIN 6
/*
 * An event has 21 fields, then trailing ones sent only when needed:
 * origin (22), link (23), end_ns (24, AMEND events, which always have it).
 */
#define EVENT_FIELDS_MIN	21
#define EVENT_FIELDS	24
#define ACK_FIELDS	6

void
proto_buf_init(struct proto_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
proto_buf_reset(struct proto_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	/* data[0] is an array header, never 0xcf: set_floor then does
	 * nothing until the next proto_batch_begin. */
	b->floor_off = 0;
	b->dropped_off = 0;
	b->ev_left = 0;
	b->boot_ns = 0;
	b->clock_ns = 0;
}

void
proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* msgpack_packer_write callback: append, bounded by max. */
int
proto__buf_write(void *data, const char *p, size_t n)
{
	struct proto_buf *b = data;
	size_t ncap;

	if (b->overflow || n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n)
			ncap *= 2;
		if (ncap > b->max)
			ncap = b->max;
		b->data = xreallocarray(b->data, ncap, 1);
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
proto__pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* A uint64 always in its 9-byte form (0xcf + big-endian), rewritable. */
static void
put_u64_fixed(struct proto_buf *out, uint64_t v)
{
	uint8_t w[9];
	int k;

	w[0] = 0xcf;
	for (k = 0; k < 8; k++)
		w[1 + k] = (uint8_t)(v >> (56 - 8 * k));
	(void)proto__buf_write(out, (const char *)w, sizeof(w));
}

/* The batch's trailing elements, after its last event. */
static void
pack_trailer(msgpack_packer *pk, const struct proto_buf *out)
{
	if (out->boot_ns != 0)
		msgpack_pack_uint64(pk, out->boot_ns);
	if (out->clock_ns != 0)
		msgpack_pack_uint64(pk, out->clock_ns);
}

int
proto_batch_begin(struct proto_buf *out, const struct proto_batch *b)
{
	msgpack_packer pk;
	uint32_t i;

	/* Refuse, before writing anything, what the decoder would refuse
	 * as a whole batch, and never read past reasons[] or a name. */
	if (b->nevents > PROTO_MAX_EVENTS ||
	    b->stats.nreasons > PROTO_MAX_REASONS ||
	    b->stats.nenrich > PROTO_MAX_ENRICH ||
	    b->stats.nprocess > PROTO_MAX_PROCESS)
		return -EINVAL;
	for (i = 0; i < b->stats.nreasons; i++)
		if (memchr(b->stats.reasons[i].name, '\0',
		    sizeof(b->stats.reasons[i].name)) == NULL)
			return -EINVAL;
	for (i = 0; i < b->stats.nenrich; i++)
		if (memchr(b->stats.enrich[i].name, '\0',
		    sizeof(b->stats.enrich[i].name)) == NULL)
			return -EINVAL;
	for (i = 0; i < b->stats.nprocess; i++)
		if (memchr(b->stats.process[i].name, '\0',
		    sizeof(b->stats.process[i].name)) == NULL)
			return -EINVAL;
	msgpack_packer_init(&pk, out, proto__buf_write);
	if (b->clock_ns != 0 && b->boot_ns == 0)
		return -EINVAL;
	msgpack_pack_array(&pk, b->clock_ns != 0 ? BATCH_FIELDS :
	    b->boot_ns != 0 ? BATCH_FIELDS - 1 : BATCH_FIELDS_MIN);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_BATCH);
	proto__pack_str(&pk, b->agent_id, b->agent_len);
	proto__pack_str(&pk, b->host, b->host_len);
	msgpack_pack_uint64(&pk, b->boot_id);
	msgpack_pack_uint64(&pk, b->seq);
	/* Fixed width, so that it can be rewritten before a resend. */
	out->floor_off = out->len;
	put_u64_fixed(out, b->floor_seq);
	msgpack_pack_uint64(&pk, b->sent_ns);
	/* Only as far as the last element present: agents without
	 * enrichment or process figures send the 6 elements of old. */
	msgpack_pack_array(&pk, b->stats.nprocess > 0 ? STATS_FIELDS :
	    b->stats.nenrich > 0 ? STATS_FIELDS - 1 : STATS_FIELDS_MIN);
	msgpack_pack_uint64(&pk, b->stats.packets);
	msgpack_pack_uint64(&pk, b->stats.kernel_drops);
	msgpack_pack_uint64(&pk, b->stats.if_drops);
	msgpack_pack_uint64(&pk, b->stats.decode_errors);
	out->dropped_off = out->len;
	put_u64_fixed(out, b->stats.batches_dropped);
	msgpack_pack_map(&pk, b->stats.nreasons);
	for (i = 0; i < b->stats.nreasons; i++) {
		proto__pack_str(&pk, b->stats.reasons[i].name,
		    strlen(b->stats.reasons[i].name));
		msgpack_pack_uint64(&pk, b->stats.reasons[i].count);
	}
	if (b->stats.nenrich > 0) {
		msgpack_pack_map(&pk, b->stats.nenrich);
		for (i = 0; i < b->stats.nenrich; i++) {
			proto__pack_str(&pk, b->stats.enrich[i].name,
			    strlen(b->stats.enrich[i].name));
			msgpack_pack_uint64(&pk, b->stats.enrich[i].count);
		}
	} else if (b->stats.nprocess > 0)
		msgpack_pack_nil(&pk);
	if (b->stats.nprocess > 0) {
		msgpack_pack_map(&pk, b->stats.nprocess);
		for (i = 0; i < b->stats.nprocess; i++) {
			proto__pack_str(&pk, b->stats.process[i].name,
			    strlen(b->stats.process[i].name));
			msgpack_pack_uint64(&pk, b->stats.process[i].count);
		}
	}
	msgpack_pack_array(&pk, b->nevents);
	/* boot_ns and clock_ns trail the events: written by the last
	 * add_event. */
	out->ev_left = b->nevents;
	out->boot_ns = b->boot_ns;
	out->clock_ns = b->clock_ns;
	if (b->nevents == 0)
		pack_trailer(&pk, out);
	return out->overflow ? -EMSGSIZE : 0;
}

int
proto_batch_add_event(struct proto_buf *out, const struct proto_event *e)
{
	msgpack_packer pk;
	size_t alen = e->af == 4 ? 4 : 16;
	uint32_t nf;

	/* One oversized string would get the whole batch rejected. */
	if ((e->user != NULL && e->user_len > PROTO_MAX_STR) ||
	    (e->target != NULL && e->target_len > PROTO_MAX_STR) ||
	    (e->origin != NULL && e->origin_len > PROTO_MAX_ORIGIN) ||
	    e->kind < PROTO_EV_UPDATE || e->kind > PROTO_EV_AMEND ||
	    e->leg > 2)
		return -EINVAL;
	/* Trailing fields are left out from the last one that is absent. */
	if (e->kind == PROTO_EV_AMEND)
		nf = EVENT_FIELDS;
	else if (e->leg != 0)
		nf = EVENT_FIELDS - 1;
	else if (e->origin != NULL)
		nf = EVENT_FIELDS - 2;
	else
		nf = EVENT_FIELDS_MIN;
	msgpack_packer_init(&pk, out, proto__buf_write);
	msgpack_pack_array(&pk, nf);
	msgpack_pack_uint8(&pk, e->kind);
	msgpack_pack_uint8(&pk, e->af);
	msgpack_pack_uint8(&pk, e->proto);
	msgpack_pack_bin(&pk, alen);
	msgpack_pack_bin_body(&pk, e->cli, alen);
	msgpack_pack_uint16(&pk, e->cli_port);
	msgpack_pack_bin(&pk, alen);
	msgpack_pack_bin_body(&pk, e->srv, alen);
	msgpack_pack_uint16(&pk, e->srv_port);
	msgpack_pack_uint64(&pk, e->start_ns);
	msgpack_pack_uint64(&pk, e->last_ns);
	msgpack_pack_uint64(&pk, e->packets[0]);
	msgpack_pack_uint64(&pk, e->packets[1]);
	msgpack_pack_uint64(&pk, e->bytes[0]);
	msgpack_pack_uint64(&pk, e->bytes[1]);
	msgpack_pack_uint64(&pk, e->wire_bytes[0]);
	msgpack_pack_uint64(&pk, e->wire_bytes[1]);
	msgpack_pack_uint8(&pk, e->tcp_flags[0]);
	msgpack_pack_uint8(&pk, e->tcp_flags[1]);
	msgpack_pack_uint8(&pk, e->status);
	msgpack_pack_uint8(&pk, e->reason);
	if (e->user != NULL)
		proto__pack_str(&pk, e->user, e->user_len);
	else
		msgpack_pack_nil(&pk);
	if (e->target != NULL)
		proto__pack_str(&pk, e->target, e->target_len);
	else
		msgpack_pack_nil(&pk);
	if (nf > EVENT_FIELDS_MIN) {
		if (e->origin != NULL)
			proto__pack_str(&pk, e->origin, e->origin_len);
		else
			msgpack_pack_nil(&pk);
	}
	if (nf > EVENT_FIELDS_MIN + 1) {
		if (e->leg != 0) {
			msgpack_pack_array(&pk, 3);
			msgpack_pack_uint8(&pk, e->leg);
			msgpack_pack_uint64(&pk, e->peer_hash);
			msgpack_pack_uint64(&pk, e->peer_start);
		} else
			msgpack_pack_nil(&pk);
	}
	if (nf == EVENT_FIELDS)
		msgpack_pack_uint64(&pk, e->end_ns);
	if (out->ev_left > 0 && --out->ev_left == 0)
		pack_trailer(&pk, out);
	return out->overflow ? -EMSGSIZE : 0;
}

static void
patch_u64(struct proto_buf *b, size_t off, uint64_t v)
{
	int i;

	if (b->overflow || off == 0 || off + 9 > b->len || b->data[off] != 0xcf)
		return;
	for (i = 0; i < 8; i++)
		b->data[off + 1 + i] = (uint8_t)(v >> (56 - 8 * i));
}

void
proto_batch_set_floor(struct proto_buf *b, uint64_t floor_seq)
{
	patch_u64(b, b->floor_off, floor_seq);
}

void
proto_batch_set_dropped(struct proto_buf *b, uint64_t dropped)
{
	patch_u64(b, b->dropped_off, dropped);
}

int
proto_ack_encode(struct proto_buf *out, const struct proto_ack *a)
{
	msgpack_packer pk;
	size_t rlen = strnlen(a->reason, sizeof(a->reason));

	/* 128 bytes without a NUL would not fit the decoder's 127 + NUL. */
	if (rlen == sizeof(a->reason))
		return -EINVAL;
	msgpack_packer_init(&pk, out, proto__buf_write);
	msgpack_pack_array(&pk, ACK_FIELDS);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_ACK);
	msgpack_pack_uint64(&pk, a->boot_id);
	msgpack_pack_uint64(&pk, a->seq);
	msgpack_pack_uint8(&pk, a->status);
	proto__pack_str(&pk, a->reason, rlen);
	return out->overflow ? -EMSGSIZE : 0;
}

/* Agent ids name things in keys and logs: [A-Za-z0-9._:-]{1,64}. */
static int
valid_id(const char *s, uint32_t n)
{
	uint32_t i;

	if (n == 0 || n > PROTO_MAX_ID)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-' || ch == ':'))
			return 0;
	}
	return 1;
}

/* Free text (host, user, target): any bytes but NUL and controls. */
static int
valid_text(const char *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Both set *why (if wanted) to the field at fault and fail the decode. */
#define FAIL(what) do {					\
		if (why != NULL)			\
			*why = (what);			\
		return -EBADMSG;			\
	} while (0)
#define CHECK(expr, what) do {					\
		if ((expr) != 0)				\
			FAIL(what);				\
	} while (0)
#define REQUIRE(cond, what) do {				\
		if (!(cond))					\
			FAIL(what);				\
	} while (0)

static int	header_range(struct cursor *, uint32_t, uint32_t, uint64_t,
		    const char **, uint32_t *);

int
proto__header(struct cursor *c, uint32_t nfields, uint64_t type,
    const char **why)
{
	uint32_t n;

	return header_range(c, nfields, nfields, type, why, &n);
}

/* The same, for a message of min..max fields; *n says how many. */
static int
header_range(struct cursor *c, uint32_t min, uint32_t max, uint64_t type,
    const char **why, uint32_t *np)
{
	uint32_t n;
	uint64_t v;

	CHECK(mp_read_array(c, 64, &n), "message is not an array");
	/* Any well-formed number other than ours is another version
	 * (EPROTO), not a malformed message. */
	CHECK(mp_read_uint(c, UINT64_MAX, &v), "version");
	if (v != PROTO_VERSION) {
		if (why != NULL)
			*why = "unsupported protocol version";
		return -EPROTO;
	}
	CHECK(mp_read_uint(c, UINT64_MAX, &v), "message type");
	if (v != type) {
		if (why != NULL)
			*why = "unexpected message type";
		return -EPROTO;
	}
	REQUIRE(n >= min && n <= max, "wrong number of fields");
	*np = n;
	return 0;
}

/*
 * A {name: count} map of the stats into rc[0..*n), at most max entries,
 * names like ids and unique. w names the map, then the fault: its name,
 * a repeated name, its count.
 */
static int
decode_counts(struct cursor *c, uint32_t max, struct proto_reason_count *rc,
    uint32_t *n, const char *const w[4], const char **why)
{
	uint32_t i, j, len;
	const char *name;

	CHECK(mp_read_map(c, max, n), w[0]);
	for (i = 0; i < *n; i++) {
		CHECK(mp_read_str(c, sizeof(rc[i].name) - 1, &name, &len),
		    w[1]);
		REQUIRE(valid_id(name, len), w[1]);
		memcpy(rc[i].name, name, len);
		rc[i].name[len] = '\0';
		for (j = 0; j < i; j++)
			REQUIRE(strcmp(rc[j].name, rc[i].name) != 0, w[2]);
		CHECK(mp_read_uint(c, UINT64_MAX, &rc[i].count), w[3]);
	}
	return 0;
}

static int
decode_stats(struct cursor *c, struct proto_capstats *s, const char **why)
{
	static const char *const wr[4] = { "stats.reasons",
	    "stats.reasons name", "stats.reasons duplicate name",
	    "stats.reasons count" };
	static const char *const we[4] = { "stats.enrichment",
	    "stats.enrichment name", "stats.enrichment duplicate name",
	    "stats.enrichment count" };
	static const char *const wp[4] = { "stats.process",
	    "stats.process name", "stats.process duplicate name",
	    "stats.process value" };
	uint32_t n;
	int rc;

	CHECK(mp_read_array(c, STATS_FIELDS, &n), "stats");
	REQUIRE(n >= STATS_FIELDS_MIN, "stats: wrong number of fields");
	CHECK(mp_read_uint(c, UINT64_MAX, &s->packets), "stats.packets");
	CHECK(mp_read_uint(c, UINT64_MAX, &s->kernel_drops),
	    "stats.kernel_drops");
	CHECK(mp_read_uint(c, UINT64_MAX, &s->if_drops), "stats.if_drops");
	CHECK(mp_read_uint(c, UINT64_MAX, &s->decode_errors),
	    "stats.decode_errors");
	CHECK(mp_read_uint(c, UINT64_MAX, &s->batches_dropped),
	    "stats.batches_dropped");
	if ((rc = decode_counts(c, PROTO_MAX_REASONS, s->reasons,
	    &s->nreasons, wr, why)) != 0)
		return rc;
	s->nenrich = 0;
	s->nprocess = 0;
	/* The enrichment map may be nil only to make room for the 8th. */
	if (n == STATS_FIELDS && mp_peek_nil(c))
		c->p++;
	else if (n >= STATS_FIELDS - 1 && (rc = decode_counts(c,
	    PROTO_MAX_ENRICH, s->enrich, &s->nenrich, we, why)) != 0)
		return rc;
	if (n == STATS_FIELDS && (rc = decode_counts(c, PROTO_MAX_PROCESS,
	    s->process, &s->nprocess, wp, why)) != 0)
		return rc;
	return 0;
}

static int
decode_event(struct cursor *c, struct proto_event *e, const char **why)
{
	const uint8_t *a;
	uint32_t n, alen, blen;
	uint64_t v;
	int i;

	CHECK(mp_read_array(c, EVENT_FIELDS, &n), "event");
	REQUIRE(n >= EVENT_FIELDS_MIN, "event: wrong number of fields");
	CHECK(mp_read_uint(c, PROTO_EV_AMEND, &v), "event.kind");
	REQUIRE(v >= PROTO_EV_UPDATE, "event.kind");
	e->kind = (uint8_t)v;
	REQUIRE((e->kind == PROTO_EV_AMEND) == (n == EVENT_FIELDS),
	    "event: wrong number of fields");
	CHECK(mp_read_uint(c, 6, &v), "event.af");
	REQUIRE(v == 4 || v == 6, "event.af");
	e->af = (uint8_t)v;
	CHECK(mp_read_uint(c, 17, &v), "event.proto");
	REQUIRE(v == 6 || v == 17, "event.proto");
	e->proto = (uint8_t)v;
	memset(e->cli, 0, sizeof(e->cli));
	memset(e->srv, 0, sizeof(e->srv));
	CHECK(mp_read_bin(c, 16, &a, &alen), "event.cli");
	REQUIRE(alen == (e->af == 4 ? 4u : 16u), "event.cli length");
	memcpy(e->cli, a, alen);
	CHECK(mp_read_uint(c, UINT16_MAX, &v), "event.cli_port");
	e->cli_port = (uint16_t)v;
	CHECK(mp_read_bin(c, 16, &a, &blen), "event.srv");
	REQUIRE(blen == alen, "event.srv length");
	memcpy(e->srv, a, blen);
	CHECK(mp_read_uint(c, UINT16_MAX, &v), "event.srv_port");
	e->srv_port = (uint16_t)v;
	CHECK(mp_read_uint(c, UINT64_MAX, &e->start_ns), "event.start_ns");
	CHECK(mp_read_uint(c, UINT64_MAX, &e->last_ns), "event.last_ns");
	REQUIRE(e->last_ns >= e->start_ns, "event.last_ns before start_ns");
	for (i = 0; i < 2; i++)
		CHECK(mp_read_uint(c, UINT64_MAX, &e->packets[i]),
		    "event.packets");
	for (i = 0; i < 2; i++)
		CHECK(mp_read_uint(c, UINT64_MAX, &e->bytes[i]), "event.bytes");
	for (i = 0; i < 2; i++)
		CHECK(mp_read_uint(c, UINT64_MAX, &e->wire_bytes[i]),
		    "event.wire_bytes");
	for (i = 0; i < 2; i++) {
		CHECK(mp_read_uint(c, UINT8_MAX, &v), "event.tcp_flags");
		e->tcp_flags[i] = (uint8_t)v;
	}
	CHECK(mp_read_uint(c, 3, &v), "event.status");
	e->status = (uint8_t)v;
	CHECK(mp_read_uint(c, 7, &v), "event.reason");
	e->reason = (uint8_t)v;
	if (e->kind == PROTO_EV_CLOSE)
		REQUIRE(e->status != 0 && e->reason != 0,
		    "close event without status or reason");
	else
		REQUIRE(e->status == 0 && e->reason == 0,
		    "update or amend event with status or reason");
	CHECK(mp_read_str_or_nil(c, PROTO_MAX_STR, &e->user, &e->user_len),
	    "event.user");
	REQUIRE(e->user == NULL || valid_text(e->user, e->user_len),
	    "event.user");
	CHECK(mp_read_str_or_nil(c, PROTO_MAX_STR, &e->target,
	    &e->target_len), "event.target");
	REQUIRE(e->target == NULL || valid_text(e->target, e->target_len),
	    "event.target");
	e->origin = NULL;
	e->origin_len = 0;
	e->leg = 0;
	e->peer_hash = e->peer_start = e->end_ns = 0;
	if (n > EVENT_FIELDS_MIN) {
		CHECK(mp_read_str_or_nil(c, PROTO_MAX_ORIGIN, &e->origin,
		    &e->origin_len), "event.origin");
		REQUIRE(e->origin == NULL || valid_text(e->origin,
		    e->origin_len), "event.origin");
	}
	if (n > EVENT_FIELDS_MIN + 1 && mp_peek_nil(c)) {
		c->p++;
	} else if (n > EVENT_FIELDS_MIN + 1) {
		CHECK(mp_read_array(c, 3, &alen), "event.link");
		REQUIRE(alen == 3, "event.link: wrong number of fields");
		CHECK(mp_read_uint(c, 2, &v), "event.link.leg");
		REQUIRE(v >= 1, "event.link.leg");
		e->leg = (uint8_t)v;
		CHECK(mp_read_uint(c, UINT64_MAX, &e->peer_hash),
		    "event.link.peer_hash");
		CHECK(mp_read_uint(c, UINT64_MAX, &e->peer_start),
		    "event.link.peer_start");
	}
	if (n == EVENT_FIELDS) {
		CHECK(mp_read_uint(c, UINT64_MAX, &e->end_ns), "event.end_ns");
		REQUIRE(e->end_ns >= e->start_ns, "event.end_ns before start_ns");
	}
	return 0;
}

int
proto_batch_decode(const uint8_t *buf, size_t len, size_t max_msg,
    struct proto_batch *b, struct proto_event *events, const char **why)
{
	struct cursor c;
	uint32_t i, nf;
	int rc;

	if (len > max_msg) {
		if (why != NULL)
			*why = "message too large";
		return -EMSGSIZE;
	}
	cursor_init(&c, buf, len);
	if ((rc = header_range(&c, BATCH_FIELDS_MIN, BATCH_FIELDS,
	    PROTO_MSG_BATCH, why, &nf)) != 0)
		return rc;
	CHECK(mp_read_str(&c, PROTO_MAX_ID, &b->agent_id, &b->agent_len),
	    "agent_id");
	REQUIRE(valid_id(b->agent_id, b->agent_len), "agent_id");
	CHECK(mp_read_str(&c, PROTO_MAX_ID, &b->host, &b->host_len), "host");
	REQUIRE(valid_text(b->host, b->host_len), "host");
	CHECK(mp_read_uint(&c, UINT64_MAX, &b->boot_id), "boot_id");
	CHECK(mp_read_uint(&c, UINT64_MAX, &b->seq), "seq");
	REQUIRE(b->seq >= 1, "seq");
	CHECK(mp_read_uint(&c, b->seq, &b->floor_seq), "floor_seq");
	REQUIRE(b->floor_seq >= 1, "floor_seq");
	CHECK(mp_read_uint(&c, UINT64_MAX, &b->sent_ns), "sent_ns");
	if ((rc = decode_stats(&c, &b->stats, why)) != 0)
		return rc;
	CHECK(mp_read_array(&c, PROTO_MAX_EVENTS, &b->nevents), "events");
	for (i = 0; i < b->nevents; i++)
		if ((rc = decode_event(&c, &events[i], why)) != 0)
			return rc;
	b->boot_ns = 0;
	b->clock_ns = 0;
	if (nf >= BATCH_FIELDS - 1) {
		CHECK(mp_read_uint(&c, UINT64_MAX, &b->boot_ns), "boot_ns");
		REQUIRE(b->boot_ns != 0, "boot_ns");
	}
	if (nf == BATCH_FIELDS) {
		CHECK(mp_read_uint(&c, UINT64_MAX, &b->clock_ns), "clock_ns");
		REQUIRE(b->clock_ns != 0, "clock_ns");
	}
	REQUIRE(cursor_left(&c) == 0, "trailing bytes after the message");
	return 0;
}

int
proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *a)
{
	struct cursor c;
	const char *s, **why = NULL;
	uint32_t n;
	uint64_t v;
	int rc;

	cursor_init(&c, buf, len);
	if ((rc = proto__header(&c, ACK_FIELDS, PROTO_MSG_ACK, why)) != 0)
		return rc;
	CHECK(mp_read_uint(&c, UINT64_MAX, &a->boot_id), "boot_id");
	CHECK(mp_read_uint(&c, UINT64_MAX, &a->seq), "seq");
	CHECK(mp_read_uint(&c, PROTO_ACK_RESEND, &v), "status");
	a->status = (uint8_t)v;
	CHECK(mp_read_str(&c, sizeof(a->reason) - 1, &s, &n), "reason");
	memcpy(a->reason, s, n);
	a->reason[n] = '\0';
	REQUIRE(cursor_left(&c) == 0, "trailing bytes");
	return 0;
}

int
proto_agent_id_valid(const char *s, uint32_t n)
{
	return valid_id(s, n);
}

int
proto_batch_peek(const uint8_t *buf, size_t len, size_t max_msg,
    struct proto_batch_head *h)
{
	struct cursor c;
	const char *host;
	uint32_t n, host_len;
	uint64_t v, t;

	if (len > max_msg)
		return -EMSGSIZE;
	cursor_init(&c, buf, len);
	/* Any field count: the decoder checks it. */
	if (mp_read_array(&c, 64, &n) != 0 || n < 6 ||
	    mp_read_uint(&c, UINT64_MAX, &v) != 0 || v != PROTO_VERSION ||
	    mp_read_uint(&c, UINT64_MAX, &t) != 0 || t != PROTO_MSG_BATCH ||
	    mp_read_str(&c, PROTO_MAX_ID, &h->agent_id, &h->agent_len) != 0 ||
	    !valid_id(h->agent_id, h->agent_len) ||
	    mp_read_str(&c, PROTO_MAX_ID, &host, &host_len) != 0 ||
	    mp_read_uint(&c, UINT64_MAX, &h->boot_id) != 0 ||
	    mp_read_uint(&c, UINT64_MAX, &h->seq) != 0)
		return -EBADMSG;
	return 0;
}

int
proto_msg_type(const uint8_t *buf, size_t len)
{
	struct cursor c;
	uint32_t n;
	uint64_t v;

	cursor_init(&c, buf, len);
	if (mp_read_array(&c, 64, &n) != 0 || n < 2 ||
	    mp_read_uint(&c, UINT8_MAX, &v) != 0 ||
	    mp_read_uint(&c, UINT8_MAX, &v) != 0)
		return -EBADMSG;
	return (int)v;
}
