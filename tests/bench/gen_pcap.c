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
 * quarter IPv6. TCP flows open with the real handshake of their protocol
 * (TLS ClientHello with SNI, HTTP with Host, HTTP CONNECT and forward
 * proxy requests, SOCKS4/4a and SOCKS5 with username authentication,
 * refusals among them), byte-exact per their RFCs, so that enrichment has
 * its real work to do; other payload is zeros. Frames are cut at the
 * snaplen; the original length says how long each was, and checksums
 * cover the payload. The output depends on the arguments only: same
 * arguments, same bytes, on any host.
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
enum tcp_state { TS_SYN = 0, TS_SYNACK, TS_ACK, TS_HS, TS_REQ, TS_RESP,
    TS_CLI_ACK, TS_FIN1, TS_FIN2, TS_LASTACK };

/*
 * What a TCP flow's first bytes are: the handshake its port suggests.
 * HS_CONNECT and the SOCKS kinds run a proxy handshake (TS_HS) before
 * the requests, which then go through the tunnel.
 */
enum hs_kind { HS_NONE = 0, HS_TLS, HS_HTTP, HS_HTTP_PROXY, HS_CONNECT,
    HS_SOCKS5, HS_SOCKS4, HS_SOCKS4A, HS_MAX };

/* How the proxy answers (SOCKS and CONNECT). */
enum hs_answer { HA_OK = 0, HA_AUTH_FAIL, HA_RULESET, HA_MAX };

#define HS_MSG_MAX	1024	/* longest handshake message */
#define NUSERS		40	/* proxy user names user00..user39 */
#define NNAMES		500	/* target names host0..host499 */

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
	uint8_t		hs;		/* enum hs_kind */
	uint8_t		hs_step;	/* next proxy handshake message */
	uint8_t		answer;		/* enum hs_answer */
	uint8_t		auth;		/* SOCKS5/CONNECT with a login */
	uint8_t		atyp;		/* SOCKS5 target: 1, 3 or 4 */
	uint8_t		tun_tls;	/* tunnel to port 443 (else 80) */
	uint8_t		first_req;	/* the first request is to come */
	uint8_t		first_resp;	/* the first answer is to come */
	uint16_t	resp_last;	/* length of the answer's last segment */
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
	uint64_t	hs[HS_MAX];		/* TCP flows planned, by handshake */
	uint64_t	hs_done[HS_MAX];	/* ... whose answer went out */
	uint64_t	hs_auth, hs_refused;	/* logins; refusals sent */
};

struct gen {
	struct gen_opts	 o;
	uint64_t	 rng;
	uint64_t	 now_ns;
	uint64_t	 next_due;	/* set by schedule() */
	uint32_t	 next_serial;
	uint64_t	 hs_seed;	/* per-run salt of the handshakes */
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
"  -l SNAPLEN   bytes captured per frame (default 512, the agent's)\n";

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

/* Ones' complement sum of n bytes, RFC 1071 (an odd last byte is the
 * high half of a word padded with zero). */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
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
 * then len payload bytes: the pl_len bytes at pl first (pl_len <= len),
 * zeros after. dir 0 is client to server.
 */
static void
emit_pl(struct gen *g, struct flow *f, int dir, uint8_t flags, uint32_t len,
    const uint8_t *pl, uint32_t pl_len)
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

