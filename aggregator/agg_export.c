/*
 * agg_export: the exporter thread. It works in rounds: read up to
 * [export] batch entries of the store's export queue after the position,
 * publish each session asynchronously to JetStream (Nats-Msg-Id = the
 * session id, so the stream's duplicate window drops a repeat), wait for
 * every ack, then write the position. With sessions_per_message above 1,
 * a message holds the sessions of one agent among that many consecutive
 * queue numbers, as JSON lines, and its Nats-Msg-Id names the store and
 * the numbers; each round's extent and cut are written to the store (the
 * plan) before its first publish, so that a repeat after a failure or a
 * crash cuts the very same messages. Two rounds overlap, each on its own
 * JetStream contexts: the next is read and published while the acks of
 * the one before come in, and the position moves past a round only once
 * it and every round before it are acknowledged. A round's messages go
 * out in turn on NCONN connections, so that nats-server and libnats
 * take them on as many threads. A round that does not end with all acks
 * is published again whole, with the one after it. docs/SCALING.md
 * argues exactly-once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "../common/sess_enr.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "agg_export.h"

#define NS		1000000000ULL
#define MAX_SERVERS	16
#define IDLE_MS		50	/* queue empty: look again after this */
#define RETRY_MS	500	/* after a failed round or connect */
#define TRIM_NS		NS	/* delete done queue entries at most this often */
#define NCONN		2	/* connections a round's messages share */
#define PER_MSG_MAX	100	/* [export] sessions_per_message */
#define ID_MAX		(16 + 2 * 20 + STORE_AGENT_MAX + 8)

enum xstate {
	XS_CONNECTING = 0,
	XS_EXPORTING,
	XS_RETRYING,
	XS_STOPPED,
	XS_MAX
};

static const char *const xstate_names[XS_MAX] = {
	"connecting", "exporting", "retrying", "stopped"
};

/* One round: what it read and published, and its acks. */
struct xround {
	struct agg_export	*x;
	/* Its own, one per connection, so that its acks wait alone. */
	jsCtx			*js[NCONN];
	/* Queue numbers (start, last], sessions a message. */
	uint64_t		 start, last, expired, first_wns;
	uint32_t		 per;
	size_t			 sent;		/* messages */
	int			 failed, busy;
	/* From libnats' thread. */
	_Atomic uint64_t	 acks, errs;
};

/* A session of the messages being cut: its JSON in x->lines_buf. */
struct xline {
	uint64_t	 key_hash, start_ns;
	size_t		 off, len;
	int		 done;
	char		 agent[STORE_AGENT_MAX + 1];
};

struct agg_export {
	struct store	*st;
	/* Configuration (owned copies). */
	char		*servers[MAX_SERVERS];
	int		 nservers;
	char		*stream, *prefix;
	char		*creds, *nkey, *seed;
	int		 tls;
	char		*ca, *cert, *key;
	size_t		 batch;
	uint32_t	 per_msg;
	int64_t		 max_in_flight, ack_timeout_ms;
	uint64_t	 settle_ns, max_age_ns, dup_ns;
	int64_t		 replicas;
	/* The thread and what it owns. */
	pthread_t	 thread;
	int		 started;
	pthread_mutex_t	 mu;		/* guards cv, stop, last_error */
	pthread_cond_t	 cv;
	int		 stop;
	char		 last_error[256];
	natsConnection	*nc[NCONN];
	jsCtx		*js;		/* stream management, on nc[0] */
	int		 stream_ok;
	uint64_t	 pos, expired;	/* as stored */
	uint64_t	 last_trim;
	/* Rounds published and not all acknowledged (ends after pos), as
	 * the store's plan says. */
	struct store_xplan plan[STORE_XPLAN_MAX];
	size_t		 nplan;
	/* The two rounds (export thread): r[cur] is read next. */
	struct xround	 r[2];
	int		 cur;
	uint64_t	 peek_wns;
	/* The sessions of the queue numbers being cut into messages (one
	 * cut: per_msg numbers), and a message's body. */
	struct xline	*lines;
	size_t		 nlines, lines_cap;
	uint64_t	 cut;
	char		*lines_buf, *body;
	size_t		 lines_len, lines_buf_cap, body_cap;
	/* Counters, read by any thread. */
	_Atomic int		 state;
	_Atomic uint64_t	 a_pos, a_expired, lag_wns;
	_Atomic uint64_t	 published, acks, duplicates, errors;
	_Atomic uint64_t	 rounds_failed;
	/* Rounds that published, their time and their wait for acks. */
	_Atomic uint64_t	 rounds, round_ns, ack_wait_ns;
};

