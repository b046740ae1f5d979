/*
 * test_frag: fragment attribution. Through cap_engine (decode -> frag ->
 * session table, sessions collected by the close callback): every
 * fragment is one packet of its flow and adds its own IP bytes; transport
 * payload is counted once per datagram (UDP: UDP length - 8 at the first
 * fragment; TCP: each fragment's data). Then frag.h directly: pending
 * counters, expiry, overflow.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cap_engine.h"
#include "decode.h"
#include "frag.h"
#include "pk.h"

#define NS	1000000000ULL
#define T0	(1700000000ULL * NS)
#define SPORT	40000

struct got {
	struct sess_rec	recs[16];
	int		n;
};

static void
on_close(void *arg, const struct sess_rec *r)
{
	struct got *g = arg;

	assert_true(g->n < 16);
	g->recs[g->n++] = *r;
}

static struct cap_engine *
engine(struct got *g, int dlt, uint32_t frag_max, uint64_t frag_timeout)
{
	struct cap_engine_cfg cfg;
	struct cap_engine *e;

	memset(&cfg, 0, sizeof(cfg));
	memset(g, 0, sizeof(*g));
	cfg.dlt = dlt;
	cfg.sess.udp_idle_ns = 60 * NS;
	cfg.sess.tcp_idle_ns = 300 * NS;
	cfg.sess.tcp_syn_ns = 30 * NS;
	cfg.sess.tcp_linger_ns = 5 * NS;
	cfg.sess.max_sessions = 64;
	cfg.frag_max = frag_max;
	cfg.frag_timeout_ns = frag_timeout;
	e = cap_engine_create(&cfg, on_close, g);
	assert_non_null(e);
	return e;
}

/* A transport datagram (header + payload) to cut into fragments. */
struct dgram {
	uint8_t	b[8192];
	size_t	len;
	uint8_t	proto;
};

static void
dgram_udp(struct dgram *dg, size_t pay)
{
	struct pk p;

	pk_init(&p, pay);
	pk_udp(&p, SPORT, 53);
	assert_true(p.len <= sizeof(dg->b));
	memcpy(dg->b, pk_data(&p), p.len);
	dg->len = p.len;
	dg->proto = 17;
}

static void
dgram_tcp(struct dgram *dg, size_t pay)
{
	struct pk p;

	pk_init(&p, pay);
	pk_tcp(&p, SPORT, 443, 5000, PK_TCP_ACK | PK_TCP_PSH, 20);
	memcpy(dg->b, pk_data(&p), p.len);
	dg->len = p.len;
	dg->proto = 6;
}

/* IPv4 fragment carrying dg[off .. off + n); src varies the flow. */
static void
frag4(struct pk *p, const struct dgram *dg, size_t off, size_t n,
    uint16_t id, const uint8_t *src)
{
	int more = off + n < dg->len;

	assert_true(off % 8 == 0 && off + n <= dg->len);
	pk_init(p, 0);
	memcpy(pk_push(p, n), dg->b + off, n);
	pk_ipv4(p, dg->proto, src, pk_v4_dst, 20, id,
	    (uint16_t)((more ? 0x2000 : 0) | off / 8));
}

static void
frag6(struct pk *p, const struct dgram *dg, size_t off, size_t n,
    uint32_t id)
{
	int more = off + n < dg->len;

	assert_true(off % 8 == 0 && off + n <= dg->len);
	pk_init(p, 0);
	memcpy(pk_push(p, n), dg->b + off, n);
	pk_ip6frag(p, dg->proto, (uint16_t)(off / 8), more, id);
	pk_ipv6(p, 44, pk_v6_src, pk_v6_dst);
}

static void
feed(struct cap_engine *e, uint64_t ts, const struct pk *p)
{
	cap_engine_packet(e, ts, pk_data(p), (uint32_t)p->len,
	    (uint32_t)p->len);
}

/* The session from port SPORT; all traffic is client to server. */
static const struct sess_rec *
find_sess(const struct got *g, uint16_t cli_port)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->recs[i].cli_port == cli_port)
			return &g->recs[i];
	fail_msg("no session from port %u", cli_port);
	return NULL;
}

