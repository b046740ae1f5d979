/*
 * http_routes: one function per route. Each checks its query parameters
 * (unknown ones and malformed values are 400s naming the parameter),
 * turns them into the aggregator's query parameters (times become
 * nanoseconds, seconds become nanoseconds), asks, and re-encodes the
 * reply with jansson after checking its shape. An aggregator that does
 * not answer is a 503 on every data route; /health and /metrics still
 * answer and say so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../common/parse.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "api_buf.h"
#include "api_csv.h"
#include "api_metrics.h"
#include "api_multi.h"
#include "api_params.h"
#include "api_stats.h"
#include "api_time.h"
#include "http_route.h"
#include "http_routes.h"

#define NS		1000000000ULL
#define JSON_CT		"application/json"
#define PROM_CT		"text/plain; version=0.0.4; charset=utf-8"
#define CSV_CT		"text/csv; charset=utf-8"
#define MAX_WINDOW_H	876000ULL	/* 100 years; retention is checked
					 * by the aggregator */

/* One request being answered. */
struct req {
	const struct http_routes_cfg	*cfg;
	struct api_params		 params;
	struct proto_query		 q;
	char				 detail[API_DETAIL_MAX];
	struct http_resp		*resp;
};

static void	r_static(const struct http_routes_cfg *, struct http_resp *,
		    const char *name);
static void	health_facts(json_t *, json_t *);
static void	r_health(struct req *);
static void	r_metrics(struct req *);
static void	r_active(struct req *);
static void	r_history(struct req *);
static void	r_session(struct req *, const char *id);
static void	r_stats(struct req *);
static void	r_timeseries(struct req *);
static void	r_agents(struct req *);
static void	r_events(struct req *);

static int	params_ok(struct req *, const char *const *allowed);
static void	q_begin(struct req *, const char *kind);
static void	q_add(struct req *, const char *key, const char *val);
static void	q_add_u64(struct req *, const char *key, uint64_t v);
static json_t	*ask(struct req *, const char *key_shape, int timeout_ms);
static void	resp_json(struct http_resp *, int status, json_t *o);
static void	resp_error(struct http_resp *, int status, const char *error,
		    const char *detail);
static void	bad_param(struct req *);

/* Several aggregators: what every one of them answered. */
struct multi {
	json_t		*o[API_MULTI_MAX];	/* owned; NULL: none */
	int		 missing[API_MULTI_MAX];
	char		 why[API_MULTI_MAX][32];
	size_t		 nmissing, notfound;
};

static int	is_multi(const struct req *);
static int	m_ask(struct req *, struct proto_query *const *qs,
		    const char *key_shape, int timeout_ms, int notfound_ok,
		    struct multi *);
static void	m_free(struct multi *);
static void	m_mark(struct req *, const struct multi *, json_t *o);
static void	m_same(struct req *, struct proto_query **qs);
static void	m_health(struct req *);
static void	m_metrics(struct req *, struct api_metrics_in *,
		    struct api_buf *agg);
static void	m_active(struct req *, uint64_t limit);
static void	m_history(struct req *, uint64_t limit, const char *format);
static int	m_rows(json_t *, struct api_multi_src *, json_t **rc);
static void	m_session(struct req *);
static void	m_stats(struct req *);
static json_t	*m_points(struct req *);
static void	m_agents(struct req *);
static void	m_events(struct req *, uint64_t limit);
static void	q_set(struct proto_query *, const char *key,
		    const char *val);
static void	q_del(struct proto_query *, const char *key);
static void	answer_history(struct req *, json_t *o, const char *format);

void
http_routes_handle(const struct http_routes_cfg *cfg, enum http_route route,
    const char *method, const char *path, const char *query,
    struct http_resp *resp)
{
	struct req *rq;
	char detail[API_DETAIL_MAX];

	memset(resp, 0, sizeof(*resp));
	resp->cache = "no-store";
	if (route == HTTP_ROUTE_UNMATCHED) {
		snprintf(detail, sizeof(detail), "%.160s: no such route (see "
		    "docs/API.md)", path ? path : "");
		resp_error(resp, 404, "not found", detail);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		snprintf(detail, sizeof(detail), "%.16s: %s answers GET and "
		    "HEAD only", method, http_routes_name(route));
		resp_error(resp, 405, "method not allowed", detail);
		resp->allow = "GET, HEAD";
		return;
	}
	if (route == HTTP_ROUTE_INDEX) {
		/* The page reads its own query (window_hours=) itself. */
		r_static(cfg, resp, "index.html");
		return;
	}
	if (route == HTTP_ROUTE_STATIC) {
		r_static(cfg, resp, path + 8);
		return;
	}
	rq = cfg->scratch != NULL ? (struct req *)cfg->scratch :
	    xmalloc(sizeof(*rq));
	rq->cfg = cfg;
	rq->resp = resp;
	rq->detail[0] = '\0';
	if (api_params_parse(query, &rq->params, rq->detail) != 0) {
		resp_error(resp, 400, "bad parameter", rq->detail);
		if (cfg->scratch == NULL)
			free(rq);
		return;
	}
	switch (route) {
	case HTTP_ROUTE_HEALTH:
		r_health(rq);
		break;
	case HTTP_ROUTE_METRICS:
		r_metrics(rq);
		break;
	case HTTP_ROUTE_ACTIVE:
		r_active(rq);
		break;
	case HTTP_ROUTE_HISTORY:
		r_history(rq);
		break;
	case HTTP_ROUTE_SESSION:
		r_session(rq, path + strlen(HTTP_ROUTE_SESSIONS_PREFIX));
		break;
	case HTTP_ROUTE_STATS:
		r_stats(rq);
		break;
	case HTTP_ROUTE_TIMESERIES:
		r_timeseries(rq);
		break;
	case HTTP_ROUTE_AGENTS:
		r_agents(rq);
		break;
	case HTTP_ROUTE_EVENTS:
		r_events(rq);
		break;
	default:
		resp_error(resp, 404, "not found", "no such route");
		break;
	}
	if (cfg->scratch == NULL)
		free(rq);
}

struct http_routes_scratch *
http_routes_scratch_create(void)
{
	/* A scratch is a struct req; the type stays opaque outside. */
	return (struct http_routes_scratch *)xmalloc(sizeof(struct req));
}

void
http_routes_scratch_destroy(struct http_routes_scratch *s)
{
	free(s);
}

void
http_routes_refuse(struct http_resp *resp, int status, const char *error,
    const char *detail)
{
	memset(resp, 0, sizeof(*resp));
	resp->cache = "no-store";
	resp_error(resp, status, error, detail);
}

