/*
 * test_api_multi: one API over several aggregators, without sockets.
 * The merged history cursor round-trips and every damaged, foreign or
 * stale cursor is refused with a reason (and a 400 through the route);
 * lists split and refuse empty or extra items; top lists sum by name;
 * metrics texts join with one HELP per family and an aggregator label;
 * and the history route over fake aggregators (each a sorted list with
 * its own cursors) pages through every session once, newest first, at
 * every limit, and marks a partial answer with a field and a header.
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
#include <jansson.h>

#include "api_multi.h"
#include "api_stats.h"
#include "http_routes.h"

#define NAGG	3
#define NSESS	40

/* A fake aggregator: sessions newest first; cursor "c<index>". */
struct fagg {
	char	end[NSESS][40], id[NSESS][40];
	size_t	n;
	int	down;
	int	calls;
	int	evil;		/* forged row_cursors: which kind, 0 none */
};

static struct fagg fa[NAGG];
static struct api_stats st;
static struct http_routes_cfg cfg;
static const char *names[NAGG] = { "agg-1", "agg-2", "agg-3" };
static const char *eps[NAGG] = { "tcp://127.0.0.1:1", "tcp://127.0.0.1:2",
    "tcp://127.0.0.1:3" };

static const char *
qget(const struct proto_query *q, const char *key)
{
	uint32_t i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->params[i].key, key) == 0)
			return q->params[i].val;
	return NULL;
}

