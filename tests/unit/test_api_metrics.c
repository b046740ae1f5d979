/*
 * test_api_metrics: the Prometheus exposition built from the
 * aggregator's JSON: each family once with HELP and TYPE, histograms
 * copied with their bounds, label values escaped, per-user series cut to
 * the top N with the rest (and the aggregator's own "other") summed
 * under user="other", per-destination series alike with hostile names,
 * and the API's own counters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_metrics.h"

static const char metrics[] =
"{\"uptime_secs\":7,\"messages\":3,\"invalid_messages\":1,\"too_large\":0,"
"\"bad_version\":0,\"agents_full\":0,\"events_applied\":40,\"commits\":5,"
"\"commit_errors\":0,\"agents_lost\":0,"
"\"store_write_latency\":{\"le\":[0.001,0.01,\"+Inf\"],\"counts\":[2,4,5],"
"\"sum_secs\":0.02,\"count\":5},"
"\"sessions_active\":2,\"sessions_created\":12,"
"\"sessions_closed\":{\"fin\":8,\"rst\":2},"
"\"sessions_by_status\":{\"closed\":7,\"failed\":2,\"rejected_by_acl\":1},"
"\"session_duration\":{\"le\":[0.1,0.5,1,5,10,30,60,300,900,3600,\"+Inf\"],"
"\"counts\":[1,2,3,4,5,6,7,8,9,10,10],\"sum_secs\":123.5,\"count\":10},"
"\"bytes_sent\":1000,\"bytes_received\":2000,\"packets_sent\":10,"
"\"packets_received\":20,\"wire_bytes_sent\":1500,\"wire_bytes_received\":2600,"
"\"users\":[{\"user\":\"small\",\"sessions\":1,\"bytes_sent\":1,\"bytes_received\":1},"
"{\"user\":\"big \\\"q\\\"\\\\\",\"sessions\":3,\"bytes_sent\":500,\"bytes_received\":500},"
"{\"user\":\"mid\",\"sessions\":5,\"bytes_sent\":100,\"bytes_received\":100},"
"{\"user\":\"other\",\"sessions\":1,\"bytes_sent\":7,\"bytes_received\":0}],"
"\"users_other\":{\"sessions\":4,\"bytes_sent\":40,\"bytes_received\":50},"
"\"table_evictions\":0,\"table_size\":2,\"table_capacity\":100,"
"\"store_sessions_written\":10,\"store_quarantined\":0}";

static const char agents[] =
"{\"agents\":[{\"agent\":\"a1\",\"host\":\"h1\",\"last_heard\":"
"\"2024-01-02T03:04:05.500000000Z\",\"lost\":false,\"sessions_active\":2,"
"\"packets_seen\":100,\"kernel_drops\":3,\"interface_drops\":4,"
"\"decode_errors\":6,\"decode_reasons\":{\"truncated\":5},"
"\"batches_applied\":9,\"batches_duplicate\":0,\"batches_lost\":1,"
"\"batches_dropped_by_agent\":2,\"batches_rejected\":0,\"events\":40,"
"\"watermark\":9,\"enrichment\":{\"tracked\":30,\"enriched\":"
"{\"socks5\":7,\"tls\":11},\"proxy_header\":1,\"rejected\":2,"
"\"failed\":0,\"unrecognised\":4,\"given_up\":{\"gap\":3,"
"\"cap_full\":0},\"buffering\":5,\"buffering_peak\":9,"
"\"buffer_bytes\":1024,\"buffer_bytes_peak\":8192,\"legs\":{\"bnd\":6,"
"\"ambiguous\":1}}},"
"{\"agent\":\"a2\",\"host\":\"h2\",\"last_heard\":null,"
"\"lost\":true,\"sessions_active\":0,\"packets_seen\":0,\"kernel_drops\":0,"
"\"interface_drops\":0,\"decode_errors\":0,\"decode_reasons\":{},"
"\"batches_applied\":0,\"batches_duplicate\":0,\"batches_lost\":0,"
"\"batches_dropped_by_agent\":0,\"batches_rejected\":0,\"events\":0,"
"\"watermark\":0,\"enrichment\":null}]}";

static char *
render(const char *m, const char *a, uint64_t top, struct api_stats *st,
    int *rc)
{
	struct api_metrics_in in;
	struct api_buf b;

	memset(&in, 0, sizeof(in));
	in.parts = API_METRICS_OWN | API_METRICS_AGG;
	in.metrics_json = m;
	in.agents_json = a;
	in.stats = st;
	in.top_users = top;
	in.api_uptime_secs = 1.5;
	in.version = "9.9";
	api_buf_init(&b, 1 << 20);
	*rc = api_metrics_render(&in, &b);
	return api_buf_steal(&b, NULL);
}

static void
has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing: %s\n--- in ---\n%s", line, text);
}

static void
test_api_metrics_sessions(void **state)
{
	char *t;
	int rc;

	(void)state;
	t = render(metrics, agents, 2, NULL, &rc);
	assert_int_equal(rc, 0);
	has(t, "# TYPE sessacct_sessions_active gauge\nsessacct_sessions_active 2\n");
	has(t, "# TYPE sessacct_sessions_created_total counter\n"
	    "sessacct_sessions_created_total 12\n");
	has(t, "sessacct_sessions_closed_total{reason=\"rst\"} 2\n");
	has(t, "sessacct_sessions_rejected_total 1\n");
	has(t, "sessacct_sessions_failed_total 2\n");
	has(t, "sessacct_sessions_ended_total{status=\"closed\"} 7\n");
	has(t, "# TYPE sessacct_session_duration_seconds histogram\n"
	    "sessacct_session_duration_seconds_bucket{le=\"0.1\"} 1\n");
	has(t, "sessacct_session_duration_seconds_bucket{le=\"300\"} 8\n");
	has(t, "sessacct_session_duration_seconds_bucket{le=\"+Inf\"} 10\n"
	    "sessacct_session_duration_seconds_sum 123.500000000\n"
	    "sessacct_session_duration_seconds_count 10\n");
	has(t, "sessacct_bytes_total{direction=\"sent\"} 1000\n"
	    "sessacct_bytes_total{direction=\"received\"} 2000\n");
	has(t, "sessacct_packets_total{direction=\"received\"} 20\n");
	has(t, "sessacct_wire_bytes_total{direction=\"sent\"} 1500\n");
	has(t, "sessacct_aggregator_store_write_duration_seconds_bucket"
	    "{le=\"0.01\"} 4\n");
	has(t, "sessacct_aggregator_invalid_messages_total 1\n");
	has(t, "sessacct_aggregator_up 1\n");
	has(t, "sessacct_build_info{component=\"api\",version=\"9.9\"} 1\n");
	free(t);
}

static void
test_api_metrics_top_users(void **state)
{
	char *t;
	int rc;

	(void)state;
	t = render(metrics, NULL, 2, NULL, &rc);
	assert_int_equal(rc, 0);
	/* Top two by bytes; the label value escaped. */
	has(t, "sessacct_user_bytes_total{user=\"big \\\"q\\\"\\\\\","
	    "direction=\"sent\"} 500\n");
	has(t, "sessacct_user_sessions_total{user=\"mid\"} 5\n");
	assert_null(strstr(t, "user=\"small\""));
	/* small (1) + tracked "other" (1) + users_other (4). */
	has(t, "sessacct_user_sessions_total{user=\"other\"} 6\n");
	has(t, "sessacct_user_bytes_total{user=\"other\",direction=\"sent\"} 48\n");
	has(t, "sessacct_user_bytes_total{user=\"other\",direction=\"received\"} 51\n");
	free(t);
	/* top 0: everyone is other, still one series. */
	t = render(metrics, NULL, 0, NULL, &rc);
	has(t, "sessacct_user_sessions_total{user=\"other\"} 14\n");
	assert_null(strstr(t, "user=\"mid\""));
	free(t);
}

