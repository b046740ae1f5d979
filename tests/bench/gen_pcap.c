/*
 * gen_pcap: writes the synthetic capture the speed and memory benchmark
 * reads (docs/PERFORMANCE.md). It is a small event simulation: a fixed
 * number of slots each hold one flow in progress, and a slot whose flow
 * ends starts a new one shortly after. Every slot has the time of its next
 * packet in a min-heap; the earliest goes out next, so timestamps only
 * grow. Within a flow, packets follow each other by the server's turn-
 * around, the client's round trip, back-to-back segments or game ticks;
 * requests after the first, and lazy closes, wait a think time (seconds).
 * TCP flows shake hands, exchange requests and responses and end by FIN
 * both ways, by RST, by a refused SYN or not at all; UDP flows look like
 * DNS, QUIC or game traffic. A tenth of the flows are 802.1Q-tagged, a
 * quarter IPv6. Only headers are captured (snaplen); the original length
 * says how long the frame was, and checksums are right for an all-zero
 * payload. The output depends on the arguments only: same arguments, same
 * bytes, on any host.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "xmalloc.h"

#define PCAP_MAGIC_NSEC	0xa1b23c4du	/* classic pcap, ns stamps */
#define LINKTYPE_EN10MB	1
#define OUTBUF_SIZE	(8u << 20)
#define FRAME_MAX	1536		/* Ethernet + one tag + 1500 */
#define ETH_MIN		60		/* shorter frames are padded */
#define TCP_MSS4	1460
#define TCP_MSS6	1440
#define START_SEC	1700000000ULL	/* 2023-11-14T22:13:20Z */
#define US		1000ULL
#define MS		1000000ULL

/* Flow kinds and how a TCP flow ends. */
enum flow_kind { FK_NONE = 0, FK_TCP, FK_DNS, FK_QUIC, FK_GAME, FK_MAX };
enum tcp_end { TE_FIN_CLI = 0, TE_FIN_SRV, TE_RST, TE_REFUSED, TE_OPEN,
    TE_MAX };
enum tcp_state { TS_SYN = 0, TS_SYNACK, TS_ACK, TS_REQ, TS_RESP,
    TS_CLI_ACK, TS_FIN1, TS_FIN2, TS_LASTACK };

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

/*
 * One slot's flow. Addresses are not stored: they follow from serial
 * (client address and port, unique per flow) and srv (server index).
 */
struct flow {
	uint32_t	serial;
	uint32_t	rtt_us;		/* client round trip */
	uint16_t	srv;
	uint16_t	srv_port;
	uint16_t	cli_port;
	uint16_t	vlan;		/* 0: untagged */
	uint8_t		kind;		/* enum flow_kind */
	uint8_t		af;		/* 4 or 6 */
	uint8_t		end;		/* enum tcp_end */
	uint8_t		state;		/* enum tcp_state */
	uint32_t	seq[2];		/* next sequence numbers */
	uint16_t	ip_id[2];
	uint16_t	win[2];
	uint32_t	label;		/* IPv6 flow label */
	uint16_t	left;		/* UDP packets or segments to go */
	uint16_t	exchanges;	/* TCP requests still to come */
	uint16_t	data_pkts;	/* UDP packets, TCP after handshake */
	uint16_t	rst_after;	/* TE_RST: data packets before it */
	uint8_t		unacked;	/* segments since client ACK */
	uint8_t		quick_close;	/* FIN after the answer */
};

/* A slot's next packet time; the heap orders by (due, slot). */
struct event {
	uint64_t	due;
	uint32_t	slot;
};

struct gen_opts {
	uint64_t	packets;
	uint64_t	slots;		/* flows in progress at once */
	uint64_t	seed;
	uint64_t	think_ms;	/* mean think time */
	uint64_t	snaplen;
	uint64_t	start_sec;	/* first packet's time, epoch s */
	const char	*out;
};

