/*
 * legs_dns: a table of recent DNS answers, in sets of LEGS_DNS_WAYS
 * entries chosen by the hash of (name, address). An entry is one name,
 * address and receiver with the times of its last two answers, so that
 * an answer repeated just after a SYN does not hide the one before it.
 * Lookups and inserts read one set: a handful of cache lines.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "legs_dns.h"

#define LEGS_DNS_WAYS	4

struct dent {
	uint64_t	name;
	uint64_t	last, prev;	/* answer times; 0: none */
	uint8_t		addr[16], rcv[16];
	uint8_t		af, raf;	/* af 0: the entry is free */
};

struct legs_dns {
	struct dent	*ent;
	uint32_t	 nsets;
};

static uint32_t	set_of(const struct legs_dns *, uint64_t, uint8_t,
		    const uint8_t *);
static int	loopback(uint8_t, const uint8_t *);
static int	in_window(uint64_t, uint64_t, uint64_t);

struct legs_dns *
legs_dns_create(uint32_t entries)
{
	struct legs_dns *d;

	if (entries == 0 || entries > (1u << 24))
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->nsets = (entries + LEGS_DNS_WAYS - 1) / LEGS_DNS_WAYS;
	d->ent = xcalloc((size_t)d->nsets * LEGS_DNS_WAYS, sizeof(*d->ent));
	return d;
}

void
legs_dns_destroy(struct legs_dns *d)
{
	if (d == NULL)
		return;
	free(d->ent);
	free(d);
}

void
legs_dns_add(struct legs_dns *d, uint64_t name, uint8_t af,
    const uint8_t *addr, uint8_t raf, const uint8_t *rcv, uint64_t ts_ns)
{
	struct dent *s = &d->ent[(size_t)set_of(d, name, af, addr) *
	    LEGS_DNS_WAYS], *e = NULL;
	size_t i;

	for (i = 0; i < LEGS_DNS_WAYS; i++) {
		if (s[i].af == af && s[i].raf == raf && s[i].name == name &&
		    memcmp(s[i].addr, addr, 16) == 0 &&
		    memcmp(s[i].rcv, rcv, 16) == 0) {
			if (ts_ns != s[i].last) {
				s[i].prev = s[i].last;
				s[i].last = ts_ns;
			}
			return;
		}
		/* Else the free entry, or the one answered longest ago. */
		if (e == NULL || (e->af != 0 && (s[i].af == 0 ||
		    s[i].last < e->last)))
			e = &s[i];
	}
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->af = af;
	e->raf = raf;
	memcpy(e->addr, addr, 16);
	memcpy(e->rcv, rcv, 16);
	e->last = ts_ns;
}

int
legs_dns_seen(const struct legs_dns *d, uint64_t name, uint8_t af,
    const uint8_t *addr, uint8_t sf, const uint8_t *src, uint64_t syn_ns,
    uint64_t window_ns)
{
	const struct dent *s = &d->ent[(size_t)set_of(d, name, af, addr) *
	    LEGS_DNS_WAYS];
	size_t i;

	for (i = 0; i < LEGS_DNS_WAYS; i++) {
		if (s[i].af != af || s[i].name != name ||
		    memcmp(s[i].addr, addr, 16) != 0)
			continue;
		if (!loopback(s[i].raf, s[i].rcv) && (s[i].raf != sf ||
		    memcmp(s[i].rcv, src, 16) != 0))
			continue;
		if (in_window(s[i].last, syn_ns, window_ns) ||
		    in_window(s[i].prev, syn_ns, window_ns))
			return 1;
	}
	return 0;
}

static uint32_t
set_of(const struct legs_dns *d, uint64_t name, uint8_t af,
    const uint8_t *addr)
{
	uint64_t h = name ^ af;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)(h % d->nsets);
}

static int
loopback(uint8_t af, const uint8_t *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return af == 4 ? a[0] == 127 : memcmp(a, one, 16) == 0;
}

static int
in_window(uint64_t t, uint64_t syn_ns, uint64_t window_ns)
{
	return t != 0 && t <= syn_ns && syn_ns - t <= window_ns;
}
