/*
 * sess_table: hash index of sessions plus one recency list per timeout
 * class (UDP, TCP handshake, TCP open, TCP closing). Entries live in
 * one array addressed by 32-bit index (mapped at creation, resident only
 * as far as it has been used), so a session costs 88 bytes plus 16 to 32
 * bytes of index; an IPv4 session keeps its two addresses in its entry,
 * any other 32 more bytes in a pool beside the entries. Enrichment blocks
 * are shared between the sessions that say the same (struct enr_pool),
 * each session naming its block by a 32-bit id in its entry. The index is open addressing with linear
 * probing over (hash, entry) pairs: a miss never touches an entry, and a
 * batch of observations can prefetch its slots and entries before use
 * (sess_table_observe_batch), which hides most of the memory latency of a
 * table far larger than the caches. A session moves to the tail of its
 * list only when its class changes or its last-seen second changes, which
 * keeps every list ordered to within one second without touching two
 * neighbours on every packet. Expiry pops list heads; a packet that finds
 * its session past the timeout closes it exactly, whatever the sweep lag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sat.h"
#include "sess_enr.h"
#include "sess_table.h"
#include "sess_tw.h"
#include "xmalloc.h"

#define NIL		UINT32_MAX
#define TICK_SHIFT	32		/* ~4.3 s recency granularity */
#define SWEEP_NS	(1ULL << 28)	/* ~0.27 s between expiry sweeps */
#define MIN_SLOTS	2048u		/* index slots, a power of two */

enum sess_class {
	CLS_UDP = 0,
	CLS_TCP_SYN,
	CLS_TCP_OPEN,
	CLS_TCP_CLOSING,
	CLS_MAX,
	CLS_HELD = 0xfe,	/* closed, held in TIME_WAIT (struct held_q) */
	CLS_FREE = 0xff		/* entry on the free list */
};

/* Flags of struct sess. */
#define SF_FROM_SYN	0x01	/* began with a client SYN */
#define SF_SYNACK	0x02	/* server answered the SYN */
#define SF_EST		0x04	/* handshake completed or data moved */
#define SF_FIN_CLI	0x08
#define SF_FIN_SRV	0x10
#define SF_RST		0x20

/* Reporting state (aflags). */
#define AF_DIRTY	0x01	/* changed since the last drain */
#define AF_OPENED	0x02	/* reported at least once */
#define AF_ENR_NEW	0x04	/* enrichment changed since the last drain */
#define AF_ADDR6	0x08	/* addresses in the pool (a.ref), not a.v4 */
#define AF_WIDE		0x10	/* counters on the heap (c.wide), not c.w */

/* Packed counters: each direction's bytes and wire bytes in 44 bits (16
 * TiB), its packets in 40 (split 20 and 20 over the two words). */
#define CNT_M44		((UINT64_C(1) << 44) - 1)
#define CNT_M40		((UINT64_C(1) << 40) - 1)
#define CNT_M20		((UINT64_C(1) << 20) - 1)

/*
 * A session. Addresses: an IPv4 pair (af 4, the 12 bytes after each
 * address zero, as the decoder leaves them) is kept in a.v4; any other
 * pair (IPv6, or an agent's event with stray bytes) in the address pool,
 * by a.ref, so that every address comes back exactly as it went in.
 * Counters: packed in c.w (CNT_*); the first sum that would not fit
 * moves all six to the heap (AF_WIDE, 48 bytes), so no count is ever cut.
 * An agent reports every flush interval and starts again from zero, and a
 * capture file would need 16 TiB of one connection, so that is rare.
 */
struct sess {
	union {
		uint32_t	v4[2];		/* client, server */
		uint32_t	ref;		/* AF_ADDR6: pool slot */
	} a;
	uint16_t	cli_port, srv_port;
	uint8_t		af, proto, cls, flags;
	uint16_t	agent;
	uint8_t		reason;		/* enum sess_close, from FIN/RST */
	uint8_t		aflags;		/* AF_*: reporting state */
	uint32_t	enr;		/* enrichment block id, 0: none */
	uint32_t	prev, next;	/* recency list, or free list */
	union {
		struct {
			uint32_t	syn_seq;
			uint8_t		seen[2];	/* TCP flags each way */
			uint16_t	spare;
		};
		uint64_t	closed_ns;	/* CLS_HELD: table time of close */
	};
	uint64_t	first_ns, last_ns;
	union {
		uint64_t	 w[4];	/* direction d: w[2d], w[2d + 1] */
		uint64_t	*wide;	/* packets, bytes, wire bytes each way */
	} c;
};

/* One index slot: the entry's hash and index; idx NIL when empty. */
struct sess_slot {
	uint32_t	hash;
	uint32_t	idx;
};

_Static_assert(sizeof(struct sess) == 88, "a session is 88 bytes");

/* The address pool: a client and a server address (32 bytes) a slot, in
 * an array like the entries' (small pages: it is often nearly empty);
 * free slots are chained through their first 4 bytes. */
struct addr_pool {
	uint8_t		*slot;
	uint32_t	 nalloc, free_head;
};

struct sess_list {
	uint32_t	head, tail;
};

/*
 * Offline TIME_WAIT (hold mode, cfg.time_wait_hold): a TCP session closed
 * by FIN or RST stays in its own entry, out of the index and the lists,
 * until tcp_time_wait after its close; a late packet is counted in it,
 * and it is reported once, when it leaves. So a held session costs no
 * more than it did open, and the entries freed by closes are the ones
 * that hold. The held entries form a queue in close order (through next,
 * the oldest leaves first) and chains by index hash (through prev, newest
 * first, so a reused port finds its last close); the buckets double with
 * the queue, up to the capacity.
 */
struct held_q {
	uint32_t	*bucket;	/* entry, or NIL */
	uint32_t	 mask, max_buckets;
	uint32_t	 head, tail;	/* oldest, newest; NIL when empty */
	uint32_t	 n, cap;
	uint64_t	 ttl, evicted;
};

/*
 * A shared enrichment block: its reference count and content hash just
 * before it (8 bytes, so the block stays aligned for its uint64_t fields).
 */
struct enr_box {
	uint32_t	refs;
	uint32_t	hash;
};

/*
 * The distinct enrichment blocks of a table, by id (1 up; 0 is none):
 * what each session and each held TIME_WAIT record names. Users, targets
 * and verdicts repeat (a few dozen users, a few thousand targets), so
 * sessions share a few thousand blocks instead of one each, and a session
 * pays 4 bytes of its entry. A block goes with its last reference. The
 * ids of blocks are found by content through an open-addressing index
 * (linear probing, at most half full).
 */
struct enr_pool {
	const struct sess_enr	**blk;		/* by id; [0] unused */
	uint32_t		 *free_ids;	/* ids to reuse, a stack */
	uint32_t		  nblk, nfree, cap;
	uint32_t		 *slot;		/* ids; 0 when empty */
	uint32_t		  mask, n;
};

struct sess_table {
	struct sess_table_cfg	 cfg;
	uint64_t		 timeout[CLS_MAX];
	sess_table_close_cb	 on_close;
	void			*arg;

	struct sess		*ent;		/* max_entries, used from 0 up */
	uint32_t		 nalloc;	/* entries ever handed out */
	uint32_t		 free_head;
	struct addr_pool	 addr;		/* pairs not kept in entries */

	struct sess_slot	*slots;
	uint32_t		 nslots;	/* power of two, >= 2 * active */
	uint32_t		 max_slots;

	/*
	 * Recency lists, per class; with agents' clocks, per agent and
	 * class (list_of), so that a sweep walks one agent's sessions only.
	 */
	struct sess_list	*lists;
	uint32_t		 agent_stride;	/* CLS_MAX, or 0: one agent */
	/* Highest agent with a session (0 with one agent): lists of
	 * (agent_hi + 1) * CLS_MAX are in use. */
	uint32_t		 agent_hi;
	uint64_t		*agent_hash;	/* per agent index, or NULL */
	uint32_t		*agent_n;	/* sessions per agent, or NULL */
	/* Each agent's clock (sess_table_agent_clock), with agent_n: its
	 * sessions idle out by it alone. */
	uint64_t		*agent_now;
	uint64_t		 seed;		/* of the index hash */
	uint64_t		 now;
	uint64_t		 next_sweep;
	struct enr_pool		 pool;		/* enrichment blocks, shared */
	struct sess_tw		*tw;		/* TIME_WAIT, or NULL */
	struct held_q		 held;		/* hold mode's, if cap > 0 */
	uint32_t		 max_entries;	/* max_sessions + held.cap */
	sess_table_amend_cb	 on_amend;
	void			*amend_arg;
	int			 quiet;		/* destroying: report nothing */
	struct sess_table_stats	 st;
};

