/*
 * test_legs: linking a proxy's client and upstream legs, driven with
 * hand-made TCP packets through the enrichment table as the agent's
 * capture thread does: the SOCKS5 reply's BND address, the only SYN to
 * the target in the window, two candidates (ambiguous, not linked), a
 * name target decided by the upstream legs' TLS server names, and one
 * decided by the DNS answers the proxy host received before its SYNs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enrich.h"

#define SEC	1000000000ULL
#define MS	1000000ULL
#define T0	(1700000000ULL * SEC)

/* Addresses 10.0.0.x: the client, the proxy, two targets. */
#define CLI	1
#define PRX	2
#define TGT	9
#define TGT2	10

struct got {
	char	 user[256], target[256];
	uint8_t	 leg, has_peer;
	uint16_t cport, peer_cport;
	uint64_t start, peer_start;
};

struct fx {
	struct enrich	*en;
	struct got	 got[32];
	size_t		 n;
};

static void
record(struct fx *f, const struct sess_obs *key, const struct sess_obs *peer,
    struct sess_enr *e)
{
	struct got *g;

	assert_true(f->n < 32);
	g = &f->got[f->n++];
	strcpy(g->user, sess_enr_user(e));
	strcpy(g->target, sess_enr_target(e));
	g->leg = e->leg;
	g->cport = key->sport;
	g->start = key->ts_ns;
	if (peer != NULL) {
		g->has_peer = 1;
		g->peer_cport = peer->sport;
		/* The engine computes peer_hash; peer_start is set here. */
		assert_int_equal(e->peer_start, peer->ts_ns);
		g->peer_start = peer->ts_ns;
	}
}

static void
on_answer(void *arg, const struct sess_obs *key, struct sess_enr *e)
{
	record(arg, key, NULL, e);
}

static void
on_link(void *arg, const struct sess_obs *key, const struct sess_obs *peer,
    struct sess_enr *e)
{
	record(arg, key, peer, e);
}

static struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct enrich_cfg cfg = { .budget = 4096, .reply_budget = 1024,
	    .max_sessions = 64, .timeout_ns = 30 * SEC, .link_syns = 64,
	    .link_pending = 8, .link_window_ns = 10 * SEC, .link_dns = 64 };

	assert_non_null(f);
	f->en = enrich_create(&cfg, on_answer, f);
	assert_non_null(f->en);
	assert_int_equal(enrich_set_link(f->en, on_link), 0);
	return f;
}

static void
fx_free(struct fx *f)
{
	enrich_destroy(f->en);
	free(f);
}

/* A segment 10.0.0.src:sport -> 10.0.0.dst:dport. */
static void
pkt(struct fx *f, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport,
    uint8_t flags, uint32_t seq, const void *data, size_t n, uint64_t ts)
{
	struct cap_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.af = 4;
	p.proto = 6;
	p.src[0] = p.dst[0] = 10;
	p.src[3] = src;
	p.dst[3] = dst;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.payload = (uint32_t)n;
	/* The same both ways, as the real flow hash. */
	p.hash = (uint32_t)(src ^ dst) * 65599u + (uint32_t)(sport ^ dport);
	enrich_packet(f->en, &p, data, (uint32_t)n);
}

#define ISN	1000u

/* The handshake of a connection from a client port (SYN, SYN-ACK). */
static void
open_conn(struct fx *f, uint8_t src, uint16_t sport, uint8_t dst,
    uint16_t dport, uint64_t ts)
{
	pkt(f, src, sport, dst, dport, DEC_TCP_SYN, ISN - 1, NULL, 0, ts);
	pkt(f, dst, dport, src, sport, DEC_TCP_SYN | DEC_TCP_ACK, ISN - 1,
	    NULL, 0, ts + 100);
}

/* Client bytes (rel: offset in the client's stream). */
static void
cdata(struct fx *f, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport,
    uint32_t rel, const void *d, size_t n, uint64_t ts)
{
	pkt(f, src, sport, dst, dport, DEC_TCP_ACK | DEC_TCP_PSH, ISN + rel,
	    d, n, ts);
}

