/*
 * agg_query: one function per query kind. Parameters arrive as strings
 * (times as nanoseconds since the epoch, sessacct-api converts RFC 3339);
 * each is parsed strictly and an unknown one is an error, so a typo in a
 * filter never silently widens a result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../common/parse.h"
#include "../common/proc_stat.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "agg_json.h"
#include "agg_query.h"

#define NS	1000000000ULL
#define TOP_N	10

static int
error_body(char **body, int status, const char *err, const char *detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(err));
	json_object_set_new(o, "detail", json_string(detail));
	*body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return status;
}

static int
ok_body(char **body, json_t *o)
{
	/* 15 significant digits: durations keep their nanoseconds up to
	 * 11 days without binary noise (0.128179, not 0.12817899999999999). */
	*body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(15));
	json_decref(o);
	return 200;
}

/* Every parameter must be one of allowed (NULL-terminated). */
static const char *
unknown_param(const struct proto_query *q, const char *const *allowed)
{
	uint32_t i;
	int j, ok;

	for (i = 0; i < q->nparams; i++) {
		for (ok = 0, j = 0; allowed[j] != NULL; j++)
			if (strcmp(q->params[i].key, allowed[j]) == 0)
				ok = 1;
		if (!ok)
			return q->params[i].key;
	}
	return NULL;
}

static int
get_u64(const struct proto_query *q, const char *key, uint64_t min,
    uint64_t max, uint64_t *out, char *detail, size_t dlen)
{
	const char *v = proto_query_get(q, key);

	if (v == NULL)
		return 0;
	if (sa_parse_u64(v, min, max, out) != 0) {
		snprintf(detail, dlen, "%s: '%.64s' is not a whole number in "
		    "[%llu, %llu]", key, v, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	return 1;
}

static int
get_ip(const struct proto_query *q, const char *key, uint8_t *af,
    uint8_t *ip, char *detail, size_t dlen)
{
	const char *v = proto_query_get(q, key);

	if (v == NULL)
		return 0;
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, v, ip) == 1)
		*af = 4;
	else if (inet_pton(AF_INET6, v, ip) == 1)
		*af = 6;
	else {
		snprintf(detail, dlen, "%s: '%.64s' is not an IP address", key,
		    v);
		return -1;
	}
	return 1;
}

static int
get_protocol(const struct proto_query *q, uint8_t *proto, char *detail,
    size_t dlen)
{
	const char *v = proto_query_get(q, "protocol");

	if (v == NULL)
		return 0;
	if (strcmp(v, "tcp") == 0)
		*proto = 6;
	else if (strcmp(v, "udp") == 0)
		*proto = 17;
	else {
		snprintf(detail, dlen, "protocol: '%.64s' is not tcp or udp", v);
		return -1;
	}
	return 1;
}

static int
get_status(const struct proto_query *q, int *status, char *detail,
    size_t dlen)
{
	const char *v = proto_query_get(q, "status");
	int s;

	if (v == NULL)
		return 0;
	for (s = SESS_CLOSED; s < SESS_STATUS_MAX; s++)
		if (strcmp(v, sess_status_name((enum sess_status)s)) == 0) {
			*status = s;
			return 1;
		}
	snprintf(detail, dlen, "status: '%.64s' is not closed, failed or "
	    "rejected_by_acl", v);
	return -1;
}

/* ---- active ---------------------------------------------------------- */

struct active_arg {
	const char	*user, *target, *origin, *agent;
	uint8_t		 dest_af, dest_ip[16], protocol;
	uint64_t	 limit, total;
	json_t		*arr;
};

static void
active_cb(void *arg, const struct store_session *ss)
{
	struct active_arg *a = arg;
	const struct sess_rec *r = &ss->rec;
	char cli[46];

	if (a->agent != NULL && strcmp(a->agent, ss->agent) != 0)
		return;
	if (a->protocol != 0 && r->proto != a->protocol)
		return;
	if (a->dest_af != 0 && (r->af != a->dest_af ||
	    memcmp(r->srv, a->dest_ip, 16) != 0))
		return;
	if (a->target != NULL && !store_target_match(a->target, ss->target))
		return;
	if (a->origin != NULL && strcmp(a->origin, ss->origin) != 0)
		return;
	if (a->user != NULL) {
		const char *u = ss->user;

		if (u[0] == '\0') {
			sess_json_addr(r->af, r->cli, cli);
			u = cli;
		}
		if (strcmp(a->user, u) != 0)
			return;
	}
	a->total++;
	if (json_array_size(a->arr) < a->limit)
		json_array_append_new(a->arr, agg_json_session(ss));
}