static const char *const status_names[SESS_STATUS_MAX] = {
	"active", "closed", "failed", "rejected_by_acl",
};
static const char *const close_names[SESS_CLOSE_MAX] = {
	NULL, "fin", "rst", "idle_timeout", "evicted", "shutdown",
	"agent_lost", "capture_end",
};

static struct sess	*S(const struct sess_table *, uint32_t);
static size_t		 ent_bytes(const struct sess_table *);
static void		 cnt_release(struct sess *);
static uint32_t		 obs_hash(const struct sess_table *,
			    const struct sess_obs *);
static inline uint64_t	 mix64(uint64_t);
static uint32_t		 lookup(struct sess_table *, const struct sess_obs *,
			    uint32_t, int *);
static uint32_t		 create(struct sess_table *, const struct sess_obs *,
			    uint32_t, int, int *);
static void		 close_sess(struct sess_table *, uint32_t,
			    enum sess_close);
static void		 list_unlink(struct sess_table *, uint32_t);
static void		 list_append(struct sess_table *, uint32_t);
static void		 evict_one(struct sess_table *);
static void		 grow_index(struct sess_table *);
static void		 index_insert(struct sess_slot *, uint32_t, uint32_t,
			    uint32_t);
static void		 index_remove(struct sess_table *, uint32_t, uint32_t);
static const struct sess_enr *enr_get(const struct sess_table *, uint32_t);
static void		 enr_put(struct sess_table *, uint32_t, uint32_t);
static uint32_t		 enr_intern(struct sess_table *,
			    const struct sess_enr *);
static void		 enr_unref(struct sess_table *, uint32_t);
static void		 enr_clear(struct sess_table *);
static int		 tw_late(struct sess_table *, const struct sess_obs *);
static void		 held_add(struct sess_table *, uint32_t, uint32_t,
			    const struct sess_rec *);
static void		 held_pop(struct sess_table *);
static void		 held_drain(struct sess_table *);
static void		 held_expire(struct sess_table *);
static int		 held_late(struct sess_table *, const struct sess_obs *,
			    uint32_t);

const char *
sess_status_name(enum sess_status s)
{
	return (unsigned)s < SESS_STATUS_MAX ? status_names[s] : "unknown";
}

const char *
sess_close_name(enum sess_close r)
{
	return (unsigned)r < SESS_CLOSE_MAX && r != SESS_CLOSE_NONE ?
	    close_names[r] : NULL;
}

struct sess_table *
sess_table_create(const struct sess_table_cfg *cfg,
    sess_table_close_cb on_close, void *arg)
{
	struct sess_table *t;
	uint32_t maxs = MIN_SLOTS, n;
	int i;

	if (cfg->max_sessions == 0 || cfg->max_sessions > NIL / 2)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->cfg = *cfg;
	t->timeout[CLS_UDP] = cfg->udp_idle_ns;
	t->timeout[CLS_TCP_SYN] = cfg->tcp_syn_ns;
	t->timeout[CLS_TCP_OPEN] = cfg->tcp_idle_ns;
	t->timeout[CLS_TCP_CLOSING] = cfg->tcp_linger_ns;
	t->on_close = on_close;
	t->arg = arg;
	t->max_entries = cfg->max_sessions;
	if (cfg->time_wait_hold && cfg->tcp_time_wait_ns > 0 &&
	    cfg->time_wait_max > 0) {
		if (cfg->time_wait_max > NIL / 2)
			return NULL;
		t->held.cap = cfg->time_wait_max;
		t->held.ttl = cfg->tcp_time_wait_ns;
		t->held.head = t->held.tail = NIL;
		t->max_entries += cfg->time_wait_max;
	}
	/* Mapped whole, touched from the start as entries are handed out:
	 * only what was ever used is resident (huge pages for a large
	 * table, xmalloc_huge). */
	t->ent = xmalloc_huge(ent_bytes(t));
	t->free_head = NIL;
	t->addr.slot = xreallocarray(NULL, t->max_entries, 32);
	t->addr.free_head = NIL;
	/* Seed of the index hash; any value is correct, a random one keeps
	 * probe runs out of an attacker's reach. */
	t->seed = mix64(sa_random_u64() ^ (uint64_t)(uintptr_t)t);
	while (maxs < 2 * cfg->max_sessions && maxs < (1u << 31))
		maxs <<= 1;
	t->max_slots = maxs;
	t->nslots = MIN_SLOTS;
	t->slots = xmalloc_huge((size_t)t->nslots * sizeof(*t->slots));
	memset(t->slots, 0xff, t->nslots * sizeof(*t->slots));
	if (cfg->agent_max_sessions > 0) {
		t->agent_n = xcalloc(UINT16_MAX + 1, sizeof(*t->agent_n));
		t->agent_now = xcalloc(UINT16_MAX + 1, sizeof(*t->agent_now));
		t->agent_stride = CLS_MAX;
	}
	n = (t->agent_stride != 0 ? UINT16_MAX + 1 : 1) * CLS_MAX;
	t->lists = xreallocarray(NULL, n, sizeof(*t->lists));
	for (i = 0; i < (int)n; i++)
		t->lists[i].head = t->lists[i].tail = NIL;
	if (t->held.cap == 0 && cfg->tcp_time_wait_ns > 0 &&
	    cfg->time_wait_max > 0 &&
	    (t->tw = sess_tw_create(cfg->time_wait_max,
	    cfg->tcp_time_wait_ns)) == NULL) {
		sess_table_destroy(t);
		return NULL;
	}
	return t;
}

void
sess_table_set_amend_cb(struct sess_table *t, sess_table_amend_cb cb,
    void *arg)
{
	t->on_amend = cb;
	t->amend_arg = arg;
}

void
sess_table_destroy(struct sess_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	t->quiet = 1;
	sess_tw_destroy(t->tw);
	while (t->held.n > 0)
		held_pop(t);
	free(t->held.bucket);
	for (i = 0; i < t->nalloc; i++)
		if (S(t, i)->cls != CLS_FREE)
			cnt_release(S(t, i));
	enr_clear(t);
	for (i = 1; i < t->pool.nblk; i++)
		if (t->pool.blk[i] != NULL)
			free((char *)(uintptr_t)t->pool.blk[i] -
			    sizeof(struct enr_box));
	free(t->pool.blk);
	free(t->pool.free_ids);
	free(t->pool.slot);
	xfree_huge(t->ent, ent_bytes(t));
	free(t->addr.slot);
	xfree_huge(t->slots, (size_t)t->nslots * sizeof(*t->slots));
	free(t->agent_hash);
	free(t->agent_n);
	free(t->agent_now);
	free(t->lists);
	free(t);
}

size_t
sess_table_count(const struct sess_table *t)
{
	return t->st.active;
}

void
sess_table_get_stats(const struct sess_table *t, struct sess_table_stats *out)
{
	*out = t->st;
	if (t->tw != NULL) {
		out->time_wait = sess_tw_count(t->tw);
		out->time_wait_evicted = sess_tw_evicted(t->tw);
	}
	if (t->held.cap > 0) {
		out->time_wait = t->held.n;
		out->time_wait_evicted = t->held.evicted;
	}
}

/* The entries' array: max_entries of them. */
static size_t
ent_bytes(const struct sess_table *t)
{
	return (size_t)t->max_entries * sizeof(struct sess);
}

static inline struct sess *
S(const struct sess_table *t, uint32_t i)
{
	return &t->ent[i];
}

/* Pool slot r: the client address, then the server's. */
static inline uint8_t *
A(const struct sess_table *t, uint32_t r)
{
	return t->addr.slot + (size_t)r * 32;
}

