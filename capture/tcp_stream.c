/*
 * tcp_stream: one direction of a TCP connection put back in order for its
 * first budget bytes (tcp_stream.h). Sequence numbers are compared modulo
 * 2^32 as RFC 9293 section 3.4 does: an offset from the base of 2^31 or
 * more lies before the base. Not a full reassembler: bytes past the budget
 * are dropped, and a hole that will not fill ends the direction.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "tcp_stream.h"

/* Offsets at or above this lie before the base (RFC 9293 3.4). */
#define OFF_NEG		0x80000000u

static void	place(struct tcp_stream *, uint32_t, const uint8_t *,
		    uint32_t);
static void	settle(struct tcp_stream *, uint32_t);

void
tcp_stream_pool_init(struct tcp_stream_pool *p, uint32_t size,
    uint32_t max_free)
{
	p->head = NULL;
	p->size = size;
	p->nfree = 0;
	p->max_free = max_free;
}

void
tcp_stream_pool_clear(struct tcp_stream_pool *p)
{
	void *b;

	while ((b = p->head) != NULL) {
		memcpy(&p->head, b, sizeof(p->head));
		free(b);
	}
	p->nfree = 0;
}

/* A buffer of the stream's budget: from its pool when it has one. */
static uint8_t *
buf_get(struct tcp_stream *s)
{
	struct tcp_stream_pool *p = s->pool;
	void *b;

	if (p == NULL || (b = p->head) == NULL)
		return xmalloc(s->budget);
	memcpy(&p->head, b, sizeof(p->head));
	p->nfree--;
	return b;
}

void
tcp_stream_init(struct tcp_stream *s, uint32_t base, uint32_t budget)
{
	tcp_stream_init_pool(s, base, budget, NULL);
}

void
tcp_stream_init_pool(struct tcp_stream *s, uint32_t base, uint32_t budget,
    struct tcp_stream_pool *pool)
{
	/* A budget above the maximum is a caller bug; keep the bound anyway. */
	if (budget > TCP_STREAM_BUDGET_MAX)
		budget = TCP_STREAM_BUDGET_MAX;
	s->buf = NULL;
	/* A pool of another size (or of buffers too small to link) is not
	 * used. */
	s->pool = pool != NULL && pool->size == budget &&
	    budget >= sizeof(void *) ? pool : NULL;
	s->base = base;
	s->budget = budget;
	s->len = 0;
	s->fin_off = UINT32_MAX;
	s->cut = UINT32_MAX;
	s->patience = 0;
	s->state = TCP_STREAM_OPEN;
	s->nranges = 0;
	memset(s->ranges, 0, sizeof(s->ranges));
}

void
tcp_stream_free(struct tcp_stream *s)
{
	struct tcp_stream_pool *p;

	if (s == NULL || s->buf == NULL)
		return;
	p = s->pool;
	if (p != NULL && p->nfree < p->max_free) {
		memcpy(s->buf, &p->head, sizeof(p->head));
		p->head = s->buf;
		p->nfree++;
	} else
		free(s->buf);
	s->buf = NULL;
}

uint32_t
tcp_stream_written(const struct tcp_stream *s)
{
	uint32_t n;

	if (s->buf == NULL)
		return 0;
	/* Ranges are sorted and lie past len: the last ends highest. */
	n = s->nranges > 0 ? s->ranges[s->nranges - 1].hi : s->len;
	return n > s->len ? n : s->len;
}

uint32_t
tcp_stream_add(struct tcp_stream *s, uint32_t seq, const uint8_t *data,
    uint32_t caplen, uint32_t paylen, int fin)
{
	uint32_t before, off, back, skip, room, n, fo;

	if (s->state != TCP_STREAM_OPEN)
		return 0;
	before = s->len;
	skip = 0;
	/* Captured bytes past the payload would be padding: not data. */
	if (caplen > paylen)
		caplen = paylen;
	off = seq - s->base;
	if (off >= OFF_NEG) {
		/*
		 * The segment starts before the base. back is how many of
		 * its bytes precede offset 0 (1..2^31, no overflow). One
		 * that ends at or before 0 is an old retransmission (of the
		 * handshake, say), and its FIN, if any, is not ours.
		 */
		back = 0u - off;
		if (paylen <= back)
			goto out;
		paylen -= back;
		if (caplen > back) {
			skip = back;
			caplen -= back;
		} else
			caplen = 0;
		off = 0;
	}

	/*
	 * A FIN sits at off + paylen. paylen may be anything up to 2^32 - 1,
	 * so the sum is formed only once it is known to stay below 2^31;
	 * a FIN further away is nonsense and is dropped. The lowest FIN
	 * claimed wins.
	 */
	if (fin && paylen < OFF_NEG - off) {
		fo = off + paylen;
		if (fo < s->fin_off)
			s->fin_off = fo;
	}

	if (off >= s->budget)
		goto out;
	room = s->budget - off;
	n = caplen < room ? caplen : room;

	/*
	 * The snaplen cut the segment at off + caplen: the bytes after that
	 * were sent but not captured, and a retransmission would be cut the
	 * same way. Remember the lowest such point at or past len; reaching
	 * it in order ends the direction (settle). The sum is below the
	 * budget here, so it cannot overflow.
	 */
	if (caplen < paylen && caplen < room && off + caplen >= s->len &&
	    off + caplen < s->cut)
		s->cut = off + caplen;

	if (n > 0)
		place(s, off, data + skip, n);
out:
	if (s->state == TCP_STREAM_OPEN)
		settle(s, before);
	return s->len - before;
}