static void
check_sess(const struct sess_rec *r, uint64_t packets, uint64_t wire,
    uint64_t payload)
{
	assert_int_equal(r->packets[0], packets);
	assert_int_equal(r->wire_bytes[0], wire);
	assert_int_equal(r->bytes[0], payload);
	assert_int_equal(r->packets[1], 0);
	assert_int_equal(r->wire_bytes[1], 0);
	assert_int_equal(r->bytes[1], 0);
}

static void
check_stats(const struct cap_engine *e, uint64_t observed, uint64_t waiting,
    uint64_t orphans)
{
	struct cap_engine_stats st;

	cap_engine_get_stats(e, &st);
	assert_int_equal(st.observed, observed);
	assert_int_equal(st.frag_waiting, waiting);
	assert_int_equal(st.reasons[DR_FRAG_ORPHAN], orphans);
}

/* 3000 bytes of UDP payload: IP data 1480 + 1480 + 48. */
static void
test_frag_udp_in_order(void **state)
{
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 30 * NS);
	struct dgram dg;
	struct pk p;

	(void)state;
	dgram_udp(&dg, 3000);
	frag4(&p, &dg, 0, 1480, 77, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dg, 1480, 1480, 77, pk_v4_src);
	feed(e, T0 + 1, &p);
	frag4(&p, &dg, 2960, 48, 77, pk_v4_src);
	feed(e, T0 + 2, &p);
	check_stats(e, 3, 0, 0);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(g.n, 1);
	check_sess(find_sess(&g, SPORT), 3, 1500 + 1500 + 68, 3000);
	assert_int_equal(g.recs[0].srv_port, 53);
	assert_int_equal(g.recs[0].proto, 17);
	cap_engine_destroy(e);
}

/* Later fragments first: held as pending counters, handed over with the
 * first, and the totals come out the same. */
static void
test_frag_later_before_first(void **state)
{
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 30 * NS);
	struct dgram dg;
	struct pk p;

	(void)state;
	dgram_udp(&dg, 3000);
	frag4(&p, &dg, 2960, 48, 77, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dg, 1480, 1480, 77, pk_v4_src);
	feed(e, T0 + 1, &p);
	check_stats(e, 0, 2, 0);
	assert_int_equal(sess_table_count(cap_engine_sessions(e)), 0);
	frag4(&p, &dg, 0, 1480, 77, pk_v4_src);
	feed(e, T0 + 2, &p);
	check_stats(e, 3, 0, 0);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(g.n, 1);
	check_sess(find_sess(&g, SPORT), 3, 3068, 3000);
	cap_engine_destroy(e);
}

/* TCP has no datagram length: every fragment adds its own data, in any
 * order. 2000 bytes of payload: IP data 1480 (20 header + 1460) + 540. */
static void
test_frag_tcp(void **state)
{
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 30 * NS);
	struct dgram dg;
	struct pk p;

	(void)state;
	dgram_tcp(&dg, 2000);
	frag4(&p, &dg, 0, 1480, 5, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dg, 1480, 540, 5, pk_v4_src);
	feed(e, T0 + 1, &p);
	/* The same segment again, second fragment first. */
	frag4(&p, &dg, 1480, 540, 6, pk_v4_src);
	feed(e, T0 + 2, &p);
	check_stats(e, 2, 1, 0);
	frag4(&p, &dg, 0, 1480, 6, pk_v4_src);
	feed(e, T0 + 3, &p);
	check_stats(e, 4, 0, 0);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(g.n, 1);
	check_sess(find_sess(&g, SPORT), 4, 2 * (1500 + 560), 2 * 2000);
	cap_engine_destroy(e);
}

/* Later fragments whose first never comes are orphans once their entry
 * times out; a late fragment after its entry expired waits again. */