static void
fake_many(void *arg, struct proto_query *const *qs, size_t n,
    int timeout_ms, struct http_routes_answer *ans)
{
	size_t i, k, from, limit;
	const char *c, *l, *rcq;
	json_t *o, *arr, *s, *rc;
	char cur[32], big[200];

	(void)arg;
	(void)timeout_ms;
	for (i = 0; i < n; i++) {
		memset(&ans[i], 0, sizeof(ans[i]));
		ans[i].rc = -ENOENT;
		if (qs[i] == NULL)
			continue;
		fa[i].calls++;
		if (fa[i].down) {
			ans[i].rc = -ETIMEDOUT;
			continue;
		}
		assert_string_equal(qs[i]->kind, "history");
		c = qget(qs[i], "cursor");
		l = qget(qs[i], "limit");
		assert_non_null(l);
		from = c != NULL ? strtoul(c + 1, NULL, 10) + 1 : 0;
		limit = strtoul(l, NULL, 10);
		rcq = qget(qs[i], "row_cursors");
		arr = json_array();
		rc = json_array();
		for (k = from; k < fa[i].n && json_array_size(arr) < limit;
		    k++) {
			s = json_object();
			json_object_set_new(s, "session_id",
			    json_string(fa[i].id[k]));
			json_object_set_new(s, "end_time",
			    json_string(fa[i].end[k]));
			json_array_append_new(arr, s);
			snprintf(cur, sizeof(cur), "c%zu", k);
			json_array_append_new(rc, json_string(cur));
		}
		/* What a broken or hostile aggregator might send. */
		memset(big, 'c', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		if (fa[i].evil == 1 && json_array_size(rc) > 0)
			json_array_remove(rc, 0);
		if (fa[i].evil == 2 && json_array_size(rc) > 0)
			json_array_set_new(rc, 0, json_string(big));
		if (fa[i].evil == 3 && json_array_size(rc) > 0)
			json_array_set_new(rc, 0, json_stringn("c\0c", 3));
		if (fa[i].evil == 4 && json_array_size(rc) > 0)
			json_array_set_new(rc, 0, json_integer(7));
		if (fa[i].evil == 5 && json_array_size(rc) > 0)
			json_array_set_new(rc, 0, json_string(""));
		o = json_object();
		json_object_set_new(o, "sessions", arr);
		if (rcq != NULL && strcmp(rcq, "1") == 0)
			json_object_set_new(o, "row_cursors", rc);
		else
			json_decref(rc);
		if (k < fa[i].n) {
			snprintf(cur, sizeof(cur), "c%zu", k - 1);
			json_object_set_new(o, "next_cursor", json_string(cur));
		} else
			json_object_set_new(o, "next_cursor", json_null());
		ans[i].rc = 0;
		ans[i].status = 200;
		ans[i].body = json_dumps(o, JSON_COMPACT);
		ans[i].len = strlen(ans[i].body);
		json_decref(o);
	}
}

static int
setup(void **state)
{
	size_t i, k;

	(void)state;
	memset(fa, 0, sizeof(fa));
	/* Interleaved end times, a tie across aggregators at k == 5. */
	for (i = 0; i < NAGG; i++) {
		fa[i].n = 5 + 7 * i;
		for (k = 0; k < fa[i].n; k++) {
			snprintf(fa[i].end[k], sizeof(fa[i].end[k]),
			    "2024-01-01T00:%02zu:00.000000000Z", k == 5 ? 30 :
			    59 - (k * (i + 2)) % 60);
			snprintf(fa[i].id[k], sizeof(fa[i].id[k]),
			    "%016zx%016zx", i, k);
		}
		/* Newest first, as an aggregator keeps them. */
		for (k = 1; k < fa[i].n; k++) {
			size_t j = k;
			char t[40];

			while (j > 0 && (strcmp(fa[i].end[j - 1],
			    fa[i].end[j]) < 0 || (strcmp(fa[i].end[j - 1],
			    fa[i].end[j]) == 0 && strcmp(fa[i].id[j - 1],
			    fa[i].id[j]) < 0))) {
				memcpy(t, fa[i].end[j], sizeof(t));
				memcpy(fa[i].end[j], fa[i].end[j - 1], sizeof(t));
				memcpy(fa[i].end[j - 1], t, sizeof(t));
				memcpy(t, fa[i].id[j], sizeof(t));
				memcpy(fa[i].id[j], fa[i].id[j - 1], sizeof(t));
				memcpy(fa[i].id[j - 1], t, sizeof(t));
				j--;
			}
		}
	}
	api_stats_init(&st);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ask_many = fake_many;
	cfg.naggs = NAGG;
	cfg.agg_names = names;
	cfg.agg_endpoints = eps;
	cfg.agg_list_id = api_multi_list_id(names, NAGG);
	cfg.aggregator = eps[0];
	cfg.static_dir = "/nonexistent";
	cfg.timeout_ms = 100;
	cfg.health_timeout_ms = 100;
	cfg.max_limit = 1000;
	cfg.default_limit = 100;
	cfg.max_body = 1 << 20;
	cfg.stats = &st;
	return 0;
}

static void
test_api_multi_cursor_round_trip(void **state)
{
	struct api_multi_cursor c, d;
	char text[API_MULTI_CURSOR_MAX], detail[256];
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.n = API_MULTI_MAX;
	c.list_id = 0xdeadbeef;
	for (i = 0; i < c.n; i++) {
		c.pos[i].state = (enum api_multi_pos_state)(i % 3);
		if (c.pos[i].state == API_MULTI_POS_AT)
			/* The longest an aggregator's cursor may be. */
			memset(c.pos[i].cursor, 'a' + (int)i,
			    API_MULTI_POS_MAX);
	}
	assert_int_equal(api_multi_cursor_encode(&c, text), 0);
	assert_true(strlen(text) < API_MULTI_CURSOR_MAX);
	assert_int_equal(api_multi_cursor_decode(text, c.n, c.list_id, &d,
	    detail, sizeof(detail)), 0);
	assert_int_equal(d.n, c.n);
	for (i = 0; i < c.n; i++) {
		assert_int_equal(d.pos[i].state, c.pos[i].state);
		assert_string_equal(d.pos[i].cursor, c.pos[i].cursor);
	}
	/* Only base64url characters: it goes into a URL unescaped. */
	assert_int_equal(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz0123456789-_"), strlen(text));
	/* A position's cursor over the limit is refused. */
	memset(c.pos[1].cursor, 'x', sizeof(c.pos[1].cursor));
	c.pos[1].state = API_MULTI_POS_AT;
	assert_int_equal(api_multi_cursor_encode(&c, text), -EINVAL);
}

static void
test_api_multi_cursor_bad(void **state)
{
	struct api_multi_cursor c, d;
	char text[API_MULTI_CURSOR_MAX], bad[API_MULTI_CURSOR_MAX + 8];
	char detail[256];
	size_t i, len;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.n = 2;
	c.list_id = 77;
	c.pos[0].state = API_MULTI_POS_AT;
	snprintf(c.pos[0].cursor, sizeof(c.pos[0].cursor), "s0123abcd");
	c.pos[1].state = API_MULTI_POS_DONE;
	assert_int_equal(api_multi_cursor_encode(&c, text), 0);
	len = strlen(text);
	/* Every single changed character is caught. */
	for (i = 0; i < len; i++) {
		memcpy(bad, text, len + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		detail[0] = '\0';
		assert_int_equal(api_multi_cursor_decode(bad, 2, 77, &d,
		    detail, sizeof(detail)), -EINVAL);
		assert_memory_equal(detail, "cursor: ", 8);
	}
	/* Every prefix. */
	for (i = 0; i < len; i++) {
		memcpy(bad, text, i);
		bad[i] = '\0';
		assert_int_equal(api_multi_cursor_decode(bad, 2, 77, &d,
		    detail, sizeof(detail)), -EINVAL);
	}
	assert_int_equal(api_multi_cursor_decode(text, 3, 77, &d, detail,
	    sizeof(detail)), -EINVAL);
	assert_non_null(strstr(detail, "another list of aggregators"));
	assert_int_equal(api_multi_cursor_decode(text, 2, 78, &d, detail,
	    sizeof(detail)), -EINVAL);
	assert_non_null(strstr(detail, "another list of aggregators"));
	assert_int_equal(api_multi_cursor_decode("not a cursor!", 2, 77, &d,
	    detail, sizeof(detail)), -EINVAL);
	assert_non_null(strstr(detail, "not a cursor from this API"));
	/* An aggregator's own cursor is not the API's. */
	assert_int_equal(api_multi_cursor_decode("s00112233445566778899aabb"
	    "ccddeeff00112233445566778899aabbccddeeff0011223344556677",
	    2, 77, &d, detail, sizeof(detail)), -EINVAL);
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(api_multi_cursor_decode(bad, 2, 77, &d, detail,
	    sizeof(detail)), -EINVAL);
}

static void
test_api_multi_split(void **state)
{
	char items[4][API_MULTI_ITEM_MAX + 1], err[128], big[400];
	size_t n;

	(void)state;
	assert_int_equal(api_multi_split("tcp://a:1", items, 4, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0], "tcp://a:1");
	assert_int_equal(api_multi_split(" tcp://a:1 ,tcp://b:2", items, 4,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(items[0], "tcp://a:1");
	assert_string_equal(items[1], "tcp://b:2");
	assert_int_equal(api_multi_split("a,,b", items, 4, &n, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "item 2 is empty");
	assert_int_equal(api_multi_split("a,b,", items, 4, &n, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(api_multi_split("", items, 4, &n, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(api_multi_split("a,b,c,d,e", items, 4, &n, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "more than 4 items");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(api_multi_split(big, items, 4, &n, err,
	    sizeof(err)), -EINVAL);
}

static void
test_api_multi_top_merge(void **state)
{
	json_t *l[3], *m;

	(void)state;
	l[0] = json_loads("[{\"user\":\"ann\",\"sessions\":2,\"bytes\":100},"
	    "{\"user\":\"bob\",\"sessions\":1,\"bytes\":50}]", 0, NULL);
	l[1] = NULL;
	l[2] = json_loads("[{\"user\":\"bob\",\"sessions\":4,\"bytes\":70},"
	    "{\"user\":\"cy\",\"sessions\":9,\"bytes\":10}]", 0, NULL);
	m = api_multi_top_merge(l, 3, "user", 2);
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(m, 0), "user")), "bob");
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(m, 0), "bytes")), 120);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(m, 0), "sessions")), 5);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(m, 1), "user")), "ann");
	json_decref(m);
	json_decref(l[0]);
	json_decref(l[2]);
}

