/*
 * cap_engine: glue between the decoder, the fragment table and the session
 * table. Kept free of pcap so the decode tests and fuzzers drive it with
 * plain buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/sess_enr.h"
#include "../common/xmalloc.h"
#include "cap_engine.h"
#include "frag.h"

struct cap_engine {
	int			 dlt;
	uint64_t		 seed;		/* of the session index hash */
	struct sess_table	*st;
	struct frag_table	*ft;
	uint64_t		 frag_timeout_ns;
	uint64_t		 next_frag_sweep;
	uint64_t		 frag_held;	/* later fragments stashed */
	uint64_t		 frag_flushed;	/* ... and later attributed */
	struct cap_engine_stats	 stats;
	struct sess_obs		 pend[SESS_TABLE_BATCH];	/* not applied yet */
	uint32_t		 pend_hash[SESS_TABLE_BATCH];
	size_t			 npend;
};

struct cap_engine *
cap_engine_create(const struct cap_engine_cfg *cfg,
    sess_table_close_cb on_close, void *arg)
{
	struct cap_engine *e;

	if (!decode_dlt_supported(cfg->dlt))
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->dlt = cfg->dlt;
	e->st = sess_table_create(&cfg->sess, on_close, arg);
	if (e->st == NULL) {
		free(e);
		return NULL;
	}
	if (cfg->agent_id != NULL)
		sess_table_set_agent_name(e->st, 0, cfg->agent_id);
	e->seed = sess_table_hash_seed(e->st);
	e->ft = frag_table_create(cfg->frag_max, cfg->frag_timeout_ns);
	e->frag_timeout_ns = cfg->frag_timeout_ns;
	return e;
}

void
cap_engine_destroy(struct cap_engine *e)
{
	if (e == NULL)
		return;
	sess_table_destroy(e->st);
	frag_table_destroy(e->ft);
	free(e);
}

_Static_assert(sizeof(struct cap_pkt) == 64, "cap_pkt is one cache line");

static void
fill_obs(struct sess_obs *o, const struct decoded *d, uint64_t ts,
    uint32_t packets, uint64_t ip_bytes, uint64_t payload)
{
	o->ts_ns = ts;
	o->af = d->af;
	o->proto = d->proto;
	o->tcp_flags = d->tcp_flags;
	o->agent = 0;
	o->sport = d->sport;
	o->dport = d->dport;
	o->tcp_seq = d->tcp_seq;
	o->packets = packets;
	o->bytes = payload;
	o->wire_bytes = ip_bytes;
	memcpy(o->src, d->src, 16);
	memcpy(o->dst, d->dst, 16);
}

static void
observe(struct cap_engine *e, const struct decoded *d, uint64_t ts,
    uint32_t packets, uint64_t ip_bytes, uint64_t payload)
{
	struct sess_obs o;

	fill_obs(&o, d, ts, packets, ip_bytes, payload);
	sess_table_observe(e->st, &o);
	e->stats.observed += packets;
}

static void
frag_sweep(struct cap_engine *e, uint64_t now)
{
	if (now < e->next_frag_sweep)
		return;
	(void)frag_table_expire(e->ft, now);
	e->next_frag_sweep = now + e->frag_timeout_ns / 4 + 1;
}

int
cap_engine_decode(const struct cap_engine *e, uint64_t ts,
    const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
    struct cap_pkt *out, struct cap_engine_stats *st)
{
	const uint8_t *l7;
	uint32_t n;

	return cap_engine_decode_l7(e, ts, frame, caplen, wirelen, out, st,
	    &l7, &n);
}

int
cap_engine_decode_l7(const struct cap_engine *e, uint64_t ts,
    const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
    struct cap_pkt *out, struct cap_engine_stats *st, const uint8_t **l7,
    uint32_t *l7_caplen)
{
	enum decode_reason why;
	struct decoded d;

	*l7 = NULL;
	*l7_caplen = 0;

	st->packets++;
	st->wire_bytes += wirelen;
	if (decode_packet(e->dlt, frame, caplen, wirelen, &d, &why) !=
	    DEC_OK) {
		st->reasons[why]++;
		return 0;
	}
	out->ts_ns = ts;
	memcpy(out->src, d.src, 16);
	memcpy(out->dst, d.dst, 16);
	out->sport = d.sport;
	out->dport = d.dport;
	out->af = d.af;
	out->proto = d.proto;
	out->tcp_flags = d.tcp_flags;
	out->frag = d.frag;
	out->ip_bytes = d.ip_bytes;
	if (d.frag == DEC_FRAG_NONE) {
		out->payload = d.payload;
		out->tcp_seq = d.tcp_seq;
		out->hash = sess_table_flow_hash(e->seed, d.af, d.proto, 0,
		    d.src, d.sport, d.dst, d.dport);
		*l7 = d.l7;
		*l7_caplen = d.l7 != NULL ? d.l7_caplen : 0;
	} else {
		out->payload = d.frag == DEC_FRAG_LATER ? d.frag_data :
		    d.payload;
		out->frag_id = d.frag_id;
		out->hash = 0;
	}
	return 1;
}

