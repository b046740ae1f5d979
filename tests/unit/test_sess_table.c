/*
 * test_sess_table: the session engine driven with hand-made observations.
 * Time is whatever the observations say, so every timeout is reached by
 * moving the packet clock, never by sleeping. Closed sessions are
 * collected by the close callback and checked field by field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sess_table.h"

#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1700000000ULL * SEC)

#define IP_C	0x0a000001u	/* 10.0.0.1, the client in most tests */
#define IP_S	0x0a000002u	/* 10.0.0.2, the server */

#define SYN	SESS_TCP_SYN
#define ACK	SESS_TCP_ACK
#define FIN	SESS_TCP_FIN
#define RST	SESS_TCP_RST

struct fx {
	struct sess_table	*t;
	struct sess_table_cfg	 cfg;
	struct sess_rec		*recs;
	size_t			 n, cap;
	uint8_t			 ports[8192];
};

static void
collect(void *arg, const struct sess_rec *r)
{
	struct fx *f = arg;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->recs = realloc(f->recs, f->cap * sizeof(*f->recs));
		assert_non_null(f->recs);
	}
	f->recs[f->n++] = *r;
}

static void
fx_default_cfg(struct sess_table_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->udp_idle_ns = 60 * SEC;
	c->tcp_idle_ns = 300 * SEC;
	c->tcp_syn_ns = 30 * SEC;
	c->tcp_linger_ns = 5 * SEC;
	c->max_sessions = 1024;
}

/* Replaces the fixture's table by one built from f->cfg. */
static void
fx_rebuild(struct fx *f)
{
	sess_table_destroy(f->t);
	f->t = sess_table_create(&f->cfg, collect, f);
	assert_non_null(f->t);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	fx_default_cfg(&f->cfg);
	f->t = sess_table_create(&f->cfg, collect, f);
	if (f->t == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sess_table_destroy(f->t);
	free(f->recs);
	free(f);
	return 0;
}

static void
put_ip4(uint8_t *dst, uint32_t ip)
{
	memset(dst, 0, 16);
	dst[0] = (uint8_t)(ip >> 24);
	dst[1] = (uint8_t)(ip >> 16);
	dst[2] = (uint8_t)(ip >> 8);
	dst[3] = (uint8_t)ip;
}

static struct sess_obs
mk(uint64_t ts, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint8_t flags, uint64_t bytes)
{
	struct sess_obs o;

	memset(&o, 0, sizeof(o));
	o.ts_ns = ts;
	o.af = 4;
	o.proto = proto;
	o.tcp_flags = flags;
	o.sport = sport;
	o.dport = dport;
	o.packets = 1;
	o.bytes = bytes;
	o.wire_bytes = bytes + (proto == 6 ? 40 : 28);
	put_ip4(o.src, src);
	put_ip4(o.dst, dst);
	return o;
}

/* An agent's event from IP_C:cport to IP_S:sport, started and last seen
 * at ts, with no counts yet. */
static void
ev_init(struct sess_event *ev, uint8_t proto, uint16_t cport,
    uint16_t sport, uint64_t ts)
{
	memset(ev, 0, sizeof(*ev));
	ev->af = 4;
	ev->proto = proto;
	put_ip4(ev->cli, IP_C);
	put_ip4(ev->srv, IP_S);
	ev->cli_port = cport;
	ev->srv_port = sport;
	ev->start_ns = ev->last_ns = ts;
}

static void
tcp_seq(struct fx *f, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint8_t flags, uint64_t bytes, uint32_t seq)
{
	struct sess_obs o = mk(ts, 6, src, sport, dst, dport, flags, bytes);

	o.tcp_seq = seq;
	sess_table_observe(f->t, &o);
}

static void
tcp(struct fx *f, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint8_t flags, uint64_t bytes)
{
	tcp_seq(f, ts, src, sport, dst, dport, flags, bytes, 1000);
}

static void
udp(struct fx *f, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint64_t bytes)
{
	struct sess_obs o = mk(ts, 17, src, sport, dst, dport, 0, bytes);

	sess_table_observe(f->t, &o);
}

/* SYN, SYN-ACK, ACK from IP_C:cport to IP_S:sport, 1 ms apart. */
static void
handshake(struct fx *f, uint64_t ts, uint16_t cport, uint16_t sport,
    uint32_t seq)
{
	tcp_seq(f, ts, IP_C, cport, IP_S, sport, SYN, 0, seq);
	tcp_seq(f, ts + 1 * MS, IP_S, sport, IP_C, cport, SYN | ACK, 0, 5000);
	tcp(f, ts + 2 * MS, IP_C, cport, IP_S, sport, ACK, 0);
}

/* Client FIN, server FIN, client's last ACK, 1 ms apart from ts. */
static void
fin_close(struct fx *f, uint64_t ts, uint16_t cport, uint16_t sport)
{
	tcp(f, ts, IP_C, cport, IP_S, sport, FIN | ACK, 0);
	tcp(f, ts + 1 * MS, IP_S, sport, IP_C, cport, FIN | ACK, 0);
	tcp(f, ts + 2 * MS, IP_C, cport, IP_S, sport, ACK, 0);
}

static void
assert_ends(const struct sess_rec *r, uint32_t cli, uint16_t cport,
    uint32_t srv, uint16_t sport)
{
	uint8_t a[16];

	put_ip4(a, cli);
	assert_memory_equal(r->cli, a, 16);
	assert_int_equal(r->cli_port, cport);
	put_ip4(a, srv);
	assert_memory_equal(r->srv, a, 16);
	assert_int_equal(r->srv_port, sport);
}

static void
test_sess_table_create_rejects_bad_cfg(void **state)
{
	struct sess_table_cfg c;

	(void)state;
	fx_default_cfg(&c);
	c.max_sessions = 0;
	assert_null(sess_table_create(&c, collect, NULL));
	c.max_sessions = UINT32_MAX;
	assert_null(sess_table_create(&c, collect, NULL));
	sess_table_destroy(NULL);
}

static void
test_sess_table_names(void **state)
{
	(void)state;
	assert_string_equal(sess_status_name(SESS_ACTIVE), "active");
	assert_string_equal(sess_status_name(SESS_CLOSED), "closed");
	assert_string_equal(sess_status_name(SESS_FAILED), "failed");
	assert_string_equal(sess_status_name(SESS_REJECTED),
	    "rejected_by_acl");
	assert_null(sess_close_name(SESS_CLOSE_NONE));
	assert_string_equal(sess_close_name(SESS_CLOSE_FIN), "fin");
	assert_string_equal(sess_close_name(SESS_CLOSE_RST), "rst");
	assert_string_equal(sess_close_name(SESS_CLOSE_IDLE), "idle_timeout");
	assert_string_equal(sess_close_name(SESS_CLOSE_EVICTED), "evicted");
	assert_string_equal(sess_close_name(SESS_CLOSE_SHUTDOWN), "shutdown");
	assert_string_equal(sess_close_name(SESS_CLOSE_AGENT_LOST),
	    "agent_lost");
	assert_string_equal(sess_close_name(SESS_CLOSE_CAPTURE_END),
	    "capture_end");
	assert_null(sess_close_name(SESS_CLOSE_MAX));
}

/* The SYN sender is the client even when it has the lower port. */
static void
test_sess_table_orient_syn_sender_is_client(void **state)
{
	struct fx *f = *state;

	tcp(f, T0, IP_C, 80, IP_S, 40000, SYN, 0);
	tcp(f, T0 + MS, IP_S, 40000, IP_C, 80, SYN | ACK, 0);
	tcp(f, T0 + 2 * MS, IP_C, 80, IP_S, 40000, ACK, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 1);
	assert_ends(&f->recs[0], IP_C, 80, IP_S, 40000);
	assert_int_equal(f->recs[0].packets[0], 2);
	assert_int_equal(f->recs[0].packets[1], 1);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_CAPTURE_END);
}