struct gen_stats {
	uint64_t	packets, frames_vlan, frames_v6, bytes_file;
	uint64_t	wire_bytes, payload_bytes;
	uint64_t	started[FK_MAX];
	uint64_t	tcp_end[TE_MAX];	/* TCP flows started, by plan */
	uint64_t	tcp_done[TE_MAX];	/* ... and finished so */
	uint64_t	udp_done;
	uint64_t	in_progress, in_progress_peak;
	uint64_t	first_ns, last_ns;
};

struct gen {
	struct gen_opts	 o;
	uint64_t	 rng;
	uint64_t	 now_ns;
	uint64_t	 next_due;	/* set by schedule() */
	uint32_t	 next_serial;
	struct flow	*slots;
	struct event	*heap;
	uint8_t		*out;
	size_t		 outlen;
	FILE		*fp;
	int		 write_failed;
	struct gen_stats st;
};

static const char usage[] =
"usage: sa_gen_pcap -o FILE [-n PACKETS] [-c SLOTS] [-s SEED] [-t THINK_MS]\n"
"                   [-l SNAPLEN] [-T START]\n"
"  -o FILE      output pcap (classic, ns timestamps, Ethernet)\n"
"  -n PACKETS   packets to write (default 5000000)\n"
"  -c SLOTS     flows in progress at once (default 130000)\n"
"  -s SEED      random seed (default 1)\n"
"  -t THINK_MS  mean think time between requests in ms (default 60000)\n"
"  -T START     time of the first packet, epoch seconds (default 1700000000)\n"
"  -l SNAPLEN   bytes captured per frame (default 128)\n";

/* splitmix64: small, fast, and the same on every platform. */
static uint64_t
rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The modulo bias is irrelevant here. */
static uint32_t
rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)((rnd(g) >> 32) % n);
}

static void
put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Ones' complement sum of n bytes (n even), RFC 1071. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A bijection on 24 bits, so client addresses look scattered. */
static uint32_t
scramble24(uint32_t x)
{
	x &= 0xffffff;
	x = (x * 0x9e3779u + 0x5bd1e9u) & 0xffffff;
	x ^= x >> 11;
	x = (x * 0x2c1b3du) & 0xffffff;
	x ^= x >> 13;
	return x;
}

/*
 * Addresses. Clients: 10.0.0.0/8 and fd00:5a::/64 (private); servers:
 * 198.18.0.0/15 and 2001:2::/48, the benchmarking ranges (RFC 2544,
 * RFC 5180). A client address holds 16 flows, told apart by port, so
 * the first 2^28 flows never share a client address and port.
 */
static void
cli_addr(const struct flow *f, uint8_t *a)
{
	uint32_t h = scramble24(f->serial >> 4);

	if (f->af == 4) {
		a[0] = 10;
		a[1] = (uint8_t)(h >> 16);
		a[2] = (uint8_t)(h >> 8);
		a[3] = (uint8_t)h;
		return;
	}
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[2] = 0x00;
	a[3] = 0x5a;
	a[9] = (uint8_t)(f->serial >> 28);
	a[12] = 0x01;
	a[13] = (uint8_t)(h >> 16);
	a[14] = (uint8_t)(h >> 8);
	a[15] = (uint8_t)h;
}

static void
srv_addr(const struct flow *f, uint8_t *a)
{
	if (f->af == 4) {
		a[0] = 198;
		a[1] = (uint8_t)(18 + (f->srv >> 14 & 1));
		a[2] = (uint8_t)(f->srv >> 6);
		a[3] = (uint8_t)(1 + (f->srv & 63));
		return;
	}
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[3] = 0x02;
	a[6] = (uint8_t)(f->srv >> 8);
	a[7] = (uint8_t)f->srv;
	a[15] = 0x01;
}

