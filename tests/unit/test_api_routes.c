/*
 * test_api_routes: every route of the HTTP API against a fake aggregator
 * (the injected ask function records the query and returns a canned
 * reply). Checks routing, 404/405, each parameter error with its status
 * and the parameter named in the detail, the translation of API
 * parameters into query parameters (times and durations to
 * nanoseconds), 503 when the aggregator is unreachable while /health
 * and /metrics still answer, and pass-through of the aggregator's own
 * errors.
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

#include "api_stats.h"
#include "http_routes.h"

struct fake {
	int			 rc;
	uint32_t		 status;
	const char		*body;
	int			 calls;
	struct proto_query	 last;
};

static struct fake fk;
static struct api_stats st;
static struct http_routes_cfg cfg;
static struct http_resp resp;

static int
fake_ask(void *arg, struct proto_query *q, int timeout_ms, uint32_t *status,
    char **body, size_t *len)
{
	struct fake *f = arg;

	(void)timeout_ms;
	f->calls++;
	f->last = *q;
	if (f->rc != 0)
		return f->rc;
	*status = f->status;
	*body = strdup(f->body);
	*len = strlen(f->body);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.status = 200;
	fk.body = "{\"sessions\":[],\"total\":0,\"next_cursor\":null}";
	api_stats_init(&st);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ask = fake_ask;
	cfg.ask_arg = &fk;
	cfg.aggregator = "tcp://127.0.0.1:7711";
	cfg.static_dir = "/nonexistent";
	cfg.timeout_ms = 100;
	cfg.health_timeout_ms = 100;
	cfg.max_limit = 1000;
	cfg.default_limit = 100;
	cfg.top_users = 5;
	cfg.max_body = 1 << 20;
	cfg.stats = &st;
	memset(&resp, 0, sizeof(resp));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	http_resp_free(&resp);
	return 0;
}

/* GET path?query; returns the status. */
static int
get(const char *method, const char *url)
{
	char path[512];
	const char *q = strchr(url, '?');
	size_t n = q ? (size_t)(q - url) : strlen(url);

	memcpy(path, url, n);
	path[n] = '\0';
	http_resp_free(&resp);
	http_routes_handle(&cfg, http_routes_match(path), method, path,
	    q ? q + 1 : NULL, &resp);
	return resp.status;
}

static const char *
qparam(const char *key)
{
	uint32_t i;

	for (i = 0; i < fk.last.nparams; i++)
		if (strcmp(fk.last.params[i].key, key) == 0)
			return fk.last.params[i].val;
	return NULL;
}

/* The response is {"error": error, "detail": starts with detail}. */
static void
expect_error(const char *url, int status, const char *error,
    const char *detail)
{
	json_t *o;
	const char *d;
	int got = get("GET", url);

	if (got != status)
		fail_msg("%s: status %d, want %d (%s)", url, got, status,
		    resp.body ? resp.body : "");
	o = json_loads(resp.body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    error);
	d = json_string_value(json_object_get(o, "detail"));
	if (d == NULL || strncmp(d, detail, strlen(detail)) != 0)
		fail_msg("%s: detail '%s', want it to start with '%s'", url,
		    d ? d : "(none)", detail);
	assert_int_equal(json_object_size(o), 2);
	json_decref(o);
}

static void
test_api_routes_match(void **state)
{
	(void)state;
	assert_int_equal(http_routes_match("/"), HTTP_ROUTE_INDEX);
	assert_int_equal(http_routes_match("/index.html"), HTTP_ROUTE_INDEX);
	assert_int_equal(http_routes_match("/static/app.js"), HTTP_ROUTE_STATIC);
	assert_int_equal(http_routes_match("/static/a/b"), HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_match("/health"), HTTP_ROUTE_HEALTH);
	assert_int_equal(http_routes_match("/metrics"), HTTP_ROUTE_METRICS);
	assert_int_equal(http_routes_match("/api/sessions/active"),
	    HTTP_ROUTE_ACTIVE);
	assert_int_equal(http_routes_match("/api/sessions/history"),
	    HTTP_ROUTE_HISTORY);
	assert_int_equal(http_routes_match("/api/sessions/stats"),
	    HTTP_ROUTE_STATS);
	assert_int_equal(http_routes_match("/api/sessions/timeseries"),
	    HTTP_ROUTE_TIMESERIES);
	assert_int_equal(http_routes_match("/api/sessions/0123"),
	    HTTP_ROUTE_SESSION);
	assert_int_equal(http_routes_match("/api/sessions/"),
	    HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_match("/api/sessions/a/b"),
	    HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_match("/api/agents"), HTTP_ROUTE_AGENTS);
	assert_int_equal(http_routes_match("/api/agents/"),
	    HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_match("/api/telemetry/events"),
	    HTTP_ROUTE_EVENTS);
	assert_int_equal(http_routes_match("/API/agents"),
	    HTTP_ROUTE_UNMATCHED);
	assert_string_equal(http_routes_name(HTTP_ROUTE_SESSION),
	    "/api/sessions/{id}");
}