/* Whether the 12 bytes after an IPv4 address are zero. */
static inline int
pad_zero(const uint8_t *a)
{
	uint32_t w0;
	uint64_t w1;

	memcpy(&w0, a + 4, 4);
	memcpy(&w1, a + 8, 8);
	return (w0 | w1) == 0;
}

/* Stores s's addresses (s->af set, AF_ADDR6 clear); a pool slot at most
 * one per live entry, so the pool never outgrows its max_entries. */
static void
addr_set(struct sess_table *t, struct sess *s, const uint8_t *cli,
    const uint8_t *srv)
{
	struct addr_pool *p = &t->addr;
	uint32_t r;
	uint8_t *a;

	if (s->af == 4 && pad_zero(cli) && pad_zero(srv)) {
		memcpy(&s->a.v4[0], cli, 4);
		memcpy(&s->a.v4[1], srv, 4);
		return;
	}
	if (p->free_head != NIL) {
		r = p->free_head;
		memcpy(&p->free_head, A(t, r), 4);
	} else
		r = p->nalloc++;
	a = A(t, r);
	memcpy(a, cli, 16);
	memcpy(a + 16, srv, 16);
	s->a.ref = r;
	s->aflags |= AF_ADDR6;
}

/* The entry is going: its pool slot, if any, is free again. */
static void
addr_release(struct sess_table *t, struct sess *s)
{
	if (s->aflags & AF_ADDR6) {
		memcpy(A(t, s->a.ref), &t->addr.free_head, 4);
		t->addr.free_head = s->a.ref;
		s->aflags &= ~AF_ADDR6;
	}
}

/* s's addresses, 16 bytes each. */
static void
addr_get(const struct sess_table *t, const struct sess *s, uint8_t *cli,
    uint8_t *srv)
{
	if (s->aflags & AF_ADDR6) {
		memcpy(cli, A(t, s->a.ref), 16);
		memcpy(srv, A(t, s->a.ref) + 16, 16);
		return;
	}
	memset(cli, 0, 16);
	memset(srv, 0, 16);
	memcpy(cli, &s->a.v4[0], 4);
	memcpy(srv, &s->a.v4[1], 4);
}

/* The counters move to the heap, where they are 64 bits each. */
static void
cnt_widen(struct sess *s)
{
	uint64_t *v = xmalloc(6 * sizeof(*v));
	int d;

	for (d = 0; d < 2; d++) {
		uint64_t lo = s->c.w[2 * d], hi = s->c.w[2 * d + 1];

		v[d] = (lo >> 44) | (hi >> 44) << 20;
		v[2 + d] = lo & CNT_M44;
		v[4 + d] = hi & CNT_M44;
	}
	s->c.wide = v;
	s->aflags |= AF_WIDE;
}

/* Adds a packet count and byte counts to direction d; sat: saturate at
 * 2^64 - 1 (an agent's numbers) instead of wrapping. */
static inline void
cnt_add(struct sess *s, int d, uint64_t p, uint64_t b, uint64_t w, int sat)
{
	uint64_t *v;

	if (!(s->aflags & AF_WIDE)) {
		uint64_t lo = s->c.w[2 * d], hi = s->c.w[2 * d + 1];
		uint64_t cb = lo & CNT_M44, cw = hi & CNT_M44;
		uint64_t cp = (lo >> 44) | (hi >> 44) << 20;

		if (b <= CNT_M44 - cb && w <= CNT_M44 - cw &&
		    p <= CNT_M40 - cp) {
			cp += p;
			s->c.w[2 * d] = (cb + b) | (cp & CNT_M20) << 44;
			s->c.w[2 * d + 1] = (cw + w) | (cp >> 20) << 44;
			return;
		}
		cnt_widen(s);
	}
	v = s->c.wide;
	if (sat) {
		v[d] = sa_sat_add(v[d], p);
		v[2 + d] = sa_sat_add(v[2 + d], b);
		v[4 + d] = sa_sat_add(v[4 + d], w);
	} else {
		v[d] += p;
		v[2 + d] += b;
		v[4 + d] += w;
	}
}

/* The six counters (each two directions). */
static void
cnt_get(const struct sess *s, uint64_t *pk, uint64_t *by, uint64_t *wi)
{
	int d;

	for (d = 0; d < 2; d++) {
		if (s->aflags & AF_WIDE) {
			pk[d] = s->c.wide[d];
			by[d] = s->c.wide[2 + d];
			wi[d] = s->c.wide[4 + d];
		} else {
			uint64_t lo = s->c.w[2 * d], hi = s->c.w[2 * d + 1];

			pk[d] = (lo >> 44) | (hi >> 44) << 20;
			by[d] = lo & CNT_M44;
			wi[d] = hi & CNT_M44;
		}
	}
}

/* Back to zero, packed. */
static void
cnt_release(struct sess *s)
{
	if (s->aflags & AF_WIDE) {
		free(s->c.wide);
		s->aflags &= ~AF_WIDE;
	}
	memset(&s->c, 0, sizeof(s->c));
}

/* Whether s's client and server addresses are c and v. */
static inline int
addr_eq(const struct sess_table *t, const struct sess *s, const uint8_t *c,
    const uint8_t *v)
{
	const uint8_t *a;

	if (s->aflags & AF_ADDR6) {
		a = A(t, s->a.ref);
		return memcmp(a, c, 16) == 0 && memcmp(a + 16, v, 16) == 0;
	}
	return memcmp(&s->a.v4[0], c, 4) == 0 &&
	    memcmp(&s->a.v4[1], v, 4) == 0 && pad_zero(c) && pad_zero(v);
}

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t
ep_hash(const uint8_t *a, uint16_t port)
{
	uint64_t w0, w1;

	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	return mix64(w0 ^ mix64(w1 ^ ((uint64_t)port << 48)));
}

/* Direction-independent: both orientations of a flow hash alike. */
/*
 * The index hash: two multiplies per endpoint, one to finish, keyed with
 * the table's random seed so that nobody can aim packets at one probe
 * run. Session ids use the slower, unkeyed ep_hash (make_rec): they must
 * be the same on every run.
 */
static inline uint64_t
ep_fast(const uint8_t *a, uint16_t port, uint64_t seed)
{
	uint64_t w0, w1, x;

	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	x = (w0 ^ seed) * 0x9e3779b97f4a7c15ULL;
	x ^= (w1 + ((uint64_t)port << 17) + seed) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (x >> 31);
}

uint32_t
sess_table_flow_hash(uint64_t seed, uint8_t af, uint8_t proto,
    uint16_t agent, const uint8_t *src, uint16_t sport, const uint8_t *dst,
    uint16_t dport)
{
	uint64_t h = ep_fast(src, sport, seed) + ep_fast(dst, dport, seed);

	h ^= (uint64_t)proto << 56 | (uint64_t)agent << 32 | af;
	h *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32);
}

uint64_t
sess_table_hash_seed(const struct sess_table *t)
{
	return t->seed;
}

static inline uint32_t
obs_hash(const struct sess_table *t, const struct sess_obs *o)
{
	return sess_table_flow_hash(t->seed, o->af, o->proto, o->agent, o->src,
	    o->sport, o->dst, o->dport);
}

/* Whether o is on s's connection: 0 client to server, 1 the other way,
 * -1 not s's. */
static inline int
obs_dir(const struct sess_table *t, const struct sess *s,
    const struct sess_obs *o)
{
	if (s->proto != o->proto || s->agent != o->agent || s->af != o->af)
		return -1;
	if (s->cli_port == o->sport && s->srv_port == o->dport &&
	    addr_eq(t, s, o->src, o->dst))
		return 0;
	if (s->cli_port == o->dport && s->srv_port == o->sport &&
	    addr_eq(t, s, o->dst, o->src))
		return 1;
	return -1;
}

/* Finds the session; *dir = 0 if obs goes client to server, else 1. */
static uint32_t
lookup(struct sess_table *t, const struct sess_obs *o, uint32_t h, int *dir)
{
	uint32_t mask = t->nslots - 1, pos = h & mask, i;
	int d;

	for (; (i = t->slots[pos].idx) != NIL; pos = (pos + 1) & mask) {
		if (t->slots[pos].hash == h &&
		    (d = obs_dir(t, S(t, i), o)) >= 0) {
			*dir = d;
			return i;
		}
	}
	return NIL;
}

