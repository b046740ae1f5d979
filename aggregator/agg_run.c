/*
 * agg_run: two threads. The ingest thread runs one zmq_poll loop over the
 * ingest socket, a commit timer and a once-a-second tick (agents gone
 * silent, retention); acks leave only after the commit that makes their
 * batch durable. The query thread owns the query socket and answers what
 * only needs the store (history, time series, backup) itself, so a long
 * history scan never holds up ingest; questions about the live table
 * (active sessions, agents, counters) go to the ingest thread over an
 * inproc pair and are answered between batches. Signals set a flag; the
 * loop then commits and exits 0.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <czmq.h>
#include <jansson.h>

#include "../common/clock.h"
#include "../common/cli.h"
#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../proto/curve.h"
#include "../proto/query.h"
#include "agg_core.h"
#include "agg_export.h"
#include "agg_keys.h"
#include "agg_query.h"
#include "agg_run.h"
#include "agg_zap.h"
#include "store.h"

#define NS		1000000000ULL
#define MSGS_PER_POLL	256
#define SPOOF_IDS_MAX	256	/* agent ids with their own spoof count */

/* A batch whose key does not name its agent id, per agent id. */
struct spoof_count {
	char		id[PROTO_MAX_ID + 1];
	uint64_t	n;
};

/* Transport security (docs/SECURITY.md). */
struct agg_sec {
	int			 curve;
	int			 insecure;	/* non-loopback, no CURVE */
	int			 allow_insecure;
	struct curve_cert	 cert;
	struct agg_keys		*ikeys, *qkeys;
	struct agg_zap		*zap;
	/* Ingest thread only. */
	uint64_t		 id_denied;
	struct spoof_count	 spoof[SPOOF_IDS_MAX];
	size_t			 nspoof;
	uint64_t		 spoof_other;
	uint64_t		 last_warn_ns;
	atomic_ullong		 unauthorized[2];	/* ingest, query */
};

struct agg_ctx {
	struct store		*store;
	struct agg_core		*core;
	zsock_t			*ingest, *query;
	void			*zi, *zq;
	uint64_t		 commit_ns;
	uint64_t		 next_commit, next_tick, next_expire;
	struct agg_query_ctx	 qx;
	struct proto_buf	 out;
	uint8_t			*rbuf;
	size_t			 rbuf_len;
	/* Between the query thread and the ingest thread. */
	zsock_t			*pair_core, *pair_query;
	void			*zpc, *zpq;
	pthread_t		 qthread;
	int			 qthread_started;
	atomic_int		 qstop;		/* set by the ingest thread */
	size_t			 max_msg;
	struct agg_sec		 sec;
	struct agg_export	*exp;		/* NULL: export off */
};

#define QUERY_MSG_MAX	(PROTO_MAX_MSG_DEFAULT + 1)

static volatile sig_atomic_t agg_quit;

static void
on_signal(int sig)
{
	(void)sig;
	agg_quit = 1;
}

/*
 * Binds endpoint; port 0 means "the OS picks". Writes what was bound.
 * libzmq's own "*" asks the kernel for an ephemeral port; czmq's would
 * scan its fixed range from 49152 upwards, where two processes started
 * together collide.
 */
static int
bind_sock(zsock_t *s, const char *endpoint, char *bound, size_t blen)
{
	char ep[300], last[300];
	size_t n = strlen(endpoint), ll = sizeof(last);
	void *zs = zsock_resolve(s);

	if (n >= sizeof(ep))
		return -1;
	memcpy(ep, endpoint, n + 1);
	if (n >= 2 && strcmp(ep + n - 2, ":0") == 0)
		ep[n - 1] = '*';
	if (zmq_bind(zs, ep) != 0)
		return -1;
	if (zmq_getsockopt(zs, ZMQ_LAST_ENDPOINT, last, &ll) == 0)
		snprintf(bound, blen, "%s", last);
	else
		snprintf(bound, blen, "%s", ep);
	return 0;
}

/*
 * The heap, glibc only. Freed memory stays resident until the top of a
 * heap is free, so the memtable blocks and write batches of a burst of
 * sessions, and the answers to queries, leave holes that later small
 * allocations keep touching (docs/PERFORMANCE.md, "Memory per open
 * session"). Two things give it back:
 * - heap_init: a fixed mmap threshold, so blocks of 1 MiB and more are
 *   mapped and unmapped when freed. glibc's default raises the threshold
 *   each time such a block is freed, after which they come from the heap.
 *   The environment's MALLOC_MMAP_THRESHOLD_, if set, wins. And a trim
 *   threshold of HEAP_FREE_MAX: with a fixed mmap threshold glibc's stays
 *   at 128 KiB, and every free of a block at the heap's top past that
 *   gave pages back to the kernel at once, to take them again with the
 *   next such block: the exporter's messages of several sessions (tens of
 *   KB each, allocated and freed by libnats at every publish) spent a
 *   tenth of the exporter's time in madvise and page faults. heap_trim
 *   gives back what lies free past it.
 * - heap_trim, once a second: if more than HEAP_FREE_MAX bytes lie free
 *   in the heaps, malloc_trim gives their pages back (it walks the free
 *   chunks: about a millisecond for a 50 MB heap).
 */