/*
 * Appends one frame of flow f as a pcap record to the output buffer,
 * which is written out when full: Ethernet [802.1Q] IPv4|IPv6 TCP|UDP,
 * then len payload bytes, all zero. dir 0 is client to server.
 */
static void
emit(struct gen *g, struct flow *f, int dir, uint8_t flags, uint32_t len)
{
	uint8_t frame[FRAME_MAX], src[16], dst[16];
	uint8_t *rec, *ip, *l4;
	uint32_t l2, iphl, l4hl, iplen, wire, cap, sum, optlen = 0;
	uint16_t sport, dport;
	uint64_t ts;

	memset(frame, 0, sizeof(frame));
	if (dir == 0) {
		cli_addr(f, src);
		srv_addr(f, dst);
		sport = f->cli_port;
		dport = f->srv_port;
	} else {
		srv_addr(f, src);
		cli_addr(f, dst);
		sport = f->srv_port;
		dport = f->cli_port;
	}

	/* Ethernet: locally administered MACs, client side and gateway. */
	frame[0] = frame[6] = 0x02;
	frame[dir == 0 ? 5 : 11] = 0x01;
	put_be32(frame + (dir == 0 ? 7 : 1), f->serial);
	l2 = 12;
	if (f->vlan != 0) {
		put_be16(frame + l2, 0x8100);
		put_be16(frame + l2 + 2, f->vlan);
		l2 += 4;
		g->st.frames_vlan++;
	}
	put_be16(frame + l2, f->af == 4 ? 0x0800 : 0x86dd);
	l2 += 2;
	ip = frame + l2;
	iphl = f->af == 4 ? 20 : 40;
	l4 = ip + iphl;

	if (f->kind == FK_TCP) {
		/* SYNs carry MSS, SACK-permitted, timestamps and window
		 * scale (20 bytes); other segments timestamps (12). */
		optlen = (flags & TH_SYN) ? 20 : (flags & TH_RST) ? 0 : 12;
		l4hl = 20 + optlen;
		put_be16(l4, sport);
		put_be16(l4 + 2, dport);
		put_be32(l4 + 4, f->seq[dir]);
		put_be32(l4 + 8, (flags & TH_ACK) ? f->seq[!dir] : 0);
		l4[12] = (uint8_t)((l4hl / 4) << 4);
		l4[13] = flags;
		put_be16(l4 + 14, (flags & TH_RST) ? 0 : f->win[dir]);
		if (flags & TH_SYN) {
			l4[20] = 2;	/* MSS */
			l4[21] = 4;
			put_be16(l4 + 22, f->af == 4 ? TCP_MSS4 : TCP_MSS6);
			l4[24] = 4;	/* SACK permitted */
			l4[25] = 2;
			l4[26] = 8;	/* timestamps */
			l4[27] = 10;
			put_be32(l4 + 28, (uint32_t)(g->now_ns / 1000000));
			l4[36] = 1;	/* NOP, window scale 7 */
			l4[37] = 3;
			l4[38] = 3;
			l4[39] = 7;
		} else if (optlen == 12) {
			l4[20] = 1;
			l4[21] = 1;
			l4[22] = 8;
			l4[23] = 10;
			put_be32(l4 + 24, (uint32_t)(g->now_ns / 1000000));
			put_be32(l4 + 28, (uint32_t)(g->now_ns / 1000000) -
			    20);
		}
	} else {
		l4hl = 8;
		put_be16(l4, sport);
		put_be16(l4 + 2, dport);
		put_be16(l4 + 4, l4hl + len);
	}
	iplen = iphl + l4hl + len;

	/* Transport checksum over pseudo-header and header; the payload
	 * is all zeros and adds nothing. */
	sum = csum_add(0, src, f->af == 4 ? 4 : 16);
	sum = csum_add(sum, dst, f->af == 4 ? 4 : 16);
	sum += f->kind == FK_TCP ? 6 : 17;
	sum += (l4hl + len) & 0xffff;
	sum += (l4hl + len) >> 16;
	sum = csum_add(sum, l4, l4hl);
	put_be16(l4 + (f->kind == FK_TCP ? 16 : 6), csum_fold(sum) == 0 &&
	    f->kind != FK_TCP ? 0xffff : csum_fold(sum));

	if (f->af == 4) {
		ip[0] = 0x45;
		put_be16(ip + 2, iplen);
		put_be16(ip + 4, f->ip_id[dir]++);
		ip[6] = 0x40;	/* DF */
		ip[8] = dir == 0 ? 64 : 57;
		ip[9] = f->kind == FK_TCP ? 6 : 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		put_be32(ip, 0x60000000u | (f->label + (uint32_t)dir) %
		    0xfffff);
		put_be16(ip + 4, l4hl + len);
		ip[6] = f->kind == FK_TCP ? 6 : 17;
		ip[7] = dir == 0 ? 64 : 57;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		g->st.frames_v6++;
	}
	wire = l2 + iplen;
	if (wire < ETH_MIN)
		wire = ETH_MIN;
	cap = wire < g->o.snaplen ? wire : (uint32_t)g->o.snaplen;

	if (OUTBUF_SIZE - g->outlen < 16 + cap) {
		if (fwrite(g->out, 1, g->outlen, g->fp) != g->outlen)
			g->write_failed = 1;
		g->outlen = 0;
	}
	ts = g->now_ns;
	rec = g->out + g->outlen;
	put_le32(rec, (uint32_t)(ts / 1000000000ULL));
	put_le32(rec + 4, (uint32_t)(ts % 1000000000ULL));
	put_le32(rec + 8, cap);
	put_le32(rec + 12, wire);
	memcpy(rec + 16, frame, cap);
	g->outlen += 16 + cap;

	g->st.packets++;
	g->st.bytes_file += 16 + cap;
	g->st.wire_bytes += wire;
	g->st.payload_bytes += len;
	if (g->st.first_ns == 0)
		g->st.first_ns = ts;
	g->st.last_ns = ts;
}