/* Puts (h, i) in the first free slot of its probe sequence. */
static void
index_insert(struct sess_slot *slots, uint32_t nslots, uint32_t h,
    uint32_t i)
{
	uint32_t mask = nslots - 1, pos = h & mask;

	while (slots[pos].idx != NIL)
		pos = (pos + 1) & mask;
	slots[pos].hash = h;
	slots[pos].idx = i;
}

/*
 * Removes entry i (hash h) and closes the gap by moving later members of
 * the probe run back (backward-shift deletion: no tombstones, so probe
 * runs never grow with churn).
 */
static void
index_remove(struct sess_table *t, uint32_t h, uint32_t i)
{
	uint32_t mask = t->nslots - 1, pos = h & mask, next, home;

	while (t->slots[pos].idx != i)
		pos = (pos + 1) & mask;
	for (;;) {
		t->slots[pos].idx = NIL;
		next = pos;
		for (;;) {
			next = (next + 1) & mask;
			if (t->slots[next].idx == NIL)
				return;
			home = t->slots[next].hash & mask;
			/* Movable if its home is not in (pos, next]. */
			if (pos <= next ? (home <= pos || home > next) :
			    (home <= pos && home > next))
				break;
		}
		t->slots[pos] = t->slots[next];
		pos = next;
	}
}

/*
 * Which side is the client (DESIGN.md "Session model"): the sender of a
 * SYN without ACK; the receiver of a SYN-ACK; the side not on a service
 * port; the higher (ephemeral) port; else the sender. Returns 0 if the
 * sender is the client.
 */
static int
orient(const struct sess_table *t, const struct sess_obs *o)
{
	const uint8_t *sp = t->cfg.service_ports;

	if (o->proto == 6 && (o->tcp_flags & SESS_TCP_SYN))
		return (o->tcp_flags & SESS_TCP_ACK) ? 1 : 0;
	if (sp != NULL) {
		int s = sess_port_isset(sp, o->sport);
		int d = sess_port_isset(sp, o->dport);

		if (d && !s)
			return 0;
		if (s && !d)
			return 1;
	}
	if (o->sport != o->dport)
		return o->sport > o->dport ? 0 : 1;
	return 0;
}

static uint32_t
alloc_entry(struct sess_table *t)
{
	uint32_t i;

	if (t->free_head != NIL) {
		i = t->free_head;
		t->free_head = S(t, i)->next;
		return i;
	}
	return t->nalloc++;
}

/* New session for o; force_dir >= 0 fixes the orientation (0: src is
 * the client), else the orientation rules decide. */
static uint32_t
create(struct sess_table *t, const struct sess_obs *o, uint32_t h,
    int force_dir, int *dir)
{
	uint32_t i;
	struct sess *s;

	if (t->st.active >= t->cfg.max_sessions)
		evict_one(t);
	if (2 * (t->st.active + 1) > t->nslots && t->nslots < t->max_slots)
		grow_index(t);
	i = alloc_entry(t);
	s = S(t, i);
	memset(s, 0, sizeof(*s));
	*dir = force_dir >= 0 ? force_dir : orient(t, o);
	s->af = o->af;
	if (*dir == 0) {
		addr_set(t, s, o->src, o->dst);
		s->cli_port = o->sport;
		s->srv_port = o->dport;
	} else {
		addr_set(t, s, o->dst, o->src);
		s->cli_port = o->dport;
		s->srv_port = o->sport;
	}
	s->proto = o->proto;
	s->agent = o->agent;
	if (t->agent_stride != 0 && s->agent > t->agent_hi)
		t->agent_hi = s->agent;
	s->first_ns = s->last_ns = o->ts_ns;
	if (o->proto != 6)
		s->cls = CLS_UDP;
	else if (force_dir >= 0)
		s->cls = CLS_TCP_OPEN;	/* an agent's event: no lifecycle */
	else if ((o->tcp_flags & (SESS_TCP_SYN | SESS_TCP_ACK)) ==
	    SESS_TCP_SYN) {
		s->flags = SF_FROM_SYN;
		s->syn_seq = o->tcp_seq;
		s->cls = CLS_TCP_SYN;
	} else
		s->cls = CLS_TCP_OPEN;
	index_insert(t->slots, t->nslots, h, i);
	list_append(t, i);
	if (++t->st.active > t->st.active_peak)
		t->st.active_peak = t->st.active;
	if (t->agent_n != NULL)
		t->agent_n[s->agent]++;
	t->st.created++;
	return i;
}

/* Doubles the index and reinserts; bounded by max_slots. */
static void
grow_index(struct sess_table *t)
{
	uint32_t n = t->nslots * 2, c;
	struct sess_slot *ns = xmalloc_huge((size_t)n * sizeof(*ns));

	memset(ns, 0xff, n * sizeof(*ns));
	for (c = 0; c < t->nslots; c++)
		if (t->slots[c].idx != NIL)
			index_insert(ns, n, t->slots[c].hash, t->slots[c].idx);
	xfree_huge(t->slots, (size_t)t->nslots * sizeof(*t->slots));
	t->slots = ns;
	t->nslots = n;
}

static struct sess_list *
list_of(struct sess_table *t, const struct sess *s)
{
	return &t->lists[s->agent * t->agent_stride + s->cls];
}

static void
list_unlink(struct sess_table *t, uint32_t i)
{
	struct sess *s = S(t, i);
	struct sess_list *l = list_of(t, s);

	if (s->prev != NIL)
		S(t, s->prev)->next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		S(t, s->next)->prev = s->prev;
	else
		l->tail = s->prev;
}

static void
list_append(struct sess_table *t, uint32_t i)
{
	struct sess *s = S(t, i);
	struct sess_list *l = list_of(t, s);

	s->next = NIL;
	s->prev = l->tail;
	if (l->tail != NIL)
		S(t, l->tail)->next = i;
	else
		l->head = i;
	l->tail = i;
}

static enum sess_status
final_status(const struct sess *s)
{
	if (s->proto == 6 && (s->flags & SF_FROM_SYN) &&
	    !(s->flags & SF_EST))
		return SESS_FAILED;
	return SESS_CLOSED;
}

/* The reason a session ends when nothing more specific applies. */
static enum sess_close
natural_reason(const struct sess *s)
{
	if (s->cls == CLS_TCP_CLOSING && s->reason != SESS_CLOSE_NONE)
		return (enum sess_close)s->reason;
	return SESS_CLOSE_IDLE;
}

/* The clock a session idles out by: its agent's, or the table's. */
static uint64_t
clock_of(const struct sess_table *t, const struct sess *s)
{
	return t->agent_now != NULL ? t->agent_now[s->agent] : t->now;
}

/*
 * Whether the session's timeout has passed at its clock. The
 * sweep runs about once a second and stops at the first list head still
 * in time, so a session can be past its timeout and still in the table;
 * eviction and close_all ask this to report how it really ended.
 */
static int
timed_out(const struct sess_table *t, const struct sess *s)
{
	return s->last_ns + t->timeout[s->cls] <= clock_of(t, s);
}

/* Fills the record a closing session is reported with. */
/* The session id's hash (with start_ns, the id): stable across runs. */
static uint64_t
sess_id_hash(const struct sess_table *t, const uint8_t *cli, uint16_t cport,
    const uint8_t *srv, uint16_t sport, uint8_t proto, uint16_t agent)
{
	uint64_t kh = ep_hash(cli, cport) * 31 + ep_hash(srv, sport);

	return mix64(kh ^ ((uint64_t)proto << 56)) ^
	    (t->agent_hash != NULL ? t->agent_hash[agent] : 0);
}

static void
make_rec(const struct sess_table *t, uint32_t i, enum sess_close reason,
    struct sess_rec *out)
{
	const struct sess *s = S(t, i);
	struct sess_rec r;