#define HEAP_FREE_MAX	((size_t)8 << 20)

static void
heap_init(void)
{
#ifdef __GLIBC__
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL)
		(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL)
		(void)mallopt(M_TRIM_THRESHOLD, (int)HEAP_FREE_MAX);
#endif
}

static void
heap_trim(void)
{
#ifdef __GLIBC__
	struct mallinfo2 mi = mallinfo2();

	if (mi.fordblks > HEAP_FREE_MAX)
		(void)malloc_trim(0);
#endif
}

/*
 * What protects the two sockets, decided before anything is opened:
 * CURVE with its key and allow-lists, or nothing, which is refused for an
 * endpoint reachable from other hosts unless allow_insecure says so.
 * 0, or -1 (logged: a configuration problem).
 */
static int
sec_config(struct agg_sec *sec, const struct cfg *cfg)
{
	static const char *const keys[2] = { "listen", "query_listen" };
	const char *cert = cfg_str(cfg, "aggregator", "curve_cert"),
	    *allow = cfg_str(cfg, "aggregator", "curve_allow_dir"),
	    *qallow = cfg_str(cfg, "aggregator", "query_allow_dir");
	char err[512];
	int i;

	sec->allow_insecure = cfg_bool(cfg, "aggregator", "allow_insecure");
	if (cert[0] == '\0') {
		if (allow[0] != '\0' || qallow[0] != '\0') {
			log_warnx("aggregator.curve_allow_dir and "
			    "query_allow_dir need aggregator.curve_cert (the "
			    "aggregator's own certificate)");
			return -1;
		}
		for (i = 0; i < 2; i++) {
			const char *ep = cfg_str(cfg, "aggregator", keys[i]);

			if (curve_endpoint_is_local(ep))
				continue;
			sec->insecure = 1;
			if (sec->allow_insecure)
				continue;
			log_warnx("aggregator.%s = %s: not a loopback address, "
			    "and CURVE is off: refused. Set aggregator."
			    "curve_cert and aggregator.curve_allow_dir "
			    "(docs/SECURITY.md), or aggregator.allow_insecure "
			    "= yes to let anyone who reaches it in", keys[i],
			    ep);
			return -1;
		}
		if (sec->insecure)
			log_warnx("INSECURE: listening beyond loopback without "
			    "CURVE (aggregator.allow_insecure = yes): anyone "
			    "who reaches these ports can send batches and "
			    "query");
		return 0;
	}
	if (!curve_available()) {
		log_warnx("aggregator.curve_cert is set, but this libzmq "
		    "has no CURVE");
		return -1;
	}
	if (allow[0] == '\0') {
		log_warnx("aggregator.curve_allow_dir: required with "
		    "aggregator.curve_cert (the agents' public certificates)");
		return -1;
	}
	if (curve_cert_load(cert, 1, &sec->cert, err, sizeof(err)) != 0) {
		log_warnx("aggregator.curve_cert: %s", err);
		return -1;
	}
	sec->curve = 1;
	return 0;
}

int
agg_check_config(const struct cfg *cfg)
{
	struct agg_sec sec;
	int rc;

	memset(&sec, 0, sizeof(sec));
	rc = sec_config(&sec, cfg);
	curve_cert_wipe(&sec.cert);
	return rc;
}

/*
 * CURVE on: the allow-lists, the ZAP handler (running before either
 * socket binds, libzmq#2711), and both sockets as CURVE servers with
 * their ZAP domain. 0 or -1 (logged).
 */
