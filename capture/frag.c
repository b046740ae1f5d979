/*
 * frag: fragment attribution table. Entries are allocated in a ring in
 * creation order, so the oldest is always the next to reuse and expiry is
 * a walk from the ring's tail; a hash over the datagram key finds them.
 * Payload is counted once per datagram: for UDP the first fragment counts
 * the datagram's length (UDP length - 8) and later fragments add nothing;
 * TCP has no such field, so every fragment adds its own data bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "frag.h"

#define FNIL	UINT32_MAX

struct frag_ent {
	uint8_t		src[16], dst[16];
	uint32_t	id;
	uint8_t		af, proto, known, used;
	uint16_t	sport, dport;
	uint32_t	hnext;
	uint64_t	born_ns;
	struct frag_pending pend;
};

struct frag_table {
	struct frag_ent	*ents;
	uint32_t	 max;
	uint32_t	 oldest;	/* ring position of the oldest entry */
	uint32_t	 count;
	uint32_t	*buckets;
	uint32_t	 nbuckets;
	uint64_t	 timeout_ns;
	uint64_t	 orphans;
};

static uint32_t
frag_hash(const struct decoded *d)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ d->src[i] ^ ((uint64_t)d->dst[i] << 8)) *
		    0x100000001b3ULL;
	h ^= (uint64_t)d->frag_id << 16 ^ d->proto ^ (uint64_t)d->af << 8;
	h *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h >> 32);
}

struct frag_table *
frag_table_create(uint32_t max, uint64_t timeout_ns)
{
	struct frag_table *f = xcalloc(1, sizeof(*f));

	if (max == 0)
		max = 1;
	f->max = max;
	f->ents = xcalloc(max, sizeof(*f->ents));
	/* Twice max, rounded up to a power of two; max * 2 could wrap and
	 * spin this loop forever, so halve nbuckets instead. */
	f->nbuckets = 1;
	while (f->nbuckets / 2 < max && f->nbuckets < (1u << 31))
		f->nbuckets <<= 1;
	f->buckets = xreallocarray(NULL, f->nbuckets, sizeof(*f->buckets));
	memset(f->buckets, 0xff, f->nbuckets * sizeof(*f->buckets));
	f->timeout_ns = timeout_ns;
	return f;
}

void
frag_table_destroy(struct frag_table *f)
{
	if (f == NULL)
		return;
	free(f->ents);
	free(f->buckets);
	free(f);
}

uint64_t
frag_table_orphans(const struct frag_table *f)
{
	return f->orphans;
}

static uint32_t
find(struct frag_table *f, const struct decoded *d, uint32_t h)
{
	uint32_t i = f->buckets[h & (f->nbuckets - 1)];

	while (i != FNIL) {
		struct frag_ent *e = &f->ents[i];

		if (e->id == d->frag_id && e->proto == d->proto &&
		    e->af == d->af && memcmp(e->src, d->src, 16) == 0 &&
		    memcmp(e->dst, d->dst, 16) == 0)
			return i;
		i = e->hnext;
	}
	return FNIL;
}

/* Removes the oldest entry; its waiting fragments become orphans. */
static void
drop_oldest(struct frag_table *f)
{
	struct frag_ent *e = &f->ents[f->oldest];
	uint32_t *pp;
	struct decoded key;

	memset(&key, 0, sizeof(key));
	memcpy(key.src, e->src, 16);
	memcpy(key.dst, e->dst, 16);
	key.frag_id = e->id;
	key.proto = e->proto;
	key.af = e->af;
	pp = &f->buckets[frag_hash(&key) & (f->nbuckets - 1)];
	while (*pp != f->oldest)
		pp = &f->ents[*pp].hnext;
	*pp = e->hnext;
	if (!e->known)
		f->orphans += e->pend.packets;
	e->used = 0;
	f->oldest = (f->oldest + 1) % f->max;
	f->count--;
}

static uint32_t
insert(struct frag_table *f, const struct decoded *d, uint32_t h,
    uint64_t ts, int *full)
{
	uint32_t i, b;
	struct frag_ent *e;

	*full = 0;
	if (f->count == f->max) {
		drop_oldest(f);
		*full = 1;
	}
	i = (f->oldest + f->count) % f->max;
	e = &f->ents[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->src, d->src, 16);
	memcpy(e->dst, d->dst, 16);
	e->id = d->frag_id;
	e->af = d->af;
	e->proto = d->proto;
	e->used = 1;
	e->born_ns = ts;
	b = h & (f->nbuckets - 1);
	e->hnext = f->buckets[b];
	f->buckets[b] = i;
	f->count++;
	return i;
}

int
frag_table_first(struct frag_table *f, const struct decoded *d, uint64_t ts,
    struct frag_pending *pending)
{
	uint32_t h = frag_hash(d), i = find(f, d, h);
	struct frag_ent *e;
	int full = 0;

	memset(pending, 0, sizeof(*pending));
	if (i == FNIL)
		i = insert(f, d, h, ts, &full);
	e = &f->ents[i];
	if (!e->known) {
		*pending = e->pend;
		memset(&e->pend, 0, sizeof(e->pend));
	}
	e->known = 1;
	e->sport = d->sport;
	e->dport = d->dport;
	return full ? -ENOSPC : 0;
}

int
frag_table_later(struct frag_table *f, struct decoded *d, uint64_t ts)
{
	uint32_t h = frag_hash(d), i = find(f, d, h);
	struct frag_ent *e;
	uint32_t share = d->proto == 6 ? d->frag_data : 0;
	int full;

	if (i != FNIL && f->ents[i].known) {
		e = &f->ents[i];
		d->sport = e->sport;
		d->dport = e->dport;
		d->payload = share;
		return 1;
	}
	if (i == FNIL)
		i = insert(f, d, h, ts, &full);
	e = &f->ents[i];
	e->pend.packets++;
	e->pend.ip_bytes += d->ip_bytes;
	e->pend.payload += share;
	if (ts > e->pend.last_ns)
		e->pend.last_ns = ts;
	return 0;
}

uint64_t
frag_table_expire(struct frag_table *f, uint64_t now)
{
	uint64_t before = f->orphans;

	while (f->count > 0 &&
	    f->ents[f->oldest].born_ns + f->timeout_ns <= now)
		drop_oldest(f);
	return f->orphans - before;
}
