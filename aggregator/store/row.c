/*
 * row: the session row codec (the value of the sessions and active
 * families) and the keys built from a session: row key, active key, the
 * user and destination names the indexes and rollups know. Change a field
 * of a session here (and bump SESS_VAL_VERSION); who reads rows is
 * history.c and checkpoint.c.
 */
#include <string.h>

#include "../../common/bytes.h"
#include "../../common/cursor.h"
#include "../../common/sess_enr.h"
#include "../../common/sess_json.h"
#include "../store.h"
#include "store_int.h"

/*
 * Session row, version 3:
 *   u8 version, u8 flags (bit 0: end before start), u8 af, u8 proto,
 *   u8 status, u8 close reason, u16 agent, u16 client port, u16 server
 *   port (BE), client and server address (4 bytes each for IPv4, else 16),
 *   u64 key_hash, u64 start_ns (BE), varint |end - start|, varint packets,
 *   bytes and wire bytes sent and received, then agent, user, target
 *   and origin each as varint length and bytes, then u8 leg (enum
 *   sess_leg) and, when it is not 0, the other leg's session id: u64
 *   key_hash and u64 start_ns (BE).
 * Version 2 is the same without leg; version 1 also without origin (both
 * read, never written). About 70 bytes for an IPv4 session with short
 * strings, 16 more for a linked proxy leg.
 */
size_t
store__sess_encode(const struct store_session *s, uint8_t *out)
{
	const struct sess_rec *r = &s->rec;
	size_t alen = r->af == 4 ? 4 : 16, n;
	uint8_t *p = out;
	const char *str[4] = { s->agent, s->user, s->target, s->origin };
	const size_t max[4] = { STORE_AGENT_MAX, STORE_STR_MAX, STORE_STR_MAX,
	    STORE_ORIGIN_MAX };
	int i;

	*p++ = SESS_VAL_VERSION;
	*p++ = r->end_ns < r->start_ns ? 1 : 0;
	*p++ = r->af;
	*p++ = r->proto;
	*p++ = (uint8_t)r->status;
	*p++ = (uint8_t)r->reason;
	*p++ = (uint8_t)(r->agent >> 8);
	*p++ = (uint8_t)r->agent;
	*p++ = (uint8_t)(r->cli_port >> 8);
	*p++ = (uint8_t)r->cli_port;
	*p++ = (uint8_t)(r->srv_port >> 8);
	*p++ = (uint8_t)r->srv_port;
	memcpy(p, r->cli, alen);
	p += alen;
	memcpy(p, r->srv, alen);
	p += alen;
	be64_put(p, r->key_hash);
	be64_put(p + 8, r->start_ns);
	p += 16;
	p = varint_put(p, r->end_ns >= r->start_ns ? r->end_ns - r->start_ns :
	    r->start_ns - r->end_ns);
	for (i = 0; i < 2; i++)
		p = varint_put(p, r->packets[i]);
	for (i = 0; i < 2; i++)
		p = varint_put(p, r->bytes[i]);
	for (i = 0; i < 2; i++)
		p = varint_put(p, r->wire_bytes[i]);
	for (i = 0; i < 4; i++) {
		n = strnlen(str[i], max[i]);
		p = varint_put(p, n);
		memcpy(p, str[i], n);
		p += n;
	}
	*p++ = s->leg < SESS_LEG_MAX ? s->leg : 0;
	if (p[-1] != SESS_LEG_NONE) {
		be64_put(p, s->peer_hash);
		be64_put(p + 8, s->peer_start);
		p += 16;
	}
	return (size_t)(p - out);
}

