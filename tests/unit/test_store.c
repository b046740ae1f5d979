/*
 * test_store: the RocksDB store against a real database in a temporary
 * directory. Every expected answer is recomputed here from the sessions
 * the test inserted (a brute-force model), never read back from the store.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rocksdb/c.h>

#include "log.h"
#include "sess_enr.h"
#include "store.h"

#define NS		1000000000ULL
#define MIN_NS		(60 * NS)
#define DAY_NS		(86400 * NS)
#define NSESS		240

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
	uint64_t	 base;		/* a minute boundary two hours ago */
	struct store_session *s;	/* the inserted sessions */
	size_t		 n;
};

struct list {
	struct store_session	*v;
	size_t			 n, cap;
};

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Session i: pairs share an end time (so the key_hash order matters),
 * every fifth is IPv6, and users, targets, statuses, protocols and ports
 * cycle with different periods so that every filter splits the set.
 */
static void
make_sess(struct store_session *s, size_t i, uint64_t base)
{
	struct sess_rec *r = &s->rec;
	static const uint16_t ports[3] = { 443, 80, 53 };

	memset(s, 0, sizeof(*s));
	r->key_hash = mix64(i + 1);
	r->end_ns = base + (i / 2) * 7 * NS + 1000;
	r->start_ns = r->end_ns - (i % 50) * NS - 500;
	r->af = i % 5 == 0 ? 6 : 4;
	if (r->af == 4) {
		r->cli[0] = 10;
		r->cli[2] = (uint8_t)(i % 7);
		r->cli[3] = (uint8_t)(i % 13 + 1);
		r->srv[0] = 192;
		r->srv[2] = 2;
		r->srv[3] = (uint8_t)(i % 4 + 1);
	} else {
		r->cli[0] = 0x20;
		r->cli[1] = 0x01;
		r->cli[2] = 0x0d;
		r->cli[3] = 0xb8;
		r->cli[15] = (uint8_t)(i % 7);
		memcpy(r->srv, r->cli, 16);
		r->srv[5] = 1;
		r->srv[15] = (uint8_t)(i % 4 + 1);
	}
	r->cli_port = (uint16_t)(40000 + i);
	r->srv_port = ports[i % 3];
	r->proto = i % 3 == 2 ? 17 : 6;
	r->agent = (uint16_t)(i % 2);
	r->status = i % 11 == 0 ? SESS_FAILED : i % 13 == 0 ?
	    SESS_REJECTED : SESS_CLOSED;
	r->reason = (enum sess_close)(1 + i % 7);
	r->packets[0] = i % 9 + 1;
	r->packets[1] = i % 5 + 1;
	r->bytes[0] = i * 100 + 1;
	r->bytes[1] = i * 37 + 5;
	r->wire_bytes[0] = r->bytes[0] + 40 * r->packets[0];
	r->wire_bytes[1] = r->bytes[1] + 40 * r->packets[1];
	snprintf(s->agent, sizeof(s->agent), "agent-%c", i % 2 ? 'b' : 'a');
	if (i % 4 != 0)
		snprintf(s->user, sizeof(s->user), "user%zu", i % 5);
	if (i % 3 != 0)
		snprintf(s->target, sizeof(s->target), "t%zu.example:443",
		    i % 4);
	/* Some are a proxy's legs naming the other (row version 3). */
	if (i % 6 == 1 || i % 6 == 2) {
		s->leg = i % 6 == 1 ? SESS_LEG_CLIENT : SESS_LEG_UPSTREAM;
		s->peer_hash = mix64(i + 1000);
		s->peer_start = r->start_ns + (i % 6 == 1 ? 1000 : 0);
	}
}

static void
eff_user(const struct store_session *s, char *out, size_t len)
{
	if (s->user[0] != '\0') {
		if (snprintf(out, len, "%s", s->user) < 0)
			out[0] = '\0';
	} else
		inet_ntop(s->rec.af == 4 ? AF_INET : AF_INET6, s->rec.cli, out,
		    (socklen_t)len);
}

static void
dest_text(const struct store_session *s, char *out, size_t len)
{
	char a[64];

	/* Top destinations rank the target the client asked for. */
	if (s->target[0] != '\0') {
		snprintf(out, len, "%s", s->target);
		return;
	}
	inet_ntop(s->rec.af == 4 ? AF_INET : AF_INET6, s->rec.srv, a,
	    sizeof(a));
	if (s->rec.af == 4)
		snprintf(out, len, "%s:%u", a, s->rec.srv_port);
	else
		snprintf(out, len, "[%s]:%u", a, s->rec.srv_port);
}