/* Destination names as agents may send them (SNI, Host, SOCKS). */
static const char dests[] =
"{\"destinations\":["
"{\"destination\":\"a\\\"} 1\\nfake{x=\\\"y\\\"} 2\\\\\",\"sessions\":2,"
"\"bytes_sent\":900,\"bytes_received\":100},"
"{\"destination\":\"bad\\ufffd\\u00e9:443\",\"sessions\":4,"
"\"bytes_sent\":300,\"bytes_received\":300},"
"{\"destination\":\"[2001:db8::1]:80\",\"sessions\":1,"
"\"bytes_sent\":5,\"bytes_received\":5},"
"{\"destination\":\"other\",\"sessions\":1,\"bytes_sent\":1,"
"\"bytes_received\":1}],"
"\"destinations_other\":{\"sessions\":3,\"bytes_sent\":30,"
"\"bytes_received\":40}}";

static void
test_api_metrics_top_destinations(void **state)
{
	struct api_metrics_in in;
	struct api_buf b;
	char *t, *p, *nl;
	int rc;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.parts = API_METRICS_AGG;
	in.metrics_json = dests;
	in.top_destinations = 2;
	in.version = "9.9";
	api_buf_init(&b, 1 << 20);
	rc = api_metrics_render(&in, &b);
	assert_int_equal(rc, 0);
	t = api_buf_steal(&b, NULL);
	/* Quote, backslash and newline escaped: one line per series. */
	has(t, "# TYPE sessacct_destination_sessions_total counter\n"
	    "sessacct_destination_sessions_total{destination="
	    "\"a\\\"} 1\\nfake{x=\\\"y\\\"} 2\\\\\"} 2\n");
	has(t, "sessacct_destination_bytes_total{destination="
	    "\"a\\\"} 1\\nfake{x=\\\"y\\\"} 2\\\\\",direction=\"sent\"} 900\n");
	/* UTF-8 as it came (the aggregator made it valid). */
	has(t, "sessacct_destination_sessions_total{destination="
	    "\"bad\xef\xbf\xbd\xc3\xa9:443\"} 4\n");
	has(t, "sessacct_destination_bytes_total{destination="
	    "\"bad\xef\xbf\xbd\xc3\xa9:443\",direction=\"received\"} 300\n");
	assert_null(strstr(t, "2001:db8"));
	/* [2001:db8::1]:80 (1) + literal "other" (1) + the rest (3). */
	has(t, "sessacct_destination_sessions_total{destination=\"other\"} 5\n");
	has(t, "sessacct_destination_bytes_total{destination=\"other\","
	    "direction=\"sent\"} 36\n");
	has(t, "sessacct_destination_bytes_total{destination=\"other\","
	    "direction=\"received\"} 46\n");
	for (p = t; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if (*p != '#')
			assert_true(strncmp(p, "sessacct_", 9) == 0);
	}
	free(t);
	/* An aggregator without the field: no destination family. */
	in.metrics_json = "{}";
	api_buf_init(&b, 1 << 20);
	rc = api_metrics_render(&in, &b);
	assert_int_equal(rc, 0);
	t = api_buf_steal(&b, NULL);
	assert_null(strstr(t, "sessacct_destination_"));
	free(t);
}

