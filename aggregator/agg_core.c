/*
 * agg_core: sequencing and state of the aggregator.
 *
 * Exactly-once effect: for each agent and boot the core keeps the highest
 * sequence applied in memory (watermark) and the highest one made durable
 * (durable). A batch applies only if it is the next one; one at or below
 * the watermark is a duplicate (acked, ignored); one past it is out of
 * order (RESEND from durable). A batch whose floor_seq is past the
 * watermark proves the agent dropped the ones in between: they are
 * counted as gaps and skipped. Acks name the durable watermark only after
 * the store write that holds it, the sessions it closed and the open
 * sessions it changed, so a crash loses nothing that was acked and
 * replays nothing twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "../common/sat.h"
#include "../common/sess_enr.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "agg_core.h"
#include "agg_core_int.h"

const double agg_duration_le[AGG_DURATION_BUCKETS] = {
	0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 1e300,
};

const double agg_latency_le[AGG_LATENCY_BUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	1e300,
};

static const char *const reject_names[AGG_REJ_MAX] = {
	"invalid", "agents_full", "stale_boot", "boot_busy", "floor_jump",
	"counter_range", "future_time", "session_share", "not_authorised",
};

const char *
agg_reject_name(enum agg_reject r)
{
	return (unsigned)r < AGG_REJ_MAX ? reject_names[r] : "unknown";
}

uint32_t
agg_core_capacity(const struct agg_core *c)
{
	return c->cfg.sess.max_sessions;
}

/* Counts a rejection of agent a (may be NULL), n messages or events. */
static void
reject_add(struct agg_core *c, struct agent *a, const char *id,
    enum agg_reject why, uint64_t n, uint64_t now)
{
	uint64_t *last;

	c->st.rejected[why] += n;
	if (a != NULL) {
		a->info.rejected_by[why] += n;
		if (why != AGG_REJ_SESSION_SHARE)
			a->info.rejected += n;
	}
	/* One event a minute per agent and reason (and per reason for all
	 * unknown agents), so that a flood does not push everything else
	 * out of the ring. */
	last = a != NULL ? &a->last_reject_note_ns[why] :
	    &c->last_reject_note_ns[why];
	if (*last != 0 && now - *last < WARN_NS)
		return;
	*last = now;
	log_warnx("agent %s: %s %s (%llu so far, noted once a minute)", id,
	    why == AGG_REJ_SESSION_SHARE ? "session refused:" :
	    "batch rejected:", agg_reject_name(why),
	    (unsigned long long)c->st.rejected[why]);
	agg_core_note(c, AGG_SEV_WARNING, "rejected", "agent %s: %s %s "
	    "(%llu so far, all agents)", id, why == AGG_REJ_SESSION_SHARE ?
	    "session refused:" : "batch rejected:", agg_reject_name(why),
	    (unsigned long long)c->st.rejected[why]);
}

void
agg_core_reject_count(struct agg_core *c, const char *id, size_t len,
    enum agg_reject reason, uint64_t now)
{
	char name[PROTO_MAX_ID + 1];
	size_t n = len > PROTO_MAX_ID ? PROTO_MAX_ID : len;
	struct agent *a = id != NULL ? agg__find_agent(c, id, len) : NULL;

	if ((unsigned)reason >= AGG_REJ_MAX)
		return;
	if (id != NULL) {
		memcpy(name, id, n);
		name[n] = '\0';
	} else
		snprintf(name, sizeof(name), "?");
	reject_add(c, a, name, reason, 1, now);
}

static void
to_store(const struct agg_core *c, const struct sess_rec *r,
    struct store_session *out)
{
	memset(out, 0, sizeof(*out));
	out->rec = *r;
	out->rec.enr = NULL;
	if (r->agent < c->nagents)
		memcpy(out->agent, c->agents[r->agent].info.id,
		    sizeof(c->agents[r->agent].info.id));
	if (r->enr != NULL) {
		sa_strlcpy(out->user, sess_enr_user(r->enr), sizeof(out->user));
		sa_strlcpy(out->target, sess_enr_target(r->enr),
		    sizeof(out->target));
		sa_strlcpy(out->origin, sess_enr_origin(r->enr),
		    sizeof(out->origin));
		out->leg = r->enr->leg;
		out->peer_hash = r->enr->peer_hash;
		out->peer_start = r->enr->peer_start;
	}
}

/*
 * The enrichment block of a stored session or an event, in buf: the
 * strings, and the proxy leg with the other leg's id (leg 0: none).
 */
