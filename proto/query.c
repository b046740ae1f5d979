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
#include "query.h"

static int
buf_write(void *data, const char *p, size_t n)
{
	struct proto_buf *b = data;

	if (b->overflow || n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		uint8_t *nd;

		while (ncap < b->len + n)
			ncap *= 2;
		if (ncap > b->max)
			ncap = b->max;
		if ((nd = realloc(b->data, ncap)) == NULL) {
			b->overflow = 1;
			return -1;
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

int
proto_query_encode(struct proto_buf *out, const struct proto_query *q)
{
	msgpack_packer pk;
	uint32_t i;

	msgpack_packer_init(&pk, out, buf_write);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_QUERY);
	msgpack_pack_uint64(&pk, q->id);
	pack_str(&pk, q->kind, strlen(q->kind));
	msgpack_pack_map(&pk, q->nparams);
	for (i = 0; i < q->nparams; i++) {
		pack_str(&pk, q->params[i].key, strlen(q->params[i].key));
		pack_str(&pk, q->params[i].val, strlen(q->params[i].val));
	}
	return out->overflow ? -EMSGSIZE : 0;
}

/* Header: array of n fields, version 1, the given type. */
static int
header(struct cursor *c, uint32_t n, uint64_t type)
{
	uint32_t got;
	uint64_t v;

	if (mp_read_array(c, 16, &got) != 0 || got != n)
		return -EBADMSG;
	if (mp_read_uint(c, UINT8_MAX, &v) != 0)
		return -EBADMSG;
	if (v != PROTO_VERSION)
		return -EPROTO;
	if (mp_read_uint(c, UINT8_MAX, &v) != 0)
		return -EBADMSG;
	return v == type ? 0 : -EPROTO;
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
	if ((rc = header(&c, 5, PROTO_MSG_QUERY)) != 0)
		return rc;
	if (mp_read_uint(&c, UINT64_MAX, &q->id) != 0 ||
	    copy_str(&c, q->kind, PROTO_QUERY_MAX_KIND) != 0 ||
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

	msgpack_packer_init(&pk, out, buf_write);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, PROTO_VERSION);
	msgpack_pack_uint8(&pk, PROTO_MSG_REPLY);
	msgpack_pack_uint64(&pk, id);
	msgpack_pack_uint16(&pk, (uint16_t)status);
	pack_str(&pk, body, body_len);
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
	if ((rc = header(&c, 5, PROTO_MSG_REPLY)) != 0)
		return rc;
	if (mp_read_uint(&c, UINT64_MAX, &r->id) != 0 ||
	    mp_read_uint(&c, 999, &v) != 0 ||
	    mp_read_str(&c, PROTO_REPLY_MAX, &r->body, &r->body_len) != 0)
		return -EBADMSG;
	r->status = (uint32_t)v;
	return cursor_left(&c) == 0 ? 0 : -EBADMSG;
}
