/*
 * fuzz_query: libFuzzer target for the query socket's messages
 * (proto/query.c): the input is one message, decoded as a QUERY and as a
 * REPLY. Checks, besides the sanitizers: a decoded query has a kind and
 * parameters within their bounds, NUL-free; what decodes re-encodes to a
 * message that decodes the same, and encoding that again gives the same
 * bytes; a reply's body points into the input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_run.h"
#include "query.h"

static void
check(int ok, const char *what, int line)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_query.c:%d: invariant broken: %s\n", line,
	    what);
	abort();
}

#define CHECK(c)	check(!!(c), #c, __LINE__)

static int
same_query(const struct proto_query *a, const struct proto_query *b)
{
	uint32_t i;

	if (a->id != b->id || strcmp(a->kind, b->kind) != 0 ||
	    a->nparams != b->nparams)
		return 0;
	for (i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].key, b->params[i].key) != 0 ||
		    strcmp(a->params[i].val, b->params[i].val) != 0)
			return 0;
	return 1;
}

static void
fuzz_q(const uint8_t *data, size_t size)
{
	static struct proto_query q, q2;
	struct proto_buf out, out2;
	uint32_t i;
	int rc;

	rc = proto_query_decode(data, size, &q);
	if (rc != 0) {
		CHECK(rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE);
		return;
	}
	CHECK(q.kind[0] != '\0' && strlen(q.kind) <= PROTO_QUERY_MAX_KIND);
	CHECK(q.nparams <= PROTO_QUERY_MAX_PARAMS);
	for (i = 0; i < q.nparams; i++) {
		CHECK(strlen(q.params[i].key) <= PROTO_QUERY_MAX_KEY);
		CHECK(strlen(q.params[i].val) <= PROTO_QUERY_MAX_VAL);
		CHECK(proto_query_get(&q, q.params[i].key) != NULL);
	}
	proto_buf_init(&out, 1u << 20);
	CHECK(proto_query_encode(&out, &q) == 0);
	CHECK(proto_query_decode(out.data, out.len, &q2) == 0);
	CHECK(same_query(&q, &q2));
	proto_buf_init(&out2, 1u << 20);
	CHECK(proto_query_encode(&out2, &q2) == 0);
	CHECK(out2.len == out.len && memcmp(out.data, out2.data, out.len) == 0);
	proto_buf_free(&out2);
	proto_buf_free(&out);
}

static void
fuzz_r(const uint8_t *data, size_t size)
{
	struct proto_reply r, r2;
	struct proto_buf out;
	const uint8_t *b;
	int rc;

	rc = proto_reply_decode(data, size, &r);
	if (rc != 0) {
		CHECK(rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE);
		return;
	}
	b = (const uint8_t *)r.body;
	CHECK(r.body_len == 0 || (b >= data && r.body_len <= size &&
	    (size_t)(b - data) <= size - r.body_len));
	proto_buf_init(&out, PROTO_REPLY_MAX);
	CHECK(proto_reply_encode(&out, r.id, r.status, r.body,
	    r.body_len) == 0);
	CHECK(proto_reply_decode(out.data, out.len, &r2) == 0);
	CHECK(r2.id == r.id && r2.status == r.status &&
	    r2.body_len == r.body_len &&
	    (r.body_len == 0 || memcmp(r2.body, r.body, r.body_len) == 0));
	proto_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_q(data, size);
	fuzz_r(data, size);
	return 0;
}

int
fuzz_seeds(fuzz_seed_fn fn, void *arg)
{
	static struct proto_query q;
	struct proto_buf out;
	int rc = 0, i;

	memset(&q, 0, sizeof(q));
	q.id = 0x1122334455667788ULL;
	snprintf(q.kind, sizeof(q.kind), "history");
	q.nparams = 3;
	snprintf(q.params[0].key, sizeof(q.params[0].key), "limit");
	snprintf(q.params[0].val, sizeof(q.params[0].val), "100");
	snprintf(q.params[1].key, sizeof(q.params[1].key), "target");
	snprintf(q.params[1].val, sizeof(q.params[1].val), "*.example.com");
	snprintf(q.params[2].key, sizeof(q.params[2].key), "cursor");
	for (i = 0; i < 57; i++)
		q.params[2].val[i] = "0123456789abcdef"[i % 16];
	proto_buf_init(&out, 1u << 20);
	if (proto_query_encode(&out, &q) == 0)
		rc = fn(arg, "seed-query", out.data, out.len);
	proto_buf_free(&out);
	if (rc != 0)
		return rc;
	proto_buf_init(&out, 1u << 20);
	if (proto_reply_encode(&out, 7, 200, "{\"sessions\":[]}", 15) == 0)
		rc = fn(arg, "seed-reply", out.data, out.len);
	proto_buf_free(&out);
	return rc;
}
