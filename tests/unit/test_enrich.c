/*
 * test_enrich: the agent's enrichment table driven with hand-made TCP
 * packets (struct cap_pkt plus payload): answers handed on once each,
 * segments out of order and retransmitted, and every way a connection
 * ends without an answer counted under its own reason. ASan checks that
 * every buffer is freed.
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
#define T0	(1700000000ULL * SEC)
#define ISN_C	1000u
#define ISN_S	5000u

struct got {
	char	 user[256], target[256], origin[64];
	uint8_t	 verdict;
	uint64_t start;
	uint16_t cport;
};

struct fx {
	struct enrich	*en;
	struct got	 got[16];
	size_t		 n;
};

static void
on_answer(void *arg, const struct sess_obs *key, struct sess_enr *e)
{
	struct fx *f = arg;
	struct got *g;

	assert_true(f->n < 16);
	g = &f->got[f->n++];
	strcpy(g->user, sess_enr_user(e));
	strcpy(g->target, sess_enr_target(e));
	strcpy(g->origin, sess_enr_origin(e));
	g->verdict = e->verdict;
	g->start = key->ts_ns;
	g->cport = key->sport;
}

static struct fx *
fx_new(uint32_t max, uint32_t budget)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct enrich_cfg cfg = { .budget = budget, .reply_budget = 1024,
	    .max_sessions = max, .timeout_ns = 30 * SEC };

	assert_non_null(f);
	f->en = enrich_create(&cfg, on_answer, f);
	assert_non_null(f->en);
	return f;
}

static void
fx_free(struct fx *f)
{
	enrich_destroy(f->en);
	free(f);
}

/* A segment of 10.0.0.1:cport <-> 10.0.0.2:1080 (from the server if
 * rev), seq relative to that side's ISN + 1. */
static void
seg(struct fx *f, uint16_t cport, int rev, uint8_t flags, uint32_t rel,
    const char *data, size_t n, uint64_t ts)
{
	struct cap_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.af = 4;
	p.proto = 6;
	p.src[0] = p.dst[0] = 10;
	p.src[3] = rev ? 2 : 1;
	p.dst[3] = rev ? 1 : 2;
	p.sport = rev ? 1080 : cport;
	p.dport = rev ? cport : 1080;
	p.tcp_flags = flags;
	p.tcp_seq = (rev ? ISN_S : ISN_C) + rel;
	p.payload = (uint32_t)n;
	p.hash = 0x1234u + cport;	/* the same both ways, as the real one */
	enrich_packet(f->en, &p, (const uint8_t *)data, (uint32_t)n);
}

static void
open_conn(struct fx *f, uint16_t cport, uint64_t ts)
{
	seg(f, cport, 0, DEC_TCP_SYN, (uint32_t)-1, NULL, 0, ts);
	seg(f, cport, 1, DEC_TCP_SYN | DEC_TCP_ACK, (uint32_t)-1, NULL, 0,
	    ts + 1000);
}

#define GREET	"\x05\x01\x02"
#define AUTH	"\x01\x05" "alice" "\x06" "secret"
#define REQ	"\x05\x01\x00\x03\x0b" "example.com" "\x01\xbb"
#define SOCKS_C	GREET AUTH REQ

/* SOCKS5 with a login, the client's bytes in two segments that arrive
 * out of order, one retransmitted: one complete answer, buffers gone. */
static void
test_enrich_socks5_out_of_order(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;
	const char c[] = SOCKS_C;
	size_t cut = sizeof(GREET AUTH) - 1;

	(void)state;
	open_conn(f, 40000, T0);
	seg(f, 40000, 0, DEC_TCP_ACK, (uint32_t)cut, c + cut,
	    sizeof(c) - 1 - cut, T0 + 2000);
	seg(f, 40000, 0, DEC_TCP_ACK, 0, c, cut, T0 + 3000);
	seg(f, 40000, 0, DEC_TCP_ACK, 0, c, cut, T0 + 3500);
	seg(f, 40000, 1, DEC_TCP_ACK, 0, "\x05\x02" "\x01\x00", 4, T0 + 4000);
	/* The request's target is known before the reply: a first answer. */
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].user, "alice");
	assert_string_equal(f->got[0].target, "example.com:443");
	assert_int_equal(f->got[0].start, T0);
	assert_int_equal(f->got[0].cport, 40000);
	seg(f, 40000, 1, DEC_TCP_ACK, 4,
	    "\x05\x00\x00\x01\x7f\x00\x00\x01\x10\x00", 10, T0 + 5000);
	/* The reply completes it; the tunnel's first bytes (not TLS) end
	 * the reading. Nothing changed, so nothing new is handed on. */
	seg(f, 40000, 0, DEC_TCP_ACK, sizeof(c) - 1, "GET / HTTP/1.0\r\n", 16,
	    T0 + 6000);
	assert_int_equal(f->n, 1);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.enriched[L7_SOCKS5], 1);
	assert_int_equal(st.buffering, 0);
	assert_int_equal(st.buffer_bytes, 0);
	assert_int_equal(st.tracked, 1);
	fx_free(f);
}