static void
test_frag_orphan_expiry(void **state)
{
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 1 * NS);
	struct dgram dg;
	struct pk p;

	(void)state;
	dgram_udp(&dg, 3000);
	frag4(&p, &dg, 1480, 1480, 1, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dg, 2960, 48, 1, pk_v4_src);
	feed(e, T0 + 1, &p);
	check_stats(e, 0, 2, 0);
	cap_engine_tick(e, T0 + NS / 2);
	check_stats(e, 0, 2, 0);
	cap_engine_tick(e, T0 + NS);
	check_stats(e, 0, 0, 2);

	/* The first of another datagram, then its last after the timeout:
	 * the first counts, the straggler is an orphan at the end. */
	frag4(&p, &dg, 0, 1480, 2, pk_v4_src);
	feed(e, T0 + 2 * NS, &p);
	check_stats(e, 1, 0, 2);
	cap_engine_tick(e, T0 + 4 * NS);
	frag4(&p, &dg, 2960, 48, 2, pk_v4_src);
	feed(e, T0 + 4 * NS + 1, &p);
	check_stats(e, 1, 1, 2);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	check_stats(e, 1, 0, 3);
	assert_int_equal(g.n, 1);
	check_sess(find_sess(&g, SPORT), 1, 1500, 3000);
	cap_engine_destroy(e);
}

/* A full table drops its oldest entry: waiting fragments in it become
 * orphans, and a first fragment that evicts one is counted as such. */
static void
test_frag_table_overflow(void **state)
{
	static const uint8_t src_b[16] = { 192, 0, 2, 11 };
	static const uint8_t src_c[16] = { 192, 0, 2, 12 };
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 2, 30 * NS);
	struct cap_engine_stats st;
	struct dgram dg;
	struct pk p;
	const struct sess_rec *r;

	(void)state;
	dgram_udp(&dg, 3000);
	/* Later fragments of A, B, C: A's entry goes. */
	frag4(&p, &dg, 1480, 1480, 1, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dg, 1480, 1480, 2, src_b);
	feed(e, T0 + 1, &p);
	frag4(&p, &dg, 1480, 1480, 3, src_c);
	feed(e, T0 + 2, &p);
	check_stats(e, 0, 2, 1);
	/* C's first: C's pending handed over (B stays). */
	frag4(&p, &dg, 0, 1480, 3, src_c);
	feed(e, T0 + 3, &p);
	check_stats(e, 2, 1, 1);
	/* A's first: a new entry; the table is full, B's goes. */
	frag4(&p, &dg, 0, 1480, 1, pk_v4_src);
	feed(e, T0 + 4, &p);
	check_stats(e, 3, 0, 2);
	cap_engine_get_stats(e, &st);
	assert_int_equal(st.reasons[DR_FRAG_FULL], 1);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(g.n, 2);
	for (r = g.recs; r < g.recs + g.n; r++) {
		if (r->cli[3] == 12)
			check_sess(r, 2, 3000, 3000);
		else
			check_sess(r, 1, 1500, 3000);
	}
	cap_engine_destroy(e);
}

/* IPv6: 32-bit identification in the fragment header, both orders. */
static void
test_frag_ipv6(void **state)
{
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 30 * NS);
	struct dgram dg;
	struct pk p;
	uint64_t wire;

	(void)state;
	dgram_udp(&dg, 2500);		/* 2508: 1232 + 1232 + 44 */
	frag6(&p, &dg, 0, 1232, 0x10000001);
	feed(e, T0, &p);
	frag6(&p, &dg, 1232, 1232, 0x10000001);
	feed(e, T0 + 1, &p);
	frag6(&p, &dg, 2464, 44, 0x10000001);
	feed(e, T0 + 2, &p);
	/* Same low 16 bits of id, another datagram, reversed. */
	frag6(&p, &dg, 2464, 44, 0x20000001);
	feed(e, T0 + 3, &p);
	frag6(&p, &dg, 1232, 1232, 0x20000001);
	feed(e, T0 + 4, &p);
	check_stats(e, 3, 2, 0);
	frag6(&p, &dg, 0, 1232, 0x20000001);
	feed(e, T0 + 5, &p);
	check_stats(e, 6, 0, 0);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(g.n, 1);
	wire = 2 * (3 * 48 + 2508);
	check_sess(find_sess(&g, SPORT), 6, wire, 2 * 2500);
	assert_int_equal(g.recs[0].af, 6);
	cap_engine_destroy(e);
}