static void	*export_main(void *);
static void	 plan_prune(struct agg_export *);
static uint64_t	 msg_sessions(natsMsg *);
static int	 parse_servers(struct agg_export *, const char *);
static int	 subject_ok(const char *);

struct agg_export *
agg_export_create(const struct cfg *cfg, struct store *st, int *rc)
{
	struct agg_export *x;
	const char *v;
	size_t i;

	*rc = 0;
	if (!cfg_bool(cfg, "export", "enabled"))
		return NULL;
	x = xcalloc(1, sizeof(*x));
	x->st = st;
	x->r[0].x = x->r[1].x = x;
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	if (parse_servers(x, cfg_str(cfg, "export", "servers")) < 0)
		goto bad;
	x->stream = xstrdup(cfg_str(cfg, "export", "stream"));
	x->prefix = xstrdup(cfg_str(cfg, "export", "subject_prefix"));
	if (strpbrk(x->stream, " \t.*>/\\") != NULL) {
		log_warnx("export: stream: \"%s\" is not a JetStream stream "
		    "name", x->stream);
		goto bad;
	}
	if (!subject_ok(x->prefix)) {
		log_warnx("export: subject_prefix: \"%s\" is not a subject "
		    "(tokens separated by '.', no wildcards)", x->prefix);
		goto bad;
	}
	v = cfg_str(cfg, "export", "creds_file");
	x->creds = v[0] != '\0' ? xstrdup(v) : NULL;
	v = cfg_str(cfg, "export", "nkey_seed_file");
	x->seed = v[0] != '\0' ? xstrdup(v) : NULL;
	v = cfg_str(cfg, "export", "nkey");
	x->nkey = v[0] != '\0' ? xstrdup(v) : NULL;
	if ((x->seed != NULL) != (x->nkey != NULL) || (x->seed != NULL &&
	    x->creds != NULL)) {
		log_warnx("export: nkey and nkey_seed_file go together, and "
		    "not with creds_file");
		goto bad;
	}
	v = cfg_str(cfg, "export", "tls_ca_file");
	x->ca = v[0] != '\0' ? xstrdup(v) : NULL;
	v = cfg_str(cfg, "export", "tls_cert_file");
	x->cert = v[0] != '\0' ? xstrdup(v) : NULL;
	v = cfg_str(cfg, "export", "tls_key_file");
	x->key = v[0] != '\0' ? xstrdup(v) : NULL;
	if ((x->cert != NULL) != (x->key != NULL)) {
		log_warnx("export: tls_cert_file and tls_key_file go together");
		goto bad;
	}
	x->tls = cfg_bool(cfg, "export", "tls") || x->ca != NULL ||
	    x->cert != NULL;
	x->batch = (size_t)cfg_u64(cfg, "export", "batch");
	x->per_msg = (uint32_t)cfg_u64(cfg, "export", "sessions_per_message");
	x->max_in_flight = (int64_t)cfg_u64(cfg, "export", "max_in_flight");
	x->ack_timeout_ms = (int64_t)cfg_u64(cfg, "export", "ack_timeout_ms");
	x->settle_ns = cfg_u64(cfg, "export", "settle") * NS;
	x->replicas = (int64_t)cfg_u64(cfg, "export", "stream_replicas");
	x->max_age_ns = cfg_u64(cfg, "export", "stream_max_age") * NS;
	x->dup_ns = cfg_u64(cfg, "export", "duplicate_window") * NS;
	/*
	 * Retention first, while no other thread uses the store: what
	 * expired while the aggregator was down is counted by the first
	 * round, not published in a race with the first retention pass.
	 */
	if (store_expire(st, sa_wall_ns()) != 0) {
		*rc = -EIO;
		agg_export_destroy(x);
		return NULL;
	}
	if ((*rc = store_export_position_get(st, &x->pos, &x->expired)) < 0 ||
	    (*rc = store_export_enable(st)) < 0 ||
	    (*rc = store_export_plan_get(st, x->plan, STORE_XPLAN_MAX,
	    &x->nplan)) < 0) {
		agg_export_destroy(x);
		return NULL;
	}
	plan_prune(x);
	for (i = 0; i < x->nplan; i++)
		if (x->plan[i].per_msg > PER_MSG_MAX ||
		    x->plan[i].end > store_export_last(st)) {
			/* Without it a repeat may be cut otherwise: sessions
			 * published twice, never lost. */
			log_warnx("export: the stored plan is not this queue's; "
			    "ignored");
			x->nplan = 0;
			break;
		}
	atomic_store(&x->a_pos, x->pos);
	atomic_store(&x->a_expired, x->expired);
	log_info("export: to stream %s on %s (%d servers), position %llu",
	    x->stream, x->servers[0], x->nservers,
	    (unsigned long long)x->pos);
	return x;
bad:
	*rc = -EINVAL;
	agg_export_destroy(x);
	return NULL;
}

