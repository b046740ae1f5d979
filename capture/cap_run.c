/*
 * cap_run: offline and live capture. Two threads: this one reads frames
 * with libpcap and decodes them into a cap_pipe; the engine thread applies
 * them to the session table and either prints closed sessions as JSON
 * lines, through a large stdout buffer (offline) or line by line (live),
 * or sends session events to the aggregator (cap_uplink.c). Every
 * event the engine sees (packets, clock ticks, stats, the end) travels
 * through the pipe, so its order is the capture's. Signals only set a
 * flag and break the pcap loop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/cli.h"
#include "../common/log.h"
#include "../common/proc_stat.h"
#include "../common/sess_enr.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "cap_pipe.h"
#include "cap_print.h"
#include "cap_priv.h"
#include "cap_run.h"
#include "cap_uplink.h"
#include "enrich.h"

#define OUTBUF_SIZE	(1 << 20)
#define PEEK_MAX	256

struct cap_ctx {
	const struct cap_config	*conf;
	const struct cap_opts	*opts;
	struct cap_source	*src;
	struct cap_engine	*eng;		/* engine thread only */
	struct cap_pipe		*pipe;
	int			 dlt;
	char			*outbuf;
	int			 live;
	uint64_t		 sessions_printed;
	int			 write_failed;
	/* The end of a file: the last sessions printed by a thread. */
	struct cap_printer	*printer;
	FILE			*stats_fp;	/* --stats-json=FILE, or NULL */
	pthread_t		 thread;
	int			 thread_started;
	/* Capture-thread counters; a copy goes to the engine for reports. */
	struct cap_engine_stats	 rd;
	pthread_mutex_t		 snap_mu;
	struct cap_engine_stats	 rd_snap;
	/* Sending to the aggregator (engine thread, then main at the end). */
	struct cap_uplink	*up;
	uint64_t		 next_flush;
	char			 host[65];
	/* --speed: capture thread pacing. */
	uint64_t		 pace_wall0, pace_ts0;
	/* Enrichment: the capture thread's; a copy of its counters for
	 * reports under snap_mu. */
	struct enrich		*enr;
	uint64_t		 enr_next_expire;
	uint64_t		*enr_pend;	/* answers not in the pipe yet */
	size_t			 enr_npend, enr_cappend;	/* bytes */
	struct enrich_stats	 enr_snap;
	/* The engine thread's: the answer being read from the pipe. */
	uint64_t		 enr_rx[(CAP_ENR_MSG_MAX + 7) / 8];
	size_t			 enr_rx_len, enr_rx_want;
};


static volatile sig_atomic_t cap_quit;
static struct cap_source *cap_signal_src;

static void
on_signal(int sig)
{
	(void)sig;
	cap_quit = 1;
	if (cap_signal_src != NULL)
		cap_source_break(cap_signal_src);
}

/* s as an event string (borrowed), or NULL if it is empty. */
static const char *
event_str(const char *s, uint32_t *len)
{
	*len = s != NULL ? (uint32_t)strlen(s) : 0;
	return *len > 0 ? s : NULL;
}

/*
 * A session record as a wire event (agent mode). Enrichment goes with
 * every event of an enriched session, like its identity: any event, sent
 * or resent, says whose bytes it carries. Without a proxy user, the
 * [users] label stands in for one.
 */
