/*
 * test_decode: decode_packet() on crafted frames, one test per link type
 * and header feature, asserting every field of struct decoded. Every frame
 * is then put through a truncation sweep: each prefix 0..n-1 (caplen =
 * prefix, wirelen = n) must give DEC_TRUNC, the full frame's own result,
 * or (when only the ports were needed) the same flow. Frames are copied
 * into exactly sized heap buffers so ASan catches any read past caplen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "pk.h"

#define SPORT	40000
#define DPORT	80
#define SEQ	1000

/* What a test expects; fields left zero are expected zero. */
struct want {
	enum decode_res		 res;
	enum decode_reason	 why;
	uint8_t			 af, proto, flags, frag;
	const uint8_t		*src, *dst;
	uint16_t		 sport, dport;
	/* frag_data is the transport length for unfragmented packets too. */
	uint32_t		 seq, ip_bytes, payload, frag_id, frag_data;
	int			 no_l7;		/* l7 is NULL */
	int			 l7cap_set;	/* else the pk payload */
	uint32_t		 l7_caplen;
};

static const uint8_t zero16[16];

/*
 * Exactly sized heap copies, so ASan flags any read past caplen. A failed
 * assertion longjmps out of the test; the slots are freed on the next use
 * and in the group teardown, so that leaves no leak behind.
 */
static uint8_t *slot_full, *slot_prefix;

static uint8_t *
exact_copy(uint8_t **slot, const uint8_t *src, size_t n)
{
	free(*slot);
	*slot = malloc(n > 0 ? n : 1);
	assert_non_null(*slot);
	memcpy(*slot, src, n);
	return *slot;
}

static int
free_slots(void **state)
{
	(void)state;
	free(slot_full);
	free(slot_prefix);
	slot_full = slot_prefix = NULL;
	return 0;
}

static int
is_trunc_reason(enum decode_reason r)
{
	return r == DR_LINK_TRUNC || r == DR_IP_TRUNC ||
	    r == DR_IP6_EXT_TRUNC || r == DR_L4_TRUNC || r == DR_TUNNEL;
}

/* l7 must point into the captured bytes, or be NULL with no length. */
static void
check_l7_bounds(const struct decoded *d, const uint8_t *buf, uint32_t caplen)
{
	if (d->l7 == NULL) {
		assert_int_equal(d->l7_caplen, 0);
		return;
	}
	assert_true(d->l7 >= buf);
	assert_true((size_t)(d->l7 - buf) <= caplen);
	assert_true(d->l7_caplen <= caplen - (size_t)(d->l7 - buf));
}

/*
 * Every prefix of the frame, with the original wire length. A result is
 * acceptable if it is DEC_TRUNC for a truncation reason, or the full
 * frame's result; a DEC_OK must then describe the same flow. The one
 * allowed upgrade: a TCP header whose data offset is bad decodes when the
 * capture ends before the offset, since the ports suffice.
 */
static void
sweep(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
    enum decode_res fres, enum decode_reason fwhy, const struct decoded *full)
{
	uint32_t k;

	for (k = 0; k < caplen; k++) {
		uint8_t *b = exact_copy(&slot_prefix, frame, k);
		struct decoded d;
		enum decode_reason why;
		enum decode_res r;

		r = decode_packet(dlt, b, k, wirelen, &d, &why);
		check_l7_bounds(&d, b, k);
		if (r == DEC_TRUNC) {
			if (!is_trunc_reason(why))
				print_error("prefix %u: reason %s\n", k,
				    decode_reason_name(why));
			assert_true(is_trunc_reason(why));
		} else if (r == DEC_OK && fres == DEC_INVALID &&
		    fwhy == DR_TCP_HLEN) {
			assert_int_equal(why, DR_NONE);
			assert_null(d.l7);
		} else {
			if (r != fres)
				print_error("prefix %u of %u: %d/%s, full %d/%s\n",
				    k, caplen, r, decode_reason_name(why), fres,
				    decode_reason_name(fwhy));
			assert_int_equal(r, fres);
			assert_int_equal(why, fwhy);
		}
		if (r == DEC_OK) {
			assert_int_equal(d.af, full->af);
			assert_int_equal(d.proto, full->proto);
			assert_memory_equal(d.src, full->src, 16);
			assert_memory_equal(d.dst, full->dst, 16);
			assert_int_equal(d.ip_bytes, full->ip_bytes);
			assert_int_equal(d.frag, full->frag);
			assert_int_equal(d.frag_id, full->frag_id);
			assert_int_equal(d.frag_data, full->frag_data);
			if (fres == DEC_OK) {
				assert_int_equal(d.sport, full->sport);
				assert_int_equal(d.dport, full->dport);
				assert_true(d.tcp_flags == full->tcp_flags ||
				    d.tcp_flags == 0);
				assert_true(d.tcp_seq == full->tcp_seq ||
				    d.tcp_seq == 0);
			}
			if (d.l7 != NULL) {
				/* Whole transport header captured. */
				assert_int_equal(d.payload, full->payload);
				assert_int_equal(d.tcp_flags, full->tcp_flags);
				assert_int_equal(d.l7 - b, full->l7 - frame);
			}
		}
		/* A runt: the frame really was this short. No crash, sane
		 * output; anything goes for the result. */
		r = decode_packet(dlt, b, k, k, &d, &why);
		assert_true(r <= DEC_UNSUPPORTED);
		assert_true(why < DR_MAX);
		assert_true((r == DEC_OK) == (why == DR_NONE));
		check_l7_bounds(&d, b, k);
	}
}

/*
 * Decodes the first caplen bytes of p (wire length wirelen, 0 for the
 * frame's length), checks every field against w, then sweeps.
 */
