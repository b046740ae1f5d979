/*
 * topk: space-saving with a min-heap on weight (the lightest item is the
 * one replaced) and an open-addressing index from name to item, kept
 * without tombstones by backward-shift deletion. Every operation is
 * O(log cap).
 */
#include <stdlib.h>
#include <string.h>

#include "sat.h"
#include "topk.h"
#include "xmalloc.h"

#define NONE	UINT32_MAX

struct topk {
	size_t			 cap, n;
	struct topk_item	*items;
	uint32_t		*heap;		/* item indexes, min on weight */
	uint32_t		*pos;		/* item -> heap position */
	uint32_t		*slots;		/* index: item, or NONE */
	uint32_t		*hash;		/* item -> its hash */
	uint32_t		 mask;
};

static uint32_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

struct topk *
topk_create(size_t cap)
{
	struct topk *t = xcalloc(1, sizeof(*t));
	size_t ns = 16;

	if (cap == 0)
		cap = 1;
	while (ns < 2 * cap)
		ns <<= 1;
	t->cap = cap;
	t->items = xcalloc(cap, sizeof(*t->items));
	t->heap = xcalloc(cap, sizeof(*t->heap));
	t->pos = xcalloc(cap, sizeof(*t->pos));
	t->hash = xcalloc(cap, sizeof(*t->hash));
	t->slots = xmalloc(ns * sizeof(*t->slots));
	memset(t->slots, 0xff, ns * sizeof(*t->slots));
	t->mask = (uint32_t)ns - 1;
	return t;
}

void
topk_destroy(struct topk *t)
{
	if (t == NULL)
		return;
	free(t->items);
	free(t->heap);
	free(t->pos);
	free(t->hash);
	free(t->slots);
	free(t);
}

size_t
topk_count(const struct topk *t)
{
	return t->n;
}

const struct topk_item *
topk_item(const struct topk *t, size_t i)
{
	return i < t->n ? &t->items[i] : NULL;
}

static void
heap_swap(struct topk *t, uint32_t a, uint32_t b)
{
	uint32_t ia = t->heap[a], ib = t->heap[b];

	t->heap[a] = ib;
	t->heap[b] = ia;
	t->pos[ib] = a;
	t->pos[ia] = b;
}

static void
sift_up(struct topk *t, uint32_t p)
{
	while (p > 0) {
		uint32_t parent = (p - 1) / 2;

		if (t->items[t->heap[parent]].weight <=
		    t->items[t->heap[p]].weight)
			break;
		heap_swap(t, p, parent);
		p = parent;
	}
}

static void
sift_down(struct topk *t, uint32_t p)
{
	for (;;) {
		uint32_t l = 2 * p + 1, r = l + 1, m = p;

		if (l < t->n && t->items[t->heap[l]].weight <
		    t->items[t->heap[m]].weight)
			m = l;
		if (r < t->n && t->items[t->heap[r]].weight <
		    t->items[t->heap[m]].weight)
			m = r;
		if (m == p)
			return;
		heap_swap(t, p, m);
		p = m;
	}
}

static uint32_t
find(const struct topk *t, const char *name, size_t len, uint32_t h)
{
	uint32_t s, i;

	for (s = h & t->mask; (i = t->slots[s]) != NONE; s = (s + 1) & t->mask)
		if (t->hash[i] == h && t->items[i].len == len &&
		    memcmp(t->items[i].name, name, len) == 0)
			return i;
	return NONE;
}

static void
index_put(struct topk *t, uint32_t i)
{
	uint32_t s = t->hash[i] & t->mask;

	while (t->slots[s] != NONE)
		s = (s + 1) & t->mask;
	t->slots[s] = i;
}

/* Backward-shift deletion of item i from the index. */
static void
index_del(struct topk *t, uint32_t i)
{
	uint32_t s = t->hash[i] & t->mask, next, home;

	while (t->slots[s] != i)
		s = (s + 1) & t->mask;
	for (;;) {
		t->slots[s] = NONE;
		next = s;
		for (;;) {
			next = (next + 1) & t->mask;
			if (t->slots[next] == NONE)
				return;
			home = t->hash[t->slots[next]] & t->mask;
			if (s <= next ? (home <= s || home > next) :
			    (home <= s && home > next))
				break;
		}
		t->slots[s] = t->slots[next];
		s = next;
	}
}

static void
put_new(struct topk *t, const char *name, size_t len, uint32_t h,
    uint64_t weight, uint64_t sessions, uint64_t error)
{
	struct topk_item *it;
	uint32_t i;

	if (t->n < t->cap) {
		i = (uint32_t)t->n++;
		t->heap[i] = i;
		t->pos[i] = i;
		it = &t->items[i];
		memset(it, 0, sizeof(*it));
	} else {
		/* Replace the lightest: it hands over its weight. */
		i = t->heap[0];
		it = &t->items[i];
		index_del(t, i);
		error = it->weight;
		weight = sa_sat_add(weight, it->weight);
		sessions = sa_sat_add(sessions, it->sessions);
	}
	memcpy(it->name, name, len);
	it->name[len] = '\0';
	it->len = (uint16_t)len;
	it->weight = weight;
	it->sessions = sessions;
	it->error = error;
	t->hash[i] = h;
	index_put(t, i);
	sift_up(t, t->pos[i]);
	sift_down(t, t->pos[i]);
}

void
topk_add(struct topk *t, const char *name, size_t len, uint64_t weight,
    uint64_t sessions)
{
	uint32_t h, i;

	if (len > TOPK_NAME_MAX)
		len = TOPK_NAME_MAX;
	h = name_hash(name, len);
	if ((i = find(t, name, len, h)) != NONE) {
		sa_sat_inc(&t->items[i].weight, weight);
		sa_sat_inc(&t->items[i].sessions, sessions);
		sift_down(t, t->pos[i]);
		return;
	}
	put_new(t, name, len, h, weight, sessions, 0);
}

void
topk_load(struct topk *t, const struct topk_item *src)
{
	size_t len = src->len > TOPK_NAME_MAX ? TOPK_NAME_MAX : src->len;
	uint32_t h = name_hash(src->name, len), i;

	if ((i = find(t, src->name, len, h)) != NONE) {
		sa_sat_inc(&t->items[i].weight, src->weight);
		sa_sat_inc(&t->items[i].sessions, src->sessions);
		sift_down(t, t->pos[i]);
		return;
	}
	if (t->n >= t->cap)
		return;
	put_new(t, src->name, len, h, src->weight, src->sessions, src->error);
}