static void
test_api_metrics_agents(void **state)
{
	char *t;
	int rc;

	(void)state;
	t = render(metrics, agents, 2, NULL, &rc);
	has(t, "sessacct_agent_info{agent=\"a1\",host=\"h1\"} 1\n");
	has(t, "sessacct_agent_up{agent=\"a1\"} 1\nsessacct_agent_up{agent=\"a2\"} 0\n");
	has(t, "sessacct_agent_last_heard_timestamp_seconds{agent=\"a1\"} "
	    "1704164645.500\n");
	assert_null(strstr(t, "last_heard_timestamp_seconds{agent=\"a2\"}"));
	has(t, "sessacct_agent_packets_dropped_total{agent=\"a1\",where=\"kernel\"} 3\n");
	has(t, "sessacct_agent_packets_dropped_total{agent=\"a1\",where=\"interface\"} 4\n");
	has(t, "sessacct_agent_decode_errors_total{agent=\"a1\",reason=\"truncated\"} 5\n");
	has(t, "sessacct_agent_decode_errors_total{agent=\"a1\",reason=\"unspecified\"} 1\n");
	has(t, "sessacct_agent_batches_lost_total{agent=\"a1\"} 1\n");
	has(t, "sessacct_agent_batches_dropped_total{agent=\"a1\"} 2\n");
	has(t, "sessacct_agent_packets_seen_total{agent=\"a1\"} 100\n");
	free(t);
}