static void
expect_cap(int dlt, const struct pk *p, uint32_t caplen, uint32_t wirelen,
    const struct want *w)
{
	uint8_t *b = exact_copy(&slot_full, pk_data(p), caplen);
	struct decoded d, full;
	enum decode_reason why;
	enum decode_res r;

	if (wirelen == 0)
		wirelen = (uint32_t)p->len;
	/* Garbage in, to catch fields the decoder leaves alone. */
	memset(&d, 0xa5, sizeof(d));
	r = decode_packet(dlt, b, caplen, wirelen, &d, &why);
	if (r != w->res || why != w->why)
		print_error("got %d/%s, want %d/%s\n", r,
		    decode_reason_name(why), w->res,
		    decode_reason_name(w->why));
	assert_int_equal(r, w->res);
	assert_int_equal(why, w->why);
	check_l7_bounds(&d, b, caplen);
	if (r == DEC_OK) {
		assert_int_equal(d.af, w->af);
		assert_int_equal(d.proto, w->proto);
		assert_int_equal(d.tcp_flags, w->flags);
		assert_int_equal(d.frag, w->frag);
		assert_memory_equal(d.src, w->src, 16);
		assert_memory_equal(d.dst, w->dst, 16);
		assert_int_equal(d.sport, w->sport);
		assert_int_equal(d.dport, w->dport);
		assert_int_equal(d.ip_bytes, w->ip_bytes);
		assert_int_equal(d.payload, w->payload);
		assert_int_equal(d.tcp_seq, w->seq);
		assert_int_equal(d.frag_id, w->frag_id);
		assert_int_equal(d.frag_data, w->frag_data);
		if (w->no_l7) {
			assert_null(d.l7);
			assert_int_equal(d.l7_caplen, 0);
		} else {
			assert_non_null(d.l7);
			assert_int_equal(d.l7 - b, p->pay_off - p->off);
			assert_int_equal(d.l7_caplen, w->l7cap_set ?
			    w->l7_caplen : p->pay_len);
		}
	}
	full = d;
	sweep(dlt, b, caplen, wirelen, r, why, &full);
}

static void
expect(int dlt, const struct pk *p, const struct want *w)
{
	expect_cap(dlt, p, (uint32_t)p->len, 0, w);
}

static void
expect_fail(int dlt, const struct pk *p, enum decode_res res,
    enum decode_reason why)
{
	struct want w = { .res = res, .why = why };

	expect(dlt, p, &w);
}

/* Common flows: TCP 40000 > 80 seq 1000, UDP 40000 > 53. */
static void
v4_tcp(struct pk *p, size_t pay, uint8_t flags)
{
	pk_init(p, pay);
	pk_tcp(p, SPORT, DPORT, SEQ, flags, 20);
	pk_ipv4(p, 6, pk_v4_src, pk_v4_dst, 20, 0x1111, 0);
}

static struct want
want_v4_tcp(size_t pay, uint8_t flags)
{
	struct want w = { .af = 4, .proto = 6, .flags = flags & 0x1f,
	    .src = pk_v4_src, .dst = pk_v4_dst, .sport = SPORT,
	    .dport = DPORT, .seq = SEQ, .ip_bytes = (uint32_t)(40 + pay),
	    .payload = (uint32_t)pay, .frag_data = (uint32_t)(20 + pay) };

	return w;
}

static void
v4_udp(struct pk *p, size_t pay)
{
	pk_init(p, pay);
	pk_udp(p, SPORT, 53);
	pk_ipv4(p, 17, pk_v4_src, pk_v4_dst, 20, 0x2222, 0);
}

static struct want
want_v4_udp(size_t pay)
{
	struct want w = { .af = 4, .proto = 17, .src = pk_v4_src,
	    .dst = pk_v4_dst, .sport = SPORT, .dport = 53,
	    .ip_bytes = (uint32_t)(28 + pay), .payload = (uint32_t)pay,
	    .frag_data = (uint32_t)(8 + pay) };

	return w;
}

static void
v6_tcp(struct pk *p, size_t pay, uint8_t flags)
{
	pk_init(p, pay);
	pk_tcp(p, SPORT, DPORT, SEQ, flags, 20);
	pk_ipv6(p, 6, pk_v6_src, pk_v6_dst);
}

static struct want
want_v6_tcp(size_t pay, uint8_t flags)
{
	struct want w = { .af = 6, .proto = 6, .flags = flags & 0x1f,
	    .src = pk_v6_src, .dst = pk_v6_dst, .sport = SPORT,
	    .dport = DPORT, .seq = SEQ, .ip_bytes = (uint32_t)(60 + pay),
	    .payload = (uint32_t)pay, .frag_data = (uint32_t)(20 + pay) };

	return w;
}

static void
v6_udp(struct pk *p, size_t pay)
{
	pk_init(p, pay);
	pk_udp(p, SPORT, 53);
	pk_ipv6(p, 17, pk_v6_src, pk_v6_dst);
}

static struct want
want_v6_udp(size_t pay)
{
	struct want w = { .af = 6, .proto = 17, .src = pk_v6_src,
	    .dst = pk_v6_dst, .sport = SPORT, .dport = 53,
	    .ip_bytes = (uint32_t)(48 + pay), .payload = (uint32_t)pay,
	    .frag_data = (uint32_t)(8 + pay) };

	return w;
}

/* ---- link layers ---------------------------------------------------- */