static int
q_active(const struct agg_query_ctx *x, const struct proto_query *q,
    char **body)
{
	static const char *const allowed[] = { "user", "dest_ip", "target",
	    "origin", "agent", "protocol", "limit", NULL };
	struct active_arg a;
	char detail[256];
	const char *bad;
	json_t *o;

	memset(&a, 0, sizeof(a));
	a.limit = 100;
	if ((bad = unknown_param(q, allowed)) != NULL)
		return error_body(body, 400, "unknown parameter", bad);
	if (get_u64(q, "limit", 1, x->max_limit, &a.limit, detail,
	    sizeof(detail)) < 0 || get_ip(q, "dest_ip", &a.dest_af, a.dest_ip,
	    detail, sizeof(detail)) < 0 || get_protocol(q, &a.protocol,
	    detail, sizeof(detail)) < 0)
		return error_body(body, 400, "bad parameter", detail);
	a.user = proto_query_get(q, "user");
	a.target = proto_query_get(q, "target");
	a.origin = proto_query_get(q, "origin");
	a.agent = proto_query_get(q, "agent");
	a.arr = json_array();
	agg_core_foreach_active(x->core, active_cb, &a);
	o = json_object();
	json_object_set_new(o, "sessions", a.arr);
	json_object_set_new(o, "total", json_integer((json_int_t)a.total));
	return ok_body(body, o);
}

/* ---- history --------------------------------------------------------- */

/* A history page being built: its sessions and, when asked, the
 * cursor after each of them (row is where the store writes it). */
struct history_arg {
	json_t	*arr;
	json_t	*cursors;		/* NULL: not asked */
	char	 row[STORE_CURSOR_MAX];
};

static void
history_cb(void *arg, const struct store_session *ss)
{
	struct history_arg *h = arg;

	json_array_append_new(h->arr, agg_json_session(ss));
	if (h->cursors != NULL)
		json_array_append_new(h->cursors, json_string(h->row));
}

static int
q_history(const struct agg_query_ctx *x, const struct proto_query *q,
    char **body)
{
	static const char *const allowed[] = { "user", "status",
	    "start_after", "start_before", "dest_ip", "target", "origin",
	    "source_ip", "protocol", "min_duration_ns", "min_bytes", "limit",
	    "cursor", "agent", "row_cursors", NULL };
	struct store_filter f;
	struct history_arg h;
	uint32_t damaged = 0;
	char detail[256], next[STORE_CURSOR_MAX];
	const char *bad, *rcs;
	uint64_t limit = 100;
	json_t *o;
	int rc;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if ((bad = unknown_param(q, allowed)) != NULL)
		return error_body(body, 400, "unknown parameter", bad);
	if (get_u64(q, "limit", 1, x->max_limit, &limit, detail,
	    sizeof(detail)) < 0 ||
	    get_u64(q, "start_after", 0, UINT64_MAX, &f.start_after_ns, detail,
	    sizeof(detail)) < 0 ||
	    get_u64(q, "start_before", 0, UINT64_MAX, &f.start_before_ns,
	    detail, sizeof(detail)) < 0 ||
	    get_u64(q, "min_duration_ns", 0, UINT64_MAX, &f.min_duration_ns,
	    detail, sizeof(detail)) < 0 ||
	    get_u64(q, "min_bytes", 0, UINT64_MAX, &f.min_bytes, detail,
	    sizeof(detail)) < 0 ||
	    get_ip(q, "dest_ip", &f.dest_af, f.dest_ip, detail,
	    sizeof(detail)) < 0 ||
	    get_ip(q, "source_ip", &f.source_af, f.source_ip, detail,
	    sizeof(detail)) < 0 ||
	    get_protocol(q, &f.protocol, detail, sizeof(detail)) < 0 ||
	    get_status(q, &f.status, detail, sizeof(detail)) < 0)
		return error_body(body, 400, "bad parameter", detail);
	f.limit = (uint32_t)limit;
	f.user = proto_query_get(q, "user");
	f.target = proto_query_get(q, "target");
	f.origin = proto_query_get(q, "origin");
	f.agent = proto_query_get(q, "agent");
	f.cursor = proto_query_get(q, "cursor");
	/* row_cursors=1: the cursor after each row too (docs/PROTOCOL.md),
	 * for an API merging several aggregators' pages. */
	rcs = proto_query_get(q, "row_cursors");
	if (rcs != NULL && strcmp(rcs, "0") != 0 && strcmp(rcs, "1") != 0)
		return error_body(body, 400, "bad parameter",
		    "row_cursors: 0 or 1");
	memset(&h, 0, sizeof(h));
	h.arr = json_array();
	if (rcs != NULL && strcmp(rcs, "1") == 0) {
		h.cursors = json_array();
		f.row_cursor = h.row;
	}
	next[0] = '\0';
	f.damaged = &damaged;
	rc = store_history(x->store, &f, history_cb, &h, next);
	if (rc != 0) {
		json_decref(h.arr);
		json_decref(h.cursors);
		if (rc == -EINVAL)
			return error_body(body, 400, "bad parameter",
			    "cursor: not a cursor from this server");
		return error_body(body, 500, "store error", "history");
	}
	o = json_object();
	json_object_set_new(o, "sessions", h.arr);
	if (h.cursors != NULL)
		json_object_set_new(o, "row_cursors", h.cursors);
	json_object_set_new(o, "next_cursor", next[0] != '\0' ?
	    json_string(next) : json_null());
	/* Only when it happened: the page lacks what damaged blocks held. */
	if (damaged != 0)
		json_object_set_new(o, "damaged", json_integer(damaged));
	return ok_body(body, o);
}