static const struct sess_enr *
enr_of(uint64_t *buf, const char *user, const char *target,
    const char *origin, uint8_t leg, uint64_t peer_hash, uint64_t peer_start)
{
	struct sess_enr_fields f;

	memset(&f, 0, sizeof(f));
	f.user = user;
	f.target = target;
	f.origin = origin;
	if (leg != SESS_LEG_NONE && leg < SESS_LEG_MAX) {
		f.leg = leg;
		f.peer_hash = peer_hash;
		f.peer_start = peer_start;
	}
	return sess_enr_make(buf, SESS_ENR_SIZE_MAX, &f);
}

/* A string of an event (not NUL-terminated) into out, or "". */
static const char *
ev_str(const char *s, uint32_t len, char *out, size_t outlen)
{
	size_t n = s == NULL ? 0 : len < outlen ? len : outlen - 1;

	memcpy(out, s != NULL ? s : "", n);
	out[n] = '\0';
	return out;
}

/* A mark for the pending batch's blob (agg_marks.c). */
static void
closed_add(struct agg_core *c, uint64_t h, uint64_t start)
{
	if (c->nclosed == c->closed_cap) {
		c->closed_cap = c->closed_cap ? 2 * c->closed_cap : 1024;
		c->closed = xreallocarray(c->closed, c->closed_cap,
		    sizeof(*c->closed));
	}
	c->closed[c->nclosed].h = h;
	c->closed[c->nclosed++].start = start;
}

/* The session table closed one: history, and out of the checkpoint. */
static void
on_close(void *arg, const struct sess_rec *rec)
{
	struct agg_core *c = arg;
	struct store_session ss;

	struct agg_user *u;
	char cli[46];
	uint64_t d = rec->end_ns - rec->start_ns;
	int k;

	to_store(c, rec, &ss);
	store_batch_put_session(c->batch, &ss);
	/* Only what a commit checkpointed needs removing from it. */
	if (rec->reported)
		store_batch_del_active(c->batch, &ss);
	c->pending_closed++;
	closed_add(c, rec->key_hash, rec->start_ns);
	if (rec->agent < c->nagents)
		c->agents[rec->agent].marked = 1;
	for (k = 0; k < AGG_DURATION_BUCKETS - 1; k++)
		if ((double)d / 1e9 <= agg_duration_le[k])
			break;
	c->st.duration_buckets[k]++;
	c->st.duration_sum_ns += d;
	sess_json_addr(rec->af, rec->cli, cli);
	if ((u = agg__user_get(c, ss.user[0] != '\0' ? ss.user : cli)) != NULL)
		u->sessions++;
	else
		c->st.users_other.sessions++;
	/* Bytes as history has them: the session's, when it closes. */
	agg__dest_add(c, &ss, 1, ss.rec.bytes[0], ss.rec.bytes[1]);
	if (rec->reason == SESS_CLOSE_EVICTED)
		c->evictions_noted++;
}

static void
on_restore(void *arg, const struct store_session *ss)
{
	struct agg_core *c = arg;
	struct agent *a = agg__find_agent(c, ss->agent, strlen(ss->agent));
	struct sess_rec r = ss->rec;
	uint64_t eb[SESS_ENR_SIZE_MAX / 8 + 1];

	if (a == NULL && (a = agg__add_agent(c, ss->agent,
	    strlen(ss->agent))) == NULL)
		return;
	a->restored = 1;
	r.agent = a->idx;
	r.enr = enr_of(eb, ss->user, ss->target, ss->origin, ss->leg,
	    ss->peer_hash, ss->peer_start);
	if (sess_table_restore(c->table, &r) != 0)
		log_warnx("checkpoint: session of %s restored twice", ss->agent);
}

struct agg_core *
agg_core_create(const struct agg_core_cfg *cfg, struct store *store)
{
	struct agg_core *c = xcalloc(1, sizeof(*c));
	struct sess_table_stats ts;

	c->cfg = *cfg;
	if (c->cfg.max_agents == 0 || c->cfg.max_agents > UINT16_MAX)
		c->cfg.max_agents = UINT16_MAX;
	c->store = store;
	/* Sessions are counted per agent (sess_table_agent_sessions) even
	 * without a share. */
	if (c->cfg.sess.agent_max_sessions == 0 ||
	    c->cfg.sess.agent_max_sessions > c->cfg.sess.max_sessions)
		c->cfg.sess.agent_max_sessions = c->cfg.sess.max_sessions;
	c->agents = xcalloc(c->cfg.max_agents, sizeof(*c->agents));
	c->events = xcalloc(PROTO_MAX_EVENTS, sizeof(*c->events));
	if (c->cfg.max_users > 0) {
		uint32_t n = 16;

		while (n < 2 * c->cfg.max_users)
			n <<= 1;
		c->users = xcalloc(c->cfg.max_users, sizeof(*c->users));
		c->user_slots = xcalloc(n, sizeof(*c->user_slots));
		c->user_mask = n - 1;
	}
	agg__dests_init(c);
	c->tel_cap = c->cfg.telemetry_events;
	c->tel = xcalloc(c->tel_cap ? c->tel_cap : 1, sizeof(*c->tel));
	c->batch = store_batch_new(store);
	if ((c->table = sess_table_create(&c->cfg.sess, on_close, c)) ==
	    NULL) {
		agg_core_destroy(c);
		return NULL;
	}
	if (store_load_active(store, on_restore, c) != 0) {
		log_warnx("cannot read the checkpoint of open sessions");
		agg_core_destroy(c);
		return NULL;
	}
	if (store_load_marks(store, agg__on_marks, c) != 0) {
		log_warnx("cannot read the marks of closed sessions");
		agg_core_destroy(c);
		return NULL;
	}
	if (c->mark_no > 0)
		c->marks_stored = 1;
	if (c->nrmarks > 0)
		log_info("%zu sessions closed after the last checkpoint: "
		    "their resent events will not count again", c->nrmarks);
	c->next_ckpt_ns = sa_mono_ns() + c->cfg.checkpoint_ns;
	sess_table_get_stats(c->table, &ts);
	if (ts.active > 0)
		log_info("restored %llu open sessions of %u agents",
		    (unsigned long long)ts.active, c->nagents);
	return c;
}