static const struct got *
find_leg(const struct fx *f, uint16_t cport, uint8_t leg)
{
	size_t i;
	const struct got *g = NULL;

	for (i = 0; i < f->n; i++)
		if (f->got[i].cport == cport && f->got[i].leg == leg)
			g = &f->got[i];
	return g;
}

static size_t
count_legs(const struct fx *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += f->got[i].leg != 0;
	return n;
}

/* SOCKS5, no authentication: greeting and a CONNECT to 10.0.0.9:80. */
static const uint8_t greet_req[] = { 5, 1, 0, 5, 1, 0, 1, 10, 0, 0, TGT,
    0, 80 };
static const uint8_t method[] = { 5, 0 };

static void
socks_reply(struct fx *f, uint16_t cport, uint8_t bnd, uint16_t bport,
    uint64_t ts)
{
	uint8_t rep[10] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };

	if (bnd != 0) {
		rep[4] = 10;
		rep[7] = bnd;
	}
	rep[8] = (uint8_t)(bport >> 8);
	rep[9] = (uint8_t)bport;
	pkt(f, PRX, 1080, CLI, cport, DEC_TCP_ACK | DEC_TCP_PSH,
	    ISN + sizeof(method), rep, sizeof(rep), ts);
}

static void
socks_request(struct fx *f, uint16_t cport, uint64_t ts)
{
	open_conn(f, CLI, cport, PRX, 1080, ts);
	cdata(f, CLI, cport, PRX, 1080, 0, greet_req, sizeof(greet_req),
	    ts + MS);
	pkt(f, PRX, 1080, CLI, cport, DEC_TCP_ACK | DEC_TCP_PSH, ISN, method,
	    sizeof(method), ts + 2 * MS);
}

/* Checks that client port cport and upstream port uport name each other,
 * the upstream with the client's user and target. */
static void
assert_linked(const struct fx *f, uint16_t cport, uint16_t uport,
    const char *user, const char *target)
{
	const struct got *c = find_leg(f, cport, SESS_LEG_CLIENT);
	const struct got *u = find_leg(f, uport, SESS_LEG_UPSTREAM);

	assert_non_null(c);
	assert_non_null(u);
	assert_true(c->has_peer && u->has_peer);
	assert_int_equal(c->peer_cport, uport);
	assert_int_equal(u->peer_cport, cport);
	assert_int_equal(c->peer_start, u->start);
	assert_int_equal(u->peer_start, c->start);
	assert_string_equal(u->user, user);
	assert_string_equal(u->target, target);
	assert_string_equal(c->target, target);
}

/* The reply names the upstream's endpoint: that one, though another SYN
 * to the same target came in the window. */
static void
test_legs_bnd(void **state)
{
	struct fx *f = fx_new();
	struct enrich_stats st;

	(void)state;
	socks_request(f, 40000, T0);
	open_conn(f, PRX, 50001, TGT, 80, T0 + 3 * MS);
	open_conn(f, PRX, 50002, TGT, 80, T0 + 4 * MS);
	socks_reply(f, 40000, PRX, 50001, T0 + 5 * MS);
	assert_linked(f, 40000, 50001, "10.0.0.1", "10.0.0.9:80");
	assert_null(find_leg(f, 50002, SESS_LEG_UPSTREAM));
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.legs.linked[LEGS_RULE_BND], 1);
	assert_int_equal(st.legs.ambiguous, 0);
	fx_free(f);
}

/* No BND: the only SYN from the proxy to the target between request and
 * reply; the ones before the request and after the reply do not count. */