/* ---- one session ------------------------------------------------------ */

struct find_arg {
	const char		*id;
	struct store_session	*found;
	int			 hit;
};

static void
find_cb(void *arg, const struct store_session *ss)
{
	struct find_arg *f = arg;
	char id[33];

	snprintf(id, sizeof(id), "%016llx%016llx",
	    (unsigned long long)ss->rec.key_hash,
	    (unsigned long long)ss->rec.start_ns);
	if (!f->hit && strcmp(id, f->id) == 0) {
		*f->found = *ss;
		f->hit = 1;
	}
}

static int
q_session(const struct agg_query_ctx *x, const struct proto_query *q,
    char **body)
{
	static const char *const allowed[] = { "id", NULL };
	struct store_session *ss = xmalloc(sizeof(*ss));
	struct find_arg fa;
	const char *bad, *id = proto_query_get(q, "id");
	size_t i;
	int rc;

	if ((bad = unknown_param(q, allowed)) != NULL || id == NULL) {
		free(ss);
		return error_body(body, 400, bad ? "unknown parameter" :
		    "missing parameter", bad ? bad : "id");
	}
	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			break;
	if (i != 32 || id[i] != '\0') {
		free(ss);
		return error_body(body, 400, "bad parameter",
		    "id: a session id is 32 lowercase hex digits");
	}
	fa.id = id;
	fa.found = ss;
	fa.hit = 0;
	agg_core_foreach_active(x->core, find_cb, &fa);
	rc = fa.hit ? 0 : store_get_session(x->store, id, ss);
	if (rc == -ENOENT) {
		free(ss);
		return error_body(body, 404, "not found", id);
	}
	if (rc != 0) {
		free(ss);
		return error_body(body, 500, "store error", "session");
	}
	rc = ok_body(body, agg_json_session(ss));
	free(ss);
	return rc;
}

/* ---- stats ------------------------------------------------------------ */

static void
count_active(void *arg, const struct store_session *ss)
{
	(void)ss;
	(*(uint64_t *)arg)++;
}

/* A top list of stats: [{name_key: name, sessions, bytes}, ...]. */
static json_t *
top_json(const struct store_top *t, size_t n, const char *name_key)
{
	json_t *arr = json_array();
	char name[SESS_JSON_UTF8_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *e = json_object();

		/* Names come from agents: bytes that are not UTF-8 read as
		 * U+FFFD, as in history and the metrics' labels (jansson
		 * refuses such a string and the entry would lose its name). */
		sess_json_utf8(t[i].name, name, sizeof(name));
		json_object_set_new(e, name_key, json_string(name));
		json_object_set_new(e, "sessions", json_integer((json_int_t)
		    t[i].sessions));
		json_object_set_new(e, "bytes", json_integer((json_int_t)
		    t[i].bytes));
		json_array_append_new(arr, e);
	}
	return arr;
}

static int
q_stats(const struct agg_query_ctx *x, const struct proto_query *q,
    uint64_t now, char **body)
{
	static const char *const allowed[] = { "window_hours", NULL };
	struct store_top users[TOP_N], dests[TOP_N];
	struct store_counts tot;
	size_t nu = 0, nd = 0;
	uint64_t hours = 24, active = 0;
	char detail[256];
	const char *bad;
	json_t *o;

	if ((bad = unknown_param(q, allowed)) != NULL)
		return error_body(body, 400, "unknown parameter", bad);
	if (get_u64(q, "window_hours", 1, (uint64_t)x->retention_days * 24,
	    &hours, detail, sizeof(detail)) < 0)
		return error_body(body, 400, "bad parameter", detail);
	memset(&tot, 0, sizeof(tot));
	/* A window longer than the clock is old starts at the epoch. */
	if (store_rollup_sum(x->store, hours * 3600 * NS >= now ? 0 :
	    now - hours * 3600 * NS, now + 60 * NS,
	    &tot, users, &nu, dests, &nd, TOP_N) != 0)
		return error_body(body, 500, "store error", "rollups");
	agg_core_foreach_active(x->core, count_active, &active);
	o = json_object();
	json_object_set_new(o, "window_hours", json_integer((json_int_t)hours));
	json_object_set_new(o, "active_sessions", json_integer((json_int_t)
	    active));
	json_object_set_new(o, "total_sessions", json_integer((json_int_t)
	    tot.sessions));
	json_object_set_new(o, "total_bytes_sent", json_integer((json_int_t)
	    tot.bytes_sent));
	json_object_set_new(o, "total_bytes_received", json_integer(
	    (json_int_t)tot.bytes_received));
	json_object_set_new(o, "top_users", top_json(users, nu, "user"));
	json_object_set_new(o, "top_destinations", top_json(dests, nd,
	    "dest"));
	json_object_set_new(o, "failed_sessions", json_integer((json_int_t)
	    tot.failed));
	json_object_set_new(o, "rejected_sessions", json_integer((json_int_t)
	    tot.rejected));
	return ok_body(body, o);
}