int
agg_export_start(struct agg_export *x)
{
	if (x == NULL)
		return 0;
	if (pthread_create(&x->thread, NULL, export_main, x) != 0)
		return -EAGAIN;
	x->started = 1;
	return 0;
}

void
agg_export_destroy(struct agg_export *x)
{
	int i;

	if (x == NULL)
		return;
	if (x->started) {
		pthread_mutex_lock(&x->mu);
		x->stop = 1;
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
		pthread_join(x->thread, NULL);
		/* libnats' own threads and memory, so that nothing of it
		 * outlives the exporter. */
		nats_CloseAndWait(2000);
	}
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cv);
	for (i = 0; i < x->nservers; i++)
		free(x->servers[i]);
	free(x->stream);
	free(x->prefix);
	free(x->creds);
	free(x->nkey);
	free(x->seed);
	free(x->ca);
	free(x->cert);
	free(x->key);
	free(x->lines);
	free(x->lines_buf);
	free(x->body);
	free(x);
}

json_t *
agg_export_json(struct agg_export *x)
{
	json_t *o = json_object();
	uint64_t last, pos, wns, now;

	json_object_set_new(o, "enabled", json_boolean(x != NULL));
	if (x == NULL)
		return o;
	last = store_export_last(x->st);
	pos = atomic_load(&x->a_pos);
	wns = atomic_load(&x->lag_wns);
	now = sa_wall_ns();
	json_object_set_new(o, "state", json_string(
	    xstate_names[atomic_load(&x->state)]));
	json_object_set_new(o, "stream", json_string(x->stream));
	json_object_set_new(o, "position", json_integer((json_int_t)pos));
	json_object_set_new(o, "queued", json_integer((json_int_t)last));
	json_object_set_new(o, "lag_sessions", json_integer((json_int_t)
	    (last > pos ? last - pos : 0)));
	json_object_set_new(o, "lag_seconds", json_real(wns != 0 &&
	    now > wns ? (double)(now - wns) / 1e9 : 0.0));
	json_object_set_new(o, "published", json_integer((json_int_t)
	    atomic_load(&x->published)));
	json_object_set_new(o, "acks", json_integer((json_int_t)
	    atomic_load(&x->acks)));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)
	    atomic_load(&x->duplicates)));
	json_object_set_new(o, "publish_errors", json_integer((json_int_t)
	    atomic_load(&x->errors)));
	json_object_set_new(o, "rounds_failed", json_integer((json_int_t)
	    atomic_load(&x->rounds_failed)));
	json_object_set_new(o, "expired_unexported", json_integer((json_int_t)
	    atomic_load(&x->a_expired)));
	json_object_set_new(o, "rounds", json_integer((json_int_t)
	    atomic_load(&x->rounds)));
	json_object_set_new(o, "round_seconds", json_real((double)
	    atomic_load(&x->round_ns) / 1e9));
	json_object_set_new(o, "ack_wait_seconds", json_real((double)
	    atomic_load(&x->ack_wait_ns) / 1e9));
	pthread_mutex_lock(&x->mu);
	json_object_set_new(o, "last_error", x->last_error[0] != '\0' ?
	    json_string(x->last_error) : json_null());
	pthread_mutex_unlock(&x->mu);
	return o;
}

const char *
agg_export_degraded(struct agg_export *x, char *reason, size_t len)
{
	uint64_t exp;
	int s;

	if (x == NULL)
		return NULL;
	s = atomic_load(&x->state);
	exp = atomic_load(&x->a_expired);
	if (s == XS_EXPORTING && exp == 0)
		return NULL;
	pthread_mutex_lock(&x->mu);
	if (s != XS_EXPORTING)
		snprintf(reason, len, "export to JetStream %s: %s (%s)",
		    x->stream, xstate_names[s], x->last_error[0] != '\0' ?
		    x->last_error : "no error yet");
	else
		snprintf(reason, len, "export to JetStream %s: %llu sessions "
		    "expired before they were exported", x->stream,
		    (unsigned long long)exp);
	pthread_mutex_unlock(&x->mu);
	return reason;
}

