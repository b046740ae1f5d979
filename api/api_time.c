/*
 * api_time: RFC 3339 (section 5.6 "date-time") and epoch-second parsing
 * for query parameters. Calendar arithmetic is H. Hinnant's days-from-
 * civil, exact for the proleptic Gregorian calendar, so no timegm(), no
 * TZ lookup and no locale. Every field has a fixed width; anything else
 * is -EINVAL, like the rest of the API's strict parameter parsing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../common/clock.h"
#include "api_time.h"

#define NS	1000000000ULL

static int	digits(const char *s, int n, unsigned *out);
static int	fraction(const char **sp, uint64_t *ns);
static int64_t	days_from_civil(int64_t y, unsigned m, unsigned d);

int
api_time_parse(const char *s, uint64_t *ns)
{
	unsigned y, mo, d, h, mi, sec, oh, om;
	uint64_t frac = 0, secs;
	int64_t days, total, off = 0;
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	unsigned dim;
	const char *p;

	if (s == NULL || s[0] == '\0')
		return -EINVAL;
	/* Epoch seconds: digits only, with an optional fraction. */
	if (strlen(s) < 10 || s[4] != '-')
		return api_time_parse_secs(s, UINT64_MAX, ns);
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d))
		return -EINVAL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -EINVAL;
	p = s + 11;
	if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) ||
	    p[5] != ':' || !digits(p + 6, 2, &sec))
		return -EINVAL;
	p += 8;
	if (*p == '.' && fraction(&p, &frac) != 0)
		return -EINVAL;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		off = (int64_t)(oh * 3600 + om * 60);
		if (*p == '+')
			off = -off;
		p += 6;
	} else
		return -EINVAL;
	if (*p != '\0')
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	dim = mdays[mo - 1];
	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	if (d > dim)
		return -EINVAL;
	days = days_from_civil((int64_t)y, mo, d);
	total = days * 86400 + (int64_t)(h * 3600 + mi * 60 + sec) + off;
	if (total < 0)
		return -ERANGE;
	secs = (uint64_t)total;
	if (secs > (UINT64_MAX - frac) / NS)
		return -ERANGE;
	*ns = secs * NS + frac;
	return 0;
}

int
api_time_parse_secs(const char *s, uint64_t max_ns, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.' && fraction(&p, &frac) != 0)
		return -EINVAL;
	if (*p != '\0')
		return -EINVAL;
	if (whole > (UINT64_MAX - frac) / NS || whole * NS + frac > max_ns)
		return -ERANGE;
	*ns = whole * NS + frac;
	return 0;
}

uint64_t
api_time_now_ns(void)
{
	return sa_wall_ns();
}

uint64_t
api_time_mono_ns(void)
{
	return sa_mono_ns();
}

/* Exactly n decimal digits at s. */
static int
digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 1;
}

/* *sp at '.': 1 to 9 digits follow; advances past them. */
static int
fraction(const char **sp, uint64_t *ns)
{
	const char *p = *sp + 1;
	uint64_t v = 0, scale = NS;
	int n = 0;

	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (n == 9)
			return -EINVAL;
		scale /= 10;
		v += (uint64_t)(*p - '0') * scale;
	}
	if (n == 0)
		return -EINVAL;
	*ns = v;
	*sp = p;
	return 0;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