void
tcp_stream_close(struct tcp_stream *s)
{
	if (s->state != TCP_STREAM_OPEN)
		return;
	/*
	 * Bytes are known to be missing if runs wait past a hole, if a
	 * snaplen cut lies ahead, or if a FIN was seen but not reached
	 * (an open stream has fin_off > len when it has one at all).
	 */
	if (s->nranges > 0 || s->cut != UINT32_MAX ||
	    s->fin_off != UINT32_MAX)
		s->state = TCP_STREAM_GAP;
	else
		s->state = TCP_STREAM_FIN;
}

/*
 * Copies the bytes of [off, off + n) the stream does not hold yet into the
 * buffer and records them: first copy wins, so a retransmission or an
 * overlap never overwrites what was read before. off + n <= budget.
 * Ranges stay sorted, disjoint, not touching, and wholly past len; the
 * one that reaches len is folded into it. Needing a ninth range sets GAP.
 */
static void
place(struct tcp_stream *s, uint32_t off, const uint8_t *data, uint32_t n)
{
	struct tcp_stream_range *r;
	uint32_t lo, hi, end, cur;
	unsigned i, j, k, drop;

	end = off + n;
	lo = off > s->len ? off : s->len;
	if (lo >= end)
		return;		/* all of it is in order already */
	hi = end;
	r = s->ranges;

	/*
	 * Ranges i..j-1 overlap or touch [lo, hi) and merge with it. Find
	 * them before touching anything, so that a full table leaves the
	 * stream as it was.
	 */
	for (i = 0; i < s->nranges && r[i].hi < lo; i++)
		;
	for (j = i; j < s->nranges && r[j].lo <= hi; j++)
		;
	if (i == j && lo > s->len && s->nranges == TCP_STREAM_MAX_RANGES) {
		s->state = TCP_STREAM_GAP;
		return;
	}

	if (s->buf == NULL)
		s->buf = buf_get(s);
	/* Copy the stretches of [lo, hi) that no range holds. */
	cur = lo;
	for (k = i; k < j && cur < hi; k++) {
		if (r[k].lo > cur)
			memcpy(s->buf + cur, data + (cur - off),
			    (r[k].lo < hi ? r[k].lo : hi) - cur);
		cur = r[k].hi;	/* sorted: each hi is past the last */
	}
	if (cur < hi)
		memcpy(s->buf + cur, data + (cur - off), hi - cur);

	if (i < j) {
		if (r[i].lo < lo)
			lo = r[i].lo;
		if (r[j - 1].hi > hi)
			hi = r[j - 1].hi;
	}
	if (lo <= s->len) {
		/* The merged run starts at len: it is in order now. */
		s->len = hi;
		drop = j - i;
	} else if (i == j) {
		memmove(&r[i + 1], &r[i], (s->nranges - i) * sizeof(*r));
		s->nranges++;
		r[i].lo = lo;
		r[i].hi = hi;
		return;
	} else {
		r[i].lo = lo;
		r[i].hi = hi;
		i++;
		drop = j - i;
	}
	if (drop > 0) {
		memmove(&r[i], &r[i + drop],
		    (s->nranges - i - drop) * sizeof(*r));
		s->nranges -= drop;
	}
}

/*
 * Decides the state after a segment of an open stream; before is len as
 * the segment found it. The end of the stream (FIN or budget) comes
 * first, then a snaplen cut reached in order, then patience with a hole.
 * Only the lowest cut is remembered: once a whole copy carries len past
 * it, a higher one is left to patience.
 */
static void
settle(struct tcp_stream *s, uint32_t before)
{
	if (s->fin_off <= s->len) {
		s->state = TCP_STREAM_FIN;
		return;
	}
	if (s->len >= s->budget) {
		s->state = TCP_STREAM_FULL;
		return;
	}
	if (s->len == s->cut) {
		/* The next byte was sent but never captured. */
		s->state = TCP_STREAM_GAP;
		return;
	}
	if (s->len > s->cut)
		s->cut = UINT32_MAX;	/* a whole copy went past it */
	if (s->len != before) {
		s->patience = 0;
		return;
	}
	if (s->nranges > 0 && ++s->patience > TCP_STREAM_PATIENCE)
		s->state = TCP_STREAM_GAP;
}