static void
session_id(const struct store_session *s, char *out)
{
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, s->rec.key_hash,
	    s->rec.start_ns);
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
rm_rf(const char *p)
{
	(void)nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static struct store *
open_store(const char *path, uint32_t days, int *q)
{
	struct store_cfg cfg = { .path = path, .retention_days = days,
	    .sync = 0, .cache_bytes = 8 << 20 };
	char err[512] = "";
	struct store *st;

	st = store_open(&cfg, q, err, sizeof(err));
	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	return st;
}

static void
put_all(struct store *st, const struct store_session *s, size_t n)
{
	struct store_batch *b = store_batch_new(st);
	size_t i;

	for (i = 0; i < n; i++) {
		store_batch_put_session(b, &s[i]);
		/* Several commits, so rollups merge across operands. */
		if (i % 50 == 49) {
			assert_int_equal(store_batch_sessions(b), 50);
			assert_int_equal(store_batch_commit(b), 0);
			assert_int_equal(store_batch_sessions(b), 0);
		}
	}
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	log_init("test_store", 1, LOG_LVL_WARN);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	f->st = open_store(f->path, 90, NULL);
	if (f->st == NULL)
		return -1;
	f->base = (wall_ns() - 2 * 3600 * NS) / MIN_NS * MIN_NS;
	f->n = NSESS;
	f->s = calloc(f->n, sizeof(*f->s));
	for (i = 0; i < f->n; i++)
		make_sess(&f->s[i], i, f->base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_rf(f->dir);
	free(f->s);
	free(f);
	return 0;
}

static void
list_cb(void *arg, const struct store_session *s)
{
	struct list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *s;
}

/* Row-key order: end, key_hash, start; newest first. */
static int
newest_first(const void *a, const void *b)
{
	const struct sess_rec *x = &((const struct store_session *)a)->rec;
	const struct sess_rec *y = &((const struct store_session *)b)->rec;

	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1;
	if (x->key_hash != y->key_hash)
		return x->key_hash > y->key_hash ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns > y->start_ns ? -1 : 1;
	return 0;
}

/* The model of a filter, written independently of the store's. */
static int
model_match(const struct store_filter *f, const struct store_session *s)
{
	const struct sess_rec *r = &s->rec;
	char u[300];
	size_t alen = r->af == 4 ? 4 : 16;

	eff_user(s, u, sizeof(u));
	if (f->agent && *f->agent && strcmp(f->agent, s->agent))
		return 0;
	if (f->user && *f->user && strcmp(f->user, u))
		return 0;
	if (f->target && *f->target && strcmp(f->target, s->target))
		return 0;
	if (f->status >= 0 && (int)r->status != f->status)
		return 0;
	if (f->protocol && f->protocol != r->proto)
		return 0;
	if (f->dest_af && (f->dest_af != r->af ||
	    memcmp(f->dest_ip, r->srv, alen)))
		return 0;
	if (f->source_af && (f->source_af != r->af ||
	    memcmp(f->source_ip, r->cli, alen)))
		return 0;
	if (f->start_after_ns && !(r->start_ns > f->start_after_ns))
		return 0;
	if (f->start_before_ns && !(r->start_ns < f->start_before_ns))
		return 0;
	if (r->end_ns - r->start_ns < f->min_duration_ns)
		return 0;
	if (r->bytes[0] + r->bytes[1] < f->min_bytes)
		return 0;
	return 1;
}

static void
model_history(const struct store_session *s, size_t n,
    const struct store_filter *f, struct list *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (model_match(f, &s[i]))
			list_cb(out, &s[i]);
	if (out->n > 0)
		qsort(out->v, out->n, sizeof(*out->v), newest_first);
}

static void
assert_same(const struct store_session *a, const struct store_session *b)
{
	assert_memory_equal(&a->rec, &b->rec, sizeof(a->rec));
	assert_string_equal(a->agent, b->agent);
	assert_string_equal(a->user, b->user);
	assert_string_equal(a->target, b->target);
	assert_string_equal(a->origin, b->origin);
	assert_int_equal(a->leg, b->leg);
	assert_int_equal(a->peer_hash, b->peer_hash);
	assert_int_equal(a->peer_start, b->peer_start);
}

/* One query, whole and page by page, against the model. */
static size_t
check_filter(struct fx *f, struct store_filter flt)
{
	struct list want, got = { 0 }, pages = { 0 };
	char cursor[STORE_CURSOR_MAX], prev[STORE_CURSOR_MAX];
	size_t i, npages = 0;

	model_history(f->s, f->n, &flt, &want);
	flt.limit = 100000;
	flt.cursor = NULL;
	assert_int_equal(store_history(f->st, &flt, list_cb, &got, cursor),
	    0);
	assert_string_equal(cursor, "");
	assert_int_equal(got.n, want.n);
	for (i = 0; i < want.n; i++)
		assert_same(&got.v[i], &want.v[i]);

	/* Pages of 7: every session exactly once, in order. */
	flt.limit = 7;
	prev[0] = '\0';
	do {
		size_t before = pages.n;

		flt.cursor = prev[0] != '\0' ? prev : NULL;
		assert_int_equal(store_history(f->st, &flt, list_cb, &pages,
		    cursor), 0);
		assert_true(pages.n - before <= 7);
		if (cursor[0] != '\0')
			assert_int_equal(pages.n - before, 7);
		assert_true(strlen(cursor) < STORE_CURSOR_MAX);
		memcpy(prev, cursor, sizeof(prev));
		assert_true(++npages < 1000);
	} while (prev[0] != '\0');
	assert_int_equal(pages.n, want.n);
	for (i = 0; i < want.n; i++)
		assert_same(&pages.v[i], &want.v[i]);
	free(want.v);
	free(got.v);
	free(pages.v);
	return want.n;
}

static struct store_filter
nofilter(void)
{
	struct store_filter flt;

	memset(&flt, 0, sizeof(flt));
	flt.status = -1;
	return flt;
}

static void
test_store_put_get(void **state)
{
	struct fx *f = *state;
	struct store_session got;
	char id[33];
	size_t i;

	put_all(f->st, f->s, f->n);
	for (i = 0; i < f->n; i++) {
		session_id(&f->s[i], id);
		assert_int_equal(store_get_session(f->st, id, &got), 0);
		assert_same(&got, &f->s[i]);
	}
	/* Upper-case hex is the same id. */
	session_id(&f->s[3], id);
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] >= 'a' && id[i] <= 'f')
			id[i] = (char)(id[i] - 'a' + 'A');
	assert_int_equal(store_get_session(f->st, id, &got), 0);
	assert_int_equal(store_get_session(f->st,
	    "00000000000000000000000000000001", &got), -ENOENT);
	assert_int_equal(store_get_session(f->st, "abc", &got), -EINVAL);
	assert_int_equal(store_get_session(f->st,
	    "0000000000000000000000000000000g", &got), -EINVAL);
	assert_int_equal(store_get_session(f->st,
	    "000000000000000000000000000000000", &got), -EINVAL);
}

/*
 * Amendments (late packets of a written session): the row gets the
 * counters, also when the row and its amendments share a batch and after
 * a reopen (merges compacted or not); the totals get the bytes and
 * packets but no second session; an amendment of a row never written is
 * no row in history.
 */