/* ---- agents, metrics, backup --------------------------------------------- */

/*
 * The agent's enrichment counters as it last sent them, null if it sends
 * none: "group.key" names ("enriched.socks5") nest as {"enriched":
 * {"socks5": n}}, like the agent's --stats-json.
 */
static json_t *
enrichment_json(const struct proto_capstats *st)
{
	json_t *o, *g;
	const char *name, *dot;
	char group[sizeof(st->enrich[0].name)];
	uint32_t k;

	if (st->nenrich == 0)
		return json_null();
	o = json_object();
	for (k = 0; k < st->nenrich; k++) {
		name = st->enrich[k].name;
		if ((dot = strchr(name, '.')) == NULL) {
			json_object_set_new(o, name, json_integer((json_int_t)
			    st->enrich[k].count));
			continue;
		}
		snprintf(group, sizeof(group), "%.*s", (int)(dot - name),
		    name);
		if (!json_is_object(g = json_object_get(o, group))) {
			g = json_object();
			json_object_set_new(o, group, g);
		}
		json_object_set_new(g, dot + 1, json_integer((json_int_t)
		    st->enrich[k].count));
	}
	return o;
}

/*
 * An agent's own resources as it last sent them (the stats' 8th element:
 * "resident_memory_bytes", "cpu_ns", ...), null if it sends none (an
 * older agent). A value past JSON's integers (max_fds unlimited) is
 * left out.
 */
static json_t *
agent_process_json(const struct proto_capstats *st)
{
	json_t *o;
	uint32_t k;

	if (st->nprocess == 0)
		return json_null();
	o = json_object();
	for (k = 0; k < st->nprocess; k++)
		if (st->process[k].count <= (uint64_t)INT64_MAX)
			json_object_set_new(o, st->process[k].name,
			    json_integer((json_int_t)st->process[k].count));
	return o;
}

/*
 * The aggregator's own resources, read from /proc/self at each metrics
 * query, with the agents' names plus start_ns; null if unreadable.
 */
static json_t *
self_process_json(void)
{
	struct proc_stat ps;
	json_t *o;

	if (proc_stat_read(0, &ps) != 0)
		return json_null();
	o = json_object();
	json_object_set_new(o, "resident_memory_bytes", json_integer(
	    (json_int_t)ps.resident_bytes));
	json_object_set_new(o, "virtual_memory_bytes", json_integer(
	    (json_int_t)ps.virtual_bytes));
	json_object_set_new(o, "cpu_ns", json_integer((json_int_t)ps.cpu_ns));
	json_object_set_new(o, "open_fds", json_integer((json_int_t)
	    ps.open_fds));
	if (ps.max_fds <= (uint64_t)INT64_MAX)
		json_object_set_new(o, "max_fds", json_integer((json_int_t)
		    ps.max_fds));
	json_object_set_new(o, "threads", json_integer((json_int_t)
	    ps.threads));
	if (ps.start_ns != 0)
		json_object_set_new(o, "start_ns", json_integer((json_int_t)
		    ps.start_ns));
	return o;
}

/* {reason: count} of every reason (enum agg_reject), zeros included. */
static json_t *
reject_json(const uint64_t *n)
{
	json_t *o = json_object();
	int r;

	for (r = 0; r < AGG_REJ_MAX; r++)
		json_object_set_new(o, agg_reject_name((enum agg_reject)r),
		    json_integer((json_int_t)n[r]));
	return o;
}

