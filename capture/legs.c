/*
 * legs: the linker of a proxy's client and upstream legs. Client SYNs go
 * into a ring (oldest overwritten) found through an open-addressing index
 * by their tuple; a client leg whose proxy request was read takes a
 * record from a fixed pool until the proxy answers and the link is
 * decided. Candidates are looked up by walking the ring back from its
 * newest SYN to the request's time, so the cost of a decision is the
 * number of SYNs in its window. The index keeps each SYN's hash beside
 * its position and is at most a quarter full, so a lookup reads one or
 * two slots and touches the ring only for the SYN it finds. DNS answers
 * the host received (legs_dns.c) tell a name target's candidates apart.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "l7_dns.h"
#include "legs.h"
#include "legs_dns.h"

#define NIL	UINT32_MAX

enum host_state {
	HOST_UNKNOWN = 0,	/* no SNI or Host read yet */
	HOST_KNOWN,		/* name holds its hash */
	HOST_NONE,		/* enrichment ended without one */
};

/* One client SYN. */
struct syn {
	uint8_t		cli[16], srv[16];
	uint16_t	cport, sport;
	uint8_t		af;
	uint8_t		live;		/* in the index */
	uint8_t		host;		/* enum host_state */
	uint8_t		leg;		/* enum sess_leg, once linked */
	uint8_t		decided;	/* its link was decided (made or not) */
	uint8_t		paf;		/* the other leg's family */
	uint32_t	h;		/* tuple hash */
	uint32_t	isn;
	uint32_t	pend;		/* its pending client leg, or NIL */
	uint64_t	syn_ns;
	uint64_t	name;		/* hash of its SNI or Host name */
	/* The other leg, once linked. */
	uint8_t		pcli[16], psrv[16];
	uint16_t	pcport, psport;
	uint64_t	pstart;
};

enum pend_state {
	P_FREE = 0,
	P_REQ,		/* request read: waiting for the proxy's answer */
	P_WAIT,		/* granted: waiting for candidates' names */
};

/* A client leg whose request was read. */
struct pend {
	uint32_t	syn;		/* ring position of its SYN */
	uint32_t	next;		/* free list */
	uint8_t		state;		/* enum pend_state */
	uint8_t		kind;		/* enum l7_kind */
	uint8_t		tgt_af;		/* 4 or 6: an address; 0: a name */
	uint8_t		bnd_af;		/* 4 or 6: the reply named one */
	uint16_t	tgt_port, bnd_port;
	uint8_t		tgt_addr[16], bnd_addr[16];
	uint64_t	name;		/* hash of the requested name */
	uint64_t	req_ns, reply_ns;
	char		user[SESS_ENR_STR_MAX + 1];
	char		target[SESS_ENR_STR_MAX + 1];
	char		origin[SESS_ENR_ORIGIN_MAX + 1];
};

/* An index slot: a SYN's tuple hash and ring position (NIL empty). */
struct lslot {
	uint32_t	h;
	uint32_t	i;
};

struct legs {
	struct legs_cfg	 cfg;
	legs_cb		 cb;
	void		*arg;
	struct syn	*ring;
	uint32_t	 head;		/* next position written */
	uint32_t	 count;		/* positions written, at most cfg.syns */
	struct lslot	*slots;
	uint32_t	 mask;
	struct pend	*pool;
	uint32_t	 free_head;
	uint32_t	 nwait;		/* pool entries in P_WAIT */
	struct legs_dns	*dns;		/* recent DNS answers, or NULL */
	struct legs_stats st;
};

static const char *const rule_names[LEGS_RULE_MAX] = {
	"bnd", "window", "name", "dns",
};

const char *
legs_rule_name(enum legs_rule r)
{
	return (unsigned)r < LEGS_RULE_MAX ? rule_names[r] : "unknown";
}

