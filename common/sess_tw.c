/*
 * sess_tw: TIME_WAIT entries in a ring (close order, so the oldest is
 * always at the head and expiry pops heads) with a chained hash index
 * over the ring positions. An entry is 48 bytes and its bucket 4 to 8;
 * the arrays are allocated zeroed at creation, so pages never used (a
 * record far from full) cost no resident memory.
 */
#include <stdlib.h>
#include <string.h>

#include "sess_tw.h"
#include "xmalloc.h"

struct sess_tw {
	struct sess_tw_ent	*ent;
	uint32_t		*bucket;	/* position + 1, 0 empty */
	uint32_t		 cap, mask;
	uint32_t		 head, n;	/* oldest position, entries */
	uint64_t		 ttl;
	uint64_t		 evicted;
};

static void	pop_head(struct sess_tw *);

struct sess_tw *
sess_tw_create(uint32_t cap, uint64_t ttl_ns)
{
	struct sess_tw *w;
	uint32_t nb = 16;

	if (cap == 0 || cap > (1u << 30))
		return NULL;
	while (nb < cap)
		nb <<= 1;
	w = xcalloc(1, sizeof(*w));
	w->ent = xcalloc(cap, sizeof(*w->ent));
	w->bucket = xcalloc(nb, sizeof(*w->bucket));
	w->cap = cap;
	w->mask = nb - 1;
	w->ttl = ttl_ns;
	return w;
}

void
sess_tw_destroy(struct sess_tw *w)
{
	if (w == NULL)
		return;
	sess_tw_flush(w);
	free(w->ent);
	free(w->bucket);
	free(w);
}

void
sess_tw_add(struct sess_tw *w, uint64_t key, uint64_t start_ns,
    uint64_t end_ns, uint64_t now_ns)
{
	struct sess_tw_ent *e;
	uint32_t pos, *b;

	if (w->n == w->cap) {
		w->evicted++;
		pop_head(w);
	}
	pos = w->head + w->n;
	if (pos >= w->cap)
		pos -= w->cap;
	e = &w->ent[pos];
	b = &w->bucket[(uint32_t)key & w->mask];
	e->key = key;
	e->start_ns = start_ns;
	e->end_ns = end_ns;
	e->closed_ns = now_ns;
	e->amend_ns = 0;
	/* Newest first in its chain: a reused port finds its last close. */
	e->next = *b;
	*b = pos + 1;
	w->n++;
}

struct sess_tw_ent *
sess_tw_find(struct sess_tw *w, uint64_t key)
{
	uint32_t p;

	if (w->n == 0)
		return NULL;
	for (p = w->bucket[(uint32_t)key & w->mask]; p != 0;
	    p = w->ent[p - 1].next)
		if (w->ent[p - 1].key == key)
			return &w->ent[p - 1];
	return NULL;
}

void
sess_tw_expire(struct sess_tw *w, uint64_t now_ns)
{
	while (w->n > 0 && w->ent[w->head].closed_ns + w->ttl <= now_ns)
		pop_head(w);
}

void
sess_tw_flush(struct sess_tw *w)
{
	while (w->n > 0)
		pop_head(w);
}

uint32_t
sess_tw_count(const struct sess_tw *w)
{
	return w->n;
}

uint64_t
sess_tw_evicted(const struct sess_tw *w)
{
	return w->evicted;
}

/*
 * The head leaves, unlinked from its chain (chains are short: the index
 * has at least as many buckets as the ring has entries).
 */
static void
pop_head(struct sess_tw *w)
{
	struct sess_tw_ent *e = &w->ent[w->head];
	uint32_t *p = &w->bucket[(uint32_t)e->key & w->mask];

	while (*p != w->head + 1)
		p = &w->ent[*p - 1].next;
	*p = e->next;
	w->n--;
	if (++w->head == w->cap)
		w->head = 0;
}