/* ---- the thread ---------------------------------------------------- */

static void
set_error(struct agg_export *x, const char *what, natsStatus s)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s: %s%s%s", what, natsStatus_GetText(s),
	    nats_GetLastError(NULL) != NULL ? ": " : "",
	    nats_GetLastError(NULL) != NULL ? nats_GetLastError(NULL) : "");
	pthread_mutex_lock(&x->mu);
	if (strcmp(msg, x->last_error) != 0)
		log_warnx("export: %s", msg);
	snprintf(x->last_error, sizeof(x->last_error), "%s", msg);
	pthread_mutex_unlock(&x->mu);
}

/* Sleeps ms unless stopped; returns 1 if stopped. */
static int
nap(struct agg_export *x, int64_t ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->mu);
	if (!x->stop)
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	stop = x->stop;
	pthread_mutex_unlock(&x->mu);
	return stop;
}

static int
stopping(struct agg_export *x)
{
	int stop;

	pthread_mutex_lock(&x->mu);
	stop = x->stop;
	pthread_mutex_unlock(&x->mu);
	return stop;
}

/* From libnats' thread: one per message published asynchronously. */
static void
on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	struct xround *r = arg;
	struct agg_export *x = r->x;

	uint64_t n;

	(void)js;
	if (pa != NULL && pae == NULL) {
		n = msg_sessions(m);
		atomic_fetch_add(&r->acks, 1);
		atomic_fetch_add(&x->acks, n);
		if (pa->Duplicate)
			atomic_fetch_add(&x->duplicates, n);
	} else {
		atomic_fetch_add(&r->errs, 1);
		atomic_fetch_add(&x->errors, 1);
	}
	natsMsg_Destroy(m);
}

static void
disconnect(struct agg_export *x)
{
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < NCONN; k++) {
			jsCtx_Destroy(x->r[i].js[k]);
			x->r[i].js[k] = NULL;
		}
		x->r[i].busy = 0;
	}
	jsCtx_Destroy(x->js);
	x->js = NULL;
	for (i = 0; i < NCONN; i++) {
		if (x->nc[i] != NULL) {
			natsConnection_Close(x->nc[i]);
			natsConnection_Destroy(x->nc[i]);
		}
		x->nc[i] = NULL;
	}
	x->stream_ok = 0;
}

static int
connect_js(struct agg_export *x)
{
	natsOptions *o = NULL;
	const char *srv[MAX_SERVERS];
	jsOptions jo;
	natsStatus s;
	int i, k;

	if ((s = natsOptions_Create(&o)) != NATS_OK)
		goto fail;
	for (i = 0; i < x->nservers; i++)
		srv[i] = x->servers[i];
	s = natsOptions_SetServers(o, srv, x->nservers);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, "sessacct-aggregator");
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 500);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(o, 2);
	if (s == NATS_OK && x->tls)
		s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK && x->ca != NULL)
		s = natsOptions_LoadCATrustedCertificates(o, x->ca);
	if (s == NATS_OK && x->cert != NULL)
		s = natsOptions_LoadCertificatesChain(o, x->cert, x->key);
	if (s == NATS_OK && x->creds != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(o, x->creds, NULL);
	if (s == NATS_OK && x->seed != NULL)
		s = natsOptions_SetNKeyFromSeed(o, x->nkey, x->seed);
	for (i = 0; i < NCONN && s == NATS_OK; i++)
		s = natsConnection_Connect(&x->nc[i], o);
	if (s != NATS_OK)
		goto fail;
	jsOptions_Init(&jo);
	jo.Wait = x->ack_timeout_ms;
	/* max_in_flight is a round's: its connections share it. */
	jo.PublishAsync.MaxPending = (x->max_in_flight + NCONN - 1) / NCONN;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.StallWait = x->ack_timeout_ms;
	for (i = 0; i < 2; i++) {
		jo.PublishAsync.AckHandlerClosure = &x->r[i];
		for (k = 0; k < NCONN; k++)
			if ((s = natsConnection_JetStream(&x->r[i].js[k],
			    x->nc[k], &jo)) != NATS_OK)
				goto fail;
	}
	if ((s = natsConnection_JetStream(&x->js, x->nc[0], &jo)) != NATS_OK)
		goto fail;
	natsOptions_Destroy(o);
	return 0;
fail:
	set_error(x, "connect", s);
	natsOptions_Destroy(o);
	disconnect(x);
	return -EIO;
}

