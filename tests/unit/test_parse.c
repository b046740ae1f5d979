/*
 * test_parse: the strict parsers behind every configuration value, flag
 * and query parameter. Anything strtoull would quietly accept (a sign,
 * white space, a trailing word, a hex prefix) is an error here, and an
 * error never writes the output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define SENTINEL	0x5a5a5a5a5a5a5a5aULL
#define KiB		1024ULL
#define MiB		(1024ULL * 1024)
#define GiB		(1024ULL * 1024 * 1024)

typedef int (*parse_fn)(const char *, uint64_t, uint64_t, uint64_t *);

static void
ok(parse_fn fn, const char *s, uint64_t want)
{
	uint64_t v = SENTINEL;
	int rc = fn(s, 0, UINT64_MAX, &v);

	if (rc != 0)
		fail_msg("'%s': %d (%s)", s, rc, sa_strerror(rc));
	if (v != want)
		fail_msg("'%s': %llu, want %llu", s, (unsigned long long)v,
		    (unsigned long long)want);
}

static void
bad(parse_fn fn, const char *s, int want)
{
	uint64_t v = SENTINEL;
	int rc = fn(s, 0, UINT64_MAX, &v);

	if (rc != want)
		fail_msg("'%s': %d, want %d", s ? s : "(null)", rc, want);
	assert_int_equal(v, SENTINEL);
}

static void
test_parse_u64_valid(void **state)
{
	(void)state;
	ok(sa_parse_u64, "0", 0);
	ok(sa_parse_u64, "1", 1);
	ok(sa_parse_u64, "007", 7);
	ok(sa_parse_u64, "4294967296", 4294967296ULL);
	ok(sa_parse_u64, "18446744073709551615", UINT64_MAX);
}

static void
test_parse_u64_syntax(void **state)
{
	(void)state;
	bad(sa_parse_u64, NULL, -EINVAL);
	bad(sa_parse_u64, "", -EINVAL);
	bad(sa_parse_u64, "-1", -EINVAL);
	bad(sa_parse_u64, "+1", -EINVAL);
	bad(sa_parse_u64, "-0", -EINVAL);
	bad(sa_parse_u64, " 1", -EINVAL);
	bad(sa_parse_u64, "\t1", -EINVAL);
	bad(sa_parse_u64, "1 ", -EINVAL);
	bad(sa_parse_u64, "1\n", -EINVAL);
	bad(sa_parse_u64, "1x", -EINVAL);
	bad(sa_parse_u64, "1.5", -EINVAL);
	bad(sa_parse_u64, "1e3", -EINVAL);
	bad(sa_parse_u64, "0x10", -EINVAL);
	bad(sa_parse_u64, "1,000", -EINVAL);
	bad(sa_parse_u64, "ten", -EINVAL);
}

static void
test_parse_u64_range(void **state)
{
	uint64_t v = SENTINEL;

	(void)state;
	bad(sa_parse_u64, "18446744073709551616", -ERANGE);
	bad(sa_parse_u64, "99999999999999999999999999999999999999", -ERANGE);
	assert_int_equal(sa_parse_u64("16", 16, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(sa_parse_u64("100", 16, 100, &v), 0);
	assert_int_equal(v, 100);
	v = SENTINEL;
	assert_int_equal(sa_parse_u64("15", 16, 100, &v), -ERANGE);
	assert_int_equal(sa_parse_u64("101", 16, 100, &v), -ERANGE);
	assert_int_equal(v, SENTINEL);
	/* Syntax is checked before range. */
	assert_int_equal(sa_parse_u64("x", 16, 100, &v), -EINVAL);
}

static void
test_parse_size_suffixes(void **state)
{
	(void)state;
	ok(sa_parse_size, "4096", 4096);
	ok(sa_parse_size, "0", 0);
	ok(sa_parse_size, "0k", 0);
	ok(sa_parse_size, "64k", 64 * KiB);
	ok(sa_parse_size, "64K", 64 * KiB);
	ok(sa_parse_size, "16m", 16 * MiB);
	ok(sa_parse_size, "16M", 16 * MiB);
	ok(sa_parse_size, "4g", 4 * GiB);
	ok(sa_parse_size, "17179869183g", 17179869183ULL * GiB);
	ok(sa_parse_size, "18446744073709551615", UINT64_MAX);
}