/* Picked up at the SYN-ACK: its receiver is the client. */
static void
test_sess_table_orient_synack_first(void **state)
{
	struct fx *f = *state;

	tcp(f, T0, IP_S, 50000, IP_C, 80, SYN | ACK, 0);
	tcp(f, T0 + MS, IP_C, 80, IP_S, 50000, ACK, 0);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 1);
	assert_ends(&f->recs[0], IP_C, 80, IP_S, 50000);
	assert_int_equal(f->recs[0].packets[0], 1);
	assert_int_equal(f->recs[0].packets[1], 1);
	/* No client SYN seen: not a failed handshake. */
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
}

/* Without a SYN the side off the service ports is the client. */
static void
test_sess_table_orient_service_ports(void **state)
{
	struct fx *f = *state;

	sess_port_set(f->ports, 5000);
	sess_port_set(f->ports, 6000);
	assert_true(sess_port_isset(f->ports, 5000));
	assert_false(sess_port_isset(f->ports, 5001));
	f->cfg.service_ports = f->ports;
	fx_rebuild(f);

	/* Sender on the service port, higher than the receiver's. */
	udp(f, T0, IP_S, 5000, IP_C, 3000, 10);
	/* Mid-stream TCP from the service port. */
	tcp(f, T0 + 1 * MS, IP_S, 5000, IP_C, 2000, ACK, 10);
	/* Receiver on a service port, sender lower. */
	udp(f, T0 + 2 * MS, IP_C, 1000, IP_S, 6000, 10);
	/* Both on service ports: back to the higher port. */
	udp(f, T0 + 3 * MS, IP_C, 5000, IP_S, 6000, 10);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 4);
	assert_ends(&f->recs[0], IP_C, 3000, IP_S, 5000);
	assert_int_equal(f->recs[0].packets[1], 1);
	assert_ends(&f->recs[1], IP_C, 2000, IP_S, 5000);
	assert_int_equal(f->recs[1].proto, 6);
	assert_ends(&f->recs[2], IP_C, 1000, IP_S, 6000);
	assert_int_equal(f->recs[2].packets[0], 1);
	assert_ends(&f->recs[3], IP_S, 6000, IP_C, 5000);
}

/* Without a SYN or service ports: the higher (ephemeral) port. */
static void
test_sess_table_orient_higher_port(void **state)
{
	struct fx *f = *state;

	udp(f, T0, IP_S, 53, IP_C, 33333, 100);		/* reply first */
	udp(f, T0 + MS, IP_C, 33333, IP_S, 53, 30);
	tcp(f, T0 + 2 * MS, IP_S, 443, IP_C, 50000, ACK, 10); /* mid-stream */
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_ends(&f->recs[0], IP_C, 33333, IP_S, 53);
	assert_int_equal(f->recs[0].bytes[0], 30);
	assert_int_equal(f->recs[0].bytes[1], 100);
	assert_ends(&f->recs[1], IP_C, 50000, IP_S, 443);
}

/* Equal ports: the first sender is the client. */
static void
test_sess_table_orient_equal_ports(void **state)
{
	struct fx *f = *state;

	udp(f, T0, IP_S, 500, IP_C, 500, 7);
	udp(f, T0 + MS, IP_C, 500, IP_S, 500, 9);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 1);
	assert_ends(&f->recs[0], IP_S, 500, IP_C, 500);
	assert_int_equal(f->recs[0].bytes[0], 7);
	assert_int_equal(f->recs[0].bytes[1], 9);
}

static void
test_sess_table_counters_per_direction(void **state)
{
	struct fx *f = *state;
	struct sess_obs o;

	udp(f, T0, IP_C, 40000, IP_S, 53, 10);
	udp(f, T0 + 1 * MS, IP_S, 53, IP_C, 40000, 200);
	udp(f, T0 + 2 * MS, IP_C, 40000, IP_S, 53, 20);
	/* An aggregated delta: three packets at once. */
	o = mk(T0 + 3 * MS, 17, IP_S, 53, IP_C, 40000, 0, 300);
	o.packets = 3;
	o.wire_bytes = 1000;
	sess_table_observe(f->t, &o);
	sess_table_close_all(f->t, SESS_CLOSE_SHUTDOWN);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].packets[0], 2);
	assert_int_equal(f->recs[0].packets[1], 4);
	assert_int_equal(f->recs[0].bytes[0], 30);
	assert_int_equal(f->recs[0].bytes[1], 500);
	assert_int_equal(f->recs[0].wire_bytes[0], 10 + 28 + 20 + 28);
	assert_int_equal(f->recs[0].wire_bytes[1], 200 + 28 + 1000);
	assert_int_equal(f->recs[0].proto, 17);
	assert_int_equal(f->recs[0].af, 4);
	assert_int_equal(f->recs[0].start_ns, T0);
	assert_int_equal(f->recs[0].end_ns, T0 + 3 * MS);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_SHUTDOWN);
}

/* Agent, protocol and address family are part of the key. */
static void
test_sess_table_key_fields(void **state)
{
	struct fx *f = *state;
	struct sess_obs o = mk(T0, 17, IP_C, 40000, IP_S, 53, 0, 1);
	uint64_t h;

	/* Ids hash the agent's name, not its index (indexes can change
	 * between runs of an aggregator). */
	sess_table_set_agent_name(f->t, 0, "edge-a");
	sess_table_set_agent_name(f->t, 7, "edge-b");
	sess_table_observe(f->t, &o);
	o.agent = 7;
	sess_table_observe(f->t, &o);
	o.af = 6;
	sess_table_observe(f->t, &o);
	o = mk(T0, 6, IP_C, 40000, IP_S, 53, ACK, 1);
	sess_table_observe(f->t, &o);
	assert_int_equal(sess_table_count(f->t), 4);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 4);
	/* Same key, same hash; the agent's name changes it. */
	h = f->recs[0].key_hash;
	assert_int_equal(f->recs[0].agent, 0);
	assert_int_equal(f->recs[1].agent, 7);
	assert_int_not_equal(f->recs[1].key_hash, h);
}

static void
test_sess_table_ipv6(void **state)
{
	struct fx *f = *state;
	struct sess_obs o;
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	memset(&o, 0, sizeof(o));
	o.ts_ns = T0;
	o.af = 6;
	o.proto = 6;
	o.tcp_flags = SYN;
	o.sport = 443;		/* the SYN sender, lower port */
	o.dport = 60000;
	o.packets = 1;
	o.wire_bytes = 60;
	memcpy(o.src, a, 16);
	memcpy(o.dst, b, 16);
	sess_table_observe(f->t, &o);
	o.ts_ns += MS;
	o.tcp_flags = SYN | ACK;
	o.sport = 60000;
	o.dport = 443;
	memcpy(o.src, b, 16);
	memcpy(o.dst, a, 16);
	sess_table_observe(f->t, &o);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].af, 6);
	assert_memory_equal(f->recs[0].cli, a, 16);
	assert_memory_equal(f->recs[0].srv, b, 16);
	assert_int_equal(f->recs[0].cli_port, 443);
	assert_int_equal(f->recs[0].packets[1], 1);
}

/* Handshake, data, both FINs: closed by fin once the linger is over. */
static void
test_sess_table_tcp_fin_after_linger(void **state)
{
	struct fx *f = *state;
	uint64_t last;

	handshake(f, T0, 40000, 80, 1);
	tcp(f, T0 + 3 * MS, IP_C, 40000, IP_S, 80, ACK, 100);
	tcp(f, T0 + 4 * MS, IP_S, 80, IP_C, 40000, ACK, 1000);
	fin_close(f, T0 + 5 * MS, 40000, 80);
	/* A late ACK within the linger belongs to the same session. */
	last = T0 + 7 * MS + 4 * SEC;
	tcp(f, last, IP_C, 40000, IP_S, 80, ACK, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_expire(f->t, last + 5 * SEC - 1);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, last + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(sess_table_count(f->t), 0);
	assert_ends(&f->recs[0], IP_C, 40000, IP_S, 80);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].packets[0], 6);
	assert_int_equal(f->recs[0].packets[1], 3);
	assert_int_equal(f->recs[0].bytes[0], 100);
	assert_int_equal(f->recs[0].bytes[1], 1000);
	assert_int_equal(f->recs[0].start_ns, T0);
	assert_int_equal(f->recs[0].end_ns, last);
}