/* Uniform in [lo, hi] nanoseconds. */
static uint64_t
rnd_ns(struct gen *g, uint64_t lo, uint64_t hi)
{
	return lo + (rnd(g) >> 1) % (hi - lo + 1);
}

/* The flow's next packet is due delay ns from now. */
static void
schedule(struct gen *g, uint64_t delay)
{
	g->next_due = g->now_ns + delay;
}

/* Think time: uniform in [think/4, 7 think/4]. */
static void
schedule_think(struct gen *g)
{
	uint64_t t = g->o.think_ms * MS;

	schedule(g, rnd_ns(g, t / 4, t / 4 * 7));
}

/* The client's round trip, as seen at the server. */
static uint64_t
rtt(struct gen *g, const struct flow *f)
{
	return f->rtt_us * US + rnd_ns(g, 0, f->rtt_us * US / 8);
}

/* Starts a new flow in slot f. */
static void
flow_start(struct gen *g, struct flow *f)
{
	static const uint16_t tcp_ports[8] = { 443, 443, 443, 443, 80, 8080,
	    1080, 3128 };
	static const uint16_t game_ports[4] = { 27015, 7777, 3478, 9000 };
	uint32_t r = rnd_below(g, 1000);

	memset(f, 0, sizeof(*f));
	f->serial = g->next_serial++;
	/* Client port: 32768 + 1024 * (serial mod 16) + 0..1023, so the
	 * client's (address, port) never repeats. */
	f->cli_port = (uint16_t)(32768 + (f->serial & 15) * 1024 +
	    rnd_below(g, 1024));
	/* Servers: a few popular ones take half the flows. */
	f->srv = (uint16_t)(rnd_below(g, 2) ? rnd_below(g, 32) :
	    rnd_below(g, 1 << 15));
	f->af = rnd_below(g, 4) == 0 ? 6 : 4;
	f->vlan = rnd_below(g, 10) == 0 ? (uint16_t)(100 + rnd_below(g, 8)) :
	    0;
	f->label = rnd_below(g, 0xfffff);
	f->ip_id[0] = (uint16_t)rnd(g);
	f->ip_id[1] = (uint16_t)rnd(g);
	f->seq[0] = (uint32_t)rnd(g);
	f->seq[1] = (uint32_t)rnd(g);
	f->win[0] = (uint16_t)(502 + rnd_below(g, 64000));
	f->win[1] = (uint16_t)(502 + rnd_below(g, 64000));
	f->rtt_us = 500 + rnd_below(g, 80000);

	if (r < 750) {
		f->kind = FK_TCP;
		f->srv_port = tcp_ports[rnd_below(g, 8)];
		r = rnd_below(g, 100);
		f->end = r < 3 ? TE_REFUSED : r < 50 ? TE_FIN_CLI :
		    r < 75 ? TE_FIN_SRV : r < 90 ? TE_RST : TE_OPEN;
		/* Mostly one request, now and then a keep-alive
		 * connection with a few more. */
		r = rnd_below(g, 10);
		f->exchanges = (uint16_t)(r < 7 ? 1 : r < 9 ? 2 :
		    3 + rnd_below(g, 4));
		f->quick_close = rnd_below(g, 5) == 0;
		f->rst_after = (uint16_t)(1 + rnd_below(g, 8));
		f->state = TS_SYN;
		g->st.tcp_end[f->end]++;
	} else if (r < 850) {
		f->kind = FK_DNS;
		f->srv_port = 53;
		f->left = (uint16_t)(rnd_below(g, 5) == 0 ? 4 : 2);
	} else if (r < 940) {
		f->kind = FK_QUIC;
		f->srv_port = 443;
		f->left = (uint16_t)(6 + rnd_below(g, 30));
	} else {
		f->kind = FK_GAME;
		f->srv_port = game_ports[rnd_below(g, 4)];
		f->left = (uint16_t)(20 + rnd_below(g, 100));
	}
	g->st.started[f->kind]++;
	if (++g->st.in_progress > g->st.in_progress_peak)
		g->st.in_progress_peak = g->st.in_progress;
}