/* 0, or -1 if the bytes are not a version 1, 2 or 3 row (damage). */
int
store__sess_decode(const uint8_t *buf, size_t len, struct store_session *s)
{
	struct sess_rec *r = &s->rec;
	struct cursor c;
	char *str[4] = { s->agent, s->user, s->target, s->origin };
	const size_t max[4] = { STORE_AGENT_MAX, STORE_STR_MAX, STORE_STR_MAX,
	    STORE_ORIGIN_MAX };
	uint8_t ver, flags, status, reason;
	uint16_t agent, cport, sport;
	uint64_t d, n;
	size_t alen;
	int i;

	memset(s, 0, sizeof(*s));
	cursor_init(&c, buf, len);
	PD_U8(&c, ver);
	if (ver < 1 || ver > SESS_VAL_VERSION)
		return -1;
	PD_U8(&c, flags);
	PD_U8(&c, r->af);
	PD_U8(&c, r->proto);
	PD_U8(&c, status);
	PD_U8(&c, reason);
	if (status >= SESS_STATUS_MAX || reason >= SESS_CLOSE_MAX ||
	    (flags & ~1u) != 0)
		return -1;
	r->status = (enum sess_status)status;
	r->reason = (enum sess_close)reason;
	PD_BE16(&c, agent);
	PD_BE16(&c, cport);
	PD_BE16(&c, sport);
	r->agent = agent;
	r->cli_port = cport;
	r->srv_port = sport;
	alen = r->af == 4 ? 4 : 16;
	PD_BYTES(&c, r->cli, alen);
	PD_BYTES(&c, r->srv, alen);
	PD_NEED(&c, 16);
	r->key_hash = be64_get(c.p);
	r->start_ns = be64_get(c.p + 8);
	c.p += 16;
	if (varint_get(&c, &d) != 0)
		return -1;
	r->end_ns = (flags & 1) ? r->start_ns - d : r->start_ns + d;
	for (i = 0; i < 2; i++)
		if (varint_get(&c, &r->packets[i]) != 0)
			return -1;
	for (i = 0; i < 2; i++)
		if (varint_get(&c, &r->bytes[i]) != 0)
			return -1;
	for (i = 0; i < 2; i++)
		if (varint_get(&c, &r->wire_bytes[i]) != 0)
			return -1;
	for (i = 0; i < (ver == 1 ? 3 : 4); i++) {
		if (varint_get(&c, &n) != 0 || n > max[i])
			return -1;
		PD_BYTES(&c, str[i], (size_t)n);
		str[i][n] = '\0';
	}
	if (ver >= 3) {
		PD_U8(&c, s->leg);
		if (s->leg >= SESS_LEG_MAX)
			return -1;
		if (s->leg != SESS_LEG_NONE) {
			PD_NEED(&c, 16);
			s->peer_hash = be64_get(c.p);
			s->peer_start = be64_get(c.p + 8);
			c.p += 16;
		}
	}
	if (cursor_left(&c) != 0)
		return -1;
	return 0;
trunc:
	return -1;
}

/* The user the indexes and rollups know: the user, else the client IP. */
size_t
store__eff_user(const struct store_session *s, char *out)
{
	size_t n;

	if (s->user[0] != '\0') {
		n = strnlen(s->user, STORE_STR_MAX);
		memcpy(out, s->user, n);
		out[n] = '\0';
		return n;
	}
	return sess_json_addr(s->rec.af, s->rec.cli, out);
}

/*
 * The destination the rollups rank: the target the client asked for
 * (enrichment), else the server as "ip:port", IPv6 as "[ip]:port".
 */
size_t
store__dest_name(const struct store_session *s, char *out)
{
	const struct sess_rec *r = &s->rec;
	char tmp[6];
	size_t n = 0, t = 0;
	unsigned int port = r->srv_port;

	if (s->target[0] != '\0') {
		n = strnlen(s->target, STORE_STR_MAX);
		memcpy(out, s->target, n);
		out[n] = '\0';
		return n;
	}
	if (r->af == 6)
		out[n++] = '[';
	n += sess_json_addr(r->af, r->srv, out + n);
	if (r->af == 6)
		out[n++] = ']';
	out[n++] = ':';
	do {
		tmp[t++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0);
	while (t > 0)
		out[n++] = tmp[--t];
	out[n] = '\0';
	return n;
}

size_t
store_dest_name(const struct store_session *s, char *out)
{
	return store__dest_name(s, out);
}

void
store__skey_make(uint8_t *k, uint64_t end, uint64_t hash, uint64_t start)
{
	be64_put(k, end);
	be64_put(k + 8, hash);
	be64_put(k + 16, start);
}

/* Active key: agent, NUL, key_hash, start_ns (AKEY_MAX bytes at most). */
size_t
store__akey_make(const struct store_session *s, uint8_t *key)
{
	size_t alen = strnlen(s->agent, STORE_AGENT_MAX);

	memcpy(key, s->agent, alen);
	key[alen] = '\0';
	be64_put(key + alen + 1, s->rec.key_hash);
	be64_put(key + alen + 9, s->rec.start_ns);
	return alen + 17;
}

/* 16 address bytes for a key: IPv4 in the first 4, the rest zero. */
void
store__addr16(uint8_t *out, uint8_t af, const uint8_t *a)
{
	if (af == 4) {
		memcpy(out, a, 4);
		memset(out + 4, 0, 12);
	} else
		memcpy(out, a, 16);
}
