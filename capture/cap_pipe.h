/*
 * cap_pipe: a single-producer single-consumer ring between the capture
 * thread (libpcap + decode) and the engine thread (fragments, sessions,
 * output). Records are fixed size and copied in, so nothing borrowed from
 * libpcap outlives its callback. Positions are published in groups to keep
 * the two cores from trading one cache line per packet. A full ring makes
 * the producer wait: in live mode the kernel's ring absorbs the burst, and
 * its drop counter says if it could not.
 */
#ifndef SA_CAPTURE_CAP_PIPE_H
#define SA_CAPTURE_CAP_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/sess_enr.h"
#include "cap_engine.h"

enum cap_rec_type {
	CAP_REC_PKT = 1,	/* a decoded packet */
	CAP_REC_TICK,		/* live: wall-clock time passes (pkt.ts_ns) */
	CAP_REC_STATS,		/* live: time to log the counters */
	CAP_REC_END,		/* no more records */
	CAP_REC_WAKE,		/* nothing: lets the engine do its timers */
	CAP_REC_ENRICH,		/* enrichment: an answer's first bytes */
	CAP_REC_ENRICH_MORE,	/* enrichment: the answer's next bytes */
};

/*
 * An enrichment answer goes down the pipe as bytes, so that no memory
 * crosses threads: a CAP_REC_ENRICH record (pkt.payload: the message's
 * length), then as many CAP_REC_ENRICH_MORE records as it takes, each
 * carrying CAP_ENR_CHUNK bytes at the start of its cap_pkt (ts_ns, src,
 * dst: before af and proto, which say what the record is). The message:
 * struct cap_enr_hdr, the peer's struct cap_enr_id if has_peer, then the
 * struct sess_enr block (size bytes), every part a multiple of 8 bytes
 * so the block stays aligned.
 */
#define CAP_ENR_CHUNK	40

/* A session's identity: an oriented flow and its start (ts_ns). */
struct cap_enr_id {
	uint64_t	ts_ns;
	uint8_t		src[16], dst[16];
	uint16_t	sport, dport;
	uint8_t		af, proto;
	uint16_t	agent;
};

struct cap_enr_hdr {
	struct cap_enr_id key;
	/* A linked leg: the other leg (oriented, ts_ns its start) follows,
	 * whose id the engine computes into the block's peer_hash. */
	uint32_t	has_peer;
	uint32_t	size;		/* of the block */
};

/* The longest message. */
#define CAP_ENR_MSG_MAX	(sizeof(struct cap_enr_hdr) + \
	sizeof(struct cap_enr_id) + SESS_ENR_SIZE_MAX + 8)

/*
 * A record is a cap_pkt (one cache line). Control records have af 0 and
 * their enum cap_rec_type in proto; packets have af 4 or 6.
 */
struct cap_rec {
	struct cap_pkt	pkt;
};

static inline enum cap_rec_type
cap_rec_type(const struct cap_rec *r)
{
	return r->pkt.af != 0 ? CAP_REC_PKT : (enum cap_rec_type)r->pkt.proto;
}

struct cap_pipe;

/* slots is rounded up to a power of two. Returns owned. */
struct cap_pipe	*cap_pipe_create(uint32_t slots);
void		 cap_pipe_destroy(struct cap_pipe *);

/* Producer: a slot to fill (waits while the ring is full), then commit. */
struct cap_rec	*cap_pipe_reserve(struct cap_pipe *);
void		 cap_pipe_commit(struct cap_pipe *);
/* Producer: make every committed record visible now. */
void		 cap_pipe_flush(struct cap_pipe *);

/*
 * Consumer: up to max contiguous records, waiting until at least one is
 * there. Returns the count; *recs borrowed until cap_pipe_release.
 */
size_t		 cap_pipe_peek(struct cap_pipe *, struct cap_rec **recs,
		    size_t max);
void		 cap_pipe_release(struct cap_pipe *, size_t n);

#endif