static void
test_api_multi_metrics_merge(void **state)
{
	const char *t[2] = {
	    "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"
	    "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
	    "h_seconds_bucket{le=\"1\"} 2\nh_seconds_sum 3\n"
	    "h_seconds_count 2\n",
	    "# HELP b B.\n# TYPE b gauge\nb{x=\"y\"} 5\n"
	    "# HELP a_total A.\n# TYPE a_total counter\na_total 7\n" };
	const char *nm[2] = { "one", "t\"w\\o" };
	struct api_buf out;

	(void)state;
	api_buf_init(&out, 1 << 16);
	assert_int_equal(api_multi_metrics_merge(t, nm, 2, &out), 0);
	assert_string_equal(out.data,
	    "# HELP a_total A.\n# TYPE a_total counter\n"
	    "a_total{aggregator=\"one\"} 1\n"
	    "a_total{aggregator=\"t\\\"w\\\\o\"} 7\n"
	    "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
	    "h_seconds_bucket{aggregator=\"one\",le=\"1\"} 2\n"
	    "h_seconds_sum{aggregator=\"one\"} 3\n"
	    "h_seconds_count{aggregator=\"one\"} 2\n"
	    "# HELP b B.\n# TYPE b gauge\n"
	    "b{aggregator=\"t\\\"w\\\\o\",x=\"y\"} 5\n");
	api_buf_free(&out);
}

