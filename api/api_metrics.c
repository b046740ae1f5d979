/*
 * api_metrics: JSON counters in, Prometheus text out. Each family's
 * HELP and TYPE lines are written once, before its samples; label values
 * are escaped as the exposition format requires (backslash, double
 * quote, newline). The aggregator's histograms arrive cumulative with
 * their "le" bounds and are copied as they are.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../common/proc_stat.h"
#include "../common/xmalloc.h"
#include "api_metrics.h"
#include "http_route.h"
#include "api_time.h"

struct api_metrics_cache {
	pthread_mutex_t	 mu;
	char		*text;
	size_t		 len;
	uint64_t	 at_ms;
	int		 refreshing;
};

struct user_row {
	const char	*name;
	uint64_t	 sessions, sent, received;
};

/*
 * One bounded family pair of the aggregator's named counters (users,
 * destinations): the top_n names by bytes keep their own label value,
 * the others, the aggregator's own "other" and a name literally "other"
 * add up under label="other".
 */
struct named_fam {
	const char	*arr_key, *other_key;	/* in the metrics reply */
	const char	*name_key, *label;
	const char	*sessions, *sessions_help;
	const char	*bytes, *bytes_help;
};

static const struct named_fam users_fam = {
	"users", "users_other", "user", "user",
	"sessacct_user_sessions_total", "Closed sessions per user: the top "
	"users by bytes, the rest as user=\"other\".",
	"sessacct_user_bytes_total", "Transport payload bytes per user and "
	"direction: the top users by bytes, the rest as user=\"other\".",
};

static const struct named_fam dests_fam = {
	"destinations", "destinations_other", "destination", "destination",
	"sessacct_destination_sessions_total", "Closed sessions per "
	"destination (target, else server ip:port): the top destinations by "
	"bytes, the rest as destination=\"other\".",
	"sessacct_destination_bytes_total", "Transport payload bytes of "
	"closed sessions per destination and direction: the top "
	"destinations by bytes, the rest as destination=\"other\".",
};

static void	family(struct api_buf *, const char *name, const char *type,
		    const char *help);
static void	label_value(struct api_buf *, const char *v);
static uint64_t	u64(const json_t *o, const char *key, int *have);
static void	security_part(struct api_buf *, const json_t *sec);
static void	export_part(struct api_buf *, const json_t *x);
static void	simple(struct api_buf *, const json_t *o, const char *key,
		    const char *name, const char *type, const char *help);
static void	histogram(struct api_buf *, const json_t *h, const char *name,
		    const char *help);
static void	sessions_part(struct api_buf *, const json_t *m);
static void	named_part(struct api_buf *, const json_t *m,
		    const struct named_fam *, uint64_t top_n);
static void	aggregator_part(struct api_buf *, const json_t *m);
static void	per_family(struct api_buf *, json_t *, const char *,
		    const char *);
static void	agents_part(struct api_buf *, const json_t *a);
static void	rejected_part(struct api_buf *, json_t *r,
		    const char *agent);
static void	enrich_part(struct api_buf *, const json_t *a);
static void	process_part(struct api_buf *, const char *prefix,
		    const json_t *p);
static void	self_process_part(struct api_buf *);
static void	agents_process_part(struct api_buf *, const json_t *a);
static void	api_part(struct api_buf *, const struct api_metrics_in *);
static int	cmp_user(const void *, const void *);

int
api_metrics_render(const struct api_metrics_in *in, struct api_buf *out)
{
	json_t *m = NULL, *a = NULL;
	int rc = 0;

	if (in->metrics_json != NULL &&
	    (m = json_loads(in->metrics_json, 0, NULL)) == NULL)
		rc = -EBADMSG;
	if (m != NULL && !json_is_object(m)) {
		json_decref(m);
		m = NULL;
		rc = -EBADMSG;
	}
	if (in->agents_json != NULL &&
	    (a = json_loads(in->agents_json, 0, NULL)) == NULL)
		rc = -EBADMSG;
	if (in->parts & API_METRICS_OWN)
		api_part(out, in);
	if (in->parts & API_METRICS_AGG) {
		family(out, "sessacct_aggregator_up", "gauge", "1 if the "
		    "aggregator answered the metrics query, else 0.");
		api_buf_printf(out, "sessacct_aggregator_up %d\n", m != NULL);
	}
	if (m != NULL && (in->parts & API_METRICS_AGG)) {
		sessions_part(out, m);
		named_part(out, m, &users_fam, in->top_users);
		named_part(out, m, &dests_fam, in->top_destinations);
		aggregator_part(out, m);
		security_part(out, json_object_get(m, "security"));
		export_part(out, json_object_get(m, "export"));
		process_part(out, "sessacct_aggregator_process_",
		    json_object_get(m, "process"));
	}
	if (a != NULL && (in->parts & API_METRICS_AGG)) {
		agents_part(out, json_object_get(a, "agents"));
		enrich_part(out, json_object_get(a, "agents"));
		agents_process_part(out, json_object_get(a, "agents"));
	}
	json_decref(m);
	json_decref(a);
	if (out->overflow)
		return -EMSGSIZE;
	return rc;
}

struct api_metrics_cache *
api_metrics_cache_create(void)
{
	struct api_metrics_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
api_metrics_cache_destroy(struct api_metrics_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->text);
	free(c);
}