struct legs *
legs_create(const struct legs_cfg *cfg, legs_cb cb, void *arg)
{
	struct legs *l;
	uint32_t n = 16, i;

	if (cfg->syns == 0 || cfg->syns > (1u << 24) || cfg->pending == 0 ||
	    cfg->pending > (1u << 20) || cfg->window_ns == 0 ||
	    cfg->dns > (1u << 24))
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->cfg = *cfg;
	l->cb = cb;
	l->arg = arg;
	l->ring = xcalloc(cfg->syns, sizeof(*l->ring));
	while (n < 4 * cfg->syns)
		n <<= 1;
	l->slots = xreallocarray(NULL, n, sizeof(*l->slots));
	memset(l->slots, 0xff, (size_t)n * sizeof(*l->slots));
	l->mask = n - 1;
	l->pool = xcalloc(cfg->pending, sizeof(*l->pool));
	for (i = 0; i < cfg->pending; i++)
		l->pool[i].next = i + 1 < cfg->pending ? i + 1 : NIL;
	if (cfg->dns > 0)
		l->dns = legs_dns_create(cfg->dns);
	return l;
}

void
legs_destroy(struct legs *l)
{
	if (l == NULL)
		return;
	free(l->ring);
	free(l->slots);
	free(l->pool);
	legs_dns_destroy(l->dns);
	free(l);
}

void
legs_get_stats(const struct legs *l, struct legs_stats *out)
{
	*out = l->st;
}

static uint32_t
tuple_hash(uint8_t af, const uint8_t *cli, uint16_t cport,
    const uint8_t *srv, uint16_t sport)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ af;
	size_t i, n = af == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ cli[i] ^ ((uint64_t)srv[i] << 8)) * 0x100000001b3ULL;
	h = (h ^ cport ^ ((uint64_t)sport << 16)) * 0x100000001b3ULL;
	/* FNV's low bits mix poorly and they pick the slot: finish. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)(h >> 32);
}

static uint32_t
find(const struct legs *l, uint8_t af, const uint8_t *cli, uint16_t cport,
    const uint8_t *srv, uint16_t sport)
{
	uint32_t h = tuple_hash(af, cli, cport, srv, sport), pos, i;

	for (pos = h & l->mask; (i = l->slots[pos].i) != NIL;
	    pos = (pos + 1) & l->mask) {
		const struct syn *s = &l->ring[i];

		if (l->slots[pos].h == h && s->af == af && s->cport == cport &&
		    s->sport == sport && memcmp(s->cli, cli, 16) == 0 &&
		    memcmp(s->srv, srv, 16) == 0)
			return i;
	}
	return NIL;
}

/* Takes ring position i out of the index (backward-shift deletion). */
static void
unindex(struct legs *l, uint32_t i)
{
	uint32_t pos, q, home;

	for (pos = l->ring[i].h & l->mask; l->slots[pos].i != i;
	    pos = (pos + 1) & l->mask)
		;
	for (q = (pos + 1) & l->mask; l->slots[q].i != NIL;
	    q = (q + 1) & l->mask) {
		home = l->slots[q].h & l->mask;
		if (((q - home) & l->mask) >= ((q - pos) & l->mask)) {
			l->slots[pos] = l->slots[q];
			pos = q;
		}
	}
	l->slots[pos].i = NIL;
	l->ring[i].live = 0;
}

static void
pend_free(struct legs *l, uint32_t k)
{
	struct pend *p = &l->pool[k];

	if (p->state == P_WAIT)
		l->nwait--;
	if (l->ring[p->syn].pend == k)
		l->ring[p->syn].pend = NIL;
	p->state = P_FREE;
	p->next = l->free_head;
	l->free_head = k;
}

/* Ring position i leaves (overwritten, or its ports reused). */
static void
forget(struct legs *l, uint32_t i)
{
	struct syn *s = &l->ring[i];

	if (s->live)
		unindex(l, i);
	if (s->pend != NIL) {
		pend_free(l, s->pend);
		l->st.dropped++;
	}
}