void
agg_core_destroy(struct agg_core *c)
{
	if (c == NULL)
		return;
	sess_table_destroy(c->table);
	store_batch_free(c->batch);
	free(c->closed);
	free(c->rmarks);
	free(c->events);
	free(c->agents);
	free(c->users);
	free(c->user_slots);
	agg__dests_free(c);
	free(c->tel);
	free(c);
}

static void
reply_set(struct agg_reply *r, const uint8_t *ident, size_t ident_len,
    uint64_t boot, uint64_t seq, int status, const char *why)
{
	memset(r, 0, sizeof(*r));
	r->now = 1;
	if (ident_len > AGG_IDENT_MAX)
		ident_len = AGG_IDENT_MAX;
	memcpy(r->ident, ident, ident_len);
	r->ident_len = ident_len;
	r->ack.boot_id = boot;
	r->ack.seq = seq;
	r->ack.status = (uint8_t)status;
	if (why != NULL)
		snprintf(r->ack.reason, sizeof(r->ack.reason), "%s", why);
}

/*
 * After a successful store commit: a fresh batch, and the pending marks
 * and counts start again.
 */
static void
batch_done(struct agg_core *c)
{
	uint32_t i;

	store_batch_free(c->batch);
	c->batch = store_batch_new(c->store);
	c->pending_closed = 0;
	c->closed_since_ckpt += c->nclosed;
	c->nclosed = 0;
	if (c->closed_cap > 65536) {	/* after an agent's mass close */
		free(c->closed);
		c->closed = NULL;
		c->closed_cap = 0;
	}
	for (i = 0; i < c->nagents; i++)
		c->agents[i].marked = 0;
	c->st.commits++;
}

/*
 * Writes what is pending in the middle of agent a's batch seq, so that a
 * session it closed can be read back. The marks name seq as applied: if
 * the aggregator stops before the batch is checkpointed, its resend skips
 * the sessions written here and applies the rest. 0 or -EIO.
 */
static int
commit_mid_batch(struct agg_core *c, struct agent *a, uint64_t seq)
{
	uint64_t wm = a->info.watermark;

	a->info.watermark = seq;
	agg__put_marks(c, c->closed, c->nclosed, 0);
	a->info.watermark = wm;
	if (store_batch_commit(c->batch) != 0) {
		c->st.commit_errors++;
		return -EIO;
	}
	batch_done(c);
	return 0;
}

/* Whether the pending batch holds the session (h, start). */
static int
closed_pending(const struct agg_core *c, uint64_t h, uint64_t start)
{
	size_t i;

	for (i = 0; i < c->nclosed; i++)
		if (c->closed[i].h == h && c->closed[i].start == start)
			return 1;
	return 0;
}

/* The session an event names: agent, protocol and oriented ends. */
static void
ev_tuple(struct sess_event *ev, const struct agent *a,
    const struct proto_event *e)
{
	ev->agent = a->idx;
	ev->af = e->af;
	ev->proto = e->proto;
	memcpy(ev->cli, e->cli, 16);
	memcpy(ev->srv, e->srv, 16);
	ev->cli_port = e->cli_port;
	ev->srv_port = e->srv_port;
}

/* Marks of amendments: the session's hash salted, the amendment's time. */
#define AMEND_MARK_SALT	0x616d656e645f6d6bULL