static void
to_event(const struct cap_ctx *c, const struct sess_rec *r, int kind,
    const uint8_t seen[2], struct proto_event *e)
{
	const char *label = cap_print_label(c->conf->users, r);

	memset(e, 0, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->af = r->af;
	e->proto = r->proto;
	if (kind == PROTO_EV_CLOSE) {
		e->status = (uint8_t)r->status;
		e->reason = (uint8_t)r->reason;
	}
	if (seen != NULL) {
		e->tcp_flags[0] = seen[0];
		e->tcp_flags[1] = seen[1];
	}
	e->cli_port = r->cli_port;
	e->srv_port = r->srv_port;
	memcpy(e->cli, r->cli, 16);
	memcpy(e->srv, r->srv, 16);
	e->start_ns = r->start_ns;
	e->last_ns = r->end_ns;
	memcpy(e->packets, r->packets, sizeof(e->packets));
	memcpy(e->bytes, r->bytes, sizeof(e->bytes));
	memcpy(e->wire_bytes, r->wire_bytes, sizeof(e->wire_bytes));
	e->user = event_str(label != NULL ? label : sess_enr_user(r->enr),
	    &e->user_len);
	e->target = event_str(sess_enr_target(r->enr), &e->target_len);
	e->origin = event_str(sess_enr_origin(r->enr), &e->origin_len);
	if (r->enr != NULL && r->enr->leg != SESS_LEG_NONE &&
	    r->enr->leg < SESS_LEG_MAX) {
		e->leg = r->enr->leg;
		e->peer_hash = r->enr->peer_hash;
		e->peer_start = r->enr->peer_start;
	}
}

static void
on_drain(void *arg, const struct sess_rec *rec, int opened,
    const uint8_t seen[2])
{
	struct cap_ctx *c = arg;
	struct proto_event e;

	(void)opened;
	to_event(c, rec, PROTO_EV_UPDATE, seen, &e);
	cap_uplink_event(c->up, &e);
}

/* One enrichment counter into the BATCH stats (docs/PROTOCOL.md). */
static void
enr_count(struct proto_capstats *ps, const char *group, const char *name,
    uint64_t v)
{
	struct proto_reason_count *rc;

	if (ps->nenrich >= PROTO_MAX_ENRICH)
		return;
	rc = &ps->enrich[ps->nenrich++];
	if (group != NULL)
		snprintf(rc->name, sizeof(rc->name), "%s.%s", group, name);
	else
		snprintf(rc->name, sizeof(rc->name), "%s", name);
	rc->count = v;
}

/*
 * The enrichment counters as the stats' 7th element, every one even at
 * zero, so the aggregator can tell enrichment on from an agent without
 * it: the names of --stats-json, a group and its key joined by a dot.
 */
static void
enr_capstats(const struct enrich_stats *e, struct proto_capstats *ps)
{
	int i;

	enr_count(ps, NULL, "tracked", e->tracked);
	for (i = 1; i < L7_KIND_MAX; i++)
		enr_count(ps, "enriched", l7_kind_name((enum l7_kind)i),
		    e->enriched[i]);
	enr_count(ps, NULL, "proxy_header", e->proxy_header);
	enr_count(ps, NULL, "rejected", e->rejected);
	enr_count(ps, NULL, "failed", e->failed);
	enr_count(ps, NULL, "unrecognised", e->unrecognised);
	for (i = 0; i < ENRICH_GIVEUP_MAX; i++)
		enr_count(ps, "given_up",
		    enrich_giveup_name((enum enrich_giveup)i), e->giveup[i]);
	enr_count(ps, NULL, "buffering", e->buffering);
	enr_count(ps, NULL, "buffering_peak", e->buffering_peak);
	enr_count(ps, NULL, "buffer_bytes", e->buffer_bytes);
	enr_count(ps, NULL, "buffer_bytes_peak", e->buffer_bytes_peak);
	for (i = 0; i < LEGS_RULE_MAX; i++)
		enr_count(ps, "legs", legs_rule_name((enum legs_rule)i),
		    e->legs.linked[i]);
	enr_count(ps, "legs", "ambiguous", e->legs.ambiguous);
	enr_count(ps, "legs", "unmatched", e->legs.unmatched);
	enr_count(ps, "legs", "dropped", e->legs.dropped);
}

/*
 * The agent's own resources as the stats' 8th element (docs/PROTOCOL.md):
 * what /metrics shows as sessacct_agent_resident_memory_bytes and
 * sessacct_agent_cpu_seconds_total. Never its start time: that would
 * tell the boot's boot_ns to anyone reading /api/agents.
 */
static void
proc_capstats(struct proto_capstats *ps)
{
	static const char *const names[] = { "resident_memory_bytes",
	    "virtual_memory_bytes", "cpu_ns", "open_fds", "max_fds",
	    "threads" };
	struct proc_stat st;
	uint64_t v[6];
	size_t i;

	if (proc_stat_read(0, &st) != 0)
		return;
	v[0] = st.resident_bytes;
	v[1] = st.virtual_bytes;
	v[2] = st.cpu_ns;
	v[3] = st.open_fds;
	v[4] = st.max_fds;
	v[5] = st.threads;
	for (i = 0; i < sizeof(v) / sizeof(v[0]) &&
	    ps->nprocess < PROTO_MAX_PROCESS; i++) {
		snprintf(ps->process[ps->nprocess].name,
		    sizeof(ps->process[0].name), "%s", names[i]);
		ps->process[ps->nprocess++].count = v[i];
	}
}

/* Agent mode: send what changed, with fresh capture counters. */
static void
uplink_flush(struct cap_ctx *c, uint64_t now)
{
	struct cap_engine_stats es, rd;
	struct cap_source_stats ss;
	struct proto_capstats ps;
	struct enrich_stats enr;
	int i;

	cap_engine_flush(c->eng);
	sess_table_drain((struct sess_table *)(uintptr_t)
	    cap_engine_sessions(c->eng), on_drain, c, 1);
	/* Every change up to the table's clock is now an event. */
	cap_uplink_set_clock(c->up, sess_table_clock(cap_engine_sessions(
	    c->eng)));
	cap_engine_get_stats(c->eng, &es);
	pthread_mutex_lock(&c->snap_mu);
	rd = c->rd_snap;
	enr = c->enr_snap;
	pthread_mutex_unlock(&c->snap_mu);
	cap_engine_stats_add(&es, &rd);
	cap_source_get_stats(c->src, &ss);
	memset(&ps, 0, sizeof(ps));
	ps.packets = es.packets;
	ps.kernel_drops = ss.kernel_drops;
	ps.if_drops = ss.if_drops;
	for (i = 1; i < DR_MAX && ps.nreasons < PROTO_MAX_REASONS; i++) {
		if (es.reasons[i] == 0)
			continue;
		if (!decode_reason_is_skip((enum decode_reason)i) &&
		    i != DR_FRAG_FULL)
			ps.decode_errors += es.reasons[i];
		snprintf(ps.reasons[ps.nreasons].name,
		    sizeof(ps.reasons[0].name), "%s",
		    decode_reason_name((enum decode_reason)i));
		ps.reasons[ps.nreasons++].count = es.reasons[i];
	}
	if (c->enr != NULL)
		enr_capstats(&enr, &ps);
	proc_capstats(&ps);
	cap_uplink_set_stats(c->up, &ps);
	cap_uplink_flush(c->up, now, 1);
	c->next_flush = now + c->conf->flush_interval_ns;
}

static void
on_close(void *arg, const struct sess_rec *rec)
{
	struct cap_ctx *c = arg;
	char line[CAP_PRINT_LINE_MAX];
	size_t n;

	if (c->up != NULL) {
		struct proto_event e;

		to_event(c, rec, PROTO_EV_CLOSE, NULL, &e);
		cap_uplink_event(c->up, &e);
		return;
	}
	if (!c->opts->print)
		return;
	if (c->printer != NULL) {
		cap_printer_add(c->printer, rec);
		return;
	}
	n = cap_print_line(rec, c->conf->agent_id, c->conf->users, line);
	if (fwrite(line, 1, n, stdout) != n)
		c->write_failed = 1;
	if (c->live)
		fflush(stdout);
	c->sessions_printed++;
}

/*
 * A late packet of a session already reported closed (TIME_WAIT): the
 * aggregator adds it to the stored session. Offline output holds closed
 * sessions until their TIME_WAIT ends instead (sess_table's hold mode).
 */
static void
on_amend(void *arg, const struct sess_rec *rec)
{
	struct cap_ctx *c = arg;
	struct proto_event e;

	if (c->up == NULL)
		return;
	to_event(c, rec, PROTO_EV_AMEND, NULL, &e);
	e.end_ns = rec->end_ns;
	e.last_ns = rec->amend_ns;
	cap_uplink_event(c->up, &e);
}

static void send_rec(struct cap_ctx *, enum cap_rec_type, uint64_t);

/* --speed N: hold each frame until N times its capture time has passed. */
static void
pace(struct cap_ctx *c, uint64_t ts)
{
	uint64_t now = sa_wall_ns(), due;
	struct timespec d;

	if (c->pace_wall0 == 0) {
		c->pace_wall0 = now;
		c->pace_ts0 = ts;
		return;
	}
	if (ts <= c->pace_ts0)
		return;
	due = c->pace_wall0 + (uint64_t)((double)(ts - c->pace_ts0) /
	    c->opts->speed);
	cap_pipe_flush(c->pipe);
	/* Sleep in slices, waking the engine after each: during a quiet
	 * stretch of the capture its updates and heartbeats still go out. */
	while (due > now && !cap_quit) {
		uint64_t slice = due - now < 100000000ULL ? due - now :
		    100000000ULL;

		d.tv_sec = 0;
		d.tv_nsec = (long)slice;
		nanosleep(&d, NULL);
		if (c->up != NULL)
			send_rec(c, CAP_REC_WAKE, 0);
		now = sa_wall_ns();
	}
}

_Static_assert(offsetof(struct cap_pkt, af) >= CAP_ENR_CHUNK &&
    offsetof(struct cap_pkt, proto) >= CAP_ENR_CHUNK,
    "an answer's bytes leave a record's type alone");
_Static_assert(sizeof(struct cap_enr_hdr) % 8 == 0 &&
    sizeof(struct cap_enr_id) % 8 == 0, "the block stays aligned");

static void
enr_id(struct cap_enr_id *d, const struct sess_obs *o)
{
	memset(d, 0, sizeof(*d));
	d->ts_ns = o->ts_ns;
	memcpy(d->src, o->src, 16);
	memcpy(d->dst, o->dst, 16);
	d->sport = o->sport;
	d->dport = o->dport;
	d->af = o->af;
	d->proto = o->proto;
	d->agent = o->agent;
}

static void
enr_obs(struct sess_obs *d, const struct cap_enr_id *o)
{
	memset(d, 0, sizeof(*d));
	d->ts_ns = o->ts_ns;
	memcpy(d->src, o->src, 16);
	memcpy(d->dst, o->dst, 16);
	d->sport = o->sport;
	d->dport = o->dport;
	d->af = o->af;
	d->proto = o->proto;
	d->agent = o->agent;
}

/*
 * Capture thread: an enrichment answer, as the bytes it goes down the
 * pipe as (struct cap_enr_hdr), after the message's length. It waits
 * until the packet that brought it is in the pipe (enrichment reads that
 * packet's slot before it is committed), then follows it (enr_flush).
 * e is borrowed.
 */
static void
enr_queue(struct cap_ctx *c, const struct sess_obs *key,
    const struct sess_obs *peer, struct sess_enr *e)
{
	struct cap_enr_hdr h;
	size_t sz = sess_enr_size(e), len, need;
	uint64_t pre;
	uint8_t *p;

	len = sizeof(h) + (peer != NULL ? sizeof(struct cap_enr_id) : 0) +
	    ((sz + 7) & ~(size_t)7);
	need = c->enr_npend + 8 + len;
	if (need > c->enr_cappend) {
		while (need > c->enr_cappend)
			c->enr_cappend = c->enr_cappend ? 2 * c->enr_cappend :
			    4096;
		c->enr_pend = xreallocarray(c->enr_pend, c->enr_cappend / 8,
		    8);
	}
	p = (uint8_t *)c->enr_pend + c->enr_npend;
	memset(p, 0, 8 + len);
	pre = len;
	memcpy(p, &pre, 8);
	p += 8;
	enr_id(&h.key, key);
	h.has_peer = peer != NULL;
	h.size = (uint32_t)sz;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	if (peer != NULL) {
		struct cap_enr_id pi;

		enr_id(&pi, peer);
		memcpy(p, &pi, sizeof(pi));
		p += sizeof(pi);
	}
	memcpy(p, e, sz);
	c->enr_npend += 8 + len;
}

static void
on_enrich(void *arg, const struct sess_obs *key, struct sess_enr *e)
{
	enr_queue(arg, key, NULL, e);
}

/* Capture thread: a linked proxy leg's block, with the other leg. */
static void
on_enrich_link(void *arg, const struct sess_obs *key,
    const struct sess_obs *peer, struct sess_enr *e)
{
	enr_queue(arg, key, peer, e);
}

/* Capture thread: the answers waiting, into the pipe in their order. */
static void
enr_flush(struct cap_ctx *c)
{
	const uint8_t *p = (const uint8_t *)c->enr_pend;
	const uint8_t *end = p + c->enr_npend;
	struct cap_rec *r;
	uint64_t pre;
	size_t len, off, n;

	while (p < end) {
		memcpy(&pre, p, 8);
		len = (size_t)pre;
		p += 8;
		for (off = 0; off < len; off += n) {
			n = len - off < CAP_ENR_CHUNK ? len - off :
			    CAP_ENR_CHUNK;
			r = cap_pipe_reserve(c->pipe);
			memcpy(&r->pkt, p + off, n);
			r->pkt.af = 0;
			r->pkt.proto = off == 0 ? CAP_REC_ENRICH :
			    CAP_REC_ENRICH_MORE;
			r->pkt.payload = (uint32_t)len;
			cap_pipe_commit(c->pipe);
		}
		p += len;
	}
	c->enr_npend = 0;
}

/*
 * Engine thread: one record of an answer; the last one hands it to the
 * session table, which keeps a shared copy of the block.
 */
static void
enr_receive(struct cap_ctx *c, const struct cap_rec *r)
{
	const struct cap_enr_hdr *h;
	struct sess_obs key, peer;
	uint8_t *b = (uint8_t *)c->enr_rx;
	size_t n;

	if (cap_rec_type(r) == CAP_REC_ENRICH) {
		c->enr_rx_len = 0;
		c->enr_rx_want = r->pkt.payload;
		if (c->enr_rx_want > sizeof(c->enr_rx))
			c->enr_rx_want = 0;	/* cannot be: dropped */
	}
	if (c->enr_rx_len >= c->enr_rx_want)
		return;
	n = c->enr_rx_want - c->enr_rx_len;
	if (n > CAP_ENR_CHUNK)
		n = CAP_ENR_CHUNK;
	memcpy(b + c->enr_rx_len, &r->pkt, n);
	c->enr_rx_len += n;
	if (c->enr_rx_len < c->enr_rx_want)
		return;
	h = (const struct cap_enr_hdr *)(const void *)b;
	b += sizeof(*h);
	enr_obs(&key, &h->key);
	if (h->has_peer) {
		enr_obs(&peer, (const struct cap_enr_id *)(const void *)b);
		b += sizeof(struct cap_enr_id);
	}
	(void)cap_engine_enrich(c->eng, &key, h->has_peer ? &peer : NULL,
	    (struct sess_enr *)(void *)b);
}

/* Capture thread: decode straight into the next pipe slot. */
static void
on_frame(void *arg, uint64_t ts, const uint8_t *pkt, uint32_t caplen,
    uint32_t wirelen)
{
	struct cap_ctx *c = arg;
	struct cap_rec *r;
	const uint8_t *l7;
	uint32_t l7len;

	if (c->opts->speed > 0)
		pace(c, ts);
	r = cap_pipe_reserve(c->pipe);
	if (!cap_engine_decode_l7(c->eng, ts, pkt, caplen, wirelen, &r->pkt,
	    &c->rd, &l7, &l7len))
		return;
	if (c->enr == NULL || !enrich_wants(&r->pkt)) {
		cap_pipe_commit(c->pipe);
		return;
	}
	/* The slot is the engine's once committed: read it before. */
	enrich_packet(c->enr, &r->pkt, l7, l7len);
	cap_pipe_commit(c->pipe);
	if (ts >= c->enr_next_expire) {
		enrich_expire(c->enr, ts);
		c->enr_next_expire = ts + 1000000000ULL;
	}
	if (c->enr_npend > 0)
		enr_flush(c);
}

/* Capture thread: its counters, for the engine's reports. */
static void
snap_capture(struct cap_ctx *c)
{
	pthread_mutex_lock(&c->snap_mu);
	c->rd_snap = c->rd;
	if (c->enr != NULL)
		enrich_get_stats(c->enr, &c->enr_snap);
	pthread_mutex_unlock(&c->snap_mu);
}

static void
send_rec(struct cap_ctx *c, enum cap_rec_type type, uint64_t ts)
{
	struct cap_rec *r = cap_pipe_reserve(c->pipe);

	r->pkt.af = 0;
	r->pkt.proto = (uint8_t)type;
	r->pkt.ts_ns = ts;
	cap_pipe_commit(c->pipe);
	cap_pipe_flush(c->pipe);
}

static void report(struct cap_ctx *, FILE *, int);

/* Engine thread: everything after decoding. */
static void *
engine_main(void *arg)
{
	struct cap_ctx *c = arg;
	struct cap_rec *recs;
	size_t n, i;
	int done = 0;

	while (!done) {
		n = cap_pipe_peek(c->pipe, &recs, PEEK_MAX);
		for (i = 0; i < n; i++) {
			switch (cap_rec_type(&recs[i])) {
			case CAP_REC_PKT:
				cap_engine_push(c->eng, &recs[i].pkt);
				break;
			case CAP_REC_TICK:
				cap_engine_tick(c->eng, recs[i].pkt.ts_ns);
				break;
			case CAP_REC_STATS:
				cap_engine_flush(c->eng);
				report(c, stderr, 0);
				break;
			case CAP_REC_END:
				done = 1;
				break;
			case CAP_REC_WAKE:
				break;
			case CAP_REC_ENRICH:
			case CAP_REC_ENRICH_MORE:
				enr_receive(c, &recs[i]);
				break;
			}
		}
		cap_pipe_release(c->pipe, n);
		if (c->up != NULL) {
			uint64_t now = sa_wall_ns();

			if (now >= c->next_flush)
				uplink_flush(c, now);
			else
				cap_uplink_poll(c->up, now);
		}
	}
	cap_engine_flush(c->eng);
	return NULL;
}

struct cap_ctx *
cap_ctx_create(const struct cap_config *conf, const struct cap_opts *opts,
    int *exit_code)
{
	struct cap_ctx *c = xcalloc(1, sizeof(*c));
	struct cap_source_cfg scfg = conf->src;
	char err[512];
	int rc;

	c->conf = conf;
	c->opts = opts;
	if (opts->read_file != NULL) {
		scfg.file = opts->read_file;
		scfg.interface = NULL;
	} else
		scfg.file = NULL;
	c->live = scfg.file == NULL;
	*exit_code = 1;
	if ((c->src = cap_source_open(&scfg, err, sizeof(err), &rc)) == NULL) {
		log_warnx("cannot open capture: %s", err);
		if (rc == -EINVAL)
			*exit_code = 2;
		free(c);
		return NULL;
	}
	if (opts->ready_file != NULL) {
		/* The capture is open: packets from now on are seen. */
		char ready[600];

		snprintf(ready, sizeof(ready), "{\"capture\": \"%s\", "
		    "\"link_type\": %d}", scfg.file != NULL ? "file" :
		    "interface", cap_source_dlt(c->src));
		if ((rc = cli_write_ready(opts->ready_file, ready)) != 0) {
			errno = -rc;
			log_warn("%s", opts->ready_file);
			cap_source_close(c->src);
			free(c);
			return NULL;
		}
	}
	/* Like tcpdump -w: open output before privileges go. */
	if (opts->stats_path != NULL &&
	    (c->stats_fp = fopen(opts->stats_path, "w")) == NULL) {
		log_warn("%s", opts->stats_path);
		cap_source_close(c->src);
		free(c);
		return NULL;
	}
	return c;
}

int
cap_ctx_start(struct cap_ctx *c)
{
	struct cap_engine_cfg ecfg = c->conf->eng;
	char err[512];

	if (cap_priv_drop(c->conf->user, c->conf->chroot_dir, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	ecfg.dlt = c->dlt = cap_source_dlt(c->src);
	ecfg.agent_id = c->conf->agent_id;
	/* Printing: each session once, its late packets included. */
	ecfg.sess.time_wait_hold = c->opts->connect == NULL &&
	    c->opts->print;
	if ((c->eng = cap_engine_create(&ecfg, on_close, c)) == NULL) {
		log_warnx("link type %d is not supported", ecfg.dlt);
		return -1;
	}
	sess_table_set_amend_cb((struct sess_table *)(uintptr_t)
	    cap_engine_sessions(c->eng), on_amend, c);
	c->pipe = cap_pipe_create(c->conf->pipe_slots);
	pthread_mutex_init(&c->snap_mu, NULL);
	if (c->conf->enrich_on &&
	    ((c->enr = enrich_create(&c->conf->enrich, on_enrich, c)) ==
	    NULL || enrich_set_link(c->enr, on_enrich_link) != 0)) {
		log_warnx("enrichment limits out of range");
		return -1;
	}
	if (c->opts->connect != NULL || !c->opts->print) {
		struct cap_uplink_cfg ucfg = c->conf->uplink;

		ucfg.endpoint = c->opts->connect != NULL ? c->opts->connect :
		    c->conf->aggregator;
		ucfg.agent_id = c->conf->agent_id;
		if (gethostname(c->host, sizeof(c->host) - 1) != 0)
			c->host[0] = '\0';
		ucfg.host = c->host;
		/* A replay may wait for the aggregator; live capture may not. */
		ucfg.full_wait_ns = c->live ? 0 : ucfg.resend_ns;
		if ((c->up = cap_uplink_create(&ucfg, err, sizeof(err))) ==
		    NULL) {
			log_warnx("%s", err);
			return -1;
		}
		c->next_flush = sa_wall_ns() + c->conf->flush_interval_ns;
		log_info("agent %s sending to %s", c->conf->agent_id,
		    ucfg.endpoint);
	}
	if (!c->live && c->up == NULL) {
		c->outbuf = xmalloc(OUTBUF_SIZE);
		setvbuf(stdout, c->outbuf, _IOFBF, OUTBUF_SIZE);
	}
	cap_signal_src = c->src;
	cli_stop_signals(on_signal);
	return 0;
}

/* The enrichment counters as a JSON member "enrichment": {...}. */
static void
report_enrich(const struct enrich_stats *e, FILE *fp)
{
	int i;

	fprintf(fp, "\"enrichment\":{\"tracked\":%llu,\"enriched\":{",
	    (unsigned long long)e->tracked);
	for (i = 1; i < L7_KIND_MAX; i++)
		fprintf(fp, "%s\"%s\":%llu", i > 1 ? "," : "",
		    l7_kind_name((enum l7_kind)i),
		    (unsigned long long)e->enriched[i]);
	fprintf(fp, "},\"proxy_header\":%llu,\"rejected\":%llu,"
	    "\"failed\":%llu,\"unrecognised\":%llu,\"given_up\":{",
	    (unsigned long long)e->proxy_header,
	    (unsigned long long)e->rejected, (unsigned long long)e->failed,
	    (unsigned long long)e->unrecognised);
	for (i = 0; i < ENRICH_GIVEUP_MAX; i++)
		fprintf(fp, "%s\"%s\":%llu", i > 0 ? "," : "",
		    enrich_giveup_name((enum enrich_giveup)i),
		    (unsigned long long)e->giveup[i]);
	fprintf(fp, "},\"buffering_peak\":%llu,\"buffer_bytes_peak\":%llu,"
	    "\"legs\":{",
	    (unsigned long long)e->buffering_peak,
	    (unsigned long long)e->buffer_bytes_peak);
	for (i = 0; i < LEGS_RULE_MAX; i++)
		fprintf(fp, "\"%s\":%llu,", legs_rule_name((enum legs_rule)i),
		    (unsigned long long)e->legs.linked[i]);
	fprintf(fp, "\"ambiguous\":%llu,\"unmatched\":%llu,\"dropped\":%llu}}",
	    (unsigned long long)e->legs.ambiguous,
	    (unsigned long long)e->legs.unmatched,
	    (unsigned long long)e->legs.dropped);
}

static void
report(struct cap_ctx *c, FILE *fp, int json)
{
	struct enrich_stats enr;
	struct cap_engine_stats es;
	struct cap_source_stats ss;
	struct sess_table_stats st;
	uint64_t errors = 0, skipped = 0;
	int i, first = 1;

	cap_engine_get_stats(c->eng, &es);
	pthread_mutex_lock(&c->snap_mu);
	cap_engine_stats_add(&es, &c->rd_snap);
	enr = c->enr_snap;
	pthread_mutex_unlock(&c->snap_mu);
	cap_source_get_stats(c->src, &ss);
	sess_table_get_stats(cap_engine_sessions(c->eng), &st);
	for (i = 1; i < DR_MAX; i++) {
		if (i == DR_FRAG_FULL)
			continue;	/* an event, not a lost packet */
		if (decode_reason_is_skip((enum decode_reason)i))
			skipped += es.reasons[i];
		else
			errors += es.reasons[i];
	}
	if (json) {
		fprintf(fp, "{\"packets\":%llu,\"wire_bytes\":%llu,"
		    "\"attributed\":%llu,\"skipped\":%llu,"
		    "\"decode_errors\":%llu,\"fragments_waiting\":%llu,"
		    "\"kernel_drops\":%llu,\"interface_drops\":%llu,"
		    "\"sessions\":%llu,\"sessions_active\":%llu,"
		    "\"sessions_peak\":%llu,\"reasons\":{",
		    (unsigned long long)es.packets,
		    (unsigned long long)es.wire_bytes,
		    (unsigned long long)es.observed,
		    (unsigned long long)skipped, (unsigned long long)errors,
		    (unsigned long long)es.frag_waiting,
		    (unsigned long long)ss.kernel_drops,
		    (unsigned long long)ss.if_drops,
		    (unsigned long long)st.created,
		    (unsigned long long)st.active,
		    (unsigned long long)st.active_peak);
		for (i = 1; i < DR_MAX; i++) {
			fprintf(fp, "%s\"%s\":%llu", first ? "" : ",",
			    decode_reason_name((enum decode_reason)i),
			    (unsigned long long)es.reasons[i]);
			first = 0;
		}
		fputs("},\"close_reasons\":{", fp);
		for (first = 1, i = 1; i < SESS_CLOSE_MAX; i++) {
			fprintf(fp, "%s\"%s\":%llu", first ? "" : ",",
			    sess_close_name((enum sess_close)i),
			    (unsigned long long)st.closed[i]);
			first = 0;
		}
		fprintf(fp, "},\"late_packets\":%llu,\"time_wait\":%llu,"
		    "\"time_wait_evicted\":%llu,",
		    (unsigned long long)st.late_packets,
		    (unsigned long long)st.time_wait,
		    (unsigned long long)st.time_wait_evicted);
		report_enrich(&enr, fp);
		fputs("}\n", fp);
		fflush(fp);
		return;
	}
	log_info("packets=%llu wire_bytes=%llu attributed=%llu skipped=%llu "
	    "decode_errors=%llu kernel_drops=%llu interface_drops=%llu "
	    "sessions=%llu active=%llu evicted=%llu",
	    (unsigned long long)es.packets, (unsigned long long)es.wire_bytes,
	    (unsigned long long)es.observed, (unsigned long long)skipped,
	    (unsigned long long)errors, (unsigned long long)ss.kernel_drops,
	    (unsigned long long)ss.if_drops, (unsigned long long)st.created,
	    (unsigned long long)st.active,
	    (unsigned long long)st.closed[SESS_CLOSE_EVICTED]);
	for (i = 1; i < DR_MAX; i++)
		if (es.reasons[i] != 0)
			log_info("decode %s=%llu",
			    decode_reason_name((enum decode_reason)i),
			    (unsigned long long)es.reasons[i]);
}

/* Agent mode, at the end: deliver everything, or say what was not. */
static int
uplink_finish(struct cap_ctx *c)
{
	struct cap_uplink_stats us;
	int rc;

	uplink_flush(c, sa_wall_ns());
	rc = cap_uplink_drain(c->up, c->conf->ack_wait_ns);
	cap_uplink_get_stats(c->up, &us);
	log_info("batches sent=%llu resent=%llu acked=%llu dropped=%llu "
	    "dropped_after_send=%llu rejected=%llu events=%llu",
	    (unsigned long long)us.batches_sent,
	    (unsigned long long)us.batches_resent,
	    (unsigned long long)us.batches_acked,
	    (unsigned long long)us.batches_dropped,
	    (unsigned long long)us.batches_dropped_sent,
	    (unsigned long long)us.batches_rejected,
	    (unsigned long long)us.events);
	if (rc != 0)
		log_warnx("%llu batches (%llu bytes) not acknowledged by the "
		    "aggregator after %llu s", (unsigned long long)us.unacked,
		    (unsigned long long)us.unacked_bytes,
		    (unsigned long long)(c->conf->ack_wait_ns / 1000000000ULL));
	if (us.batches_dropped != 0 || us.batches_rejected != 0)
		log_warnx("%llu batches dropped before they were sent (send "
		    "buffer full) and %llu rejected: their sessions are not at "
		    "the aggregator", (unsigned long long)us.batches_dropped,
		    (unsigned long long)us.batches_rejected);
	if (us.batches_dropped_sent != 0)
		log_warnx("%llu batches dropped after they were sent but "
		    "before an ack: the aggregator's batches_lost says which "
		    "never arrived", (unsigned long long)us.batches_dropped_sent);
	return rc != 0 || us.batches_dropped != 0 ||
	    us.batches_dropped_sent != 0 || us.batches_rejected != 0;
}

int
cap_run(struct cap_ctx *c)
{
	char err[512];
	uint64_t next_report = 0, now, t0 = sa_wall_ns();
	int n, rc = 0;
	FILE *sfp;

	if (pthread_create(&c->thread, NULL, engine_main, c) != 0) {
		log_warnx("cannot start the engine thread");
		return 1;
	}
	c->thread_started = 1;
	while (!cap_quit) {
		n = cap_source_dispatch(c->src, c->live ? -1 : 4096, on_frame,
		    c, err, sizeof(err));
		if (n == -EINTR)
			break;
		if (n < 0) {
			log_warnx("capture failed: %s", err);
			rc = 1;
			break;
		}
		cap_pipe_flush(c->pipe);
		if (c->up != NULL)
			snap_capture(c);
		if (!c->live) {
			if (n == 0)
				break;
			continue;
		}
		/* Live: packet time and wall clock agree, so idle sessions
		 * expire by the clock when the link is quiet. */
		now = sa_wall_ns();
		if (c->enr != NULL) {
			enrich_expire(c->enr, now);
			enr_flush(c);
		}
		send_rec(c, CAP_REC_TICK, now);
		if (c->conf->stats_interval_ns > 0 && now >= next_report) {
			if (next_report != 0) {
				snap_capture(c);
				send_rec(c, CAP_REC_STATS, now);
			}
			next_report = now + c->conf->stats_interval_ns;
		}
	}
	log_debug("capture loop done after %.3f s", (sa_wall_ns() - t0) / 1e9);
	/* The last answers go before the end, while their sessions live. */
	if (c->enr != NULL) {
		enrich_finish(c->enr);
		enr_flush(c);
	}
	send_rec(c, CAP_REC_END, 0);
	pthread_join(c->thread, NULL);
	c->thread_started = 0;
	log_debug("engine done after %.3f s", (sa_wall_ns() - t0) / 1e9);
	/* The engine thread is done: its state is ours now. */
	c->rd_snap = c->rd;
	if (c->enr != NULL)
		enrich_get_stats(c->enr, &c->enr_snap);
	/* Reading a file, most sessions may still be open or held here:
	 * a second thread formats and writes them while the table goes on. */
	if (c->opts->print && c->up == NULL && !c->live)
		c->printer = cap_printer_start(stdout, c->conf->agent_id,
		    c->conf->users, c->conf->print_buffer);
	cap_engine_finish(c->eng, c->live || cap_quit ? SESS_CLOSE_SHUTDOWN :
	    SESS_CLOSE_CAPTURE_END);
	if (c->printer != NULL) {
		log_debug("last sessions made after %.3f s",
		    (sa_wall_ns() - t0) / 1e9);
		if (cap_printer_finish(c->printer, &c->sessions_printed) != 0)
			c->write_failed = 1;
		c->printer = NULL;
	}
	log_debug("open sessions closed after %.3f s", (sa_wall_ns() - t0) / 1e9);
	if (c->up != NULL)
		rc |= uplink_finish(c);
	if (fflush(stdout) != 0 || c->write_failed) {
		log_warnx("writing sessions to standard output failed");
		rc = 1;
	}
	sfp = c->stats_fp != NULL ? c->stats_fp : stderr;
	report(c, sfp, c->opts->stats_json);
	if (c->stats_fp != NULL) {
		if (fclose(c->stats_fp) != 0) {
			log_warn("%s", c->opts->stats_path);
			rc = 1;
		}
		c->stats_fp = NULL;
	}
	return rc;
}

void
cap_ctx_destroy(struct cap_ctx *c)
{
	if (c == NULL)
		return;
	cap_signal_src = NULL;
	if (c->thread_started) {
		send_rec(c, CAP_REC_END, 0);
		pthread_join(c->thread, NULL);
	}
	if (c->pipe != NULL)
		pthread_mutex_destroy(&c->snap_mu);
	cap_pipe_destroy(c->pipe);
	enrich_destroy(c->enr);
	free(c->enr_pend);
	cap_engine_destroy(c->eng);
	cap_uplink_destroy(c->up);
	if (c->stats_fp != NULL)
		fclose(c->stats_fp);
	cap_source_close(c->src);
	if (c->outbuf != NULL) {
		/* stdout uses outbuf: close it before the buffer goes. */
		fclose(stdout);
		free(c->outbuf);
	}
	free(c);
}