/* A packet after the linger starts a new (mid-stream) session. */
static void
test_sess_table_tcp_packet_after_linger(void **state)
{
	struct fx *f = *state;

	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	tcp(f, T0 + 5 * MS + 5 * SEC, IP_S, 80, IP_C, 40000, ACK, 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].end_ns, T0 + 5 * MS);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_CAPTURE_END);
	assert_ends(&f->recs[1], IP_C, 40000, IP_S, 80);
}

/* One FIN is not a close: the session waits for the TCP idle timeout. */
static void
test_sess_table_tcp_half_close_idles(void **state)
{
	struct fx *f = *state;

	handshake(f, T0, 40000, 80, 1);
	tcp(f, T0 + 3 * MS, IP_C, 40000, IP_S, 80, FIN | ACK, 0);
	sess_table_expire(f->t, T0 + 3 * MS + 299 * SEC);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, T0 + 3 * MS + 300 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
}

static void
test_sess_table_tcp_syn_refused_by_rst(void **state)
{
	struct fx *f = *state;

	tcp(f, T0, IP_C, 40000, IP_S, 81, SYN, 0);
	tcp(f, T0 + MS, IP_S, 81, IP_C, 40000, RST | ACK, 0);
	sess_table_expire(f->t, T0 + MS + 5 * SEC - 1);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, T0 + MS + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_ends(&f->recs[0], IP_C, 40000, IP_S, 81);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
	assert_int_equal(f->recs[0].packets[0], 1);
	assert_int_equal(f->recs[0].packets[1], 1);
}

/* SYN scan: SYN, SYN-ACK, client RST. The handshake never completed. */
static void
test_sess_table_tcp_half_open_reset(void **state)
{
	struct fx *f = *state;

	tcp(f, T0, IP_C, 40000, IP_S, 22, SYN, 0);
	tcp(f, T0 + MS, IP_S, 22, IP_C, 40000, SYN | ACK, 0);
	tcp(f, T0 + 2 * MS, IP_C, 40000, IP_S, 22, RST, 0);
	sess_table_expire(f->t, T0 + 2 * MS + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
}

/* SYN never answered: failed by the handshake timeout; retransmits join. */
static void
test_sess_table_tcp_syn_unanswered(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	tcp_seq(f, T0, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	tcp_seq(f, T0 + 1 * SEC, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	tcp_seq(f, T0 + 3 * SEC, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_expire(f->t, T0 + 33 * SEC - 1);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, T0 + 33 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	assert_int_equal(f->recs[0].packets[0], 3);
	assert_int_equal(f->recs[0].packets[1], 0);
	assert_int_equal(f->recs[0].end_ns, T0 + 3 * SEC);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.port_reuse, 0);
	assert_int_equal(st.status[SESS_FAILED], 1);
	assert_int_equal(st.closed[SESS_CLOSE_IDLE], 1);
}

/* The handshake timeout, not the open-connection one, applies. */
static void
test_sess_table_tcp_syn_timeout_by_packet(void **state)
{
	struct fx *f = *state;

	tcp_seq(f, T0, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	tcp_seq(f, T0 + 30 * SEC - 1, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	assert_int_equal(f->n, 0);
	tcp_seq(f, T0 + 60 * SEC - 1, IP_C, 40000, IP_S, 80, SYN, 0, 77);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].packets[0], 2);
	assert_int_equal(sess_table_count(f->t), 1);
}

static void
test_sess_table_tcp_rst_after_fins(void **state)
{
	struct fx *f = *state;

	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	tcp(f, T0 + 10 * MS, IP_C, 40000, IP_S, 80, RST, 0);
	sess_table_expire(f->t, T0 + 10 * MS + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
	assert_int_equal(f->recs[0].packets[0], 5);
	assert_int_equal(f->recs[0].packets[1], 2);
}

static void
test_sess_table_tcp_rst_open_session(void **state)
{
	struct fx *f = *state;

	handshake(f, T0, 40000, 80, 1);
	tcp(f, T0 + 3 * MS, IP_C, 40000, IP_S, 80, ACK, 500);
	tcp(f, T0 + 4 * MS, IP_S, 80, IP_C, 40000, RST | ACK, 0);
	sess_table_expire(f->t, T0 + 4 * MS + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
}

/* A new SYN on a finished session is a new connection on the same ports. */
static void
test_sess_table_tcp_port_reuse_after_fin(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	handshake(f, T0 + 1 * SEC, 40000, 80, 9999);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].end_ns, T0 + 5 * MS);
	assert_int_equal(f->recs[0].packets[0], 4);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.port_reuse, 1);
	assert_int_equal(st.created, 2);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].start_ns, T0 + 1 * SEC);
	assert_int_equal(f->recs[1].packets[0], 2);
	assert_int_equal(f->recs[1].packets[1], 1);
	assert_int_equal(f->recs[1].status, SESS_CLOSED);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_CAPTURE_END);
	/* Same key, different start: distinct session ids. */
	assert_int_equal(f->recs[0].key_hash, f->recs[1].key_hash);
	assert_int_not_equal(f->recs[0].start_ns, f->recs[1].start_ns);
}

static void
test_sess_table_tcp_port_reuse_after_rst(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	tcp_seq(f, T0, IP_C, 40000, IP_S, 81, SYN, 0, 1);
	tcp(f, T0 + MS, IP_S, 81, IP_C, 40000, RST | ACK, 0);
	tcp_seq(f, T0 + 2 * MS, IP_C, 40000, IP_S, 81, SYN, 0, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.port_reuse, 1);
	assert_int_equal(sess_table_count(f->t), 1);
}

/* Retransmitted SYNs (same sequence number) stay in their session. */
static void
test_sess_table_tcp_syn_retransmit(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	tcp_seq(f, T0, IP_C, 40000, IP_S, 80, SYN, 0, 42);
	tcp_seq(f, T0 + 1 * SEC, IP_C, 40000, IP_S, 80, SYN, 0, 42);
	tcp_seq(f, T0 + 1 * SEC + MS, IP_S, 80, IP_C, 40000, SYN | ACK, 0, 7);
	tcp(f, T0 + 1 * SEC + 2 * MS, IP_C, 40000, IP_S, 80, ACK, 0);
	/* A duplicate of the first SYN arriving late. */
	tcp_seq(f, T0 + 1 * SEC + 3 * MS, IP_C, 40000, IP_S, 80, SYN, 0, 42);
	assert_int_equal(f->n, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.port_reuse, 0);
	assert_int_equal(st.created, 1);

	/* Another initial sequence number on an open one: a new connection. */
	tcp_seq(f, T0 + 2 * SEC, IP_C, 40000, IP_S, 80, SYN, 0, 4242);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].packets[0], 4);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(sess_table_count(f->t), 1);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.created, 2);
}

/* A SYN from the server side of an existing session starts a new one. */
static void
test_sess_table_tcp_syn_from_server_side(void **state)
{
	struct fx *f = *state;

	handshake(f, T0, 40000, 80, 1);
	tcp(f, T0 + 3 * MS, IP_C, 40000, IP_S, 80, ACK, 10);
	tcp(f, T0 + 1 * SEC, IP_S, 80, IP_C, 40000, SYN, 0);
	assert_int_equal(f->n, 1);
	assert_ends(&f->recs[0], IP_C, 40000, IP_S, 80);
	assert_int_equal(f->recs[0].packets[0], 3);
	assert_int_equal(f->recs[0].end_ns, T0 + 3 * MS);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_ends(&f->recs[1], IP_S, 80, IP_C, 40000);
	assert_int_equal(f->recs[1].packets[0], 1);
	assert_int_equal(f->recs[1].start_ns, T0 + 1 * SEC);
}