/*
 * An AMEND event: late packets of a session the agent closed and
 * reported before (TIME_WAIT, docs/PROTOCOL.md). They go to the stored
 * row, its minute's totals and its user's and destination's hourly bytes
 * (store_batch_amend_session), and to the aggregator's counters. Each
 * amendment has its own mark (the session's hash salted, the late
 * packet's time, unique per session), so that a resend after a restart
 * applies it exactly once like any event. A session not in the store is
 * counted (amend_orphans) and left alone.
 */
static void
apply_amend(struct agg_core *c, struct agent *a, const struct proto_event *e,
    int marks)
{
	struct sess_event ev;
	struct store_session row;
	struct sess_rec d;
	struct agg_user *u;
	struct mark m;
	char id[33], cli[46];
	int k, rc;

	memset(&ev, 0, sizeof(ev));
	ev_tuple(&ev, a, e);
	m.h = sess_table_event_id(c->table, &ev);
	m.start = e->start_ns;
	snprintf(id, sizeof(id), "%016llx%016llx", (unsigned long long)m.h,
	    (unsigned long long)m.start);
	m.h ^= AMEND_MARK_SALT;
	m.start = e->last_ns;
	if (marks && agg__rmark_has(c, &m)) {
		c->st.late_events++;
		return;
	}
	rc = store_get_session(c->store, id, &row);
	if (rc == -ENOENT && closed_pending(c, m.h ^ AMEND_MARK_SALT,
	    e->start_ns) && commit_mid_batch(c, a, a->info.watermark + 1) == 0)
		rc = store_get_session(c->store, id, &row);
	if (rc != 0) {
		c->st.amend_orphans++;
		return;
	}
	memset(&d, 0, sizeof(d));
	for (k = 0; k < 2; k++) {
		d.packets[k] = e->packets[k];
		d.bytes[k] = e->bytes[k];
		d.wire_bytes[k] = e->wire_bytes[k];
		sa_sat_inc(&c->st.bytes[k], e->bytes[k]);
		sa_sat_inc(&c->st.packets[k], e->packets[k]);
		sa_sat_inc(&c->st.wire_bytes[k], e->wire_bytes[k]);
	}
	store_batch_amend_session(c->batch, &row, &d);
	sess_json_addr(row.rec.af, row.rec.cli, cli);
	u = agg__user_get(c, row.user[0] != '\0' ? row.user : cli);
	if (u == NULL)
		u = &c->st.users_other;
	sa_sat_inc(&u->bytes_sent, e->bytes[0]);
	sa_sat_inc(&u->bytes_received, e->bytes[1]);
	agg__dest_add(c, &row, 0, e->bytes[0], e->bytes[1]);
	closed_add(c, m.h, m.start);
	a->marked = 1;
	c->st.amends++;
}

/*
 * Moves the agent's clock once its batch is applied, and with it idles
 * out its sessions (and only its own): to the clock_ns the agent sends
 * (every change up to it has been sent), or from an agent without it, to
 * the latest event it applied (max_last_ns). Never by one event while the rest of the
 * batch, or another agent's time, is still to come: an UPDATE later in
 * the same report would find its session closed and open it again, a
 * second row with the same session_id.
 */
static void
agent_clock(struct agg_core *c, struct agent *a, const struct proto_batch *b)
{
	uint64_t now = b->clock_ns != 0 ? b->clock_ns : a->max_last_ns;

	if (now != 0)
		sess_table_agent_clock(c->table, a->idx, now);
}