/* Uses the stream if it exists, else creates it. */
static int
ensure_stream(struct agg_export *x)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode je = 0;
	natsStatus s;
	char subj[160];
	const char *subjs[1] = { subj };

	s = js_GetStreamInfo(&si, x->js, x->stream, NULL, &je);
	if (s == NATS_OK) {
		if (si->Config != NULL && (uint64_t)si->Config->Duplicates <
		    x->dup_ns)
			log_warnx("export: stream %s has a duplicate window of "
			    "%lld s, shorter than export.duplicate_window: a "
			    "repeat after a longer outage of the aggregator is "
			    "not dropped", x->stream, (long long)
			    (si->Config->Duplicates / (int64_t)NS));
		jsStreamInfo_Destroy(si);
		x->stream_ok = 1;
		return 0;
	}
	if (s != NATS_NOT_FOUND && je != JSStreamNotFoundErr) {
		set_error(x, "stream info", s);
		return -EIO;
	}
	snprintf(subj, sizeof(subj), "%s.>", x->prefix);
	jsStreamConfig_Init(&sc);
	sc.Name = x->stream;
	sc.Subjects = subjs;
	sc.SubjectsLen = 1;
	sc.Retention = js_LimitsPolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = x->replicas;
	sc.MaxAge = (int64_t)x->max_age_ns;
	sc.Duplicates = (int64_t)x->dup_ns;
	s = js_AddStream(&si, x->js, &sc, NULL, &je);
	if (s != NATS_OK && je != JSStreamNameExistErr) {
		set_error(x, "creating the stream", s);
		return -EIO;
	}
	jsStreamInfo_Destroy(si);
	log_info("export: stream %s created (%s, %lld replicas)", x->stream,
	    subj, (long long)x->replicas);
	x->stream_ok = 1;
	return 0;
}

/* A message's sessions as stored by the ack: 1 unless it says more. */
static uint64_t
msg_sessions(natsMsg *m)
{
	const char *v;
	unsigned long n;

	if (natsMsgHeader_Get(m, "Sessacct-Sessions", &v) != NATS_OK)
		return 1;
	n = strtoul(v, NULL, 10);
	return n > 0 ? n : 1;
}

static int
publish(struct xround *r, const char *agent, const char *id, size_t nsess,
    const char *data, size_t len)
{
	struct agg_export *x = r->x;
	natsMsg *m = NULL;
	natsStatus st;
	char subj[256], count[24];

	snprintf(subj, sizeof(subj), "%s.%s", x->prefix, agent);
	st = natsMsg_Create(&m, subj, NULL, data, (int)len);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	if (st == NATS_OK && r->per > 1) {
		snprintf(count, sizeof(count), "%zu", nsess);
		st = natsMsgHeader_Set(m, "Sessacct-Sessions", count);
	}
	if (st == NATS_OK)
		st = js_PublishMsgAsync(r->js[r->sent % NCONN], &m, NULL);
	natsMsg_Destroy(m);
	if (st != NATS_OK) {
		set_error(x, "publish", st);
		atomic_fetch_add(&x->errors, 1);
		r->failed = 1;
		return -1;
	}
	r->sent++;
	atomic_fetch_add(&x->published, nsess);
	return 0;
}

/*
 * Publishes the sessions read of one cut (r->per queue numbers from
 * r->start + 1 + cut * r->per): one message per agent, its sessions in
 * queue order as JSON lines, named by the store's id, the cut's numbers
 * and the agent. Those depend only on the round's start and the plan,
 * and a row never changes agent, so a repeat of the cut carries the same
 * names and sessions (fewer, if some expired meanwhile), which the
 * duplicate window drops. One session a message is the plain contract:
 * the JSON object alone, named by its session_id.
 */