void
http_resp_free(struct http_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

/* ---- dashboard files ------------------------------------------------- */

static void
r_static(const struct http_routes_cfg *cfg, struct http_resp *resp,
    const char *name)
{
	static const struct {
		const char	*ext, *ctype;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ "LICENSE", "text/plain; charset=utf-8" },
	};
	struct stat st;
	size_t i, n = strlen(name), el;
	char detail[API_DETAIL_MAX];
	int ok = n > 0 && n <= 128 && name[0] != '.';

	/* Plain file names only: no path, no hidden files. */
	for (i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-';
	for (i = 0; ok && i < sizeof(types) / sizeof(types[0]); i++) {
		el = strlen(types[i].ext);
		if (n >= el && strcmp(name + n - el, types[i].ext) == 0)
			break;
	}
	if (ok && i < sizeof(types) / sizeof(types[0]) &&
	    (size_t)snprintf(resp->file, sizeof(resp->file), "%s/%s",
	    cfg->static_dir, name) < sizeof(resp->file) &&
	    stat(resp->file, &st) == 0 && S_ISREG(st.st_mode)) {
		resp->status = 200;
		resp->ctype = types[i].ctype;
		resp->cache = "no-cache";
		return;
	}
	resp->file[0] = '\0';
	snprintf(detail, sizeof(detail), "%.140s: no such dashboard file",
	    name);
	resp_error(resp, 404, "not found", detail);
}

/* ---- health and metrics ---------------------------------------------- */

/*
 * What /health tells of an aggregator besides its reachability, from its
 * events answer (ev): its exporter's state (docs/SCALING.md) and its
 * transport security (CURVE, or insecure by allow_insecure).
 */
static void
health_facts(json_t *a, json_t *ev)
{
	if (json_is_object(json_object_get(ev, "export")))
		json_object_set(a, "export", json_object_get(ev, "export"));
	if (json_is_object(json_object_get(ev, "security")))
		json_object_set(a, "security", json_object_get(ev,
		    "security"));
}

static void
r_health(struct req *rq)
{
	static const char *const allowed[] = { NULL };
	const struct http_routes_cfg *cfg = rq->cfg;
	uint64_t now = api_time_now_ns();
	json_t *o, *a, *ev, *why;
	uint32_t status;
	char *body = NULL, when[40];
	size_t len = 0;
	int rc, degraded = 0;

	if (!params_ok(rq, allowed))
		return;
	/* The cheapest question the aggregator answers. */
	q_begin(rq, "events");
	q_add(rq, "minutes", "1");
	q_add(rq, "limit", "1");
	if (is_multi(rq)) {
		m_health(rq);
		return;
	}
	rc = cfg->ask(cfg->ask_arg, &rq->q, cfg->health_timeout_ms, &status,
	    &body, &len);
	o = json_object();
	a = json_object();
	json_object_set_new(a, "endpoint", json_string(cfg->aggregator));
	json_object_set_new(a, "reachable", json_boolean(rc == 0));
	if (rc != 0) {
		snprintf(rq->detail, sizeof(rq->detail), "%s",
		    rc == -ETIMEDOUT ? "no answer in time" : rc == -EBADMSG ?
		    "malformed reply" : "not reachable");
		json_object_set_new(a, "error", json_string(rq->detail));
		api_stats_agg_error(cfg->stats, rc == -ETIMEDOUT ?
		    API_STATS_AGG_TIMEOUT : rc == -EBADMSG ?
		    API_STATS_AGG_BAD_REPLY : API_STATS_AGG_UNREACHABLE);
	}
	/* The aggregator says what degrades it (store damage). */
	if (rc == 0 && body != NULL && (ev = json_loadb(body, len, 0,
	    NULL)) != NULL) {
		health_facts(a, ev);
		why = json_object_get(ev, "degraded");
		if (json_is_array(why) && json_array_size(why) > 0) {
			json_object_set(a, "degraded", why);
			degraded = 1;
		}
		json_decref(ev);
	}
	free(body);
	sess_json_time(now, when);
	json_object_set_new(o, "status", json_string(rc == 0 && !degraded ?
	    "ok" : "degraded"));
	json_object_set_new(o, "version", json_string(SA_VERSION));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "uptime_secs", json_integer((json_int_t)
	    ((now - cfg->started_ns) / NS)));
	json_object_set_new(o, "aggregator", a);
	if (cfg->auth_mode != NULL)
		json_object_set_new(o, "auth", json_string(cfg->auth_mode));
	resp_json(rq->resp, 200, o);
}

static void
r_metrics(struct req *rq)
{
	static const char *const allowed[] = { NULL };
	const struct http_routes_cfg *cfg = rq->cfg;
	struct api_metrics_in in;
	struct api_buf out, agg;
	char *mj = NULL, *aj = NULL, *cached = NULL;
	uint32_t ms = 0, as = 0;
	size_t len;
	uint64_t now_ms = api_time_mono_ns() / 1000000;
	int rc, r1, r2;

	if (!params_ok(rq, allowed))
		return;
	memset(&in, 0, sizeof(in));
	in.stats = cfg->stats;
	in.top_users = cfg->top_users;
	in.top_destinations = cfg->top_destinations;
	in.api_uptime_secs = (double)(api_time_now_ns() - cfg->started_ns) /
	    1e9;
	in.version = SA_VERSION;
	in.parts = API_METRICS_OWN;
	api_buf_init(&out, cfg->max_body);
	r1 = api_metrics_render(&in, &out);
	if (cfg->metrics_cache != NULL && cfg->metrics_cache_ms > 0 &&
	    api_metrics_cache_get(cfg->metrics_cache, now_ms,
	    cfg->metrics_cache_ms, &cached, &len)) {
		api_buf_add(&out, cached, len);
		free(cached);
		r2 = 0;
		goto done;
	}
	if (is_multi(rq)) {
		m_metrics(rq, &in, &agg);
		r2 = agg.overflow ? -EMSGSIZE : 0;
		goto put;
	}
	q_begin(rq, "metrics");
	rc = cfg->ask(cfg->ask_arg, &rq->q, cfg->timeout_ms, &ms, &mj, &len);
	if (rc == 0 && ms == 200) {
		q_begin(rq, "agents");
		rc = cfg->ask(cfg->ask_arg, &rq->q, cfg->timeout_ms, &as, &aj,
		    &len);
	}
	if (rc != 0)
		api_stats_agg_error(cfg->stats, rc == -ETIMEDOUT ?
		    API_STATS_AGG_TIMEOUT : rc == -EBADMSG ?
		    API_STATS_AGG_BAD_REPLY : API_STATS_AGG_UNREACHABLE);
	in.parts = API_METRICS_AGG;
	in.metrics_json = ms == 200 ? mj : NULL;
	in.agents_json = as == 200 ? aj : NULL;
	api_buf_init(&agg, cfg->max_body);
	r2 = api_metrics_render(&in, &agg);
	free(mj);
	free(aj);
put:
	if (cfg->metrics_cache != NULL && cfg->metrics_cache_ms > 0)
		api_metrics_cache_put(cfg->metrics_cache, now_ms,
		    agg.data != NULL && !agg.overflow ? agg.data : "",
		    agg.data != NULL && !agg.overflow ? agg.len : 0);
	if (agg.data != NULL)
		api_buf_add(&out, agg.data, agg.len);
	api_buf_free(&agg);
done:
	if (r1 == -EMSGSIZE || r2 == -EMSGSIZE || out.overflow) {
		api_buf_free(&out);
		resp_error(rq->resp, 500, "response too large",
		    "metrics: over api.max_response_size");
		return;
	}
	rq->resp->status = 200;
	rq->resp->ctype = PROM_CT;
	rq->resp->body = api_buf_steal(&out, &rq->resp->len);
}

/* ---- sessions -------------------------------------------------------- */