static void
apply_events(struct agg_core *c, struct agent *a, uint32_t n)
{
	struct sess_event ev;
	struct agg_user *u;
	char cli[46], user[PROTO_MAX_STR + 1], target[PROTO_MAX_STR + 1];
	char origin[PROTO_MAX_ORIGIN + 1];
	uint64_t eb[SESS_ENR_SIZE_MAX / 8 + 1];
	uint32_t i;
	uint64_t refused = 0;
	int k, marks, rc;

	marks = c->rmarks != NULL && a->mark_upto != 0 &&
	    a->mark_boot == a->info.boot_id;
	for (i = 0; i < n; i++) {
		const struct proto_event *e = &c->events[i];

		if (e->kind == PROTO_EV_AMEND) {
			apply_amend(c, a, e, marks);
			continue;
		}
		ev_tuple(&ev, a, e);
		ev.start_ns = e->start_ns;
		if (marks) {
			struct mark m;

			m.h = sess_table_event_id(c->table, &ev);
			m.start = e->start_ns;
			if (agg__rmark_has(c, &m)) {
				/* Written before the restart. */
				c->st.late_events++;
				continue;
			}
		}
		/* Enrichment comes with every event of an enriched session
		 * (docs/PROTOCOL.md), so its user owns the bytes. */
		ev_str(e->user, e->user_len, user, sizeof(user));
		ev_str(e->target, e->target_len, target, sizeof(target));
		ev_str(e->origin, e->origin_len, origin, sizeof(origin));
		ev.enr = e->user != NULL || e->target != NULL ||
		    e->origin != NULL || e->leg != 0 ? enr_of(eb, user, target,
		    origin, e->leg, e->peer_hash, e->peer_start) : NULL;
		ev.last_ns = e->last_ns;
		memcpy(ev.packets, e->packets, sizeof(ev.packets));
		memcpy(ev.bytes, e->bytes, sizeof(ev.bytes));
		memcpy(ev.wire_bytes, e->wire_bytes, sizeof(ev.wire_bytes));
		ev.tcp_flags[0] = e->tcp_flags[0];
		ev.tcp_flags[1] = e->tcp_flags[1];
		ev.close = e->kind == PROTO_EV_CLOSE;
		ev.status = (enum sess_status)e->status;
		ev.reason = (enum sess_close)e->reason;
		/*
		 * A session that began before the agent was declared lost
		 * and is not open here was closed as agent_lost and written:
		 * late news of it must not start a second, partial session
		 * with the same id.
		 */
		ev.no_create = a->lost_upto_ns != 0 &&
		    e->start_ns <= a->lost_upto_ns;
		rc = sess_table_apply(c->table, &ev);
		if (rc == -EDQUOT) {
			/* The agent holds its share: refused, not counted. */
			refused++;
			continue;
		}
		if (rc == 0)
			c->st.late_events++;
		for (k = 0; k < 2; k++) {
			sa_sat_inc(&c->st.bytes[k], e->bytes[k]);
			sa_sat_inc(&c->st.packets[k], e->packets[k]);
			sa_sat_inc(&c->st.wire_bytes[k], e->wire_bytes[k]);
		}
		sess_json_addr(e->af, e->cli, cli);
		u = agg__user_get(c, user[0] != '\0' ? user : cli);
		if (u == NULL)
			u = &c->st.users_other;
		sa_sat_inc(&u->bytes_sent, e->bytes[0]);
		sa_sat_inc(&u->bytes_received, e->bytes[1]);
		if (e->last_ns > a->max_last_ns)
			a->max_last_ns = e->last_ns;
	}
	a->info.events += n;
	c->st.events_applied += n;
	if (refused > 0)
		reject_add(c, a, a->info.id, AGG_REJ_SESSION_SHARE, refused,
		    sa_wall_ns());
}

/*
 * Invalid messages are logged at most once a minute per peer (the
 * ZeroMQ routing id: one per agent connection; an invalid message may not
 * say which agent it is). The last WARN_PEERS peers are remembered; a new
 * one takes the slot warned longest ago, so a flood from many peers logs
 * at most WARN_PEERS lines a minute.
 */
static int
warn_due(struct agg_core *c, const uint8_t *ident, size_t ident_len,
    uint64_t now, char *peer, size_t peerlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, old = 0, n;
	struct warn_slot *w = NULL;

	for (i = 0; i < ident_len; i++)
		h = (h ^ ident[i]) * 0x100000001b3ULL;
	for (i = 0; i < WARN_PEERS && w == NULL; i++) {
		if (c->warned[i].last_ns != 0 && c->warned[i].peer == h)
			w = &c->warned[i];
		else if (c->warned[i].last_ns < c->warned[old].last_ns)
			old = i;
	}
	if (w != NULL && now - w->last_ns < WARN_NS)
		return 0;
	if (w == NULL) {
		w = &c->warned[old];
		w->peer = h;
	}
	w->last_ns = now;
	/* The routing id in hex, as much as fits. */
	for (i = n = 0; i < ident_len && n + 3 < peerlen; i++, n += 2)
		snprintf(peer + n, peerlen - n, "%02x", ident[i]);
	peer[n] = '\0';
	return 1;
}

/*
 * What no agent can truly report (docs/PROTOCOL.md "Limits"), checked
 * before anything of the batch applies: times past the aggregator's
 * clock by more than max_clock_skew (the past is fine: replays of old
 * captures), and counter deltas above what a link of max_link_bps could
 * carry in the event's span. Returns the reason, or AGG_REJ_MAX.
 */
#define SPAN_MAX_NS	(366ULL * 86400 * 1000000000ULL)
#define SPAN_SLACK_NS	1000000000ULL
#define MIN_PACKET	64		/* bytes: the smallest Ethernet frame */