/* Ends the flow in slot f; the slot's next flow starts within 0.5 s. */
static void
flow_done(struct gen *g, struct flow *f)
{
	if (f->kind == FK_TCP)
		g->st.tcp_done[f->end]++;
	else
		g->st.udp_done++;
	f->kind = FK_NONE;
	g->st.in_progress--;
	schedule(g, rnd_ns(g, 1 * MS, 500 * MS));
}

static void
udp_next(struct gen *g, struct flow *f)
{
	uint64_t delay;
	uint32_t len;
	int dir;

	switch (f->kind) {
	case FK_DNS:
		/* Query, then the answer; a fifth ask twice (A, AAAA). */
		dir = (f->left & 1) == 0 ? 0 : 1;
		len = dir == 0 ? 28 + rnd_below(g, 40) :
		    60 + rnd_below(g, 400);
		delay = dir == 0 ? rnd_ns(g, 200 * US, 40 * MS) :
		    rnd_ns(g, 10 * US, 500 * US);
		break;
	case FK_QUIC:
		/* A padded 1200-byte Initial, then bursts either way. */
		dir = f->data_pkts == 0 ? 0 : rnd_below(g, 5) < 3;
		len = f->data_pkts == 0 ? 1200 : 30 + rnd_below(g, 1320);
		delay = rnd_below(g, 4) == 0 ? rtt(g, f) :
		    rnd_ns(g, 10 * US, 200 * US);
		break;
	default:
		/* A tick every 15 to 50 ms, either way. */
		dir = (int)rnd_below(g, 2);
		len = 40 + rnd_below(g, 260);
		delay = rnd_ns(g, 15 * MS, 50 * MS);
		break;
	}
	emit(g, f, dir, 0, len);
	f->data_pkts++;
	if (--f->left == 0)
		flow_done(g, f);
	else
		schedule(g, delay);
}