static void
test_legs_window_single(void **state)
{
	struct fx *f = fx_new();
	struct enrich_stats st;

	(void)state;
	open_conn(f, PRX, 50000, TGT, 80, T0 - 10 * MS);
	socks_request(f, 40000, T0);
	open_conn(f, PRX, 50001, TGT, 80, T0 + 3 * MS);
	/* Another port of the target, and the client's own address. */
	open_conn(f, PRX, 50003, TGT, 81, T0 + 3 * MS);
	open_conn(f, CLI, 50004, TGT, 80, T0 + 3 * MS);
	socks_reply(f, 40000, 0, 0, T0 + 5 * MS);
	open_conn(f, PRX, 50002, TGT, 80, T0 + 6 * MS);
	assert_linked(f, 40000, 50001, "10.0.0.1", "10.0.0.9:80");
	assert_int_equal(count_legs(f), 2);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.legs.linked[LEGS_RULE_WINDOW], 1);
	fx_free(f);
}

/* Two SYNs to the target in the window: not linked, counted. */
static void
test_legs_ambiguous(void **state)
{
	struct fx *f = fx_new();
	struct enrich_stats st;

	(void)state;
	socks_request(f, 40000, T0);
	open_conn(f, PRX, 50001, TGT, 80, T0 + 3 * MS);
	open_conn(f, PRX, 50002, TGT, 80, T0 + 4 * MS);
	socks_reply(f, 40000, 0, 0, T0 + 5 * MS);
	enrich_expire(f->en, T0 + 60 * SEC);
	enrich_finish(f->en);
	assert_int_equal(count_legs(f), 0);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.legs.ambiguous, 1);
	assert_int_equal(st.legs.linked[LEGS_RULE_BND] +
	    st.legs.linked[LEGS_RULE_WINDOW] + st.legs.linked[LEGS_RULE_NAME],
	    0);
	fx_free(f);
}

/* A TLS ClientHello (one record) with server_name name. */
static size_t
client_hello(uint8_t *b, const char *name)
{
	size_t nl = strlen(name), ext = 9 + nl, hs, i = 0;

	hs = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	b[i++] = 22;
	b[i++] = 3;
	b[i++] = 1;
	b[i++] = (uint8_t)((hs + 4) >> 8);
	b[i++] = (uint8_t)(hs + 4);
	b[i++] = 1;
	b[i++] = 0;
	b[i++] = (uint8_t)(hs >> 8);
	b[i++] = (uint8_t)hs;
	b[i++] = 3;
	b[i++] = 3;
	memset(b + i, 0x11, 32);
	i += 32;
	b[i++] = 0;			/* session id */
	b[i++] = 0;
	b[i++] = 2;			/* one cipher suite */
	b[i++] = 0x13;
	b[i++] = 0x01;
	b[i++] = 1;			/* compression: null */
	b[i++] = 0;
	b[i++] = (uint8_t)(ext >> 8);	/* extensions */
	b[i++] = (uint8_t)ext;
	b[i++] = 0;			/* server_name */
	b[i++] = 0;
	b[i++] = (uint8_t)((nl + 5) >> 8);
	b[i++] = (uint8_t)(nl + 5);
	b[i++] = (uint8_t)((nl + 3) >> 8);
	b[i++] = (uint8_t)(nl + 3);
	b[i++] = 0;			/* host_name */
	b[i++] = (uint8_t)(nl >> 8);
	b[i++] = (uint8_t)nl;
	memcpy(b + i, name, nl);
	return i + nl;
}

/* A name target with two SYNs to its port in the window: the upstream
 * leg whose SNI is the name (in another case) is linked once both names
 * are known; it carries the proxy user and the name target. */