static void
cut_flush(struct xround *r)
{
	struct agg_export *x = r->x;
	struct xline *l, *o;
	uint64_t lo, hi;
	size_t i, j, n, len;
	char id[ID_MAX];

	/* A message is at most the cut's lines, each with its '\n'. */
	if (r->per > 1 && x->body_cap < x->lines_len + x->nlines) {
		x->body_cap = x->lines_len + x->nlines;
		x->body = xreallocarray(x->body, 1, x->body_cap);
	}
	for (i = 0; i < x->nlines && !r->failed; i++) {
		l = &x->lines[i];
		if (r->per == 1) {
			snprintf(id, sizeof(id), "%016llx%016llx",
			    (unsigned long long)l->key_hash,
			    (unsigned long long)l->start_ns);
			(void)publish(r, l->agent, id, 1, x->lines_buf + l->off,
			    l->len);
			continue;
		}
		if (l->done)
			continue;
		for (j = i, len = 0, n = 0; j < x->nlines; j++) {
			o = &x->lines[j];
			if (o->done || strcmp(o->agent, l->agent) != 0)
				continue;
			memcpy(x->body + len, x->lines_buf + o->off, o->len);
			len += o->len;
			x->body[len++] = '\n';
			o->done = 1;
			n++;
		}
		lo = r->start + 1 + x->cut * r->per;
		hi = lo + r->per - 1 < r->last ? lo + r->per - 1 : r->last;
		snprintf(id, sizeof(id), "%016llx:%llu-%llu:%s",
		    (unsigned long long)store_export_id(x->st),
		    (unsigned long long)lo,
		    (unsigned long long)hi, l->agent);
		(void)publish(r, l->agent, id, n, x->body, len);
	}
	x->nlines = 0;
	x->lines_len = 0;
}

/*
 * store_scan_from's callback: one queued session, its JSON kept until
 * its cut is complete.
 */
static void
publish_one(void *arg, uint64_t seq, uint64_t wns,
    const struct store_session *s)
{
	struct xround *r = arg;
	struct agg_export *x = r->x;
	struct sess_enr_fields f;
	struct sess_rec rec;
	struct xline *l;
	uint64_t eb[SESS_ENR_SIZE_MAX / sizeof(uint64_t) + 1], cut;

	if (r->failed || seq <= r->start || seq > r->last)
		return;
	cut = (seq - r->start - 1) / r->per;
	if (x->nlines > 0 && cut != x->cut)
		cut_flush(r);
	x->cut = cut;
	if (r->first_wns == 0)
		r->first_wns = wns;
	if (s == NULL) {
		r->expired++;
		return;
	}
	if (x->nlines == x->lines_cap) {
		x->lines_cap = x->lines_cap ? 2 * x->lines_cap : 16;
		x->lines = xreallocarray(x->lines, x->lines_cap,
		    sizeof(*x->lines));
	}
	if (x->lines_buf_cap - x->lines_len < SESS_JSON_MAX) {
		x->lines_buf_cap = x->lines_len + SESS_JSON_MAX +
		    x->lines_buf_cap;
		x->lines_buf = xreallocarray(x->lines_buf, 1, x->lines_buf_cap);
	}
	l = &x->lines[x->nlines++];
	l->key_hash = s->rec.key_hash;
	l->start_ns = s->rec.start_ns;
	l->done = 0;
	snprintf(l->agent, sizeof(l->agent), "%s", s->agent);
	/*
	 * The API's session object (agg_json_session), written straight
	 * into a buffer by the same writer as the agent's output, without a
	 * jansson tree: the enrichment the row keeps apart goes back into
	 * a block on the stack.
	 */
	memset(&f, 0, sizeof(f));
	f.origin = s->origin;
	f.leg = s->leg;
	f.peer_hash = s->peer_hash;
	f.peer_start = s->peer_start;
	rec = s->rec;
	rec.enr = sess_enr_make(eb, sizeof(eb), &f);
	l->off = x->lines_len;
	l->len = sess_json_format(&rec, s->agent, s->user[0] != '\0' ?
	    s->user : NULL, s->target[0] != '\0' ? s->target : NULL,
	    x->lines_buf + l->off, SESS_JSON_MAX);
	x->lines_len += l->len;
}

static void
peek_cb(void *arg, uint64_t seq, uint64_t wns, const struct store_session *s)
{
	(void)seq;
	(void)s;
	((struct agg_export *)arg)->peek_wns = wns;
}

/*
 * Takes back what the rounds still have unacknowledged (acks arriving
 * later are ignored) and forgets them: the next round reads again from
 * the position. Returns -1.
 */