/* A packet exactly one timeout after the last one starts a new session. */
static void
test_sess_table_udp_idle_exact(void **state)
{
	struct fx *f = *state;
	uint64_t t1 = T0 + 60 * SEC - 1, t2 = t1 + 60 * SEC;

	udp(f, T0, IP_C, 40000, IP_S, 53, 1);
	udp(f, t1, IP_S, 53, IP_C, 40000, 1);
	assert_int_equal(f->n, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	udp(f, t2, IP_C, 40000, IP_S, 53, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[0].start_ns, T0);
	assert_int_equal(f->recs[0].end_ns, t1);
	assert_int_equal(f->recs[0].packets[0], 1);
	assert_int_equal(f->recs[0].packets[1], 1);
	assert_int_equal(sess_table_count(f->t), 1);

	/* The same boundary through expire. */
	sess_table_expire(f->t, t2 + 60 * SEC - 1);
	assert_int_equal(f->n, 1);
	sess_table_expire(f->t, t2 + 60 * SEC);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].start_ns, t2);
	assert_int_equal(f->recs[1].end_ns, t2);
	assert_int_equal(sess_table_count(f->t), 0);
}

/* Sessions idle out with sess_table_expire alone, each by its class. */
static void
test_sess_table_expire_without_packets(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	udp(f, T0, IP_C, 40000, IP_S, 53, 1);
	handshake(f, T0, 40001, 443, 1);
	sess_table_expire(f->t, T0 + 60 * SEC - 1);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, T0 + 60 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].proto, 17);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	sess_table_expire(f->t, T0 + 2 * MS + 300 * SEC - 1);
	assert_int_equal(f->n, 1);
	/* An earlier now changes nothing: time only moves forward. */
	sess_table_expire(f->t, T0);
	assert_int_equal(f->n, 1);
	sess_table_expire(f->t, T0 + 2 * MS + 300 * SEC);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].proto, 6);
	assert_int_equal(f->recs[1].status, SESS_CLOSED);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_IDLE);
	assert_int_equal(sess_table_count(f->t), 0);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.active_peak, 2);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.closed[SESS_CLOSE_IDLE], 2);
	assert_int_equal(st.status[SESS_CLOSED], 2);
}

/*
 * The recency lists are ordered to about a second, so a sweep may leave a
 * session up to that long past its timeout; it must not be longer.
 */
static void
test_sess_table_expire_lag_bounded(void **state)
{
	struct fx *f = *state;
	uint64_t base = (T0 >> 30 << 30) + (1ULL << 30);  /* a tick start */

	udp(f, base + 100 * MS, IP_C, 1000, IP_S, 53, 1);
	udp(f, base + 200 * MS, IP_C, 2000, IP_S, 53, 1);
	udp(f, base + 900 * MS, IP_C, 1000, IP_S, 53, 1);
	sess_table_expire(f->t, base + 200 * MS + 60 * SEC + 1100 * MS);
	assert_int_equal(f->n, 2);
	assert_int_equal(sess_table_count(f->t), 0);
}

/* A full table evicts the least recently active session, any class. */
static void
test_sess_table_evict_lru(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	f->cfg.max_sessions = 4;
	f->cfg.udp_idle_ns = 3600 * SEC;
	f->cfg.tcp_idle_ns = 3600 * SEC;
	f->cfg.tcp_syn_ns = 3600 * SEC;
	fx_rebuild(f);
	handshake(f, T0, 40000, 80, 1);			/* TCP, oldest */
	udp(f, T0 + 10 * SEC, IP_C, 1001, IP_S, 53, 1);
	udp(f, T0 + 20 * SEC, IP_C, 1002, IP_S, 53, 1);
	udp(f, T0 + 30 * SEC, IP_C, 1003, IP_S, 53, 1);
	tcp(f, T0 + 40 * SEC, IP_S, 80, IP_C, 40000, ACK, 5);	/* touch */
	assert_int_equal(f->n, 0);
	udp(f, T0 + 50 * SEC, IP_C, 1004, IP_S, 53, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].cli_port, 1001);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_EVICTED);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	udp(f, T0 + 60 * SEC, IP_C, 1002, IP_S, 53, 1);		/* touch */
	udp(f, T0 + 70 * SEC, IP_C, 1005, IP_S, 53, 1);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].cli_port, 1003);
	tcp(f, T0 + 80 * SEC, IP_C, 40001, IP_S, 80, SYN, 0);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->recs[2].cli_port, 40000);
	assert_int_equal(f->recs[2].proto, 6);
	assert_int_equal(f->recs[2].packets[1], 2);
	assert_int_equal(sess_table_count(f->t), 4);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.closed[SESS_CLOSE_EVICTED], 3);
	assert_int_equal(st.created, 7);
	assert_int_equal(st.active, 4);
	assert_int_equal(st.active_peak, 4);
}

/* A session past its timeout is not "evicted": it had idled out. */
static void
test_sess_table_evict_prefers_idle_reason(void **state)
{
	struct fx *f = *state;

	f->cfg.max_sessions = 2;
	fx_rebuild(f);
	udp(f, T0, IP_C, 1001, IP_S, 53, 1);
	udp(f, T0 + 59 * SEC + 500 * MS, IP_C, 1002, IP_S, 53, 1);
	/* Past the first one's timeout, before the next sweep. */
	udp(f, T0 + 60 * SEC + 200 * MS, IP_C, 1003, IP_S, 53, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].cli_port, 1001);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
}

/* close_all names how open sessions end; finished TCP keeps fin/rst. */
static void
test_sess_table_close_all_keeps_fin_rst(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	handshake(f, T0, 40001, 80, 1);
	fin_close(f, T0 + 3 * MS, 40001, 80);
	handshake(f, T0 + 1 * SEC, 40002, 80, 1);
	tcp(f, T0 + 1 * SEC + 3 * MS, IP_S, 80, IP_C, 40002, RST, 0);
	handshake(f, T0 + 2 * SEC, 40003, 80, 1);
	udp(f, T0 + 3 * SEC, IP_C, 40004, IP_S, 53, 1);
	tcp(f, T0 + 4 * SEC, IP_C, 40005, IP_S, 80, SYN, 0);
	assert_int_equal(f->n, 0);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 5);
	assert_int_equal(sess_table_count(f->t), 0);
	assert_int_equal(f->recs[0].cli_port, 40001);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].status, SESS_CLOSED);
	assert_int_equal(f->recs[1].cli_port, 40002);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_RST);
	assert_int_equal(f->recs[1].status, SESS_CLOSED);
	assert_int_equal(f->recs[2].cli_port, 40003);
	assert_int_equal(f->recs[2].reason, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->recs[2].status, SESS_CLOSED);
	assert_int_equal(f->recs[3].cli_port, 40004);
	assert_int_equal(f->recs[3].reason, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->recs[4].cli_port, 40005);
	assert_int_equal(f->recs[4].reason, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->recs[4].status, SESS_FAILED);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.closed[SESS_CLOSE_CAPTURE_END], 3);
	assert_int_equal(st.closed[SESS_CLOSE_FIN], 1);
	assert_int_equal(st.closed[SESS_CLOSE_RST], 1);

	/* The table is usable afterwards, and shutdown works alike. */
	udp(f, T0 + 5 * SEC, IP_C, 40004, IP_S, 53, 1);
	sess_table_close_all(f->t, SESS_CLOSE_SHUTDOWN);
	assert_int_equal(f->n, 6);
	assert_int_equal(f->recs[5].reason, SESS_CLOSE_SHUTDOWN);
	sess_table_close_all(f->t, SESS_CLOSE_SHUTDOWN);
	assert_int_equal(f->n, 6);
}

/*
 * At the end of a capture, a session whose timeout had passed by the last
 * packet's time had idled out; it was not open at the end.
 */