	/* Transport checksum over pseudo-header, header and payload; the
	 * zeros after pl add nothing. */
	sum = csum_add(0, src, f->af == 4 ? 4 : 16);
	sum = csum_add(sum, dst, f->af == 4 ? 4 : 16);
	sum += f->kind == FK_TCP ? 6 : 17;
	sum += (l4hl + len) & 0xffff;
	sum += (l4hl + len) >> 16;
	sum = csum_add(sum, l4, l4hl);
	if (pl_len > 0) {
		/* The payload starts at an even offset of the segment
		 * (l4hl is a multiple of 4). */
		sum = csum_add(sum, pl, pl_len);
		memcpy(l4 + l4hl, pl, pl_len);
	}
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

/* A frame whose payload is all zeros. */
static void
emit(struct gen *g, struct flow *f, int dir, uint8_t flags, uint32_t len)
{
	emit_pl(g, f, dir, flags, len, NULL, 0);
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

/*
 * The handshake of a new TCP flow, by its port: TLS on 443, HTTP on 80,
 * a forward proxy or CONNECT on 8080, CONNECT on 3128, SOCKS on 1080.
 * Proxies refuse some: a failed login (407, RFC 1929 status 1) or a rule
 * (403, SOCKS5 REP 2, SOCKS4 91).
 */
static void
hs_plan(struct gen *g, struct flow *f)
{
	uint32_t r = rnd_below(g, 100);

	switch (f->srv_port) {
	case 443:
		f->hs = HS_TLS;
		break;
	case 80:
		f->hs = HS_HTTP;
		break;
	case 8080:
		f->hs = r < 50 ? HS_HTTP_PROXY : HS_CONNECT;
		break;
	case 3128:
		f->hs = HS_CONNECT;
		break;
	default:
		f->hs = r < 60 ? HS_SOCKS5 : r < 85 ? HS_SOCKS4A : HS_SOCKS4;
		break;
	}
	f->auth = rnd_below(g, 2);
	f->tun_tls = rnd_below(g, 5) != 0;
	r = rnd_below(g, 100);
	f->atyp = r < 80 ? 3 : r < 92 ? 1 : 4;
	r = rnd_below(g, 100);
	switch (f->hs) {
	case HS_CONNECT:
		f->answer = r < 85 ? HA_OK : r < 93 ? HA_AUTH_FAIL :
		    HA_RULESET;
		break;
	case HS_SOCKS5:
		f->answer = f->auth && r < 10 ? HA_AUTH_FAIL : r >= 95 ?
		    HA_RULESET : HA_OK;
		break;
	case HS_SOCKS4:
	case HS_SOCKS4A:
	case HS_HTTP_PROXY:
		f->answer = r < 95 ? HA_OK : HA_RULESET;
		break;
	default:
		f->answer = HA_OK;
		break;
	}
	f->first_req = 1;
	f->first_resp = f->hs == HS_HTTP || f->hs == HS_HTTP_PROXY ||
	    (f->hs >= HS_CONNECT && !f->tun_tls);
	if (f->end != TE_REFUSED) {
		g->st.hs[f->hs]++;
		if (f->auth && (f->hs == HS_CONNECT || f->hs == HS_SOCKS5 ||
		    f->hs == HS_HTTP_PROXY))
			g->st.hs_auth++;
	}
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
		hs_plan(g, f);
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

/*
 * Handshakes. The bytes of a flow's messages follow from its serial and
 * the run's salt alone (fh), so nothing is stored per flow but a few
 * choices made when it starts.
 */
static uint64_t
fh(const struct gen *g, const struct flow *f, uint32_t k)
{
	uint64_t z = g->hs_seed ^ ((uint64_t)f->serial << 8 | k);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A message under construction; add() never runs past HS_MSG_MAX. */
struct msg {
	uint8_t		b[HS_MSG_MAX];
	uint32_t	n;
};

static void
add(struct msg *m, const void *p, uint32_t n)
{
	if (n > HS_MSG_MAX - m->n)
		n = HS_MSG_MAX - m->n;
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
add8(struct msg *m, uint32_t v)
{
	uint8_t b = (uint8_t)v;

	add(m, &b, 1);
}

static void
add16(struct msg *m, uint32_t v)
{
	add8(m, v >> 8);
	add8(m, v);
}

static void
adds(struct msg *m, const char *s)
{
	add(m, s, (uint32_t)strlen(s));
}

/* Random bytes from the flow's hash k. */
static void
addrand(struct msg *m, const struct gen *g, const struct flow *f, uint32_t k,
    uint32_t n)
{
	uint64_t h = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if ((i & 7) == 0)
			h = fh(g, f, k + i / 8);
		add8(m, (uint32_t)(h >> (8 * (i & 7))));
	}
}

/* Back-patches a 16- or 24-bit length at off: bytes after off + w. */
static void
patch_len(struct msg *m, uint32_t off, int w)
{
	uint32_t v = m->n - off - (uint32_t)w;

	if (w == 3)
		m->b[off++] = (uint8_t)(v >> 16);
	m->b[off] = (uint8_t)(v >> 8);
	m->b[off + 1] = (uint8_t)v;
}

/* Names: the server's own (TLS, HTTP), or the target a proxy is asked
 * for; users and their passwords. */
static void
srv_name(const struct flow *f, char *buf, size_t len)
{
	snprintf(buf, len, "www%u.example.com", (unsigned)(f->srv % NNAMES));
}

static void
target_name(const struct gen *g, const struct flow *f, char *buf,
    size_t len)
{
	snprintf(buf, len, "host%u.example.net",
	    (unsigned)(fh(g, f, 1) % NNAMES));
}

static void
user_name(const struct gen *g, const struct flow *f, char *buf, size_t len)
{
	snprintf(buf, len, "user%02u", (unsigned)(fh(g, f, 2) % NUSERS));
}

static void
user_pass(const struct gen *g, const struct flow *f, char *buf, size_t len)
{
	snprintf(buf, len, "pw%08x", (unsigned)fh(g, f, 3));
}

static uint16_t
tun_port(const struct flow *f)
{
	return f->tun_tls ? 443 : 80;
}

/*
 * A TLS 1.3 ClientHello in one record (RFC 8446 4.1.2) naming host in
 * server_name (RFC 6066 3), with what curl/OpenSSL sends beside it:
 * groups, point formats, signature algorithms, ALPN, supported_versions,
 * psk modes and an X25519 key share.
 */
static void
tls_hello(struct msg *m, const struct gen *g, const struct flow *f,
    const char *host)
{
	static const uint16_t suites[] = { 0x1302, 0x1303, 0x1301, 0xc02c,
	    0xc030, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0x009f, 0x009e, 0x00ff };
	static const uint16_t sigs[] = { 0x0403, 0x0503, 0x0603, 0x0807,
	    0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };
	uint32_t rec, hs, ext, e, l, hl = (uint32_t)strlen(host);
	size_t i;

	add8(m, 22);			/* handshake record */
	add16(m, 0x0301);
	rec = m->n;
	add16(m, 0);
	add8(m, 1);			/* client_hello */
	hs = m->n;
	add8(m, 0);
	add16(m, 0);
	add16(m, 0x0303);		/* legacy_version */
	addrand(m, g, f, 16, 32);	/* random */
	add8(m, 32);			/* legacy_session_id */
	addrand(m, g, f, 24, 32);
	add16(m, 2 * (uint32_t)(sizeof(suites) / sizeof(suites[0])));
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		add16(m, suites[i]);
	add8(m, 1);			/* compression: null */
	add8(m, 0);
	ext = m->n;
	add16(m, 0);
	add16(m, 0);			/* server_name */
	add16(m, hl + 5);
	add16(m, hl + 3);
	add8(m, 0);			/* host_name */
	add16(m, hl);
	add(m, host, hl);
	add16(m, 11);			/* ec_point_formats */
	add16(m, 4);
	add8(m, 3);
	add8(m, 0);
	add8(m, 1);
	add8(m, 2);
	add16(m, 10);			/* supported_groups */
	add16(m, 8);
	add16(m, 6);
	add16(m, 0x001d);
	add16(m, 0x0017);
	add16(m, 0x0018);
	add16(m, 16);			/* ALPN: h2, http/1.1 */
	e = m->n;
	add16(m, 0);
	l = m->n;
	add16(m, 0);
	add8(m, 2);
	adds(m, "h2");
	add8(m, 8);
	adds(m, "http/1.1");
	patch_len(m, l, 2);
	patch_len(m, e, 2);
	add16(m, 22);			/* encrypt_then_mac */
	add16(m, 0);
	add16(m, 23);			/* extended_master_secret */
	add16(m, 0);
	add16(m, 13);			/* signature_algorithms */
	add16(m, 2 + 2 * (uint32_t)(sizeof(sigs) / sizeof(sigs[0])));
	add16(m, 2 * (uint32_t)(sizeof(sigs) / sizeof(sigs[0])));
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		add16(m, sigs[i]);
	add16(m, 43);			/* supported_versions: 1.3, 1.2 */
	add16(m, 5);
	add8(m, 4);
	add16(m, 0x0304);
	add16(m, 0x0303);
	add16(m, 45);			/* psk_key_exchange_modes: psk_dhe_ke */
	add16(m, 2);
	add8(m, 1);
	add8(m, 1);
	add16(m, 51);			/* key_share: x25519 */
	add16(m, 38);
	add16(m, 36);
	add16(m, 0x001d);
	add16(m, 32);
	addrand(m, g, f, 40, 32);
	patch_len(m, ext, 2);
	patch_len(m, hs, 3);
	patch_len(m, rec, 2);
}

/* "Basic " credentials of RFC 7617: base64 (RFC 4648 4) of user:pass. */
static void
basic_auth(struct msg *m, const char *user, const char *pass)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char in[128];
	uint32_t n, i, v;

	n = (uint32_t)snprintf(in, sizeof(in), "%s:%s", user, pass);
	adds(m, "Proxy-Authorization: Basic ");
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)(uint8_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		add8(m, (uint8_t)b64[v >> 18 & 63]);
		add8(m, (uint8_t)b64[v >> 12 & 63]);
		add8(m, i + 1 < n ? (uint8_t)b64[v >> 6 & 63] : '=');
		add8(m, i + 2 < n ? (uint8_t)b64[v & 63] : '=');
	}
	adds(m, "\r\n");
}

/* An HTTP/1.1 request (RFC 9112 3): origin form with Host, or the
 * absolute form a forward proxy is sent. */
static void
http_get(struct msg *m, const struct gen *g, const struct flow *f,
    const char *host, int absolute)
{
	char line[320], user[32], pass[32];

	snprintf(line, sizeof(line), "GET %s%s/item/%u HTTP/1.1\r\n",
	    absolute ? "http://" : "", absolute ? host : "",
	    (unsigned)(fh(g, f, 4) % 100000));
	adds(m, line);
	adds(m, "Host: ");
	adds(m, host);
	adds(m, "\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n");
	if (absolute && f->auth) {
		user_name(g, f, user, sizeof(user));
		user_pass(g, f, pass, sizeof(pass));
		basic_auth(m, user, pass);
		adds(m, "Proxy-Connection: Keep-Alive\r\n");
	}
	adds(m, "\r\n");
}

/*
 * The first request of a flow, into m: the TLS ClientHello or HTTP
 * request of a direct flow, or the first bytes through a proxy's tunnel.
 */
static void
first_request(struct msg *m, const struct gen *g, const struct flow *f)
{
	char name[64], hp[80];

	switch (f->hs) {
	case HS_TLS:
		srv_name(f, name, sizeof(name));
		tls_hello(m, g, f, name);
		return;
	case HS_HTTP:
		srv_name(f, name, sizeof(name));
		http_get(m, g, f, name, 0);
		return;
	case HS_HTTP_PROXY:
		target_name(g, f, name, sizeof(name));
		http_get(m, g, f, name, 1);
		return;
	default:
		break;
	}
	/* Through a tunnel: its target, named as the client named it. */
	target_name(g, f, name, sizeof(name));
	if (f->tun_tls)
		tls_hello(m, g, f, name);
	else {
		snprintf(hp, sizeof(hp), "%s", name);
		http_get(m, g, f, hp, 0);
	}
}

/* Status line and headers of the first answer to an HTTP request whose
 * answer is total bytes long (RFC 9112 4, 6.3: Content-Length). */
static void
http_answer(struct msg *m, const struct flow *f, uint32_t total)
{
	char hdr[200];
	uint32_t hl = 0, body = total;
	int i;

	/* The header's length depends on the body's digits: settle it. */
	for (i = 0; i < 3; i++) {
		hl = (uint32_t)snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %u\r\n\r\n", f->answer == HA_OK ?
		    "200 OK" : "403 Forbidden", (unsigned)body);
		body = total > hl ? total - hl : 0;
	}
	add(m, hdr, hl);
}

/* The SOCKS5 request's DST.ADDR (RFC 1928 4/5): name, IPv4 or IPv6. */
static void
socks5_addr(struct msg *m, const struct gen *g, const struct flow *f)
{
	char name[64];
	uint64_t h = fh(g, f, 5);

	add8(m, f->atyp);
	if (f->atyp == 3) {
		target_name(g, f, name, sizeof(name));
		add8(m, (uint32_t)strlen(name));
		adds(m, name);
	} else if (f->atyp == 1) {
		add8(m, 198);		/* 198.51.100.0/24, TEST-NET-2 */
		add8(m, 51);
		add8(m, 100);
		add8(m, 1 + (uint32_t)(h % 254));
	} else {
		add16(m, 0x2001);	/* 2001:db8::/32, documentation */
		add16(m, 0x0db8);
		add16(m, 0);
		add16(m, 0);
		add16(m, 0);
		add16(m, 0);
		add16(m, 0);
		add16(m, 1 + (uint32_t)(h % 65534));
	}
	add16(m, tun_port(f));
}

/*
 * Message step of the proxy handshake of f (state TS_HS), into m; *dir
 * gets its direction. Returns 0 when the handshake has no such message.
 */
static int
hs_msg(const struct gen *g, const struct flow *f, unsigned step,
    struct msg *m, int *dir)
{
	char name[64], user[32], pass[32], line[256];
	uint8_t srv[16];
	unsigned i;