	r.start_ns = s->first_ns;
	r.end_ns = s->last_ns;
	cnt_get(s, r.packets, r.bytes, r.wire_bytes);
	r.agent = s->agent;
	r.af = s->af;
	r.proto = s->proto;
	r.cli_port = s->cli_port;
	r.srv_port = s->srv_port;
	addr_get(t, s, r.cli, r.srv);
	r.status = final_status(s);
	r.reason = reason;
	r.reported = (s->aflags & AF_OPENED) != 0;
	r.amend_ns = 0;
	r.enr = enr_get(t, s->enr);
	r.enr_new = (s->aflags & AF_ENR_NEW) != 0;
	/* The proxy's refusal outranks how the connection ended. */
	if (r.enr != NULL && r.enr->verdict != 0)
		r.status = (enum sess_status)r.enr->verdict;
	r.key_hash = sess_id_hash(t, r.cli, s->cli_port, r.srv, s->srv_port,
	    s->proto, s->agent);
	*out = r;
}

uint64_t
sess_table_event_id(const struct sess_table *t, const struct sess_event *ev)
{
	return sess_id_hash(t, ev->cli, ev->cli_port, ev->srv, ev->srv_port,
	    ev->proto, ev->agent);
}

static void
close_sess_status(struct sess_table *t, uint32_t i, enum sess_close reason,
    enum sess_status status)
{
	struct sess *s = S(t, i);
	struct sess_rec r;
	uint32_t h;
	int tw;

	make_rec(t, i, reason, &r);
	if (status != SESS_ACTIVE)
		r.status = status;
	/* Unlink before the callback so it sees a consistent table. */
	h = sess_table_flow_hash(t->seed, s->af, s->proto, s->agent, r.cli,
	    s->cli_port, r.srv, s->srv_port);
	index_remove(t, h, i);
	list_unlink(t, i);
	t->st.active--;
	if (t->agent_n != NULL)
		t->agent_n[s->agent]--;
	t->st.closed[reason]++;
	t->st.status[r.status]++;
	tw = s->proto == 6 && (reason == SESS_CLOSE_FIN ||
	    reason == SESS_CLOSE_RST);
	/* Offline: reported when it leaves TIME_WAIT, late packets and
	 * all (held_pop). */
	if (tw && t->held.cap > 0) {
		held_add(t, i, h, &r);
		return;
	}
	addr_release(t, s);
	cnt_release(s);
	s->cls = CLS_FREE;
	s->next = t->free_head;
	t->free_head = i;
	t->on_close(t->arg, &r);
	if (tw && t->tw != NULL)
		sess_tw_add(t->tw, r.key_hash, r.start_ns, r.end_ns, t->now);
	/* The block lived through the callback (r.enr); now it goes. */
	enr_put(t, i, 0);
}

static void
close_sess(struct sess_table *t, uint32_t i, enum sess_close reason)
{
	close_sess_status(t, i, reason, SESS_ACTIVE);
}

/* Closes the least recently active session (heads of the lists). */
static void
evict_one(struct sess_table *t)
{
	uint32_t best = NIL, c, n;

	/* Every agent's lists up to the highest one used (the aggregator:
	 * a few thousand heads at most, and only with the table full). */
	n = (t->agent_hi + 1) * CLS_MAX;
	for (c = 0; c < n; c++) {
		uint32_t h = t->lists[c].head;

		if (h != NIL && (best == NIL ||
		    S(t, h)->last_ns < S(t, best)->last_ns))
			best = h;
	}
	/* One already past its timeout was not pushed out: it idled out. */
	if (best != NIL)
		close_sess(t, best, timed_out(t, S(t, best)) ?
		    natural_reason(S(t, best)) : SESS_CLOSE_EVICTED);
}

/* Closes what idled out in one agent's lists (agent 0: the only one). */
static void
expire_agent(struct sess_table *t, uint32_t agent)
{
	struct sess_list *l = &t->lists[agent * t->agent_stride];
	int c;

	for (c = 0; c < CLS_MAX; c++) {
		uint64_t to = t->timeout[c];
		uint32_t i;

		while ((i = l[c].head) != NIL) {
			struct sess *s = S(t, i);

			if (s->last_ns + to > clock_of(t, s))
				break;
			close_sess(t, i, natural_reason(s));
		}
	}
}

void
sess_table_expire(struct sess_table *t, uint64_t now)
{
	uint32_t a;

	if (now > t->now)
		t->now = now;
	for (a = 0; a <= t->agent_hi; a++)
		expire_agent(t, a);
	if (t->tw != NULL)
		sess_tw_expire(t->tw, t->now);
	held_expire(t);
	t->next_sweep = t->now + SWEEP_NS;
}

/*
 * Everything goes, so there is no need to keep the index or the lists
 * consistent one session at a time: walk the entries in memory order
 * (sequential, so the hardware prefetcher streams them), report each,
 * then reset the table in one go. The order is the entries' order in
 * memory: deterministic for a given input, not by activity.
 */
void
sess_table_close_all(struct sess_table *t, enum sess_close reason)
{
	struct sess_rec r;
	uint32_t i;
	int c;

	/* Those in TIME_WAIT closed first. */
	if (t->tw != NULL)
		sess_tw_flush(t->tw);
	held_drain(t);
	for (i = 0; i < t->nalloc; i++) {
		struct sess *s = S(t, i);
		enum sess_close why;

		if (s->cls >= CLS_MAX)
			continue;
		/* A TCP session already finished by FIN or RST keeps that
		 * reason, one already past its timeout is idle_timeout; the
		 * request only names how the rest ended. */
		why = s->cls == CLS_TCP_CLOSING || timed_out(t, s) ?
		    natural_reason(s) : reason;
		make_rec(t, i, why, &r);
		t->st.closed[why]++;
		t->st.status[r.status]++;
		t->on_close(t->arg, &r);
		cnt_release(s);
	}
	enr_clear(t);
	t->st.active = 0;
	if (t->agent_n != NULL)
		memset(t->agent_n, 0, (UINT16_MAX + 1) * sizeof(*t->agent_n));
	t->nalloc = 0;
	t->free_head = NIL;
	t->addr.nalloc = 0;
	t->addr.free_head = NIL;
	memset(t->slots, 0xff, t->nslots * sizeof(*t->slots));
	for (c = 0; c < (int)(t->agent_hi + 1) * CLS_MAX; c++)
		t->lists[c].head = t->lists[c].tail = NIL;
}

/*
 * A client SYN (no ACK) on a session that already exists: is it a new
 * connection reusing the ports? Yes if it comes from the server side, if
 * the old one is finished, or if the old one is under way with another
 * initial sequence number (or was picked up without its SYN).
 */
static int
is_new_connection(const struct sess *s, const struct sess_obs *o, int dir)
{
	if (dir == 1 || s->cls == CLS_TCP_CLOSING)
		return 1;
	if (s->cls == CLS_TCP_OPEN)
		return !(s->flags & SF_FROM_SYN) || o->tcp_seq != s->syn_seq;
	return 0;	/* a retransmitted SYN during the handshake */
}

static void
tcp_update(struct sess *s, const struct sess_obs *o, int dir)
{
	uint8_t f = o->tcp_flags;

	if (f & SESS_TCP_SYN) {
		if ((f & SESS_TCP_ACK) && dir == 1)
			s->flags |= SF_SYNACK;
	} else if (!(f & SESS_TCP_RST) && (f & SESS_TCP_ACK) && dir == 0 &&
	    (s->flags & SF_SYNACK))
		s->flags |= SF_EST;
	if (o->bytes > 0 && !(f & SESS_TCP_RST))
		s->flags |= SF_EST;
	if (f & SESS_TCP_FIN) {
		s->flags |= dir == 0 ? SF_FIN_CLI : SF_FIN_SRV;
		if ((s->flags & (SF_FIN_CLI | SF_FIN_SRV)) ==
		    (SF_FIN_CLI | SF_FIN_SRV))
			s->reason = SESS_CLOSE_FIN;
	}
	if (f & SESS_TCP_RST) {
		s->flags |= SF_RST;
		s->reason = SESS_CLOSE_RST;
	}
}

static uint8_t
tcp_class(const struct sess *s)
{
	if (s->reason != SESS_CLOSE_NONE)
		return CLS_TCP_CLOSING;
	if ((s->flags & SF_FROM_SYN) && !(s->flags & SF_EST))
		return CLS_TCP_SYN;
	return CLS_TCP_OPEN;
}