static void
test_store_amend(void **state)
{
	struct fx *f = *state;
	struct store_session got, *a = &f->s[10], *b = &f->s[11];
	struct store_counts before, after;
	struct store_batch *bt;
	struct sess_rec d;
	struct list l;
	struct store_filter flt = nofilter();
	char id[33];
	size_t i;

	put_all(f->st, f->s, 10);
	assert_int_equal(store_rollup_sum(f->st, f->base, f->base + 3600 * NS,
	    &before, NULL, NULL, NULL, NULL, 0), 0);
	memset(&d, 0, sizeof(d));
	d.packets[0] = 1;
	d.packets[1] = 2;
	d.bytes[1] = 1000;
	d.wire_bytes[0] = 40;
	d.wire_bytes[1] = 1080;
	bt = store_batch_new(f->st);
	/* b is put and amended twice in one batch; a was written before. */
	store_batch_put_session(bt, a);
	assert_int_equal(store_batch_commit(bt), 0);
	store_batch_put_session(bt, b);
	store_batch_amend_session(bt, b, &d);
	store_batch_amend_session(bt, b, &d);
	store_batch_amend_session(bt, a, &d);
	assert_int_equal(store_batch_sessions(bt), 1);
	assert_int_equal(store_batch_commit(bt), 0);
	store_batch_free(bt);
	for (i = 0; i < 2; i++) {
		session_id(a, id);
		assert_int_equal(store_get_session(f->st, id, &got), 0);
		assert_int_equal(got.rec.packets[0], a->rec.packets[0] + 1);
		assert_int_equal(got.rec.packets[1], a->rec.packets[1] + 2);
		assert_int_equal(got.rec.bytes[0], a->rec.bytes[0]);
		assert_int_equal(got.rec.bytes[1], a->rec.bytes[1] + 1000);
		assert_int_equal(got.rec.wire_bytes[1],
		    a->rec.wire_bytes[1] + 1080);
		assert_int_equal(got.rec.end_ns, a->rec.end_ns);
		assert_string_equal(got.user, a->user);
		session_id(b, id);
		assert_int_equal(store_get_session(f->st, id, &got), 0);
		assert_int_equal(got.rec.packets[1], b->rec.packets[1] + 4);
		assert_int_equal(got.rec.bytes[1], b->rec.bytes[1] + 2000);
		/* Again from the files, the merges maybe compacted. */
		store_close(f->st);
		f->st = open_store(f->path, 90, NULL);
		assert_non_null(f->st);
	}
	assert_int_equal(store_rollup_sum(f->st, f->base, f->base + 3600 * NS,
	    &after, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(after.sessions, before.sessions + 2);
	assert_int_equal(after.bytes_received, before.bytes_received +
	    a->rec.bytes[1] + b->rec.bytes[1] + 3000);
	assert_int_equal(after.packets_sent, before.packets_sent +
	    a->rec.packets[0] + b->rec.packets[0] + 3);

	/* An orphan amendment: no row appears. */
	bt = store_batch_new(f->st);
	store_batch_amend_session(bt, &f->s[20], &d);
	assert_int_equal(store_batch_commit(bt), 0);
	store_batch_free(bt);
	session_id(&f->s[20], id);
	assert_int_equal(store_get_session(f->st, id, &got), -ENOENT);
	memset(&l, 0, sizeof(l));
	flt.limit = 1000;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	assert_int_equal(l.n, 12);
	free(l.v);
}

static void
test_store_history_filters(void **state)
{
	struct fx *f = *state;
	struct store_filter flt;
	const struct sess_rec *r6 = &f->s[5].rec, *r4 = &f->s[7].rec;
	char ipu[64];
	size_t n;

	put_all(f->st, f->s, f->n);

	assert_int_equal(check_filter(f, nofilter()), f->n);

	flt = nofilter();
	flt.agent = "agent-b";
	assert_int_equal(check_filter(f, flt), f->n / 2);

	flt = nofilter();
	flt.user = "user3";
	assert_true(check_filter(f, flt) > 0);

	/* A session without a user is found by its client address. */
	eff_user(&f->s[8], ipu, sizeof(ipu));
	assert_string_equal(f->s[8].user, "");
	flt = nofilter();
	flt.user = ipu;
	assert_true(check_filter(f, flt) > 0);

	flt = nofilter();
	flt.user = "nobody";
	assert_int_equal(check_filter(f, flt), 0);

	flt = nofilter();
	flt.target = "t1.example:443";
	assert_true(check_filter(f, flt) > 0);

	flt = nofilter();
	flt.status = SESS_FAILED;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt.status = SESS_REJECTED;
	assert_true(check_filter(f, flt) > 0);

	flt = nofilter();
	flt.protocol = 17;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);

	flt = nofilter();
	flt.dest_af = 4;
	memcpy(flt.dest_ip, r4->srv, 16);
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt = nofilter();
	flt.dest_af = 6;
	memcpy(flt.dest_ip, r6->srv, 16);
	assert_true(check_filter(f, flt) > 0);

	flt = nofilter();
	flt.source_af = 4;
	memcpy(flt.source_ip, r4->cli, 16);
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt = nofilter();
	flt.source_af = 6;
	memcpy(flt.source_ip, r6->cli, 16);
	assert_true(check_filter(f, flt) > 0);

	flt = nofilter();
	flt.start_after_ns = f->s[100].rec.start_ns;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt = nofilter();
	flt.start_before_ns = f->s[100].rec.start_ns;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt = nofilter();
	flt.min_duration_ns = 30 * NS;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);
	flt = nofilter();
	flt.min_bytes = 15000;
	n = check_filter(f, flt);
	assert_true(n > 0 && n < f->n);

	/* Combinations, one per index, plus one on the plain scan. */
	flt = nofilter();
	flt.user = "user1";
	flt.status = SESS_CLOSED;
	flt.min_bytes = 5000;
	flt.agent = "agent-a";
	assert_true(check_filter(f, flt) > 0);
	flt = nofilter();
	flt.dest_af = 4;
	memcpy(flt.dest_ip, r4->srv, 16);
	flt.protocol = 6;
	flt.start_after_ns = f->s[40].rec.start_ns;
	flt.start_before_ns = f->s[200].rec.start_ns;
	assert_true(check_filter(f, flt) > 0);
	flt = nofilter();
	flt.source_af = 4;
	memcpy(flt.source_ip, r4->cli, 16);
	flt.min_duration_ns = 5 * NS;
	assert_true(check_filter(f, flt) > 0);
	flt = nofilter();
	flt.target = "t2.example:443";
	flt.protocol = 6;
	flt.min_bytes = 2000;
	assert_true(check_filter(f, flt) > 0);
	/* User and dest together: the user index, dest checked on rows. */
	flt = nofilter();
	flt.user = "user2";
	flt.dest_af = 4;
	memcpy(flt.dest_ip, r4->srv, 16);
	(void)check_filter(f, flt);
}