static int
rounds_fail(struct agg_export *x)
{
	natsMsgList pending = { NULL, 0 };
	jsCtx *js;
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < NCONN; k++) {
			js = x->r[i].js[k];
			if (js != NULL && js_PublishAsyncGetPendingList(
			    &pending, js) == NATS_OK)
				natsMsgList_Destroy(&pending);
		}
		x->r[i].busy = 0;
	}
	atomic_fetch_add(&x->rounds_failed, 1);
	return -1;
}

/* Waits for every ack of round r, then writes the position after it. */
static int
round_finish(struct agg_export *x, struct xround *r)
{
	jsPubOptions po;
	uint64_t t = sa_mono_ns(), now;
	natsStatus s = NATS_OK;
	int i;

	if (r->sent > 0) {
		jsPubOptions_Init(&po);
		po.MaxWait = x->ack_timeout_ms;
		for (i = 0; i < NCONN && s == NATS_OK; i++)
			s = js_PublishAsyncComplete(r->js[i], &po);
		atomic_fetch_add(&x->ack_wait_ns, sa_mono_ns() - t);
		if (s != NATS_OK) {
			set_error(x, "waiting for acks", s);
			return -1;
		}
	}
	if (atomic_load(&r->errs) != 0 || atomic_load(&r->acks) != r->sent) {
		set_error(x, "acks", NATS_ERR);
		return -1;
	}
	if (r->expired > 0)
		log_warnx("export: %llu sessions expired before they were "
		    "exported (store.retention_days), %llu in all",
		    (unsigned long long)r->expired,
		    (unsigned long long)(x->expired + r->expired));
	now = sa_wall_ns();
	if (store_export_position_set(x->st, r->last, x->expired +
	    r->expired, now - x->last_trim >= TRIM_NS) < 0) {
		pthread_mutex_lock(&x->mu);
		snprintf(x->last_error, sizeof(x->last_error), "writing the "
		    "export position");
		pthread_mutex_unlock(&x->mu);
		return -1;
	}
	if (now - x->last_trim >= TRIM_NS)
		x->last_trim = now;
	x->pos = r->last;
	x->expired += r->expired;
	plan_prune(x);
	r->busy = 0;
	atomic_store(&x->a_pos, x->pos);
	atomic_store(&x->a_expired, x->expired);
	atomic_fetch_add(&x->rounds, 1);
	return 0;
}

/* Forgets the planned rounds the position has passed. */
static void
plan_prune(struct agg_export *x)
{
	size_t i, n = 0;

	for (i = 0; i < x->nplan; i++)
		if (x->plan[i].end > x->pos)
			x->plan[n++] = x->plan[i];
	x->nplan = n;
}

/*
 * Sets out round r from start: the planned round that starts there (the
 * repeat of one published before a failure or a crash: the same extent
 * and cut), or else a new one of up to [export] batch entries written
 * before cut_ns, whose plan is written before anything of it is
 * published. *n is its queue entries. 0, or -1 if the store failed.
 */
static int
round_plan(struct agg_export *x, struct xround *r, uint64_t cut_ns, size_t *n)
{
	uint64_t prev = x->pos, last;
	size_t i;

	for (i = 0; i < x->nplan; i++) {
		if (r->start == prev && x->plan[i].end > r->start) {
			r->last = x->plan[i].end;
			r->per = x->plan[i].per_msg;
			return store_export_range(x->st, r->start, SIZE_MAX,
			    UINT64_MAX, r->last, n, &last) < 0 ? -1 : 0;
		}
		prev = x->plan[i].end;
	}
	r->per = x->per_msg;
	if (store_export_range(x->st, r->start, x->batch, cut_ns, UINT64_MAX,
	    n, &r->last) < 0)
		return -1;
	if (*n == 0)
		return 0;
	if (x->nplan == STORE_XPLAN_MAX) {
		log_warnx("export: more rounds in flight than planned");
		return -1;
	}
	x->plan[x->nplan].end = r->last;
	x->plan[x->nplan].per_msg = r->per;
	x->nplan++;
	if (store_export_plan_set(x->st, x->plan, x->nplan) < 0) {
		x->nplan--;
		return -1;
	}
	return 0;
}

/*
 * One step: reads and publishes the next round after the one in flight
 * (or after the position), then finishes the one in flight. 1 if it
 * exported or published something, 0 if the queue had nothing ready and
 * nothing is in flight, -1 if it failed (published again from the
 * position).
 */