static void
observe_hashed(struct sess_table *t, const struct sess_obs *o, uint32_t h)
{
	uint32_t i;
	struct sess *s;
	uint64_t old_last;
	uint8_t cls;
	int dir = 0;

	if (o->ts_ns > t->now)
		t->now = o->ts_ns;
	if (t->now >= t->next_sweep)
		sess_table_expire(t, t->now);

	i = lookup(t, o, h, &dir);
	if (i != NIL) {
		s = S(t, i);
		if (o->ts_ns > s->last_ns &&
		    o->ts_ns - s->last_ns >= t->timeout[s->cls]) {
			close_sess(t, i, natural_reason(s));
			i = NIL;
		} else if (o->proto == 6 && (o->tcp_flags &
		    (SESS_TCP_SYN | SESS_TCP_ACK)) == SESS_TCP_SYN &&
		    is_new_connection(s, o, dir)) {
			if (s->cls == CLS_TCP_CLOSING)
				t->st.port_reuse++;
			close_sess(t, i, natural_reason(s));
			i = NIL;
		}
	}
	/* A packet of a connection already over belongs to it, unless it is
	 * a client SYN: that opens a new one (the ports reused). */
	if (i == NIL && o->proto == 6 && (o->tcp_flags &
	    (SESS_TCP_SYN | SESS_TCP_ACK)) != SESS_TCP_SYN &&
	    ((t->tw != NULL && tw_late(t, o)) ||
	    (t->held.n > 0 && held_late(t, o, h))))
		return;
	if (i == NIL)
		i = create(t, o, h, -1, &dir);
	s = S(t, i);
	s->aflags |= AF_DIRTY;
	s->seen[dir] |= o->tcp_flags;

	cnt_add(s, dir, o->packets, o->bytes, o->wire_bytes, 0);
	old_last = s->last_ns;
	if (o->ts_ns > s->last_ns)
		s->last_ns = o->ts_ns;
	if (o->ts_ns < s->first_ns)
		s->first_ns = o->ts_ns;
	if (s->proto != 6)
		cls = CLS_UDP;
	else {
		tcp_update(s, o, dir);
		cls = tcp_class(s);
	}
	if (cls != s->cls) {
		list_unlink(t, i);
		s->cls = cls;
		list_append(t, i);
	} else if (cls == CLS_TCP_CLOSING || (s->last_ns >> TICK_SHIFT) !=
	    (old_last >> TICK_SHIFT)) {
		/* Closing sessions see few packets and a short linger: keep
		 * their list exact, so they leave on time. */
		list_unlink(t, i);
		list_append(t, i);
	}
}

void
sess_table_observe(struct sess_table *t, const struct sess_obs *o)
{
	observe_hashed(t, o, obs_hash(t, o));
}

/*
 * A software pipeline over the batch: while observation i is applied,
 * the entry of observation i + ENTRY_AHEAD and the index slot of
 * observation i + SLOT_AHEAD are being fetched, so the cache misses of a
 * table far larger than the caches overlap instead of queueing. The
 * prefetches are only hints: each observation is looked up again when
 * applied, so sessions created or closed within the batch are handled
 * exactly as by sess_table_observe.
 */
#ifndef SLOT_AHEAD
#define SLOT_AHEAD	16
#endif
#ifndef ENTRY_AHEAD
#define ENTRY_AHEAD	8
#endif

static inline void
prefetch_entry(const struct sess_table *t, uint32_t h)
{
	uint32_t mask = t->nslots - 1, pos = h & mask, j, e;

	for (j = 0; j < 4; j++, pos = (pos + 1) & mask) {
		if ((e = t->slots[pos].idx) == NIL)
			return;
		if (t->slots[pos].hash == h) {
			const char *p = (const char *)S(t, e);

			__builtin_prefetch(p);
			__builtin_prefetch(p + 64);
			if (((uintptr_t)p & 63) > 128 - sizeof(struct sess))
				__builtin_prefetch(p + sizeof(struct sess) - 1);
			return;
		}
	}
}

void
sess_table_observe_batch(struct sess_table *t, const struct sess_obs *o,
    size_t n)
{
	uint32_t h[SESS_TABLE_BATCH];
	size_t i, k, m;

	for (k = 0; k < n; k += m) {
		m = n - k < SESS_TABLE_BATCH ? n - k : SESS_TABLE_BATCH;
		for (i = 0; i < m; i++)
			h[i] = obs_hash(t, &o[k + i]);
		sess_table_observe_batch_hashed(t, o + k, h, m);
	}
}

void
sess_table_observe_batch_hashed(struct sess_table *t,
    const struct sess_obs *o, const uint32_t *h, size_t m)
{
	size_t i;

	for (i = 0; i < m && i < SLOT_AHEAD; i++)
		__builtin_prefetch(&t->slots[h[i] & (t->nslots - 1)]);
	for (i = 0; i < m && i < ENTRY_AHEAD; i++)
		prefetch_entry(t, h[i]);
	for (i = 0; i < m; i++) {
		if (i + SLOT_AHEAD < m)
			__builtin_prefetch(&t->slots[h[i + SLOT_AHEAD] &
			    (t->nslots - 1)]);
		if (i + ENTRY_AHEAD < m)
			prefetch_entry(t, h[i + ENTRY_AHEAD]);
		observe_hashed(t, &o[i], h[i]);
	}
}

void
sess_table_set_agent_name(struct sess_table *t, uint16_t agent,
    const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (t->agent_hash == NULL)
		t->agent_hash = xcalloc(UINT16_MAX + 1, sizeof(uint64_t));
	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	t->agent_hash[agent] = mix64(h);
	/* An index given to another agent: its time starts again. */
	if (t->agent_now != NULL)
		t->agent_now[agent] = 0;
}

static void
event_obs(const struct sess_event *ev, struct sess_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->ts_ns = ev->last_ns;
	o->af = ev->af;
	o->proto = ev->proto;
	o->agent = ev->agent;
	o->sport = ev->cli_port;
	o->dport = ev->srv_port;
	memcpy(o->src, ev->cli, 16);
	memcpy(o->dst, ev->srv, 16);
}

uint32_t
sess_table_agent_sessions(const struct sess_table *t, uint16_t agent)
{
	return t->agent_n != NULL ? t->agent_n[agent] : 0;
}

int
sess_table_apply(struct sess_table *t, const struct sess_event *ev)
{
	struct sess_obs o;
	struct sess *s;
	uint32_t h, i;
	uint64_t old_last;
	int dir = 0, k;

	event_obs(ev, &o);
	h = obs_hash(t, &o);
	if (ev->last_ns > t->now)
		t->now = ev->last_ns;
	/* With agents' clocks, sess_table_agent_clock sweeps. */
	if (t->agent_now == NULL && t->now >= t->next_sweep)
		sess_table_expire(t, t->now);
	i = lookup(t, &o, h, &dir);
	if (i != NIL && S(t, i)->first_ns != ev->start_ns) {
		if (ev->no_create)
			return 0;
		/* Another session on these ports: the old one's close was
		 * never heard of. */
		close_sess(t, i, SESS_CLOSE_IDLE);
		i = NIL;
	}
	if (i == NIL && ev->no_create)
		return 0;
	if (i == NIL && t->agent_n != NULL &&
	    t->agent_n[ev->agent] >= t->cfg.agent_max_sessions) {
		t->st.share_refused++;
		return -EDQUOT;
	}
	if (i == NIL) {
		i = create(t, &o, h, 0, &dir);
		S(t, i)->first_ns = ev->start_ns;
	}
	s = S(t, i);
	/* An agent's numbers: a sum saturates rather than wrap. */
	for (k = 0; k < 2; k++) {
		int d = dir ^ k;

		cnt_add(s, d, ev->packets[k], ev->bytes[k], ev->wire_bytes[k],
		    1);
		s->seen[d] |= ev->tcp_flags[k];
	}
	s->aflags |= AF_DIRTY;
	if (ev->enr != NULL && !sess_enr_equal(ev->enr, enr_get(t, s->enr))) {
		enr_put(t, i, enr_intern(t, ev->enr));
		s->aflags |= AF_ENR_NEW;
	}
	old_last = s->last_ns;
	if (ev->last_ns > s->last_ns)
		s->last_ns = ev->last_ns;
	if (ev->close) {
		close_sess_status(t, i, ev->reason, ev->status);
		return 1;
	}
	if ((s->last_ns >> TICK_SHIFT) != (old_last >> TICK_SHIFT)) {
		list_unlink(t, i);
		list_append(t, i);
	}
	return 1;
}