static void
test_store_history_bad_cursor(void **state)
{
	struct fx *f = *state;
	struct store_filter flt = nofilter();
	struct list l = { 0 };
	char cursor[STORE_CURSOR_MAX], bad[STORE_CURSOR_MAX];
	size_t i;

	put_all(f->st, f->s, f->n);
	flt.limit = 5;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, cursor), 0);
	assert_int_equal(l.n, 5);
	assert_true(cursor[0] != '\0');

	flt.cursor = "garbage";
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, bad),
	    -EINVAL);
	assert_string_equal(bad, "");
	/* One digit changed: the check no longer matches. */
	memcpy(bad, cursor, sizeof(bad));
	bad[10] = bad[10] == '0' ? '1' : '0';
	flt.cursor = bad;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL),
	    -EINVAL);
	/* Too long. */
	memcpy(bad, cursor, sizeof(bad));
	bad[strlen(bad) + 1] = '\0';
	bad[strlen(bad)] = '0';
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL),
	    -EINVAL);
	/* A cursor of the plain scan used with the user index. */
	flt.cursor = cursor;
	flt.user = "user1";
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL),
	    -EINVAL);
	flt.user = NULL;
	flt.limit = 0;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL),
	    -EINVAL);
	/* The good cursor still works. */
	flt.limit = 5;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	assert_int_equal(l.n, 10);
	for (i = 1; i < l.n; i++)
		assert_true(newest_first(&l.v[i - 1], &l.v[i]) < 0);
	free(l.v);
}

static void
test_store_watermark(void **state)
{
	struct fx *f = *state;
	struct store_batch *b;
	uint64_t seq = 0;

	assert_int_equal(store_get_watermark(f->st, "a", 1, &seq), -ENOENT);
	b = store_batch_new(f->st);
	store_batch_set_watermark(b, "a", 1, 5);
	store_batch_set_watermark(b, "a", 2, 7);
	store_batch_set_watermark(b, "ab", 1, 9);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_set_watermark(b, "a", 1, 6);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);
	assert_int_equal(store_get_watermark(f->st, "a", 1, &seq), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(store_get_watermark(f->st, "a", 2, &seq), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(store_get_watermark(f->st, "ab", 1, &seq), 0);
	assert_int_equal(seq, 9);
	assert_int_equal(store_get_watermark(f->st, "b", 1, &seq), -ENOENT);

	/* Durable across a restart. */
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	assert_int_equal(store_get_watermark(f->st, "a", 1, &seq), 0);
	assert_int_equal(seq, 6);
}

/* Marks: numbered blobs, read back in order; one range delete clears
 * them, also those put in the same batch; watermarks are untouched. */
struct marks_seen {
	uint64_t	 no[8];
	char		 blob[8][16];
	size_t		 n;
};

static void
marks_cb(void *arg, uint64_t no, const uint8_t *blob, size_t len)
{
	struct marks_seen *m = arg;

	assert_true(m->n < 8);
	assert_true(len < sizeof(m->blob[0]));
	m->no[m->n] = no;
	memcpy(m->blob[m->n], blob, len);
	m->blob[m->n][len] = '\0';
	m->n++;
}

static void
test_store_marks(void **state)
{
	struct fx *f = *state;
	struct store_batch *b;
	struct marks_seen m;
	uint64_t seq;

	b = store_batch_new(f->st);
	store_batch_put_marks(b, 2, "two", 3);
	store_batch_put_marks(b, 256, "big", 3);
	store_batch_put_marks(b, 1, "one", 3);
	store_batch_set_watermark(b, "a", 1, 5);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);

	/* Durable, and in number order (big-endian keys). */
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_load_marks(f->st, marks_cb, &m), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.no[0], 1);
	assert_string_equal(m.blob[0], "one");
	assert_int_equal(m.no[1], 2);
	assert_string_equal(m.blob[1], "two");
	assert_int_equal(m.no[2], 256);
	assert_string_equal(m.blob[2], "big");

	/* A checkpoint: clear, then the marks still needed. */
	b = store_batch_new(f->st);
	store_batch_put_marks(b, 300, "lost", 4);
	store_batch_clear_marks(b);
	store_batch_put_marks(b, 301, "kept", 4);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_load_marks(f->st, marks_cb, &m), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.no[0], 301);
	assert_string_equal(m.blob[0], "kept");
	assert_int_equal(store_get_watermark(f->st, "a", 1, &seq), 0);
	assert_int_equal(seq, 5);
}

