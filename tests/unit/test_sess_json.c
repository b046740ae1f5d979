/*
 * test_sess_json: the session object as DESIGN.md fixes it, compared as
 * exact strings: field order, RFC 3339 UTC times with nanoseconds, the
 * duration with nine decimals, address text, nulls while active, and the
 * escaping of every string that may come from the outside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sess_json.h"

#define START	1700000000123456789ULL	/* 2023-11-14T22:13:20.123456789Z */

static void
rec_v4(struct sess_rec *r)
{
	static const uint8_t cli[4] = { 192, 0, 2, 1 };
	static const uint8_t srv[4] = { 198, 51, 100, 7 };

	memset(r, 0, sizeof(*r));
	r->key_hash = 0x0123456789abcdefULL;
	r->start_ns = START;
	r->end_ns = START + 2500000007ULL;
	r->packets[0] = 6;
	r->packets[1] = 4;
	r->bytes[0] = 74;
	r->bytes[1] = 528;
	r->wire_bytes[0] = 394;
	r->wire_bytes[1] = 744;
	r->af = 4;
	r->proto = 6;
	r->cli_port = 40000;
	r->srv_port = 443;
	memcpy(r->cli, cli, 4);
	memcpy(r->srv, srv, 4);
	r->status = SESS_CLOSED;
	r->reason = SESS_CLOSE_FIN;
}

/* Formats with a buffer of exactly SESS_JSON_MAX on the heap (ASan). */
static char *
fmt(const struct sess_rec *r, const char *agent, const char *user,
    const char *target)
{
	char *buf = malloc(SESS_JSON_MAX);
	size_t n;

	assert_non_null(buf);
	n = sess_json_format(r, agent, user, target, buf, SESS_JSON_MAX);
	assert_int_equal(n, strlen(buf));
	assert_true(n < SESS_JSON_MAX);
	return buf;
}

static void
test_sess_json_closed_tcp_v4(void **state)
{
	struct sess_rec r;
	char *s;

	(void)state;
	rec_v4(&r);
	s = fmt(&r, "edge-1", NULL, NULL);
	assert_string_equal(s,
	    "{\"session_id\":\"0123456789abcdef17979cfe3d85cd15\","
	    "\"agent\":\"edge-1\",\"protocol\":\"tcp\","
	    "\"source_ip\":\"192.0.2.1\",\"source_port\":40000,"
	    "\"dest_ip\":\"198.51.100.7\",\"dest_port\":443,"
	    "\"user\":\"192.0.2.1\",\"target\":null,"
	    "\"start_time\":\"2023-11-14T22:13:20.123456789Z\","
	    "\"end_time\":\"2023-11-14T22:13:22.623456796Z\","
	    "\"duration_secs\":2.500000007,"
	    "\"bytes_sent\":74,\"bytes_received\":528,"
	    "\"packets_sent\":6,\"packets_received\":4,"
	    "\"wire_bytes_sent\":394,\"wire_bytes_received\":744,"
	    "\"status\":\"closed\",\"close_reason\":\"fin\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}");
	free(s);
}