/* Fragments of different datagrams with the same id stay apart: the key
 * is (src, dst, proto, id). */
static void
test_frag_key_fields(void **state)
{
	static const uint8_t src_b[16] = { 192, 0, 2, 11 };
	struct got g;
	struct cap_engine *e = engine(&g, DECODE_DLT_RAW, 16, 30 * NS);
	struct dgram du, dt;
	struct pk p;

	(void)state;
	dgram_udp(&du, 3000);
	dgram_tcp(&dt, 2000);
	frag4(&p, &du, 1480, 1480, 9, pk_v4_src);
	feed(e, T0, &p);
	frag4(&p, &dt, 1480, 540, 9, pk_v4_src);	/* other proto */
	feed(e, T0, &p);
	frag4(&p, &du, 1480, 1480, 9, src_b);		/* other source */
	feed(e, T0, &p);
	check_stats(e, 0, 3, 0);
	frag4(&p, &dt, 0, 1480, 9, pk_v4_src);
	feed(e, T0 + 1, &p);
	check_stats(e, 2, 2, 0);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	check_stats(e, 2, 0, 2);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.recs[0].proto, 6);
	check_sess(&g.recs[0], 2, 1500 + 560, 2000);
	cap_engine_destroy(e);
}

/* ---- frag.h directly ------------------------------------------------ */

static void
key(struct decoded *d, uint8_t proto, uint32_t id, uint8_t last)
{
	memset(d, 0, sizeof(*d));
	d->af = 4;
	d->proto = proto;
	d->src[0] = 10;
	d->src[3] = last;
	d->dst[0] = 10;
	d->dst[3] = 99;
	d->frag_id = id;
}

static void
test_frag_table_pending(void **state)
{
	struct frag_table *f = frag_table_create(8, 10 * NS);
	struct frag_pending pend;
	struct decoded d;

	(void)state;
	key(&d, 6, 1, 1);
	d.frag = DEC_FRAG_LATER;
	d.ip_bytes = 100;
	d.frag_data = 80;
	assert_int_equal(frag_table_later(f, &d, T0 + 5), 0);
	d.ip_bytes = 200;
	d.frag_data = 180;
	assert_int_equal(frag_table_later(f, &d, T0 + 3), 0);

	key(&d, 6, 1, 1);
	d.frag = DEC_FRAG_FIRST;
	d.sport = 1234;
	d.dport = 80;
	assert_int_equal(frag_table_first(f, &d, T0 + 7, &pend), 0);
	assert_int_equal(pend.packets, 2);
	assert_int_equal(pend.ip_bytes, 300);
	assert_int_equal(pend.payload, 260);
	assert_int_equal(pend.last_ns, T0 + 5);

	/* Known now: a later fragment gets the ports and its share. */
	key(&d, 6, 1, 1);
	d.frag = DEC_FRAG_LATER;
	d.frag_data = 64;
	assert_int_equal(frag_table_later(f, &d, T0 + 8), 1);
	assert_int_equal(d.sport, 1234);
	assert_int_equal(d.dport, 80);
	assert_int_equal(d.payload, 64);

	/* A repeated first hands over nothing. */
	key(&d, 6, 1, 1);
	assert_int_equal(frag_table_first(f, &d, T0 + 9, &pend), 0);
	assert_int_equal(pend.packets, 0);

	/* UDP later fragments add no payload: the first counted it all. */
	key(&d, 17, 2, 1);
	d.frag_data = 500;
	d.ip_bytes = 520;
	assert_int_equal(frag_table_later(f, &d, T0), 0);
	key(&d, 17, 2, 1);
	assert_int_equal(frag_table_first(f, &d, T0, &pend), 0);
	assert_int_equal(pend.packets, 1);
	assert_int_equal(pend.ip_bytes, 520);
	assert_int_equal(pend.payload, 0);
	key(&d, 17, 2, 1);
	d.frag_data = 500;
	assert_int_equal(frag_table_later(f, &d, T0), 1);
	assert_int_equal(d.payload, 0);
	assert_int_equal(frag_table_orphans(f), 0);
	frag_table_destroy(f);
}