static enum agg_reject
check_content(const struct agg_core *c, const struct proto_batch *b,
    uint64_t now)
{
	uint64_t late = now + c->cfg.max_clock_skew_ns;
	double bps = (double)c->cfg.max_link_bps / 8;
	uint32_t i;
	int k;

	if (late < now)
		late = UINT64_MAX;
	if (b->boot_ns > late || b->clock_ns > late)
		return AGG_REJ_FUTURE_TIME;
	for (i = 0; i < b->nevents; i++) {
		const struct proto_event *e = &c->events[i];
		uint64_t span = e->last_ns - e->start_ns;	/* >= 0 */
		double cap;

		if (e->start_ns > late || e->last_ns > late || e->end_ns > late)
			return AGG_REJ_FUTURE_TIME;
		/* A delta covers packets of the session's life so far; a
		 * year bounds it even for a forged start. */
		if (span > SPAN_MAX_NS)
			span = SPAN_MAX_NS;
		cap = bps * ((double)(span + SPAN_SLACK_NS) / 1e9);
		for (k = 0; k < 2; k++)
			if ((double)e->bytes[k] > cap ||
			    (double)e->wire_bytes[k] > cap ||
			    (double)e->packets[k] > cap / MIN_PACKET)
				return AGG_REJ_COUNTER_RANGE;
	}
	return AGG_REJ_MAX;
}

/*
 * The boot rule (docs/PROTOCOL.md "Boots"). A batch of the agent's
 * current boot passes if it names the boot's start time. A new boot
 * replaces the current one only if it started later (boot_ns), a batch
 * without a start time only if the current boot had none either, never
 * one of the last boots replaced, and only once the current boot has
 * been quiet for boot_quiet: while the real agent still speaks, a boot
 * someone else claims for it waits forever. *wm: the watermark the batch
 * is sequenced against (the new boot's, if it switches).
 */
static enum agg_reject
check_boot(struct agg_core *c, const struct agent *a,
    const struct proto_batch *b, uint64_t now, uint64_t *wm)
{
	int i;

	*wm = a->info.watermark;
	/* Agents that send a start time send it in every batch: one that
	 * does not name it is not this boot (an id read off the API is not
	 * enough to speak for the agent). */
	if (b->boot_id == a->info.boot_id)
		return a->info.boot_ns != 0 && b->boot_ns != a->info.boot_ns ?
		    AGG_REJ_STALE_BOOT : AGG_REJ_MAX;
	for (i = 0; i < OLD_BOOTS; i++)
		if (a->old_boots[i] == b->boot_id && b->boot_id != 0)
			return AGG_REJ_STALE_BOOT;
	if (a->info.boot_ns != 0 && b->boot_ns <= a->info.boot_ns)
		return AGG_REJ_STALE_BOOT;
	if (a->info.boot_id != 0 && !a->info.lost && a->boot_heard_ns != 0 &&
	    now - a->boot_heard_ns < c->cfg.boot_quiet_ns)
		return AGG_REJ_BOOT_BUSY;
	if (store_get_watermark(c->store, a->info.id, b->boot_id, wm) != 0)
		*wm = 0;
	return AGG_REJ_MAX;
}

/* Answers a rejected batch and counts it (a may be NULL). */
static int
reject(struct agg_core *c, struct agent *a, const struct proto_batch *b,
    enum agg_reject why, const uint8_t *ident, size_t ident_len,
    uint64_t now, struct agg_reply *reply)
{
	char id[PROTO_MAX_ID + 1];

	memcpy(id, b->agent_id, b->agent_len);
	id[b->agent_len] = '\0';
	reject_add(c, a, id, why, 1, now);
	reply_set(reply, ident, ident_len, b->boot_id, b->seq,
	    PROTO_ACK_REJECTED, why == AGG_REJ_AGENTS_FULL ?
	    "too many agents" : why == AGG_REJ_STALE_BOOT ? "stale boot" :
	    agg_reject_name(why));
	return 1;
}