static void
test_decode_eth_ipv4_tcp(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 100, PK_TCP_PSH | PK_TCP_ACK);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(100, PK_TCP_PSH | PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

/* A 40-byte segment padded to the 60-byte minimum: the trailer is no
 * payload, and l7 stops at the IP length. */
static void
test_decode_eth_padding_not_payload(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 0, PK_TCP_ACK);
	pk_eth(&p, 0x0800);
	pk_pad(&p, 6);
	w = want_v4_tcp(0, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_eth_ipv6_udp(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v6_udp(&p, 33);
	pk_eth(&p, 0x86dd);
	w = want_v6_udp(33);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_vlan_8100(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 10, PK_TCP_ACK);
	pk_tag(&p, 0x0800, 100);
	pk_eth(&p, 0x8100);
	w = want_v4_tcp(10, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_vlan_qinq_88a8(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v6_tcp(&p, 10, PK_TCP_ACK);
	pk_tag(&p, 0x86dd, 100);
	pk_tag(&p, 0x8100, 200);
	pk_eth(&p, 0x88a8);
	w = want_v6_tcp(10, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_vlan_9100(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_udp(&p, 5);
	pk_tag(&p, 0x0800, 7);
	pk_eth(&p, 0x9100);
	w = want_v4_udp(5);
	expect(DECODE_DLT_EN10MB, &p, &w);

	v4_udp(&p, 5);
	pk_tag(&p, 0x0800, 7);
	pk_tag(&p, 0x8100, 8);
	pk_eth(&p, 0x9100);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_vlan_too_deep(void **state)
{
	struct pk p;
	int i;

	(void)state;
	v4_udp(&p, 5);
	pk_tag(&p, 0x0800, 1);
	for (i = 0; i < 8; i++)
		pk_tag(&p, 0x8100, (uint16_t)(i + 2));
	pk_eth(&p, 0x8100);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_VLAN_DEPTH);
}

static void
test_decode_8023_snap(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 20, PK_TCP_ACK);
	pk_snap(&p, 0x0800);
	pk_eth(&p, (uint16_t)p.len);
	w = want_v4_tcp(20, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_8023_llc_not_ip(void **state)
{
	struct pk p;
	uint8_t *llc;

	(void)state;
	/* Spanning tree: LLC 42 42 03, BPDU. */
	pk_init(&p, 35);
	llc = pk_push(&p, 3);
	llc[0] = 0x42;
	llc[1] = 0x42;
	llc[2] = 0x03;
	pk_eth(&p, (uint16_t)p.len);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

static void
test_decode_pppoe(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 50, PK_TCP_ACK);
	pk_pppoe(&p, 0x0021);
	pk_eth(&p, 0x8864);
	w = want_v4_tcp(50, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);

	v6_udp(&p, 9);
	pk_pppoe(&p, 0x0057);
	pk_eth(&p, 0x8864);
	w = want_v6_udp(9);
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* LCP is no IP. */
	pk_init(&p, 10);
	pk_pppoe(&p, 0xc021);
	pk_eth(&p, 0x8864);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

static void
test_decode_mpls(void **state)
{
	struct pk p;
	struct want w;
	int i;

	(void)state;
	v4_tcp(&p, 12, PK_TCP_ACK);
	pk_mpls(&p, 17, 1);
	pk_mpls(&p, 16, 0);
	pk_eth(&p, 0x8847);
	w = want_v4_tcp(12, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);

	v6_udp(&p, 3);
	pk_mpls(&p, 2, 1);
	pk_eth(&p, 0x8848);
	w = want_v6_udp(3);
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* Pseudowire control word (first nibble 0): not followed. */
	pk_init(&p, 60);
	pk_mpls(&p, 5, 1);
	pk_eth(&p, 0x8847);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);

	/* Nine labels without bottom of stack within the limit. */
	v4_udp(&p, 3);
	pk_mpls(&p, 100, 1);
	for (i = 0; i < 8; i++)
		pk_mpls(&p, (uint32_t)i + 16, 0);
	pk_eth(&p, 0x8847);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_VLAN_DEPTH);
}

static void
test_decode_sll(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 7, PK_TCP_FIN | PK_TCP_ACK);
	pk_sll(&p, 0x0800);
	w = want_v4_tcp(7, PK_TCP_FIN | PK_TCP_ACK);
	expect(DECODE_DLT_LINUX_SLL, &p, &w);

	v6_tcp(&p, 7, PK_TCP_ACK);
	pk_sll(&p, 0x86dd);
	w = want_v6_tcp(7, PK_TCP_ACK);
	expect(DECODE_DLT_LINUX_SLL, &p, &w);

	/* SLL protocol 0x0004: 802.2 LLC frames. */
	pk_init(&p, 30);
	pk_sll(&p, 0x0004);
	expect_fail(DECODE_DLT_LINUX_SLL, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

static void
test_decode_sll2(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v6_udp(&p, 70);
	pk_sll2(&p, 0x86dd);
	w = want_v6_udp(70);
	expect(DECODE_DLT_LINUX_SLL2, &p, &w);

	v4_tcp(&p, 0, PK_TCP_SYN);
	pk_sll2(&p, 0x0800);
	w = want_v4_tcp(0, PK_TCP_SYN);
	expect(DECODE_DLT_LINUX_SLL2, &p, &w);

	pk_init(&p, 28);
	pk_sll2(&p, 0x0806);
	expect_fail(DECODE_DLT_LINUX_SLL2, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

/* BSD NULL: AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30
 * depending on the writer's OS; host byte order of the writer. */
static void
test_decode_null_families(void **state)
{
	static const uint32_t fams[] = { 2, 10, 24, 28, 30 };
	struct pk p;
	struct want w;
	size_t i;
	int be;

	(void)state;
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		for (be = 0; be <= 1; be++) {
			if (fams[i] == 2) {
				v4_udp(&p, 11);
				w = want_v4_udp(11);
			} else {
				v6_tcp(&p, 11, PK_TCP_ACK);
				w = want_v6_tcp(11, PK_TCP_ACK);
			}
			pk_null(&p, fams[i], be);
			expect(DECODE_DLT_NULL, &p, &w);
		}
	}
	v4_udp(&p, 11);
	pk_null(&p, 7, 0);
	expect_fail(DECODE_DLT_NULL, &p, DEC_UNSUPPORTED, DR_NOT_IP);
	v4_udp(&p, 11);
	pk_null(&p, 7, 1);
	expect_fail(DECODE_DLT_NULL, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

/* LOOP is always network byte order: little endian 2 is no family. */
static void
test_decode_loop(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 1, PK_TCP_ACK);
	pk_null(&p, 2, 1);
	w = want_v4_tcp(1, PK_TCP_ACK);
	expect(DECODE_DLT_LOOP, &p, &w);

	v6_udp(&p, 1);
	pk_null(&p, 24, 1);
	w = want_v6_udp(1);
	expect(DECODE_DLT_LOOP, &p, &w);

	v4_tcp(&p, 1, PK_TCP_ACK);
	pk_null(&p, 2, 0);
	expect_fail(DECODE_DLT_LOOP, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

static void
test_decode_raw(void **state)
{
	static const int dlts[] = { DECODE_DLT_RAW, DECODE_DLT_RAW_OBSD,
	    DECODE_DLT_LINKTYPE_RAW, DECODE_DLT_IPV4, DECODE_DLT_IPV6 };
	struct pk p;
	struct want w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		if (dlts[i] == DECODE_DLT_IPV6) {
			v6_tcp(&p, 200, PK_TCP_ACK);
			w = want_v6_tcp(200, PK_TCP_ACK);
		} else {
			v4_udp(&p, 200);
			w = want_v4_udp(200);
		}
		expect(dlts[i], &p, &w);
	}
	/* Raw DLT 12 carries either version. */
	v6_udp(&p, 4);
	w = want_v6_udp(4);
	expect(DECODE_DLT_RAW, &p, &w);
}

static void
test_decode_dlt_unsupported(void **state)
{
	struct pk p;

	(void)state;
	v4_udp(&p, 4);
	pk_eth(&p, 0x0800);
	expect_fail(105, &p, DEC_UNSUPPORTED, DR_LINK_TYPE);
	assert_false(decode_dlt_supported(105));
	assert_false(decode_dlt_supported(-1));
	assert_true(decode_dlt_supported(DECODE_DLT_NULL));
	assert_true(decode_dlt_supported(DECODE_DLT_EN10MB));
	assert_true(decode_dlt_supported(DECODE_DLT_RAW));
	assert_true(decode_dlt_supported(DECODE_DLT_RAW_OBSD));
	assert_true(decode_dlt_supported(DECODE_DLT_LINKTYPE_RAW));
	assert_true(decode_dlt_supported(DECODE_DLT_LOOP));
	assert_true(decode_dlt_supported(DECODE_DLT_LINUX_SLL));
	assert_true(decode_dlt_supported(DECODE_DLT_IPV4));
	assert_true(decode_dlt_supported(DECODE_DLT_IPV6));
	assert_true(decode_dlt_supported(DECODE_DLT_LINUX_SLL2));
}

static void
test_decode_not_ip(void **state)
{
	struct pk p;

	(void)state;
	pk_init(&p, 28);		/* ARP request body */
	pk_eth(&p, 0x0806);
	pk_pad(&p, 18);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);

	pk_init(&p, 40);		/* LLDP */
	pk_eth(&p, 0x88cc);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);

	pk_init(&p, 28);		/* ARP in a VLAN */
	pk_tag(&p, 0x0806, 5);
	pk_eth(&p, 0x8100);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

/* ---- IPv4 ----------------------------------------------------------- */

static void
test_decode_ipv4_options(void **state)
{
	struct pk p;
	struct want w;
	size_t ihl;

	(void)state;
	for (ihl = 6; ihl <= 15; ihl++) {
		pk_init(&p, 40);
		pk_udp(&p, SPORT, 53);
		pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, ihl * 4, 1, 0);
		pk_eth(&p, 0x0800);
		w = want_v4_udp(40);
		w.ip_bytes = (uint32_t)(ihl * 4 + 48);
		expect(DECODE_DLT_EN10MB, &p, &w);
	}
}

/* Total length 0: TSO/GSO on the capturing host; the frame decides. */
static void
test_decode_ipv4_tso_zero_length(void **state)
{
	struct pk p;
	struct want w;
	uint8_t *ip;

	(void)state;
	pk_init(&p, 3000);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 32);
	ip = pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 9, 0x4000);
	pk_put16(ip + 2, 0);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(3000, PK_TCP_ACK);
	w.ip_bytes = 3052;
	w.frag_data = 3032;
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* The same with a 128-byte snaplen: lengths still from the wire. */
	w.l7cap_set = 1;
	w.l7_caplen = 128 - 14 - 20 - 32;
	expect_cap(DECODE_DLT_EN10MB, &p, 128, 0, &w);

	/* IPv6 payload length 0 likewise. */
	pk_init(&p, 2000);
	pk_udp_len(&p, SPORT, 53, 0);
	ip = pk_ipv6(&p, 17, pk_v6_src, pk_v6_dst);
	pk_put16(ip + 4, 0);
	pk_eth(&p, 0x86dd);
	w = want_v6_udp(2000);
	expect(DECODE_DLT_EN10MB, &p, &w);
}

static void
test_decode_ipv4_bad_ihl(void **state)
{
	struct pk p;
	uint8_t *ip;
	int ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		v4_tcp(&p, 10, PK_TCP_ACK);
		ip = p.buf + p.off;
		ip[0] = (uint8_t)(0x40 | ihl);
		expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_HLEN);
	}
	/* IHL 15 (60 bytes) in a 40-byte datagram. */
	v4_tcp(&p, 0, PK_TCP_ACK);
	ip = p.buf + p.off;
	ip[0] = 0x4f;
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_LEN);
	/* Total length below the header. */
	v4_tcp(&p, 10, PK_TCP_ACK);
	ip = p.buf + p.off;
	pk_put16(ip + 2, 19);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_LEN);
}

static void
test_decode_bad_version(void **state)
{
	struct pk p;
	uint8_t *ip;

	(void)state;
	v4_tcp(&p, 10, PK_TCP_ACK);
	ip = p.buf + p.off;
	ip[0] = 0x55;
	pk_eth(&p, 0x0800);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_INVALID, DR_IP_VERSION);

	v6_tcp(&p, 10, PK_TCP_ACK);
	ip = p.buf + p.off;
	ip[0] = 0x00;
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_VERSION);
}