static void
test_api_routes_not_found_and_method(void **state)
{
	(void)state;
	expect_error("/api/nothing", 404, "not found", "/api/nothing: no such");
	assert_int_equal(get("POST", "/api/sessions/history"), 405);
	assert_string_equal(resp.allow, "GET, HEAD");
	assert_non_null(strstr(resp.body, "method not allowed"));
	assert_int_equal(get("DELETE", "/metrics"), 405);
	fk.body = "{\"agents\":[]}";
	assert_int_equal(get("HEAD", "/api/agents"), 200);
	/* No dashboard files in this set-up. */
	expect_error("/static/app.js", 404, "not found", "app.js");
	expect_error("/static/.env", 404, "not found", ".env");
	assert_int_equal(fk.calls, 1);
}

static void
test_api_routes_unknown_parameter(void **state)
{
	static const char *const urls[] = { "/api/sessions/active?x=1",
	    "/api/sessions/history?limit=5&usr=a",
	    "/api/sessions/stats?window=1", "/api/agents?verbose=1",
	    "/api/telemetry/events?sev=info",
	    "/api/sessions/timeseries?from=1",
	    "/api/sessions/00112233445566778899aabbccddeeff?full=1",
	    "/health?deep=1", "/metrics?name=x" };
	char word[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *q = strchr(urls[i], '?') + 1;
		const char *amp = strrchr(q, '&');
		const char *k = amp ? amp + 1 : q;

		snprintf(word, sizeof(word), "%.*s: not a parameter",
		    (int)(strchr(k, '=') - k), k);
		expect_error(urls[i], 400, "unknown parameter", word);
	}
	assert_int_equal(fk.calls, 0);
}