static int
q_agents(const struct agg_query_ctx *x, char **body)
{
	size_t max = agg_core_agent_count(x->core) + 1;
	struct agg_agent_info *ag = xcalloc(max, sizeof(*ag));
	size_t n = agg_core_agents(x->core, ag, max), i;
	json_t *arr = json_array(), *o;
	uint32_t k;

	for (i = 0; i < n; i++) {
		json_t *a = json_object(), *reasons = json_object();

		json_object_set_new(a, "agent", json_string(ag[i].id));
		json_object_set_new(a, "host", json_string(ag[i].host));
		json_object_set_new(a, "boot_id", json_integer((json_int_t)
		    (ag[i].boot_id >> 1)));
		json_object_set_new(a, "last_heard", ag[i].last_heard_ns ?
		    agg_json_time(ag[i].last_heard_ns) : json_null());
		json_object_set_new(a, "lost", json_boolean(ag[i].lost));
		json_object_set_new(a, "sessions_active", json_integer(
		    (json_int_t)ag[i].sessions_active));
		json_object_set_new(a, "packets_seen", json_integer((json_int_t)
		    ag[i].stats.packets));
		json_object_set_new(a, "kernel_drops", json_integer((json_int_t)
		    ag[i].stats.kernel_drops));
		json_object_set_new(a, "interface_drops", json_integer(
		    (json_int_t)ag[i].stats.if_drops));
		json_object_set_new(a, "decode_errors", json_integer((json_int_t)
		    ag[i].stats.decode_errors));
		for (k = 0; k < ag[i].stats.nreasons; k++)
			json_object_set_new(reasons, ag[i].stats.reasons[k].name,
			    json_integer((json_int_t)
			    ag[i].stats.reasons[k].count));
		json_object_set_new(a, "decode_reasons", reasons);
		json_object_set_new(a, "enrichment",
		    enrichment_json(&ag[i].stats));
		json_object_set_new(a, "process",
		    agent_process_json(&ag[i].stats));
		json_object_set_new(a, "batches_applied", json_integer(
		    (json_int_t)ag[i].batches));
		json_object_set_new(a, "batches_duplicate", json_integer(
		    (json_int_t)ag[i].duplicates));
		json_object_set_new(a, "batches_lost", json_integer((json_int_t)
		    ag[i].gaps));
		json_object_set_new(a, "batches_dropped_by_agent", json_integer(
		    (json_int_t)ag[i].stats.batches_dropped));
		json_object_set_new(a, "batches_rejected", json_integer(
		    (json_int_t)ag[i].rejected));
		json_object_set_new(a, "rejected", reject_json(
		    ag[i].rejected_by));
		json_object_set_new(a, "events", json_integer((json_int_t)
		    ag[i].events));
		json_object_set_new(a, "watermark", json_integer((json_int_t)
		    ag[i].durable));
		json_array_append_new(arr, a);
	}
	free(ag);
	o = json_object();
	json_object_set_new(o, "agents", arr);
	return ok_body(body, o);
}

/* {"le": [...], "counts": [cumulative], "sum_secs", "count"} */
static json_t *
histogram(const double *le, const uint64_t *counts, int n, double sum_secs)
{
	json_t *h = json_object(), *l = json_array(), *c = json_array();
	uint64_t cum = 0;
	int i;

	for (i = 0; i < n; i++) {
		cum += counts[i];
		json_array_append_new(l, i == n - 1 ? json_string("+Inf") :
		    json_real(le[i]));
		json_array_append_new(c, json_integer((json_int_t)cum));
	}
	json_object_set_new(h, "le", l);
	json_object_set_new(h, "counts", c);
	json_object_set_new(h, "sum_secs", json_real(sum_secs));
	json_object_set_new(h, "count", json_integer((json_int_t)cum));
	return h;
}

static json_t *
user_json(const struct agg_user *u, const char *name)
{
	json_t *o = json_object();

	json_object_set_new(o, "user", json_string(name));
	json_object_set_new(o, "sessions", json_integer((json_int_t)
	    u->sessions));
	json_object_set_new(o, "bytes_sent", json_integer((json_int_t)
	    u->bytes_sent));
	json_object_set_new(o, "bytes_received", json_integer((json_int_t)
	    u->bytes_received));
	return o;
}

/* name NULL: "other", without the name (it is the key). */
static json_t *
dest_json(const struct agg_dest *d)
{
	json_t *o = json_object();

	if (d->name != NULL)
		json_object_set_new(o, "destination", json_string(d->name));
	json_object_set_new(o, "sessions", json_integer((json_int_t)
	    d->sessions));
	json_object_set_new(o, "bytes_sent", json_integer((json_int_t)
	    d->bytes_sent));
	json_object_set_new(o, "bytes_received", json_integer((json_int_t)
	    d->bytes_received));
	return o;
}

#define SET_U(o, k, v) json_object_set_new((o), (k), \
	json_integer((json_int_t)(v)))