void
sess_table_agent_clock(struct sess_table *t, uint16_t agent, uint64_t now_ns)
{
	if (t->agent_now == NULL)
		return;
	if (now_ns > t->agent_now[agent])
		t->agent_now[agent] = now_ns;
	if (now_ns > t->now)
		t->now = now_ns;
	expire_agent(t, agent);
}

uint64_t
sess_table_clock(const struct sess_table *t)
{
	return t->now;
}

void
sess_table_drain(struct sess_table *t, sess_table_drain_cb cb, void *arg,
    int reset)
{
	struct sess_rec r;
	uint32_t i;

	for (i = 0; i < t->nalloc; i++) {
		struct sess *s = S(t, i);

		if (s->cls >= CLS_MAX || !(s->aflags & AF_DIRTY))
			continue;
		make_rec(t, i, SESS_CLOSE_NONE, &r);
		r.status = SESS_ACTIVE;
		cb(arg, &r, !(s->aflags & AF_OPENED), s->seen);
		s->aflags = (uint8_t)((s->aflags & ~(AF_DIRTY | AF_ENR_NEW)) |
		    AF_OPENED);
		if (reset) {
			cnt_release(s);
			s->seen[0] = s->seen[1] = 0;
		}
	}
}

void
sess_table_foreach(const struct sess_table *t,
    void (*cb)(void *arg, const struct sess_rec *), void *arg)
{
	struct sess_rec r;
	uint32_t i;

	for (i = 0; i < t->nalloc; i++) {
		const struct sess *s = S(t, i);

		if (s->cls >= CLS_MAX)
			continue;
		make_rec(t, i, SESS_CLOSE_NONE, &r);
		r.status = SESS_ACTIVE;
		cb(arg, &r);
	}
}

void
sess_table_close_agent(struct sess_table *t, uint16_t agent,
    enum sess_close reason)
{
	uint32_t i;

	/* close_sess frees entries but never reuses one: the walk is safe. */
	for (i = 0; i < t->nalloc; i++) {
		struct sess *s = S(t, i);

		if (s->cls < CLS_MAX && s->agent == agent)
			close_sess(t, i, reason);
	}
	/* Nothing of it is left to idle out: a new boot's time, earlier
	 * perhaps (another capture), starts again. */
	if (t->agent_now != NULL)
		t->agent_now[agent] = 0;
}

int
sess_table_restore(struct sess_table *t, const struct sess_rec *r)
{
	struct sess_event ev;
	struct sess_obs o;
	struct sess *s;
	uint32_t h, i;
	int dir, k;

	memset(&ev, 0, sizeof(ev));
	ev.agent = r->agent;
	ev.af = r->af;
	ev.proto = r->proto;
	memcpy(ev.cli, r->cli, 16);
	memcpy(ev.srv, r->srv, 16);
	ev.cli_port = r->cli_port;
	ev.srv_port = r->srv_port;
	ev.last_ns = r->end_ns;
	event_obs(&ev, &o);
	h = obs_hash(t, &o);
	if (lookup(t, &o, h, &dir) != NIL)
		return -EEXIST;
	i = create(t, &o, h, 0, &dir);
	s = S(t, i);
	s->first_ns = r->start_ns;
	s->last_ns = r->end_ns;
	for (k = 0; k < 2; k++)
		cnt_add(s, k, r->packets[k], r->bytes[k], r->wire_bytes[k], 0);
	s->aflags |= AF_OPENED;
	if (r->enr != NULL)
		enr_put(t, i, enr_intern(t, r->enr));
	if (r->end_ns > t->now)
		t->now = r->end_ns;
	return 0;
}

int
sess_table_enrich(struct sess_table *t, const struct sess_obs *key,
    struct sess_enr *e)
{
	int rc = sess_table_enrich_copy(t, key, e);

	free(e);
	return rc;
}

int
sess_table_enrich_copy(struct sess_table *t, const struct sess_obs *key,
    const struct sess_enr *e)
{
	uint32_t i;
	int dir;

	i = lookup(t, key, obs_hash(t, key), &dir);
	if (i == NIL || (key->ts_ns != 0 && S(t, i)->first_ns != key->ts_ns))
		return -ENOENT;
	if (sess_enr_equal(e, enr_get(t, S(t, i)->enr)))
		return 0;
	enr_put(t, i, e != NULL ? enr_intern(t, e) : 0);
	S(t, i)->aflags |= AF_DIRTY | AF_ENR_NEW;
	return 0;
}

/*
 * The shared blocks (struct enr_pool). A block's hash covers all its
 * bytes (blocks are made with their padding zeroed, as sess_enr_equal
 * assumes).
 */
static inline struct enr_box *
enr_box(const struct sess_enr *e)
{
	return (struct enr_box *)(void *)((char *)(uintptr_t)e -
	    sizeof(struct enr_box));
}

static uint32_t
enr_hash(const struct sess_enr *e)
{
	const unsigned char *p = (const unsigned char *)e;
	size_t n = sess_enr_size(e), k;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (k = 0; k + 8 <= n; k += 8) {
		memcpy(&w, p + k, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	for (; k < n; k++)
		h = (h ^ p[k]) * 0x100000001b3ULL;
	return (uint32_t)(mix64(h) >> 32);
}

/* The block of id, or NULL for 0. */
static const struct sess_enr *
enr_get(const struct sess_table *t, uint32_t id)
{
	return id != 0 ? t->pool.blk[id] : NULL;
}

static void
pool_grow(struct enr_pool *p)
{
	uint32_t *old = p->slot;
	uint32_t oldn = old == NULL ? 0 : p->mask + 1, n, i, q;

	n = old == NULL ? 256 : 2 * oldn;
	p->slot = xcalloc(n, sizeof(*p->slot));
	p->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i] == 0)
			continue;
		for (q = enr_box(p->blk[old[i]])->hash & p->mask;
		    p->slot[q] != 0; q = (q + 1) & p->mask)
			;
		p->slot[q] = old[i];
	}
	free(old);
}

/* The id of a reference to the shared block saying what e says (e
 * borrowed). */
static uint32_t
enr_intern(struct sess_table *t, const struct sess_enr *e)
{
	struct enr_pool *p = &t->pool;
	struct enr_box *b;
	struct sess_enr *d;
	uint32_t h = enr_hash(e), q, id;
	size_t sz = sess_enr_size(e);

	if (p->slot == NULL || 2 * (p->n + 1) > p->mask + 1)
		pool_grow(p);
	for (q = h & p->mask; (id = p->slot[q]) != 0; q = (q + 1) & p->mask) {
		b = enr_box(p->blk[id]);
		if (b->hash == h && sess_enr_equal(p->blk[id], e)) {
			b->refs++;
			return id;
		}
	}
	if (p->nfree > 0)
		id = p->free_ids[--p->nfree];
	else {
		if (p->nblk == 0)
			p->nblk = 1;	/* id 0 is none */
		if (p->nblk >= p->cap) {
			p->cap = p->cap ? 2 * p->cap : 256;
			p->blk = xreallocarray(p->blk, p->cap,
			    sizeof(*p->blk));
			p->free_ids = xreallocarray(p->free_ids, p->cap,
			    sizeof(*p->free_ids));
		}
		id = p->nblk++;
	}
	b = xmalloc(sizeof(*b) + sz);
	b->refs = 1;
	b->hash = h;
	d = (struct sess_enr *)(void *)(b + 1);
	memcpy(d, e, sz);
	p->blk[id] = d;
	p->slot[q] = id;
	p->n++;
	return id;
}