static void
test_parse_size_errors(void **state)
{
	uint64_t v = SENTINEL;

	(void)state;
	bad(sa_parse_size, NULL, -EINVAL);
	bad(sa_parse_size, "", -EINVAL);
	bad(sa_parse_size, "k", -EINVAL);
	bad(sa_parse_size, "1kk", -EINVAL);
	bad(sa_parse_size, "1 k", -EINVAL);
	bad(sa_parse_size, " 1k", -EINVAL);
	bad(sa_parse_size, "1kb", -EINVAL);
	bad(sa_parse_size, "1t", -EINVAL);
	bad(sa_parse_size, "1s", -EINVAL);
	bad(sa_parse_size, "-1k", -EINVAL);
	bad(sa_parse_size, "1.5m", -EINVAL);
	/* 2^34 GiB = 2^64: the multiplication would wrap. */
	bad(sa_parse_size, "17179869184g", -ERANGE);
	bad(sa_parse_size, "18014398509481984k", -ERANGE);
	bad(sa_parse_size, "18446744073709551616", -ERANGE);
	/* Range applies after the suffix. */
	assert_int_equal(sa_parse_size("1m", 1024 * KiB, 4 * GiB, &v), 0);
	assert_int_equal(v, MiB);
	v = SENTINEL;
	assert_int_equal(sa_parse_size("1023k", MiB, 4 * GiB, &v), -ERANGE);
	assert_int_equal(sa_parse_size("5g", MiB, 4 * GiB, &v), -ERANGE);
	assert_int_equal(v, SENTINEL);
}

static void
test_parse_duration_suffixes(void **state)
{
	uint64_t v = SENTINEL;

	(void)state;
	ok(sa_parse_duration, "90", 90);
	ok(sa_parse_duration, "90s", 90);
	ok(sa_parse_duration, "90S", 90);
	ok(sa_parse_duration, "5m", 300);
	ok(sa_parse_duration, "2h", 7200);
	ok(sa_parse_duration, "1d", 86400);
	ok(sa_parse_duration, "0s", 0);
	bad(sa_parse_duration, "", -EINVAL);
	bad(sa_parse_duration, "s", -EINVAL);
	bad(sa_parse_duration, "1w", -EINVAL);
	bad(sa_parse_duration, "1ms", -EINVAL);
	bad(sa_parse_duration, "-5s", -EINVAL);
	bad(sa_parse_duration, "5 s", -EINVAL);
	bad(sa_parse_duration, "1.5h", -EINVAL);
	bad(sa_parse_duration, "213503982334602d", -ERANGE);
	assert_int_equal(sa_parse_duration("8d", 1, 7 * 86400, &v), -ERANGE);
	assert_int_equal(sa_parse_duration("0", 1, 7 * 86400, &v), -ERANGE);
	assert_int_equal(v, SENTINEL);
	assert_int_equal(sa_parse_duration("7d", 1, 7 * 86400, &v), 0);
	assert_int_equal(v, 7 * 86400);
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on",
	    "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off",
	    "0" };
	static const char *const neither[] = { "", "y", "n", "2", "yes ",
	    " no", "enable", "01" };
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = -1;
		assert_int_equal(sa_parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = -1;
		assert_int_equal(sa_parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	for (i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
		b = -1;
		if (sa_parse_bool(neither[i], &b) != -EINVAL)
			fail_msg("'%s' accepted", neither[i]);
		assert_int_equal(b, -1);
	}
}

static void
test_parse_strerror(void **state)
{
	(void)state;
	assert_string_equal(sa_strerror(-EINVAL), "invalid value");
	assert_string_equal(sa_strerror(-ERANGE), "value out of range");
	assert_string_equal(sa_strerror(-EBADMSG), "malformed message");
	assert_string_equal(sa_strerror(-EMSGSIZE), "message too large");
	assert_string_equal(sa_strerror(-ENOENT), "not found");
	assert_string_equal(sa_strerror(-ENOMEM), strerror(ENOMEM));
	assert_non_null(sa_strerror(-99999));
}

static void
test_parse_strlcpy(void **state)
{
	char b[8];

	(void)state;
	memset(b, 'z', sizeof(b));
	assert_int_equal(sa_strlcpy(b, "abc", sizeof(b)), 3);
	assert_string_equal(b, "abc");
	assert_int_equal(sa_strlcpy(b, "abcdefghij", sizeof(b)), 10);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(sa_strlcpy(b, "", sizeof(b)), 0);
	assert_string_equal(b, "");
	b[0] = 'q';
	assert_int_equal(sa_strlcpy(b, "abc", 0), 3);
	assert_int_equal(b[0], 'q');
	assert_int_equal(sa_strlcpy(b, "abc", 1), 3);
	assert_int_equal(b[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_valid),
		cmocka_unit_test(test_parse_u64_syntax),
		cmocka_unit_test(test_parse_u64_range),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_size_errors),
		cmocka_unit_test(test_parse_duration_suffixes),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_strerror),
		cmocka_unit_test(test_parse_strlcpy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