/* ICMP and friends are well formed but not ours. */
static void
test_decode_not_tcp_udp(void **state)
{
	struct pk p;

	(void)state;
	pk_init(&p, 64);
	pk_ipv4(&p, 1, pk_v4_src, pk_v4_dst, 20, 3, 0);
	pk_eth(&p, 0x0800);
	expect_fail(DECODE_DLT_EN10MB, &p, DEC_UNSUPPORTED, DR_NOT_TCP_UDP);

	pk_init(&p, 64);
	pk_ipv6(&p, 58, pk_v6_src, pk_v6_dst);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_NOT_TCP_UDP);

	/* ESP after a hop-by-hop header; No Next Header. */
	pk_init(&p, 64);
	pk_ip6ext(&p, 50, 0);
	pk_ipv6(&p, 0, pk_v6_src, pk_v6_dst);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_NOT_TCP_UDP);
	pk_init(&p, 0);
	pk_ipv6(&p, 59, pk_v6_src, pk_v6_dst);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_NOT_TCP_UDP);
}

static void
test_decode_ipv4_fragments(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	/* First fragment of a 3000-byte UDP datagram: 1480 bytes of it. */
	pk_init(&p, 1472);
	pk_udp_len(&p, SPORT, 53, 3008);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 0xbeef, 0x2000);
	pk_eth(&p, 0x0800);
	w = want_v4_udp(3000);
	w.ip_bytes = 1500;
	w.frag = DEC_FRAG_FIRST;
	w.frag_id = 0xbeef;
	w.frag_data = 1480;
	w.l7cap_set = 1;
	w.l7_caplen = 1472;
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* A later one (offset 1480, more to come): no ports, no l7. */
	pk_init(&p, 1480);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 0xbeef, 0x2000 | 185);
	pk_eth(&p, 0x0800);
	w = (struct want){ .af = 4, .proto = 17, .src = pk_v4_src,
	    .dst = pk_v4_dst, .ip_bytes = 1500, .frag = DEC_FRAG_LATER,
	    .frag_id = 0xbeef, .frag_data = 1480, .no_l7 = 1 };
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* The last one (no MF) is also "later". */
	pk_init(&p, 48);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 24, 0xbeef, 370);
	w.ip_bytes = 72;
	w.frag_data = 48;
	expect(DECODE_DLT_RAW, &p, &w);

	/* TCP first fragment: payload is this fragment's data. */
	pk_init(&p, 100);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK | PK_TCP_PSH, 20);
	pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 7, 0x2000);
	w = want_v4_tcp(100, PK_TCP_ACK | PK_TCP_PSH);
	w.frag = DEC_FRAG_FIRST;
	w.frag_id = 7;
	w.frag_data = 120;
	expect(DECODE_DLT_RAW, &p, &w);

	/* DF alone is no fragment. */
	pk_init(&p, 100);
	pk_udp(&p, SPORT, 53);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 7, 0x4000);
	w = want_v4_udp(100);
	expect(DECODE_DLT_RAW, &p, &w);

	/* Later fragment of ICMP: skipped like the first. */
	pk_init(&p, 100);
	pk_ipv4(&p, 1, pk_v4_src, pk_v4_dst, 20, 7, 20);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_NOT_TCP_UDP);
}