static void
test_sess_table_close_all_idle_before_end(void **state)
{
	struct fx *f = *state;

	udp(f, T0, IP_C, 1001, IP_S, 53, 1);
	udp(f, T0 + 59 * SEC + 500 * MS, IP_C, 1002, IP_S, 53, 1);
	udp(f, T0 + 60 * SEC + 200 * MS, IP_C, 1002, IP_S, 53, 1);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[0].cli_port, 1001);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	assert_int_equal(f->recs[1].cli_port, 1002);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_CAPTURE_END);
}

/* Out-of-order timestamps: start is the least, end the greatest. */
static void
test_sess_table_time_backwards(void **state)
{
	struct fx *f = *state;

	udp(f, T0 + 10 * SEC, IP_C, 40000, IP_S, 53, 1);
	udp(f, T0 + 5 * SEC, IP_S, 53, IP_C, 40000, 2);
	udp(f, T0 + 12 * SEC, IP_C, 40000, IP_S, 53, 3);
	/* Far in the past: older than the timeout, still no new session. */
	udp(f, T0 - 1000 * SEC, IP_S, 53, IP_C, 40000, 4);
	assert_int_equal(f->n, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	/* A new flow that starts before the table's clock. */
	udp(f, T0, IP_C, 40001, IP_S, 53, 1);
	assert_int_equal(sess_table_count(f->t), 2);
	/* A packet of it 60 s after its own last one: a new session. */
	udp(f, T0 + 60 * SEC, IP_C, 40001, IP_S, 53, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].cli_port, 40001);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	assert_int_equal(f->recs[0].start_ns, T0);
	assert_int_equal(f->recs[0].end_ns, T0);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->recs[1].start_ns, T0 - 1000 * SEC);
	assert_int_equal(f->recs[1].end_ns, T0 + 12 * SEC);
	assert_int_equal(f->recs[1].packets[0], 2);
	assert_int_equal(f->recs[1].packets[1], 2);
	assert_int_equal(f->recs[1].bytes[1], 6);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->recs[2].start_ns, T0 + 60 * SEC);
}

/* Zero and tiny timestamps do not confuse the sweep. */
static void
test_sess_table_epoch_zero(void **state)
{
	struct fx *f = *state;

	udp(f, 0, IP_C, 40000, IP_S, 53, 1);
	udp(f, 1, IP_S, 53, IP_C, 40000, 1);
	sess_table_expire(f->t, 60 * SEC);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, 60 * SEC + 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].start_ns, 0);
	assert_int_equal(f->recs[0].end_ns, 1);
}

/* Stress: random traffic over many flows, checked by conservation. */
struct stress {
	uint64_t	closed, packets, bytes, wire;
	uint64_t	bad;
};

static void
stress_close(void *arg, const struct sess_rec *r)
{
	struct stress *s = arg;

	s->closed++;
	s->packets += r->packets[0] + r->packets[1];
	s->bytes += r->bytes[0] + r->bytes[1];
	s->wire += r->wire_bytes[0] + r->wire_bytes[1];
	if (r->start_ns > r->end_ns || r->reason == SESS_CLOSE_NONE ||
	    r->reason >= SESS_CLOSE_MAX || r->status == SESS_ACTIVE ||
	    r->status >= SESS_STATUS_MAX ||
	    r->packets[0] + r->packets[1] == 0)
		s->bad++;
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void
test_sess_table_stress_random(void **state)
{
	static const uint8_t flagset[] = { SYN, SYN | ACK, ACK, ACK, ACK,
	    FIN | ACK, RST, RST | ACK };
	struct sess_table_cfg cfg;
	struct sess_table_stats st;
	struct sess_table *t;
	struct stress s;
	uint64_t rng = 0x9e3779b97f4a7c15ULL, ts = T0, packets = 0;
	uint64_t bytes = 0, wire = 0, closed_sum = 0;
	const uint32_t max = 100000, nflows = 160000, nobs = 400000;
	uint32_t i;
	int c;

	(void)state;
	memset(&s, 0, sizeof(s));
	fx_default_cfg(&cfg);
	cfg.max_sessions = max;
	t = sess_table_create(&cfg, stress_close, &s);
	assert_non_null(t);
	for (i = 0; i < nobs; i++) {
		uint64_t r = xorshift(&rng);
		uint32_t flow = (uint32_t)(r % nflows);
		struct sess_obs o;
		uint32_t a = 0x0a000000u | flow, b = 0xc0a80001u;
		uint16_t pa = (uint16_t)(1024 + flow % 60000), pb = 443;
		uint8_t proto = flow % 3 == 0 ? 17 : 6;

		/* Mostly forward in time, sometimes a little back. */
		if ((r >> 20) % 50 == 0)
			ts -= (r >> 24) % (20 * MS);
		else
			ts += (r >> 24) % (1 * MS);
		if ((r >> 32) & 1)
			o = mk(ts, proto, a, pa, b, pb, 0, 0);
		else
			o = mk(ts, proto, b, pb, a, pa, 0, 0);
		if (proto == 6)
			o.tcp_flags = flagset[(r >> 40) % sizeof(flagset)];
		o.tcp_seq = (uint32_t)((r >> 44) % 3);
		o.packets = 1 + (uint32_t)((r >> 50) % 3);
		o.bytes = (r >> 52) % 1500;
		o.wire_bytes = o.bytes + 40 * o.packets;
		sess_table_observe(t, &o);
		packets += o.packets;
		bytes += o.bytes;
		wire += o.wire_bytes;
		if (sess_table_count(t) > max)
			fail_msg("count %zu > max %u", sess_table_count(t),
			    max);
		if (i % 5000 == 0)
			sess_table_expire(t, ts);
	}
	sess_table_get_stats(t, &st);
	assert_true(st.closed[SESS_CLOSE_EVICTED] > 0);
	assert_true(st.closed[SESS_CLOSE_IDLE] > 0);
	assert_true(st.port_reuse > 0);
	assert_int_equal(st.active_peak, max);
	sess_table_close_all(t, SESS_CLOSE_SHUTDOWN);
	assert_int_equal(sess_table_count(t), 0);
	sess_table_get_stats(t, &st);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.packets, packets);
	assert_int_equal(s.bytes, bytes);
	assert_int_equal(s.wire, wire);
	assert_int_equal(st.created, s.closed);
	for (c = 0; c < SESS_CLOSE_MAX; c++)
		closed_sum += st.closed[c];
	assert_int_equal(closed_sum, s.closed);
	assert_int_equal(st.active, 0);

	/* Reuse of freed entries after a full drain. */
	for (i = 0; i < 1000; i++) {
		struct sess_obs o = mk(ts + SEC, 17, 0x0b000000u | i, 5000,
		    IP_S, 53, 0, 1);

		sess_table_observe(t, &o);
	}
	assert_int_equal(sess_table_count(t), 1000);
	sess_table_destroy(t);
}

/*
 * An agent's share (agent_max_sessions): past it its new sessions are
 * refused (-EDQUOT, nothing changed, counted) while its open ones still
 * take events and another agent still opens sessions; a close frees
 * room. Counters from agents saturate instead of wrapping.
 */
