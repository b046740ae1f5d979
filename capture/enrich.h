/*
 * enrich: the agent's protocol enrichment. For each TCP connection whose
 * SYN it sees, it keeps the first bytes of both directions in order
 * (tcp_stream.c) and asks the content parsers (l7.c) who asked the proxy
 * for what and what the proxy said, handing each new answer to a callback
 * as a sess_enr block. Bounded: at most max_sessions connections buffer at
 * once, each at most budget bytes a direction, and a connection's buffers
 * are freed as soon as its answer is complete or cannot come. Runs on the
 * capture thread, beside decoding, where the payload bytes still exist.
 */
#ifndef SA_CAPTURE_ENRICH_H
#define SA_CAPTURE_ENRICH_H

#include <stdint.h>

#include "../common/sess_enr.h"
#include "../common/sess_table.h"
#include "cap_engine.h"
#include "l7.h"
#include "legs.h"

/* Why a connection's enrichment ended without a complete answer. */
enum enrich_giveup {
	ENRICH_GIVEUP_GAP = 0,	/* a hole in the stream never filled */
	ENRICH_GIVEUP_BUDGET,	/* byte budget spent before the answer */
	ENRICH_GIVEUP_CAP_FULL,	/* max_sessions already buffering */
	ENRICH_GIVEUP_PARSE,	/* a parser found the bytes malformed */
	ENRICH_GIVEUP_TIMEOUT,	/* no answer within the timeout */
	ENRICH_GIVEUP_ENDED,	/* the connection (or capture) ended first */
	ENRICH_GIVEUP_MAX
};

struct enrich_cfg {
	uint32_t	budget;		/* client bytes kept (capture.enrich_bytes) */
	uint32_t	reply_budget;	/* server bytes kept */
	uint32_t	max_sessions;	/* connections buffering at once */
	uint64_t	timeout_ns;	/* give up on a connection after this */
	/* Leg linking (legs.h, enrich_set_link): SYNs remembered (0: no
	 * linking), client legs waiting, the window; [users] labels. */
	uint32_t	link_syns;
	uint32_t	link_pending;
	uint64_t	link_window_ns;
	uint32_t	link_dns;	/* DNS answers kept (0: none) */
	const struct cidr_table *users;
};

struct enrich_stats {
	uint64_t	tracked;		/* connections followed (SYN) */
	uint64_t	enriched[L7_KIND_MAX];	/* answers, by protocol */
	uint64_t	proxy_header;		/* with a PROXY v1/v2 header */
	uint64_t	rejected, failed;	/* verdicts found */
	uint64_t	unrecognised;		/* no parser knew the bytes */
	uint64_t	giveup[ENRICH_GIVEUP_MAX];
	uint64_t	buffering;		/* connections buffering now */
	uint64_t	buffering_peak;
	uint64_t	buffer_bytes;		/* stream buffers now */
	uint64_t	buffer_bytes_peak;
	struct legs_stats legs;			/* leg links (zero if off) */
};

/*
 * A new answer for the connection of key (oriented client to server, af,
 * proto 6, addresses and ports; ts_ns the time of its SYN, i.e. the
 * session's start): e is borrowed for the call (the callee copies what
 * it keeps), so that answers cost no allocation.
 */
typedef void (*enrich_cb)(void *arg, const struct sess_obs *key,
    struct sess_enr *e);

struct enrich;

/* cfg copied. Returns owned, or NULL if cfg is out of range. */
struct enrich	*enrich_create(const struct enrich_cfg *cfg, enrich_cb cb,
		    void *arg);
void		 enrich_destroy(struct enrich *);
/*
 * Links a proxy's legs (legs.h) when cfg.link_syns is nonzero: the blocks
 * of linked legs go to cb (with the create's arg) instead of the answer
 * callback, with the other leg's key. 0, or -EINVAL for a bad link cfg.
 */
int		 enrich_set_link(struct enrich *, legs_cb cb);

/*
 * Whether enrich_packet can use p: TCP, or a UDP datagram from port 53
 * (the leg linker's DNS answers). Callers skip the call for the rest.
 */
static inline int
enrich_wants(const struct cap_pkt *p)
{
	return p->proto == 6 || (p->proto == 17 && p->sport == 53);
}

/*
 * One decoded packet (p borrowed; TCP, not a fragment, or a UDP datagram
 * from port 53 for the leg linker's DNS answers: others are ignored) and
 * its captured payload l7 (l7_caplen bytes, borrowed for the
 * call). May call the callback.
 */
void	enrich_packet(struct enrich *, const struct cap_pkt *p,
	    const uint8_t *l7, uint32_t l7_caplen);
/* Gives up on connections older than the timeout at packet time now. */
void	enrich_expire(struct enrich *, uint64_t now_ns);
/* Ends every connection (end of capture): final answers, then frees. */
void	enrich_finish(struct enrich *);

void	enrich_get_stats(const struct enrich *, struct enrich_stats *);
const char *enrich_giveup_name(enum enrich_giveup);

#endif
