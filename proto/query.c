/*
 * query: encode with msgpack-c, decode with mp_read.
 *   QUERY [1, 10, id, kind, {key: value, ...}]   (strings only)
 *   REPLY [1, 11, id, status, body]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mp_read.h"
#include "proto_int.h"
#include "query.h"

int
proto_query_encode(struct proto_buf *out, const struct proto_query *q)
{
	msgpack_packer pk;
	uint32_t i;

	msgpack_packer_init(&pk, out, proto__buf_write);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_QUERY);
	msgpack_pack_uint64(&pk, q->id);
	proto__pack_str(&pk, q->kind, strlen(q->kind));
	msgpack_pack_map(&pk, q->nparams);
	for (i = 0; i < q->nparams; i++) {
		proto__pack_str(&pk, q->params[i].key,
		    strlen(q->params[i].key));
		proto__pack_str(&pk, q->params[i].val,
		    strlen(q->params[i].val));
	}
	return out->overflow ? -EMSGSIZE : 0;
}

static int
copy_str(struct cursor *c, char *dst, uint32_t max)
{
	const char *s;
	uint32_t n, i;

	if (mp_read_str(c, max, &s, &n) != 0)
		return -EBADMSG;
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			return -EBADMSG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int
proto_query_decode(const uint8_t *buf, size_t len, struct proto_query *q)
{
	struct cursor c;
	uint32_t i;
	int rc;

	if (len > PROTO_MAX_MSG_DEFAULT)
		return -EMSGSIZE;
	cursor_init(&c, buf, len);
	if ((rc = proto__header(&c, 5, PROTO_MSG_QUERY, NULL)) != 0)
		return rc;
	/* A query names its kind (found by fuzz_query: "" was taken). */
	if (mp_read_uint(&c, UINT64_MAX, &q->id) != 0 ||
	    copy_str(&c, q->kind, PROTO_QUERY_MAX_KIND) != 0 ||
	    q->kind[0] == '\0' ||
	    mp_read_map(&c, PROTO_QUERY_MAX_PARAMS, &q->nparams) != 0)
		return -EBADMSG;
	for (i = 0; i < q->nparams; i++)
		if (copy_str(&c, q->params[i].key, PROTO_QUERY_MAX_KEY) != 0 ||
		    copy_str(&c, q->params[i].val, PROTO_QUERY_MAX_VAL) != 0)
			return -EBADMSG;
	return cursor_left(&c) == 0 ? 0 : -EBADMSG;
}

const char *
proto_query_get(const struct proto_query *q, const char *key)
{
	uint32_t i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->params[i].key, key) == 0)
			return q->params[i].val;
	return NULL;
}

int
proto_reply_encode(struct proto_buf *out, uint64_t id, uint32_t status,
    const char *body, size_t body_len)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, out, proto__buf_write);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_REPLY);
	msgpack_pack_uint64(&pk, id);
	msgpack_pack_uint16(&pk, (uint16_t)status);
	proto__pack_str(&pk, body, body_len);
	return out->overflow ? -EMSGSIZE : 0;
}

int
proto_reply_decode(const uint8_t *buf, size_t len, struct proto_reply *r)
{
	struct cursor c;
	uint64_t v;
	int rc;

	if (len > PROTO_REPLY_MAX + 64)
		return -EMSGSIZE;
	cursor_init(&c, buf, len);
	if ((rc = proto__header(&c, 5, PROTO_MSG_REPLY, NULL)) != 0)
		return rc;
	if (mp_read_uint(&c, UINT64_MAX, &r->id) != 0 ||
	    mp_read_uint(&c, 999, &v) != 0 ||
	    mp_read_str(&c, PROTO_REPLY_MAX, &r->body, &r->body_len) != 0)
		return -EBADMSG;
	r->status = (uint32_t)v;
	return cursor_left(&c) == 0 ? 0 : -EBADMSG;
}