static void
test_store_active(void **state)
{
	struct fx *f = *state;
	struct store_batch *b;
	struct list l = { 0 };
	size_t i;

	b = store_batch_new(f->st);
	store_batch_clear_active(b);
	for (i = 0; i < 3; i++)
		store_batch_put_active(b, &f->s[i]);
	assert_int_equal(store_batch_commit(b), 0);
	assert_int_equal(store_load_active(f->st, list_cb, &l), 0);
	assert_int_equal(l.n, 3);
	free(l.v);

	/* Replace the whole checkpoint in one batch. */
	store_batch_clear_active(b);
	store_batch_put_active(b, &f->s[10]);
	store_batch_put_active(b, &f->s[11]);
	assert_int_equal(store_batch_commit(b), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_load_active(f->st, list_cb, &l), 0);
	assert_int_equal(l.n, 2);
	for (i = 0; i < l.n; i++)
		assert_true(memcmp(&l.v[i], &f->s[10], sizeof(l.v[i])) == 0 ||
		    memcmp(&l.v[i], &f->s[11], sizeof(l.v[i])) == 0);
	free(l.v);

	/* Incremental: one closes. */
	store_batch_del_active(b, &f->s[10]);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_load_active(f->st, list_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_same(&l.v[0], &f->s[11]);
	free(l.v);

	/* Clearing alone empties it. */
	b = store_batch_new(f->st);
	store_batch_clear_active(b);
	assert_int_equal(store_batch_commit(b), 0);
	store_batch_free(b);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_load_active(f->st, list_cb, &l), 0);
	assert_int_equal(l.n, 0);
}

struct agg {
	char		name[300];
	uint64_t	sessions, bytes;
};

static int
agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
agg_add(struct agg *v, size_t *n, const char *name, uint64_t bytes)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].name, name) == 0)
			break;
	if (i == *n) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", name);
		v[i].sessions = v[i].bytes = 0;
		(*n)++;
	}
	v[i].sessions++;
	v[i].bytes += bytes;
}