	m->n = 0;
	*dir = step & 1;
	user_name(g, f, user, sizeof(user));
	user_pass(g, f, pass, sizeof(pass));
	switch (f->hs) {
	case HS_CONNECT:	/* RFC 9110 9.3.6 */
		if (step == 0) {
			target_name(g, f, name, sizeof(name));
			snprintf(line, sizeof(line), "CONNECT %s:%u HTTP/1.1\r\n"
			    "Host: %s:%u\r\nUser-Agent: curl/7.88.1\r\n", name,
			    tun_port(f), name, tun_port(f));
			adds(m, line);
			if (f->auth)
				basic_auth(m, user, pass);
			adds(m, "Proxy-Connection: Keep-Alive\r\n\r\n");
		} else if (step == 1) {
			adds(m, f->answer == HA_OK ?
			    "HTTP/1.1 200 Connection established\r\n\r\n" :
			    f->answer == HA_AUTH_FAIL ?
			    "HTTP/1.1 407 Proxy Authentication Required\r\n"
			    "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
			    "Content-Length: 0\r\n\r\n" :
			    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
			    "\r\n");
		}
		break;
	case HS_SOCKS5:		/* RFC 1928, RFC 1929 */
		if (!f->auth && step >= 2)
			step += 2;	/* no method subnegotiation */
		switch (step) {
		case 0:		/* greeting: methods */
			add8(m, 5);
			if (f->auth) {
				add8(m, 2);
				add8(m, 0);
				add8(m, 2);
			} else {
				add8(m, 1);
				add8(m, 0);
			}
			break;
		case 1:		/* method choice */
			add8(m, 5);
			add8(m, f->auth ? 2 : 0);
			break;
		case 2:		/* RFC 1929 username/password */
			add8(m, 1);
			add8(m, (uint32_t)strlen(user));
			adds(m, user);
			add8(m, (uint32_t)strlen(pass));
			adds(m, pass);
			break;
		case 3:
			add8(m, 1);
			add8(m, f->answer == HA_AUTH_FAIL ? 1 : 0);
			break;
		case 4:		/* request: CONNECT */
			if (f->answer == HA_AUTH_FAIL)
				break;
			add8(m, 5);
			add8(m, 1);
			add8(m, 0);
			socks5_addr(m, g, f);
			break;
		case 5:		/* reply: BND the proxy's own address */
			if (f->answer == HA_AUTH_FAIL)
				break;
			add8(m, 5);
			add8(m, f->answer == HA_OK ? 0 : 2);
			add8(m, 0);
			if (f->answer != HA_OK) {
				add8(m, 1);
				add16(m, 0);
				add16(m, 0);
				add16(m, 0);
				break;
			}
			srv_addr(f, srv);
			add8(m, f->af == 4 ? 1 : 4);
			for (i = 0; i < (f->af == 4 ? 4u : 16u); i++)
				add8(m, srv[i]);
			add16(m, 1024 + (uint32_t)(fh(g, f, 6) % 60000));
			break;
		}
		break;
	case HS_SOCKS4:		/* SOCKS4; 4a: a name after USERID */
	case HS_SOCKS4A:
		if (step == 0) {
			add8(m, 4);
			add8(m, 1);
			add16(m, tun_port(f));
			if (f->hs == HS_SOCKS4A) {
				add16(m, 0);	/* 0.0.0.x, x != 0 */
				add8(m, 0);
				add8(m, 1 + (uint32_t)(fh(g, f, 5) % 255));
			} else {
				add8(m, 198);
				add8(m, 51);
				add8(m, 100);
				add8(m, 1 + (uint32_t)(fh(g, f, 5) % 254));
			}
			adds(m, user);
			add8(m, 0);
			if (f->hs == HS_SOCKS4A) {
				target_name(g, f, name, sizeof(name));
				adds(m, name);
				add8(m, 0);
			}
		} else if (step == 1) {
			add8(m, 0);
			add8(m, f->answer == HA_OK ? 90 : 91);
			add16(m, 0);
			add16(m, 0);
			add16(m, 0);
		}
		break;
	default:
		break;
	}
	return m->n > 0;
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
 * The next message of a proxy handshake (TS_HS): the server answers
 * within 50 us to 2 ms, the client a round trip later. After the last,
 * a refused flow is closed by the proxy and an accepted one goes on to
 * its requests, through the tunnel.
 */
static void
tcp_hs(struct gen *g, struct flow *f)
{
	struct msg m;
	int dir, next;

	if (!hs_msg(g, f, f->hs_step, &m, &dir)) {
		f->state = TS_REQ;	/* not reached: no empty handshake */
		schedule(g, rtt(g, f));
		return;
	}
	emit_pl(g, f, dir, TH_PSH | TH_ACK, m.n, m.b, m.n);
	f->seq[dir] += m.n;
	f->hs_step++;
	if (hs_msg(g, f, f->hs_step, &m, &next)) {
		schedule(g, next == 0 ? rtt(g, f) :
		    rnd_ns(g, 50 * US, 2 * MS));
		return;
	}
	if (f->answer != HA_OK) {
		g->st.hs_done[f->hs]++;
		g->st.hs_refused++;
		g->st.tcp_end[f->end]--;
		g->st.tcp_end[TE_FIN_SRV]++;
		f->end = TE_FIN_SRV;
		f->state = TS_FIN1;
		schedule(g, rnd_ns(g, 20 * US, 2 * MS));
		return;
	}
	f->state = TS_REQ;
	schedule(g, rtt(g, f));
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
	struct msg m;
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
		f->state = f->hs >= HS_CONNECT ? TS_HS : TS_REQ;
		schedule(g, rnd_ns(g, 5 * US, 100 * US));
		return;
	case TS_HS:
		tcp_hs(g, f);
		return;
	case TS_REQ:
		if (f->first_req) {
			/* The handshake, or the first bytes in the tunnel. */
			m.n = 0;
			first_request(&m, g, f);
			len = m.n;
			emit_pl(g, f, 0, TH_PSH | TH_ACK, len, m.b, m.n);
			f->first_req = 0;
			if (f->hs != HS_HTTP_PROXY && (f->hs < HS_CONNECT ||
			    f->tun_tls))
				g->st.hs_done[f->hs]++;
		} else {
			len = 80 + rnd_below(g, 820);
			emit(g, f, 0, TH_PSH | TH_ACK, len);
		}
		f->seq[0] += len;
		/* Most answers fit in a few segments, one in twenty is a
		 * download. */
		f->left = (uint16_t)(rnd_below(g, 20) == 0 ?
		    5 + rnd_below(g, 60) : 1 + rnd_below(g, 4));
		f->resp_last = (uint16_t)(100 + rnd_below(g, mss - 100));
		f->unacked = 0;
		f->state = TS_RESP;
		schedule(g, rnd_ns(g, 50 * US, 20 * MS));
		break;
	case TS_RESP:
		len = f->left > 1 ? mss : f->resp_last;
		if (f->first_resp) {
			/* An HTTP answer: status line and headers first. */
			m.n = 0;
			http_answer(&m, f, (f->left - 1u) * mss +
			    f->resp_last);
			emit_pl(g, f, 1, f->left > 1 ? TH_ACK :
			    TH_PSH | TH_ACK, len, m.b, m.n < len ? m.n : len);
			f->first_resp = 0;
			if (f->hs == HS_HTTP_PROXY || f->hs >= HS_CONNECT)
				g->st.hs_done[f->hs]++;
			if (f->hs == HS_HTTP_PROXY && f->answer != HA_OK)
				g->st.hs_refused++;
		} else
			emit(g, f, 1, f->left > 1 ? TH_ACK : TH_PSH | TH_ACK,
			    len);
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
	o->snaplen = 512;
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
	    "udp_ended=%llu\n"
	    "handshakes_planned tls=%llu http=%llu http_proxy=%llu "
	    "connect=%llu socks5=%llu socks4=%llu socks4a=%llu logins=%llu\n"
	    "handshakes_answered tls=%llu http=%llu http_proxy=%llu "
	    "connect=%llu socks5=%llu socks4=%llu socks4a=%llu "
	    "refused=%llu\n",
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
	    (unsigned long long)s->udp_done,
	    (unsigned long long)s->hs[HS_TLS],
	    (unsigned long long)s->hs[HS_HTTP],
	    (unsigned long long)s->hs[HS_HTTP_PROXY],
	    (unsigned long long)s->hs[HS_CONNECT],
	    (unsigned long long)s->hs[HS_SOCKS5],
	    (unsigned long long)s->hs[HS_SOCKS4],
	    (unsigned long long)s->hs[HS_SOCKS4A],
	    (unsigned long long)s->hs_auth,
	    (unsigned long long)s->hs_done[HS_TLS],
	    (unsigned long long)s->hs_done[HS_HTTP],
	    (unsigned long long)s->hs_done[HS_HTTP_PROXY],
	    (unsigned long long)s->hs_done[HS_CONNECT],
	    (unsigned long long)s->hs_done[HS_SOCKS5],
	    (unsigned long long)s->hs_done[HS_SOCKS4],
	    (unsigned long long)s->hs_done[HS_SOCKS4A],
	    (unsigned long long)s->hs_refused);
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
	g.hs_seed = g.o.seed * 0x9e3779b97f4a7c15ULL ^ 0x5a11ab1eULL;
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