int
agg_core_message(
struct agg_core *c, const uint8_t *ident, size_t ident_len,
    const uint8_t *body, size_t len, uint64_t now, struct agg_reply *reply)
{
	struct proto_batch b;
	struct agent *a;
	const char *why = NULL;
	char peer[2 * 16 + 1];
	enum agg_reject rej;
	uint64_t wm;
	int rc;

	c->st.messages++;
	rc = proto_batch_decode(body, len, c->cfg.max_msg, &b, c->events,
	    &why);
	if (rc != 0) {
		c->st.invalid++;
		if (rc == -EMSGSIZE)
			c->st.too_large++;
		else if (rc == -EPROTO)
			c->st.bad_version++;
		c->st.rejected[AGG_REJ_INVALID]++;
		if (warn_due(c, ident, ident_len, now, peer, sizeof(peer))) {
			log_warnx("peer %s: dropped an invalid message of %zu "
			    "bytes: %s (logged once a minute per peer)", peer,
			    len, why ? why : "?");
			agg_core_note(c, AGG_SEV_WARNING, "invalid_message",
			    "peer %s: dropped an invalid message of %zu bytes: "
			    "%s (%llu so far, all peers)", peer, len,
			    why ? why : "?", (unsigned long long)c->st.invalid);
		}
		/* Unknown sender: answer with what we can, boot 0. */
		reply_set(reply, ident, ident_len, 0, 0, PROTO_ACK_REJECTED,
		    why);
		return 1;
	}
	if ((rej = check_content(c, &b, now)) != AGG_REJ_MAX)
		return reject(c, agg__find_agent(c, b.agent_id, b.agent_len),
		    &b, rej, ident, ident_len, now, reply);
	a = agg__find_agent(c, b.agent_id, b.agent_len);
	if (a == NULL && (a = agg__add_agent(c, b.agent_id, b.agent_len)) ==
	    NULL) {
		c->st.agents_full++;
		return reject(c, NULL, &b, AGG_REJ_AGENTS_FULL, ident,
		    ident_len, now, reply);
	}
	agg__load_boot(c, a);
	if ((rej = check_boot(c, a, &b, now, &wm)) != AGG_REJ_MAX) {
		if (rej == AGG_REJ_BOOT_BUSY) {
			/* Not answered: the agent sends again after its
			 * resend timeout, and is taken once its current
			 * boot has been quiet for boot_quiet. */
			reject_add(c, a, a->info.id, rej, 1, now);
			return 0;
		}
		return reject(c, a, &b, rej, ident, ident_len, now, reply);
	}
	/* A floor_seq past the watermark by more than the window would
	 * skip (and count lost) batches no agent buffer could have held. */
	if (b.floor_seq > wm + 1 && b.floor_seq - wm - 1 >
	    c->cfg.max_floor_jump)
		return reject(c, a, &b, AGG_REJ_FLOOR_JUMP, ident, ident_len,
		    now, reply);
	/* Taken: from here on the batch is the agent's. */
	a->info.last_heard_ns = now;
	if (a->info.lost) {
		log_info("agent %s is back", a->info.id);
		agg_core_note(c, AGG_SEV_INFO, "agent_back", "agent %s is back",
		    a->info.id);
		a->info.lost = 0;
	}
	if (b.boot_id != a->info.boot_id)
		agg__switch_boot(c, a, b.boot_id, b.boot_ns);
	else if (a->info.boot_ns == 0)
		a->info.boot_ns = b.boot_ns;
	a->boot_heard_ns = now;
	memcpy(a->ident, ident, ident_len > AGG_IDENT_MAX ? AGG_IDENT_MAX :
	    ident_len);
	a->ident_len = ident_len > AGG_IDENT_MAX ? AGG_IDENT_MAX : ident_len;
	if (b.host_len <= PROTO_MAX_ID) {
		memcpy(a->info.host, b.host, b.host_len);
		a->info.host[b.host_len] = '\0';
	}
	if (b.seq <= a->info.durable) {
		a->info.duplicates++;
		reply_set(reply, ident, ident_len, b.boot_id, a->info.durable,
		    PROTO_ACK_OK, NULL);
		return 1;
	}
	if (b.seq <= a->info.watermark) {
		a->info.duplicates++;
		a->ack_pending = 1;
		return 0;
	}
	if (b.floor_seq > a->info.watermark + 1) {
		/* The agent no longer holds these: lost, and said so. */
		a->info.gaps += b.floor_seq - a->info.watermark - 1;
		log_warnx("agent %s: %llu batches lost (sequences %llu-%llu)",
		    a->info.id, (unsigned long long)(b.floor_seq -
		    a->info.watermark - 1),
		    (unsigned long long)a->info.watermark + 1,
		    (unsigned long long)b.floor_seq - 1);
		agg_core_note(c, AGG_SEV_ERROR, "batches_lost",
		    "agent %s: %llu batches lost", a->info.id,
		    (unsigned long long)(b.floor_seq - a->info.watermark - 1));
		a->info.watermark = b.floor_seq - 1;
	}
	if (b.seq != a->info.watermark + 1) {
		a->info.out_of_order++;
		reply_set(reply, ident, ident_len, b.boot_id, a->info.durable,
		    PROTO_ACK_RESEND, "out of order");
		return 1;
	}
	/* Counters only from batches applied: a resent old one would roll
	 * them back. */
	a->info.stats = b.stats;
	apply_events(c, a, b.nevents);
	agent_clock(c, a, &b);
	a->info.watermark = b.seq;
	a->info.batches++;
	a->ack_pending = 1;
	return 0;
}

void
agg_core_bad_transport(struct agg_core *c, const uint8_t *ident,
    size_t ident_len, const char *why, uint64_t now, struct agg_reply *reply)
{
	char peer[2 * 16 + 1];

	c->st.messages++;
	c->st.invalid++;
	if (warn_due(c, ident, ident_len, now, peer, sizeof(peer))) {
		log_warnx("peer %s: dropped an invalid message: %s (logged "
		    "once a minute per peer)", peer, why);
		agg_core_note(c, AGG_SEV_WARNING, "invalid_message",
		    "peer %s: dropped an invalid message: %s (%llu so far, "
		    "all peers)", peer, why, (unsigned long long)c->st.invalid);
	}
	reply_set(reply, ident, ident_len, 0, 0, PROTO_ACK_REJECTED, why);
}

