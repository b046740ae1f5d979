/*
 * cap_engine: the agent's packet path. decode -> fragment attribution ->
 * session table, with a counter for every packet that does not make it
 * (by reason). Closed sessions go to the callback given at creation. The
 * same engine serves offline (--read) and live capture.
 */
#ifndef SA_CAPTURE_CAP_ENGINE_H
#define SA_CAPTURE_CAP_ENGINE_H

#include <stdint.h>

#include "../common/sess_table.h"
#include "decode.h"

struct cap_engine_cfg {
	int			 dlt;
	const char		*agent_id;	/* borrowed; NULL: none */
	struct sess_table_cfg	 sess;
	uint32_t		 frag_max;
	uint64_t		 frag_timeout_ns;
};

struct cap_engine_stats {
	uint64_t	packets;	/* frames handed to the engine */
	uint64_t	wire_bytes;	/* their original lengths */
	uint64_t	observed;	/* frames attributed to a session */
	uint64_t	frag_waiting;	/* later fragments held for a first */
	uint64_t	reasons[DR_MAX];/* frames not attributed, by reason */
};

/*
 * A decoded packet on its way from the capture side to the engine: what
 * the engine needs of struct decoded, packed into one 64-byte cache line
 * so that handing it to another core moves one line. For a later
 * fragment, payload holds the fragment's data length (frag_data). The
 * flow hash is computed on the capture side, where there is time to spare.
 * af 0 marks a control record of cap_pipe, never a packet.
 */
struct cap_pkt {
	uint64_t	ts_ns;
	uint8_t		src[16];
	uint8_t		dst[16];
	uint16_t	sport, dport;
	uint8_t		af, proto, tcp_flags, frag;
	uint32_t	ip_bytes;
	uint32_t	payload;
	union {
		uint32_t tcp_seq;	/* not fragmented: a SYN's ISN */
		uint32_t frag_id;	/* fragments: the datagram's id */
	};
	uint32_t	hash;		/* sess_table_flow_hash, if not a fragment */
} __attribute__((aligned(64)));

struct cap_engine;

/* cfg copied. on_close/arg as for sess_table_create. NULL on bad cfg. */
struct cap_engine *cap_engine_create(const struct cap_engine_cfg *cfg,
    sess_table_close_cb on_close, void *arg);
void	cap_engine_destroy(struct cap_engine *);

/* One captured frame; pkt borrowed for the call. Decode + apply. */
void	cap_engine_packet(struct cap_engine *, uint64_t ts_ns,
	    const uint8_t *pkt, uint32_t caplen, uint32_t wirelen);

/*
 * The two halves of cap_engine_packet, for running them on two threads.
 * cap_engine_decode reads only what never changes in the engine (link
 * type, hash seed), so another thread may call it: it decodes frame
 * (borrowed) into *out and counts into *st (packets, wire bytes,
 * reasons). Returns 1 if out should be applied, 0 if the frame was
 * counted and dropped.
 */
int	cap_engine_decode(const struct cap_engine *, uint64_t ts_ns,
	    const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
	    struct cap_pkt *out, struct cap_engine_stats *st);
/*
 * The same, also giving the transport payload captured (*l7, borrowed
 * from frame, and *l7_caplen bytes of it; NULL and 0 if none) for
 * enrichment.
 */
int	cap_engine_decode_l7(const struct cap_engine *, uint64_t ts_ns,
	    const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
	    struct cap_pkt *out, struct cap_engine_stats *st,
	    const uint8_t **l7, uint32_t *l7_caplen);
/*
 * Enrichment found for the session of key (see sess_table_enrich_copy):
 * e borrowed, the table keeps a shared copy. Applies what is held back
 * first, so the session exists. peer: the other leg of a linked proxy leg
 * (oriented, ts_ns its start), or NULL; its session id goes into
 * e->peer_hash and e->peer_start. Returns 0, or -ENOENT if the session is
 * not open.
 */
int	cap_engine_enrich(struct cap_engine *, const struct sess_obs *key,
	    const struct sess_obs *peer, struct sess_enr *e);
/* Applies n decoded packets in order (borrowed). */
void	cap_engine_apply(struct cap_engine *, const struct cap_pkt *pkts,
	    size_t n);
/*
 * The same one at a time: push copies the packet and may hold it back to
 * apply it with the next ones in a batch (faster on big tables); flush
 * applies what is held. Ticks, finish and stats flush first.
 */
void	cap_engine_push(struct cap_engine *, const struct cap_pkt *);
void	cap_engine_flush(struct cap_engine *);
/* Adds the counters of src to dst. */
void	cap_engine_stats_add(struct cap_engine_stats *dst,
	    const struct cap_engine_stats *src);
/* Advances time without a packet (live capture idle): expires sessions. */
void	cap_engine_tick(struct cap_engine *, uint64_t now_ns);
/* Closes every open session with reason (capture_end, shutdown). */
void	cap_engine_finish(struct cap_engine *, enum sess_close reason);

void	cap_engine_get_stats(const struct cap_engine *,
	    struct cap_engine_stats *);
/* Borrowed; valid until cap_engine_destroy. */
const struct sess_table *cap_engine_sessions(const struct cap_engine *);

#endif