/* Pages through history at limit, checks each page, returns count. */
static size_t
page_all(size_t limit, int *partial_seen)
{
	struct http_resp r;
	json_t *o, *s, *prev = NULL, *nc;
	char q[API_MULTI_CURSOR_MAX + 64], seen[NAGG * NSESS][40];
	size_t nseen = 0, i, j, pages = 0;

	q[0] = '\0';
	snprintf(q, sizeof(q), "limit=%zu", limit);
	for (;;) {
		http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
		    "/api/sessions/history", q, &r);
		if (r.status == 503 && *partial_seen) {
			/* Only the missing one is left: nothing to give but
			 * a 503 naming it; the cursor stays good. */
			assert_string_equal(r.partial, "agg-2");
			http_resp_free(&r);
			break;
		}
		assert_int_equal(r.status, 200);
		o = json_loads(r.body, 0, NULL);
		assert_non_null(o);
		if (json_is_true(json_object_get(o, "partial"))) {
			*partial_seen = 1;
			assert_string_equal(r.partial, "agg-2");
		} else
			assert_string_equal(r.partial, "");
		s = json_object_get(o, "sessions");
		nc = json_object_get(o, "next_cursor");
		/* The limit, exactly, but on the last page. */
		if (json_is_string(nc))
			assert_int_equal(json_array_size(s), limit);
		for (i = 0; i < json_array_size(s); i++) {
			json_t *e = json_array_get(s, i);

			if (prev != NULL && !*partial_seen)
				assert_true(api_multi_session_cmp(prev, e) > 0);
			json_decref(prev);
			prev = json_incref(e);
			for (j = 0; j < nseen; j++)
				assert_string_not_equal(seen[j],
				    json_string_value(json_object_get(e,
				    "session_id")));
			snprintf(seen[nseen++], sizeof(seen[0]), "%s",
			    json_string_value(json_object_get(e,
			    "session_id")));
		}
		pages++;
		assert_true(pages < 1000);
		if (!json_is_string(nc)) {
			json_decref(o);
			http_resp_free(&r);
			break;
		}
		snprintf(q, sizeof(q), "limit=%zu&cursor=%s", limit,
		    json_string_value(nc));
		json_decref(o);
		http_resp_free(&r);
	}
	json_decref(prev);
	return nseen;
}

static void
test_api_multi_history_pages(void **state)
{
	size_t limit, total = 0, i;
	int partial = 0;

	(void)state;
	for (i = 0; i < NAGG; i++)
		total += fa[i].n;
	for (limit = 1; limit <= total + 1; limit++)
		assert_int_equal(page_all(limit, &partial), total);
	assert_false(partial);
}