/* ---- IPv6 ----------------------------------------------------------- */

static void
test_decode_ipv6_ext_chain(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	/* TCP behind hop-by-hop, routing, dstopts. */
	pk_init(&p, 25);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_PSH | PK_TCP_ACK, 24);
	pk_ip6ext(&p, 6, 2);		/* dstopts, 24 bytes */
	pk_ip6ext(&p, 60, 1);		/* routing, 16 bytes */
	pk_ip6ext(&p, 43, 0);		/* hop-by-hop, 8 bytes */
	pk_ipv6(&p, 0, pk_v6_src, pk_v6_dst);
	pk_eth(&p, 0x86dd);
	w = want_v6_tcp(25, PK_TCP_PSH | PK_TCP_ACK);
	w.ip_bytes = 40 + 48 + 24 + 25;
	w.frag_data = 24 + 25;
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* AH (RFC 4302, 4-octet units minus 2) in front of UDP. */
	pk_init(&p, 12);
	pk_udp(&p, SPORT, 53);
	pk_ip6ah(&p, 17, 4);		/* 24 bytes */
	pk_ip6ext(&p, 51, 0);
	pk_ipv6(&p, 0, pk_v6_src, pk_v6_dst);
	w = want_v6_udp(12);
	w.ip_bytes = 40 + 8 + 24 + 20;
	expect(DECODE_DLT_RAW, &p, &w);

	/* Mobility (135), HIP (139), shim6 (140) share the generic layout. */
	pk_init(&p, 12);
	pk_udp(&p, SPORT, 53);
	pk_ip6ext(&p, 17, 0);
	pk_ip6ext(&p, 140, 0);
	pk_ip6ext(&p, 139, 0);
	pk_ipv6(&p, 135, pk_v6_src, pk_v6_dst);
	w = want_v6_udp(12);
	w.ip_bytes = 40 + 24 + 20;
	expect(DECODE_DLT_RAW, &p, &w);
}

static void
test_decode_ipv6_ext_invalid(void **state)
{
	struct pk p;
	uint8_t *ip;
	int i;

	(void)state;
	/* Seventeen hop-by-hop headers: past DECODE_MAX_EXT. */
	pk_init(&p, 8);
	pk_udp(&p, SPORT, 53);
	pk_ip6ext(&p, 17, 0);
	for (i = 0; i < 16; i++)
		pk_ip6ext(&p, 0, 0);
	pk_ipv6(&p, 0, pk_v6_src, pk_v6_dst);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP6_EXT_INVALID);

	/* A header longer than the payload length says. */
	pk_init(&p, 8);
	pk_ip6ext(&p, 17, 0);
	ip = pk_ipv6(&p, 60, pk_v6_src, pk_v6_dst);
	ip[41] = 3;			/* 32 bytes in a 16-byte payload */
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP6_EXT_INVALID);

	/* Payload length 1 with an extension header announced: the
	 * header, not the capture, is short. */
	pk_init(&p, 16);
	ip = pk_ipv6(&p, 60, pk_v6_src, pk_v6_dst);
	pk_put16(ip + 4, 1);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP6_EXT_INVALID);
}

