/*
 * enrich: a bounded table of the TCP connections being read for
 * enrichment, on the capture thread. A connection enters on its client
 * SYN (whose sequence number anchors the client stream; the SYN-ACK
 * anchors the server's) and leaves as soon as the parsers have their
 * answer, cannot get one, or time out; its buffers go with it. Entries
 * sit in one array allocated at start (max_sessions), found through an
 * open-addressing index, and kept on a list in SYN order so that expiry
 * pops the oldest first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "enrich.h"
#include "legs.h"
#include "tcp_stream.h"

#define NIL	UINT32_MAX
#define USED(en, pos)	((en)->used[(pos) / 64] >> ((pos) % 64) & 1)
/* Idle stream buffers kept for reuse, a direction (tcp_stream_pool). */
#define ENRICH_POOL_IDLE	1024

struct conn {
	uint8_t			cli[16], srv[16];
	uint16_t		cli_port, srv_port;
	uint8_t			af;
	uint8_t			srv_base;	/* server stream anchored */
	uint32_t		hash;
	uint32_t		isn;		/* the client's */
	uint32_t		prev, next;	/* SYN order, or free list */
	uint64_t		syn_ns;
	uint64_t		sent;		/* hash of the last answer */
	struct tcp_stream	dir[2];		/* 0 client to server */
};

struct enrich {
	struct enrich_cfg	 cfg;
	enrich_cb		 cb;
	void			*arg;
	struct conn		*conns;
	uint32_t		 free_head;
	uint32_t		 head, tail;	/* SYN order */
	uint32_t		*slots;		/* entry index, NIL empty */
	/* One bit a slot, set when it holds an entry: every TCP packet
	 * asks, and this stays in cache where slots would not. */
	uint64_t		*used;
	uint32_t		 mask;
	struct enrich_stats	 st;
	struct l7_result	 res;		/* scratch */
	/* Idle stream buffers by direction, reused without malloc. */
	struct tcp_stream_pool	 pool[2];
	struct legs		*legs;		/* the leg linker, or NULL */
	legs_cb			 link_cb;
	uint64_t		 now;		/* the packet's time */
};

static const char *const giveup_names[ENRICH_GIVEUP_MAX] = {
	"gap", "budget", "cap_full", "parse_error", "timeout", "ended",
};

static uint32_t	 find(const struct enrich *, const struct cap_pkt *, int *);
static uint32_t	 add(struct enrich *, const struct cap_pkt *);
static void	 release(struct enrich *, uint32_t);
/* Why evaluate is called: bytes came, or the connection is over. */
enum end {
	END_NOT = 0,	/* new bytes; the streams say if they ended */
	END_CLOSED,	/* RST, ports reused, end of the capture */
	END_TIMEOUT,	/* enrich_timeout passed since the SYN */
};

static void	 evaluate(struct enrich *, uint32_t, enum end);
static void	 conclude(struct enrich *, uint32_t, enum l7_res, enum end,
		    int);

const char *
enrich_giveup_name(enum enrich_giveup g)
{
	return (unsigned)g < ENRICH_GIVEUP_MAX ? giveup_names[g] : "unknown";
}

struct enrich *
enrich_create(const struct enrich_cfg *cfg, enrich_cb cb, void *arg)
{
	struct enrich *en;
	uint32_t n = 64, i;	/* at least one word of used bits */

	if (cfg->max_sessions == 0 || cfg->max_sessions > (1u << 24) ||
	    cfg->budget == 0 || cfg->budget > TCP_STREAM_BUDGET_MAX ||
	    cfg->reply_budget == 0 || cfg->reply_budget > TCP_STREAM_BUDGET_MAX)
		return NULL;
	en = xcalloc(1, sizeof(*en));
	en->cfg = *cfg;
	en->cb = cb;
	en->arg = arg;
	en->conns = xcalloc(cfg->max_sessions, sizeof(*en->conns));
	tcp_stream_pool_init(&en->pool[0], cfg->budget,
	    cfg->max_sessions < ENRICH_POOL_IDLE ? cfg->max_sessions :
	    ENRICH_POOL_IDLE);
	tcp_stream_pool_init(&en->pool[1], cfg->reply_budget,
	    cfg->max_sessions < ENRICH_POOL_IDLE ? cfg->max_sessions :
	    ENRICH_POOL_IDLE);
	for (i = 0; i < cfg->max_sessions; i++)
		en->conns[i].next = i + 1 < cfg->max_sessions ? i + 1 : NIL;
	en->free_head = 0;
	en->head = en->tail = NIL;
	while (n < 2 * cfg->max_sessions)
		n <<= 1;
	en->slots = xreallocarray(NULL, n, sizeof(*en->slots));
	memset(en->slots, 0xff, (size_t)n * sizeof(*en->slots));
	en->used = xcalloc(n / 64, sizeof(*en->used));
	en->mask = n - 1;
	return en;
}