static void
test_sess_table_agent_share(void **state)
{
	struct fx *f = *state;
	struct sess_event ev;
	struct sess_table_stats st;
	int i;

	f->cfg.agent_max_sessions = 3;
	fx_rebuild(f);
	ev_init(&ev, 17, 0, 53, T0);
	ev.last_ns = T0 + SEC;
	ev.agent = 1;
	for (i = 0; i < 5; i++) {
		ev.cli_port = (uint16_t)(1000 + i);
		assert_int_equal(sess_table_apply(f->t, &ev), i < 3 ? 1 :
		    -EDQUOT);
	}
	assert_int_equal(sess_table_agent_sessions(f->t, 1), 3);
	assert_int_equal(sess_table_count(f->t), 3);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.share_refused, 2);
	/* An open one still counts; another agent still opens. */
	ev.cli_port = 1000;
	ev.bytes[0] = UINT64_MAX - 5;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	ev.bytes[0] = 100;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	ev.agent = 2;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(sess_table_agent_sessions(f->t, 2), 1);
	/* A close makes room for agent 1 again. */
	ev.agent = 1;
	ev.close = 1;
	ev.status = SESS_CLOSED;
	ev.reason = SESS_CLOSE_FIN;
	ev.bytes[0] = 0;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(f->n, 1);
	assert_true(f->recs[0].bytes[0] == UINT64_MAX);
	assert_int_equal(sess_table_agent_sessions(f->t, 1), 2);
	ev.close = 0;
	ev.cli_port = 2000;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(sess_table_agent_sessions(f->t, 1), 3);
}

/*
 * Agents' clocks (with agent_max_sessions, the aggregator's table): a
 * session idles out by its own agent's clock alone, moved by
 * sess_table_agent_clock, never by the time of an event: not by another
 * agent's (a replay of last year beside a live agent), nor by a later
 * event of the same report whose own session's news comes after it.
 */
static void
test_sess_table_agent_clocks(void **state)
{
	struct fx *f = *state;
	struct sess_event a, b;

	f->cfg.agent_max_sessions = 10;
	fx_rebuild(f);
	ev_init(&a, 17, 1000, 53, T0);		/* agent 1, UDP, 60 s idle */
	a.agent = 1;
	a.last_ns = T0 + SEC;
	assert_int_equal(sess_table_apply(f->t, &a), 1);
	sess_table_agent_clock(f->t, 1, T0 + SEC);
	/* Agent 2 lives a day later: agent 1's session stays. */
	ev_init(&b, 17, 2000, 53, T0 + 86400 * SEC);
	b.agent = 2;
	b.last_ns = b.start_ns;
	assert_int_equal(sess_table_apply(f->t, &b), 1);
	sess_table_agent_clock(f->t, 2, b.last_ns);
	assert_int_equal(sess_table_count(f->t), 2);
	assert_int_equal(f->n, 0);
	/* One report of agent 1: another session 100 s on, then this one's
	 * news at 50 s. Neither closes; the clock then moves to 100 s. */
	b = a;
	b.cli_port = 1001;
	b.start_ns = T0 + 100 * SEC;
	b.last_ns = b.start_ns;
	assert_int_equal(sess_table_apply(f->t, &b), 1);
	a.last_ns = T0 + 50 * SEC;
	assert_int_equal(sess_table_apply(f->t, &a), 1);
	assert_int_equal(f->n, 0);
	sess_table_agent_clock(f->t, 1, T0 + 100 * SEC);
	assert_int_equal(sess_table_count(f->t), 3);
	assert_int_equal(f->n, 0);
	/* Past both timeouts by agent 1's clock: its two sessions go, each
	 * with the end its agent gave it; agent 2's stays. */
	sess_table_agent_clock(f->t, 1, T0 + 161 * SEC);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[0].cli_port + f->recs[1].cli_port, 2001);
	assert_int_equal(f->recs[0].end_ns + f->recs[1].end_ns,
	    2 * T0 + 150 * SEC);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	assert_int_equal(f->recs[1].reason, SESS_CLOSE_IDLE);
	assert_int_equal(sess_table_count(f->t), 1);
	/* A clock never goes back; agent 2's session goes by its own. */
	sess_table_agent_clock(f->t, 2, T0);
	assert_int_equal(f->n, 2);
	sess_table_agent_clock(f->t, 2, T0 + 86400 * SEC + 61 * SEC);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->recs[2].cli_port, 2000);
	assert_int_equal(sess_table_count(f->t), 0);
	/* A new boot of agent 2 (its sessions closed) replays earlier
	 * packets, and agent 1's index goes to another agent: each one's
	 * time starts again, so nothing of theirs is closed by the old. */
	sess_table_close_agent(f->t, 2, SESS_CLOSE_AGENT_LOST);
	sess_table_set_agent_name(f->t, 1, "another");
	for (a.agent = 1; a.agent <= 2; a.agent++) {
		a.cli_port = (uint16_t)(3000 + a.agent);
		a.start_ns = T0;
		a.last_ns = T0 + SEC;
		assert_int_equal(sess_table_apply(f->t, &a), 1);
		sess_table_agent_clock(f->t, a.agent, a.last_ns);
	}
	assert_int_equal(f->n, 3);
	assert_int_equal(sess_table_count(f->t), 2);
}

/*
 * The aggregator side: oriented events with deltas add up, a close ends
 * the session with the agent's reason and status, drain reports what
 * changed once, and no_create leaves alone a session not open here.
 */
static void
test_sess_table_apply_events(void **state)
{
	struct fx *f = *state;
	struct sess_event ev;

	ev_init(&ev, 6, 40000, 443, T0);
	ev.last_ns = T0 + SEC;
	ev.packets[0] = 3;
	ev.packets[1] = 2;
	ev.bytes[0] = 100;
	ev.bytes[1] = 900;
	ev.no_create = 1;
	assert_int_equal(sess_table_apply(f->t, &ev), 0);
	assert_int_equal(sess_table_count(f->t), 0);
	ev.no_create = 0;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	ev.last_ns = T0 + 2 * SEC;
	ev.no_create = 1;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(sess_table_count(f->t), 1);
	ev.close = 1;
	ev.status = SESS_FAILED;
	ev.reason = SESS_CLOSE_RST;
	ev.packets[0] = 1;
	ev.packets[1] = 0;
	ev.bytes[0] = ev.bytes[1] = 0;
	ev.last_ns = T0 + 3 * SEC;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(sess_table_count(f->t), 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].packets[0], 7);
	assert_int_equal(f->recs[0].packets[1], 4);
	assert_int_equal(f->recs[0].bytes[1], 1800);
	assert_int_equal(f->recs[0].start_ns, T0);
	assert_int_equal(f->recs[0].end_ns, T0 + 3 * SEC);
	assert_int_equal(f->recs[0].status, SESS_FAILED);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_RST);
	assert_int_equal(f->recs[0].reported, 0);
}

/*
 * Counters are packed in the entry (44 bits of bytes, 40 of packets):
 * sums that outgrow them move to 64 bits on the heap, exact, and an
 * agent's sums saturate at 2^64 - 1 rather than wrap. Drained with reset,
 * a widened session starts again packed; nothing leaks (ASan).
 */
static void
test_sess_table_counters_wide(void **state)
{
	struct fx *f = *state;
	struct sess_event ev;
	struct sess_obs o;
	const uint64_t big = (UINT64_C(1) << 44) - 5;
	int k;

	ev_init(&ev, 17, 5000, 53, T0);
	ev.bytes[0] = big;
	ev.wire_bytes[1] = big;
	ev.packets[1] = (UINT64_C(1) << 40) - 1;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	/* Still packed: the packet counter is full to its last value. */
	for (k = 0; k < 3; k++) {
		ev.bytes[0] = 3;
		ev.wire_bytes[1] = 1;
		ev.packets[1] = 0;
		ev.last_ns = T0 + (uint64_t)(k + 1) * SEC;
		assert_int_equal(sess_table_apply(f->t, &ev), 1);
	}
	/* 2^44 - 5 + 9 does not fit: widened. */
	ev.bytes[0] = 0;
	ev.wire_bytes[1] = 0;
	ev.packets[1] = 2;
	ev.packets[0] = UINT64_MAX - 1;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	ev.packets[0] = 7;			/* saturates */
	ev.packets[1] = 0;
	ev.close = 1;
	ev.reason = SESS_CLOSE_IDLE;
	ev.status = SESS_CLOSED;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(f->n, 1);
	assert_true(f->recs[0].bytes[0] == big + 9);
	assert_true(f->recs[0].wire_bytes[1] == big + 3);
	assert_true(f->recs[0].packets[1] == (UINT64_C(1) << 40) + 1);
	assert_true(f->recs[0].packets[0] == UINT64_MAX);

	/* A capture's own sums wrap nowhere either: one observation of
	 * 2^44 bytes, then more, on a UDP flow, reported by close_all. */
	o = mk(T0, 17, IP_C, 6000, IP_S, 53, 0, UINT64_C(1) << 44);
	sess_table_observe(f->t, &o);
	o = mk(T0 + MS, 17, IP_S, 53, IP_C, 6000, 0, 10);
	sess_table_observe(f->t, &o);
	o = mk(T0 + 2 * MS, 17, IP_C, 6000, IP_S, 53, 0, 1);
	sess_table_observe(f->t, &o);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	assert_true(f->recs[1].bytes[0] == (UINT64_C(1) << 44) + 1);
	assert_true(f->recs[1].wire_bytes[0] == (UINT64_C(1) << 44) + 1 + 56);
	assert_int_equal(f->recs[1].packets[0], 2);
	assert_int_equal(f->recs[1].bytes[1], 10);
	assert_int_equal(f->recs[1].packets[1], 1);
}

