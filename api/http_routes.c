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
		/* Its exporter's state (docs/SCALING.md). */
		if (json_is_object(json_object_get(ev, "export")))
			json_object_set(a, "export", json_object_get(ev,
			    "export"));
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
	struct api_buf out;
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
	if ((o = ask(rq, "sessions", rq->cfg->timeout_ms)) == NULL)
		return;
	nc = json_object_get(o, "next_cursor");
	if (!json_is_null(nc) && !json_is_string(nc)) {
		json_decref(o);
		resp_error(rq->resp, 502, "bad gateway", "aggregator: history "
		    "reply without next_cursor");
		return;
	}
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
	return;
bad:
	bad_param(rq);
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
	json_t *o, *pts;

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
	if ((o = ask(rq, "points", rq->cfg->timeout_ms)) == NULL)
		return;
	pts = json_incref(json_object_get(o, "points"));
	json_decref(o);
	o = json_object();
	json_object_set_new(o, "window_hours", json_integer((json_int_t)hours));
	json_object_set_new(o, "step_secs", json_integer((json_int_t)step));
	sess_json_time(from, t);
	json_object_set_new(o, "from", json_string(t));
	sess_json_time(to, t);
	json_object_set_new(o, "to", json_string(t));
	json_object_set_new(o, "points", pts);
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
	if (api_params_str(&rq->params, "category", &v) > 0)
		q_add(rq, "category", v);
	if ((o = ask(rq, "events", rq->cfg->timeout_ms)) != NULL)
		resp_json(rq->resp, 200, o);
	return;
bad:
	bad_param(rq);
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