static void
test_decode_ipv6_fragments(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	/* First: offset 0, M = 1, UDP header inside. */
	pk_init(&p, 1224);
	pk_udp_len(&p, SPORT, 53, 2008);
	pk_ip6frag(&p, 17, 0, 1, 0x12345678);
	pk_ipv6(&p, 44, pk_v6_src, pk_v6_dst);
	pk_eth(&p, 0x86dd);
	w = want_v6_udp(2000);
	w.ip_bytes = 40 + 8 + 8 + 1224;
	w.frag = DEC_FRAG_FIRST;
	w.frag_id = 0x12345678;
	w.frag_data = 1232;
	w.l7cap_set = 1;
	w.l7_caplen = 1224;
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* Later: offset 1232, M = 0. */
	pk_init(&p, 776);
	pk_ip6frag(&p, 17, 154, 0, 0x12345678);
	pk_ipv6(&p, 44, pk_v6_src, pk_v6_dst);
	pk_eth(&p, 0x86dd);
	w = (struct want){ .af = 6, .proto = 17, .src = pk_v6_src,
	    .dst = pk_v6_dst, .ip_bytes = 40 + 8 + 776,
	    .frag = DEC_FRAG_LATER, .frag_id = 0x12345678,
	    .frag_data = 776, .no_l7 = 1 };
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* Behind a hop-by-hop header, TCP first fragment. */
	pk_init(&p, 64);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 20);
	pk_ip6frag(&p, 6, 0, 1, 9);
	pk_ip6ext(&p, 44, 0);
	pk_ipv6(&p, 0, pk_v6_src, pk_v6_dst);
	w = want_v6_tcp(64, PK_TCP_ACK);
	w.ip_bytes = 40 + 16 + 84;
	w.frag = DEC_FRAG_FIRST;
	w.frag_id = 9;
	w.frag_data = 84;
	expect(DECODE_DLT_RAW, &p, &w);

	/* Atomic fragment (offset 0, M = 0): a whole datagram. */
	pk_init(&p, 5);
	pk_udp(&p, SPORT, 53);
	pk_ip6frag(&p, 17, 0, 0, 1);
	pk_ipv6(&p, 44, pk_v6_src, pk_v6_dst);
	w = want_v6_udp(5);
	w.ip_bytes += 8;
	expect(DECODE_DLT_RAW, &p, &w);
}

/* ---- TCP and UDP ---------------------------------------------------- */

static void
test_decode_tcp_flags(void **state)
{
	static const uint8_t flags[] = { PK_TCP_SYN,
	    PK_TCP_SYN | PK_TCP_ACK, PK_TCP_FIN | PK_TCP_ACK, PK_TCP_RST,
	    PK_TCP_RST | PK_TCP_ACK, PK_TCP_PSH | PK_TCP_ACK,
	    PK_TCP_URG | PK_TCP_ACK, PK_TCP_ECE | PK_TCP_CWR | PK_TCP_SYN,
	    0xff, 0 };
	struct pk p;
	struct want w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flags); i++) {
		pk_init(&p, 3);
		pk_tcp(&p, 1234, 443, 0xfedcba98, flags[i], 20);
		pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
		w = want_v4_tcp(3, flags[i]);
		w.sport = 1234;
		w.dport = 443;
		w.seq = 0xfedcba98;
		expect(DECODE_DLT_RAW, &p, &w);
	}
}

/* Lengths come from the IP header even when the snaplen cuts the
 * payload; l7_caplen is what was captured. */
static void
test_decode_tcp_snaplen_in_payload(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	pk_init(&p, 1400);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 32);
	pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(1400, PK_TCP_ACK);
	w.ip_bytes = 1452;
	w.frag_data = 1432;
	w.l7cap_set = 1;
	w.l7_caplen = 30;
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 32 + 30, 0, &w);
	/* Cut exactly at the end of the TCP header. */
	w.l7_caplen = 0;
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 32, 0, &w);
}

/* Only the ports captured: the segment counts, payload assumes a
 * 20-byte header, flags unknown; the sequence if its 4 bytes are there. */
static void
test_decode_tcp_cut_after_ports(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	pk_init(&p, 500);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_PSH | PK_TCP_ACK, 32);
	pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(500, 0);
	w.ip_bytes = 552;
	w.payload = 512;
	w.frag_data = 532;
	w.seq = 0;
	w.no_l7 = 1;
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 4, 0, &w);
	w.seq = SEQ;
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 13, 0, &w);
	/* With flags but not the options: flags known, header length
	 * known, payload exact. */
	w.flags = PK_TCP_PSH | PK_TCP_ACK;
	w.payload = 500;
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 20, 0, &w);
	/* Fewer than 4 bytes: no ports, no observation. */
	w = (struct want){ .res = DEC_TRUNC, .why = DR_L4_TRUNC };
	expect_cap(DECODE_DLT_EN10MB, &p, 14 + 20 + 3, 0, &w);
}

static void
test_decode_tcp_bad_offset(void **state)
{
	struct pk p;
	int doff;

	(void)state;
	for (doff = 0; doff < 5; doff++) {
		pk_init(&p, 10);
		pk_tcp_raw(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 20,
		    (uint8_t)doff);
		pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
		pk_eth(&p, 0x0800);
		expect_fail(DECODE_DLT_EN10MB, &p, DEC_INVALID, DR_TCP_HLEN);
	}
	/* Offset 15 (60 bytes) in a 30-byte segment. */
	pk_init(&p, 10);
	pk_tcp_raw(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 20, 15);
	pk_ipv6(&p, 6, pk_v6_src, pk_v6_dst);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_TCP_HLEN);
}

/* An IP length too small for the transport header is the header's
 * fault, whatever the capture holds. */