static int
round_once(struct agg_export *x)
{
	struct xround *r = &x->r[x->cur], *prev = &x->r[!x->cur];
	uint64_t now = sa_wall_ns(), t0 = sa_mono_ns(), cut;
	size_t n, got;
	int rc, inflight = prev->busy;

	cut = now > x->settle_ns ? now - x->settle_ns : 0;
	r->start = prev->busy ? prev->last : x->pos;
	r->expired = 0;
	r->sent = 0;
	r->failed = 0;
	r->first_wns = 0;
	atomic_store(&r->acks, 0);
	atomic_store(&r->errs, 0);
	x->nlines = 0;
	x->lines_len = 0;
	rc = round_plan(x, r, cut, &n);
	if (rc == 0 && n > 0)
		rc = store_scan_from(x->st, r->start, n, UINT64_MAX,
		    publish_one, r, &got);
	if (rc < 0) {
		pthread_mutex_lock(&x->mu);
		snprintf(x->last_error, sizeof(x->last_error), "reading the "
		    "store's export queue");
		pthread_mutex_unlock(&x->mu);
		return rounds_fail(x);
	}
	if (x->nlines > 0 && !r->failed)
		cut_flush(r);
	if (r->failed)
		return rounds_fail(x);
	if (inflight && round_finish(x, prev) < 0)
		return rounds_fail(x);
	if (r->last > r->start) {
		/* Now the oldest session not acknowledged. */
		atomic_store(&x->lag_wns, r->first_wns);
		r->busy = 1;
		x->cur = !x->cur;
		atomic_fetch_add(&x->round_ns, sa_mono_ns() - t0);
		return 1;
	}
	/* Caught up, or the next entry still settles. */
	x->peek_wns = 0;
	if (store_export_last(x->st) > x->pos)
		(void)store_scan_from(x->st, x->pos, 1, UINT64_MAX, peek_cb, x,
		    &n);
	atomic_store(&x->lag_wns, x->peek_wns);
	if (inflight)
		atomic_fetch_add(&x->round_ns, sa_mono_ns() - t0);
	return inflight;
}

static void *
export_main(void *arg)
{
	struct agg_export *x = arg;
	int r;

	while (!stopping(x)) {
		if (x->js == NULL || !x->stream_ok) {
			atomic_store(&x->state, XS_CONNECTING);
			if ((x->js == NULL && connect_js(x) < 0) ||
			    ensure_stream(x) < 0) {
				if (nap(x, RETRY_MS))
					break;
				continue;
			}
			log_info("export: connected to %s", x->servers[0]);
		}
		r = round_once(x);
		if (r < 0) {
			/* Look at the stream again next time: it may be gone
			 * (deleted, or its last replica lost). */
			x->stream_ok = 0;
			atomic_store(&x->state, XS_RETRYING);
			if (nap(x, RETRY_MS))
				break;
			continue;
		}
		atomic_store(&x->state, XS_EXPORTING);
		pthread_mutex_lock(&x->mu);
		x->last_error[0] = '\0';
		pthread_mutex_unlock(&x->mu);
		if (r == 0 && nap(x, IDLE_MS))
			break;
	}
	atomic_store(&x->state, XS_STOPPED);
	disconnect(x);
	return NULL;
}

/* ---- configuration ------------------------------------------------- */

static int
parse_servers(struct agg_export *x, const char *list)
{
	const char *p = list, *e;
	size_t len;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ',' && *e != ' '; e++)
			;
		len = (size_t)(e - p);
		if (x->nservers == MAX_SERVERS) {
			log_warnx("export: servers: more than %d URLs",
			    MAX_SERVERS);
			return -1;
		}
		if (!(len > 7 && strncmp(p, "nats://", 7) == 0) &&
		    !(len > 6 && strncmp(p, "tls://", 6) == 0)) {
			log_warnx("export: servers: \"%.*s\" is not a nats:// "
			    "or tls:// URL", (int)len, p);
			return -1;
		}
		x->servers[x->nservers] = xmalloc(len + 1);
		memcpy(x->servers[x->nservers], p, len);
		x->servers[x->nservers][len] = '\0';
		x->nservers++;
		p = e;
	}
	if (x->nservers == 0) {
		log_warnx("export: servers: no URL");
		return -1;
	}
	return 0;
}

/* Tokens of [A-Za-z0-9_-:] separated by single dots. */
static int
subject_ok(const char *s)
{
	int tok = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (tok == 0)
				return 0;
			tok = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' &&
		    *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		    *s == '-' || *s == ':')
			tok++;
		else
			return 0;
	}
	return tok > 0;
}