/* Sums and top lists over [from, to) rounded out to minutes, checked. */
static void
check_rollup(struct fx *f, uint64_t from, uint64_t to, size_t top_n)
{
	struct store_counts want, got;
	struct store_top users[STORE_TOP_MAX], dests[STORE_TOP_MAX];
	struct agg *au = calloc(f->n, sizeof(*au));
	struct agg *ad = calloc(f->n, sizeof(*ad));
	size_t nu = 0, nd = 0, gu, gd, i;
	char name[300];
	const struct sess_rec *r;

	memset(&want, 0, sizeof(want));
	for (i = 0; i < f->n; i++) {
		r = &f->s[i].rec;
		/* Top names come from hourly lists: every hour the window
		 * touches counts whole. Totals are exact to the minute. */
		if (r->end_ns / (60 * MIN_NS) < from / (60 * MIN_NS) ||
		    r->end_ns / (60 * MIN_NS) > (to - 1) / (60 * MIN_NS))
			continue;
		if (r->end_ns / MIN_NS >= from / MIN_NS &&
		    r->end_ns / MIN_NS <= (to - 1) / MIN_NS) {
			want.sessions++;
			want.failed += r->status == SESS_FAILED;
			want.rejected += r->status == SESS_REJECTED;
			want.bytes_sent += r->bytes[0];
			want.bytes_received += r->bytes[1];
			want.packets_sent += r->packets[0];
			want.packets_received += r->packets[1];
		}
		eff_user(&f->s[i], name, sizeof(name));
		agg_add(au, &nu, name, r->bytes[0] + r->bytes[1]);
		dest_text(&f->s[i], name, sizeof(name));
		agg_add(ad, &nd, name, r->bytes[0] + r->bytes[1]);
	}
	qsort(au, nu, sizeof(*au), agg_cmp);
	qsort(ad, nd, sizeof(*ad), agg_cmp);
	assert_int_equal(store_rollup_sum(f->st, from, to, &got, users, &gu,
	    dests, &gd, top_n), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(gu, nu < top_n ? nu : top_n);
	assert_int_equal(gd, nd < top_n ? nd : top_n);
	for (i = 0; i < gu; i++) {
		assert_string_equal(users[i].name, au[i].name);
		assert_int_equal(users[i].sessions, au[i].sessions);
		assert_int_equal(users[i].bytes, au[i].bytes);
	}
	for (i = 0; i < gd; i++) {
		assert_string_equal(dests[i].name, ad[i].name);
		assert_int_equal(dests[i].sessions, ad[i].sessions);
		assert_int_equal(dests[i].bytes, ad[i].bytes);
	}
	free(au);
	free(ad);
}

static void
test_store_rollup_sum(void **state)
{
	struct fx *f = *state;
	struct store_counts got;
	size_t gu = 99, gd = 99;

	put_all(f->st, f->s, f->n);
	/* Everything, all names. */
	check_rollup(f, f->base, f->base + 60 * MIN_NS, STORE_TOP_MAX);
	/* Top 3. */
	check_rollup(f, f->base, f->base + 60 * MIN_NS, 3);
	/* A few minutes in the middle, and a window not on minutes. */
	check_rollup(f, f->base + 3 * MIN_NS, f->base + 8 * MIN_NS, 5);
	check_rollup(f, f->base + 3 * MIN_NS + 17 * NS,
	    f->base + 8 * MIN_NS + 3 * NS, 5);
	/* Beyond the data, and an empty window. */
	check_rollup(f, f->base + 600 * MIN_NS, f->base + 700 * MIN_NS, 5);
	assert_int_equal(store_rollup_sum(f->st, f->base, f->base, &got,
	    NULL, &gu, NULL, &gd, 0), 0);
	assert_int_equal(got.sessions, 0);
	assert_int_equal(gu, 0);

	/* Merged operands survive a restart and a compaction. */
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	check_rollup(f, f->base, f->base + 60 * MIN_NS, STORE_TOP_MAX);
	assert_int_equal(store_compact(f->st), 0);
	check_rollup(f, f->base, f->base + 60 * MIN_NS, 10);
}

struct series {
	uint64_t		start[64];
	struct store_counts	c[64];
	size_t			n;
};

static void
series_cb(void *arg, uint64_t bucket, const struct store_counts *c)
{
	struct series *s = arg;

	assert_true(s->n < 64);
	s->start[s->n] = bucket;
	s->c[s->n++] = *c;
}

static void
check_series(struct fx *f, uint64_t from, uint64_t to, uint64_t step)
{
	struct series got = { .n = 0 };
	struct store_counts want[64];
	size_t nb = (to - from + step - 1) / step, i, bi;
	uint64_t ms;
	const struct sess_rec *r;

	memset(want, 0, sizeof(want));
	for (i = 0; i < f->n; i++) {
		r = &f->s[i].rec;
		if (r->end_ns / MIN_NS < from / MIN_NS ||
		    r->end_ns / MIN_NS > (to - 1) / MIN_NS)
			continue;
		ms = r->end_ns / MIN_NS * MIN_NS;
		bi = ms <= from ? 0 : (ms - from) / step;
		want[bi].sessions++;
		want[bi].failed += r->status == SESS_FAILED;
		want[bi].rejected += r->status == SESS_REJECTED;
		want[bi].bytes_sent += r->bytes[0];
		want[bi].bytes_received += r->bytes[1];
		want[bi].packets_sent += r->packets[0];
		want[bi].packets_received += r->packets[1];
	}
	assert_int_equal(store_rollup_series(f->st, from, to, step, series_cb,
	    &got), 0);
	assert_int_equal(got.n, nb);
	for (i = 0; i < nb; i++) {
		assert_int_equal(got.start[i], from + i * step);
		assert_memory_equal(&got.c[i], &want[i], sizeof(want[i]));
	}
}

static void
test_store_rollup_series(void **state)
{
	struct fx *f = *state;
	struct series got = { .n = 0 };

	put_all(f->st, f->s, f->n);
	check_series(f, f->base, f->base + 15 * MIN_NS, 5 * MIN_NS);
	check_series(f, f->base, f->base + 15 * MIN_NS, MIN_NS);
	/* Ragged ends, and a window reaching past the data. */
	check_series(f, f->base + 2 * MIN_NS + 5 * NS,
	    f->base + 40 * MIN_NS + 1, 7 * MIN_NS);
	check_series(f, f->base - 30 * MIN_NS, f->base + 30 * MIN_NS,
	    10 * MIN_NS);
	assert_int_equal(store_rollup_series(f->st, f->base, f->base + NS, 0,
	    series_cb, &got), -EINVAL);
	assert_int_equal(store_rollup_series(f->st, 0, UINT64_MAX, 1,
	    series_cb, &got), -EINVAL);
	assert_int_equal(got.n, 0);
}

static uint64_t
count(struct store *st, const char *fam)
{
	uint64_t n = 0;

	assert_int_equal(store_count_keys(st, fam, &n), 0);
	return n;
}

static void
test_store_retention(void **state)
{
	struct fx *f = *state;
	struct store_filter flt = nofilter();
	struct store_counts c;
	struct list l = { 0 };
	char id[33];
	struct store_session got;
	uint64_t now = wall_ns(), rollups_all, n_old = 0;
	size_t i;

	store_close(f->st);
	f->st = open_store(f->path, 1, NULL);
	assert_non_null(f->st);
	/* Even sessions ended three days ago, odd ones an hour ago. */
	for (i = 0; i < f->n; i++) {
		make_sess(&f->s[i], i, i % 2 == 0 ? now - 3 * DAY_NS :
		    now - 3600 * NS);
		n_old += i % 2 == 0;
	}
	put_all(f->st, f->s, f->n);

	/* Past retention: never returned, even before store_expire. */
	flt.limit = 1000;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	assert_int_equal(l.n, f->n - n_old);
	for (i = 0; i < l.n; i++)
		assert_true(l.v[i].rec.end_ns > now - DAY_NS);
	free(l.v);
	memset(&l, 0, sizeof(l));
	flt.user = "user1";
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	for (i = 0; i < l.n; i++)
		assert_true(l.v[i].rec.end_ns > now - DAY_NS);
	free(l.v);
	session_id(&f->s[0], id);
	assert_int_equal(store_get_session(f->st, id, &got), -ENOENT);
	session_id(&f->s[1], id);
	assert_int_equal(store_get_session(f->st, id, &got), 0);
	assert_int_equal(store_rollup_sum(f->st, now - 4 * DAY_NS, now, &c,
	    NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(c.sessions, f->n - n_old);

	/* store_expire: rows and rollups go at once... */
	assert_int_equal(count(f->st, "sessions"), f->n);
	rollups_all = count(f->st, "rollups");
	assert_int_equal(store_expire(f->st, now), 0);
	assert_int_equal(store_expire(f->st, now), 0);
	assert_int_equal(count(f->st, "sessions"), f->n - n_old);
	assert_true(count(f->st, "rollups") < rollups_all);
	/* ...by_id and the indexes at the next compaction. */
	assert_int_equal(store_compact(f->st), 0);
	assert_int_equal(count(f->st, "sessions"), f->n - n_old);
	assert_int_equal(count(f->st, "by_id"), f->n - n_old);
	assert_int_equal(count(f->st, "idx_user"), f->n - n_old);
	assert_int_equal(count(f->st, "idx_dest"), f->n - n_old);
	assert_int_equal(count(f->st, "idx_client"), f->n - n_old);
	assert_int_equal(store_rollup_sum(f->st, now - 4 * DAY_NS, now, &c,
	    NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(c.sessions, f->n - n_old);

	/* The cutoff outlives a restart. */
	store_close(f->st);
	f->st = open_store(f->path, 1, NULL);
	assert_non_null(f->st);
	put_all(f->st, f->s, 2);	/* an old and a new one, again */
	assert_int_equal(store_compact(f->st), 0);
	assert_int_equal(count(f->st, "by_id"), f->n - n_old);
	assert_int_equal(store_count_keys(f->st, "nope", &rollups_all),
	    -EINVAL);
}

static int
find_corrupt(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "db.corrupt.", 11) == 0)
			found++;
	closedir(d);
	return found;
}

static void
write_garbage(const char *path, size_t len)
{
	char buf[4096];
	int fd;

	memset(buf, 0xa5, sizeof(buf));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void
check_quarantined(struct fx *f, int expect_dirs)
{
	struct store_filter flt = nofilter();
	struct store_stats ss;
	struct list l = { 0 };
	int q = 0;

	f->st = open_store(f->path, 90, &q);
	assert_non_null(f->st);
	assert_int_equal(q, 1);
	assert_int_equal(find_corrupt(f->dir), expect_dirs);
	flt.limit = 10;
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_get_stats(f->st, &ss);
	assert_int_equal(ss.quarantined, 1);
	/* The fresh database works. */
	put_all(f->st, f->s, 3);
	assert_int_equal(store_history(f->st, &flt, list_cb, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	free(l.v);
}

static void
test_store_quarantine_current(void **state)
{
	struct fx *f = *state;
	char p[256];

	put_all(f->st, f->s, f->n);
	store_close(f->st);
	f->st = NULL;
	snprintf(p, sizeof(p), "%s/CURRENT", f->path);
	write_garbage(p, 9);
	check_quarantined(f, 1);
}

static void
test_store_quarantine_manifest(void **state)
{
	struct fx *f = *state;
	char p[512];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int n = 0;

	put_all(f->st, f->s, f->n);
	store_close(f->st);
	f->st = NULL;
	d = opendir(f->path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "MANIFEST-", 9) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->path, de->d_name);
		assert_int_equal(stat(p, &sb), 0);
		write_garbage(p, sb.st_size < 4096 ? (size_t)sb.st_size : 4096);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	check_quarantined(f, 1);
}

static void
test_store_backup(void **state)
{
	struct fx *f = *state;
	struct store_filter flt = nofilter();
	struct store *bk;
	struct list a = { 0 }, b = { 0 };
	char dir[256], err[256];
	size_t i;

	put_all(f->st, f->s, f->n);
	snprintf(dir, sizeof(dir), "%s/backup", f->dir);
	assert_int_equal(store_backup(f->st, dir, err, sizeof(err)), 0);
	assert_int_equal(store_backup(f->st, dir, err, sizeof(err)), -EEXIST);
	/* Writes after the backup stay out of it. */
	put_all(f->st, f->s, 1);
	bk = open_store(dir, 90, NULL);
	assert_non_null(bk);
	flt.limit = 100000;
	assert_int_equal(store_history(f->st, &flt, list_cb, &a, NULL), 0);
	assert_int_equal(store_history(bk, &flt, list_cb, &b, NULL), 0);
	assert_int_equal(a.n, f->n);
	assert_int_equal(b.n, f->n);
	for (i = 0; i < a.n; i++)
		assert_same(&a.v[i], &b.v[i]);
	store_close(bk);
	free(a.v);
	free(b.v);
}

/*
 * The schema version in the closed database at path, raw: written from
 * set (4 bytes) if not NULL, else read into get. The sessions family gets
 * the merge operator's name only for RocksDB to open it.
 */
static void
raw_schema(const char *path, const char *set, char *get)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_column_family_handle_t *h[16];
	const rocksdb_options_t *opts[16];
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char **names, *err = NULL, *v;
	rocksdb_t *db;
	size_t n, i, meta = 16, vlen;

	names = rocksdb_list_column_families(o, path, &n, &err);
	assert_null(err);
	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		opts[i] = o;
		if (strcmp(names[i], "meta") == 0)
			meta = i;
	}
	assert_true(meta < n);
	db = rocksdb_open_column_families(o, path, (int)n,
	    (const char *const *)names, opts, h, &err);
	assert_null(err);
	if (set != NULL) {
		rocksdb_put_cf(db, wo, h[meta], "schema", 6, set, 4, &err);
		assert_null(err);
	} else {
		v = rocksdb_get_cf(db, ro, h[meta], "schema", 6, &vlen, &err);
		assert_null(err);
		assert_non_null(v);
		assert_int_equal(vlen, 4);
		memcpy(get, v, 4);
		rocksdb_free(v);
	}
	for (i = 0; i < n; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_list_column_families_destroy(names, n);
	rocksdb_readoptions_destroy(ro);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);
}

/*
 * A database of an older schema opens (its rows are read) and is marked
 * with this build's, so that an older build refuses it from then on.
 */
static void
test_store_schema_older(void **state)
{
	struct fx *f = *state;
	struct store_cfg cfg = { .path = f->path, .retention_days = 90 };
	struct store_session got;
	const char v1[4] = { 0, 0, 0, 1 };
	char msg[512] = "", now[4], id[33];

	put_all(f->st, f->s, 4);
	store_close(f->st);
	f->st = NULL;
	raw_schema(f->path, v1, NULL);
	f->st = store_open(&cfg, NULL, msg, sizeof(msg));
	assert_non_null(f->st);
	session_id(&f->s[2], id);
	assert_int_equal(store_get_session(f->st, id, &got), 0);
	store_close(f->st);
	f->st = NULL;
	raw_schema(f->path, NULL, now);
	assert_true(now[3] > 1);
	assert_int_equal(find_corrupt(f->dir), 0);
}

/* A database from a newer schema is refused (written here raw). */
static void
test_store_schema_newer(void **state)
{
	struct fx *f = *state;
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_column_family_handle_t *h[16];
	const rocksdb_options_t *opts[16];
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	struct store_cfg cfg = { .path = f->path, .retention_days = 90 };
	char **names, *err = NULL, msg[512] = "";
	const char v99[4] = { 0, 0, 0, 99 };
	rocksdb_t *db;
	size_t n, i, meta = 16;

	store_close(f->st);
	f->st = NULL;
	names = rocksdb_list_column_families(o, f->path, &n, &err);
	assert_null(err);
	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		opts[i] = o;
		if (strcmp(names[i], "meta") == 0)
			meta = i;
	}
	assert_true(meta < n);
	db = rocksdb_open_column_families(o, f->path, (int)n,
	    (const char *const *)names, opts, h, &err);
	assert_null(err);
	rocksdb_put_cf(db, wo, h[meta], "schema", 6, v99, 4, &err);
	assert_null(err);
	for (i = 0; i < n; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_list_column_families_destroy(names, n);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);

	assert_null(store_open(&cfg, NULL, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "schema version 99"));
	/* Refused, not quarantined. */
	assert_int_equal(find_corrupt(f->dir), 0);
}

static void
test_store_stats(void **state)
{
	struct fx *f = *state;
	struct store_stats ss;

	put_all(f->st, f->s, f->n);
	store_get_stats(f->st, &ss);
	assert_int_equal(ss.sessions_written, f->n);
	assert_int_equal(ss.commits, f->n / 50 + 1);
	assert_int_equal(ss.commit_errors, 0);
	assert_int_equal(ss.quarantined, 0);
}

/* Sessions and indexes survive a restart; a reopened store pages on. */
static void
test_store_reopen(void **state)
{
	struct fx *f = *state;
	struct store_filter flt = nofilter();

	put_all(f->st, f->s, f->n);
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	assert_int_equal(check_filter(f, flt), f->n);
	flt.user = "user4";
	assert_true(check_filter(f, flt) > 0);
}

/* store_scan_from's callback: the queue numbers seen, rows present. */
struct seen {
	uint64_t	seq[16];
	size_t		n, rows;
};

static void
seen_cb(void *arg, uint64_t seq, uint64_t wns, const struct store_session *s)
{
	struct seen *v = arg;

	(void)wns;
	if (v->n < 16)
		v->seq[v->n] = seq;
	v->n++;
	v->rows += s != NULL;
}

/*
 * The export queue (docs/SCALING.md): every session committed after
 * store_export_enable has an entry numbered in commit order;
 * store_export_range counts what a scan would pass (bounded by count,
 * number and write time); the store's export id is drawn once and kept;
 * the exporter's plan reads back as written, across a reopen, and one
 * that is out of order or names 0 sessions a message is ignored.
 */
static void
test_store_export_queue(void **state)
{
	struct fx *f = *state;
	struct store_xplan p[STORE_XPLAN_MAX + 1], q[STORE_XPLAN_MAX];
	struct seen v;
	uint64_t id, last;
	size_t n, i;

	assert_int_equal(store_export_plan_get(f->st, q, STORE_XPLAN_MAX, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_export_enable(f->st), 0);
	id = store_export_id(f->st);
	put_all(f->st, f->s, f->n);
	assert_int_equal(store_export_last(f->st), f->n);
	/* What a round would take. */
	assert_int_equal(store_export_range(f->st, 0, 10, UINT64_MAX,
	    UINT64_MAX, &n, &last), 0);
	assert_int_equal(n, 10);
	assert_int_equal(last, 10);
	assert_int_equal(store_export_range(f->st, 3, 10, UINT64_MAX, 5, &n,
	    &last), 0);
	assert_int_equal(n, 2);
	assert_int_equal(last, 5);
	assert_int_equal(store_export_range(f->st, 3, 10, 0, UINT64_MAX, &n,
	    &last), 0);
	assert_int_equal(n, 0);
	assert_int_equal(last, 3);
	assert_int_equal(store_export_range(f->st, f->n, 10, UINT64_MAX,
	    UINT64_MAX, &n, &last), 0);
	assert_int_equal(n, 0);
	assert_int_equal(last, f->n);
	/* ... and what a scan then passes: the same entries, with rows. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_scan_from(f->st, 3, 2, UINT64_MAX, seen_cb,
	    &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.rows, 2);
	assert_int_equal(v.seq[0], 4);
	assert_int_equal(v.seq[1], 5);
	/* The plan. */
	p[0].end = 1000;
	p[0].per_msg = 100;
	p[1].end = 2000;
	p[1].per_msg = 1;
	assert_int_equal(store_export_plan_set(f->st, p, 2), 0);
	assert_int_equal(store_export_plan_set(f->st, p, STORE_XPLAN_MAX + 1),
	    -EINVAL);
	store_close(f->st);
	f->st = open_store(f->path, 90, NULL);
	assert_non_null(f->st);
	assert_int_equal(store_export_enable(f->st), 0);
	assert_true(store_export_id(f->st) == id);
	assert_int_equal(store_export_last(f->st), f->n);
	assert_int_equal(store_export_plan_get(f->st, q, STORE_XPLAN_MAX, &n),
	    0);
	assert_int_equal(n, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(q[i].end, p[i].end);
		assert_int_equal(q[i].per_msg, p[i].per_msg);
	}
	assert_int_equal(store_export_plan_get(f->st, q, 1, &n), 0);
	assert_int_equal(n, 0);
	/* Not a plan this exporter wrote: ignored, a new one is made. */
	p[1].end = 500;
	assert_int_equal(store_export_plan_set(f->st, p, 2), 0);
	assert_int_equal(store_export_plan_get(f->st, q, STORE_XPLAN_MAX, &n),
	    0);
	assert_int_equal(n, 0);
	p[1].end = 2000;
	p[0].per_msg = 0;
	assert_int_equal(store_export_plan_set(f->st, p, 2), 0);
	assert_int_equal(store_export_plan_get(f->st, q, STORE_XPLAN_MAX, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_export_plan_set(f->st, p, 0), 0);
	assert_int_equal(store_export_plan_get(f->st, q, STORE_XPLAN_MAX, &n),
	    0);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_export_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_amend, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_put_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_history_filters,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_history_bad_cursor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_watermark, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_active, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_marks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_rollup_sum, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_rollup_series,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_retention, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_quarantine_current,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_quarantine_manifest,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_backup, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_schema_older,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_schema_newer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_stats, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_reopen, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
