/*
 * fuzz_decode: libFuzzer target for the capture path (STYLE.md 12.3). Each
 * input (format in fuzz_decode.h) is a link type and a run of frames; each
 * frame is decoded on an exactly sized heap copy, so ASan sees any read
 * past caplen, its result is checked against the decoder's contract, and
 * it is fed to one cap_engine (fragment table, session table). Invariants
 * that break abort(), which libFuzzer reports like a crash:
 *   - result and reason agree; an observation is sane (af, proto, frag,
 *     ports, lengths, l7 inside the captured bytes);
 *   - cutting the capture shorter (same wirelen) gives DEC_TRUNC, the same
 *     result, or the same flow (ports-only TCP excepted);
 *   - the engine accounts for every frame: decode failures + observed +
 *     orphaned (+ still waiting) = frames.
 * Built with -fsanitize=fuzzer only when SA_FUZZ=ON (tests/fuzz/CMakeLists);
 * fuzz_replay.c drives the same function from files in the normal build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_engine.h"
#include "decode.h"
#include "fuzz_decode.h"

#define NS	1000000000ULL

const int fuzz_decode_dlts[] = {
	DECODE_DLT_EN10MB, DECODE_DLT_NULL, DECODE_DLT_RAW,
	DECODE_DLT_RAW_OBSD, DECODE_DLT_LINKTYPE_RAW, DECODE_DLT_LOOP,
	DECODE_DLT_LINUX_SLL, DECODE_DLT_IPV4, DECODE_DLT_IPV6,
	DECODE_DLT_LINUX_SLL2,
};
const size_t fuzz_decode_ndlts =
    sizeof(fuzz_decode_dlts) / sizeof(fuzz_decode_dlts[0]);

static void check(int, const char *, const char *, int);

#define CHECK(c)	check(!!(c), #c, __FILE__, __LINE__)

int
fuzz_decode_dlt_index(int dlt)
{
	size_t i;

	for (i = 0; i < fuzz_decode_ndlts; i++)
		if (fuzz_decode_dlts[i] == dlt)
			return (int)i;
	return -1;
}

static void
check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

static int
is_trunc_reason(enum decode_reason r)
{
	return r == DR_LINK_TRUNC || r == DR_IP_TRUNC ||
	    r == DR_IP6_EXT_TRUNC || r == DR_L4_TRUNC || r == DR_TUNNEL;
}

static void
check_one(enum decode_res r, enum decode_reason why, const struct decoded *d,
    const uint8_t *pkt, uint32_t caplen)
{
	CHECK(r <= DEC_UNSUPPORTED);
	CHECK(why < DR_MAX);
	CHECK((r == DEC_OK) == (why == DR_NONE));
	if (r == DEC_TRUNC)
		CHECK(is_trunc_reason(why));
	if (d->l7 != NULL) {
		CHECK(d->l7 >= pkt && d->l7 <= pkt + caplen);
		CHECK(d->l7_caplen <= caplen - (uint32_t)(d->l7 - pkt));
	} else
		CHECK(d->l7_caplen == 0);
	if (r != DEC_OK)
		return;
	CHECK(d->af == 4 || d->af == 6);
	CHECK(d->proto == 6 || d->proto == 17);
	CHECK(d->frag <= DEC_FRAG_LATER);
	CHECK((d->tcp_flags & ~0x1f) == 0);
	CHECK(d->proto == 6 || (d->tcp_flags == 0 && d->tcp_seq == 0));
	CHECK(d->frag_data <= d->ip_bytes);
	if (d->af == 4) {
		static const uint8_t zero[12];

		CHECK(memcmp(d->src + 4, zero, 12) == 0);
		CHECK(memcmp(d->dst + 4, zero, 12) == 0);
	}
	if (d->frag == DEC_FRAG_LATER) {
		CHECK(d->sport == 0 && d->dport == 0);
		CHECK(d->payload == 0 && d->tcp_flags == 0);
		CHECK(d->l7 == NULL);
	} else if (d->frag == DEC_FRAG_NONE) {
		/* UDP counts its datagram at the first fragment, which may
		 * be more than this fragment; otherwise within the packet. */
		CHECK(d->payload <= d->frag_data);
		CHECK(d->frag_id == 0);
	}
	if (d->l7 != NULL)
		CHECK(d->l7_caplen <= d->frag_data);
}

/* The same frame cut to cut bytes must not tell another story. */
static void
check_cut(int dlt, const uint8_t *pkt, uint32_t cut, uint32_t wirelen,
    enum decode_res fr, enum decode_reason fwhy, const struct decoded *full)
{
	uint8_t *b = malloc(cut > 0 ? cut : 1);
	struct decoded d;
	enum decode_reason why;
	enum decode_res r;