int
api_metrics_cache_get(struct api_metrics_cache *c, uint64_t now_ms,
    uint64_t max_age_ms, char **text, size_t *len)
{
	int hit = 0;

	pthread_mutex_lock(&c->mu);
	if (c->text != NULL && (now_ms - c->at_ms < max_age_ms ||
	    c->refreshing))
		hit = 1;
	else
		c->refreshing = 1;
	if (hit) {
		*text = xmalloc(c->len + 1);
		memcpy(*text, c->text, c->len + 1);
		*len = c->len;
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
api_metrics_cache_put(struct api_metrics_cache *c, uint64_t now_ms,
    const char *text, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&c->mu);
	free(c->text);
	c->text = copy;
	c->len = len;
	c->at_ms = now_ms;
	c->refreshing = 0;
	pthread_mutex_unlock(&c->mu);
}

static void
api_part(struct api_buf *b, const struct api_metrics_in *in)
{
	const struct api_stats *s = in->stats;
	uint64_t cum, n;
	int r, c, k;

	family(b, "sessacct_build_info", "gauge",
	    "Always 1; the version label says which sessacct-api answers.");
	api_buf_puts(b, "sessacct_build_info{component=\"api\",version=");
	label_value(b, in->version);
	api_buf_puts(b, "} 1\n");
	family(b, "sessacct_api_uptime_seconds", "gauge",
	    "Seconds since sessacct-api started.");
	api_buf_printf(b, "sessacct_api_uptime_seconds %.3f\n",
	    in->api_uptime_secs);
	self_process_part(b);
	if (s == NULL)
		return;
	family(b, "sessacct_api_requests_total", "counter",
	    "HTTP requests answered by sessacct-api, by route and status code.");
	for (r = 0; r < HTTP_ROUTE_MAX; r++)
		for (c = 0; c < API_STATS_CODES; c++) {
			n = atomic_load_explicit(&s->requests[r][c],
			    memory_order_relaxed);
			if (n == 0)
				continue;
			api_buf_printf(b, "sessacct_api_requests_total{route=\"%s\","
			    "code=\"", http_routes_name((enum http_route)r));
			if (api_stats_codes[c] != 0)
				api_buf_printf(b, "%d", api_stats_codes[c]);
			else
				api_buf_puts(b, "other");
			api_buf_printf(b, "\"} %llu\n", (unsigned long long)n);
		}
	family(b, "sessacct_api_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer, by route.");
	for (r = 0; r < HTTP_ROUTE_MAX; r++) {
		const char *rn = http_routes_name((enum http_route)r);

		for (cum = 0, k = 0; k < API_STATS_BUCKETS; k++)
			cum += atomic_load_explicit(&s->buckets[r][k],
			    memory_order_relaxed);
		if (cum == 0)
			continue;
		for (cum = 0, k = 0; k < API_STATS_BUCKETS; k++) {
			cum += atomic_load_explicit(&s->buckets[r][k],
			    memory_order_relaxed);
			if (k < API_STATS_BUCKETS - 1)
				api_buf_printf(b, "sessacct_api_request_duration_"
				    "seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				    rn, api_stats_le[k], (unsigned long long)cum);
			else
				api_buf_printf(b, "sessacct_api_request_duration_"
				    "seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				    rn, (unsigned long long)cum);
		}
		api_buf_printf(b, "sessacct_api_request_duration_seconds_sum"
		    "{route=\"%s\"} %.9f\n", rn, (double)atomic_load_explicit(
		    &s->sum_ns[r], memory_order_relaxed) / 1e9);
		api_buf_printf(b, "sessacct_api_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", rn, (unsigned long long)cum);
	}
	family(b, "sessacct_api_aggregator_errors_total", "counter",
	    "Aggregator queries of sessacct-api that failed, by reason.");
	for (k = 0; k < API_STATS_AGG_MAX; k++)
		api_buf_printf(b, "sessacct_api_aggregator_errors_total{reason="
		    "\"%s\"} %llu\n", api_stats_agg_err_names[k],
		    (unsigned long long)atomic_load_explicit(&s->agg_errors[k],
		    memory_order_relaxed));
}

static void
sessions_part(struct api_buf *b, const json_t *m)
{
	static const char *const dirs[] = { "sent", "received" };
	static const struct {
		const char	*key, *name, *help;
	} pairs[] = {
		{ "bytes_", "sessacct_bytes_total", "Transport payload bytes "
		  "of sessions, by direction (sent: client to server)." },
		{ "packets_", "sessacct_packets_total", "Packets of sessions, "
		  "by direction (sent: client to server)." },
		{ "wire_bytes_", "sessacct_wire_bytes_total", "IP bytes (total "
		  "length) of sessions, by direction (sent: client to server)." },
	};
	json_t *o, *v;
	const char *k;
	char key[32];
	size_t i, d;
	int have;
	uint64_t n;

	simple(b, m, "sessions_active", "sessacct_sessions_active", "gauge",
	    "Sessions open now in the aggregator's table.");
	simple(b, m, "sessions_created", "sessacct_sessions_created_total",
	    "counter", "Sessions the aggregator has opened.");
	if ((o = json_object_get(m, "sessions_closed")) != NULL &&
	    json_is_object(o)) {
		family(b, "sessacct_sessions_closed_total", "counter",
		    "Sessions closed, by close reason.");
		json_object_foreach(o, k, v) {
			api_buf_puts(b, "sessacct_sessions_closed_total{reason=");
			label_value(b, k);
			api_buf_printf(b, "} %llu\n", (unsigned long long)
			    json_integer_value(v));
		}
	}
	if ((o = json_object_get(m, "sessions_by_status")) != NULL &&
	    json_is_object(o)) {
		family(b, "sessacct_sessions_ended_total", "counter",
		    "Sessions closed, by final status (closed, failed, "
		    "rejected_by_acl).");
		json_object_foreach(o, k, v) {
			api_buf_puts(b, "sessacct_sessions_ended_total{status=");
			label_value(b, k);
			api_buf_printf(b, "} %llu\n", (unsigned long long)
			    json_integer_value(v));
		}
		simple(b, o, "failed", "sessacct_sessions_failed_total",
		    "counter", "Sessions that failed: the TCP handshake never "
		    "completed, or the proxy could not reach the target.");
		simple(b, o, "rejected_by_acl",
		    "sessacct_sessions_rejected_total", "counter",
		    "Sessions the proxy refused (status rejected_by_acl).");
	}
	histogram(b, json_object_get(m, "session_duration"),
	    "sessacct_session_duration_seconds",
	    "Duration of closed sessions, seconds.");
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		snprintf(key, sizeof(key), "%ssent", pairs[i].key);
		u64(m, key, &have);
		if (!have)
			continue;
		family(b, pairs[i].name, "counter", pairs[i].help);
		for (d = 0; d < 2; d++) {
			snprintf(key, sizeof(key), "%s%s", pairs[i].key,
			    dirs[d]);
			n = u64(m, key, &have);
			api_buf_printf(b, "%s{direction=\"%s\"} %llu\n",
			    pairs[i].name, dirs[d], (unsigned long long)n);
		}
	}
}

static void
named_part(struct api_buf *b, const json_t *m, const struct named_fam *f,
    uint64_t top_n)
{
	static const char *const dirs[] = { "sent", "received" };
	const json_t *arr = json_object_get(m, f->arr_key), *u,
	    *other = json_object_get(m, f->other_key);
	struct user_row *rows, rest;
	size_t n, i, k;
	uint64_t v;
	int have, d;

	if (!json_is_array(arr))
		return;
	n = json_array_size(arr);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL)
		return;
	for (i = k = 0; i < n; i++) {
		u = json_array_get(arr, i);
		if (!json_is_string(json_object_get(u, f->name_key)))
			continue;
		rows[k].name = json_string_value(json_object_get(u,
		    f->name_key));
		rows[k].sessions = u64(u, "sessions", &have);
		rows[k].sent = u64(u, "bytes_sent", &have);
		rows[k].received = u64(u, "bytes_received", &have);
		k++;
	}
	n = k;
	qsort(rows, n, sizeof(*rows), cmp_user);
	memset(&rest, 0, sizeof(rest));
	if (json_is_object(other)) {
		rest.sessions = u64(other, "sessions", &have);
		rest.sent = u64(other, "bytes_sent", &have);
		rest.received = u64(other, "bytes_received", &have);
	}
	/* Past the top N, and a name literally "other", fold in. */
	for (i = 0; i < n; i++)
		if (i >= top_n || strcmp(rows[i].name, "other") == 0) {
			rest.sessions += rows[i].sessions;
			rest.sent += rows[i].sent;
			rest.received += rows[i].received;
			rows[i].name = NULL;
		}
	family(b, f->sessions, "counter", f->sessions_help);
	for (i = 0; i < n; i++)
		if (rows[i].name != NULL) {
			api_buf_printf(b, "%s{%s=", f->sessions, f->label);
			label_value(b, rows[i].name);
			api_buf_printf(b, "} %llu\n", (unsigned long long)
			    rows[i].sessions);
		}
	api_buf_printf(b, "%s{%s=\"other\"} %llu\n", f->sessions, f->label,
	    (unsigned long long)rest.sessions);
	family(b, f->bytes, "counter", f->bytes_help);
	for (i = 0; i <= n; i++)
		for (d = 0; d < 2; d++) {
			if (i < n && rows[i].name == NULL)
				continue;
			api_buf_printf(b, "%s{%s=", f->bytes, f->label);
			label_value(b, i < n ? rows[i].name : "other");
			v = i < n ? (d == 0 ? rows[i].sent : rows[i].received) :
			    (d == 0 ? rest.sent : rest.received);
			api_buf_printf(b, ",direction=\"%s\"} %llu\n",
			    dirs[d], (unsigned long long)v);
		}
	free(rows);
}

static void
aggregator_part(struct api_buf *b, const json_t *m)
{
	static const struct {
		const char	*key, *name, *type, *help;
	} t[] = {
		{ "uptime_secs", "sessacct_aggregator_uptime_seconds", "gauge",
		  "Seconds since the aggregator started." },
		{ "messages", "sessacct_aggregator_messages_total", "counter",
		  "Messages received from agents." },
		{ "invalid_messages", "sessacct_aggregator_invalid_messages_total",
		  "counter", "Agent messages dropped as malformed." },
		{ "too_large", "sessacct_aggregator_oversized_messages_total",
		  "counter", "Agent messages dropped for exceeding "
		  "aggregator.max_message_size." },
		{ "bad_version", "sessacct_aggregator_bad_version_messages_total",
		  "counter", "Agent messages dropped for an unknown protocol "
		  "version." },
		{ "agents_full", "sessacct_aggregator_agents_full_total",
		  "counter", "Agent messages refused because aggregator."
		  "max_agents agents are tracked." },
		{ "events_applied", "sessacct_aggregator_events_applied_total",
		  "counter", "Flow events applied to the session table." },
		{ "commits", "sessacct_aggregator_commits_total", "counter",
		  "Store write batches committed." },
		{ "checkpoints", "sessacct_aggregator_checkpoints_total",
		  "counter", "Store writes that checkpointed the open sessions "
		  "(and released acks)." },
		{ "commit_errors", "sessacct_aggregator_commit_errors_total",
		  "counter", "Store write batches that failed (retried)." },
		{ "late_events", "sessacct_aggregator_late_events_total",
		  "counter", "Events not applied because their session was "
		  "already closed and written (after agent_lost, or resent "
		  "after a restart)." },
		{ "amends", "sessacct_aggregator_amends_total", "counter",
		  "Late packets (TIME_WAIT) added to a session already "
		  "written." },
		{ "amend_orphans", "sessacct_aggregator_amend_orphans_total",
		  "counter", "Late packets whose session is not in the store "
		  "(past retention, or never written)." },
		{ "agents_lost", "sessacct_aggregator_agents_lost_total",
		  "counter", "Times an agent went silent past aggregator."
		  "agent_timeout." },
		{ "table_size", "sessacct_aggregator_table_sessions", "gauge",
		  "Sessions held in the aggregator's session table." },
		{ "table_capacity", "sessacct_aggregator_table_capacity",
		  "gauge", "Most sessions the table holds (sessions."
		  "max_sessions)." },
		{ "table_evictions", "sessacct_aggregator_table_evictions_total",
		  "counter", "Sessions evicted because the table was full." },
		{ "store_sessions_written",
		  "sessacct_aggregator_store_sessions_written_total", "counter",
		  "Closed sessions written to the store." },
		{ "store_quarantined", "sessacct_aggregator_store_quarantined",
		  "gauge", "1 if a corrupt database was moved aside at start." },
		{ "store_memtable_bytes",
		  "sessacct_aggregator_store_memtable_bytes", "gauge",
		  "Bytes in RocksDB's memtables, all column families." },
		{ "store_block_cache_bytes",
		  "sessacct_aggregator_store_block_cache_bytes", "gauge",
		  "Bytes in RocksDB's block cache (store.cache_size at most)." },
		{ "store_table_reader_bytes",
		  "sessacct_aggregator_store_table_reader_bytes", "gauge",
		  "Bytes of RocksDB's open table readers (indexes, filters)." },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		simple(b, m, t[i].key, t[i].name, t[i].type, t[i].help);
	histogram(b, json_object_get(m, "store_write_latency"),
	    "sessacct_aggregator_store_write_duration_seconds",
	    "Time to commit one store write batch, seconds.");
	per_family(b, json_object_get(m, "store_corrupt_reads"),
	    "sessacct_store_corrupt_reads_total", "Reads that met a corrupt "
	    "block, by column family (docs/SECURITY.md, \"Store damage\").");
	per_family(b, json_object_get(m, "store_families_reset"),
	    "sessacct_store_family_resets_total", "Times a damaged column "
	    "family was set aside at start, keeping what was readable.");
	simple(b, m, "agents_forgotten",
	    "sessacct_aggregator_agents_forgotten_total", "counter",
	    "Agents forgotten after aggregator.agent_retention of silence "
	    "(their slots reused).");
	family(b, "sessacct_aggregator_rejected_batches_total", "counter",
	    "Agent batches rejected (nothing of them applied), by reason; "
	    "session_share counts new sessions refused instead.");
	rejected_part(b, json_object_get(m, "rejected"), NULL);
}

/*
 * sessacct_aggregator_rejected_batches_total{reason} (every reason), or
 * with agent, that agent's sessacct_agent_rejected_total{agent,reason}
 * (reasons it has, so that many agents add few series). session_share
 * counts events (new sessions refused), the other reasons batches.
 */
static void
rejected_part(struct api_buf *b, json_t *r, const char *agent)
{
	const char *k;
	json_t *v;

	if (!json_is_object(r))
		return;
	json_object_foreach(r, k, v) {
		if (!json_is_integer(v) || (agent != NULL &&
		    json_integer_value(v) == 0))
			continue;
		if (agent != NULL) {
			api_buf_puts(b, "sessacct_agent_rejected_total{agent=");
			label_value(b, agent);
			api_buf_puts(b, ",reason=");
		} else
			api_buf_puts(b, "sessacct_aggregator_rejected_batches_"
			    "total{reason=");
		label_value(b, k);
		api_buf_printf(b, "} %llu\n", (unsigned long long)
		    json_integer_value(v));
	}
}

/*
 * The process families of client_golang's process collector, by the JSON
 * names of the aggregator's "process" object and the agents' (the stats'
 * 8th element, docs/PROTOCOL.md). Nanoseconds become seconds.
 */
static const struct proc_family {
	const char	*key;		/* JSON name */
	const char	*name;		/* after the prefix */
	const char	*type;
	int		 ns;		/* nanoseconds in, seconds out */
	const char	*help;
} proc_families[] = {
	{ "cpu_ns", "cpu_seconds_total", "counter", 1,
	    "Total user and system CPU time spent in seconds." },
	{ "open_fds", "open_fds", "gauge", 0,
	    "Number of open file descriptors." },
	{ "max_fds", "max_fds", "gauge", 0,
	    "Maximum number of open file descriptors." },
	{ "virtual_memory_bytes", "virtual_memory_bytes", "gauge", 0,
	    "Virtual memory size in bytes." },
	{ "resident_memory_bytes", "resident_memory_bytes", "gauge", 0,
	    "Resident memory size in bytes." },
	{ "start_ns", "start_time_seconds", "gauge", 1,
	    "Start time of the process since unix epoch in seconds." },
	{ "threads", "threads", "gauge", 0,
	    "Number of OS threads in the process." },
};

static void
proc_value(struct api_buf *b, const struct proc_family *f, uint64_t v)
{
	if (f->ns)
		api_buf_printf(b, " %llu.%09llu\n", (unsigned long long)
		    (v / 1000000000ull), (unsigned long long)
		    (v % 1000000000ull));
	else
		api_buf_printf(b, " %llu\n", (unsigned long long)v);
}

/*
 * One process's families under prefix ("process_" for the API itself,
 * as every exporter has them; "sessacct_aggregator_process_" for the
 * aggregator's figures that come through it), from {"cpu_ns": n, ...};
 * a figure missing from p has no family.
 */
static void
process_part(struct api_buf *b, const char *prefix, const json_t *p)
{
	char name[96];
	json_t *v;
	size_t i;

	if (!json_is_object(p))
		return;
	for (i = 0; i < sizeof(proc_families) / sizeof(proc_families[0]);
	    i++) {
		v = json_object_get(p, proc_families[i].key);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix,
		    proc_families[i].name);
		family(b, name, proc_families[i].type, proc_families[i].help);
		api_buf_puts(b, name);
		proc_value(b, &proc_families[i],
		    (uint64_t)json_integer_value(v));
	}
}

/* The API's own process_* families, read from /proc/self now. */
static void
self_process_part(struct api_buf *b)
{
	struct proc_stat ps;
	json_t *p;

	if (proc_stat_read(0, &ps) != 0)
		return;
	p = json_pack("{sIsIsIsIsIsIsI}",
	    "cpu_ns", (json_int_t)ps.cpu_ns,
	    "open_fds", (json_int_t)ps.open_fds,
	    "max_fds", ps.max_fds > (uint64_t)INT64_MAX ? (json_int_t)-1 :
	    (json_int_t)ps.max_fds,
	    "virtual_memory_bytes", (json_int_t)ps.virtual_bytes,
	    "resident_memory_bytes", (json_int_t)ps.resident_bytes,
	    "start_ns", ps.start_ns == 0 ? (json_int_t)-1 :
	    (json_int_t)ps.start_ns,
	    "threads", (json_int_t)ps.threads);
	process_part(b, "process_", p);
	json_decref(p);
}

/*
 * The agents' own resources, as they last sent them:
 * sessacct_agent_resident_memory_bytes{agent}, ..._cpu_seconds_total
 * and the rest of proc_families but the start time (agents do not send
 * it). An agent that sends none (older) has no series.
 */
static void
agents_process_part(struct api_buf *b, const json_t *agents)
{
	char name[96];
	json_t *a, *v;
	size_t i, k;

	if (!json_is_array(agents))
		return;
	for (i = 0; i < sizeof(proc_families) / sizeof(proc_families[0]);
	    i++) {
		if (strcmp(proc_families[i].key, "start_ns") == 0)
			continue;
		snprintf(name, sizeof(name), "sessacct_agent_%s",
		    proc_families[i].name);
		family(b, name, proc_families[i].type, proc_families[i].help);
		json_array_foreach(agents, k, a) {
			v = json_object_get(json_object_get(a, "process"),
			    proc_families[i].key);
			if (!json_is_string(json_object_get(a, "agent")) ||
			    !json_is_integer(v) || json_integer_value(v) < 0)
				continue;
			api_buf_printf(b, "%s{agent=", name);
			label_value(b, json_string_value(json_object_get(a,
			    "agent")));
			api_buf_puts(b, "}");
			proc_value(b, &proc_families[i],
			    (uint64_t)json_integer_value(v));
		}
	}
}

/* One counter per column family: {"sessions": n, ...}. */
static void
per_family(struct api_buf *b, json_t *o, const char *name, const char *help)
{
	const char *k;
	json_t *v;

	if (o == NULL || !json_is_object(o))
		return;
	family(b, name, "counter", help);
	json_object_foreach(o, k, v) {
		api_buf_printf(b, "%s{family=", name);
		label_value(b, k);
		api_buf_printf(b, "} %llu\n", (unsigned long long)
		    json_integer_value(v));
	}
}

static void
agents_part(struct api_buf *b, const json_t *agents)
{
	static const struct {
		const char	*key, *name, *type, *help;
	} t[] = {
		{ "sessions_active", "sessacct_agent_sessions_active", "gauge",
		  "Open sessions of the agent in the aggregator's table." },
		{ "packets_seen", "sessacct_agent_packets_seen_total", "counter",
		  "Packets the agent's capture saw (as last reported)." },
		{ "batches_applied", "sessacct_agent_batches_applied_total",
		  "counter", "Batches from the agent applied." },
		{ "batches_duplicate", "sessacct_agent_batches_duplicate_total",
		  "counter", "Batches from the agent received again and "
		  "ignored." },
		{ "batches_lost", "sessacct_agent_batches_lost_total", "counter",
		  "Batches never received (gaps in the agent's sequence)." },
		{ "batches_dropped_by_agent",
		  "sessacct_agent_batches_dropped_total", "counter",
		  "Batches the agent dropped from its full send buffer." },
		{ "batches_rejected", "sessacct_agent_batches_rejected_total",
		  "counter", "Batches from the agent rejected as invalid." },
		{ "events", "sessacct_agent_events_total", "counter",
		  "Flow events applied from the agent." },
	};
	const json_t *a;
	json_t *v, *r;
	const char *k;
	size_t i, j;
	uint64_t sum, total, ns;
	int have;

	if (!json_is_array(agents))
		return;
	family(b, "sessacct_agent_info", "gauge",
	    "Always 1 per agent; labels give its host.");
	json_array_foreach(agents, i, a) {
		if (!json_is_string(json_object_get(a, "agent")))
			continue;
		api_buf_puts(b, "sessacct_agent_info{agent=");
		label_value(b, json_string_value(json_object_get(a, "agent")));
		api_buf_puts(b, ",host=");
		v = json_object_get(a, "host");
		label_value(b, json_is_string(v) ? json_string_value(v) : "");
		api_buf_puts(b, "} 1\n");
	}
	family(b, "sessacct_agent_up", "gauge",
	    "1 while the agent is heard from, 0 once it is lost.");
	json_array_foreach(agents, i, a) {
		if (!json_is_string(json_object_get(a, "agent")))
			continue;
		api_buf_puts(b, "sessacct_agent_up{agent=");
		label_value(b, json_string_value(json_object_get(a, "agent")));
		api_buf_printf(b, "} %d\n",
		    json_is_true(json_object_get(a, "lost")) ? 0 : 1);
	}
	family(b, "sessacct_agent_last_heard_timestamp_seconds", "gauge",
	    "When the aggregator last received from the agent, Unix time.");
	json_array_foreach(agents, i, a) {
		v = json_object_get(a, "last_heard");
		if (!json_is_string(json_object_get(a, "agent")) ||
		    !json_is_string(v) ||
		    api_time_parse(json_string_value(v), &ns) != 0)
			continue;
		api_buf_puts(b,
		    "sessacct_agent_last_heard_timestamp_seconds{agent=");
		label_value(b, json_string_value(json_object_get(a, "agent")));
		api_buf_printf(b, "} %.3f\n", (double)ns / 1e9);
	}
	for (j = 0; j < sizeof(t) / sizeof(t[0]); j++) {
		family(b, t[j].name, t[j].type, t[j].help);
		json_array_foreach(agents, i, a) {
			if (!json_is_string(json_object_get(a, "agent")))
				continue;
			total = u64(a, t[j].key, &have);
			if (!have)
				continue;
			api_buf_printf(b, "%s{agent=", t[j].name);
			label_value(b, json_string_value(json_object_get(a,
			    "agent")));
			api_buf_printf(b, "} %llu\n", (unsigned long long)total);
		}
	}
	family(b, "sessacct_agent_rejected_total", "counter",
	    "Batches of the agent rejected, by reason (session_share: its new "
	    "sessions refused past aggregator.agent_max_sessions).");
	json_array_foreach(agents, i, a)
		if (json_is_string(json_object_get(a, "agent")))
			rejected_part(b, json_object_get(a, "rejected"),
			    json_string_value(json_object_get(a, "agent")));
	family(b, "sessacct_agent_packets_dropped_total", "counter",
	    "Packets the agent's capture lost, by where (kernel: ring buffer "
	    "full; interface: dropped by the NIC or driver).");
	json_array_foreach(agents, i, a) {
		if (!json_is_string(json_object_get(a, "agent")))
			continue;
		for (j = 0; j < 2; j++) {
			total = u64(a, j ? "interface_drops" : "kernel_drops",
			    &have);
			if (!have)
				continue;
			api_buf_puts(b, "sessacct_agent_packets_dropped_total"
			    "{agent=");
			label_value(b, json_string_value(json_object_get(a,
			    "agent")));
			api_buf_printf(b, ",where=\"%s\"} %llu\n",
			    j ? "interface" : "kernel", (unsigned long long)total);
		}
	}
	family(b, "sessacct_agent_decode_errors_total", "counter",
	    "Packets the agent could not decode, by reason.");
	json_array_foreach(agents, i, a) {
		if (!json_is_string(json_object_get(a, "agent")))
			continue;
		total = u64(a, "decode_errors", &have);
		sum = 0;
		r = json_object_get(a, "decode_reasons");
		if (json_is_object(r))
			json_object_foreach(r, k, v) {
				api_buf_puts(b, "sessacct_agent_decode_errors_total"
				    "{agent=");
				label_value(b, json_string_value(
				    json_object_get(a, "agent")));
				api_buf_puts(b, ",reason=");
				label_value(b, k);
				api_buf_printf(b, "} %llu\n", (unsigned long long)
				    json_integer_value(v));
				sum += (uint64_t)json_integer_value(v);
			}
		if (total > sum) {
			api_buf_puts(b, "sessacct_agent_decode_errors_total"
			    "{agent=");
			label_value(b, json_string_value(json_object_get(a,
			    "agent")));
			api_buf_printf(b, ",reason=\"unspecified\"} %llu\n",
			    (unsigned long long)(total - sum));
		}
	}
}

/*
 * The agents' enrichment counters ("enrichment" of /api/agents, null for
 * an agent without enrichment): one family per counter, agent-labelled,
 * the by-kind and by-reason groups as a label.
 */
static void
enrich_part(struct api_buf *b, const json_t *agents)
{
	static const struct {
		const char	*key, *label, *name, *type, *help;
	} t[] = {
		{ "tracked", NULL, "sessacct_agent_enrich_tracked_total",
		  "counter", "TCP connections the agent's enrichment followed "
		  "from their SYN." },
		{ "enriched", "kind", "sessacct_agent_enrich_sessions_total",
		  "counter", "Connections enriched, by the protocol that "
		  "answered (socks4, socks5, http_connect, http_proxy, http, "
		  "tls)." },
		{ "proxy_header", NULL,
		  "sessacct_agent_enrich_proxy_header_total", "counter",
		  "Connections that began with a PROXY protocol v1/v2 "
		  "header." },
		{ "rejected", NULL, "sessacct_agent_enrich_rejected_total",
		  "counter", "Connections the proxy refused, as the agent "
		  "read it (become rejected_by_acl sessions)." },
		{ "failed", NULL, "sessacct_agent_enrich_failed_total",
		  "counter", "Connections the proxy failed to set up, as the "
		  "agent read it (become failed sessions)." },
		{ "unrecognised", NULL,
		  "sessacct_agent_enrich_unrecognised_total", "counter",
		  "Connections whose first bytes no parser knew." },
		{ "given_up", "reason", "sessacct_agent_enrich_given_up_total",
		  "counter", "Connections whose enrichment ended without a "
		  "complete answer, by reason (gap, budget, cap_full, "
		  "parse_error, timeout, ended)." },
		{ "legs", "outcome", "sessacct_agent_enrich_legs_total",
		  "counter", "Proxy leg links, by rule (bnd, window, name, dns) "
		  "or why not made (ambiguous, unmatched, dropped)." },
		{ "buffering", NULL, "sessacct_agent_enrich_buffering",
		  "gauge", "Connections holding stream buffers now." },
		{ "buffering_peak", NULL,
		  "sessacct_agent_enrich_buffering_peak", "gauge",
		  "Most connections holding stream buffers at once." },
		{ "buffer_bytes", NULL, "sessacct_agent_enrich_buffer_bytes",
		  "gauge", "Bytes of stream buffers held now." },
		{ "buffer_bytes_peak", NULL,
		  "sessacct_agent_enrich_buffer_bytes_peak", "gauge",
		  "Most bytes of stream buffers held at once." },
	};
	const json_t *a, *e;
	json_t *v, *g;
	const char *k;
	size_t i, j;
	int any;

	if (!json_is_array(agents))
		return;
	for (j = 0; j < sizeof(t) / sizeof(t[0]); j++) {
		any = 0;
		json_array_foreach(agents, i, a) {
			e = json_object_get(a, "enrichment");
			if (!json_is_string(json_object_get(a, "agent")) ||
			    !json_is_object(e) ||
			    (v = json_object_get(e, t[j].key)) == NULL)
				continue;
			if (!any)
				family(b, t[j].name, t[j].type, t[j].help);
			any = 1;
			if (t[j].label == NULL) {
				if (!json_is_integer(v))
					continue;
				api_buf_printf(b, "%s{agent=", t[j].name);
				label_value(b, json_string_value(
				    json_object_get(a, "agent")));
				api_buf_printf(b, "} %llu\n", (unsigned long long)
				    json_integer_value(v));
				continue;
			}
			if (!json_is_object(v))
				continue;
			json_object_foreach(v, k, g) {
				if (!json_is_integer(g))
					continue;
				api_buf_printf(b, "%s{agent=", t[j].name);
				label_value(b, json_string_value(
				    json_object_get(a, "agent")));
				api_buf_printf(b, ",%s=", t[j].label);
				label_value(b, k);
				api_buf_printf(b, "} %llu\n", (unsigned long long)
				    json_integer_value(g));
			}
		}
	}
}

/* A plain sample from o[key], with its family lines; nothing if absent. */
static void
simple(struct api_buf *b, const json_t *o, const char *key,
    const char *name, const char *type, const char *help)
{
	int have;
	uint64_t v = u64(o, key, &have);

	if (!have)
		return;
	family(b, name, type, help);
	api_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* {"le":[..., "+Inf"], "counts":[cumulative], "sum_secs", "count"} */
static void
histogram(struct api_buf *b, const json_t *h, const char *name,
    const char *help)
{
	const json_t *le = json_object_get(h, "le"),
	    *counts = json_object_get(h, "counts"), *v;
	size_t i;
	int have;

	if (!json_is_array(le) || !json_is_array(counts) ||
	    json_array_size(le) != json_array_size(counts) ||
	    json_array_size(le) == 0)
		return;
	family(b, name, "histogram", help);
	for (i = 0; i < json_array_size(le); i++) {
		v = json_array_get(le, i);
		if (json_is_number(v))
			api_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
			    json_number_value(v), (unsigned long long)
			    json_integer_value(json_array_get(counts, i)));
		else
			api_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
			    (unsigned long long)json_integer_value(
			    json_array_get(counts, i)));
	}
	v = json_object_get(h, "sum_secs");
	api_buf_printf(b, "%s_sum %.9f\n", name, json_is_number(v) ?
	    json_number_value(v) : 0.0);
	api_buf_printf(b, "%s_count %llu\n", name, (unsigned long long)
	    u64(h, "count", &have));
}