static void
test_decode_l4_shorter_than_header(void **state)
{
	struct pk p;
	uint8_t *ip;

	(void)state;
	/* TCP: 16 and 10 bytes of segment: the minimum header is past it. */
	pk_init(&p, 10);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 20);
	ip = pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
	pk_put16(ip + 2, 36);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_TCP_HLEN);
	pk_put16(ip + 2, 30);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_TCP_HLEN);
	/* Two bytes: not even the ports. */
	pk_put16(ip + 2, 22);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_LEN);
	/* UDP: 6 bytes. */
	pk_init(&p, 10);
	pk_udp(&p, SPORT, 53);
	ip = pk_ipv6(&p, 17, pk_v6_src, pk_v6_dst);
	pk_put16(ip + 4, 6);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_IP_LEN);
}

static void
test_decode_udp_length(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	/* UDP length below the IP length: the UDP length counts. */
	pk_init(&p, 100);
	pk_udp_len(&p, SPORT, 53, 58);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 1, 0);
	w = want_v4_udp(50);
	w.ip_bytes = 128;
	w.frag_data = 108;
	w.l7cap_set = 1;
	w.l7_caplen = 100;
	expect(DECODE_DLT_RAW, &p, &w);
	/* Above it, or below 8: the IP length counts. */
	pk_init(&p, 100);
	pk_udp_len(&p, SPORT, 53, 2000);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 1, 0);
	w = want_v4_udp(100);
	expect(DECODE_DLT_RAW, &p, &w);
	pk_init(&p, 100);
	pk_udp_len(&p, SPORT, 53, 3);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 1, 0);
	expect(DECODE_DLT_RAW, &p, &w);
	/* Snaplen cut before the UDP length: the IP length counts. */
	pk_init(&p, 100);
	pk_udp(&p, SPORT, 53);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 1, 0);
	w.no_l7 = 1;
	expect_cap(DECODE_DLT_RAW, &p, 25, 0, &w);
	/* Zero payload. */
	v4_udp(&p, 0);
	w = want_v4_udp(0);
	expect(DECODE_DLT_RAW, &p, &w);
}

/* ---- tunnels -------------------------------------------------------- */

static const uint8_t outer4_src[16] = { 10, 0, 0, 1 };
static const uint8_t outer4_dst[16] = { 10, 0, 0, 2 };
static const uint8_t outer6_src[16] = { 0xfd, [15] = 1 };
static const uint8_t outer6_dst[16] = { 0xfd, [15] = 2 };

static void
test_decode_ip_in_ip(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	v4_tcp(&p, 30, PK_TCP_ACK);
	pk_ipv4(&p, 4, outer4_src, outer4_dst, 20, 5, 0);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(30, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);

	v6_udp(&p, 30);
	pk_ipv4(&p, 41, outer4_src, outer4_dst, 20, 5, 0);
	w = want_v6_udp(30);
	expect(DECODE_DLT_RAW, &p, &w);

	v6_udp(&p, 30);
	pk_ipv6(&p, 41, outer6_src, outer6_dst);
	expect(DECODE_DLT_RAW, &p, &w);

	v4_tcp(&p, 30, PK_TCP_ACK);
	pk_ipv6(&p, 4, outer6_src, outer6_dst);
	w = want_v4_tcp(30, PK_TCP_ACK);
	expect(DECODE_DLT_RAW, &p, &w);

	/* Two levels are followed, three are not. */
	v4_tcp(&p, 30, PK_TCP_ACK);
	pk_ipv4(&p, 4, outer4_src, outer4_dst, 20, 5, 0);
	pk_ipv6(&p, 4, outer6_src, outer6_dst);
	expect(DECODE_DLT_RAW, &p, &w);
	pk_ipv4(&p, 41, outer4_src, outer4_dst, 20, 6, 0);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_TUNNEL);

	/* A fragmented outer packet is not followed. */
	v4_tcp(&p, 30, PK_TCP_ACK);
	pk_ipv4(&p, 4, outer4_src, outer4_dst, 20, 5, 0x2000);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_TUNNEL);
}

static void
test_decode_gre(void **state)
{
	struct pk p;
	struct want w;

	(void)state;
	/* Plain GRE, IPv4 inside. */
	v4_tcp(&p, 30, PK_TCP_ACK);
	pk_gre(&p, 0, 0x0800, 0, 0);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	pk_eth(&p, 0x0800);
	w = want_v4_tcp(30, PK_TCP_ACK);
	expect(DECODE_DLT_EN10MB, &p, &w);

	/* Key and sequence (RFC 2890), IPv6 inside. */
	v6_udp(&p, 30);
	pk_gre(&p, 0x3000, 0x86dd, 0xabcdef01, 77);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	w = want_v6_udp(30);
	expect(DECODE_DLT_RAW, &p, &w);

	/* Checksum, key and sequence over IPv6. */
	v4_udp(&p, 30);
	pk_gre(&p, 0xb000, 0x0800, 1, 2);
	pk_ipv6(&p, 47, outer6_src, outer6_dst);
	w = want_v4_udp(30);
	expect(DECODE_DLT_RAW, &p, &w);

	/* Key only; transparent Ethernet bridging with a VLAN inside. */
	v4_udp(&p, 30);
	pk_tag(&p, 0x0800, 3);
	pk_eth(&p, 0x8100);
	pk_gre(&p, 0x2000, 0x6558, 42, 0);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	expect(DECODE_DLT_RAW, &p, &w);

	/* Version 1 (PPTP) is not followed. */
	v4_udp(&p, 30);
	pk_gre(&p, 0x0001, 0x880b, 0, 0);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_TUNNEL);

	/* RFC 1701 routing present: layout unknown to us, not followed. */
	v4_udp(&p, 30);
	pk_gre(&p, 0x4000, 0x0800, 0, 0);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_TUNNEL);

	/* Key announced but the outer payload is 6 bytes. */
	pk_init(&p, 2);
	pk_gre(&p, 0, 0x0800, 0, 0);
	p.buf[p.off] = 0x20;
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	expect_fail(DECODE_DLT_RAW, &p, DEC_INVALID, DR_TUNNEL);

	/* Not IP inside (ERSPAN). */
	pk_init(&p, 30);
	pk_gre(&p, 0x1000, 0x88be, 0, 9);
	pk_ipv4(&p, 47, outer4_src, outer4_dst, 20, 5, 0);
	expect_fail(DECODE_DLT_RAW, &p, DEC_UNSUPPORTED, DR_NOT_IP);
}

