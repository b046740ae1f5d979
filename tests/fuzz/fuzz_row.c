/*
 * fuzz_row: libFuzzer target for what the store reads back from disk:
 * a session row (store/row.c) and the sessions family's merge operator
 * over it (store/amend.c), and, through a small real store, a history
 * cursor and a target pattern as an API caller sends them. Checks,
 * besides the sanitizers: a row that decodes re-encodes to a row that
 * decodes the same and encodes to the same bytes; a merge over any value
 * succeeds (a failed merge would make every read of the key fail); a
 * history query with any cursor answers 0 or -EINVAL, never more rows
 * than the limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../aggregator/store.h"
#include "../../aggregator/store/store_int.h"
#include "fuzz_run.h"
#include "log.h"

#define ROW_INPUT_MAX	4096

static void
check(int ok, const char *what, int line)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_row.c:%d: invariant broken: %s\n", line, what);
	abort();
}

#define CHECK(c)	check(!!(c), #c, __LINE__)

static struct store *fz_store;
static char fz_dir[64];

static void
rm_store(void)
{
	char cmd[128];

	store_close(fz_store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_row: could not remove %s\n", fz_dir);
}

/* A store with a few rows, opened once per process. */
static struct store *
fz_open(void)
{
	struct store_cfg cfg;
	struct store_session s;
	struct store_batch *b;
	char path[128], err[256];
	int i;

	if (fz_store != NULL)
		return fz_store;
	log_init("fuzz_row", 1, LOG_LVL_WARN);
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/fuzz_row.XXXXXX");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/db", fz_dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.retention_days = 36500;
	cfg.cache_bytes = 4 << 20;
	if ((fz_store = store_open(&cfg, NULL, err, sizeof(err))) == NULL)
		abort();
	atexit(rm_store);
	b = store_batch_new(fz_store);
	for (i = 0; i < 8; i++) {
		memset(&s, 0, sizeof(s));
		s.rec.key_hash = 0x1000 + (uint64_t)i;
		s.rec.start_ns = 1700000000000000000ULL + (uint64_t)i * 1000;
		s.rec.end_ns = s.rec.start_ns + 500;
		s.rec.af = 4;
		s.rec.proto = 6;
		s.rec.cli[0] = 10;
		s.rec.cli[3] = (uint8_t)i;
		s.rec.srv[0] = 192;
		s.rec.srv_port = 443;
		s.rec.cli_port = (uint16_t)(40000 + i);
		s.rec.status = SESS_CLOSED;
		s.rec.reason = SESS_CLOSE_FIN;
		snprintf(s.agent, sizeof(s.agent), "a");
		snprintf(s.user, sizeof(s.user), "u%d", i % 3);
		snprintf(s.target, sizeof(s.target), "h%d.example.com:443", i);
		store_batch_put_session(b, &s);
	}
	if (store_batch_commit(b) != 0)
		abort();
	store_batch_free(b);
	return fz_store;
}

static void
count_cb(void *arg, const struct store_session *s)
{
	(void)s;
	(*(size_t *)arg)++;
}

static void
fuzz_decode(const uint8_t *data, size_t size)
{
	static struct store_session s, s2;
	static uint8_t enc[SESS_VAL_MAX], enc2[SESS_VAL_MAX];
	size_t n, n2;

	if (store__sess_decode(data, size, &s) != 0)
		return;
	n = store__sess_encode(&s, enc);
	CHECK(n <= SESS_VAL_MAX);
	CHECK(store__sess_decode(enc, n, &s2) == 0);
	n2 = store__sess_encode(&s2, enc2);
	CHECK(n2 == n && memcmp(enc, enc2, n) == 0);
}

static void
fuzz_merge(const uint8_t *data, size_t size)
{
	const char *ops[2];
	size_t oplen[2], vlen;
	unsigned char ok = 0;
	char *v;

	/* The input as the row, then as an operand over nothing. */
	ops[0] = "A\x01\x02\x03\x04\x05\x06";
	oplen[0] = 7;
	ops[1] = (const char *)data;
	oplen[1] = size;
	v = store__amend_merge_full(NULL, "k", 1, (const char *)data, size,
	    ops, oplen, 1, &ok, &vlen);
	CHECK(ok && v != NULL && vlen <= SESS_VAL_MAX);
	v = store__amend_merge_full(NULL, "k", 1, NULL, 0, ops, oplen, 2, &ok,
	    &vlen);
	CHECK(ok && v != NULL && vlen <= SESS_VAL_MAX);
	v = store__amend_merge_partial(NULL, "k", 1, ops, oplen, 2, &ok,
	    &vlen);
	CHECK(ok && v != NULL);
}

static void
fuzz_history(const uint8_t *data, size_t size)
{
	struct store_filter f;
	char s[STORE_CURSOR_MAX * 2], next[STORE_CURSOR_MAX];
	size_t n = 0, len = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	int rc;

	if (memchr(data, '\0', len) != NULL)
		return;
	memcpy(s, data, len);
	s[len] = '\0';
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.limit = 3;
	f.cursor = s;
	rc = store_history(fz_open(), &f, count_cb, &n, next);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(n <= 3);
	/* The input as a target pattern. */
	f.cursor = NULL;
	f.target = s;
	n = 0;
	rc = store_history(fz_open(), &f, count_cb, &n, next);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(n <= 3);
	(void)store_target_match(s, "h1.example.com:443");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ROW_INPUT_MAX)
		return 0;
	fuzz_decode(data, size);
	fuzz_merge(data, size);
	fuzz_history(data, size);
	return 0;
}

int
fuzz_seeds(fuzz_seed_fn fn, void *arg)
{
	struct store_session s;
	uint8_t enc[SESS_VAL_MAX];
	char cursor[STORE_CURSOR_MAX];
	struct store_filter f;
	size_t n, cnt = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	s.rec.key_hash = 0x0123456789abcdefULL;
	s.rec.start_ns = 1700000000000000000ULL;
	s.rec.end_ns = s.rec.start_ns + 1000;
	s.rec.af = 6;
	s.rec.proto = 6;
	s.rec.status = SESS_REJECTED;
	s.rec.reason = SESS_CLOSE_RST;
	s.rec.packets[0] = 3;
	s.rec.bytes[1] = 1 << 20;
	snprintf(s.agent, sizeof(s.agent), "edge-1");
	snprintf(s.user, sizeof(s.user), "alice");
	snprintf(s.target, sizeof(s.target), "example.com:443");
	snprintf(s.origin, sizeof(s.origin), "[2001:db8::1]:40000");
	s.leg = 1;
	s.peer_hash = 42;
	s.peer_start = s.rec.start_ns + 7;
	n = store__sess_encode(&s, enc);
	if ((rc = fn(arg, "seed-row", enc, n)) != 0)
		return rc;
	/* A real cursor, from a first page. */
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.limit = 3;
	if (store_history(fz_open(), &f, count_cb, &cnt, cursor) == 0 &&
	    (rc = fn(arg, "seed-cursor", (const uint8_t *)cursor,
	    strlen(cursor))) != 0)
		return rc;
	return fn(arg, "seed-pattern", (const uint8_t *)"*.example.com:443",
	    17);
}