/* Drops a reference; the last one frees the block (backward shift). */
static void
enr_unref(struct sess_table *t, uint32_t id)
{
	struct enr_pool *p = &t->pool;
	struct enr_box *b = enr_box(p->blk[id]);
	uint32_t q, r, home;

	if (--b->refs > 0)
		return;
	for (q = b->hash & p->mask; p->slot[q] != id; q = (q + 1) & p->mask)
		;
	for (r = (q + 1) & p->mask; p->slot[r] != 0; r = (r + 1) & p->mask) {
		home = enr_box(p->blk[p->slot[r]])->hash & p->mask;
		/* Move r back to q unless its home lies in (q, r]. */
		if (((r - home) & p->mask) >= ((r - q) & p->mask)) {
			p->slot[q] = p->slot[r];
			q = r;
		}
	}
	p->slot[q] = 0;
	p->n--;
	p->blk[id] = NULL;
	p->free_ids[p->nfree++] = id;
	free(b);
}

/* Sets (takes the reference id; 0: none) the block of entry idx. */
static void
enr_put(struct sess_table *t, uint32_t idx, uint32_t id)
{
	struct sess *s = S(t, idx);

	if (s->enr != 0)
		enr_unref(t, s->enr);
	s->enr = id;
}

/* Every entry lets its block go (the entries are going). */
static void
enr_clear(struct sess_table *t)
{
	uint32_t i;

	if (t->pool.n == 0)
		return;
	for (i = 0; i < t->nalloc; i++) {
		struct sess *s = S(t, i);

		if (s->enr != 0) {
			enr_unref(t, s->enr);
			s->enr = 0;
		}
	}
}

/*
 * TIME_WAIT. A TCP session closed by FIN or RST is remembered by its id
 * hash (oriented, so the packet's direction is known by which orientation
 * matches) for tcp_time_wait_ns after its close; a late packet is sent
 * to the aggregator as an amendment (on_amend).
 */
static int
tw_late(struct sess_table *t, const struct sess_obs *o)
{
	struct sess_tw_ent *e;
	struct sess_rec r;
	int dir = 0;

	e = sess_tw_find(t->tw, sess_id_hash(t, o->src, o->sport, o->dst,
	    o->dport, o->proto, o->agent));
	if (e == NULL) {
		dir = 1;
		e = sess_tw_find(t->tw, sess_id_hash(t, o->dst, o->dport,
		    o->src, o->sport, o->proto, o->agent));
		if (e == NULL)
			return 0;
	}
	t->st.late_packets++;
	/* Amendments are told apart by time: never twice the same. */
	e->amend_ns = o->ts_ns > e->amend_ns ? o->ts_ns : e->amend_ns + 1;
	if (t->on_amend != NULL) {
		memset(&r, 0, sizeof(r));
		r.key_hash = e->key;
		r.start_ns = e->start_ns;
		r.end_ns = e->end_ns;
		r.amend_ns = e->amend_ns;
		r.agent = o->agent;
		r.af = o->af;
		r.proto = o->proto;
		memcpy(r.cli, dir == 0 ? o->src : o->dst, 16);
		memcpy(r.srv, dir == 0 ? o->dst : o->src, 16);
		r.cli_port = dir == 0 ? o->sport : o->dport;
		r.srv_port = dir == 0 ? o->dport : o->sport;
		r.status = SESS_CLOSED;
		r.reported = 1;
		r.packets[dir] = o->packets;
		r.bytes[dir] = o->bytes;
		r.wire_bytes[dir] = o->wire_bytes;
		t->on_amend(t->amend_arg, &r);
	}
	return 1;
}

/* The index hash of held entry i (also its bucket's). */
static uint32_t
held_hash(const struct sess_table *t, uint32_t i)
{
	const struct sess *s = S(t, i);
	uint8_t cli[16], srv[16];

	addr_get(t, s, cli, srv);
	return sess_table_flow_hash(t->seed, s->af, s->proto, s->agent, cli,
	    s->cli_port, srv, s->srv_port);
}

/* Twice the buckets, the queue walked oldest first so that each chain
 * is newest first again. */
static void
held_grow(struct sess_table *t)
{
	struct held_q *q = &t->held;
	uint32_t n = q->bucket == NULL ? 1024 : 2 * (q->mask + 1), i, *b;

	free(q->bucket);
	q->bucket = xreallocarray(NULL, n, sizeof(*q->bucket));
	memset(q->bucket, 0xff, (size_t)n * sizeof(*q->bucket));
	q->mask = n - 1;
	for (i = q->head; i != NIL; i = S(t, i)->next) {
		b = &q->bucket[held_hash(t, i) & q->mask];
		S(t, i)->prev = *b;
		*b = i;
	}
}

/* Entry i, just closed (r) and out of the index, joins the queue. */
static void
held_add(struct sess_table *t, uint32_t i, uint32_t h,
    const struct sess_rec *r)
{
	struct held_q *q = &t->held;
	struct sess *s;
	uint32_t *b;

	if (q->n == q->cap) {
		q->evicted++;
		held_pop(t);
	}
	if (q->bucket == NULL || (q->n >= q->mask + 1 &&
	    q->mask + 1 < q->cap))
		held_grow(t);
	s = S(t, i);
	s->cls = CLS_HELD;
	s->flags = (uint8_t)r->status;
	s->reason = (uint8_t)r->reason;
	s->closed_ns = t->now;
	s->next = NIL;
	if (q->tail != NIL)
		S(t, q->tail)->next = i;
	else
		q->head = i;
	q->tail = i;
	b = &q->bucket[h & q->mask];
	s->prev = *b;
	*b = i;
	q->n++;
}

/* Held entry i, out of the queue, is reported (unless the table is
 * quiet) and lets its enrichment block and wide counters go. */
static void
held_report(struct sess_table *t, uint32_t i)
{
	struct sess *s = S(t, i);
	struct sess_rec r;

	if (!t->quiet) {
		make_rec(t, i, (enum sess_close)s->reason, &r);
		r.status = (enum sess_status)s->flags;
		t->on_close(t->arg, &r);
	}
	enr_put(t, i, 0);
	cnt_release(s);
	s->cls = CLS_FREE;
}

/* The oldest held session leaves: reported (unless the table is going),
 * then its entry is free. */
static void
held_pop(struct sess_table *t)
{
	struct held_q *q = &t->held;
	uint32_t i = q->head, *p;
	struct sess *s = S(t, i);

	p = &q->bucket[held_hash(t, i) & q->mask];
	while (*p != i)
		p = &S(t, *p)->prev;
	*p = s->prev;
	q->head = s->next;
	if (q->head == NIL)
		q->tail = NIL;
	q->n--;
	held_report(t, i);
	addr_release(t, s);
	s->next = t->free_head;
	t->free_head = i;
}

/*
 * The table is going: every held session leaves, oldest first, without
 * the upkeep of chains, free list and address pool that held_pop does
 * one at a time (all are reset next). The next entry is fetched while
 * this one is reported: the queue runs through entries at random.
 */
static void
held_drain(struct sess_table *t)
{
	struct held_q *q = &t->held;
	struct sess *s;
	uint32_t i, next;

	/* By count: head means nothing in an empty queue. */
	for (i = q->head; q->n > 0; q->n--, i = next) {
		s = S(t, i);
		next = s->next;
		if (q->n > 1)
			__builtin_prefetch(S(t, next));
		held_report(t, i);
		s->aflags &= ~AF_ADDR6;	/* the pool is reset next */
	}
	q->head = q->tail = NIL;
	if (q->bucket != NULL)
		memset(q->bucket, 0xff, (size_t)(q->mask + 1) *
		    sizeof(*q->bucket));
}

/* Held sessions closed tcp_time_wait or more before now leave. */
static void
held_expire(struct sess_table *t)
{
	struct held_q *q = &t->held;

	while (q->n > 0 && S(t, q->head)->closed_ns + q->ttl <= t->now)
		held_pop(t);
}

/* Counts o (index hash h) in the held session it belongs to, the newest
 * with its tuple; 0 if there is none. */
static int
held_late(struct sess_table *t, const struct sess_obs *o, uint32_t h)
{
	struct sess *s;
	uint32_t i;
	int dir;

	for (i = t->held.bucket[h & t->held.mask]; i != NIL; i = s->prev) {
		s = S(t, i);
		if ((dir = obs_dir(t, s, o)) < 0)
			continue;
		t->st.late_packets++;
		cnt_add(s, dir, o->packets, o->bytes, o->wire_bytes, 0);
		return 1;
	}
	return 0;
}