static void
test_frag_table_expire_and_overflow(void **state)
{
	struct frag_table *f = frag_table_create(3, 10 * NS);
	struct frag_pending pend;
	struct decoded d;
	uint32_t i;

	(void)state;
	/* Three waiting datagrams, 1, 2 and 1 fragments. */
	key(&d, 17, 1, 1);
	(void)frag_table_later(f, &d, T0);
	key(&d, 17, 2, 1);
	(void)frag_table_later(f, &d, T0 + NS);
	(void)frag_table_later(f, &d, T0 + NS);
	key(&d, 17, 3, 1);
	(void)frag_table_later(f, &d, T0 + 2 * NS);
	assert_int_equal(frag_table_expire(f, T0 + 10 * NS - 1), 0);
	assert_int_equal(frag_table_expire(f, T0 + 11 * NS), 3);
	assert_int_equal(frag_table_orphans(f), 3);

	/* A known entry expires without orphans. */
	key(&d, 17, 4, 1);
	assert_int_equal(frag_table_first(f, &d, T0 + 20 * NS, &pend), 0);
	/* Overflow: 4 and 5 join 3 and fill the table; 6 evicts 3 (one
	 * waiting: an orphan), 7 evicts 4 (known: none), 8 evicts 5 and
	 * says so. */
	key(&d, 17, 5, 1);
	assert_int_equal(frag_table_first(f, &d, T0 + 20 * NS, &pend), 0);
	key(&d, 17, 6, 1);
	(void)frag_table_later(f, &d, T0 + 20 * NS);
	assert_int_equal(frag_table_orphans(f), 4);
	key(&d, 17, 7, 1);
	(void)frag_table_later(f, &d, T0 + 20 * NS);
	assert_int_equal(frag_table_orphans(f), 4);
	key(&d, 17, 8, 1);
	assert_int_equal(frag_table_first(f, &d, T0 + 20 * NS, &pend),
	    -ENOSPC);
	assert_int_equal(frag_table_orphans(f), 4);
	/* 6 and 7 are still there and still waiting. */
	key(&d, 17, 7, 1);
	assert_int_equal(frag_table_first(f, &d, T0 + 21 * NS, &pend), 0);
	assert_int_equal(pend.packets, 1);
	assert_int_equal(frag_table_expire(f, UINT64_MAX), 1);
	assert_int_equal(frag_table_orphans(f), 5);

	/* Churn through many keys: the ring and the hash stay coherent. */
	for (i = 100; i < 2000; i++) {
		key(&d, 17, i, (uint8_t)i);
		if (i % 3 == 0)
			(void)frag_table_first(f, &d, T0 + 30 * NS + i, &pend);
		else
			(void)frag_table_later(f, &d, T0 + 30 * NS + i);
	}
	(void)frag_table_expire(f, UINT64_MAX);
	frag_table_destroy(f);

	/* Size 0 means 1; NULL is destroyable. */
	f = frag_table_create(0, NS);
	key(&d, 6, 1, 1);
	(void)frag_table_later(f, &d, T0);
	key(&d, 6, 2, 1);
	(void)frag_table_later(f, &d, T0);
	assert_int_equal(frag_table_orphans(f), 1);
	frag_table_destroy(f);
	frag_table_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_udp_in_order),
		cmocka_unit_test(test_frag_later_before_first),
		cmocka_unit_test(test_frag_tcp),
		cmocka_unit_test(test_frag_orphan_expiry),
		cmocka_unit_test(test_frag_table_overflow),
		cmocka_unit_test(test_frag_ipv6),
		cmocka_unit_test(test_frag_key_fields),
		cmocka_unit_test(test_frag_table_pending),
		cmocka_unit_test(test_frag_table_expire_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