int
agg_core_should_commit(const struct agg_core *c)
{
	return c->pending_closed >= c->cfg.commit_sessions;
}

static void
on_dirty(void *arg, const struct sess_rec *rec, int opened,
    const uint8_t seen[2])
{
	struct agg_core *c = arg;
	struct store_session ss;

	(void)opened;
	(void)seen;
	to_store(c, rec, &ss);
	store_batch_put_active(c->batch, &ss);
}

int
agg_core_commit(struct agg_core *c,
    void (*ack_cb)(void *arg, const struct agg_reply *), void *arg)
{
	struct agg_reply r;
	uint64_t t0 = sa_mono_ns(), dt;
	uint32_t i;
	int rc, k, ckpt;

	ckpt = c->force_ckpt || t0 >= c->next_ckpt_ns ||
	    c->closed_since_ckpt + c->nclosed > c->cfg.checkpoint_max_closed;
	if (ckpt) {
		sess_table_drain(c->table, on_dirty, c, 0);
		for (i = 0; i < c->nagents; i++) {
			struct agent *a = &c->agents[i];

			if (a->info.watermark > a->info.durable)
				store_batch_set_boot(c->batch, a->info.id,
				    a->info.boot_id, a->info.watermark,
				    a->info.boot_ns);
		}
		/* Marks written since the last checkpoint are covered now;
		 * those of a restart stay until no agent needs them (written
		 * once more, alone, rather than again at every checkpoint). */
		if (c->marks_new || (c->marks_stored && c->rmarks == NULL)) {
			store_batch_clear_marks(c->batch);
			c->marks_stored = 0;
			agg__put_restart_marks(c);
		}
		c->marks_new = 0;
	} else if (c->nclosed > 0)
		agg__put_marks(c, c->closed, c->nclosed, 0);
	rc = store_batch_commit(c->batch);
	dt = sa_mono_ns() - t0;
	if (rc != 0) {
		/* Keep the batch: the next commit writes it with whatever
		 * comes meanwhile. Acks wait until then. */
		c->st.commit_errors++;
		if (ckpt)
			c->force_ckpt = 1;
		agg_core_note(c, AGG_SEV_ERROR, "store_error",
		    "store write failed (%llu so far); acks wait",
		    (unsigned long long)c->st.commit_errors);
		return -EIO;
	}
	batch_done(c);
	c->st.commit_latency_sum_ns += dt;
	for (k = 0; k < AGG_LATENCY_BUCKETS; k++)
		if ((double)dt / 1e9 <= agg_latency_le[k]) {
			c->st.commit_latency_buckets[k]++;
			break;
		}
	if (!ckpt)
		return 0;
	c->st.checkpoints++;
	c->force_ckpt = 0;
	c->closed_since_ckpt = 0;
	c->next_ckpt_ns = t0 + c->cfg.checkpoint_ns;
	for (i = 0; i < c->nagents; i++) {
		struct agent *a = &c->agents[i];

		a->info.durable = a->info.watermark;
		if (!a->ack_pending)
			continue;
		a->ack_pending = 0;
		reply_set(&r, a->ident, a->ident_len, a->info.boot_id,
		    a->info.durable, PROTO_ACK_OK, NULL);
		ack_cb(arg, &r);
	}
	agg__prune_restart_marks(c);
	return 0;
}

void
agg_core_shutdown(struct agg_core *c)
{
	/* Open sessions stay in the checkpoint: a restart continues them.
	 * The next commit writes their latest counters. */
	c->force_ckpt = 1;
}

struct foreach_arg {
	const struct agg_core	*c;
	void			(*cb)(void *, const struct store_session *);
	void			*arg;
};

static void
foreach_cb(void *arg, const struct sess_rec *r)
{
	struct foreach_arg *fa = arg;
	struct store_session ss;

	to_store(fa->c, r, &ss);
	fa->cb(fa->arg, &ss);
}

void
agg_core_foreach_active(const struct agg_core *c,
    void (*cb)(void *arg, const struct store_session *), void *arg)
{
	struct foreach_arg fa = { c, cb, arg };

	sess_table_foreach(c->table, foreach_cb, &fa);
}

void
agg_core_get_stats(const struct agg_core *c, struct agg_core_stats *out,
    struct sess_table_stats *ts)
{
	*out = c->st;
	if (ts != NULL)
		sess_table_get_stats(c->table, ts);
}