static int
q_metrics(const struct agg_query_ctx *x, uint64_t now, char **body)
{
	struct agg_core_stats cs;
	struct sess_table_stats ts;
	struct store_stats ss;
	const struct agg_user *users;
	const struct agg_dest *dests;
	json_t *o = json_object(), *closed = json_object(), *st, *ua, *other;
	json_t *cr, *fr, *da;
	size_t nu, nd, i;

	agg_core_get_stats(x->core, &cs, &ts);
	store_get_stats(x->store, &ss);
	SET_U(o, "uptime_secs", (now - x->started_ns) / NS);
	json_object_set_new(o, "process", self_process_json());
	SET_U(o, "messages", cs.messages);
	SET_U(o, "invalid_messages", cs.invalid);
	SET_U(o, "too_large", cs.too_large);
	SET_U(o, "bad_version", cs.bad_version);
	SET_U(o, "agents_full", cs.agents_full);
	SET_U(o, "events_applied", cs.events_applied);
	SET_U(o, "commits", cs.commits);
	SET_U(o, "checkpoints", cs.checkpoints);
	SET_U(o, "commit_errors", cs.commit_errors);
	SET_U(o, "agents_lost", cs.agents_lost);
	SET_U(o, "agents_forgotten", cs.agents_forgotten);
	json_object_set_new(o, "rejected", reject_json(cs.rejected));
	SET_U(o, "late_events", cs.late_events);
	SET_U(o, "amends", cs.amends);
	SET_U(o, "amend_orphans", cs.amend_orphans);
	json_object_set_new(o, "store_write_latency", histogram(agg_latency_le,
	    cs.commit_latency_buckets, AGG_LATENCY_BUCKETS,
	    (double)cs.commit_latency_sum_ns / 1e9));
	SET_U(o, "sessions_active", ts.active);
	SET_U(o, "sessions_created", ts.created);
	for (i = 1; i < SESS_CLOSE_MAX; i++)
		SET_U(closed, sess_close_name((enum sess_close)i), ts.closed[i]);
	json_object_set_new(o, "sessions_closed", closed);
	st = json_object();
	for (i = SESS_CLOSED; i < SESS_STATUS_MAX; i++)
		SET_U(st, sess_status_name((enum sess_status)i), ts.status[i]);
	json_object_set_new(o, "sessions_by_status", st);
	json_object_set_new(o, "session_duration", histogram(agg_duration_le,
	    cs.duration_buckets, AGG_DURATION_BUCKETS,
	    (double)cs.duration_sum_ns / 1e9));
	SET_U(o, "bytes_sent", cs.bytes[0]);
	SET_U(o, "bytes_received", cs.bytes[1]);
	SET_U(o, "packets_sent", cs.packets[0]);
	SET_U(o, "packets_received", cs.packets[1]);
	SET_U(o, "wire_bytes_sent", cs.wire_bytes[0]);
	SET_U(o, "wire_bytes_received", cs.wire_bytes[1]);
	users = agg_core_users(x->core, &nu);
	ua = json_array();
	for (i = 0; i < nu; i++)
		json_array_append_new(ua, user_json(&users[i], users[i].name));
	json_object_set_new(o, "users", ua);
	other = user_json(&cs.users_other, "other");
	json_object_del(other, "user");
	json_object_set_new(o, "users_other", other);
	dests = agg_core_dests(x->core, &nd);
	da = json_array();
	for (i = 0; i < nd; i++)
		json_array_append_new(da, dest_json(&dests[i]));
	json_object_set_new(o, "destinations", da);
	json_object_set_new(o, "destinations_other", dest_json(
	    &cs.dests_other));
	SET_U(o, "table_evictions", ts.closed[SESS_CLOSE_EVICTED]);
	SET_U(o, "table_size", ts.active);
	SET_U(o, "table_capacity", agg_core_capacity(x->core));
	SET_U(o, "store_sessions_written", ss.sessions_written);
	SET_U(o, "store_quarantined", ss.quarantined);
	cr = json_object();
	fr = json_object();
	for (i = 0; i < STORE_FAMILIES; i++) {
		SET_U(cr, store_family_name(i), ss.corrupt_reads[i]);
		SET_U(fr, store_family_name(i), ss.families_reset[i]);
	}
	json_object_set_new(o, "store_corrupt_reads", cr);
	json_object_set_new(o, "store_families_reset", fr);
	SET_U(o, "store_memtable_bytes", ss.mem_memtables);
	SET_U(o, "store_block_cache_bytes", ss.mem_block_cache);
	SET_U(o, "store_table_reader_bytes", ss.mem_table_readers);
	json_object_set_new(o, "export", agg_export_json(x->export));
	if (x->security != NULL)
		json_object_set_new(o, "security", x->security(
		    x->security_arg, 1));
	return ok_body(body, o);
}

/* ---- timeseries ---------------------------------------------------------- */

static void
series_cb(void *arg, uint64_t bucket_ns, const struct store_counts *c)
{
	json_t *p = json_object();

	json_object_set_new(p, "t", agg_json_time(bucket_ns));
	SET_U(p, "sessions", c->sessions);
	SET_U(p, "bytes_sent", c->bytes_sent);
	SET_U(p, "bytes_received", c->bytes_received);
	SET_U(p, "packets_sent", c->packets_sent);
	SET_U(p, "packets_received", c->packets_received);
	SET_U(p, "failed", c->failed);
	SET_U(p, "rejected", c->rejected);
	json_array_append_new((json_t *)arg, p);
}