void
enrich_destroy(struct enrich *en)
{
	uint32_t i;

	if (en == NULL)
		return;
	for (i = en->head; i != NIL; i = en->conns[i].next) {
		tcp_stream_free(&en->conns[i].dir[0]);
		tcp_stream_free(&en->conns[i].dir[1]);
	}
	tcp_stream_pool_clear(&en->pool[0]);
	tcp_stream_pool_clear(&en->pool[1]);
	legs_destroy(en->legs);
	free(en->conns);
	free(en->slots);
	free(en->used);
	free(en);
}

void
enrich_get_stats(const struct enrich *en, struct enrich_stats *out)
{
	*out = en->st;
	if (en->legs != NULL)
		legs_get_stats(en->legs, &out->legs);
}

int
enrich_set_link(struct enrich *en, legs_cb cb)
{
	struct legs_cfg lc;

	if (en->cfg.link_syns == 0 || en->legs != NULL)
		return 0;
	lc.syns = en->cfg.link_syns;
	lc.pending = en->cfg.link_pending;
	lc.window_ns = en->cfg.link_window_ns;
	lc.dns = en->cfg.link_dns;
	lc.users = en->cfg.users;
	if ((en->legs = legs_create(&lc, cb, en->arg)) == NULL)
		return -EINVAL;
	en->link_cb = cb;
	return 0;
}

static int
same_ep(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	return ap == bp && memcmp(a, b, 16) == 0;
}

/* The entry of p's connection and p's direction (0 from the client). */
static uint32_t
find(const struct enrich *en, const struct cap_pkt *p, int *dir)
{
	uint32_t pos, i;

	pos = p->hash & en->mask;
	if (!USED(en, pos))
		return NIL;	/* most packets: a connection not followed */
	for (; (i = en->slots[pos]) != NIL; pos = (pos + 1) & en->mask) {
		const struct conn *c = &en->conns[i];

		if (c->hash != p->hash || c->af != p->af)
			continue;
		if (same_ep(c->cli, c->cli_port, p->src, p->sport) &&
		    same_ep(c->srv, c->srv_port, p->dst, p->dport)) {
			*dir = 0;
			return i;
		}
		if (same_ep(c->srv, c->srv_port, p->src, p->sport) &&
		    same_ep(c->cli, c->cli_port, p->dst, p->dport)) {
			*dir = 1;
			return i;
		}
	}
	return NIL;
}

/* A new entry for p's SYN, or NIL if max_sessions are buffering. */
static uint32_t
add(struct enrich *en, const struct cap_pkt *p)
{
	struct conn *c;
	uint32_t i = en->free_head, pos;

	if (i == NIL)
		return NIL;
	c = &en->conns[i];
	en->free_head = c->next;
	memset(c, 0, sizeof(*c));
	memcpy(c->cli, p->src, 16);
	memcpy(c->srv, p->dst, 16);
	c->cli_port = p->sport;
	c->srv_port = p->dport;
	c->af = p->af;
	c->hash = p->hash;
	c->isn = p->tcp_seq;
	c->syn_ns = p->ts_ns;
	tcp_stream_init_pool(&c->dir[0], p->tcp_seq + 1, en->cfg.budget,
	    &en->pool[0]);
	tcp_stream_init_pool(&c->dir[1], 0, en->cfg.reply_budget,
	    &en->pool[1]);
	c->prev = en->tail;
	c->next = NIL;
	if (en->tail != NIL)
		en->conns[en->tail].next = i;
	else
		en->head = i;
	en->tail = i;
	for (pos = p->hash & en->mask; en->slots[pos] != NIL;
	    pos = (pos + 1) & en->mask)
		;
	en->slots[pos] = i;
	en->used[pos / 64] |= 1ULL << (pos % 64);
	en->st.tracked++;
	if (++en->st.buffering > en->st.buffering_peak)
		en->st.buffering_peak = en->st.buffering;
	return i;
}