static void
test_legs_domain_sni(void **state)
{
	static const uint8_t req[] = { 5, 1, 2, 1, 5, 'a', 'l', 'i', 'c',
	    'e', 2, 'p', 'w', 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l',
	    'e', '.', 'c', 'o', 'm', 1, 0xbb };
	static const uint8_t srv[] = { 5, 2, 1, 0 };
	struct fx *f = fx_new();
	struct enrich_stats st;
	uint8_t ch[128];
	uint8_t rep[10] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t n;

	(void)state;
	open_conn(f, CLI, 40000, PRX, 1080, T0);
	cdata(f, CLI, 40000, PRX, 1080, 0, req, sizeof(req), T0 + MS);
	pkt(f, PRX, 1080, CLI, 40000, DEC_TCP_ACK | DEC_TCP_PSH, ISN, srv,
	    sizeof(srv), T0 + 2 * MS);
	open_conn(f, PRX, 50001, TGT, 443, T0 + 3 * MS);
	open_conn(f, PRX, 50002, TGT2, 443, T0 + 4 * MS);
	pkt(f, PRX, 1080, CLI, 40000, DEC_TCP_ACK | DEC_TCP_PSH,
	    ISN + sizeof(srv), rep, sizeof(rep), T0 + 5 * MS);
	/* Two candidates, no name yet: nothing decided. */
	assert_int_equal(count_legs(f), 0);
	n = client_hello(ch, "other.org");
	cdata(f, PRX, 50001, TGT, 443, 0, ch, n, T0 + 6 * MS);
	assert_int_equal(count_legs(f), 0);
	n = client_hello(ch, "Example.COM");
	cdata(f, PRX, 50002, TGT2, 443, 0, ch, n, T0 + 7 * MS);
	assert_linked(f, 40000, 50002, "alice", "example.com:443");
	assert_string_equal(find_leg(f, 40000, SESS_LEG_CLIENT)->user,
	    "alice");
	assert_null(find_leg(f, 50001, SESS_LEG_UPSTREAM));
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.legs.linked[LEGS_RULE_NAME], 1);
	assert_int_equal(st.legs.ambiguous, 0);
	fx_free(f);
}

/*
 * A DNS response from 10.0.0.53:53 to rcv: name resolves (type A) to
 * 10.0.0.a[0], 10.0.0.a[1] ... (na of them), RFC 1035 section 4.1.
 */
static void
dns_answer(struct fx *f, uint8_t rcv, const char *name, const uint8_t *a,
    size_t na, uint64_t ts)
{
	uint8_t m[512];
	const char *l = name, *dot;
	size_t o = 12, i;
	struct cap_pkt p;

	memset(m, 0, 12);
	m[0] = 0x42;
	m[2] = 0x81;
	m[3] = 0x80;
	m[5] = 1;
	m[7] = (uint8_t)na;
	for (; *l != '\0'; l = *dot != '\0' ? dot + 1 : dot) {
		dot = strchr(l, '.');
		if (dot == NULL)
			dot = l + strlen(l);
		m[o++] = (uint8_t)(dot - l);
		memcpy(m + o, l, (size_t)(dot - l));
		o += (size_t)(dot - l);
	}
	m[o++] = 0;
	memcpy(m + o, "\0\1\0\1", 4);
	o += 4;
	for (i = 0; i < na; i++) {
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0,
		    60, 0, 4, 10, 0, 0 };

		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
		m[o++] = a[i];
	}
	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.af = 4;
	p.proto = 17;
	p.src[0] = p.dst[0] = 10;
	p.src[3] = 53;
	p.dst[3] = rcv;
	p.sport = 53;
	p.dport = 5353;
	p.payload = (uint32_t)o;
	enrich_packet(f->en, &p, m, (uint32_t)o);
}

/*
 * A SOCKS5 request for example.com:443 from client port 40000 at T0, the
 * proxy's SYNs to TGT and TGT2 port 443 at T0 + 3 and 4 ms, its success
 * reply at T0 + 5 ms; then, if finish, the end of the capture. With late,
 * an answer giving TGT2 for late comes between the second SYN and the
 * reply. Returns the stats.
 */