static void
test_sess_json_active_udp_v6(void **state)
{
	static const uint8_t cli[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t srv[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1,
	    [15] = 0xff };
	struct sess_rec r;
	char *s;

	(void)state;
	rec_v4(&r);
	r.af = 6;
	r.proto = 17;
	memcpy(r.cli, cli, 16);
	memcpy(r.srv, srv, 16);
	r.cli_port = 5353;
	r.srv_port = 53;
	r.end_ns = START;
	r.status = SESS_ACTIVE;
	r.reason = SESS_CLOSE_NONE;
	s = fmt(&r, "a", "alice", "example.com:443");
	assert_string_equal(s,
	    "{\"session_id\":\"0123456789abcdef17979cfe3d85cd15\","
	    "\"agent\":\"a\",\"protocol\":\"udp\","
	    "\"source_ip\":\"2001:db8::1\",\"source_port\":5353,"
	    "\"dest_ip\":\"2001:db8:0:1::ff\",\"dest_port\":53,"
	    "\"user\":\"alice\",\"target\":\"example.com:443\","
	    "\"start_time\":\"2023-11-14T22:13:20.123456789Z\","
	    "\"end_time\":null,\"duration_secs\":0.000000000,"
	    "\"bytes_sent\":74,\"bytes_received\":528,"
	    "\"packets_sent\":6,\"packets_received\":4,"
	    "\"wire_bytes_sent\":394,\"wire_bytes_received\":744,"
	    "\"status\":\"active\",\"close_reason\":null,"
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}");
	free(s);
}

/* Every status and reason by its DESIGN.md name; counters at the max. */
static void
test_sess_json_status_reason_names(void **state)
{
	static const struct {
		enum sess_status st;
		enum sess_close	 why;
		const char	*tail;
	} cases[] = {
		{ SESS_FAILED, SESS_CLOSE_RST,
		  "\"status\":\"failed\",\"close_reason\":\"rst\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_FAILED, SESS_CLOSE_IDLE,
		  "\"status\":\"failed\",\"close_reason\":\"idle_timeout\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_REJECTED, SESS_CLOSE_FIN,
		  "\"status\":\"rejected_by_acl\",\"close_reason\":\"fin\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_CLOSED, SESS_CLOSE_EVICTED,
		  "\"status\":\"closed\",\"close_reason\":\"evicted\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_CLOSED, SESS_CLOSE_SHUTDOWN,
		  "\"status\":\"closed\",\"close_reason\":\"shutdown\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_CLOSED, SESS_CLOSE_AGENT_LOST,
		  "\"status\":\"closed\",\"close_reason\":\"agent_lost\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
		{ SESS_CLOSED, SESS_CLOSE_CAPTURE_END,
		  "\"status\":\"closed\",\"close_reason\":\"capture_end\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}" },
	};
	struct sess_rec r;
	size_t i, n, tl;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rec_v4(&r);
		r.status = cases[i].st;
		r.reason = cases[i].why;
		r.bytes[0] = UINT64_MAX;
		s = fmt(&r, "x", NULL, NULL);
		n = strlen(s);
		tl = strlen(cases[i].tail);
		assert_true(n > tl);
		assert_string_equal(s + n - tl, cases[i].tail);
		assert_non_null(strstr(s,
		    "\"bytes_sent\":18446744073709551615,"));
		free(s);
	}
}

/* A clock that went backwards gives a zero duration, not a huge one. */
static void
test_sess_json_negative_duration_is_zero(void **state)
{
	struct sess_rec r;
	char *s;

	(void)state;
	rec_v4(&r);
	r.end_ns = r.start_ns - 1;
	s = fmt(&r, "x", NULL, NULL);
	assert_non_null(strstr(s, ",\"duration_secs\":0.000000000,"));
	free(s);
	rec_v4(&r);
	r.start_ns = 0;
	r.end_ns = 86400ULL * 1000000000ULL * 365 + 1;
	s = fmt(&r, "x", NULL, NULL);
	assert_non_null(strstr(s, ",\"duration_secs\":31536000.000000001,"));
	assert_non_null(strstr(s,
	    "\"start_time\":\"1970-01-01T00:00:00.000000000Z\""));
	assert_non_null(strstr(s,
	    "\"end_time\":\"1971-01-01T00:00:00.000000001Z\""));
	free(s);
}

static void
test_sess_json_escapes_strings(void **state)
{
	struct sess_rec r;
	char *s;

	(void)state;
	rec_v4(&r);
	s = fmt(&r, "a\"b\\c/d", "u\n\r\t\b\f\x01\x1f\x7f end",
	    "t\"\\\"");
	assert_non_null(strstr(s, "\"agent\":\"a\\\"b\\\\c/d\","));
	assert_non_null(strstr(s, "\"user\":\"u\\u000a\\u000d\\u0009"
	    "\\u0008\\u000c\\u0001\\u001f\\u007f end\","));
	assert_non_null(strstr(s, "\"target\":\"t\\\"\\\\\\\"\","));
	free(s);

	/* Empty strings stay strings. */
	s = fmt(&r, "", "", "");
	assert_non_null(strstr(s, "\"agent\":\"\","));
	assert_non_null(strstr(s, "\"user\":\"\",\"target\":\"\","));
	free(s);
}

/* UTF-8 passes through; bytes that are not UTF-8 become U+FFFD. */
static void
test_sess_json_utf8(void **state)
{
	struct sess_rec r;
	char *s;

	(void)state;
	rec_v4(&r);
	s = fmt(&r, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
	    "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82",
	    "\xf4\x90\x80\x80" "e\xc3");
	assert_non_null(strstr(s,
	    "\"agent\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\","));
	assert_non_null(strstr(s, "\"user\":\"a\\ufffdb\\ufffd\\ufffdc"
	    "\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\","));
	assert_non_null(strstr(s, "\"target\":\"\\ufffd\\ufffd\\ufffd"
	    "\\ufffde\\ufffd\","));
	free(s);
}

/*
 * sess_json_utf8 gives the text a JSON reader gets back from
 * sess_json_format's string: the same replacements and cuts.
 */
static void
test_sess_json_utf8_text(void **state)
{
	char in[SESS_JSON_STR_MAX + 8], out[SESS_JSON_UTF8_MAX], small[7];
	size_t i, n;

	(void)state;
	n = sess_json_utf8("a\xff" "b\xc0\xaf" "c\xc3\xa9\"\\", out,
	    sizeof(out));
	assert_string_equal(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "c\xc3\xa9\"\\");
	assert_int_equal(n, strlen(out));
	/* Every byte replaced: three times as long, and it fits. */
	memset(in, 0xff, SESS_JSON_STR_MAX + 7);
	in[SESS_JSON_STR_MAX + 7] = '\0';
	n = sess_json_utf8(in, out, sizeof(out));
	assert_int_equal(n, 3 * SESS_JSON_STR_MAX);
	for (i = 0; i < n; i += 3)
		assert_memory_equal(out + i, "\xef\xbf\xbd", 3);
	/* A short buffer cuts on a character boundary. */
	n = sess_json_utf8("ab\xc3\xa9\xff", small, sizeof(small));
	assert_string_equal(small, "ab\xc3\xa9");
	assert_int_equal(n, 4);
	n = sess_json_utf8("abcdefghij", small, sizeof(small));
	assert_string_equal(small, "abcdef");
}

/* The object for r with agent in holds want. */
static void
assert_agent_has(const struct sess_rec *r, const char *in, const char *want)
{
	char *s = fmt(r, in, NULL, NULL);

	assert_non_null(strstr(s, want));
	free(s);
}

/* Strings are cut at SESS_JSON_STR_MAX bytes, never inside a character. */
static void
test_sess_json_cuts_long_strings(void **state)
{
	static const struct {
		size_t		 nx;
		const char	*in, *want;
	} cuts[] = {
		{ SESS_JSON_STR_MAX - 1, "\xc3\xa9", "\"," },
		{ SESS_JSON_STR_MAX - 2, "\xc3\xa9", "\xc3\xa9\"," },
		{ SESS_JSON_STR_MAX - 1, "\"y", "\\\"\"," },
		{ SESS_JSON_STR_MAX, "\"y", "\"," },
	};
	char in[SESS_JSON_STR_MAX + 64], want[SESS_JSON_STR_MAX + 64];
	struct sess_rec r;
	size_t i;

	(void)state;
	rec_v4(&r);
	memset(in, 'x', sizeof(in));
	in[sizeof(in) - 1] = '\0';
	memset(want, 0, sizeof(want));
	memcpy(want, "\"agent\":\"", 9);
	memset(want + 9, 'x', SESS_JSON_STR_MAX);
	memcpy(want + 9 + SESS_JSON_STR_MAX, "\",", 2);
	assert_agent_has(&r, in, want);

	/*
	 * n x, then a tail: 254 x and a two-byte character (it does not
	 * fit), 253 x and the same (exactly 255 bytes, all kept); a quote
	 * as the 255th byte is kept (escaped), as the 256th not: the cut
	 * counts input bytes, after a run of plain ones too.
	 */
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memset(in, 0, sizeof(in));
		memset(in, 'x', cuts[i].nx);
		memcpy(in + cuts[i].nx, cuts[i].in, strlen(cuts[i].in));
		memset(want, 0, sizeof(want));
		memcpy(want, "\"agent\":\"", 9);
		memset(want + 9, 'x', cuts[i].nx);
		memcpy(want + 9 + cuts[i].nx, cuts[i].want,
		    strlen(cuts[i].want));
		assert_agent_has(&r, in, want);
	}

	/* Plain runs between escapes and characters keep their order. */
	assert_agent_has(&r, "ab\x01" "cd\xc3\xa9" "ef\"gh\xff" "ij",
	    "\"agent\":\"ab\\u0001cd\xc3\xa9" "ef\\\"gh\\ufffdij\",");
}