static int
q_timeseries(const struct agg_query_ctx *x, const struct proto_query *q,
    uint64_t now, char **body)
{
	static const char *const allowed[] = { "from", "to", "step", NULL };
	uint64_t from = now - 24 * 3600 * NS, to = now, step = 300 * NS;
	char detail[256];
	const char *bad;
	json_t *arr, *o;

	if ((bad = unknown_param(q, allowed)) != NULL)
		return error_body(body, 400, "unknown parameter", bad);
	if (get_u64(q, "from", 0, UINT64_MAX, &from, detail,
	    sizeof(detail)) < 0 || get_u64(q, "to", 0, UINT64_MAX, &to,
	    detail, sizeof(detail)) < 0 || get_u64(q, "step", 60 * NS,
	    UINT64_MAX, &step, detail, sizeof(detail)) < 0)
		return error_body(body, 400, "bad parameter", detail);
	if (to <= from || (to - from) / step > 10000)
		return error_body(body, 400, "bad parameter",
		    "step: from < to and at most 10000 points");
	if (x->retention_days > 0 && (uint64_t)x->retention_days * 86400 * NS <
	    now && from < now - (uint64_t)x->retention_days * 86400 * NS) {
		snprintf(detail, sizeof(detail), "from: older than the "
		    "retention of %u days", x->retention_days);
		return error_body(body, 400, "bad parameter", detail);
	}
	arr = json_array();
	if (store_rollup_series(x->store, from, to, step, series_cb, arr) != 0) {
		json_decref(arr);
		return error_body(body, 500, "store error", "rollups");
	}
	o = json_object();
	json_object_set_new(o, "points", arr);
	return ok_body(body, o);
}

/* ---- telemetry events ---------------------------------------------------- */

static const char *const sev_names[] = { "info", "warning", "error" };

/*
 * Why the aggregator is degraded, one string per reason: store damage
 * met (corrupt reads, families set aside at start). An empty array when
 * all is well.
 */
static json_t *
degraded_reasons(const struct agg_query_ctx *x)
{
	struct store_stats ss;
	json_t *a = json_array();
	char buf[512];
	size_t i, off = 0;
	uint64_t n = 0;

	store_get_stats(x->store, &ss);
	buf[0] = '\0';
	for (i = 0; i < STORE_FAMILIES && off < sizeof(buf); i++) {
		if (ss.corrupt_reads[i] == 0 && ss.families_reset[i] == 0)
			continue;
		n += ss.corrupt_reads[i] + ss.families_reset[i];
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s: %llu "
		    "corrupt reads%s", off ? "; " : "", store_family_name(i),
		    (unsigned long long)ss.corrupt_reads[i],
		    ss.families_reset[i] ? ", set aside at start" : "");
	}
	if (n != 0) {
		char r[700];

		snprintf(r, sizeof(r), "store damage (%s); run "
		    "sessacct-aggregator --verify on the stopped store", buf);
		json_array_append_new(a, json_string(r));
	}
	if (agg_export_degraded(x->export, buf, sizeof(buf)) != NULL)
		json_array_append_new(a, json_string(buf));
	return a;
}

static int
q_events(const struct agg_query_ctx *x, const struct proto_query *q,
    uint64_t now, char **body)
{
	static const char *const allowed[] = { "minutes", "limit", "severity",
	    "category", NULL };
	const struct agg_telemetry *a, *b;
	const char *bad, *sev = proto_query_get(q, "severity"),
	    *cat = proto_query_get(q, "category");
	uint64_t minutes = 60, limit = 100;
	size_t na, nb, k;
	int minsev = 0;
	char detail[256];
	json_t *arr, *o;

	if ((bad = unknown_param(q, allowed)) != NULL)
		return error_body(body, 400, "unknown parameter", bad);
	if (get_u64(q, "minutes", 1, 525600, &minutes, detail,
	    sizeof(detail)) < 0 || get_u64(q, "limit", 1, 10000, &limit,
	    detail, sizeof(detail)) < 0)
		return error_body(body, 400, "bad parameter", detail);
	if (sev != NULL) {
		for (minsev = 0; minsev < 3; minsev++)
			if (strcmp(sev, sev_names[minsev]) == 0)
				break;
		if (minsev == 3)
			return error_body(body, 400, "bad parameter",
			    "severity: info, warning or error");
	}
	na = agg_core_telemetry(x->core, &a, &b, &nb);
	arr = json_array();
	/* Newest first. */
	for (k = na + nb; k > 0 && json_array_size(arr) < limit; k--) {
		const struct agg_telemetry *t = k - 1 < na ? &a[k - 1] :
		    &b[k - 1 - na];

		if (t->time_ns + minutes * 60 * NS < now ||
		    t->severity < minsev ||
		    (cat != NULL && strcmp(cat, t->category) != 0))
			continue;
		o = json_object();
		json_object_set_new(o, "time", agg_json_time(t->time_ns));
		json_object_set_new(o, "severity", json_string(
		    sev_names[t->severity]));
		json_object_set_new(o, "category", json_string(t->category));
		json_object_set_new(o, "message", json_string(t->message));
		json_array_append_new(arr, o);
	}
	o = json_object();
	json_object_set_new(o, "events", arr);
	/* /health asks this question: what makes the aggregator degraded. */
	json_object_set_new(o, "degraded", degraded_reasons(x));
	json_object_set_new(o, "export", agg_export_json(x->export));
	if (x->security != NULL)
		json_object_set_new(o, "security", x->security(
		    x->security_arg, 0));
	return ok_body(body, o);
}