/* ---- API contract --------------------------------------------------- */

/* Fields the decoder does not learn are zero, not left from the previous
 * packet: a later fragment after a TCP segment has no ports. */
static void
test_decode_resets_every_field(void **state)
{
	struct pk p;
	struct decoded d;
	enum decode_reason why;

	(void)state;
	v4_tcp(&p, 10, PK_TCP_SYN);
	assert_int_equal(decode_packet(DECODE_DLT_RAW, pk_data(&p),
	    (uint32_t)p.len, (uint32_t)p.len, &d, &why), DEC_OK);
	assert_int_equal(d.sport, SPORT);
	pk_init(&p, 80);
	pk_ipv4(&p, 17, pk_v4_src, pk_v4_dst, 20, 9, 100);
	assert_int_equal(decode_packet(DECODE_DLT_RAW, pk_data(&p),
	    (uint32_t)p.len, (uint32_t)p.len, &d, &why), DEC_OK);
	assert_int_equal(d.frag, DEC_FRAG_LATER);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.dport, 0);
	assert_int_equal(d.payload, 0);
	assert_int_equal(d.tcp_seq, 0);
	assert_int_equal(d.tcp_flags, 0);

	/* And an error leaves no flow behind. */
	pk_init(&p, 4);
	pk_eth(&p, 0x0806);
	assert_int_equal(decode_packet(DECODE_DLT_EN10MB, pk_data(&p),
	    (uint32_t)p.len, (uint32_t)p.len, &d, &why), DEC_UNSUPPORTED);
	assert_int_equal(d.af, 0);
	assert_int_equal(d.frag_id, 0);
	assert_memory_equal(d.src, zero16, 16);
}

static void
test_decode_reason_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < DR_MAX; i++) {
		const char *n = decode_reason_name((enum decode_reason)i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_string_not_equal(n, "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(n,
			    decode_reason_name((enum decode_reason)j));
	}
	assert_string_equal(decode_reason_name(DR_MAX), "unknown");
	assert_string_equal(decode_reason_name(DR_NONE), "none");
	assert_true(decode_reason_is_skip(DR_NOT_IP));
	assert_true(decode_reason_is_skip(DR_NOT_TCP_UDP));
	assert_false(decode_reason_is_skip(DR_IP_TRUNC));
	assert_false(decode_reason_is_skip(DR_NONE));
}

/* caplen above wirelen (a broken writer): wirelen is raised to it. */
static void
test_decode_caplen_above_wirelen(void **state)
{
	struct pk p;
	struct decoded d;
	enum decode_reason why;
	uint8_t *ip;

	(void)state;
	pk_init(&p, 100);
	pk_tcp(&p, SPORT, DPORT, SEQ, PK_TCP_ACK, 20);
	ip = pk_ipv4(&p, 6, pk_v4_src, pk_v4_dst, 20, 1, 0);
	pk_put16(ip + 2, 0);
	assert_int_equal(decode_packet(DECODE_DLT_RAW, pk_data(&p),
	    (uint32_t)p.len, 10, &d, &why), DEC_OK);
	assert_int_equal(d.ip_bytes, 140);
	assert_int_equal(d.payload, 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_eth_ipv4_tcp),
		cmocka_unit_test(test_decode_eth_padding_not_payload),
		cmocka_unit_test(test_decode_eth_ipv6_udp),
		cmocka_unit_test(test_decode_vlan_8100),
		cmocka_unit_test(test_decode_vlan_qinq_88a8),
		cmocka_unit_test(test_decode_vlan_9100),
		cmocka_unit_test(test_decode_vlan_too_deep),
		cmocka_unit_test(test_decode_8023_snap),
		cmocka_unit_test(test_decode_8023_llc_not_ip),
		cmocka_unit_test(test_decode_pppoe),
		cmocka_unit_test(test_decode_mpls),
		cmocka_unit_test(test_decode_sll),
		cmocka_unit_test(test_decode_sll2),
		cmocka_unit_test(test_decode_null_families),
		cmocka_unit_test(test_decode_loop),
		cmocka_unit_test(test_decode_raw),
		cmocka_unit_test(test_decode_dlt_unsupported),
		cmocka_unit_test(test_decode_not_ip),
		cmocka_unit_test(test_decode_ipv4_options),
		cmocka_unit_test(test_decode_ipv4_tso_zero_length),
		cmocka_unit_test(test_decode_ipv4_bad_ihl),
		cmocka_unit_test(test_decode_bad_version),
		cmocka_unit_test(test_decode_not_tcp_udp),
		cmocka_unit_test(test_decode_ipv4_fragments),
		cmocka_unit_test(test_decode_ipv6_ext_chain),
		cmocka_unit_test(test_decode_ipv6_ext_invalid),
		cmocka_unit_test(test_decode_ipv6_fragments),
		cmocka_unit_test(test_decode_tcp_flags),
		cmocka_unit_test(test_decode_tcp_snaplen_in_payload),
		cmocka_unit_test(test_decode_tcp_cut_after_ports),
		cmocka_unit_test(test_decode_tcp_bad_offset),
		cmocka_unit_test(test_decode_l4_shorter_than_header),
		cmocka_unit_test(test_decode_udp_length),
		cmocka_unit_test(test_decode_ip_in_ip),
		cmocka_unit_test(test_decode_gre),
		cmocka_unit_test(test_decode_resets_every_field),
		cmocka_unit_test(test_decode_reason_names),
		cmocka_unit_test(test_decode_caplen_above_wirelen),
	};

	return cmocka_run_group_tests(tests, NULL, free_slots);
}