/*
 * One TCP packet of flow f, following its plan, and when the next one is
 * due. The capture point is near the server: the server answers within
 * microseconds to milliseconds, the client a round trip later, and the
 * next request or a lazy close after think time.
 */
static void
tcp_next(struct gen *g, struct flow *f)
{
	uint32_t mss = f->af == 4 ? TCP_MSS4 - 12 : TCP_MSS6 - 12, len;
	int closer;

	if (f->state >= TS_REQ && f->state <= TS_CLI_ACK &&
	    f->end == TE_RST && f->data_pkts == f->rst_after) {
		/* Either side resets the connection. */
		emit(g, f, (int)rnd_below(g, 2), TH_RST | TH_ACK, 0);
		flow_done(g, f);
		return;
	}
	closer = f->end == TE_FIN_SRV;
	switch (f->state) {
	case TS_SYN:
		emit(g, f, 0, TH_SYN, 0);
		f->seq[0]++;
		f->state = TS_SYNACK;
		schedule(g, rnd_ns(g, 20 * US, 200 * US));
		return;
	case TS_SYNACK:
		if (f->end == TE_REFUSED) {
			emit(g, f, 1, TH_RST | TH_ACK, 0);
			flow_done(g, f);
			return;
		}
		emit(g, f, 1, TH_SYN | TH_ACK, 0);
		f->seq[1]++;
		f->state = TS_ACK;
		schedule(g, rtt(g, f));
		return;
	case TS_ACK:
		emit(g, f, 0, TH_ACK, 0);
		f->state = TS_REQ;
		schedule(g, rnd_ns(g, 5 * US, 100 * US));
		return;
	case TS_REQ:
		len = 80 + rnd_below(g, 820);
		emit(g, f, 0, TH_PSH | TH_ACK, len);
		f->seq[0] += len;
		/* Most answers fit in a few segments, one in twenty is a
		 * download. */
		f->left = (uint16_t)(rnd_below(g, 20) == 0 ?
		    5 + rnd_below(g, 60) : 1 + rnd_below(g, 4));
		f->unacked = 0;
		f->state = TS_RESP;
		schedule(g, rnd_ns(g, 50 * US, 20 * MS));
		break;
	case TS_RESP:
		len = f->left > 1 ? mss : 100 + rnd_below(g, mss - 100);
		emit(g, f, 1, f->left > 1 ? TH_ACK : TH_PSH | TH_ACK, len);
		f->seq[1] += len;
		f->unacked++;
		if (--f->left == 0 || f->unacked == 2) {
			f->state = TS_CLI_ACK;
			schedule(g, rtt(g, f));
		} else
			schedule(g, rnd_ns(g, 12 * US, 40 * US));
		break;
	case TS_CLI_ACK:
		emit(g, f, 0, TH_ACK, 0);
		f->unacked = 0;
		if (f->left > 0) {
			f->state = TS_RESP;
			schedule(g, rnd_ns(g, 10 * US, 50 * US));
		} else if (f->end == TE_OPEN || f->end == TE_RST ||
		    --f->exchanges > 0) {
			f->state = TS_REQ;
			schedule_think(g);
		} else {
			f->state = TS_FIN1;
			if (f->quick_close)
				schedule(g, rnd_ns(g, 10 * US, 5 * MS));
			else
				schedule_think(g);
		}
		break;
	case TS_FIN1:
		emit(g, f, closer, TH_FIN | TH_ACK, 0);
		f->seq[closer]++;
		f->state = TS_FIN2;
		/* The server answers a client's FIN at once. */
		schedule(g, closer ? rtt(g, f) : rnd_ns(g, 20 * US, 2 * MS));
		return;
	case TS_FIN2:
		emit(g, f, !closer, TH_FIN | TH_ACK, 0);
		f->seq[!closer]++;
		f->state = TS_LASTACK;
		schedule(g, closer ? rnd_ns(g, 20 * US, 200 * US) :
		    rtt(g, f));
		return;
	case TS_LASTACK:
		emit(g, f, closer, TH_ACK, 0);
		flow_done(g, f);
		return;
	}
	if (f->data_pkts < UINT16_MAX)
		f->data_pkts++;
}

