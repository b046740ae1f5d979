/*
 * test_api_params: query-string decoding and the typed getters behind
 * every API parameter, and the RFC 3339 / epoch-second time parser. A
 * malformed request must be refused with a detail that names the
 * parameter; nothing is guessed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_params.h"
#include "api_time.h"

#define NS	1000000000ULL

static struct api_params ps;
static char detail[API_DETAIL_MAX];

static void
parse_ok(const char *qs)
{
	int rc = api_params_parse(qs, &ps, detail);

	if (rc != 0)
		fail_msg("'%s': %d %s", qs ? qs : "(null)", rc, detail);
}

static void
parse_bad(const char *qs, int want, const char *word)
{
	int rc;

	detail[0] = '\0';
	rc = api_params_parse(qs, &ps, detail);
	if (rc != want)
		fail_msg("'%s': %d, want %d", qs, rc, want);
	if (strstr(detail, word) == NULL)
		fail_msg("'%s': detail '%s' lacks '%s'", qs, detail, word);
}

static void
test_api_params_decode(void **state)
{
	(void)state;
	parse_ok(NULL);
	assert_int_equal(ps.n, 0);
	parse_ok("");
	assert_int_equal(ps.n, 0);
	parse_ok("user=alice%20smith&target=a%2Bb+c&&limit=5&");
	assert_int_equal(ps.n, 3);
	assert_string_equal(api_params_get(&ps, "user"), "alice smith");
	assert_string_equal(api_params_get(&ps, "target"), "a+b c");
	assert_string_equal(api_params_get(&ps, "limit"), "5");
	assert_null(api_params_get(&ps, "cursor"));
	parse_ok("k%65y=%C3%A9");
	assert_string_equal(api_params_get(&ps, "key"), "\xc3\xa9");
}

static void
test_api_params_malformed(void **state)
{
	char big[2000];

	(void)state;
	parse_bad("user", -EINVAL, "user: no value");
	parse_bad("user=", -EINVAL, "user: empty value");
	parse_bad("=x", -EINVAL, "query");
	parse_bad("user=%4", -EINVAL, "user: bad percent");
	parse_bad("user=%zz", -EINVAL, "user: bad percent");
	parse_bad("user=a%00b", -EINVAL, "user");
	parse_bad("limit=1&limit=2", -EEXIST, "limit: given more than once");
	memset(big, 'a', sizeof(big));
	memcpy(big, "target=", 7);
	big[sizeof(big) - 1] = '\0';
	parse_bad(big, -ENAMETOOLONG, "target: value longer");
	parse_bad("a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&"
	    "n=1&o=1&p=1&q=1&r=1&s=1&t=1&u=1&v=1&w=1&x=1&y=1&z=1&aa=1&"
	    "bb=1&cc=1&dd=1&ee=1&ff=1&gg=1", -E2BIG, "more than");
}

static void
test_api_params_unknown(void **state)
{
	static const char *const allowed[] = { "user", "limit", NULL };

	(void)state;
	parse_ok("user=a&limit=3");
	assert_null(api_params_unknown(&ps, allowed));
	parse_ok("user=a&lmit=3");
	assert_string_equal(api_params_unknown(&ps, allowed), "lmit");
}

static void
test_api_params_typed(void **state)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	const char *v;
	uint64_t n = 7;

	(void)state;
	parse_ok("limit=10&bad=-1&big=1001&hex=0x10&proto=icmp&ip=::1&"
	    "ip4=10.0.0.300&secs=1.5&dur=5m&t=2024-01-02T03:04:05Z");
	assert_int_equal(api_params_u64(&ps, "limit", 1, 1000, &n, detail), 1);
	assert_int_equal(n, 10);
	assert_int_equal(api_params_u64(&ps, "absent", 1, 1000, &n, detail),
	    0);
	assert_int_equal(n, 10);
	assert_int_equal(api_params_u64(&ps, "bad", 1, 1000, &n, detail), -1);
	assert_string_equal(detail, "bad: '-1' is not a whole number in "
	    "[1, 1000]");
	assert_int_equal(api_params_u64(&ps, "big", 1, 1000, &n, detail), -1);
	assert_int_equal(api_params_u64(&ps, "hex", 0, 1000, &n, detail), -1);
	assert_int_equal(api_params_enum(&ps, "proto", protos, &v, detail),
	    -1);
	assert_string_equal(detail, "proto: 'icmp' is not one of tcp, udp");
	assert_int_equal(api_params_ip(&ps, "ip", &v, detail), 1);
	assert_string_equal(v, "::1");
	assert_int_equal(api_params_ip(&ps, "ip4", &v, detail), -1);
	assert_non_null(strstr(detail, "ip4: '10.0.0.300'"));
	assert_int_equal(api_params_secs(&ps, "secs", UINT64_MAX, &n, detail),
	    1);
	assert_int_equal(n, 1500000000ULL);
	assert_int_equal(api_params_duration(&ps, "dur", 60, 3600, &n,
	    detail), 1);
	assert_int_equal(n, 300);
	assert_int_equal(api_params_time(&ps, "t", &n, detail), 1);
	assert_int_equal(n, 1704164645ULL * NS);
}

static void
time_ok(const char *s, uint64_t want)
{
	uint64_t ns = 0;
	int rc = api_time_parse(s, &ns);

	if (rc != 0 || ns != want)
		fail_msg("'%s': rc %d ns %llu, want %llu", s, rc,
		    (unsigned long long)ns, (unsigned long long)want);
}

static void
time_bad(const char *s, int want)
{
	uint64_t ns = 42;
	int rc = api_time_parse(s, &ns);

	if (rc != want || ns != 42)
		fail_msg("'%s': rc %d, want %d", s, rc, want);
}

static void
test_api_time_rfc3339(void **state)
{
	(void)state;
	time_ok("1970-01-01T00:00:00Z", 0);
	time_ok("2024-01-02T03:04:05Z", 1704164645ULL * NS);
	time_ok("2024-01-02t03:04:05z", 1704164645ULL * NS);
	time_ok("2024-01-02 03:04:05Z", 1704164645ULL * NS);
	time_ok("2024-01-02T03:04:05.5Z", 1704164645ULL * NS + 500000000);
	time_ok("2024-01-02T03:04:05.000000007Z", 1704164645ULL * NS + 7);
	time_ok("2024-01-02T05:04:05+02:00", 1704164645ULL * NS);
	time_ok("2024-01-01T23:34:05-03:30", 1704164645ULL * NS);
	time_ok("2024-02-29T00:00:00Z", 1709164800ULL * NS);
	time_ok("2000-02-29T00:00:00Z", 951782400ULL * NS);
	time_bad("2023-02-29T00:00:00Z", -EINVAL);
	time_bad("1900-02-29T00:00:00Z", -EINVAL);
	time_bad("2024-13-01T00:00:00Z", -EINVAL);
	time_bad("2024-01-32T00:00:00Z", -EINVAL);
	time_bad("2024-01-01T24:00:00Z", -EINVAL);
	time_bad("2024-01-01T23:60:00Z", -EINVAL);
	time_bad("2024-01-01T23:59:60Z", -EINVAL);
	time_bad("2024-01-01T00:00:00", -EINVAL);
	time_bad("2024-01-01T00:00:00.Z", -EINVAL);
	time_bad("2024-01-01T00:00:00.1234567890Z", -EINVAL);
	time_bad("2024-01-01T00:00:00+0200", -EINVAL);
	time_bad("2024-01-01T00:00:00Zjunk", -EINVAL);
	time_bad("2024-1-01T00:00:00Z", -EINVAL);
	time_bad("1969-12-31T23:59:59Z", -ERANGE);
	time_bad("1970-01-01T00:00:00+00:01", -ERANGE);
	time_bad("9999-12-31T23:59:59Z", -ERANGE);
}

static void
test_api_time_epoch(void **state)
{
	uint64_t ns;

	(void)state;
	time_ok("0", 0);
	time_ok("1704164645", 1704164645ULL * NS);
	time_ok("1704164645.25", 1704164645ULL * NS + 250000000);
	time_bad("", -EINVAL);
	time_bad("-5", -EINVAL);
	time_bad("+5", -EINVAL);
	time_bad(" 5", -EINVAL);
	time_bad("5 ", -EINVAL);
	time_bad("1e9", -EINVAL);
	time_bad("1704164645.", -EINVAL);
	time_bad("yesterday", -EINVAL);
	time_bad("99999999999999999999", -ERANGE);
	time_bad("18446744074", -ERANGE);
	assert_int_equal(api_time_parse_secs("2.5", 3 * NS, &ns), 0);
	assert_int_equal(ns, 2500000000ULL);
	assert_int_equal(api_time_parse_secs("3.000000001", 3 * NS, &ns),
	    -ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_params_decode),
		cmocka_unit_test(test_api_params_malformed),
		cmocka_unit_test(test_api_params_unknown),
		cmocka_unit_test(test_api_params_typed),
		cmocka_unit_test(test_api_time_rfc3339),
		cmocka_unit_test(test_api_time_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