	CHECK(b != NULL);
	memcpy(b, pkt, cut);
	r = decode_packet(dlt, b, cut, wirelen, &d, &why);
	check_one(r, why, &d, b, cut);
	if (r == DEC_TRUNC)
		goto out;
	if (r == DEC_OK && fr == DEC_INVALID && fwhy == DR_TCP_HLEN) {
		/* Ports-only TCP: the bad data offset was cut off. */
		CHECK(d.proto == 6 && d.l7 == NULL);
		goto out;
	}
	CHECK(r == fr && why == fwhy);
	if (r != DEC_OK)
		goto out;
	CHECK(d.af == full->af && d.proto == full->proto);
	CHECK(memcmp(d.src, full->src, 16) == 0);
	CHECK(memcmp(d.dst, full->dst, 16) == 0);
	CHECK(d.sport == full->sport && d.dport == full->dport);
	CHECK(d.ip_bytes == full->ip_bytes);
	CHECK(d.frag == full->frag && d.frag_id == full->frag_id);
	CHECK(d.frag_data == full->frag_data);
	CHECK(d.tcp_flags == full->tcp_flags || d.tcp_flags == 0);
	CHECK(d.tcp_seq == full->tcp_seq || d.tcp_seq == 0);
	if (d.l7 != NULL) {
		CHECK(d.payload == full->payload);
		CHECK(d.l7 - b == full->l7 - pkt);
	}
out:
	free(b);
}

static void
on_close(void *arg, const struct sess_rec *s)
{
	uint64_t *closed = arg;

	CHECK(s->packets[0] + s->packets[1] > 0);
	CHECK(s->start_ns <= s->end_ns);
	CHECK(s->af == 4 || s->af == 6);
	CHECK(s->proto == 6 || s->proto == 17);
	(*closed)++;
}

static struct cap_engine *
make_engine(int dlt, uint64_t *closed)
{
	struct cap_engine_cfg cfg;

	/* Small tables and short timeouts, so eviction, overflow and
	 * expiry are all reachable within a few frames. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.dlt = dlt;
	cfg.sess.udp_idle_ns = 5 * NS;
	cfg.sess.tcp_idle_ns = 10 * NS;
	cfg.sess.tcp_syn_ns = 3 * NS;
	cfg.sess.tcp_linger_ns = 1 * NS;
	cfg.sess.max_sessions = 8;
	cfg.frag_max = 4;
	cfg.frag_timeout_ns = 2 * NS;
	return cap_engine_create(&cfg, on_close, closed);
}

static void
check_accounting(const struct cap_engine *e, int finished)
{
	struct cap_engine_stats st;
	uint64_t sum;
	int i;

	cap_engine_get_stats(e, &st);
	sum = st.observed + st.frag_waiting;
	for (i = 0; i < DR_MAX; i++)
		if (i != DR_FRAG_FULL)
			sum += st.reasons[i];
	CHECK(sum == st.packets);
	if (finished)
		CHECK(st.frag_waiting == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_engine *e;
	uint64_t ts = 1700000000ULL * NS, closed = 0;
	size_t off;
	int dlt;

	if (size < 1)
		return 0;
	dlt = fuzz_decode_dlts[data[0] % fuzz_decode_ndlts];
	e = make_engine(dlt, &closed);
	CHECK(e != NULL);
	off = 1;
	while (size - off >= FUZZ_DECODE_REC_HDR) {
		const uint8_t *h = data + off;
		uint32_t caplen = (uint32_t)h[0] << 8 | h[1];
		uint32_t wirelen = caplen + ((uint32_t)h[2] << 8 | h[3]);
		struct decoded d;
		enum decode_reason why;
		enum decode_res r;
		uint8_t *pkt;

		ts += h[4] * FUZZ_DECODE_STEP_NS;
		off += FUZZ_DECODE_REC_HDR;
		if (caplen > size - off)
			caplen = (uint32_t)(size - off);
		/* An exact copy: ASan catches any read past caplen. */
		pkt = malloc(caplen > 0 ? caplen : 1);
		CHECK(pkt != NULL);
		memcpy(pkt, data + off, caplen);
		off += caplen;

		memset(&d, 0x5a, sizeof(d));
		r = decode_packet(dlt, pkt, caplen, wirelen, &d, &why);
		check_one(r, why, &d, pkt, caplen);
		if (caplen > 0) {
			check_cut(dlt, pkt, caplen - 1, wirelen, r, why, &d);
			check_cut(dlt, pkt, caplen / 2, wirelen, r, why, &d);
		}
		cap_engine_packet(e, ts, pkt, caplen, wirelen);
		free(pkt);
		check_accounting(e, 0);
	}
	cap_engine_tick(e, ts + 3 * NS);
	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	check_accounting(e, 1);
	CHECK(sess_table_count(cap_engine_sessions(e)) == 0);
	cap_engine_destroy(e);
	return 0;
}
