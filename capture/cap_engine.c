/*
 * cap_engine: glue between the decoder, the fragment table and the session
 * table. Kept free of pcap so the decode tests and fuzzers drive it with
 * plain buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "cap_engine.h"
#include "frag.h"

struct cap_engine {
	int			 dlt;
	struct sess_table	*st;
	struct frag_table	*ft;
	uint64_t		 frag_timeout_ns;
	uint64_t		 next_frag_sweep;
	uint64_t		 frag_held;	/* later fragments stashed */
	uint64_t		 frag_flushed;	/* ... and later attributed */
	struct cap_engine_stats	 stats;
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

static void
observe(struct cap_engine *e, const struct decoded *d, uint64_t ts,
    uint32_t packets, uint64_t ip_bytes, uint64_t payload)
{
	struct sess_obs o;

	o.ts_ns = ts;
	o.af = d->af;
	o.proto = d->proto;
	o.tcp_flags = d->tcp_flags;
	o.agent = 0;
	o.sport = d->sport;
	o.dport = d->dport;
	o.tcp_seq = d->tcp_seq;
	o.packets = packets;
	o.bytes = payload;
	o.wire_bytes = ip_bytes;
	memcpy(o.src, d->src, 16);
	memcpy(o.dst, d->dst, 16);
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

void
cap_engine_packet(struct cap_engine *e, uint64_t ts, const uint8_t *pkt,
    uint32_t caplen, uint32_t wirelen)
{
	struct decoded d;
	struct frag_pending pend;
	enum decode_reason why;

	e->stats.packets++;
	e->stats.wire_bytes += wirelen;
	if (decode_packet(e->dlt, pkt, caplen, wirelen, &d, &why) != DEC_OK) {
		e->stats.reasons[why]++;
		return;
	}
	switch (d.frag) {
	case DEC_FRAG_NONE:
		observe(e, &d, ts, 1, d.ip_bytes, d.payload);
		return;
	case DEC_FRAG_FIRST:
		frag_sweep(e, ts);
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
		return;
	case DEC_FRAG_LATER:
		frag_sweep(e, ts);
		if (frag_table_later(e->ft, &d, ts))
			observe(e, &d, ts, 1, d.ip_bytes, d.payload);
		else
			e->frag_held++;
		return;
	}
}

void
cap_engine_tick(struct cap_engine *e, uint64_t now)
{
	frag_sweep(e, now);
	sess_table_expire(e->st, now);
}

void
cap_engine_finish(struct cap_engine *e, enum sess_close reason)
{
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