/*
 * Where a backup to dir may go: a new entry in a directory at or below
 * root (store.backup_dir), both resolved (realpath), no "." or ".."
 * component. The resolved path into out; NULL, or why not.
 */
static const char *
backup_path(const char *root, const char *dir, char *out, size_t outlen)
{
	char rroot[PATH_MAX], rparent[PATH_MAX], parent[PATH_MAX];
	const char *p, *base;
	struct stat sb;
	size_t n;

	if (dir[0] != '/')
		return "dir: an absolute path";
	for (p = dir; *p != '\0'; ) {
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.'))
			return "dir: no . or .. components";
		p += n;
	}
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	for (base = dir + n; base > dir && base[-1] != '/'; base--)
		;
	if (base == dir + n || (size_t)(base - dir) >= sizeof(parent))
		return "dir: names no directory";
	memcpy(parent, dir, (size_t)(base - dir));
	parent[base - dir] = '\0';
	if (realpath(root, rroot) == NULL)
		return "store.backup_dir does not exist";
	if (realpath(parent, rparent) == NULL)
		return "dir: its parent directory does not exist";
	n = strlen(rroot);
	if (strncmp(rparent, rroot, n) != 0 || (rparent[n] != '\0' &&
	    rparent[n] != '/' && strcmp(rroot, "/") != 0))
		return "dir: not below store.backup_dir";
	if (snprintf(out, outlen, "%s/%.*s", rparent, (int)(dir +
	    strlen(dir) - base), base) >= (int)outlen)
		return "dir: too long";
	/* Trailing slashes were not part of the name. */
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	if (lstat(out, &sb) == 0)
		return "dir: exists (a backup goes to a new directory)";
	return NULL;
}

static int
q_backup(const struct agg_query_ctx *x, const struct proto_query *q,
    char **body)
{
	static const char *const allowed[] = { "dir", NULL };
	const char *dir = proto_query_get(q, "dir"), *bad;
	char err[512], path[PATH_MAX];
	json_t *o;

	if ((bad = unknown_param(q, allowed)) != NULL || dir == NULL ||
	    dir[0] != '/')
		return error_body(body, 400, "bad parameter", bad ? bad :
		    "dir: an absolute path that does not exist yet");
	if (x->backup_dir == NULL || x->backup_dir[0] == '\0')
		return error_body(body, 403, "backup refused",
		    "store.backup_dir is not set: backups are off");
	if ((bad = backup_path(x->backup_dir, dir, path, sizeof(path))) !=
	    NULL)
		return error_body(body, 403, "backup refused", bad);
	if (store_backup(x->store, path, err, sizeof(err)) != 0)
		return error_body(body, 500, "backup failed", err);
	o = json_object();
	json_object_set_new(o, "backup", json_string(dir));
	return ok_body(body, o);
}

const char *const agg_query_kinds[] = {
	"active", "history", "session", "stats", "timeseries", "agents",
	"metrics", "events", "ping", "backup", NULL
};

int
agg_query_kind_known(const char *kind)
{
	size_t i;

	for (i = 0; agg_query_kinds[i] != NULL; i++)
		if (strcmp(agg_query_kinds[i], kind) == 0)
			return 1;
	return 0;
}

int
agg_query_answer(const struct agg_query_ctx *x, const struct proto_query *q,
    uint64_t now, char **body)
{
	if (strcmp(q->kind, "active") == 0)
		return q_active(x, q, body);
	if (strcmp(q->kind, "history") == 0)
		return q_history(x, q, body);
	if (strcmp(q->kind, "session") == 0)
		return q_session(x, q, body);
	if (strcmp(q->kind, "stats") == 0)
		return q_stats(x, q, now, body);
	if (strcmp(q->kind, "agents") == 0)
		return q_agents(x, body);
	if (strcmp(q->kind, "metrics") == 0)
		return q_metrics(x, now, body);
	if (strcmp(q->kind, "backup") == 0)
		return q_backup(x, q, body);
	if (strcmp(q->kind, "ping") == 0) {
		json_t *o = json_object();

		json_object_set_new(o, "ok", json_true());
		json_object_set_new(o, "uptime_secs", json_integer((json_int_t)
		    ((now - x->started_ns) / NS)));
		json_object_set_new(o, "retention_days", json_integer(
		    x->retention_days));
		if (x->security != NULL)
			json_object_set_new(o, "security", x->security(
			    x->security_arg, 0));
		return ok_body(body, o);
	}
	if (strcmp(q->kind, "timeseries") == 0)
		return q_timeseries(x, q, now, body);
	if (strcmp(q->kind, "events") == 0)
		return q_events(x, q, now, body);
	return error_body(body, 404, "unknown query", q->kind);
}