static void
r_active(struct req *rq)
{
	static const char *const allowed[] = { "user", "dest_ip", "target",
	    "origin", "agent", "protocol", "limit", NULL };
	static const char *const protos[] = { "tcp", "udp", NULL };
	const char *const pass[] = { "user", "target", "origin", "agent",
	    NULL };
	const char *v;
	uint64_t limit = rq->cfg->default_limit;
	json_t *o;
	int i;

	if (!params_ok(rq, allowed))
		return;
	q_begin(rq, "active");
	if (api_params_u64(&rq->params, "limit", 1, rq->cfg->max_limit, &limit,
	    rq->detail) < 0)
		goto bad;
	q_add_u64(rq, "limit", limit);
	if (api_params_ip(&rq->params, "dest_ip", &v, rq->detail) < 0)
		goto bad;
	if (api_params_get(&rq->params, "dest_ip") != NULL)
		q_add(rq, "dest_ip", v);
	if ((i = api_params_enum(&rq->params, "protocol", protos, &v,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add(rq, "protocol", v);
	for (i = 0; pass[i] != NULL; i++)
		if (api_params_str(&rq->params, pass[i], &v) > 0)
			q_add(rq, pass[i], v);
	if (is_multi(rq)) {
		m_active(rq, limit);
		return;
	}
	if ((o = ask(rq, "sessions", rq->cfg->timeout_ms)) != NULL)
		resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
}

static void
r_history(struct req *rq)
{
	static const char *const allowed[] = { "user", "status", "start_after",
	    "start_before", "dest_ip", "source_ip", "target", "origin",
	    "protocol", "min_duration_secs", "min_bytes", "limit", "cursor",
	    "agent", "format", NULL };
	static const char *const protos[] = { "tcp", "udp", NULL };
	static const char *const statuses[] = { "closed", "failed",
	    "rejected_by_acl", NULL };
	static const char *const formats[] = { "json", "csv", NULL };
	const char *const pass[] = { "user", "target", "origin", "agent",
	    "cursor", NULL };
	const char *v, *format = "json";
	uint64_t limit = rq->cfg->default_limit, after = 0, before = 0, n;
	json_t *o, *nc;
	int i, ha, hb;

	if (!params_ok(rq, allowed))
		return;
	q_begin(rq, "history");
	if (api_params_u64(&rq->params, "limit", 1, rq->cfg->max_limit, &limit,
	    rq->detail) < 0)
		goto bad;
	q_add_u64(rq, "limit", limit);
	if ((ha = api_params_time(&rq->params, "start_after", &after,
	    rq->detail)) < 0 || (hb = api_params_time(&rq->params,
	    "start_before", &before, rq->detail)) < 0)
		goto bad;
	if (ha > 0 && hb > 0 && before <= after) {
		snprintf(rq->detail, sizeof(rq->detail), "start_before: must "
		    "be later than start_after");
		goto bad;
	}
	if (ha > 0)
		q_add_u64(rq, "start_after", after);
	if (hb > 0)
		q_add_u64(rq, "start_before", before);
	if ((i = api_params_secs(&rq->params, "min_duration_secs",
	    UINT64_MAX, &n, rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add_u64(rq, "min_duration_ns", n);
	if ((i = api_params_u64(&rq->params, "min_bytes", 0, UINT64_MAX, &n,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add_u64(rq, "min_bytes", n);
	if (api_params_ip(&rq->params, "dest_ip", &v, rq->detail) < 0)
		goto bad;
	if (api_params_get(&rq->params, "dest_ip") != NULL)
		q_add(rq, "dest_ip", v);
	if (api_params_ip(&rq->params, "source_ip", &v, rq->detail) < 0)
		goto bad;
	if (api_params_get(&rq->params, "source_ip") != NULL)
		q_add(rq, "source_ip", v);
	if ((i = api_params_enum(&rq->params, "protocol", protos, &v,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add(rq, "protocol", v);
	if ((i = api_params_enum(&rq->params, "status", statuses, &v,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add(rq, "status", v);
	if (api_params_enum(&rq->params, "format", formats, &format,
	    rq->detail) < 0)
		goto bad;
	for (i = 0; pass[i] != NULL; i++)
		if (api_params_str(&rq->params, pass[i], &v) > 0)
			q_add(rq, pass[i], v);
	if (is_multi(rq)) {
		m_history(rq, limit, format);
		return;
	}
	if ((o = ask(rq, "sessions", rq->cfg->timeout_ms)) == NULL)
		return;
	nc = json_object_get(o, "next_cursor");
	if (!json_is_null(nc) && !json_is_string(nc)) {
		json_decref(o);
		resp_error(rq->resp, 502, "bad gateway", "aggregator: history "
		    "reply without next_cursor");
		return;
	}
	answer_history(rq, o, format);
	return;
bad:
	bad_param(rq);
}

/* Answers a history page o (taken) as JSON or CSV. */
static void
answer_history(struct req *rq, json_t *o, const char *format)
{
	struct api_buf out;
	json_t *nc = json_object_get(o, "next_cursor");

	if (strcmp(format, "csv") != 0) {
		resp_json(rq->resp, 200, o);
		return;
	}
	if (json_is_string(nc))
		snprintf(rq->resp->next_cursor, sizeof(rq->resp->next_cursor),
		    "%s", json_string_value(nc));
	api_buf_init(&out, rq->cfg->max_body);
	if (api_csv_sessions(json_object_get(o, "sessions"), &out) != 0) {
		api_buf_free(&out);
		json_decref(o);
		resp_error(rq->resp, 500, "response too large",
		    "format: CSV over api.max_response_size");
		return;
	}
	json_decref(o);
	rq->resp->status = 200;
	rq->resp->ctype = CSV_CT;
	rq->resp->body = api_buf_steal(&out, &rq->resp->len);
}

static void
r_session(struct req *rq, const char *id)
{
	static const char *const allowed[] = { NULL };
	size_t i, n = strlen(id);
	json_t *o;

	if (!params_ok(rq, allowed))
		return;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			break;
	if (n != 32 || i != n) {
		snprintf(rq->detail, sizeof(rq->detail), "id: '%.40s%s' is not "
		    "a session id (32 lowercase hex digits)", id,
		    n > 40 ? "..." : "");
		goto bad;
	}
	q_begin(rq, "session");
	q_add(rq, "id", id);
	if (is_multi(rq)) {
		m_session(rq);
		return;
	}
	if ((o = ask(rq, "session_id", rq->cfg->timeout_ms)) != NULL)
		resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
}

/* ---- statistics ------------------------------------------------------ */

static void
r_stats(struct req *rq)
{
	static const char *const allowed[] = { "window_hours", NULL };
	uint64_t hours = 24;
	json_t *o;

	if (!params_ok(rq, allowed))
		return;
	if (api_params_u64(&rq->params, "window_hours", 1, MAX_WINDOW_H,
	    &hours, rq->detail) < 0)
		goto bad;
	q_begin(rq, "stats");
	q_add_u64(rq, "window_hours", hours);
	if (is_multi(rq)) {
		m_stats(rq);
		return;
	}
	if ((o = ask(rq, "top_users", rq->cfg->timeout_ms)) != NULL)
		resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
}

static void
r_timeseries(struct req *rq)
{
	static const char *const allowed[] = { "window_hours", "step", "to",
	    NULL };
	uint64_t hours = 24, step = 0, to, from, window;
	char t[40];
	json_t *o, *pts, *po, *mo;

	if (!params_ok(rq, allowed))
		return;
	to = api_time_now_ns();
	if (api_params_u64(&rq->params, "window_hours", 1, MAX_WINDOW_H,
	    &hours, rq->detail) < 0 || api_params_time(&rq->params, "to", &to,
	    rq->detail) < 0)
		goto bad;
	window = hours * 3600;
	/* About 120 points unless asked otherwise, in whole minutes. */
	step = (window + 119) / 120;
	step = (step + 59) / 60 * 60;
	if (api_params_duration(&rq->params, "step", 60, window, &step,
	    rq->detail) < 0)
		goto bad;
	if (window / step > 10000) {
		snprintf(rq->detail, sizeof(rq->detail), "step: %llu seconds "
		    "makes more than 10000 points over %llu hours",
		    (unsigned long long)step, (unsigned long long)hours);
		goto bad;
	}
	from = to > window * NS ? to - window * NS : 0;
	q_begin(rq, "timeseries");
	q_add_u64(rq, "from", from);
	q_add_u64(rq, "to", to);
	q_add_u64(rq, "step", step * NS);
	if (is_multi(rq)) {
		if ((o = m_points(rq)) == NULL)
			return;
	} else if ((o = ask(rq, "points", rq->cfg->timeout_ms)) == NULL)
		return;
	pts = json_incref(json_object_get(o, "points"));
	/* Several aggregators: the partial marks, moved behind. */
	po = json_incref(json_object_get(o, "partial"));
	mo = json_incref(json_object_get(o, "missing"));
	json_decref(o);
	o = json_object();
	json_object_set_new(o, "window_hours", json_integer((json_int_t)hours));
	json_object_set_new(o, "step_secs", json_integer((json_int_t)step));
	sess_json_time(from, t);
	json_object_set_new(o, "from", json_string(t));
	sess_json_time(to, t);
	json_object_set_new(o, "to", json_string(t));
	json_object_set_new(o, "points", pts);
	if (po != NULL) {
		json_object_set_new(o, "partial", po);
		json_object_set_new(o, "missing", mo);
	}
	resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
}

/* ---- agents and events ----------------------------------------------- */

static void
r_agents(struct req *rq)
{
	static const char *const allowed[] = { NULL };
	json_t *o, *a;
	size_t i;

	if (!params_ok(rq, allowed))
		return;
	q_begin(rq, "agents");
	if (is_multi(rq)) {
		m_agents(rq);
		return;
	}
	if ((o = ask(rq, "agents", rq->cfg->timeout_ms)) == NULL)
		return;
	/* Boot ids and watermarks would let anyone forge an agent's next
	 * batch (issue 10): only callers with a token see them. */
	if (!rq->cfg->authenticated)
		json_array_foreach(json_object_get(o, "agents"), i, a) {
			json_object_del(a, "boot_id");
			json_object_del(a, "watermark");
		}
	resp_json(rq->resp, 200, o);
}

static void
r_events(struct req *rq)
{
	static const char *const allowed[] = { "minutes", "limit", "severity",
	    "category", NULL };
	static const char *const sev[] = { "info", "warning", "error", NULL };
	/*
	 * Every category the aggregator notes (agg_core_note), as listed in
	 * docs/API.md; test_api.py checks the three agree.
	 */
	static const char *const cat[] = { "agent_back", "agent_forgotten",
	    "agent_id_denied", "agent_lost", "agent_restarted", "batches_lost",
	    "invalid_message", "rejected", "store_damage", "store_error",
	    "store_quarantined", "table_full", NULL };
	uint64_t minutes = 60, limit = rq->cfg->default_limit;
	const char *v;
	json_t *o;
	int i;

	if (!params_ok(rq, allowed))
		return;
	q_begin(rq, "events");
	if (api_params_u64(&rq->params, "minutes", 1, 525600, &minutes,
	    rq->detail) < 0 || api_params_u64(&rq->params, "limit", 1,
	    rq->cfg->max_limit, &limit, rq->detail) < 0)
		goto bad;
	q_add_u64(rq, "minutes", minutes);
	q_add_u64(rq, "limit", limit);
	if ((i = api_params_enum(&rq->params, "severity", sev, &v,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add(rq, "severity", v);
	if ((i = api_params_enum(&rq->params, "category", cat, &v,
	    rq->detail)) < 0)
		goto bad;
	if (i > 0)
		q_add(rq, "category", v);
	if (is_multi(rq)) {
		m_events(rq, limit);
		return;
	}
	if ((o = ask(rq, "events", rq->cfg->timeout_ms)) != NULL)
		resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
}

/* ---- several aggregators --------------------------------------------- */

static int
is_multi(const struct req *rq)
{
	return rq->cfg->naggs > 1 && rq->cfg->ask_many != NULL;
}

/* Every aggregator asked the one query of the request. */
static void
m_same(struct req *rq, struct proto_query **qs)
{
	size_t i;

	for (i = 0; i < rq->cfg->naggs; i++)
		qs[i] = &rq->q;
}

/*
 * Asks aggregator i qs[i] (NULL: not asked) at once. A reply with
 * key_shape is kept in m->o[i]; an aggregator that does not answer in
 * time, answers a 5xx or something malformed is missing; a 404 counts
 * in m->notfound when notfound_ok. The first other 4xx is passed through
 * as the answer (a bad cursor, say), and when nothing at all came back
 * the answer is a 503 naming them; both return -1. Otherwise returns
 * how many replies m->o holds (0 only with notfound_ok).
 */
static int
m_ask(struct req *rq, struct proto_query *const *qs, const char *key_shape,
    int timeout_ms, int notfound_ok, struct multi *m)
{
	const struct http_routes_cfg *cfg = rq->cfg;
	struct http_routes_answer ans[API_MULTI_MAX];
	json_t *o, *err, *first = NULL;
	uint32_t first_status = 0;
	size_t i, n = cfg->naggs, len;
	int got = 0;
	const char *why;

	memset(m, 0, sizeof(*m));
	cfg->ask_many(cfg->ask_arg, qs, n, timeout_ms, ans);
	for (i = 0; i < n; i++) {
		if (qs[i] == NULL)
			continue;
		why = NULL;
		o = NULL;
		if (ans[i].rc != 0) {
			api_stats_agg_error(cfg->stats, ans[i].rc ==
			    -ETIMEDOUT ? API_STATS_AGG_TIMEOUT : ans[i].rc ==
			    -EBADMSG ? API_STATS_AGG_BAD_REPLY :
			    API_STATS_AGG_UNREACHABLE);
			why = ans[i].rc == -ETIMEDOUT ? "no answer in time" :
			    ans[i].rc == -EBADMSG ? "malformed reply" :
			    "not reachable";
		} else if ((o = json_loadb(ans[i].body, ans[i].len, 0,
		    NULL)) == NULL || !json_is_object(o)) {
			/* Not json_is_object(o = json_loadb(...)): the macro
			 * evaluates its argument twice, and the first parse
			 * would be lost. */
			api_stats_agg_error(cfg->stats,
			    API_STATS_AGG_BAD_REPLY);
			why = "malformed reply";
		} else if (ans[i].status == 404 && notfound_ok) {
			m->notfound++;
			if (first == NULL) {
				first = json_incref(o);
				first_status = 404;
			}
		} else if (ans[i].status != 200) {
			err = json_object_get(o, "error");
			if (ans[i].status >= 400 && ans[i].status < 500 &&
			    json_is_string(err)) {
				if (first == NULL || first_status == 404) {
					json_decref(first);
					first = json_incref(o);
					first_status = ans[i].status;
				}
			} else
				why = "error reply";
		} else if (json_object_get(o, key_shape) == NULL) {
			api_stats_agg_error(cfg->stats,
			    API_STATS_AGG_BAD_REPLY);
			why = "malformed reply";
		} else {
			m->o[i] = json_incref(o);
			got++;
		}
		json_decref(o);
		free(ans[i].body);
		if (why != NULL) {
			m->missing[i] = 1;
			snprintf(m->why[i], sizeof(m->why[i]), "%s", why);
			m->nmissing++;
		}
	}
	if (first != NULL && first_status != 404) {
		m_free(m);
		resp_json(rq->resp, (int)first_status, first);
		return -1;
	}
	if (got == 0 && (m->notfound == 0 || m->nmissing > 0)) {
		len = (size_t)snprintf(rq->detail, sizeof(rq->detail),
		    m->notfound > 0 ? "not found on the aggregators that "
		    "answered; no answer from" : "no aggregator answered:");
		for (i = 0; i < n && len < sizeof(rq->detail); i++)
			if (m->missing[i])
				len += (size_t)snprintf(rq->detail + len,
				    sizeof(rq->detail) - len, " %.64s (%s)",
				    cfg->agg_names[i], m->why[i]);
		json_decref(first);
		m_mark(rq, m, NULL);
		resp_error(rq->resp, 503, "aggregator unavailable",
		    rq->detail);
		return -1;
	}
	if (got == 0) {
		/* Every one said 404: its answer is ours. */
		resp_json(rq->resp, 404, first);
		return -1;
	}
	json_decref(first);
	return got;
}

static void
m_free(struct multi *m)
{
	size_t i;

	for (i = 0; i < API_MULTI_MAX; i++) {
		json_decref(m->o[i]);
		m->o[i] = NULL;
	}
}

/*
 * Marks an answer over several aggregators: "partial" and "missing" in
 * o (borrowed; NULL: none) and the X-Sessacct-Partial header when one
 * did not answer. Never silent.
 */
static void
m_mark(struct req *rq, const struct multi *m, json_t *o)
{
	json_t *a = json_array();
	size_t i, len = 0;
	char *h = rq->resp->partial;

	h[0] = '\0';
	for (i = 0; i < rq->cfg->naggs; i++) {
		if (!m->missing[i])
			continue;
		json_array_append_new(a, json_string(rq->cfg->agg_names[i]));
		if (len < sizeof(rq->resp->partial))
			len += (size_t)snprintf(h + len,
			    sizeof(rq->resp->partial) - len, "%s%s",
			    len > 0 ? "," : "", rq->cfg->agg_names[i]);
	}
	if (o == NULL) {
		json_decref(a);
		return;
	}
	json_object_set_new(o, "partial", json_boolean(m->nmissing > 0));
	json_object_set_new(o, "missing", a);
}

static void
m_health(struct req *rq)
{
	const struct http_routes_cfg *cfg = rq->cfg;
	struct proto_query *qs[API_MULTI_MAX];
	struct http_routes_answer ans[API_MULTI_MAX];
	struct multi m;
	uint64_t now = api_time_now_ns();
	json_t *o, *arr, *a, *ev, *why;
	char when[40];
	size_t i;
	int degraded = 0;

	m_same(rq, qs);
	memset(&m, 0, sizeof(m));
	cfg->ask_many(cfg->ask_arg, qs, cfg->naggs, cfg->health_timeout_ms,
	    ans);
	arr = json_array();
	for (i = 0; i < cfg->naggs; i++) {
		a = json_object();
		json_object_set_new(a, "name", json_string(cfg->agg_names[i]));
		json_object_set_new(a, "endpoint",
		    json_string(cfg->agg_endpoints[i]));
		ev = ans[i].rc == 0 ? json_loadb(ans[i].body, ans[i].len, 0,
		    NULL) : NULL;
		free(ans[i].body);
		json_object_set_new(a, "reachable", json_boolean(ans[i].rc ==
		    0));
		if (ans[i].rc != 0) {
			m.missing[i] = 1;
			m.nmissing++;
			json_object_set_new(a, "error", json_string(
			    ans[i].rc == -ETIMEDOUT ? "no answer in time" :
			    ans[i].rc == -EBADMSG ? "malformed reply" :
			    "not reachable"));
			api_stats_agg_error(cfg->stats, ans[i].rc ==
			    -ETIMEDOUT ? API_STATS_AGG_TIMEOUT : ans[i].rc ==
			    -EBADMSG ? API_STATS_AGG_BAD_REPLY :
			    API_STATS_AGG_UNREACHABLE);
		}
		health_facts(a, ev);
		why = json_object_get(ev, "degraded");
		if (json_is_array(why) && json_array_size(why) > 0) {
			json_object_set(a, "degraded", why);
			degraded = 1;
		}
		json_decref(ev);
		json_array_append_new(arr, a);
	}
	o = json_object();
	sess_json_time(now, when);
	json_object_set_new(o, "status", json_string(m.nmissing == 0 &&
	    !degraded ? "ok" : "degraded"));
	json_object_set_new(o, "version", json_string(SA_VERSION));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "uptime_secs", json_integer((json_int_t)
	    ((now - cfg->started_ns) / NS)));
	json_object_set_new(o, "aggregators", arr);
	m_mark(rq, &m, o);
	if (cfg->auth_mode != NULL)
		json_object_set_new(o, "auth", json_string(cfg->auth_mode));
	resp_json(rq->resp, 200, o);
}

/*
 * The aggregators' part of /metrics: each one's metrics and agents
 * rendered alone, then joined with an aggregator label (agg is
 * initialised here).
 */
static void
m_metrics(struct req *rq, struct api_metrics_in *in, struct api_buf *agg)
{
	const struct http_routes_cfg *cfg = rq->cfg;
	struct proto_query *qs[API_MULTI_MAX], aq;
	struct http_routes_answer ma[API_MULTI_MAX], aa[API_MULTI_MAX];
	struct api_buf one[API_MULTI_MAX];
	const char *texts[API_MULTI_MAX];
	size_t i, n = cfg->naggs;

	q_begin(rq, "metrics");
	m_same(rq, qs);
	cfg->ask_many(cfg->ask_arg, qs, n, cfg->timeout_ms, ma);
	memset(&aq, 0, sizeof(aq));
	sa_strlcpy(aq.kind, "agents", sizeof(aq.kind));
	for (i = 0; i < n; i++)
		qs[i] = ma[i].rc == 0 && ma[i].status == 200 ? &aq : NULL;
	cfg->ask_many(cfg->ask_arg, qs, n, cfg->timeout_ms, aa);
	in->parts = API_METRICS_AGG;
	api_buf_init(agg, cfg->max_body);
	for (i = 0; i < n; i++) {
		if (ma[i].rc != 0 && ma[i].rc != -ENOENT)
			api_stats_agg_error(cfg->stats, ma[i].rc ==
			    -ETIMEDOUT ? API_STATS_AGG_TIMEOUT : ma[i].rc ==
			    -EBADMSG ? API_STATS_AGG_BAD_REPLY :
			    API_STATS_AGG_UNREACHABLE);
		in->metrics_json = ma[i].rc == 0 && ma[i].status == 200 ?
		    ma[i].body : NULL;
		in->agents_json = aa[i].rc == 0 && aa[i].status == 200 ?
		    aa[i].body : NULL;
		api_buf_init(&one[i], cfg->max_body);
		/* A reply that does not parse renders what it can. */
		if (api_metrics_render(in, &one[i]) == -EMSGSIZE)
			agg->overflow = 1;
		texts[i] = one[i].data;
		free(ma[i].body);
		free(aa[i].body);
	}
	if (api_multi_metrics_merge(texts, cfg->agg_names, n, agg) != 0)
		agg->overflow = 1;
	for (i = 0; i < n; i++)
		api_buf_free(&one[i]);
}

static void
m_active(struct req *rq, uint64_t limit)
{
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	json_t *o, *arr, *e;
	json_int_t total = 0;
	size_t i, j;

	m_same(rq, qs);
	if (m_ask(rq, qs, "sessions", rq->cfg->timeout_ms, 0, &m) < 0)
		return;
	arr = json_array();
	/* Aggregator by aggregator, each in its own order. */
	for (i = 0; i < rq->cfg->naggs; i++) {
		if (m.o[i] == NULL)
			continue;
		json_array_foreach(json_object_get(m.o[i], "sessions"), j, e)
			if (json_array_size(arr) < limit)
				json_array_append(arr, e);
		total += json_integer_value(json_object_get(m.o[i],
		    "total"));
	}
	o = json_object();
	json_object_set_new(o, "sessions", arr);
	json_object_set_new(o, "total", json_integer(total));
	m_mark(rq, &m, o);
	m_free(&m);
	resp_json(rq->resp, 200, o);
}

/*
 * One page over several aggregators. Each that is not done is asked for
 * its share, ceil(limit / asked) + api.multi_fetch_margin sessions (at
 * most limit), with the cursor after each row (row_cursors=1,
 * docs/PROTOCOL.md), and the pages are merged newest first. When an
 * aggregator that has more sees all its rows taken, its next rows may be
 * newer than the others' next, so the merge is not yet right: it alone is
 * asked again, from the cursor after its last row, for as many as the
 * page still lacks, and the merge goes on. After one such refetch an
 * aggregator cannot run out before the page is full, so each is asked
 * at most twice for a page, and evenly spread sessions cost one round.
 * The merged cursor keeps, for each aggregator, the cursor after the
 * last row taken from it, or its old position.
 */
static void
m_history(struct req *rq, uint64_t limit, const char *format)
{
	const struct http_routes_cfg *cfg = rq->cfg;
	struct api_multi_cursor cur, next;
	struct api_multi_src src[API_MULTI_MAX];
	struct proto_query *qv, *qs[API_MULTI_MAX];
	struct multi m, r;
	const char *ctext = NULL;
	json_t *out, *o, *ans[API_MULTI_MAX], *rc[API_MULTI_MAX], *nc;
	size_t i, n = cfg->naggs, asked = 0, rounds, len;
	uint64_t share;
	int need[API_MULTI_MAX];
	char text[API_MULTI_CURSOR_MAX], lim[24];

	(void)api_params_str(&rq->params, "cursor", &ctext);
	if (ctext != NULL && ctext[0] != '\0') {
		if (api_multi_cursor_decode(ctext, n, cfg->agg_list_id, &cur,
		    rq->detail, sizeof(rq->detail)) != 0) {
			bad_param(rq);
			return;
		}
	} else {
		memset(&cur, 0, sizeof(cur));
		cur.n = n;
		cur.list_id = cfg->agg_list_id;
	}
	q_del(&rq->q, "cursor");
	for (i = 0; i < n; i++)
		if (cur.pos[i].state != API_MULTI_POS_DONE)
			asked++;
	memset(&m, 0, sizeof(m));
	memset(src, 0, sizeof(src));
	memset(ans, 0, sizeof(ans));
	memset(rc, 0, sizeof(rc));
	out = json_array();
	next = cur;
	qv = xcalloc(n, sizeof(*qv));
	if (asked == 0)
		goto answer;	/* a cursor past every aggregator's end */
	share = (limit + asked - 1) / asked + cfg->multi_fetch_margin;
	snprintf(lim, sizeof(lim), "%" PRIu64, share < limit ? share : limit);
	for (i = 0; i < n; i++) {
		qs[i] = NULL;
		if (cur.pos[i].state == API_MULTI_POS_DONE)
			continue;
		qv[i] = rq->q;
		if (cur.pos[i].state == API_MULTI_POS_AT)
			q_set(&qv[i], "cursor", cur.pos[i].cursor);
		q_set(&qv[i], "limit", lim);
		q_set(&qv[i], "row_cursors", "1");
		qs[i] = &qv[i];
	}
	if (m_ask(rq, qs, "sessions", cfg->timeout_ms, 0, &m) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (m.o[i] == NULL)
			continue;
		if (m_rows(m.o[i], &src[i], &rc[i]) != 0) {
			/* Left out like any malformed reply; its place in
			 * the cursor stays. */
			api_stats_agg_error(cfg->stats,
			    API_STATS_AGG_BAD_REPLY);
			json_decref(m.o[i]);
			m.o[i] = NULL;
			m.missing[i] = 1;
			snprintf(m.why[i], sizeof(m.why[i]), "malformed reply");
			m.nmissing++;
			continue;
		}
		ans[i] = json_incref(m.o[i]);
	}
	if (m.nmissing == asked) {
		len = (size_t)snprintf(rq->detail, sizeof(rq->detail),
		    "no aggregator answered:");
		for (i = 0; i < n && len < sizeof(rq->detail); i++)
			if (m.missing[i])
				len += (size_t)snprintf(rq->detail + len,
				    sizeof(rq->detail) - len, " %.64s (%s)",
				    cfg->agg_names[i], m.why[i]);
		m_mark(rq, &m, NULL);
		resp_error(rq->resp, 503, "aggregator unavailable",
		    rq->detail);
		goto out;
	}
	/* Each round adds at least one session to the page; the bound only
	 * guards against an aggregator that answers nonsense. */
	for (rounds = 0; api_multi_merge(src, n, out, limit, need) > 0;
	    rounds++) {
		if (rounds > limit)
			goto fail;
		snprintf(lim, sizeof(lim), "%zu", (size_t)limit -
		    json_array_size(out));
		for (i = 0; i < n; i++) {
			qs[i] = NULL;
			if (!need[i])
				continue;
			/* All its rows were taken: it goes on after the last
			 * one, which is also its position if none of the
			 * rows asked now is taken. */
			snprintf(next.pos[i].cursor, sizeof(next.pos[i].cursor),
			    "%s", json_string_value(json_array_get(rc[i],
			    src[i].taken - 1)));
			next.pos[i].state = API_MULTI_POS_AT;
			q_set(&qv[i], "cursor", next.pos[i].cursor);
			q_set(&qv[i], "limit", lim);
			qs[i] = &qv[i];
		}
		if (m_ask(rq, qs, "sessions", cfg->timeout_ms, 0, &r) < 0)
			goto out_marked;
		for (i = 0; i < n; i++) {
			if (!need[i])
				continue;
			if (r.o[i] == NULL || m_rows(r.o[i], &src[i],
			    &rc[i]) != 0) {
				m_free(&r);
				goto fail;
			}
			json_decref(ans[i]);
			ans[i] = json_incref(r.o[i]);
		}
		m_free(&r);
	}
	/* Where each aggregator goes on from. */
	for (i = 0; i < n; i++) {
		if (ans[i] == NULL)
			continue;	/* not asked or left out: unchanged */
		if (src[i].taken == json_array_size(src[i].rows) &&
		    !src[i].more)
			next.pos[i].state = API_MULTI_POS_DONE;
		else if (src[i].taken > 0) {
			next.pos[i].state = API_MULTI_POS_AT;
			snprintf(next.pos[i].cursor, sizeof(next.pos[i].cursor),
			    "%s", json_string_value(json_array_get(rc[i],
			    src[i].taken - 1)));
		}
	}
answer:
	o = json_object();
	json_object_set_new(o, "sessions", out);
	out = NULL;
	for (i = 0; i < n; i++)
		if (next.pos[i].state != API_MULTI_POS_DONE)
			break;
	if (i < n && api_multi_cursor_encode(&next, text) == 0)
		nc = json_string(text);
	else
		nc = json_null();
	json_object_set_new(o, "next_cursor", nc);
	m_mark(rq, &m, o);
	answer_history(rq, o, format);
	goto out;
fail:
	snprintf(rq->detail, sizeof(rq->detail), "an aggregator stopped "
	    "answering or answered nonsense while the page was merged; ask "
	    "again");
	resp_error(rq->resp, 503, "aggregator unavailable", rq->detail);
out_marked:
	m_mark(rq, &m, NULL);
out:
	m_free(&m);
	for (i = 0; i < n; i++)
		json_decref(ans[i]);
	json_decref(out);
	free(qv);
}

/*
 * One aggregator's history answer o (borrowed) as a merge source: its
 * sessions and row_cursors (*rc, borrowed from o) checked, and whether
 * it has more (a next_cursor, and at least one row: an empty page with
 * a cursor would be asked again forever). 0 or -EBADMSG.
 */
static int
m_rows(json_t *o, struct api_multi_src *s, json_t **rc)
{
	json_t *rows = json_object_get(o, "sessions"),
	    *cs = json_object_get(o, "row_cursors"),
	    *nc = json_object_get(o, "next_cursor");

	if (api_multi_rows_check(rows, cs) != 0 ||
	    (!json_is_null(nc) && !json_is_string(nc)))
		return -EBADMSG;
	s->rows = rows;
	s->taken = 0;
	s->more = json_is_string(nc) && json_array_size(rows) > 0;
	*rc = cs;
	return 0;
}

static void
m_session(struct req *rq)
{
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	size_t i;

	m_same(rq, qs);
	if (m_ask(rq, qs, "session_id", rq->cfg->timeout_ms, 1, &m) < 0)
		return;
	/* The first that has it; a session lives on one aggregator. */
	for (i = 0; i < rq->cfg->naggs; i++)
		if (m.o[i] != NULL)
			break;
	resp_json(rq->resp, 200, json_incref(m.o[i]));
	m_mark(rq, &m, NULL);
	m_free(&m);
}

static void
m_stats(struct req *rq)
{
	static const char *const sums[] = { "active_sessions",
	    "total_sessions", "total_bytes_sent", "total_bytes_received",
	    "failed_sessions", "rejected_sessions", NULL };
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	json_t *o = NULL, *users[API_MULTI_MAX], *dests[API_MULTI_MAX];
	json_int_t v;
	size_t i, j, cap = 0;

	m_same(rq, qs);
	if (m_ask(rq, qs, "top_users", rq->cfg->timeout_ms, 0, &m) < 0)
		return;
	for (i = 0; i < rq->cfg->naggs; i++) {
		users[i] = m.o[i] != NULL ? json_object_get(m.o[i],
		    "top_users") : NULL;
		dests[i] = m.o[i] != NULL ? json_object_get(m.o[i],
		    "top_destinations") : NULL;
		/* The merged lists are as long as the longest one. */
		if (json_array_size(users[i]) > cap)
			cap = json_array_size(users[i]);
		if (json_array_size(dests[i]) > cap)
			cap = json_array_size(dests[i]);
		if (m.o[i] == NULL)
			continue;
		if (o == NULL) {
			o = json_deep_copy(m.o[i]);
			continue;
		}
		for (j = 0; sums[j] != NULL; j++) {
			v = json_integer_value(json_object_get(o, sums[j])) +
			    json_integer_value(json_object_get(m.o[i],
			    sums[j]));
			json_object_set_new(o, sums[j], json_integer(v));
		}
	}
	json_object_set_new(o, "top_users", api_multi_top_merge(users,
	    rq->cfg->naggs, "user", cap));
	json_object_set_new(o, "top_destinations", api_multi_top_merge(dests,
	    rq->cfg->naggs, "dest", cap));
	m_mark(rq, &m, o);
	m_free(&m);
	resp_json(rq->resp, 200, o);
}

/* Timeseries points summed bucket by bucket; returns {"points"...}. */
static json_t *
m_points(struct req *rq)
{
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	json_t *o = NULL, *pts, *p, *q, *v;
	const char *t, *key;
	size_t i, j, at;

	m_same(rq, qs);
	if (m_ask(rq, qs, "points", rq->cfg->timeout_ms, 0, &m) < 0)
		return NULL;
	for (i = 0; i < rq->cfg->naggs; i++) {
		if (m.o[i] == NULL)
			continue;
		if (o == NULL) {
			o = json_deep_copy(m.o[i]);
			pts = json_object_get(o, "points");
			continue;
		}
		/* Every aggregator was asked the same buckets. */
		at = 0;
		json_array_foreach(json_object_get(m.o[i], "points"), j, p) {
			t = json_string_value(json_object_get(p, "t"));
			for (; t != NULL && at < json_array_size(pts); at++)
				if ((q = json_array_get(pts, at)) != NULL &&
				    json_equal(json_object_get(q, "t"),
				    json_object_get(p, "t")))
					break;
			if (t == NULL || at == json_array_size(pts)) {
				at = 0;
				continue;
			}
			q = json_array_get(pts, at);
			json_object_foreach(p, key, v)
				if (json_is_integer(v))
					json_object_set_new(q, key, json_integer(
					    json_integer_value(v) +
					    json_integer_value(
					    json_object_get(q, key))));
		}
	}
	m_mark(rq, &m, o);
	m_free(&m);
	return o;
}

static void
m_agents(struct req *rq)
{
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	json_t *o, *arr, *a;
	size_t i, j;

	m_same(rq, qs);
	if (m_ask(rq, qs, "agents", rq->cfg->timeout_ms, 0, &m) < 0)
		return;
	arr = json_array();
	for (i = 0; i < rq->cfg->naggs; i++) {
		if (m.o[i] == NULL)
			continue;
		json_array_foreach(json_object_get(m.o[i], "agents"), j, a) {
			if (!json_is_object(a))
				continue;
			a = json_deep_copy(a);
			json_object_set_new(a, "aggregator",
			    json_string(rq->cfg->agg_names[i]));
			/* As r_agents: only callers with a token. */
			if (!rq->cfg->authenticated) {
				json_object_del(a, "boot_id");
				json_object_del(a, "watermark");
			}
			json_array_append_new(arr, a);
		}
	}
	o = json_object();
	json_object_set_new(o, "agents", arr);
	m_mark(rq, &m, o);
	m_free(&m);
	resp_json(rq->resp, 200, o);
}

static void
m_events(struct req *rq, uint64_t limit)
{
	struct proto_query *qs[API_MULTI_MAX];
	struct multi m;
	json_t *o, *arr, *deg, *exp, *e, *best, *lists[API_MULTI_MAX];
	size_t i, j, k[API_MULTI_MAX], bi;
	const char *tb, *te;
	char line[1024];

	m_same(rq, qs);
	if (m_ask(rq, qs, "events", rq->cfg->timeout_ms, 0, &m) < 0)
		return;
	arr = json_array();
	deg = json_array();
	exp = json_object();
	for (i = 0; i < rq->cfg->naggs; i++) {
		k[i] = 0;
		lists[i] = m.o[i] != NULL ? json_object_get(m.o[i], "events") :
		    NULL;
		if (m.o[i] == NULL)
			continue;
		json_array_foreach(json_object_get(m.o[i], "degraded"), j, e) {
			snprintf(line, sizeof(line), "%s: %s",
			    rq->cfg->agg_names[i], json_string_value(e) ?
			    json_string_value(e) : "");
			json_array_append_new(deg, json_string(line));
		}
		if ((e = json_object_get(m.o[i], "export")) != NULL)
			json_object_set(exp, rq->cfg->agg_names[i], e);
	}
	/* Newest first over all, each aggregator's own order kept. */
	while (json_array_size(arr) < limit) {
		best = NULL;
		bi = 0;
		tb = "";
		for (i = 0; i < rq->cfg->naggs; i++) {
			if (k[i] >= json_array_size(lists[i]))
				continue;
			e = json_array_get(lists[i], k[i]);
			te = json_string_value(json_object_get(e, "time"));
			if (te == NULL)
				te = "";
			if (best == NULL || strcmp(te, tb) > 0) {
				best = e;
				bi = i;
				tb = te;
			}
		}
		if (best == NULL)
			break;
		e = json_deep_copy(best);
		json_object_set_new(e, "aggregator",
		    json_string(rq->cfg->agg_names[bi]));
		json_array_append_new(arr, e);
		k[bi]++;
	}
	o = json_object();
	json_object_set_new(o, "events", arr);
	json_object_set_new(o, "degraded", deg);
	json_object_set_new(o, "exports", exp);
	m_mark(rq, &m, o);
	m_free(&m);
	resp_json(rq->resp, 200, o);
}

/* Sets key to val, replacing an existing parameter. */
static void
q_set(struct proto_query *q, const char *key, const char *val)
{
	struct proto_query_param *p;
	uint32_t i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->params[i].key, key) == 0)
			break;
	if (i == q->nparams) {
		if (q->nparams >= PROTO_QUERY_MAX_PARAMS)
			return;
		q->nparams++;
	}
	p = &q->params[i];
	sa_strlcpy(p->key, key, sizeof(p->key));
	sa_strlcpy(p->val, val, sizeof(p->val));
}

static void
q_del(struct proto_query *q, const char *key)
{
	uint32_t i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->params[i].key, key) == 0) {
			memmove(&q->params[i], &q->params[i + 1],
			    (q->nparams - i - 1) * sizeof(q->params[0]));
			q->nparams--;
			return;
		}
}

/* ---- helpers --------------------------------------------------------- */

static int
params_ok(struct req *rq, const char *const *allowed)
{
	const char *bad = api_params_unknown(&rq->params, allowed);
	size_t i, len;

	if (bad == NULL)
		return 1;
	len = (size_t)snprintf(rq->detail, sizeof(rq->detail), "%.64s: not a "
	    "parameter of this route", bad);
	for (i = 0; allowed[i] != NULL && len < sizeof(rq->detail); i++)
		len += (size_t)snprintf(rq->detail + len, sizeof(rq->detail) -
		    len, "%s%s", i ? ", " : " (known: ", allowed[i]);
	if (i > 0 && len < sizeof(rq->detail))
		snprintf(rq->detail + len, sizeof(rq->detail) - len, ")");
	resp_error(rq->resp, 400, "unknown parameter", rq->detail);
	return 0;
}

static void
q_begin(struct req *rq, const char *kind)
{
	rq->q.id = 0;
	rq->q.nparams = 0;
	sa_strlcpy(rq->q.kind, kind, sizeof(rq->q.kind));
}

static void
q_add(struct req *rq, const char *key, const char *val)
{
	struct proto_query_param *p;

	/* Bounded by the route's parameter list, far below the cap. */
	if (rq->q.nparams >= PROTO_QUERY_MAX_PARAMS)
		return;
	p = &rq->q.params[rq->q.nparams++];
	sa_strlcpy(p->key, key, sizeof(p->key));
	sa_strlcpy(p->val, val, sizeof(p->val));
}

static void
q_add_u64(struct req *rq, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	q_add(rq, key, s);
}

/*
 * Asks the aggregator; on success returns the reply object (owned),
 * which has member key_shape. Otherwise answers the request itself
 * (503, the aggregator's 4xx/5xx, or 502 for a malformed reply) and
 * returns NULL.
 */
static json_t *
ask(struct req *rq, const char *key_shape, int timeout_ms)
{
	const struct http_routes_cfg *cfg = rq->cfg;
	uint32_t status;
	char *body = NULL;
	size_t len;
	json_t *o, *err;
	int rc;

	rc = cfg->ask(cfg->ask_arg, &rq->q, timeout_ms, &status, &body, &len);
	if (rc != 0) {
		api_stats_agg_error(cfg->stats, rc == -ETIMEDOUT ?
		    API_STATS_AGG_TIMEOUT : rc == -EBADMSG ?
		    API_STATS_AGG_BAD_REPLY : API_STATS_AGG_UNREACHABLE);
		snprintf(rq->detail, sizeof(rq->detail), "%.128s: %s",
		    cfg->aggregator, rc == -ETIMEDOUT ? "no answer in time" :
		    rc == -EBADMSG ? "malformed reply" : "not reachable");
		resp_error(rq->resp, 503, "aggregator unavailable", rq->detail);
		return NULL;
	}
	o = json_loadb(body, len, 0, NULL);
	free(body);
	if (!json_is_object(o)) {
		json_decref(o);
		api_stats_agg_error(cfg->stats, API_STATS_AGG_BAD_REPLY);
		resp_error(rq->resp, 502, "bad gateway", "aggregator: reply is "
		    "not a JSON object");
		return NULL;
	}
	if (status != 200) {
		err = json_object_get(o, "error");
		if (!json_is_string(err) || status < 400 || status > 599) {
			json_decref(o);
			resp_error(rq->resp, 502, "bad gateway", "aggregator: "
			    "error reply without an error text");
			return NULL;
		}
		/* Its 400s name the parameter as the aggregator knows it;
		 * those the API renames (times, durations) it checks
		 * itself first. */
		resp_json(rq->resp, (int)status, o);
		return NULL;
	}
	if (json_object_get(o, key_shape) == NULL) {
		json_decref(o);
		api_stats_agg_error(cfg->stats, API_STATS_AGG_BAD_REPLY);
		snprintf(rq->detail, sizeof(rq->detail), "aggregator: %s reply "
		    "without %s", rq->q.kind, key_shape);
		resp_error(rq->resp, 502, "bad gateway", rq->detail);
		return NULL;
	}
	return o;
}

static void
bad_param(struct req *rq)
{
	resp_error(rq->resp, 400, "bad parameter", rq->detail);
}

/* Takes o. */
static void
resp_json(struct http_resp *resp, int status, json_t *o)
{
	resp->status = status;
	resp->ctype = JSON_CT;
	resp->body = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (resp->body == NULL)
		resp->body = xstrdup("{\"error\":\"internal\",\"detail\":"
		    "\"JSON encoding failed\"}");
	resp->len = strlen(resp->body);
	json_decref(o);
}

static void
resp_error(struct http_resp *resp, int status, const char *error,
    const char *detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(error));
	/* Detail quotes request bytes that may not be UTF-8. */
	if (json_object_set_new(o, "detail", json_string(detail)) != 0)
		json_object_set_new(o, "detail", json_string("(not UTF-8)"));
	free(resp->body);
	resp->body = NULL;
	resp_json(resp, status, o);
}