/* The enrichment counters: a1 has them, a2 (enrichment off) none. */
static void
test_api_metrics_enrichment(void **state)
{
	char *t;
	int rc;

	(void)state;
	t = render(metrics, agents, 2, NULL, &rc);
	assert_int_equal(rc, 0);
	has(t, "# TYPE sessacct_agent_enrich_tracked_total counter\n"
	    "sessacct_agent_enrich_tracked_total{agent=\"a1\"} 30\n");
	has(t, "# TYPE sessacct_agent_enrich_sessions_total counter\n"
	    "sessacct_agent_enrich_sessions_total{agent=\"a1\","
	    "kind=\"socks5\"} 7\n"
	    "sessacct_agent_enrich_sessions_total{agent=\"a1\",kind=\"tls\"} "
	    "11\n");
	has(t, "sessacct_agent_enrich_proxy_header_total{agent=\"a1\"} 1\n");
	has(t, "sessacct_agent_enrich_rejected_total{agent=\"a1\"} 2\n");
	has(t, "sessacct_agent_enrich_failed_total{agent=\"a1\"} 0\n");
	has(t, "sessacct_agent_enrich_unrecognised_total{agent=\"a1\"} 4\n");
	has(t, "sessacct_agent_enrich_given_up_total{agent=\"a1\","
	    "reason=\"gap\"} 3\n");
	has(t, "sessacct_agent_enrich_given_up_total{agent=\"a1\","
	    "reason=\"cap_full\"} 0\n");
	has(t, "# TYPE sessacct_agent_enrich_buffering gauge\n"
	    "sessacct_agent_enrich_buffering{agent=\"a1\"} 5\n");
	has(t, "sessacct_agent_enrich_buffering_peak{agent=\"a1\"} 9\n");
	has(t, "sessacct_agent_enrich_buffer_bytes{agent=\"a1\"} 1024\n");
	has(t, "sessacct_agent_enrich_buffer_bytes_peak{agent=\"a1\"} 8192\n");
	has(t, "sessacct_agent_enrich_legs_total{agent=\"a1\",outcome=\"bnd\"} "
	    "6\n");
	has(t, "sessacct_agent_enrich_legs_total{agent=\"a1\","
	    "outcome=\"ambiguous\"} 1\n");
	assert_null(strstr(t, "enrich_tracked_total{agent=\"a2\"}"));
	assert_null(strstr(t, "enrich_sessions_total{agent=\"a2\""));
	/* The proxy's refusals, as the aggregator closed them. */
	has(t, "sessacct_sessions_ended_total{status=\"rejected_by_acl\"} 1\n");
	free(t);
	/* No agent with enrichment: no family at all. */
	t = render(metrics, "{\"agents\":[{\"agent\":\"a2\","
	    "\"enrichment\":null}]}", 2, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(t, "sessacct_agent_enrich_"));
	free(t);
}