/* Every limit, with no margin (refetches on most pages) and with one. */
static void
test_api_multi_history_margins(void **state)
{
	size_t limit, total = 0, i, m;
	int partial = 0;

	(void)state;
	for (i = 0; i < NAGG; i++)
		total += fa[i].n;
	for (m = 0; m < 3; m++) {
		cfg.multi_fetch_margin = m == 2 ? 1000 : m;
		for (limit = 1; limit <= total + 1; limit++)
			assert_int_equal(page_all(limit, &partial), total);
	}
	assert_false(partial);
}

/*
 * One aggregator holds only sessions older than all of another's: the
 * first pages come from one alone, and are complete and in order only
 * because the used-up one is asked again. An aggregator is asked at
 * most twice for a page.
 */
static void
test_api_multi_history_uneven(void **state)
{
	size_t k, limit, total;
	int partial = 0, before;
	struct http_resp r;
	json_t *o, *s;

	(void)state;
	/* agg-1 newest 5, agg-2 older 12, agg-3 oldest 19. */
	for (k = 0; k < NSESS; k++) {
		snprintf(fa[0].end[k], sizeof(fa[0].end[k]),
		    "2024-01-03T00:00:%02zu.000000000Z", 59 - k);
		snprintf(fa[1].end[k], sizeof(fa[1].end[k]),
		    "2024-01-02T00:00:%02zu.000000000Z", 59 - k);
		snprintf(fa[2].end[k], sizeof(fa[2].end[k]),
		    "2024-01-01T00:00:%02zu.000000000Z", 59 - k);
	}
	total = fa[0].n + fa[1].n + fa[2].n;
	for (limit = 1; limit <= total + 1; limit++)
		assert_int_equal(page_all(limit, &partial), total);
	/* A first page of 10: 4 asked of each (ceil(10 / 3) + 0), agg-1's
	 * 4 all taken, so it is asked for 6 more: its 1 and then agg-2's. */
	cfg.multi_fetch_margin = 0;
	before = fa[0].calls;
	http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
	    "/api/sessions/history", "limit=10", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fa[0].calls - before, 2);
	o = json_loads(r.body, 0, NULL);
	s = json_object_get(o, "sessions");
	assert_int_equal(json_array_size(s), 10);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(s, 4), "end_time")),
	    "2024-01-03T00:00:55.000000000Z");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(s, 5), "end_time")),
	    "2024-01-02T00:00:59.000000000Z");
	json_decref(o);
	http_resp_free(&r);
	assert_false(partial);
}

/* Appends to rows a row of session id ending at second sec of
 * 2024-01-01T00:00. */
static void
add_row(json_t *rows, size_t sec, const char *id)
{
	json_t *e = json_object();
	char t[40];

	snprintf(t, sizeof(t), "2024-01-01T00:00:%02zu.000000000Z", sec);
	json_object_set_new(e, "end_time", json_string(t));
	json_object_set_new(e, "session_id", json_string(id));
	json_array_append_new(rows, e);
}

/* The merge alone: it stops for a source that may hold newer rows. */
static void
test_api_multi_merge(void **state)
{
	struct api_multi_src src[2];
	json_t *a = json_array(), *b = json_array(), *page = json_array(), *e;
	int need[2];
	size_t k;

	(void)state;
	for (k = 0; k < 3; k++) {
		add_row(a, 50 - k, "a");
		add_row(b, 20 - k, "b");
	}
	memset(src, 0, sizeof(src));
	src[0].rows = a;
	src[0].more = 1;
	src[1].rows = b;
	src[1].more = 1;
	/* a's three are newer than b's first: a must be asked again. */
	assert_int_equal(api_multi_merge(src, 2, page, 5, need), 1);
	assert_int_equal(json_array_size(page), 3);
	assert_true(need[0] && !need[1]);
	/* a has nothing more: b fills the page. */
	src[0].more = 0;
	assert_int_equal(api_multi_merge(src, 2, page, 5, need), 0);
	assert_int_equal(json_array_size(page), 5);
	assert_int_equal(src[1].taken, 2);
	/* A full page needs nothing, even from a used-up source. */
	src[0].more = 1;
	assert_int_equal(api_multi_merge(src, 2, page, 5, need), 0);
	assert_false(need[0]);
	/* Answers are checked before they are merged. */
	assert_int_equal(api_multi_rows_check(a, a), -EBADMSG);
	e = json_pack("[s,s,s]", "c1", "c2", "c3");
	assert_int_equal(api_multi_rows_check(a, e), 0);
	json_array_set_new(e, 1, json_string("c 2"));
	assert_int_equal(api_multi_rows_check(a, e), -EBADMSG);
	json_array_remove(e, 1);
	assert_int_equal(api_multi_rows_check(a, e), -EBADMSG);
	json_decref(e);
	json_decref(a);
	json_decref(b);
	json_decref(page);
}

