/*
 * cap_pipe: SPSC ring with C11 atomics. The producer owns `tail` and a
 * private count of what it has not published; the consumer owns `head`.
 * Each side caches the other's position and rereads it only when the
 * cached value says full (producer) or empty (consumer). Waiting backs off
 * from spinning to yielding to sleeps of up to 2 ms, so an idle link costs
 * next to no CPU.
 */
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/xmalloc.h"
#include "cap_pipe.h"

#define PUBLISH_EVERY	64

struct cap_pipe {
	alignas(64) _Atomic uint64_t head;	/* consumer: next to read */
	alignas(64) _Atomic uint64_t tail;	/* producer: next to publish */
	alignas(64) uint64_t	 ptail;		/* producer: next to fill */
	uint64_t		 phead_cache;	/* producer's view of head */
	alignas(64) uint64_t	 ctail_cache;	/* consumer's view of tail */
	uint64_t		 mask;
	struct cap_rec		*recs;
};

/*
 * Spin briefly, then yield, then sleep: 50 us doubling up to 2 ms, so an
 * idle link costs a few hundred wake-ups a second, not tens of thousands.
 */
static void
backoff(unsigned *spins)
{
	struct timespec ts = { 0, 50000 };
	unsigned k;

	if (*spins < 64) {
		(*spins)++;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else if (*spins < 128) {
		(*spins)++;
		sched_yield();
	} else {
		k = *spins - 128;
		if (k < 6) {
			ts.tv_nsec <<= k;
			(*spins)++;
		} else
			ts.tv_nsec = 2000000;
		nanosleep(&ts, NULL);
	}
}

struct cap_pipe *
cap_pipe_create(uint32_t slots)
{
	struct cap_pipe *p;
	uint64_t n = 64;

	while (n < slots && n < (1u << 24))
		n <<= 1;
	if (posix_memalign((void **)&p, 64, sizeof(*p)) != 0)
		abort();
	atomic_init(&p->head, 0);
	atomic_init(&p->tail, 0);
	p->ptail = p->phead_cache = p->ctail_cache = 0;
	p->mask = n - 1;
	/* One record per cache line, aligned, so no line is shared. */
	if (posix_memalign((void **)&p->recs, 64, n * sizeof(*p->recs)) != 0)
		abort();
	memset(p->recs, 0, n * sizeof(*p->recs));
	return p;
}

void
cap_pipe_destroy(struct cap_pipe *p)
{
	if (p == NULL)
		return;
	free(p->recs);
	free(p);
}

struct cap_rec *
cap_pipe_reserve(struct cap_pipe *p)
{
	unsigned spins = 0;

	while (p->ptail - p->phead_cache > p->mask) {
		/* Full as far as we know: publish what we have, look again. */
		atomic_store_explicit(&p->tail, p->ptail, memory_order_release);
		p->phead_cache = atomic_load_explicit(&p->head,
		    memory_order_acquire);
		if (p->ptail - p->phead_cache > p->mask)
			backoff(&spins);
	}
	return &p->recs[p->ptail & p->mask];
}

void
cap_pipe_commit(struct cap_pipe *p)
{
	p->ptail++;
	if ((p->ptail & (PUBLISH_EVERY - 1)) == 0)
		atomic_store_explicit(&p->tail, p->ptail, memory_order_release);
}

void
cap_pipe_flush(struct cap_pipe *p)
{
	atomic_store_explicit(&p->tail, p->ptail, memory_order_release);
}

size_t
cap_pipe_peek(struct cap_pipe *p, struct cap_rec **recs, size_t max)
{
	uint64_t head = atomic_load_explicit(&p->head, memory_order_relaxed);
	uint64_t n, contig;
	unsigned spins = 0;

	while (p->ctail_cache == head) {
		p->ctail_cache = atomic_load_explicit(&p->tail,
		    memory_order_acquire);
		if (p->ctail_cache == head)
			backoff(&spins);
	}
	n = p->ctail_cache - head;
	contig = p->mask + 1 - (head & p->mask);
	if (n > contig)
		n = contig;
	if (n > max)
		n = max;
	*recs = &p->recs[head & p->mask];
	return (size_t)n;
}

void
cap_pipe_release(struct cap_pipe *p, size_t n)
{
	uint64_t head = atomic_load_explicit(&p->head, memory_order_relaxed);

	atomic_store_explicit(&p->head, head + n, memory_order_release);
}