/* Each family's TYPE line appears exactly once. */
static void
test_api_metrics_families_once(void **state)
{
	struct api_stats st;
	char *t, *p, name[128];
	size_t n, i, j;
	char (*seen)[128];
	int rc;

	(void)state;
	api_stats_init(&st);
	api_stats_request(&st, HTTP_ROUTE_HISTORY, 200, 2000000);
	api_stats_request(&st, HTTP_ROUTE_HISTORY, 400, 200000);
	api_stats_request(&st, HTTP_ROUTE_UNMATCHED, 418, 1000);
	api_stats_agg_error(&st, API_STATS_AGG_TIMEOUT);
	t = render(metrics, agents, 2, &st, &rc);
	assert_int_equal(rc, 0);
	has(t, "sessacct_api_requests_total{route=\"/api/sessions/history\","
	    "code=\"200\"} 1\n");
	has(t, "sessacct_api_requests_total{route=\"/api/sessions/history\","
	    "code=\"400\"} 1\n");
	has(t, "sessacct_api_requests_total{route=\"unmatched\",code=\"other\"} 1\n");
	has(t, "sessacct_api_request_duration_seconds_bucket{route=\"/api/"
	    "sessions/history\",le=\"0.0005\"} 1\n");
	has(t, "sessacct_api_request_duration_seconds_bucket{route=\"/api/"
	    "sessions/history\",le=\"0.0025\"} 2\n");
	has(t, "sessacct_api_request_duration_seconds_count{route=\"/api/"
	    "sessions/history\"} 2\n");
	has(t, "sessacct_api_aggregator_errors_total{reason=\"timeout\"} 1\n");
	seen = calloc(200, sizeof(*seen));
	for (n = 0, p = t; (p = strstr(p, "# TYPE ")) != NULL; p++) {
		for (i = 0; p[7 + i] != ' ' && i < sizeof(name) - 1; i++)
			name[i] = p[7 + i];
		name[i] = '\0';
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], name) == 0)
				fail_msg("family %s twice", name);
		assert_true(n < 200);
		memcpy(seen[n++], name, sizeof(name));
		/* process_*: the API's own, named as every exporter's. */
		assert_true(strncmp(name, "sessacct_", 9) == 0 ||
		    strncmp(name, "process_", 8) == 0);
	}
	assert_true(n > 40);
	free(seen);
	free(t);
}

/*
 * process_*: the API's own, unlabelled, read now from /proc/self; the
 * aggregator's from its metrics reply as sessacct_aggregator_process_*;
 * each agent's from its "process" as sessacct_agent_*{agent}; an agent
 * without (older) has no series, a figure absent no family.
 */