static void
family(struct api_buf *b, const char *name, const char *type,
    const char *help)
{
	/* HELP text escapes backslash and newline; ours have neither. */
	api_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
label_value(struct api_buf *b, const char *v)
{
	const char *p, *run = v;

	api_buf_add(b, "\"", 1);
	for (p = v; *p != '\0'; p++) {
		if (*p != '\\' && *p != '"' && *p != '\n')
			continue;
		api_buf_add(b, run, (size_t)(p - run));
		api_buf_add(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" :
		    "\\n", 2);
		run = p + 1;
	}
	api_buf_add(b, run, (size_t)(p - run));
	api_buf_add(b, "\"", 1);
}

static uint64_t
u64(const json_t *o, const char *key, int *have)
{
	const json_t *v = json_object_get(o, key);

	*have = json_is_integer(v) && json_integer_value(v) >= 0;
	return *have ? (uint64_t)json_integer_value(v) : 0;
}

/* Most bytes first, then most sessions, then by name. */
static int
cmp_user(const void *a, const void *b)
{
	const struct user_row *x = a, *y = b;
	uint64_t bx = x->sent + x->received, by = y->sent + y->received;

	if (bx != by)
		return bx > by ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The aggregator's export to NATS JetStream (docs/SCALING.md). */
static void
export_part(struct api_buf *b, const json_t *x)
{
	static const struct {
		const char	*key, *name, *type, *help;
	} t[] = {
		{ "lag_sessions", "sessacct_aggregator_export_lag_sessions",
		  "gauge", "Closed sessions written but not yet acknowledged "
		  "by JetStream." },
		{ "lag_seconds", "sessacct_aggregator_export_lag_seconds",
		  "gauge", "Age of the oldest session not yet exported, "
		  "seconds (0 when caught up)." },
		{ "published", "sessacct_aggregator_export_published_total",
		  "counter", "Sessions published (repeats included)." },
		{ "acks", "sessacct_aggregator_export_acks_total", "counter",
		  "Publishes JetStream acknowledged." },
		{ "duplicates", "sessacct_aggregator_export_duplicates_total",
		  "counter", "Acks saying the stream dropped a repeat "
		  "(Nats-Msg-Id seen within its duplicate window)." },
		{ "publish_errors",
		  "sessacct_aggregator_export_publish_errors_total", "counter",
		  "Publishes that failed or were refused." },
		{ "rounds_failed",
		  "sessacct_aggregator_export_rounds_failed_total", "counter",
		  "Export rounds published again (an ack missing)." },
		{ "expired_unexported",
		  "sessacct_aggregator_export_expired_unexported_total",
		  "counter", "Sessions that expired (store.retention_days) "
		  "before they were exported." },
	};
	size_t i;

	if (!json_is_object(x) || !json_is_true(json_object_get(x,
	    "enabled")))
		return;
	family(b, "sessacct_aggregator_export_up", "gauge", "1 if the "
	    "exporter is publishing, 0 while it connects or retries.");
	api_buf_printf(b, "sessacct_aggregator_export_up %d\n",
	    json_is_string(json_object_get(x, "state")) && strcmp(
	    json_string_value(json_object_get(x, "state")), "exporting") == 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(t[i].key, "lag_seconds") == 0) {
			family(b, t[i].name, t[i].type, t[i].help);
			api_buf_printf(b, "%s %.3f\n", t[i].name, json_number_value(
			    json_object_get(x, "lag_seconds")));
		} else
			simple(b, x, t[i].key, t[i].name, t[i].type, t[i].help);
	}
}

/* The aggregator's transport security (docs/SECURITY.md). */
static void
security_part(struct api_buf *b, const json_t *sec)
{
	static const struct {
		const char	*key, *name, *help;
	} t[] = {
		{ "unauthorized_messages",
		  "sessacct_aggregator_unauthorized_messages_total",
		  "Agent messages dropped: their key left the allow-list "
		  "after the handshake." },
		{ "unauthorized_queries",
		  "sessacct_aggregator_unauthorized_queries_total",
		  "Queries dropped: their key left the allow-list after the "
		  "handshake." },
		{ "agent_id_denied", "sessacct_aggregator_agent_id_denied_total",
		  "Batches rejected: their key does not name their agent "
		  "id." },
	};
	static const char *const hs[4][2] = {
		{ "handshakes_allowed_ingest", "ingest\",result=\"allowed" },
		{ "handshakes_denied_ingest", "ingest\",result=\"denied" },
		{ "handshakes_allowed_query", "query\",result=\"allowed" },
		{ "handshakes_denied_query", "query\",result=\"denied" },
	};
	json_t *by;
	const char *id;
	json_t *v;
	size_t i;
	int have;

	if (!json_is_object(sec))
		return;
	family(b, "sessacct_aggregator_curve", "gauge", "1 if the "
	    "aggregator's sockets use CurveZMQ.");
	api_buf_printf(b, "sessacct_aggregator_curve %d\n",
	    json_is_true(json_object_get(sec, "curve")));
	family(b, "sessacct_aggregator_insecure_transport", "gauge", "1 if "
	    "the aggregator listens beyond loopback without CURVE "
	    "(aggregator.allow_insecure).");
	api_buf_printf(b, "sessacct_aggregator_insecure_transport %d\n",
	    json_is_true(json_object_get(sec, "insecure")));
	if (!json_is_true(json_object_get(sec, "curve")))
		return;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		simple(b, sec, t[i].key, t[i].name, "counter", t[i].help);
	family(b, "sessacct_aggregator_curve_handshakes_total", "counter",
	    "CURVE handshakes by socket and ZAP verdict.");
	for (i = 0; i < 4; i++)
		api_buf_printf(b, "sessacct_aggregator_curve_handshakes_total"
		    "{socket=\"%s\"} %llu\n", hs[i][1], (unsigned long long)
		    u64(sec, hs[i][0], &have));
	by = json_object_get(sec, "agent_id_denied_by_agent");
	if (!json_is_object(by) || json_object_size(by) == 0)
		return;
	family(b, "sessacct_aggregator_agent_id_denied_by_agent_total",
	    "counter", "Batches rejected because their key does not name "
	    "their agent id, by the agent id they named.");
	json_object_foreach(by, id, v) {
		api_buf_printf(b, "sessacct_aggregator_agent_id_denied_by_agent"
		    "_total{agent=");
		label_value(b, id);
		api_buf_printf(b, "} %llu\n", (unsigned long long)
		    json_integer_value(v));
	}
}