/* Frees entry i and its buffers (backward-shift deletion in the index). */
static void
release(struct enrich *en, uint32_t i)
{
	struct conn *c = &en->conns[i];
	uint32_t pos, q, home;
	int k;

	for (k = 0; k < 2; k++) {
		if (c->dir[k].buf != NULL)
			en->st.buffer_bytes -= c->dir[k].budget;
		tcp_stream_free(&c->dir[k]);
	}
	for (pos = c->hash & en->mask; en->slots[pos] != i;
	    pos = (pos + 1) & en->mask)
		;
	for (q = (pos + 1) & en->mask; en->slots[q] != NIL;
	    q = (q + 1) & en->mask) {
		home = en->conns[en->slots[q]].hash & en->mask;
		if (((q - home) & en->mask) >= ((q - pos) & en->mask)) {
			en->slots[pos] = en->slots[q];
			pos = q;
		}
	}
	en->slots[pos] = NIL;
	en->used[pos / 64] &= ~(1ULL << (pos % 64));
	if (c->prev != NIL)
		en->conns[c->prev].next = c->next;
	else
		en->head = c->next;
	if (c->next != NIL)
		en->conns[c->next].prev = c->prev;
	else
		en->tail = c->prev;
	c->next = en->free_head;
	en->free_head = i;
	en->st.buffering--;
}