static void
test_api_metrics_process(void **state)
{
	static const char m[] = "{\"uptime_secs\":7,\"process\":"
	    "{\"resident_memory_bytes\":52428800,\"virtual_memory_bytes\":"
	    "104857600,\"cpu_ns\":1500000001,\"open_fds\":17,\"max_fds\":"
	    "1024,\"threads\":9,\"start_ns\":1704164645250000000}}";
	static const char a[] = "{\"agents\":[{\"agent\":\"a1\",\"process\":"
	    "{\"resident_memory_bytes\":8388608,\"cpu_ns\":250000000,"
	    "\"threads\":3}},{\"agent\":\"a2\",\"process\":null}]}";
	const char *p;
	char *t, *end;
	unsigned long long rss;
	int rc;

	(void)state;
	t = render(m, a, 2, NULL, &rc);
	assert_int_equal(rc, 0);
	has(t, "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes ");
	has(t, "# TYPE process_cpu_seconds_total counter\n");
	has(t, "\nprocess_open_fds ");
	has(t, "\nprocess_max_fds ");
	has(t, "\nprocess_threads ");
	has(t, "\nprocess_start_time_seconds 1");
	p = strstr(t, "\nprocess_resident_memory_bytes ") + 31;
	rss = strtoull(p, &end, 10);
	assert_true(end > p && *end == '\n');
	assert_true(rss > 1000000);
	has(t, "\nsessacct_aggregator_process_resident_memory_bytes 52428800\n");
	has(t, "\nsessacct_aggregator_process_virtual_memory_bytes 104857600\n");
	has(t, "# TYPE sessacct_aggregator_process_cpu_seconds_total counter\n"
	    "sessacct_aggregator_process_cpu_seconds_total 1.500000001\n");
	has(t, "\nsessacct_aggregator_process_open_fds 17\n");
	has(t, "\nsessacct_aggregator_process_max_fds 1024\n");
	has(t, "\nsessacct_aggregator_process_threads 9\n");
	has(t, "\nsessacct_aggregator_process_start_time_seconds "
	    "1704164645.250000000\n");
	has(t, "# TYPE sessacct_agent_resident_memory_bytes gauge\n"
	    "sessacct_agent_resident_memory_bytes{agent=\"a1\"} 8388608\n");
	has(t, "# TYPE sessacct_agent_cpu_seconds_total counter\n"
	    "sessacct_agent_cpu_seconds_total{agent=\"a1\"} 0.250000000\n");
	has(t, "sessacct_agent_threads{agent=\"a1\"} 3\n");
	assert_null(strstr(t, "memory_bytes{agent=\"a2\"}"));
	assert_null(strstr(t, "cpu_seconds_total{agent=\"a2\"}"));
	assert_null(strstr(t, "sessacct_agent_open_fds{"));
	assert_null(strstr(t, "sessacct_agent_start_time_seconds"));
	free(t);
	/* Without the aggregator: only the API's own. */
	t = render(NULL, NULL, 2, NULL, &rc);
	has(t, "\nprocess_resident_memory_bytes ");
	assert_null(strstr(t, "sessacct_aggregator_process_"));
	assert_null(strstr(t, "sessacct_agent_resident_memory_bytes"));
	free(t);
}

static void
test_api_metrics_aggregator_down(void **state)
{
	char *t;
	int rc;

	(void)state;
	t = render(NULL, NULL, 2, NULL, &rc);
	assert_int_equal(rc, 0);
	has(t, "sessacct_aggregator_up 0\n");
	assert_null(strstr(t, "sessacct_sessions_active"));
	free(t);
	t = render("not json", NULL, 2, NULL, &rc);
	assert_int_equal(rc, -EBADMSG);
	has(t, "sessacct_aggregator_up 0\n");
	free(t);
}

static void
test_api_metrics_cache(void **state)
{
	struct api_metrics_cache *c = api_metrics_cache_create();
	char *t = NULL;
	size_t len;

	(void)state;
	/* Empty: the first caller refreshes; others wait for nothing. */
	assert_int_equal(api_metrics_cache_get(c, 1000, 500, &t, &len), 0);
	api_metrics_cache_put(c, 1000, "a 1\n", 4);
	assert_int_equal(api_metrics_cache_get(c, 1400, 500, &t, &len), 1);
	assert_string_equal(t, "a 1\n");
	free(t);
	/* Stale: one caller refreshes, the next gets the old copy. */
	assert_int_equal(api_metrics_cache_get(c, 1600, 500, &t, &len), 0);
	assert_int_equal(api_metrics_cache_get(c, 1601, 500, &t, &len), 1);
	assert_int_equal(len, 4);
	free(t);
	api_metrics_cache_put(c, 1700, "b 2\n", 4);
	assert_int_equal(api_metrics_cache_get(c, 1701, 500, &t, &len), 1);
	assert_string_equal(t, "b 2\n");
	free(t);
	api_metrics_cache_destroy(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_metrics_sessions),
		cmocka_unit_test(test_api_metrics_top_users),
		cmocka_unit_test(test_api_metrics_top_destinations),
		cmocka_unit_test(test_api_metrics_agents),
		cmocka_unit_test(test_api_metrics_enrichment),
		cmocka_unit_test(test_api_metrics_families_once),
		cmocka_unit_test(test_api_metrics_process),
		cmocka_unit_test(test_api_metrics_aggregator_down),
		cmocka_unit_test(test_api_metrics_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