static int
ev_before(const struct event *a, const struct event *b)
{
	return a->due < b->due || (a->due == b->due && a->slot < b->slot);
}

static void
sift_down(struct event *h, size_t n, size_t i)
{
	struct event e = h[i];
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && ev_before(&h[c + 1], &h[c]))
			c++;
		if (!ev_before(&h[c], &e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static void
parse_opts(int argc, char **argv, struct gen_opts *o)
{
	uint64_t *dst = NULL, min = 0, max = 0;
	int ch;

	o->packets = 5000000;
	o->slots = 130000;
	o->seed = 1;
	o->think_ms = 60000;
	o->snaplen = 128;
	o->start_sec = START_SEC;
	while ((ch = getopt(argc, argv, "o:n:c:s:t:l:T:h")) != -1) {
		switch (ch) {
		case 'o':
			o->out = optarg;
			continue;
		case 'n':
			dst = &o->packets;
			min = 1;
			max = 1000000000;
			break;
		case 'c':
			dst = &o->slots;
			min = 1;
			max = 10000000;
			break;
		case 's':
			dst = &o->seed;
			min = 0;
			max = UINT64_MAX;
			break;
		case 't':
			dst = &o->think_ms;
			min = 4;
			max = 100000;
			break;
		case 'l':
			dst = &o->snaplen;
			min = 64;
			max = 65535;
			break;
		case 'T':
			dst = &o->start_sec;
			min = 0;
			max = 4000000000ULL;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(2);
		}
		if (sa_parse_u64(optarg, min, max, dst) != 0) {
			fprintf(stderr, "sa_gen_pcap: -%c: '%s' is not a "
			    "number in [%llu, %llu]\n", ch, optarg,
			    (unsigned long long)min, (unsigned long long)max);
			exit(2);
		}
	}
	if (o->out == NULL || optind != argc) {
		fputs(usage, stderr);
		exit(2);
	}
}

static void
report(const struct gen *g)
{
	const struct gen_stats *s = &g->st;
	uint64_t span = s->last_ns - s->first_ns;

	fprintf(stderr,
	    "packets=%llu file_bytes=%llu wire_bytes=%llu payload_bytes=%llu "
	    "span_s=%llu.%03llu\n"
	    "frames_ipv6=%llu frames_vlan=%llu slots=%llu seed=%llu "
	    "snaplen=%llu think_ms=%llu\n"
	    "flows=%llu tcp=%llu dns=%llu quic=%llu game=%llu "
	    "in_progress_peak=%llu in_progress_at_end=%llu\n"
	    "tcp_planned fin_cli=%llu fin_srv=%llu rst=%llu refused=%llu "
	    "open=%llu\n"
	    "tcp_ended fin_cli=%llu fin_srv=%llu rst=%llu refused=%llu "
	    "udp_ended=%llu\n",
	    (unsigned long long)s->packets, (unsigned long long)s->bytes_file,
	    (unsigned long long)s->wire_bytes,
	    (unsigned long long)s->payload_bytes,
	    (unsigned long long)(span / 1000000000ULL),
	    (unsigned long long)(span % 1000000000ULL / 1000000),
	    (unsigned long long)s->frames_v6,
	    (unsigned long long)s->frames_vlan,
	    (unsigned long long)g->o.slots, (unsigned long long)g->o.seed,
	    (unsigned long long)g->o.snaplen,
	    (unsigned long long)g->o.think_ms,
	    (unsigned long long)g->next_serial,
	    (unsigned long long)s->started[FK_TCP],
	    (unsigned long long)s->started[FK_DNS],
	    (unsigned long long)s->started[FK_QUIC],
	    (unsigned long long)s->started[FK_GAME],
	    (unsigned long long)s->in_progress_peak,
	    (unsigned long long)s->in_progress,
	    (unsigned long long)s->tcp_end[TE_FIN_CLI],
	    (unsigned long long)s->tcp_end[TE_FIN_SRV],
	    (unsigned long long)s->tcp_end[TE_RST],
	    (unsigned long long)s->tcp_end[TE_REFUSED],
	    (unsigned long long)s->tcp_end[TE_OPEN],
	    (unsigned long long)s->tcp_done[TE_FIN_CLI],
	    (unsigned long long)s->tcp_done[TE_FIN_SRV],
	    (unsigned long long)s->tcp_done[TE_RST],
	    (unsigned long long)s->tcp_done[TE_REFUSED],
	    (unsigned long long)s->udp_done);
}

static void
write_header(struct gen *g)
{
	uint8_t *h = g->out;

	/* Classic pcap header, little-endian, nanosecond magic. */
	put_le32(h, PCAP_MAGIC_NSEC);
	h[4] = 2;	/* version 2.4 */
	h[5] = 0;
	h[6] = 4;
	h[7] = 0;
	put_le32(h + 8, 0);	/* thiszone */
	put_le32(h + 12, 0);	/* sigfigs */
	put_le32(h + 16, (uint32_t)g->o.snaplen);
	put_le32(h + 20, LINKTYPE_EN10MB);
	g->outlen = 24;
	g->st.bytes_file = 24;
}

int
main(int argc, char **argv)
{
	struct gen g;
	uint64_t n, t0;
	size_t i;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	parse_opts(argc, argv, &g.o);
	g.rng = g.o.seed;
	g.slots = xcalloc(g.o.slots, sizeof(*g.slots));
	g.heap = xcalloc(g.o.slots, sizeof(*g.heap));
	g.out = xmalloc(OUTBUF_SIZE);
	if ((g.fp = fopen(g.o.out, "wb")) == NULL) {
		fprintf(stderr, "sa_gen_pcap: %s: %s\n", g.o.out,
		    strerror(errno));
		return 1;
	}
	write_header(&g);

	/* Slots open their first flow over a quarter think time. */
	t0 = g.o.start_sec * 1000000000ULL;
	for (i = 0; i < g.o.slots; i++) {
		g.heap[i].due = t0 + rnd_ns(&g, 0, g.o.think_ms * MS / 4);
		g.heap[i].slot = (uint32_t)i;
	}
	for (i = g.o.slots / 2; i-- > 0; )
		sift_down(g.heap, g.o.slots, i);

	for (n = 0; n < g.o.packets; n++) {
		struct event *top = &g.heap[0];
		struct flow *f = &g.slots[top->slot];

		/* Strictly increasing timestamps. */
		g.now_ns = top->due > g.now_ns ? top->due : g.now_ns + 1;
		if (f->kind == FK_NONE)
			flow_start(&g, f);
		if (f->kind == FK_TCP)
			tcp_next(&g, f);
		else
			udp_next(&g, f);
		top->due = g.next_due;
		sift_down(g.heap, g.o.slots, 0);
	}
	if (g.outlen > 0 && fwrite(g.out, 1, g.outlen, g.fp) != g.outlen)
		g.write_failed = 1;
	if (fclose(g.fp) != 0 || g.write_failed) {
		fprintf(stderr, "sa_gen_pcap: writing %s failed\n", g.o.out);
		rc = 1;
	}
	report(&g);
	free(g.out);
	free(g.heap);
	free(g.slots);
	return rc;
}