static uint64_t
str_hash(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

/* Hands the answer to the callback if it differs from the last one. */
static void
emit(struct enrich *en, struct conn *c, const struct l7_result *r)
{
	struct sess_enr_fields f;
	struct sess_enr *e;
	struct sess_obs key, peer;
	uint64_t buf[(SESS_ENR_SIZE_MAX + 7) / 8];
	uint64_t h;
	int lk = 0;

	memset(&f, 0, sizeof(f));
	f.user = r->user;
	f.target = r->target;
	f.origin = r->origin;
	f.kind = r->kind;
	if (r->verdict == L7_V_REJECTED)
		f.verdict = SESS_REJECTED;
	else if (r->verdict == L7_V_FAILED)
		f.verdict = SESS_FAILED;
	memset(&key, 0, sizeof(key));
	key.ts_ns = c->syn_ns;
	key.af = c->af;
	key.proto = 6;
	memcpy(key.src, c->cli, 16);
	memcpy(key.dst, c->srv, 16);
	key.sport = c->cli_port;
	key.dport = c->srv_port;
	/* A proxy's leg: linked here, or named by its link (legs.c). */
	if (en->legs != NULL &&
	    (lk = legs_answer(en->legs, &key, r, &f, &peer, en->now)) < 0)
		return;
	h = str_hash(str_hash(str_hash(0xcbf29ce484222325ULL, f.user),
	    f.target), f.origin) ^ ((uint64_t)f.verdict << 56) ^
	    ((uint64_t)f.leg << 48) ^ f.peer_start;
	if (h == c->sent)
		return;
	if ((e = sess_enr_make(buf, sizeof(buf), &f)) == NULL)
		return;
	c->sent = h;
	if (lk > 0)
		en->link_cb(en->arg, &key, &peer, e);
	else
		en->cb(en->arg, &key, e);
}

/*
 * Why a connection has no complete answer: a hole or the budget stopped
 * a stream, else the timeout, else it ended first (FIN both ways, RST,
 * ports reused, end of the capture).
 */
static enum enrich_giveup
why_ended(const struct conn *c, enum end end)
{
	if (c->dir[0].state == TCP_STREAM_GAP ||
	    c->dir[1].state == TCP_STREAM_GAP)
		return ENRICH_GIVEUP_GAP;
	if (c->dir[0].state == TCP_STREAM_FULL ||
	    c->dir[1].state == TCP_STREAM_FULL)
		return ENRICH_GIVEUP_BUDGET;
	return end == END_TIMEOUT ? ENRICH_GIVEUP_TIMEOUT : ENRICH_GIVEUP_ENDED;
}

/*
 * Parses what entry i holds, hands on any new answer, and frees the
 * entry once nothing more can be learnt: the parsers are done, or both
 * streams ended, or end says the connection is over whatever the
 * streams say.
 */
static void
evaluate(struct enrich *en, uint32_t i, enum end end)
{
	struct conn *c = &en->conns[i];
	int cend = end != END_NOT || !tcp_stream_open(&c->dir[0]);
	/* Without a server anchor no reply byte can have come yet. */
	int send = end != END_NOT ||
	    (c->srv_base && !tcp_stream_open(&c->dir[1]));
	enum l7_res res;

	res = l7_parse(c->dir[0].buf, c->dir[0].len, cend, c->dir[1].buf,
	    c->dir[1].len, send, c->srv_port, &en->res);
	/* No client byte in order: nothing to recognise, only to wait for. */
	if (res == L7_NOMATCH && c->dir[0].len == 0)
		res = L7_MORE;
	conclude(en, i, res, end, cend && send);
}

/*
 * The common case, without a copy: the client's first segment, in order,
 * whole and within the budget, that decides alone (bytes no parser knows,
 * a request finished without a reply). It is parsed where it lies, with
 * the arguments evaluate would use once it were buffered, so the outcome
 * is the same; 0 if more is needed (the caller buffers it then).
 */
static int
decide_in_place(struct enrich *en, uint32_t i, const uint8_t *data,
    uint32_t n)
{
	struct conn *c = &en->conns[i];
	int send = c->srv_base && !tcp_stream_open(&c->dir[1]);
	enum l7_res res;

	res = l7_parse(data, n, 0, c->dir[1].buf, c->dir[1].len, send,
	    c->srv_port, &en->res);
	if (res == L7_MORE)
		return 0;
	conclude(en, i, res, END_NOT, 0);
	return 1;
}

/*
 * What l7_parse said of entry i (en->res): hand on a new answer, count,
 * and free the entry unless more may come. ended: both streams are over.
 */
static void
conclude(struct enrich *en, uint32_t i, enum l7_res res, enum end end,
    int ended)
{
	struct conn *c = &en->conns[i];
	struct l7_result *r = &en->res;

	if (res != L7_NOMATCH)
		emit(en, c, r);
	switch (res) {
	case L7_MORE:
		if (!ended)
			return;
		if (end != END_NOT) {
			/* Over: a hole still waiting will not be filled. */
			tcp_stream_close(&c->dir[0]);
			tcp_stream_close(&c->dir[1]);
		}
		/*
		 * An answer that needs no reply already reached the session
		 * (a TLS name read before the snaplen cut the rest of the
		 * ClientHello, a Host, a PROXY header's origin): it counts
		 * as found, by kind. A proxy request without the proxy's
		 * reply has no verdict: given up.
		 */
		if (c->sent == 0 || !(r->kind == L7_TLS || r->kind == L7_HTTP ||
		    (r->kind == L7_NONE && r->proxy_hdr))) {
			en->st.giveup[why_ended(c, end)]++;
			break;
		}
		/* FALLTHROUGH */
	case L7_DONE:
		en->st.enriched[r->kind < L7_KIND_MAX ? r->kind : 0]++;
		if (r->proxy_hdr != 0)
			en->st.proxy_header++;
		if (r->verdict == L7_V_REJECTED)
			en->st.rejected++;
		else if (r->verdict == L7_V_FAILED)
			en->st.failed++;
		break;
	case L7_NOMATCH:
		en->st.unrecognised++;
		break;
	case L7_INVALID:
		en->st.giveup[ENRICH_GIVEUP_PARSE]++;
		break;
	}
	/* A proxy login's password is in the client's bytes: wipe them
	 * (those written: a buffer goes back to the pool as it is). */
	if (r->user[0] != '\0' && c->dir[0].buf != NULL)
		explicit_bzero(c->dir[0].buf, tcp_stream_written(&c->dir[0]));
	if (en->legs != NULL)
		legs_end(en->legs, c->af, c->cli, c->cli_port, c->srv,
		    c->srv_port, en->now);
	release(en, i);
}

void
enrich_packet(struct enrich *en, const struct cap_pkt *p, const uint8_t *l7,
    uint32_t l7_caplen)
{
	struct conn *c;
	uint32_t i, cap, before, grew;
	int dir = 0, fin;

	if (p->proto == 17 && p->sport == 53 && p->frag == 0 &&
	    en->legs != NULL) {
		legs_resolve(en->legs, p, l7, l7_caplen);
		return;
	}
	if (p->proto != 6 || p->frag != 0)
		return;
	en->now = p->ts_ns;
	/* Without payload, SYN, FIN or RST (a pure ACK, a third of TCP)
	 * a packet changes nothing: not even the table is probed. */
	if (p->payload == 0 &&
	    !(p->tcp_flags & (DEC_TCP_SYN | DEC_TCP_FIN | DEC_TCP_RST)))
		return;
	i = find(en, p, &dir);
	if ((p->tcp_flags & (DEC_TCP_SYN | DEC_TCP_ACK)) == DEC_TCP_SYN) {
		if (i != NIL) {
			if (dir == 0 && en->conns[i].isn == p->tcp_seq)
				return;		/* a retransmitted SYN */
			/* The ports are reused: the old one is over. */
			evaluate(en, i, END_CLOSED);
		}
		if (en->legs != NULL)
			legs_syn(en->legs, p);
		if (add(en, p) == NIL)
			en->st.giveup[ENRICH_GIVEUP_CAP_FULL]++;
		return;
	}
	if (i == NIL)
		return;
	c = &en->conns[i];
	if (p->tcp_flags & DEC_TCP_RST) {
		evaluate(en, i, END_CLOSED);
		return;
	}
	if (p->tcp_flags & DEC_TCP_SYN) {
		/* SYN-ACK: the server's stream starts after it. */
		if (dir == 1 && !c->srv_base) {
			tcp_stream_init_pool(&c->dir[1], p->tcp_seq + 1,
			    en->cfg.reply_budget, &en->pool[1]);
			c->srv_base = 1;
		}
		return;
	}
	fin = (p->tcp_flags & DEC_TCP_FIN) != 0;
	if (p->payload == 0 && !fin)
		return;
	if (dir == 1 && !c->srv_base) {
		/* The SYN-ACK was missed: anchor on the first reply. */
		tcp_stream_init_pool(&c->dir[1], p->tcp_seq,
		    en->cfg.reply_budget, &en->pool[1]);
		c->srv_base = 1;
	}
	/* Link-layer padding can follow a short segment: never read it. */
	cap = l7 == NULL ? 0 : l7_caplen < p->payload ? l7_caplen : p->payload;
	if (dir == 0 && c->dir[0].buf == NULL && c->dir[0].nranges == 0 &&
	    c->dir[0].cut == UINT32_MAX &&
	    tcp_stream_open(&c->dir[0]) && p->tcp_seq == c->dir[0].base &&
	    !fin && cap == p->payload && cap > 0 && cap < c->dir[0].budget &&
	    decide_in_place(en, i, l7, cap))
		return;
	before = c->dir[dir].buf != NULL;
	grew = tcp_stream_add(&c->dir[dir], p->tcp_seq, l7, cap, p->payload,
	    fin);
	if (!before && c->dir[dir].buf != NULL) {
		en->st.buffer_bytes += c->dir[dir].budget;
		if (en->st.buffer_bytes > en->st.buffer_bytes_peak)
			en->st.buffer_bytes_peak = en->st.buffer_bytes;
	}
	if (grew > 0 || !tcp_stream_open(&c->dir[dir]))
		evaluate(en, i, END_NOT);
}

void
enrich_expire(struct enrich *en, uint64_t now)
{
	uint32_t i;

	en->now = now;
	while ((i = en->head) != NIL &&
	    en->conns[i].syn_ns + en->cfg.timeout_ns <= now)
		evaluate(en, i, END_TIMEOUT);
	if (en->legs != NULL)
		legs_expire(en->legs, now);
}

void
enrich_finish(struct enrich *en)
{
	uint32_t i;

	while ((i = en->head) != NIL)
		evaluate(en, i, END_CLOSED);
	/* Links still waiting for names are decided with what is known. */
	if (en->legs != NULL)
		legs_expire(en->legs, UINT64_MAX);
}