/* The worst case still fits SESS_JSON_MAX and ends the object. */
static void
test_sess_json_worst_case_fits(void **state)
{
	static const uint8_t v6[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };
	const char *tail = "\"wire_bytes_received\":18446744073709551615,"
	    "\"status\":\"closed\",\"close_reason\":\"capture_end\","
		  "\"origin\":null,\"leg\":null,\"peer_session_id\":null}";
	char in[SESS_JSON_STR_MAX + 2];
	struct sess_rec r;
	size_t n;
	char *s;

	(void)state;
	rec_v4(&r);
	r.af = 6;
	memcpy(r.cli, v6, 16);
	memcpy(r.srv, v6, 16);
	r.key_hash = r.start_ns = r.end_ns = UINT64_MAX;
	r.packets[0] = r.packets[1] = r.bytes[0] = r.bytes[1] = UINT64_MAX;
	r.wire_bytes[0] = r.wire_bytes[1] = UINT64_MAX;
	r.cli_port = r.srv_port = 65535;
	r.reason = SESS_CLOSE_CAPTURE_END;
	memset(in, 1, sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	s = fmt(&r, in, in, in);
	n = strlen(s);
	assert_true(n > 3 * 6 * SESS_JSON_STR_MAX);
	assert_true(n > strlen(tail));
	assert_string_equal(s + n - strlen(tail), tail);
	free(s);
}

/* A short buffer is never overrun and stays NUL-terminated. */
static void
test_sess_json_short_buffer(void **state)
{
	struct sess_rec r;
	char *buf = malloc(64);
	size_t n;

	(void)state;
	assert_non_null(buf);
	rec_v4(&r);
	n = sess_json_format(&r, "edge-1", NULL, NULL, buf, 64);
	assert_int_equal(n, 63);
	assert_int_equal(strlen(buf), 63);
	assert_memory_equal(buf, "{\"session_id\":\"", 15);
	free(buf);
}

static void
test_sess_json_time(void **state)
{
	char b[32];

	(void)state;
	assert_int_equal(sess_json_time(0, b), 30);
	assert_string_equal(b, "1970-01-01T00:00:00.000000000Z");
	sess_json_time(START, b);
	assert_string_equal(b, "2023-11-14T22:13:20.123456789Z");
	/* Same second, other fraction: the cached date is reused. */
	sess_json_time(START - 123456789ULL + 5, b);
	assert_string_equal(b, "2023-11-14T22:13:20.000000005Z");
	/* Same day, another second: the cached day, a new time of day. */
	sess_json_time(START + 3599ULL * 1000000000ULL, b);
	assert_string_equal(b, "2023-11-14T23:13:19.123456789Z");
	sess_json_time(1709251199ULL * 1000000000ULL + 999999999ULL, b);
	assert_string_equal(b, "2024-02-29T23:59:59.999999999Z");
	sess_json_time(1709251200ULL * 1000000000ULL, b);
	assert_string_equal(b, "2024-03-01T00:00:00.000000000Z");
	sess_json_time(4102444799ULL * 1000000000ULL + 1, b);
	assert_string_equal(b, "2099-12-31T23:59:59.000000001Z");
	sess_json_time(START, b);
	assert_string_equal(b, "2023-11-14T22:13:20.123456789Z");
}

static void
test_sess_json_addr(void **state)
{
	static const uint8_t zero[16];
	static const uint8_t ones[16] = { 255, 255, 255, 255 };
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff,
	    192, 0, 2, 1 };
	char b[46];

	(void)state;
	assert_int_equal(sess_json_addr(4, zero, b), 7);
	assert_string_equal(b, "0.0.0.0");
	assert_int_equal(sess_json_addr(4, ones, b), 15);
	assert_string_equal(b, "255.255.255.255");
	assert_int_equal(sess_json_addr(6, zero, b), 2);
	assert_string_equal(b, "::");
	sess_json_addr(6, lo6, b);
	assert_string_equal(b, "::1");
	sess_json_addr(6, mapped, b);
	assert_string_equal(b, "::ffff:192.0.2.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sess_json_closed_tcp_v4),
		cmocka_unit_test(test_sess_json_active_udp_v6),
		cmocka_unit_test(test_sess_json_status_reason_names),
		cmocka_unit_test(test_sess_json_negative_duration_is_zero),
		cmocka_unit_test(test_sess_json_escapes_strings),
		cmocka_unit_test(test_sess_json_utf8),
		cmocka_unit_test(test_sess_json_utf8_text),
		cmocka_unit_test(test_sess_json_cuts_long_strings),
		cmocka_unit_test(test_sess_json_worst_case_fits),
		cmocka_unit_test(test_sess_json_short_buffer),
		cmocka_unit_test(test_sess_json_time),
		cmocka_unit_test(test_sess_json_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
