/*
 * fuzz_api: libFuzzer target for what the API parses from a request: the
 * query string (api_params.c, with every typed getter on every key it
 * holds) and times (api_time.c). The input's first byte chooses nothing;
 * the whole input is tried as a query string and as a time. Checks,
 * besides the sanitizers: parsing either succeeds with at most
 * API_PARAMS_MAX bounded NUL-free pairs or fails with a detail; a getter
 * answers 0, 1 or -1 with a detail that starts with the key; a parsed
 * time is within the documented range and epoch seconds agree with the
 * same instant in RFC 3339; the merged history cursor of several
 * aggregators (api_multi.c) decodes only to what encodes back to the
 * same text, and a list splits into bounded, non-empty items.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_multi.h"
#include "api_params.h"
#include "api_time.h"
#include "fuzz_run.h"

#define API_INPUT_MAX	8192

static void
check(int ok, const char *what, int line)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_api.c:%d: invariant broken: %s\n", line, what);
	abort();
}

#define CHECK(c)	check(!!(c), #c, __LINE__)

static const char *const enum_names[] = { "tcp", "udp", "closed", NULL };

static void
check_getter(int rc, const char *key, const char *detail)
{
	CHECK(rc >= -1 && rc <= 1);
	if (rc == -1)
		CHECK(strncmp(detail, key, strlen(key)) == 0);
}

static void
fuzz_params(const char *qs)
{
	struct api_params p, q;
	char detail[API_DETAIL_MAX], key[API_PARAM_KEY_MAX + 1];
	const char *s;
	uint64_t v;
	size_t i;
	int rc;

	detail[0] = '\0';
	rc = api_params_parse(qs, &p, detail);
	if (rc != 0) {
		CHECK(rc == -EINVAL || rc == -E2BIG || rc == -ENAMETOOLONG ||
		    rc == -EEXIST);
		CHECK(detail[0] != '\0' && strlen(detail) < API_DETAIL_MAX);
		return;
	}
	CHECK(p.n <= API_PARAMS_MAX);
	for (i = 0; i < p.n; i++) {
		CHECK(p.p[i].key[0] != '\0' && p.p[i].val[0] != '\0');
		CHECK(strlen(p.p[i].key) <= API_PARAM_KEY_MAX);
		CHECK(strlen(p.p[i].val) <= API_PARAM_VAL_MAX);
	}
	for (i = 0; i < p.n; i++) {
		q = p;
		snprintf(key, sizeof(key), "%s", p.p[i].key);
		CHECK(api_params_get(&q, key) != NULL);
		check_getter(api_params_u64(&q, key, 1, 1000, &v, detail), key,
		    detail);
		check_getter(api_params_time(&q, key, &v, detail), key, detail);
		check_getter(api_params_secs(&q, key, 86400000000000ULL, &v,
		    detail), key, detail);
		check_getter(api_params_duration(&q, key, 1, 86400, &v,
		    detail), key, detail);
		check_getter(api_params_enum(&q, key, enum_names, &s, detail),
		    key, detail);
		check_getter(api_params_ip(&q, key, &s, detail), key, detail);
		CHECK(api_params_str(&q, key, &s) == 1 && s[0] != '\0');
	}
}

static void
fuzz_time(const char *s)
{
	char iso[64];
	struct tm tm;
	time_t secs;
	uint64_t ns, ns2;
	int rc;

	rc = api_time_parse(s, &ns);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	if (rc == 0) {
		/* The same instant in RFC 3339, UTC, parses to the same. */
		secs = (time_t)(ns / 1000000000ULL);
		CHECK(gmtime_r(&secs, &tm) != NULL);
		snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d."
		    "%09lluZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (unsigned long long)(ns % 1000000000ULL));
		CHECK(api_time_parse(iso, &ns2) == 0 && ns2 == ns);
	}
	rc = api_time_parse_secs(s, 86400000000000ULL, &ns);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	CHECK(rc != 0 || ns <= 86400000000000ULL);
}

static void
fuzz_multi(const char *s)
{
	static char items[API_MULTI_MAX][API_MULTI_ITEM_MAX + 1];
	struct api_multi_cursor c;
	char detail[API_DETAIL_MAX], again[API_MULTI_CURSOR_MAX];
	size_t n, i, k;
	int rc;

	/* As a cursor for 1 to 3 aggregators (list id 7). */
	for (n = 1; n <= 3; n++) {
		detail[0] = '\0';
		rc = api_multi_cursor_decode(s, n, 7, &c, detail,
		    sizeof(detail));
		CHECK(rc == 0 || (rc == -EINVAL && detail[0] != '\0'));
		if (rc != 0)
			continue;
		CHECK(c.n == n && c.list_id == 7);
		for (k = 0; k < n; k++)
			CHECK(strlen(c.pos[k].cursor) <= API_MULTI_POS_MAX);
		CHECK(api_multi_cursor_encode(&c, again) == 0);
		CHECK(strcmp(again, s) == 0);
	}
	/* As an aggregator list. */
	rc = api_multi_split(s, items, API_MULTI_MAX, &n, detail,
	    sizeof(detail));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		CHECK(n <= API_MULTI_MAX);
		for (i = 0; i < n; i++)
			CHECK(items[i][0] != '\0' &&
			    strlen(items[i]) <= API_MULTI_ITEM_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[API_INPUT_MAX + 1];

	if (size > API_INPUT_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_params(s);
	fuzz_time(s);
	fuzz_multi(s);
	return 0;
}

#define SEED(name, text)	{ name, text, sizeof(text) - 1 }

static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;
} seeds[] = {
	SEED("seed-history", "limit=100&user=alice&target=%2A.example.com&"
	    "start=2024-01-02T03%3A04%3A05Z&protocol=tcp&min_bytes=10"),
	SEED("seed-params", "dest=2001%3Adb8%3A%3A1&window=1.5&step=5m&"
	    "status=closed&cursor=u00112233&q=a+b"),
	SEED("seed-time-rfc", "2024-01-02T03:04:05.123456789+02:00"),
	SEED("seed-time-epoch", "1704164645.5"),
	SEED("seed-time-edge", "2554-07-21T23:34:33.709551615Z"),
	SEED("seed-list", "tcp://127.0.0.1:7711, tcp://[::1]:7711,agg-2"),
};

/* A real merged cursor of two aggregators, one at a position. */
static int
seed_cursor(fuzz_seed_fn fn, void *arg)
{
	struct api_multi_cursor c;
	char text[API_MULTI_CURSOR_MAX];

	memset(&c, 0, sizeof(c));
	c.n = 2;
	c.list_id = 7;
	c.pos[0].state = API_MULTI_POS_AT;
	snprintf(c.pos[0].cursor, sizeof(c.pos[0].cursor), "t%s",
	    "00112233445566778899aabbccddeeff0011223344556677deadbeef");
	c.pos[1].state = API_MULTI_POS_DONE;
	if (api_multi_cursor_encode(&c, text) != 0)
		return 0;
	return fn(arg, "seed-cursor", (const uint8_t *)text, strlen(text));
}

int
fuzz_seeds(fuzz_seed_fn fn, void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if ((rc = fn(arg, seeds[i].name, (const uint8_t *)seeds[i].text,
		    seeds[i].len)) != 0)
			return rc;
	return seed_cursor(fn, arg);
}