/* Reported reset (the agent's drain): a widened session's next report
 * counts from zero again, packed. */
static void
drain_keep(void *arg, const struct sess_rec *r, int opened,
    const uint8_t seen[2])
{
	struct fx *f = arg;

	(void)opened;
	(void)seen;
	collect(f, r);
}

static void
test_sess_table_counters_drain_reset(void **state)
{
	struct fx *f = *state;
	struct sess_obs o;

	o = mk(T0, 17, IP_C, 6000, IP_S, 53, 0, (UINT64_C(1) << 44) + 7);
	sess_table_observe(f->t, &o);
	sess_table_drain(f->t, drain_keep, f, 1);
	o = mk(T0 + MS, 17, IP_C, 6000, IP_S, 53, 0, 5);
	sess_table_observe(f->t, &o);
	sess_table_drain(f->t, drain_keep, f, 1);
	assert_int_equal(f->n, 2);
	assert_true(f->recs[0].bytes[0] == (UINT64_C(1) << 44) + 7);
	assert_int_equal(f->recs[1].bytes[0], 5);
	assert_int_equal(f->recs[1].packets[0], 1);
}

/*
 * Addresses: IPv4 pairs live in the entry, IPv6 pairs (and an agent's
 * IPv4 event with stray bytes after the address) in the pool; each comes
 * back exactly, the two forms of one IPv4 address are different
 * sessions, and pool slots are reused after closes.
 */
static void
test_sess_table_addresses(void **state)
{
	struct fx *f = *state;
	struct sess_obs o;
	struct sess_event ev;
	size_t i;
	int round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 100; i++) {
			o = mk(T0 + (uint64_t)round * 100 * SEC, 17, IP_C,
			    (uint16_t)(7000 + i), IP_S, 53, 0, i);
			o.af = 6;
			o.src[15] = (uint8_t)i;
			o.dst[0] = 0x20;
			o.dst[1] = 0x01;
			sess_table_observe(f->t, &o);
		}
		/* Every one idles out at the next round's first packet. */
	}
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 300);
	for (i = 0; i < f->n; i++) {
		assert_int_equal(f->recs[i].af, 6);
		assert_int_equal(f->recs[i].cli[0], 10);
		assert_int_equal(f->recs[i].cli[15],
		    (uint8_t)(f->recs[i].cli_port - 7000));
		assert_int_equal(f->recs[i].srv[0], 0x20);
		assert_int_equal(f->recs[i].srv[1], 0x01);
		assert_int_equal(f->recs[i].bytes[0], f->recs[i].cli_port - 7000);
	}

	f->n = 0;
	ev_init(&ev, 6, 40000, 443, T0);
	ev.packets[0] = 1;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	ev.cli[9] = 0xee;		/* stray byte: another session */
	ev.packets[0] = 2;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(sess_table_count(f->t), 2);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(f->recs[i].cli[9],
		    f->recs[i].packets[0] == 2 ? 0xee : 0);
}

/* ------------------------------------------------------------------ */
/* TIME_WAIT: one connection, one session                               */
/* ------------------------------------------------------------------ */

struct amends {
	struct sess_rec	r[16];
	size_t		n;
};

static void
collect_amend(void *arg, const struct sess_rec *r)
{
	struct amends *a = arg;

	assert_true(a->n < 16);
	a->r[a->n++] = *r;
}

/* The fixture's table again with TIME_WAIT: ttl seconds, max entries. */
static void
fx_time_wait(struct fx *f, uint64_t ttl, uint32_t max, int hold,
    struct amends *a)
{
	f->cfg.tcp_time_wait_ns = ttl * SEC;
	f->cfg.time_wait_max = max;
	f->cfg.time_wait_hold = (uint8_t)hold;
	fx_rebuild(f);
	if (a != NULL) {
		memset(a, 0, sizeof(*a));
		sess_table_set_amend_cb(f->t, collect_amend, a);
	}
}

/*
 * Agent: the session is reported at its close as before; a packet after
 * the linger (the server's retransmitted FIN-ACK, then a lone RST) is an
 * amendment of that session, with its identity, its reported end and the
 * packet's direction and counters, not a new session.
 */
static void
test_sess_table_time_wait_amends(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;
	struct amends a;

	fx_time_wait(f, 120, 64, 0, &a);
	handshake(f, T0, 40000, 80, 1);
	tcp(f, T0 + 3 * MS, IP_C, 40000, IP_S, 80, ACK, 100);
	fin_close(f, T0 + 4 * MS, 40000, 80);
	sess_table_expire(f->t, T0 + 6 * MS + 5 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].amend_ns, 0);

	tcp(f, T0 + 7 * SEC, IP_S, 80, IP_C, 40000, FIN | ACK, 0);
	tcp(f, T0 + 8 * SEC, IP_C, 40000, IP_S, 80, RST, 0);
	tcp(f, T0 + 8 * SEC, IP_C, 40000, IP_S, 80, RST, 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(sess_table_count(f->t), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.r[0].key_hash, f->recs[0].key_hash);
	assert_int_equal(a.r[0].start_ns, f->recs[0].start_ns);
	assert_int_equal(a.r[0].end_ns, f->recs[0].end_ns);
	assert_int_equal(a.r[0].amend_ns, T0 + 7 * SEC);
	assert_ends(&a.r[0], IP_C, 40000, IP_S, 80);
	assert_int_equal(a.r[0].packets[0], 0);
	assert_int_equal(a.r[0].packets[1], 1);
	assert_int_equal(a.r[0].wire_bytes[1], 40);
	assert_int_equal(a.r[1].packets[0], 1);
	assert_int_equal(a.r[1].packets[1], 0);
	assert_int_equal(a.r[1].amend_ns, T0 + 8 * SEC);
	/* Two packets at one time are still two amendments. */
	assert_int_equal(a.r[2].amend_ns, T0 + 8 * SEC + 1);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.late_packets, 3);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.time_wait, 1);
}

/* A client SYN on a tuple in TIME_WAIT is a new connection. */
static void
test_sess_table_time_wait_new_syn(void **state)
{
	struct fx *f = *state;
	struct amends a;

	fx_time_wait(f, 120, 64, 0, &a);
	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	sess_table_expire(f->t, T0 + 10 * SEC);
	assert_int_equal(f->n, 1);
	handshake(f, T0 + 20 * SEC, 40000, 80, 777);
	assert_int_equal(a.n, 0);
	assert_int_equal(sess_table_count(f->t), 1);
	/* Its packets go to the new session, not to the old one. */
	tcp(f, T0 + 21 * SEC, IP_S, 80, IP_C, 40000, ACK, 10);
	assert_int_equal(a.n, 0);
	fin_close(f, T0 + 22 * SEC, 40000, 80);
	sess_table_expire(f->t, T0 + 30 * SEC);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].start_ns, T0 + 20 * SEC);
	assert_int_equal(f->recs[1].bytes[1], 10);
	/* A late packet now amends the newer of the two. */
	tcp(f, T0 + 31 * SEC, IP_C, 40000, IP_S, 80, ACK, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.r[0].start_ns, T0 + 20 * SEC);
}