/* Method 0xFF: rejected, told at once. */
static void
test_enrich_socks5_rejected(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;

	(void)state;
	open_conn(f, 40001, T0);
	seg(f, 40001, 0, DEC_TCP_ACK, 0, GREET, 3, T0 + 2000);
	seg(f, 40001, 1, DEC_TCP_ACK, 0, "\x05\xff", 2, T0 + 3000);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].verdict, SESS_REJECTED);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.buffering, 0);
	fx_free(f);
}

/* Each way to end without an answer has its own reason. */
static void
test_enrich_giveup_reasons(void **state)
{
	struct fx *f = fx_new(2, 64);
	struct enrich_stats st;
	const char c[] = SOCKS_C;
	char big[100];

	(void)state;
	/* Cap: two connections buffer, the third SYN is not followed. */
	open_conn(f, 41000, T0);
	open_conn(f, 41001, T0);
	open_conn(f, 41002, T0);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_CAP_FULL], 1);
	/* RST before the reply: ended (the request was still handed on). */
	seg(f, 41000, 0, DEC_TCP_ACK, 0, c, sizeof(c) - 1, T0 + 2000);
	seg(f, 41000, 1, DEC_TCP_RST, 0, NULL, 0, T0 + 3000);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].target, "example.com:443");
	/* A request longer than the 64-byte budget: budget. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	seg(f, 41001, 0, DEC_TCP_ACK, 0, big, sizeof(big), T0 + 4000);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_ENDED], 1);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_BUDGET], 0);
	/* The server's side is still open: the budget is final only when
	 * both sides are done, here at the timeout. */
	enrich_expire(f->en, T0 + 31 * SEC);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_BUDGET], 1);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_TIMEOUT], 0);
	assert_int_equal(st.buffering, 0);
	fx_free(f);
}

/*
 * A ClientHello whose SNI came before the snaplen cut the rest (a hole
 * that is never filled), then the end: the name reached the session, so
 * it counts as a TLS answer, not as given up.
 */
static void
test_enrich_tls_name_before_gap(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;
	/* Record of 200 bytes, ClientHello of 196: version, random, no
	 * session id, one suite, null compression, extensions (153 bytes)
	 * opening with server_name "a.com", then 135 bytes of padding of
	 * which none arrives. */
	static const char ch[] =
	    "\x16\x03\x01\x00\xc8" "\x01\x00\x00\xc4" "\x03\x03"
	    "0123456789abcdef0123456789abcdef" "\x00" "\x00\x02\x13\x01"
	    "\x01\x00" "\x00\x99"
	    "\x00\x00\x00\x0a\x00\x08\x00\x00\x05" "a.com"
	    "\x00\x15\x00\x87";

	(void)state;
	open_conn(f, 43000, T0);
	seg(f, 43000, 0, DEC_TCP_ACK, 0, ch, sizeof(ch) - 1, T0 + 2000);
	/* 20 bytes missing, then more, then the client resets. */
	seg(f, 43000, 0, DEC_TCP_ACK, (uint32_t)sizeof(ch) - 1 + 20, "xxxx", 4,
	    T0 + 3000);
	seg(f, 43000, 0, DEC_TCP_RST, (uint32_t)sizeof(ch) - 1 + 24, NULL, 0,
	    T0 + 4000);
	enrich_finish(f->en);
	enrich_get_stats(f->en, &st);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].target, "a.com:1080");
	assert_int_equal(st.enriched[L7_TLS], 1);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_GAP], 0);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_ENDED], 0);
	assert_int_equal(st.buffering, 0);
	fx_free(f);
}