static void
test_api_routes_bad_values(void **state)
{
	static const struct {
		const char	*url, *detail;
	} cases[] = {
		{ "/api/sessions/history?limit=abc", "limit: 'abc' is not a whole" },
		{ "/api/sessions/history?limit=0", "limit: '0'" },
		{ "/api/sessions/history?limit=1001", "limit: '1001'" },
		{ "/api/sessions/history?limit=-1", "limit: '-1'" },
		{ "/api/sessions/history?limit=", "limit: empty value" },
		{ "/api/sessions/history?limit=1&limit=2", "limit: given more" },
		{ "/api/sessions/history?start_after=yesterday",
		  "start_after: 'yesterday' is not an RFC 3339" },
		{ "/api/sessions/history?start_before=2024-02-30T00:00:00Z",
		  "start_before: '2024-02-30T00:00:00Z'" },
		{ "/api/sessions/history?start_after=2024-01-02T00:00:00Z&"
		  "start_before=2024-01-01T00:00:00Z", "start_before: must be" },
		{ "/api/sessions/history?status=open", "status: 'open' is not one "
		  "of closed, failed, rejected_by_acl" },
		{ "/api/sessions/history?protocol=icmp", "protocol: 'icmp'" },
		{ "/api/sessions/history?dest_ip=10.0.0", "dest_ip: '10.0.0'" },
		{ "/api/sessions/history?source_ip=host", "source_ip: 'host'" },
		{ "/api/sessions/history?min_duration_secs=-1",
		  "min_duration_secs: '-1'" },
		{ "/api/sessions/history?min_bytes=1k", "min_bytes: '1k'" },
		{ "/api/sessions/history?format=xml", "format: 'xml'" },
		{ "/api/sessions/history?user=%zz", "user: bad percent" },
		{ "/api/sessions/active?limit=x", "limit: 'x'" },
		{ "/api/sessions/active?protocol=TCP", "protocol: 'TCP'" },
		{ "/api/sessions/stats?window_hours=0", "window_hours: '0'" },
		{ "/api/sessions/stats?window_hours=24h", "window_hours: '24h'" },
		{ "/api/sessions/stats?window_hours=876001",
		  "window_hours: '876001'" },
		{ "/api/sessions/timeseries?window_hours=0", "window_hours: '0'" },
		{ "/api/sessions/timeseries?step=30", "step: '30'" },
		{ "/api/sessions/timeseries?window_hours=1&step=2h", "step: '2h'" },
		{ "/api/sessions/timeseries?window_hours=876000&step=60",
		  "step: 60 seconds makes more than 10000 points" },
		{ "/api/sessions/timeseries?to=soon", "to: 'soon'" },
		{ "/api/telemetry/events?minutes=0", "minutes: '0'" },
		{ "/api/telemetry/events?severity=debug", "severity: 'debug'" },
		{ "/api/telemetry/events?category=bogus",
		  "category: 'bogus' is not one of agent_back, " },
		{ "/api/sessions/XYZ", "id: 'XYZ' is not a session id" },
		{ "/api/sessions/00112233445566778899AABBCCDDEEFF",
		  "id: '00112233445566778899AABBCCDDEEFF'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].url, 400, "bad parameter", cases[i].detail);
	assert_int_equal(fk.calls, 0);
}

static void
test_api_routes_history_translation(void **state)
{
	(void)state;
	fk.body = "{\"sessions\":[],\"next_cursor\":\"abc\"}";
	assert_int_equal(get("GET", "/api/sessions/history"), 200);
	assert_string_equal(fk.last.kind, "history");
	assert_string_equal(qparam("limit"), "100");
	assert_int_equal(fk.last.nparams, 1);
	assert_int_equal(get("GET", "/api/sessions/history?user=alice+b&"
	    "status=failed&start_after=2024-01-02T03:04:05.5Z&start_before="
	    "1704164646&dest_ip=::1&source_ip=10.0.0.1&target=x.org:443&"
	    "protocol=udp&min_duration_secs=1.25&min_bytes=10&limit=7&"
	    "cursor=abc&agent=a1"), 200);
	assert_string_equal(qparam("user"), "alice b");
	assert_string_equal(qparam("status"), "failed");
	assert_string_equal(qparam("start_after"), "1704164645500000000");
	assert_string_equal(qparam("start_before"), "1704164646000000000");
	assert_string_equal(qparam("dest_ip"), "::1");
	assert_string_equal(qparam("source_ip"), "10.0.0.1");
	assert_string_equal(qparam("target"), "x.org:443");
	assert_string_equal(qparam("protocol"), "udp");
	assert_string_equal(qparam("min_duration_ns"), "1250000000");
	assert_string_equal(qparam("min_bytes"), "10");
	assert_string_equal(qparam("limit"), "7");
	assert_string_equal(qparam("cursor"), "abc");
	assert_string_equal(qparam("agent"), "a1");
	assert_null(qparam("format"));
	assert_string_equal(resp.ctype, "application/json");
	assert_string_equal(resp.body, "{\"sessions\":[],\"next_cursor\":\"abc\"}");
	assert_string_equal(resp.next_cursor, "");
	/* CSV: the cursor goes to a header. */
	assert_int_equal(get("GET", "/api/sessions/history?format=csv"), 200);
	assert_string_equal(resp.next_cursor, "abc");
	assert_non_null(strstr(resp.ctype, "text/csv"));
	assert_int_equal(strncmp(resp.body, "session_id,agent,", 17), 0);
}

static void
test_api_routes_other_translations(void **state)
{
	(void)state;
	assert_int_equal(get("GET", "/api/sessions/active?user=u&dest_ip="
	    "1.2.3.4&target=t&agent=a&protocol=tcp&limit=3"), 200);
	assert_string_equal(fk.last.kind, "active");
	assert_string_equal(qparam("limit"), "3");
	assert_string_equal(qparam("dest_ip"), "1.2.3.4");
	assert_string_equal(qparam("protocol"), "tcp");
	fk.body = "{\"window_hours\":5,\"top_users\":[]}";
	assert_int_equal(get("GET", "/api/sessions/stats?window_hours=5"), 200);
	assert_string_equal(fk.last.kind, "stats");
	assert_string_equal(qparam("window_hours"), "5");
	assert_int_equal(get("GET", "/api/sessions/stats"), 200);
	assert_string_equal(qparam("window_hours"), "24");
	fk.body = "{\"points\":[]}";
	assert_int_equal(get("GET", "/api/sessions/timeseries?window_hours=2&"
	    "step=10m&to=2024-01-02T03:04:05Z"), 200);
	assert_string_equal(fk.last.kind, "timeseries");
	assert_string_equal(qparam("to"), "1704164645000000000");
	assert_string_equal(qparam("from"), "1704157445000000000");
	assert_string_equal(qparam("step"), "600000000000");
	assert_non_null(strstr(resp.body, "\"step_secs\":600"));
	assert_non_null(strstr(resp.body, "\"from\":\"2024-01-02T01:04:05."));
	fk.body = "{\"events\":[]}";
	assert_int_equal(get("GET", "/api/telemetry/events?minutes=5&limit=2&"
	    "severity=warning&category=agent_lost"), 200);
	assert_string_equal(qparam("minutes"), "5");
	assert_string_equal(qparam("severity"), "warning");
	assert_string_equal(qparam("category"), "agent_lost");
	fk.body = "{\"session_id\":\"00112233445566778899aabbccddeeff\"}";
	assert_int_equal(get("GET",
	    "/api/sessions/00112233445566778899aabbccddeeff"), 200);
	assert_string_equal(fk.last.kind, "session");
	assert_string_equal(qparam("id"), "00112233445566778899aabbccddeeff");
}

static void
test_api_routes_aggregator_down(void **state)
{
	static const char *const data[] = { "/api/sessions/active",
	    "/api/sessions/history", "/api/sessions/stats",
	    "/api/sessions/timeseries", "/api/agents", "/api/telemetry/events",
	    "/api/sessions/00112233445566778899aabbccddeeff" };
	size_t i;

	(void)state;
	fk.rc = -ENOTCONN;
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		expect_error(data[i], 503, "aggregator unavailable",
		    "tcp://127.0.0.1:7711: not reachable");
	fk.rc = -ETIMEDOUT;
	expect_error("/api/agents", 503, "aggregator unavailable",
	    "tcp://127.0.0.1:7711: no answer in time");
	assert_int_equal(get("GET", "/health"), 200);
	assert_non_null(strstr(resp.body, "\"status\":\"degraded\""));
	assert_non_null(strstr(resp.body, "\"reachable\":false"));
	assert_int_equal(get("GET", "/metrics"), 200);
	assert_non_null(strstr(resp.ctype, "version=0.0.4"));
	assert_non_null(strstr(resp.body, "sessacct_aggregator_up 0\n"));
	assert_true(atomic_load(&st.agg_errors[API_STATS_AGG_TIMEOUT]) >= 3);
	assert_int_equal(atomic_load(&st.agg_errors[API_STATS_AGG_UNREACHABLE]),
	    7);
	fk.rc = 0;
	fk.body = "{\"agents\":[]}";
	assert_int_equal(get("GET", "/health"), 200);
	assert_non_null(strstr(resp.body, "\"status\":\"ok\""));
}

static void
test_api_routes_aggregator_errors(void **state)
{
	(void)state;
	fk.status = 404;
	fk.body = "{\"error\":\"not found\",\"detail\":\"00112233445566778899"
	    "aabbccddeeff\"}";
	expect_error("/api/sessions/00112233445566778899aabbccddeeff", 404,
	    "not found", "00112233445566778899aabbccddeeff");
	fk.status = 400;
	fk.body = "{\"error\":\"bad parameter\",\"detail\":\"window_hours: "
	    "'99999' is not a whole number in [1, 2160]\"}";
	expect_error("/api/sessions/stats?window_hours=99999", 400,
	    "bad parameter", "window_hours: '99999'");
	fk.status = 200;
	fk.body = "not json";
	expect_error("/api/agents", 502, "bad gateway", "aggregator");
	fk.body = "{\"something\":1}";
	expect_error("/api/agents", 502, "bad gateway", "aggregator: agents "
	    "reply without agents");
	fk.status = 500;
	fk.body = "[]";
	expect_error("/api/agents", 502, "bad gateway", "aggregator");
	fk.rc = -EBADMSG;
	expect_error("/api/agents", 503, "aggregator unavailable",
	    "tcp://127.0.0.1:7711: malformed reply");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_api_routes_match, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_not_found_and_method, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_unknown_parameter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_routes_bad_values,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_history_translation, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_other_translations, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_aggregator_down, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_routes_aggregator_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