static void
socks_name_two(struct fx *f, struct enrich_stats *st, int finish,
    const char *late)
{
	static const uint8_t req[] = { 5, 1, 0, 5, 1, 0, 3, 11, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 1, 0xbb };
	static const uint8_t rep[10] = { 5, 0, 0, 1 };

	open_conn(f, CLI, 40000, PRX, 1080, T0);
	cdata(f, CLI, 40000, PRX, 1080, 0, req, sizeof(req), T0 + MS);
	pkt(f, PRX, 1080, CLI, 40000, DEC_TCP_ACK | DEC_TCP_PSH, ISN, method,
	    sizeof(method), T0 + 2 * MS);
	open_conn(f, PRX, 50001, TGT, 443, T0 + 3 * MS);
	open_conn(f, PRX, 50002, TGT2, 443, T0 + 4 * MS);
	if (late != NULL)
		dns_answer(f, PRX, late, (const uint8_t[]){ TGT2 }, 1,
		    T0 + 4 * MS + MS / 2);
	pkt(f, PRX, 1080, CLI, 40000, DEC_TCP_ACK | DEC_TCP_PSH,
	    ISN + sizeof(method), rep, sizeof(rep), T0 + 5 * MS);
	if (finish) {
		enrich_expire(f->en, T0 + 60 * SEC);
		enrich_finish(f->en);
	}
	enrich_get_stats(f->en, st);
}

/* One candidate's address was the name's answer just before its SYN:
 * linked at the reply, without waiting for names (the same answer again
 * after the SYN hides not the one before). */
static void
test_legs_dns_one(void **state)
{
	static const uint8_t a[] = { TGT2, 77 };
	struct fx *f = fx_new();
	struct enrich_stats st;

	(void)state;
	dns_answer(f, PRX, "Example.com", a, 2, T0 + 2 * MS);
	socks_name_two(f, &st, 0, "example.com");
	assert_linked(f, 40000, 50002, "10.0.0.1", "example.com:443");
	assert_null(find_leg(f, 50001, SESS_LEG_UPSTREAM));
	assert_int_equal(st.legs.linked[LEGS_RULE_DNS], 1);
	assert_string_equal(legs_rule_name(LEGS_RULE_DNS), "dns");
	fx_free(f);
}

/* Answers that do not count: for another name, to another host, too old
 * (more than link_window before the SYN), after the SYN. */
static void
test_legs_dns_none(void **state)
{
	static const uint8_t a[] = { TGT2 };
	struct fx *f;
	struct enrich_stats st;
	int c;

	(void)state;
	for (c = 0; c < 4; c++) {
		f = fx_new();
		if (c == 0)
			dns_answer(f, PRX, "example.org", a, 1, T0 + 2 * MS);
		else if (c == 1)
			dns_answer(f, 77, "example.com", a, 1, T0 + 2 * MS);
		else if (c == 2)
			dns_answer(f, PRX, "example.com", a, 1,
			    T0 + 4 * MS - 10 * SEC - 1);
		/* c 3: the answer comes after the SYN to TGT2. */
		socks_name_two(f, &st, 1, c == 3 ? "example.com" : NULL);
		assert_int_equal(count_legs(f), 0);
		assert_int_equal(st.legs.linked[LEGS_RULE_DNS], 0);
		assert_int_equal(st.legs.unmatched, 1);
		fx_free(f);
	}
}

/* Both candidates' addresses were answers for the name: not linked. */
static void
test_legs_dns_ambiguous(void **state)
{
	static const uint8_t a[] = { TGT, TGT2 };
	struct fx *f = fx_new();
	struct enrich_stats st;

	(void)state;
	dns_answer(f, PRX, "example.com", a, 2, T0 + 2 * MS);
	socks_name_two(f, &st, 1, NULL);
	assert_int_equal(count_legs(f), 0);
	assert_int_equal(st.legs.ambiguous, 1);
	assert_int_equal(st.legs.linked[LEGS_RULE_DNS], 0);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legs_bnd),
		cmocka_unit_test(test_legs_window_single),
		cmocka_unit_test(test_legs_ambiguous),
		cmocka_unit_test(test_legs_domain_sni),
		cmocka_unit_test(test_legs_dns_one),
		cmocka_unit_test(test_legs_dns_none),
		cmocka_unit_test(test_legs_dns_ambiguous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