/*
 * Forged row cursors (missing, too long, with a NUL, not a string,
 * empty): that aggregator is left out as malformed, never a crash, and
 * the others still page through.
 */
static void
test_api_multi_history_forged(void **state)
{
	struct http_resp r;
	int kind, partial;

	(void)state;
	for (kind = 1; kind <= 5; kind++) {
		fa[1].evil = kind;
		http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
		    "/api/sessions/history", "limit=3", &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.partial, "agg-2");
		assert_non_null(strstr(r.body, "\"missing\":[\"agg-2\"]"));
		http_resp_free(&r);
		partial = 0;
		assert_int_equal(page_all(4, &partial), fa[0].n + fa[2].n);
		assert_true(partial);
	}
	fa[1].evil = 0;
}

static void
test_api_multi_history_partial(void **state)
{
	struct http_resp r;
	json_t *o;
	int partial = 0;

	(void)state;
	fa[1].down = 1;
	http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
	    "/api/sessions/history", "limit=3", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.partial, "agg-2");
	o = json_loads(r.body, 0, NULL);
	assert_true(json_is_true(json_object_get(o, "partial")));
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "missing"), 0)), "agg-2");
	json_decref(o);
	http_resp_free(&r);
	/* The others page through; the cursor keeps agg-2's place, so
	 * nothing of it is lost. */
	assert_int_equal(page_all(4, &partial), fa[0].n + fa[2].n);
	assert_true(partial);
	/* All down: a 503 naming them. */
	fa[0].down = fa[2].down = 1;
	http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
	    "/api/sessions/history", "limit=3", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "agg-1 (no answer in time)"));
	assert_string_equal(r.partial, "agg-1,agg-2,agg-3");
	http_resp_free(&r);
}

static void
test_api_multi_history_bad_cursor(void **state)
{
	struct http_resp r;

	(void)state;
	http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
	    "/api/sessions/history", "cursor=AAAA", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "\"error\":\"bad parameter\""));
	assert_non_null(strstr(r.body, "cursor: "));
	http_resp_free(&r);
	http_routes_handle(&cfg, HTTP_ROUTE_HISTORY, "GET",
	    "/api/sessions/history", "cursor=s0011", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "not a cursor from this API"));
	http_resp_free(&r);
	/* Nothing was asked with a bad cursor. */
	assert_int_equal(fa[0].calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_multi_cursor_round_trip),
		cmocka_unit_test(test_api_multi_cursor_bad),
		cmocka_unit_test(test_api_multi_split),
		cmocka_unit_test(test_api_multi_top_merge),
		cmocka_unit_test(test_api_multi_metrics_merge),
		cmocka_unit_test_setup(test_api_multi_history_pages, setup),
		cmocka_unit_test_setup(test_api_multi_history_margins, setup),
		cmocka_unit_test_setup(test_api_multi_history_uneven, setup),
		cmocka_unit_test(test_api_multi_merge),
		cmocka_unit_test_setup(test_api_multi_history_forged, setup),
		cmocka_unit_test_setup(test_api_multi_history_partial, setup),
		cmocka_unit_test_setup(test_api_multi_history_bad_cursor,
		    setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