/* Past the TIME_WAIT period a packet opens a session, as before. */
static void
test_sess_table_time_wait_expires(void **state)
{
	struct fx *f = *state;
	struct amends a;

	fx_time_wait(f, 60, 64, 0, &a);
	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	sess_table_expire(f->t, T0 + 10 * SEC);
	tcp(f, T0 + 10 * SEC + 59 * SEC, IP_S, 80, IP_C, 40000, ACK, 0);
	assert_int_equal(a.n, 1);
	sess_table_expire(f->t, T0 + 10 * SEC + 61 * SEC);
	tcp(f, T0 + 10 * SEC + 62 * SEC, IP_S, 80, IP_C, 40000, ACK, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(sess_table_count(f->t), 1);
}

/* Idle, evicted and capture-end closes are not remembered: only a FIN or
 * RST ends a connection for sure. */
static void
test_sess_table_time_wait_only_fin_rst(void **state)
{
	struct fx *f = *state;
	struct amends a;

	fx_time_wait(f, 120, 64, 0, &a);
	handshake(f, T0, 40000, 80, 1);
	sess_table_expire(f->t, T0 + 400 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_IDLE);
	tcp(f, T0 + 401 * SEC, IP_C, 40000, IP_S, 80, ACK, 5);
	assert_int_equal(a.n, 0);
	assert_int_equal(sess_table_count(f->t), 1);
}

/*
 * Offline (hold): a closed session is reported once, when it leaves
 * TIME_WAIT, with its late packets; the record's limit reports the
 * oldest early, and close_all reports every one still held.
 */
static void
test_sess_table_time_wait_hold(void **state)
{
	struct fx *f = *state;
	struct sess_table_stats st;

	fx_time_wait(f, 120, 2, 1, NULL);
	handshake(f, T0, 40000, 80, 1);
	fin_close(f, T0 + 3 * MS, 40000, 80);
	sess_table_expire(f->t, T0 + 10 * SEC);
	assert_int_equal(f->n, 0);
	tcp(f, T0 + 11 * SEC, IP_S, 80, IP_C, 40000, RST, 0);
	sess_table_expire(f->t, T0 + 10 * SEC + 119 * SEC);
	assert_int_equal(f->n, 0);
	sess_table_expire(f->t, T0 + 10 * SEC + 121 * SEC);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->recs[0].reason, SESS_CLOSE_FIN);
	assert_int_equal(f->recs[0].packets[0], 4);
	assert_int_equal(f->recs[0].packets[1], 3);
	assert_int_equal(f->recs[0].end_ns, T0 + 5 * MS);

	/* Three closes in a record of two: the first is reported early. */
	handshake(f, T0 + 200 * SEC, 40001, 80, 1);
	fin_close(f, T0 + 200 * SEC + 3 * MS, 40001, 80);
	handshake(f, T0 + 210 * SEC, 40002, 80, 1);
	fin_close(f, T0 + 210 * SEC + 3 * MS, 40002, 80);
	handshake(f, T0 + 220 * SEC, 40003, 80, 1);
	fin_close(f, T0 + 220 * SEC + 3 * MS, 40003, 80);
	sess_table_expire(f->t, T0 + 230 * SEC);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->recs[1].cli_port, 40001);
	sess_table_get_stats(f->t, &st);
	assert_int_equal(st.time_wait_evicted, 1);
	assert_int_equal(st.time_wait, 2);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->recs[2].cli_port, 40002);
	assert_int_equal(f->recs[3].cli_port, 40003);
	assert_int_equal(f->recs[3].reason, SESS_CLOSE_FIN);
}

/* IPv6 and many connections: every late packet finds its own session. */
static void
test_sess_table_time_wait_many(void **state)
{
	struct fx *f = *state;
	struct amends a;
	struct sess_obs o;
	uint16_t p;

	f->cfg.max_sessions = 4096;
	fx_time_wait(f, 120, 4096, 1, &a);
	for (p = 1000; p < 3000; p++) {
		o = mk(T0 + p * MS, 6, 0, p, 0, 443, SYN, 0);
		o.af = 6;
		memset(o.src, 0x20, 16);
		memset(o.dst, 0x30, 16);
		sess_table_observe(f->t, &o);
		o.tcp_flags = RST;
		o.ts_ns += 1;
		sess_table_observe(f->t, &o);
	}
	sess_table_expire(f->t, T0 + 10 * SEC);
	{
		struct sess_table_stats st;

		sess_table_get_stats(f->t, &st);
		assert_int_equal(st.time_wait, 2000);
		assert_int_equal(st.active, 0);
	}
	for (p = 1000; p < 3000; p++) {
		o = mk(T0 + 10 * SEC + p * MS, 6, 0, 443, 0, p, ACK, 1);
		o.af = 6;
		memset(o.src, 0x30, 16);
		memset(o.dst, 0x20, 16);
		sess_table_observe(f->t, &o);
	}
	assert_int_equal(sess_table_count(f->t), 0);
	assert_int_equal(a.n, 0);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->n, 2000);
	for (p = 0; p < 2000; p++) {
		assert_int_equal(f->recs[p].cli_port, 1000 + p);
		assert_int_equal(f->recs[p].packets[0], 2);
		assert_int_equal(f->recs[p].packets[1], 1);
		assert_int_equal(f->recs[p].bytes[1], 1);
	}
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sess_table_create_rejects_bad_cfg),
		T(test_sess_table_apply_events),
		T(test_sess_table_counters_wide),
		T(test_sess_table_counters_drain_reset),
		T(test_sess_table_addresses),
		T(test_sess_table_agent_clocks),
		T(test_sess_table_agent_share),
		cmocka_unit_test(test_sess_table_names),
		T(test_sess_table_orient_syn_sender_is_client),
		T(test_sess_table_orient_synack_first),
		T(test_sess_table_orient_service_ports),
		T(test_sess_table_orient_higher_port),
		T(test_sess_table_orient_equal_ports),
		T(test_sess_table_counters_per_direction),
		T(test_sess_table_key_fields),
		T(test_sess_table_ipv6),
		T(test_sess_table_tcp_fin_after_linger),
		T(test_sess_table_tcp_packet_after_linger),
		T(test_sess_table_tcp_half_close_idles),
		T(test_sess_table_tcp_syn_refused_by_rst),
		T(test_sess_table_tcp_half_open_reset),
		T(test_sess_table_tcp_syn_unanswered),
		T(test_sess_table_tcp_syn_timeout_by_packet),
		T(test_sess_table_tcp_rst_after_fins),
		T(test_sess_table_tcp_rst_open_session),
		T(test_sess_table_tcp_port_reuse_after_fin),
		T(test_sess_table_tcp_port_reuse_after_rst),
		T(test_sess_table_tcp_syn_retransmit),
		T(test_sess_table_tcp_syn_from_server_side),
		T(test_sess_table_udp_idle_exact),
		T(test_sess_table_expire_without_packets),
		T(test_sess_table_expire_lag_bounded),
		T(test_sess_table_evict_lru),
		T(test_sess_table_evict_prefers_idle_reason),
		T(test_sess_table_close_all_keeps_fin_rst),
		T(test_sess_table_close_all_idle_before_end),
		T(test_sess_table_time_backwards),
		T(test_sess_table_epoch_zero),
		T(test_sess_table_time_wait_amends),
		T(test_sess_table_time_wait_new_syn),
		T(test_sess_table_time_wait_expires),
		T(test_sess_table_time_wait_only_fin_rst),
		T(test_sess_table_time_wait_hold),
		T(test_sess_table_time_wait_many),
		cmocka_unit_test(test_sess_table_stress_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