/* A fragment: attribute it through the fragment table. */
static void
apply_frag(struct cap_engine *e, const struct cap_pkt *p)
{
	struct decoded d;
	struct frag_pending pend;
	uint64_t ts = p->ts_ns;

	memset(&d, 0, sizeof(d));
	memcpy(d.src, p->src, 16);
	memcpy(d.dst, p->dst, 16);
	d.sport = p->sport;
	d.dport = p->dport;
	d.af = p->af;
	d.proto = p->proto;
	d.tcp_flags = p->tcp_flags;
	d.frag = p->frag;
	d.ip_bytes = p->ip_bytes;
	d.payload = p->payload;
	d.frag_data = p->frag == DEC_FRAG_LATER ? p->payload : 0;
	d.tcp_seq = 0;
	d.frag_id = p->frag_id;

	frag_sweep(e, ts);
	if (d.frag == DEC_FRAG_FIRST) {
		if (frag_table_first(e->ft, &d, ts, &pend) != 0)
			e->stats.reasons[DR_FRAG_FULL]++;
		observe(e, &d, ts, 1, d.ip_bytes, d.payload);
		if (pend.packets > 0) {
			/* Fragments that came before their first. */
			d.tcp_flags = 0;
			e->frag_flushed += pend.packets;
			observe(e, &d, ts, pend.packets, pend.ip_bytes,
			    pend.payload);
		}
	} else if (frag_table_later(e->ft, &d, ts))
		observe(e, &d, ts, 1, d.ip_bytes, d.payload);
	else
		e->frag_held++;
}

void
cap_engine_flush(struct cap_engine *e)
{
	sess_table_observe_batch_hashed(e->st, e->pend, e->pend_hash,
	    e->npend);
	e->stats.observed += e->npend;
	e->npend = 0;
}

void
cap_engine_push(struct cap_engine *e, const struct cap_pkt *p)
{
	struct sess_obs *o;

	if (p->frag != DEC_FRAG_NONE) {
		/* Keep order: what came before the fragment goes first. */
		cap_engine_flush(e);
		apply_frag(e, p);
		return;
	}
	e->pend_hash[e->npend] = p->hash;
	o = &e->pend[e->npend++];
	o->ts_ns = p->ts_ns;
	o->af = p->af;
	o->proto = p->proto;
	o->tcp_flags = p->tcp_flags;
	o->agent = 0;
	o->sport = p->sport;
	o->dport = p->dport;
	o->tcp_seq = p->tcp_seq;
	o->packets = 1;
	o->bytes = p->payload;
	o->wire_bytes = p->ip_bytes;
	memcpy(o->src, p->src, 16);
	memcpy(o->dst, p->dst, 16);
	if (e->npend == SESS_TABLE_BATCH)
		cap_engine_flush(e);
}

void
cap_engine_apply(struct cap_engine *e, const struct cap_pkt *pkts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cap_engine_push(e, &pkts[i]);
	cap_engine_flush(e);
}

void
cap_engine_packet(struct cap_engine *e, uint64_t ts, const uint8_t *pkt,
    uint32_t caplen, uint32_t wirelen)
{
	struct cap_pkt p;

	if (cap_engine_decode(e, ts, pkt, caplen, wirelen, &p,
	    &e->stats))
		cap_engine_apply(e, &p, 1);
}

int
cap_engine_enrich(struct cap_engine *e, const struct sess_obs *key,
    const struct sess_obs *peer, struct sess_enr *enr)
{
	struct sess_event ev;

	cap_engine_flush(e);
	if (peer != NULL) {
		/* The id the table gives the peer's session: its key hash
		 * mixes in the agent's name (sess_table_set_agent_name). */
		memset(&ev, 0, sizeof(ev));
		ev.agent = 0;
		ev.af = peer->af;
		ev.proto = peer->proto;
		memcpy(ev.cli, peer->src, 16);
		memcpy(ev.srv, peer->dst, 16);
		ev.cli_port = peer->sport;
		ev.srv_port = peer->dport;
		enr->peer_hash = sess_table_event_id(e->st, &ev);
		enr->peer_start = peer->ts_ns;
	}
	return sess_table_enrich_copy(e->st, key, enr);
}

void
cap_engine_stats_add(struct cap_engine_stats *dst,
    const struct cap_engine_stats *src)
{
	int i;

	dst->packets += src->packets;
	dst->wire_bytes += src->wire_bytes;
	dst->observed += src->observed;
	dst->frag_waiting += src->frag_waiting;
	for (i = 0; i < DR_MAX; i++)
		dst->reasons[i] += src->reasons[i];
}

void
cap_engine_tick(struct cap_engine *e, uint64_t now)
{
	cap_engine_flush(e);
	frag_sweep(e, now);
	sess_table_expire(e->st, now);
}

void
cap_engine_finish(struct cap_engine *e, enum sess_close reason)
{
	cap_engine_flush(e);
	(void)frag_table_expire(e->ft, UINT64_MAX);
	sess_table_close_all(e->st, reason);
}

void
cap_engine_get_stats(const struct cap_engine *e, struct cap_engine_stats *out)
{
	*out = e->stats;
	out->reasons[DR_FRAG_ORPHAN] = frag_table_orphans(e->ft);
	out->frag_waiting = e->frag_held - e->frag_flushed -
	    out->reasons[DR_FRAG_ORPHAN];
}

const struct sess_table *
cap_engine_sessions(const struct cap_engine *e)
{
	return e->st;
}