static int
sec_start(struct agg_ctx *c, const struct cfg *cfg)
{
	struct agg_sec *sec = &c->sec;
	const char *allow = cfg_str(cfg, "aggregator", "curve_allow_dir"),
	    *qallow = cfg_str(cfg, "aggregator", "query_allow_dir");
	char err[512];

	if (!sec->curve)
		return 0;
	sec->ikeys = agg_keys_create(allow, NULL);
	/* The aggregator's own key may query: its --query and --backup. */
	sec->qkeys = agg_keys_create(qallow[0] != '\0' ? qallow : allow,
	    sec->cert.pub_txt);
	if ((sec->zap = agg_zap_start(sec->ikeys, sec->qkeys, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if (curve_server_apply(c->zi, &sec->cert, AGG_ZAP_INGEST) != 0 ||
	    curve_server_apply(c->zq, &sec->cert, AGG_ZAP_QUERY) != 0) {
		log_warnx("cannot make the sockets CURVE servers: %s",
		    zmq_strerror(zmq_errno()));
		return -1;
	}
	log_info("CURVE on ingest and queries: key %s, agents' keys in %s, "
	    "queriers' keys in %s", sec->cert.pub_txt, allow,
	    qallow[0] != '\0' ? qallow : allow);
	return 0;
}

/*
 * The transport's facts for the ping and metrics answers; counters only
 * with_counters (the metrics answer, on the ingest thread, which owns
 * them). Returns a new reference.
 */
static json_t *
sec_json(void *arg, int with_counters)
{
	struct agg_ctx *c = arg;
	struct agg_sec *sec = &c->sec;
	struct agg_zap_stats zs;
	json_t *o = json_object(), *by;
	size_t i;

	json_object_set_new(o, "curve", json_boolean(sec->curve));
	json_object_set_new(o, "insecure", json_boolean(sec->insecure));
	json_object_set_new(o, "allow_insecure",
	    json_boolean(sec->allow_insecure));
	if (!sec->curve || !with_counters)
		return o;
	json_object_set_new(o, "agent_keys", json_integer((json_int_t)
	    agg_keys_count(sec->ikeys)));
	json_object_set_new(o, "query_keys", json_integer((json_int_t)
	    agg_keys_count(sec->qkeys)));
	json_object_set_new(o, "allow_list_reloads", json_integer(
	    (json_int_t)agg_keys_reloads(sec->ikeys)));
	agg_zap_get_stats(sec->zap, &zs);
	json_object_set_new(o, "handshakes_allowed_ingest", json_integer(
	    (json_int_t)zs.allowed[0]));
	json_object_set_new(o, "handshakes_denied_ingest", json_integer(
	    (json_int_t)zs.denied[0]));
	json_object_set_new(o, "handshakes_allowed_query", json_integer(
	    (json_int_t)zs.allowed[1]));
	json_object_set_new(o, "handshakes_denied_query", json_integer(
	    (json_int_t)zs.denied[1]));
	json_object_set_new(o, "unauthorized_messages", json_integer(
	    (json_int_t)atomic_load(&sec->unauthorized[0])));
	json_object_set_new(o, "unauthorized_queries", json_integer(
	    (json_int_t)atomic_load(&sec->unauthorized[1])));
	json_object_set_new(o, "agent_id_denied", json_integer(
	    (json_int_t)sec->id_denied));
	by = json_object();
	for (i = 0; i < sec->nspoof; i++)
		json_object_set_new(by, sec->spoof[i].id, json_integer(
		    (json_int_t)sec->spoof[i].n));
	if (sec->spoof_other > 0)
		json_object_set_new(by, "other", json_integer((json_int_t)
		    sec->spoof_other));
	json_object_set_new(o, "agent_id_denied_by_agent", by);
	return o;
}

static void
sec_stop(struct agg_sec *sec)
{
	agg_zap_stop(sec->zap);
	sec->zap = NULL;
	agg_keys_destroy(sec->ikeys);
	agg_keys_destroy(sec->qkeys);
	sec->ikeys = sec->qkeys = NULL;
	curve_cert_wipe(&sec->cert);
}

struct agg_ctx *
agg_ctx_create(const struct cfg *cfg, const char *ready_file, int *exit_code)
{
	struct agg_ctx *c;
	struct store_cfg scfg;
	struct agg_core_cfg ccfg;
	char err[512], ib[300], qb[300], ready[700];
	uint64_t margin = cfg_u64(cfg, "aggregator", "expiry_margin") * NS;
	int quarantined = 0;

	heap_init();
	c = xcalloc(1, sizeof(*c));
	*exit_code = 1;
	if (sec_config(&c->sec, cfg) != 0) {
		*exit_code = 2;
		free(c);
		return NULL;
	}
	memset(&scfg, 0, sizeof(scfg));
	scfg.path = cfg_str(cfg, "store", "path");
	scfg.retention_days = (uint32_t)cfg_u64(cfg, "store", "retention_days");
	scfg.sync = cfg_bool(cfg, "store", "sync");
	scfg.cache_bytes = cfg_u64(cfg, "store", "cache_size");
	scfg.top_per_hour = (uint32_t)cfg_u64(cfg, "store",
	    "top_names_per_hour");
	if ((c->store = store_open(&scfg, &quarantined, err, sizeof(err))) ==
	    NULL) {
		log_warnx("store %s: %s", scfg.path, err);
		free(c);
		return NULL;
	}
	{
		int xrc;

		c->exp = agg_export_create(cfg, c->store, &xrc);
		if (xrc < 0) {
			*exit_code = xrc == -EINVAL ? 2 : 1;
			store_close(c->store);
			free(c);
			return NULL;
		}
	}
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.sess.udp_idle_ns = cfg_u64(cfg, "sessions", "udp_idle_timeout") *
	    NS + margin;
	ccfg.sess.tcp_idle_ns = cfg_u64(cfg, "sessions", "tcp_idle_timeout") *
	    NS + margin;
	ccfg.sess.tcp_syn_ns = ccfg.sess.tcp_idle_ns;
	ccfg.sess.tcp_linger_ns = ccfg.sess.tcp_idle_ns;
	ccfg.sess.max_sessions = (uint32_t)cfg_u64(cfg, "sessions",
	    "max_sessions");
	ccfg.max_agents = (uint32_t)cfg_u64(cfg, "aggregator", "max_agents");
	ccfg.max_msg = cfg_u64(cfg, "aggregator", "max_message_size");
	ccfg.agent_timeout_ns = cfg_u64(cfg, "aggregator", "agent_timeout") *
	    NS;
	ccfg.commit_sessions = (uint32_t)cfg_u64(cfg, "aggregator",
	    "commit_sessions");
	ccfg.checkpoint_ns = cfg_u64(cfg, "aggregator",
	    "checkpoint_interval_ms") * 1000000ULL;
	ccfg.checkpoint_max_closed = (uint32_t)cfg_u64(cfg, "aggregator",
	    "checkpoint_max_closed");
	ccfg.max_users = (uint32_t)cfg_u64(cfg, "aggregator", "max_users");
	ccfg.max_destinations = (uint32_t)cfg_u64(cfg, "aggregator",
	    "max_destinations");
	ccfg.telemetry_events = (uint32_t)cfg_u64(cfg, "aggregator",
	    "telemetry_events");
	ccfg.max_floor_jump = cfg_u64(cfg, "aggregator", "max_floor_jump");
	ccfg.max_link_bps = cfg_u64(cfg, "aggregator", "max_link_bps");
	ccfg.max_clock_skew_ns = cfg_u64(cfg, "aggregator", "max_clock_skew") *
	    NS;
	ccfg.boot_quiet_ns = cfg_u64(cfg, "aggregator", "boot_quiet") * NS;
	ccfg.agent_retention_ns = cfg_u64(cfg, "aggregator",
	    "agent_retention") * NS;
	/* 0: half the table, so one agent leaves the other half to the rest. */
	ccfg.sess.agent_max_sessions = (uint32_t)cfg_u64(cfg, "aggregator",
	    "agent_max_sessions");
	if (ccfg.sess.agent_max_sessions == 0)
		ccfg.sess.agent_max_sessions = ccfg.sess.max_sessions / 2 > 0 ?
		    ccfg.sess.max_sessions / 2 : 1;
	if ((c->core = agg_core_create(&ccfg, c->store)) == NULL)
		goto fail;
	if (quarantined) {
		log_warnx("store %s was corrupt: moved aside, started fresh",
		    scfg.path);
		agg_core_note(c->core, AGG_SEV_ERROR, "store_quarantined",
		    "database %s was corrupt: moved to %s.corrupt.*, a fresh "
		    "one was created", scfg.path, scfg.path);
	}

	zsys_handler_set(NULL);
	c->ingest = zsock_new(ZMQ_ROUTER);
	c->query = zsock_new(ZMQ_ROUTER);
	if (c->ingest == NULL || c->query == NULL)
		goto fail;
	zsock_set_linger(c->ingest, 0);
	zsock_set_linger(c->query, 0);
	/*
	 * The transport's own cap sits well above max_message_size, so that
	 * oversized messages reach the core and are counted as too_large;
	 * only beyond it does libzmq drop the connection (bounded memory).
	 */
	zsock_set_maxmsgsize(c->ingest, (int64_t)(ccfg.max_msg * 4 <
	    (16u << 20) ? (16u << 20) : ccfg.max_msg * 4));
	zsock_set_rcvhwm(c->ingest, 10000);
	zsock_set_router_mandatory(c->ingest, 0);
	/* Queries are small: one above the cap closes its connection
	 * before libzmq allocates it. */
	zsock_set_maxmsgsize(c->query, (int64_t)ccfg.max_msg);
	c->max_msg = ccfg.max_msg;
	c->zi = zsock_resolve(c->ingest);
	c->zq = zsock_resolve(c->query);
	if (sec_start(c, cfg) != 0) {
		*exit_code = 2;
		goto fail;
	}
	if (bind_sock(c->ingest, cfg_str(cfg, "aggregator", "listen"), ib,
	    sizeof(ib)) != 0) {
		log_warnx("cannot listen on %s: %s", cfg_str(cfg, "aggregator",
		    "listen"), zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (bind_sock(c->query, cfg_str(cfg, "aggregator", "query_listen"), qb,
	    sizeof(qb)) != 0) {
		log_warnx("cannot listen on %s: %s", cfg_str(cfg, "aggregator",
		    "query_listen"), zmq_strerror(zmq_errno()));
		goto fail;
	}
	{
		char ep[64];

		snprintf(ep, sizeof(ep), "inproc://sessacct-core-%p", (void *)c);
		c->pair_core = zsock_new(ZMQ_PAIR);
		c->pair_query = zsock_new(ZMQ_PAIR);
		if (c->pair_core == NULL || c->pair_query == NULL ||
		    zsock_bind(c->pair_core, "%s", ep) != 0 ||
		    zsock_connect(c->pair_query, "%s", ep) != 0) {
			log_warnx("cannot set up the query thread's pipe");
			goto fail;
		}
		zsock_set_linger(c->pair_core, 0);
		zsock_set_linger(c->pair_query, 0);
		c->zpc = zsock_resolve(c->pair_core);
		c->zpq = zsock_resolve(c->pair_query);
	}
	c->commit_ns = cfg_u64(cfg, "aggregator", "commit_interval_ms") *
	    1000000ULL;
	c->qx.core = c->core;
	c->qx.store = c->store;
	c->qx.retention_days = scfg.retention_days;
	c->qx.max_limit = 10000;
	c->qx.started_ns = sa_wall_ns();
	c->qx.security = sec_json;
	c->qx.security_arg = c;
	c->qx.export = c->exp;
	c->qx.backup_dir = cfg_str(cfg, "store", "backup_dir");
	c->rbuf_len = ccfg.max_msg + 1;
	c->rbuf = xmalloc(c->rbuf_len);
	proto_buf_init(&c->out, PROTO_REPLY_MAX);
	log_info("ingest on %s, queries on %s, store %s%s", ib, qb, scfg.path,
	    quarantined ? " (the old one was corrupt and moved aside)" : "");
	if (ready_file != NULL) {
		snprintf(ready, sizeof(ready), "{\"ingest\": \"%s\", \"query\": "
		    "\"%s\"}", ib, qb);
		if (cli_write_ready(ready_file, ready) != 0) {
			log_warn("%s", ready_file);
			goto fail;
		}
	}
	return c;
fail:
	agg_ctx_destroy(c);
	return NULL;
}

void
agg_ctx_destroy(struct agg_ctx *c)
{
	if (c == NULL)
		return;
	zsock_destroy(&c->ingest);
	zsock_destroy(&c->query);
	zsock_destroy(&c->pair_core);
	zsock_destroy(&c->pair_query);
	sec_stop(&c->sec);
	agg_export_destroy(c->exp);
	agg_core_destroy(c->core);
	store_close(c->store);
	proto_buf_free(&c->out);
	free(c->rbuf);
	free(c);
}

static void
send_reply(void *zs, const uint8_t *ident, size_t ident_len,
    const struct proto_buf *b)
{
	if (zmq_send(zs, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return;
	(void)zmq_send(zs, b->data, b->len, ZMQ_DONTWAIT);
}

static void
send_ack(void *arg, const struct agg_reply *r)
{
	struct agg_ctx *c = arg;

	proto_buf_reset(&c->out);
	if (proto_ack_encode(&c->out, &r->ack) == 0)
		send_reply(c->zi, r->ident, r->ident_len, &c->out);
}

/*
 * Reads one message of [identity, body] from a ROUTER. Returns body
 * length, -1 if none, -2 if malformed (drained). Oversized bodies are cut
 * at rbuf_len, which the caller sees as len > max.
 */
static long
recv_into(void *zs, uint8_t *ident, size_t *ident_len, uint8_t *buf,
    size_t buflen)
{
	int more, n;
	size_t ml = sizeof(more);
	long len;

	n = zmq_recv(zs, ident, AGG_IDENT_MAX, ZMQ_DONTWAIT);
	if (n < 0)
		return -1;
	*ident_len = (size_t)n > AGG_IDENT_MAX ? AGG_IDENT_MAX : (size_t)n;
	zmq_getsockopt(zs, ZMQ_RCVMORE, &more, &ml);
	if (!more)
		return -2;
	len = zmq_recv(zs, buf, buflen, 0);
	zmq_getsockopt(zs, ZMQ_RCVMORE, &more, &ml);
	while (more) {			/* extra frames: not ours */
		uint8_t junk[64];

		(void)zmq_recv(zs, junk, sizeof(junk), 0);
		zmq_getsockopt(zs, ZMQ_RCVMORE, &more, &ml);
		len = -2;
	}
	return len;
}

static long
recv_msg(struct agg_ctx *c, void *zs, uint8_t *ident, size_t *ident_len)
{
	return recv_into(zs, ident, ident_len, c->rbuf, c->rbuf_len);
}

/*
 * Reads one message of [identity, body] from a ROUTER; the body stays a
 * ZeroMQ message, which carries the connection's properties (User-Id).
 * body is always initialised: the caller closes it. 0, -1 if none, -2 if
 * malformed (drained).
 */
static int
recv_frames(void *zs, uint8_t *ident, size_t *ident_len, zmq_msg_t *body)
{
	int more, n;
	size_t ml = sizeof(more);

	zmq_msg_init(body);
	n = zmq_recv(zs, ident, AGG_IDENT_MAX, ZMQ_DONTWAIT);
	if (n < 0)
		return -1;
	*ident_len = (size_t)n > AGG_IDENT_MAX ? AGG_IDENT_MAX : (size_t)n;
	zmq_getsockopt(zs, ZMQ_RCVMORE, &more, &ml);
	if (!more || zmq_msg_recv(body, zs, 0) < 0)
		return -2;
	if (!zmq_msg_more(body))
		return 0;
	do {				/* extra frames: not ours */
		uint8_t junk[64];

		(void)zmq_recv(zs, junk, sizeof(junk), 0);
		zmq_getsockopt(zs, ZMQ_RCVMORE, &more, &ml);
	} while (more);
	return -2;
}

/* Counts a batch for an agent id its key does not name. */
static void
count_spoof(struct agg_sec *sec, const char *id, size_t len)
{
	size_t i;

	sec->id_denied++;
	for (i = 0; i < sec->nspoof; i++)
		if (strlen(sec->spoof[i].id) == len &&
		    memcmp(sec->spoof[i].id, id, len) == 0) {
			sec->spoof[i].n++;
			return;
		}
	if (sec->nspoof == SPOOF_IDS_MAX) {
		sec->spoof_other++;
		return;
	}
	memcpy(sec->spoof[i].id, id, len);
	sec->spoof[i].id[len] = '\0';
	sec->spoof[i].n = 1;
	sec->nspoof++;
}

/*
 * CURVE on: the message's key must still be in the allow-list (a key
 * removed since its handshake is dropped, unanswered) and, for a batch,
 * name the batch's agent id (else REJECTED, counted). 1 if the message
 * may go on to the core.
 */
static int
key_allows(struct agg_ctx *c, zmq_msg_t *m, const uint8_t *ident,
    size_t ident_len, uint64_t now)
{
	struct agg_sec *sec = &c->sec;
	struct proto_batch_head h;
	struct agg_reply r;
	const char *key = zmq_msg_gets(m, "User-Id");
	int peeked = proto_batch_peek(zmq_msg_data(m), zmq_msg_size(m),
	    c->max_msg, &h) == 0;

	switch (agg_keys_check(sec->ikeys, key, peeked ? h.agent_id : NULL,
	    peeked ? h.agent_len : 0)) {
	case AGG_KEYS_OK:
		return 1;
	case AGG_KEYS_UNKNOWN:
		atomic_fetch_add(&sec->unauthorized[0], 1);
		if (now - sec->last_warn_ns > 10 * NS) {
			log_warnx("ingest: message from key %s, not in the "
			    "allow-list (any more): dropped", key != NULL ?
			    key : "-");
			sec->last_warn_ns = now;
		}
		return 0;
	case AGG_KEYS_ID_DENIED:
		break;
	}
	count_spoof(sec, h.agent_id, h.agent_len);
	if (now - sec->last_warn_ns > 10 * NS) {
		log_warnx("ingest: batch for agent %.*s from key %s, which "
		    "does not name it: rejected", (int)h.agent_len, h.agent_id,
		    key);
		agg_core_note(c->core, AGG_SEV_WARNING, "agent_id_denied",
		    "a batch for agent %.*s came with key %s, which may not "
		    "speak for it: rejected", (int)h.agent_len, h.agent_id,
		    key);
		sec->last_warn_ns = now;
	}
	memset(&r, 0, sizeof(r));
	r.now = 1;
	memcpy(r.ident, ident, ident_len);
	r.ident_len = ident_len;
	r.ack.boot_id = h.boot_id;
	r.ack.seq = h.seq;
	r.ack.status = PROTO_ACK_REJECTED;
	snprintf(r.ack.reason, sizeof(r.ack.reason), "%s",
	    "agent id not allowed for this key");
	send_ack(c, &r);
	return 0;
}

static void
handle_ingest(struct agg_ctx *c, uint64_t now)
{
	uint8_t ident[AGG_IDENT_MAX];
	size_t ident_len;
	struct agg_reply r;
	zmq_msg_t m;
	int i, rc;

	for (i = 0; i < MSGS_PER_POLL; i++) {
		rc = recv_frames(c->zi, ident, &ident_len, &m);
		if (rc == -1) {
			zmq_msg_close(&m);
			break;
		}
		if (rc < 0) {
			agg_core_bad_transport(c->core, ident, ident_len,
			    "message of several frames", now, &r);
			send_ack(c, &r);
		} else if ((!c->sec.curve || key_allows(c, &m, ident,
		    ident_len, now)) && agg_core_message(c->core, ident,
		    ident_len, zmq_msg_data(&m), zmq_msg_size(&m), now, &r))
			send_ack(c, &r);
		zmq_msg_close(&m);
		if (agg_core_should_commit(c->core))
			break;
	}
}

/*
 * Answers one query message (body borrowed) into out. Returns 0, or -1 if
 * nothing can be sent.
 */
static int
answer(struct agg_ctx *c, const uint8_t *body, size_t len, uint64_t now,
    struct proto_query *q, struct proto_buf *out)
{
	char *bodytxt = NULL;
	int status, rc;

	if (proto_query_decode(body, len, q) != 0) {
		static const char bad[] = "{\"error\":\"bad request\","
		    "\"detail\":\"not a version 1 query message\"}";

		q->id = 0;
		status = 400;
		bodytxt = strdup(bad);
	} else
		status = agg_query_answer(&c->qx, q, now, &bodytxt);
	proto_buf_reset(out);
	rc = bodytxt != NULL && proto_reply_encode(out, q->id,
	    (uint32_t)status, bodytxt, strlen(bodytxt)) == 0 ? 0 : -1;
	free(bodytxt);
	return rc;
}

/* Kinds the query thread answers alone: they read only the store. */
static int
store_only(const uint8_t *body, size_t len, struct proto_query *q)
{
	if (proto_query_decode(body, len, q) != 0)
		return 1;	/* answered with 400 there */
	return strcmp(q->kind, "history") == 0 ||
	    strcmp(q->kind, "timeseries") == 0 ||
	    strcmp(q->kind, "backup") == 0 || strcmp(q->kind, "ping") == 0;
}

/* Ingest thread: questions about the live table, from the query thread. */
static void
handle_core_queries(struct agg_ctx *c, uint64_t now)
{
	uint8_t ident[AGG_IDENT_MAX];
	size_t ident_len;
	struct proto_query *q = xmalloc(sizeof(*q));
	long len;

	while ((len = recv_msg(c, c->zpc, ident, &ident_len)) != -1) {
		if (len < 0 || (size_t)len > c->rbuf_len)
			continue;
		if (answer(c, c->rbuf, (size_t)len, now, q, &c->out) == 0)
			send_reply(c->zpc, ident, ident_len, &c->out);
	}
	free(q);
}

/* The query thread: owns the query socket. */
static void *
query_main(void *arg)
{
	struct agg_ctx *c = arg;
	zmq_pollitem_t pi[2] = {
		{ c->zq, 0, ZMQ_POLLIN, 0 },
		{ c->zpq, 0, ZMQ_POLLIN, 0 },
	};
	struct proto_query *q = xmalloc(sizeof(*q));
	struct proto_buf out;
	uint8_t ident[AGG_IDENT_MAX];
	const uint8_t *buf;
	size_t ident_len, len;
	zmq_msg_t m;
	int rc;

	proto_buf_init(&out, PROTO_REPLY_MAX);
	while (!atomic_load(&c->qstop)) {
		if (zmq_poll(pi, 2, 200) < 0 && zmq_errno() != EINTR)
			break;
		while ((pi[0].revents & ZMQ_POLLIN) && (rc = recv_frames(c->zq,
		    ident, &ident_len, &m)) != -1) {
			buf = zmq_msg_data(&m);
			len = zmq_msg_size(&m);
			if (rc < 0) {
				zmq_msg_close(&m);
				continue;
			}
			/* A key removed since its handshake asks no more. */
			if (c->sec.curve && agg_keys_check(c->sec.qkeys,
			    zmq_msg_gets(&m, "User-Id"), NULL, 0) !=
			    AGG_KEYS_OK) {
				atomic_fetch_add(&c->sec.unauthorized[1], 1);
				zmq_msg_close(&m);
				continue;
			}
			if (len >= QUERY_MSG_MAX) {
				static const char big[] = "query too large";

				proto_buf_reset(&out);
				if (proto_reply_encode(&out, 0, 400, big,
				    sizeof(big) - 1) == 0)
					send_reply(c->zq, ident, ident_len,
					    &out);
				zmq_msg_close(&m);
				continue;
			}
			if (store_only(buf, len, q)) {
				if (answer(c, buf, len, sa_wall_ns(), q,
				    &out) == 0)
					send_reply(c->zq, ident, ident_len,
					    &out);
			} else if (zmq_send(c->zpq, ident, ident_len,
			    ZMQ_SNDMORE) >= 0)
				(void)zmq_send(c->zpq, buf, len, 0);
			zmq_msg_close(&m);
		}
		/* Answers from the ingest thread go back out, frame by
		 * frame and whatever their size (zero-copy messages). */
		while (pi[1].revents & ZMQ_POLLIN) {
			int more;

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, c->zpq, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			more = zmq_msg_more(&m);
			if (zmq_msg_send(&m, c->zq, (more ? ZMQ_SNDMORE : 0) |
			    ZMQ_DONTWAIT) < 0)
				zmq_msg_close(&m);
		}
	}
	proto_buf_free(&out);
	free(q);
	return NULL;
}

static void
commit(struct agg_ctx *c, uint64_t now)
{
	if (agg_core_commit(c->core, send_ack, c) != 0)
		log_warnx("store write failed; acks wait for the next one");
	c->next_commit = now + c->commit_ns;
}

/* Store damage counted since the last look: one telemetry event. */
static void
store_damage_event(struct agg_ctx *c)
{
	char msg[600];

	if (store_damage_news(c->store, msg, sizeof(msg)))
		agg_core_note(c->core, AGG_SEV_ERROR, "store_damage", "%s", msg);
}

int
agg_run(struct agg_ctx *c)
{
	zmq_pollitem_t pi[2] = {
		{ c->zi, 0, ZMQ_POLLIN, 0 },
		{ c->zpc, 0, ZMQ_POLLIN, 0 },
	};
	uint64_t now = sa_wall_ns();
	long wait_ms;

	cli_stop_signals(on_signal);
	c->next_commit = now + c->commit_ns;
	c->next_tick = now + NS;
	c->next_expire = now;
	if (pthread_create(&c->qthread, NULL, query_main, c) != 0) {
		log_warnx("cannot start the query thread");
		return 1;
	}
	c->qthread_started = 1;
	if (agg_export_start(c->exp) != 0) {
		log_warnx("cannot start the export thread");
		return 1;
	}
	while (!agg_quit) {
		now = sa_wall_ns();
		wait_ms = c->next_commit > now ?
		    (long)((c->next_commit - now) / 1000000ULL) : 0;
		if (zmq_poll(pi, 2, wait_ms) < 0 && zmq_errno() != EINTR) {
			log_warnx("poll: %s", zmq_strerror(zmq_errno()));
			break;
		}
		now = sa_wall_ns();
		if (pi[0].revents & ZMQ_POLLIN)
			handle_ingest(c, now);
		if (pi[1].revents & ZMQ_POLLIN)
			handle_core_queries(c, now);
		if (now >= c->next_commit || agg_core_should_commit(c->core))
			commit(c, now);
		if (now >= c->next_tick) {
			store_damage_event(c);
			agg_core_tick(c->core, now);
			heap_trim();
			c->next_tick = now + NS;
		}
		if (now >= c->next_expire) {
			if (store_expire(c->store, now) != 0) {
				log_warnx("retention pass failed");
				agg_core_note(c->core, AGG_SEV_ERROR,
				    "store_error", "retention pass failed");
			}
			c->next_expire = now + 3600 * NS;
		}
	}
	log_info("stopping: writing open sessions and pending state");
	atomic_store(&c->qstop, 1);
	pthread_join(c->qthread, NULL);
	c->qthread_started = 0;
	agg_core_shutdown(c->core);
	if (agg_core_commit(c->core, send_ack, c) != 0) {
		log_warnx("final store write failed");
		return 1;
	}
	return 0;
}

int
agg_query_client(const char *endpoint, const char *kind,
    char *const *params, int nparams, int timeout_ms, const char *cert)
{
	struct proto_query *q = xcalloc(1, sizeof(*q));
	struct curve_cert key;
	struct proto_buf b;
	struct proto_reply r;
	zsock_t *s;
	zmq_msg_t m;
	char err[512];
	int i, rc = 1;

	zsys_handler_set(NULL);
	snprintf(q->kind, sizeof(q->kind), "%s", kind);
	q->id = 1;
	for (i = 0; i < nparams && i < PROTO_QUERY_MAX_PARAMS; i++) {
		const char *eq = strchr(params[i], '=');

		if (eq == NULL || (size_t)(eq - params[i]) > PROTO_QUERY_MAX_KEY ||
		    strlen(eq + 1) > PROTO_QUERY_MAX_VAL) {
			fprintf(stderr, "query parameter '%s': expected "
			    "key=value\n", params[i]);
			free(q);
			return 2;
		}
		memcpy(q->params[i].key, params[i], (size_t)(eq - params[i]));
		snprintf(q->params[i].val, sizeof(q->params[i].val), "%s",
		    eq + 1);
		q->nparams++;
	}
	proto_buf_init(&b, PROTO_MAX_MSG_DEFAULT);
	if (proto_query_encode(&b, q) != 0 ||
	    (s = zsock_new(ZMQ_DEALER)) == NULL) {
		proto_buf_free(&b);
		free(q);
		return 1;
	}
	zsock_set_linger(s, 0);
	zsock_set_rcvtimeo(s, timeout_ms);
	/* The aggregator's own key pair, which its query socket knows. */
	if (cert != NULL && cert[0] != '\0') {
		if (curve_cert_load(cert, 1, &key, err, sizeof(err)) != 0) {
			fprintf(stderr, "aggregator.curve_cert: %s\n", err);
			rc = 2;
			goto out;
		}
		rc = curve_client_apply(zsock_resolve(s), &key, &key);
		curve_cert_wipe(&key);
		if (rc != 0) {
			fprintf(stderr, "cannot set up CURVE: %s\n",
			    zmq_strerror(-rc));
			rc = 1;
			goto out;
		}
		rc = 1;
	}
	if (zsock_connect(s, "%s", endpoint) != 0 ||
	    zmq_send(zsock_resolve(s), b.data, b.len, 0) < 0) {
		fprintf(stderr, "cannot reach %s\n", endpoint);
		goto out;
	}
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, zsock_resolve(s), 0) < 0) {
		fprintf(stderr, "no answer from %s within %d ms\n", endpoint,
		    timeout_ms);
		zmq_msg_close(&m);
		goto out;
	}
	if (proto_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), &r) == 0) {
		fwrite(r.body, 1, r.body_len, stdout);
		fputc('\n', stdout);
		rc = r.status == 200 ? 0 : 1;
	} else
		fprintf(stderr, "malformed reply from %s\n", endpoint);
	zmq_msg_close(&m);
out:
	zsock_destroy(&s);
	proto_buf_free(&b);
	free(q);
	return rc;
}