void
legs_syn(struct legs *l, const struct cap_pkt *p)
{
	struct syn *s;
	uint32_t i, pos;

	i = find(l, p->af, p->src, p->sport, p->dst, p->dport);
	if (i != NIL) {
		if (l->ring[i].isn == p->tcp_seq)
			return;		/* a retransmitted SYN */
		forget(l, i);		/* the ports are reused */
	}
	i = l->head;
	if (l->count == l->cfg.syns)
		forget(l, i);
	else
		l->count++;
	l->head = i + 1 < l->cfg.syns ? i + 1 : 0;
	s = &l->ring[i];
	memset(s, 0, sizeof(*s));
	memcpy(s->cli, p->src, 16);
	memcpy(s->srv, p->dst, 16);
	s->cport = p->sport;
	s->sport = p->dport;
	s->af = p->af;
	s->isn = p->tcp_seq;
	s->syn_ns = p->ts_ns;
	s->pend = NIL;
	s->h = tuple_hash(s->af, s->cli, s->cport, s->srv, s->sport);
	for (pos = s->h & l->mask; l->slots[pos].i != NIL;
	    pos = (pos + 1) & l->mask)
		;
	l->slots[pos].h = s->h;
	l->slots[pos].i = i;
	s->live = 1;
}

/* Hash of a host name: case-insensitive, without a trailing dot. */
static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	if (n > 0 && s[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		h = (h ^ ch) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * Splits "host:port" or "[v6]:port" (l7__host_port's form) into the host
 * (without brackets) and the port. 0, or -1 if it has no numeric port.
 */
static int
split_target(const char *t, const char **host, size_t *hlen, uint16_t *port)
{
	const char *colon = strrchr(t, ':'), *d;
	uint32_t v = 0;

	if (colon == NULL || colon[1] == '\0')
		return -1;
	for (d = colon + 1; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || (v = v * 10 + (uint32_t)(*d - '0')) >
		    65535)
			return -1;
	}
	*port = (uint16_t)v;
	*host = t;
	*hlen = (size_t)(colon - t);
	if (*hlen >= 2 && t[0] == '[' && t[*hlen - 1] == ']') {
		(*host)++;
		*hlen -= 2;
	}
	return *hlen > 0 ? 0 : -1;
}

/* The name an HTTP Host header gives (without its port). */
static size_t
host_name(const char *h, const char **out)
{
	const char *colon = strrchr(h, ':'), *end;

	*out = h;
	if (h[0] == '[') {
		end = strchr(h, ']');
		*out = h + 1;
		return end != NULL ? (size_t)(end - h - 1) : strlen(h + 1);
	}
	if (colon != NULL && strchr(h, ':') == colon)
		return (size_t)(colon - h);
	return strlen(h);
}

static int
is_loopback(uint8_t af, const uint8_t *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return af == 4 ? a[0] == 127 : memcmp(a, one, 16) == 0;
}

/*
 * May s be the proxy's SYN? From the address the client reached the proxy
 * at, or, when that is a loopback address, from any loopback address: a
 * proxy listening on loopback may reach a name that resolved to the other
 * family's loopback, and loopback packets never leave the host.
 */
static int
from_proxy(const struct syn *c, const struct syn *s)
{
	if (s->af == c->af && memcmp(s->cli, c->srv, 16) == 0)
		return 1;
	return is_loopback(c->af, c->srv) && is_loopback(s->af, s->cli);
}

static void
to_obs(const struct syn *s, struct sess_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->ts_ns = s->syn_ns;
	o->af = s->af;
	o->proto = 6;
	memcpy(o->src, s->cli, 16);
	memcpy(o->dst, s->srv, 16);
	o->sport = s->cport;
	o->dport = s->sport;
}

static void
peer_obs(const struct syn *s, struct sess_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->ts_ns = s->pstart;
	o->af = s->paf;
	o->proto = 6;
	memcpy(o->src, s->pcli, 16);
	memcpy(o->dst, s->psrv, 16);
	o->sport = s->pcport;
	o->dport = s->psport;
}

/* Records in a and b that each is the other's peer. */
static void
set_peer(struct syn *a, const struct syn *b, uint8_t leg)
{
	a->leg = leg;
	a->paf = b->af;
	memcpy(a->pcli, b->cli, 16);
	memcpy(a->psrv, b->srv, 16);
	a->pcport = b->cport;
	a->psport = b->sport;
	a->pstart = b->syn_ns;
}

/*
 * Links pending client leg p to the SYN at ring position u: both records
 * name each other, and the blocks go out: the upstream leg's (the client
 * leg's user, else its [users] label, else its IP; its target) and, unless
 * the client leg is the one answering now (self), the client leg's.
 */
static void
link(struct legs *l, struct pend *p, uint32_t u, enum legs_rule rule,
    uint32_t self)
{
	struct syn *c = &l->ring[p->syn], *s = &l->ring[u];
	struct sess_enr_fields f;
	struct sess_obs ck, sk;
	struct sess_enr *e;
	uint64_t buf[(SESS_ENR_SIZE_MAX + 7) / 8];
	char ip[46];
	const char *user = p->user;

	set_peer(c, s, SESS_LEG_CLIENT);
	set_peer(s, c, SESS_LEG_UPSTREAM);
	l->st.linked[rule]++;
	to_obs(c, &ck);
	to_obs(s, &sk);
	if (user[0] == '\0' && l->cfg.users != NULL)
		user = cidr_table_lookup(l->cfg.users, c->af, c->cli);
	if (user == NULL || user[0] == '\0') {
		sess_json_addr(c->af, c->cli, ip);
		user = ip;
	}
	memset(&f, 0, sizeof(f));
	f.user = user;
	f.target = p->target;
	f.kind = p->kind;
	f.leg = SESS_LEG_UPSTREAM;
	f.peer_start = c->syn_ns;
	if ((e = sess_enr_make(buf, sizeof(buf), &f)) != NULL)
		l->cb(l->arg, &sk, &ck, e);
	if (p->syn == self)
		return;
	memset(&f, 0, sizeof(f));
	f.user = p->user;
	f.target = p->target;
	f.origin = p->origin;
	f.kind = p->kind;
	f.leg = SESS_LEG_CLIENT;
	f.peer_start = s->syn_ns;
	if ((e = sess_enr_make(buf, sizeof(buf), &f)) != NULL)
		l->cb(l->arg, &ck, &sk, e);
}

/*
 * Decides the link of granted client leg k (docs/ENRICHMENT.md, "Two
 * legs"): the candidates are the SYNs between its request and the reply,
 * newest first. With final unset, a name target whose candidates are
 * several, some without a name yet, waits. self: as for link().
 */
static void
decide(struct legs *l, uint32_t k, int final, uint32_t self)
{
	struct pend *p = &l->pool[k];
	const struct syn *c = &l->ring[p->syn];
	uint32_t j, i, cand = 0, match = 0, unknown = 0, dns = 0;
	uint32_t ci = NIL, mi = NIL, di = NIL;
	int complete = l->count < l->cfg.syns;

	for (j = 0; j < l->count; j++) {
		const struct syn *s;

		i = (l->head + l->cfg.syns - 1 - j) % l->cfg.syns;
		s = &l->ring[i];
		if (s->syn_ns < p->req_ns) {
			complete = 1;
			break;
		}
		if (!s->live || i == p->syn || s->leg != 0 ||
		    s->syn_ns > p->reply_ns)
			continue;
		if (p->bnd_af != 0) {
			if (s->af != p->bnd_af || s->cport != p->bnd_port ||
			    memcmp(s->cli, p->bnd_addr, 16) != 0)
				continue;
		} else {
			if (s->sport != p->tgt_port || !from_proxy(c, s))
				continue;
			if (p->tgt_af != 0 && (s->af != p->tgt_af ||
			    memcmp(s->srv, p->tgt_addr, 16) != 0))
				continue;
		}
		cand++;
		ci = i;
		if (s->host == HOST_KNOWN && s->name == p->name) {
			match++;
			mi = i;
		} else if (s->host == HOST_UNKNOWN)
			unknown++;
		/* A name target: was its address an answer for the name,
		 * unless the SYN's own name says another? */
		if (l->dns != NULL && p->tgt_af == 0 && p->bnd_af == 0 &&
		    !(s->host == HOST_KNOWN && s->name != p->name) &&
		    legs_dns_seen(l->dns, p->name, s->af, s->srv, s->af, s->cli,
		    s->syn_ns, l->cfg.window_ns)) {
			dns++;
			di = i;
		}
	}
	if (!complete) {
		/* SYNs of the window were overwritten: cannot tell. */
		l->st.dropped++;
	} else if (cand == 0) {
		l->st.unmatched++;
	} else if (p->bnd_af != 0 || p->tgt_af != 0) {
		if (cand == 1)
			link(l, p, ci, p->bnd_af != 0 ? LEGS_RULE_BND :
			    LEGS_RULE_WINDOW, self);
		else
			l->st.ambiguous++;
	} else if (cand == 1) {
		/* A name, one SYN to its port: that one, unless its own
		 * name says otherwise. */
		if (match == 1)
			link(l, p, ci, LEGS_RULE_NAME, self);
		else if (unknown == 1 || l->ring[ci].host == HOST_NONE)
			link(l, p, ci, LEGS_RULE_WINDOW, self);
		else
			l->st.unmatched++;
	} else if (match == 1 && unknown == 0) {
		link(l, p, mi, LEGS_RULE_NAME, self);
	} else if (dns == 1 && (match == 0 ||
	    l->ring[di].host == HOST_KNOWN)) {
		/* Several, and the names do not settle it (yet): the one
		 * SYN to an address the name resolved to just before (its
		 * own name, if known, is the name: see the loop). */
		link(l, p, di, LEGS_RULE_DNS, self);
	} else if (unknown > 0 && !final) {
		return;		/* several: their names decide */
	} else if (match == 1) {
		link(l, p, mi, LEGS_RULE_NAME, self);
	} else if (match == 0 && dns < 2) {
		l->st.unmatched++;
	} else
		l->st.ambiguous++;
	l->ring[p->syn].decided = 1;
	pend_free(l, k);
}

/* Decides again every granted client leg waiting for names. */
static void
recheck(struct legs *l, uint64_t now, uint32_t self)
{
	uint32_t k;

	for (k = 0; k < l->cfg.pending && l->nwait > 0; k++)
		if (l->pool[k].state == P_WAIT)
			decide(l, k, now >= l->pool[k].reply_ns +
			    l->cfg.window_ns, self);
}

static int
proxy_kind(uint8_t kind)
{
	return kind == L7_SOCKS4 || kind == L7_SOCKS5 ||
	    kind == L7_HTTP_CONNECT || kind == L7_HTTP_PROXY;
}

/* A pending record for the client leg at ring position i, or NIL. */
static uint32_t
pend_new(struct legs *l, uint32_t i, const struct l7_result *r, uint64_t now)
{
	struct pend *p;
	const char *host;
	size_t hlen;
	char tmp[L7_STR_MAX + 1];
	uint32_t k = l->free_head;

	if (k == NIL) {
		l->st.dropped++;
		return NIL;
	}
	p = &l->pool[k];
	l->free_head = p->next;
	memset(p, 0, sizeof(*p));
	p->syn = i;
	p->state = P_REQ;
	p->req_ns = now;
	l->ring[i].pend = k;
	if (r->req_af != 0) {
		p->tgt_af = r->req_af;
		memcpy(p->tgt_addr, r->req_addr, 16);
		p->tgt_port = r->req_port;
	} else if (split_target(r->req_target, &host, &hlen,
	    &p->tgt_port) == 0) {
		memcpy(tmp, host, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET, tmp, p->tgt_addr) == 1)
			p->tgt_af = 4;
		else if (inet_pton(AF_INET6, tmp, p->tgt_addr) == 1)
			p->tgt_af = 6;
		else
			p->name = name_hash(host, hlen);
	} else {
		/* No port to look for: nothing can be linked. */
		l->ring[i].decided = 1;
		pend_free(l, k);
		l->st.unmatched++;
		return NIL;
	}
	return k;
}

static void
copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = s == NULL ? 0 : strnlen(s, cap - 1);

	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

int
legs_answer(struct legs *l, const struct sess_obs *key,
    const struct l7_result *r, struct sess_enr_fields *f,
    struct sess_obs *peer, uint64_t now)
{
	struct syn *s;
	struct pend *p;
	const char *h;
	size_t n;
	uint32_t i, k;

	i = find(l, key->af, key->src, key->sport, key->dst, key->dport);
	if (i == NIL || l->ring[i].syn_ns != key->ts_ns)
		return 0;
	s = &l->ring[i];
	/* A name for the candidates: SNI, else the HTTP Host. */
	if (s->host != HOST_KNOWN && (r->sni[0] != '\0' ||
	    r->host[0] != '\0')) {
		if (r->sni[0] != '\0')
			s->name = name_hash(r->sni, strlen(r->sni));
		else {
			n = host_name(r->host, &h);
			s->name = name_hash(h, n);
		}
		s->host = HOST_KNOWN;
		if (l->nwait > 0)
			recheck(l, now, NIL);
	}
	if (s->leg == 0 && !s->decided && proxy_kind(r->kind) &&
	    r->req_target[0] != '\0') {
		k = s->pend;
		if (r->verdict == L7_V_REJECTED || r->verdict == L7_V_FAILED) {
			if (k != NIL)
				pend_free(l, k);
		} else if (k != NIL || (k = pend_new(l, i, r, now)) != NIL) {
			p = &l->pool[k];
			p->kind = r->kind;
			copy_str(p->user, sizeof(p->user), f->user);
			copy_str(p->target, sizeof(p->target), f->target);
			copy_str(p->origin, sizeof(p->origin), f->origin);
			if (p->state == P_REQ && r->verdict == L7_V_OK) {
				p->state = P_WAIT;
				p->reply_ns = now;
				if (r->bnd_af != 0) {
					p->bnd_af = r->bnd_af;
					memcpy(p->bnd_addr, r->bnd_addr, 16);
					p->bnd_port = r->bnd_port;
				}
				l->nwait++;
				decide(l, k, 0, i);
			}
		}
	}
	if (s->leg == SESS_LEG_UPSTREAM)
		return -1;
	if (s->leg != SESS_LEG_CLIENT)
		return 0;
	f->leg = SESS_LEG_CLIENT;
	f->peer_start = s->pstart;
	peer_obs(s, peer);
	return 1;
}

void
legs_end(struct legs *l, uint8_t af, const uint8_t *cli, uint16_t cport,
    const uint8_t *srv, uint16_t sport, uint64_t now)
{
	struct syn *s;
	uint32_t i;

	if ((i = find(l, af, cli, cport, srv, sport)) == NIL)
		return;
	s = &l->ring[i];
	if (s->host == HOST_UNKNOWN)
		s->host = HOST_NONE;
	if (s->pend != NIL && l->pool[s->pend].state == P_REQ)
		pend_free(l, s->pend);
	if (l->nwait > 0)
		recheck(l, now, NIL);
}

void
legs_expire(struct legs *l, uint64_t now)
{
	if (l->nwait > 0)
		recheck(l, now, NIL);
}

void
legs_resolve(struct legs *l, const struct cap_pkt *p, const uint8_t *l7,
    uint32_t l7_caplen)
{
	struct l7_dns d;
	enum l7_res res;
	uint64_t h;
	uint32_t cap;
	uint8_t i;

	if (l->dns == NULL || l7 == NULL)
		return;
	/* Link-layer padding can follow a short datagram: never read it. */
	cap = l7_caplen < p->payload ? l7_caplen : p->payload;
	res = l7_dns_parse(l7, cap, &d);
	/* A response cut by the snaplen keeps the records before the cut. */
	if ((res != L7_DONE && res != L7_MORE) || d.rcode != 0 ||
	    d.naddr == 0 || d.qname[0] == '\0')
		return;
	h = name_hash(d.qname, strlen(d.qname));
	for (i = 0; i < d.naddr; i++)
		legs_dns_add(l->dns, h, d.addr[i].af, d.addr[i].addr, p->af,
		    p->dst, p->ts_ns);
}