/* A hole left open, a timeout, and the end of the capture. */
static void
test_enrich_gap_timeout_finish(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;
	const char c[] = SOCKS_C;

	(void)state;
	/* Client bytes from offset 5 on only: a hole at 0..4, then RST. */
	open_conn(f, 42000, T0);
	seg(f, 42000, 0, DEC_TCP_ACK, 5, c + 5, sizeof(c) - 6, T0 + 2000);
	seg(f, 42000, 0, DEC_TCP_RST, 0, NULL, 0, T0 + 3000);
	/* The greeting only, then silence past the timeout. */
	open_conn(f, 42001, T0 + SEC);
	seg(f, 42001, 0, DEC_TCP_ACK, 0, GREET, 3, T0 + 2 * SEC);
	/* Open at the end of the capture. */
	open_conn(f, 42002, T0 + 40 * SEC);
	enrich_expire(f->en, T0 + 32 * SEC);
	enrich_finish(f->en);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_GAP], 1);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_TIMEOUT], 1);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_ENDED], 1);	/* 42002 */
	assert_int_equal(st.unrecognised, 0);
	assert_int_equal(st.buffering, 0);
	assert_int_equal(f->n, 0);
	fx_free(f);
}

/* A SYN on ports in use with another ISN: the old connection ended. */
static void
test_enrich_port_reuse(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;

	(void)state;
	open_conn(f, 43000, T0);
	seg(f, 43000, 0, DEC_TCP_ACK, 0, GREET, 3, T0 + 2000);
	/* A retransmitted SYN changes nothing. */
	seg(f, 43000, 0, DEC_TCP_SYN, (uint32_t)-1, NULL, 0, T0 + 3000);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.tracked, 1);
	seg(f, 43000, 0, DEC_TCP_SYN, 77, NULL, 0, T0 + 4000);
	enrich_get_stats(f->en, &st);
	assert_int_equal(st.tracked, 2);
	assert_int_equal(st.giveup[ENRICH_GIVEUP_ENDED], 1);
	assert_int_equal(st.buffering, 1);
	fx_free(f);
}

/* A first segment that decides alone is read where it lies: the answer
 * (or "unrecognised") with no stream buffer ever allocated. */
static void
test_enrich_first_segment_in_place(void **state)
{
	struct fx *f = fx_new(16, 4096);
	struct enrich_stats st;
	const char req[] = "GET /x HTTP/1.1\r\nHost: example.org\r\n\r\n";

	(void)state;
	open_conn(f, 44000, T0);
	seg(f, 44000, 0, DEC_TCP_ACK | DEC_TCP_PSH, 0, req, sizeof(req) - 1,
	    T0 + 2000);
	open_conn(f, 44001, T0);
	seg(f, 44001, 0, DEC_TCP_ACK, 0, "\x00\x01binary", 8, T0 + 2000);
	enrich_get_stats(f->en, &st);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].target, "example.org:1080");
	assert_int_equal(st.enriched[L7_HTTP], 1);
	assert_int_equal(st.unrecognised, 1);
	assert_int_equal(st.buffering, 0);
	assert_int_equal(st.buffer_bytes_peak, 0);
	/* The same request in two segments needs the buffer, same answer. */
	open_conn(f, 44002, T0);
	seg(f, 44002, 0, DEC_TCP_ACK, 0, req, 10, T0 + 2000);
	seg(f, 44002, 0, DEC_TCP_ACK, 10, req + 10, sizeof(req) - 11,
	    T0 + 3000);
	enrich_get_stats(f->en, &st);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->got[1].target, "example.org:1080");
	assert_int_equal(st.buffer_bytes_peak, 4096);
	assert_int_equal(st.buffer_bytes, 0);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enrich_socks5_out_of_order),
		cmocka_unit_test(test_enrich_socks5_rejected),
		cmocka_unit_test(test_enrich_giveup_reasons),
		cmocka_unit_test(test_enrich_tls_name_before_gap),
		cmocka_unit_test(test_enrich_gap_timeout_finish),
		cmocka_unit_test(test_enrich_port_reuse),
		cmocka_unit_test(test_enrich_first_segment_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
