/*
 * tcp_stream: one direction of a TCP connection put back in order, for
 * its first `budget` bytes only (the handshakes enrichment reads). A
 * segment is placed at its offset from the direction's first sequence
 * number (ISN + 1) in a buffer of budget bytes; out-of-order segments
 * wait there, bytes already placed are never overwritten (first copy
 * wins, so a retransmission or an overlap is read once), and the in-order
 * prefix is what a reader sees. A hole that stays open past a bounded
 * patience, or that the snaplen made permanent, ends the direction. Not a
 * full reassembler: nothing past the budget is kept. Not thread-safe.
 */
#ifndef SA_CAPTURE_TCP_STREAM_H
#define SA_CAPTURE_TCP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define TCP_STREAM_MAX_RANGES	8	/* out-of-order runs held at once */
#define TCP_STREAM_PATIENCE	16	/* segments past a hole before giving up */
#define TCP_STREAM_BUDGET_MAX	65536	/* largest budget accepted */

enum tcp_stream_state {
	TCP_STREAM_OPEN = 0,	/* reading; more bytes may come */
	TCP_STREAM_FULL,	/* budget bytes in order: nothing more kept */
	TCP_STREAM_FIN,		/* FIN reached in order: the stream ended */
	TCP_STREAM_GAP,		/* a hole that will not be filled: stopped */
};

struct tcp_stream_range {
	uint32_t	lo, hi;		/* offsets [lo, hi) held past len */
};

/*
 * Idle buffers of one size kept for reuse, so that a stream's buffer
 * costs no malloc and free (a 4 KiB request also makes glibc consolidate
 * its fast bins). Buffers are linked through their first bytes. At most
 * max_free are kept; the rest go back to free().
 */
struct tcp_stream_pool {
	void		*head;
	uint32_t	 size;		/* bytes of every buffer */
	uint32_t	 nfree, max_free;
};

void	tcp_stream_pool_init(struct tcp_stream_pool *, uint32_t size,
	    uint32_t max_free);
/* Frees the idle buffers (buffers still in streams are theirs). */
void	tcp_stream_pool_clear(struct tcp_stream_pool *);

/*
 * Caller-allocated (STYLE.md 4): zero it or tcp_stream_init it, then feed
 * it segments; tcp_stream_free releases the buffer. The fields are
 * read-only for callers except through these functions.
 */
struct tcp_stream {
	uint8_t		*buf;		/* budget bytes; NULL until data */
	struct tcp_stream_pool *pool;	/* where buf comes from, or NULL */
	uint32_t	 base;		/* sequence number of offset 0 */
	uint32_t	 budget;	/* bytes kept at most */
	uint32_t	 len;		/* in-order bytes at buf[0..len) */
	uint32_t	 fin_off;	/* offset of the FIN, or UINT32_MAX */
	uint32_t	 cut;		/* snaplen cut >= len, or UINT32_MAX */
	uint16_t	 patience;	/* segments since a hole opened */
	uint8_t		 state;		/* enum tcp_stream_state */
	uint8_t		 nranges;
	struct tcp_stream_range ranges[TCP_STREAM_MAX_RANGES];
};

/*
 * Starts a direction whose first payload byte has sequence number base
 * (ISN + 1). budget: 1..TCP_STREAM_BUDGET_MAX. No allocation yet.
 */
void	tcp_stream_init(struct tcp_stream *, uint32_t base, uint32_t budget);
/* The same, its buffer taken from pool (NULL: malloc) when pool's size
 * is the budget. */
void	tcp_stream_init_pool(struct tcp_stream *, uint32_t base,
	    uint32_t budget, struct tcp_stream_pool *pool);
/* Frees the buffer, back to its pool if it has one (the struct stays
 * usable as "ended"). NULL-safe. */
void	tcp_stream_free(struct tcp_stream *);
/*
 * Bytes at the start of buf that segments may have written (the in-order
 * prefix and every run past it): what must be wiped to forget them.
 */
uint32_t tcp_stream_written(const struct tcp_stream *);

/*
 * One segment: seq is its sequence number; data/caplen the payload bytes
 * captured (borrowed for the call); paylen its true payload length
 * (>= caplen: the snaplen may have cut it, which leaves a hole nothing
 * can fill); fin nonzero if it carries FIN (at seq + paylen). Bytes
 * before offset 0, past the budget, or already held are ignored.
 * Returns the number of new in-order bytes (len grew by that much), 0 if
 * none; the state says whether the direction ended. Allocates the buffer
 * on the first byte placed: -ENOMEM is not possible (xmalloc aborts).
 */
uint32_t tcp_stream_add(struct tcp_stream *, uint32_t seq,
	    const uint8_t *data, uint32_t caplen, uint32_t paylen, int fin);

/* Ends the direction now (RST, timeout): a hole still open becomes a gap. */
void	tcp_stream_close(struct tcp_stream *);

/* True if the direction can still grow. */
static inline int
tcp_stream_open(const struct tcp_stream *s)
{
	return s->state == TCP_STREAM_OPEN;
}

/* True if a hole is waiting to be filled (ranges held past len). */
static inline int
tcp_stream_has_hole(const struct tcp_stream *s)
{
	return s->nranges > 0;
}

#endif
