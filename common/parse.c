/*
 * parse: strict parsing of decimal numbers, sizes, durations and booleans
 * from untrusted text. Wraps strtoull with end-pointer, errno and range
 * checks, and refuses a leading sign or white space strtoull would accept.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int parse_suffixed(const char *, uint64_t, uint64_t, uint64_t *,
    const char *, const uint64_t *);

int
sa_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int
parse_suffixed(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char *suffixes, const uint64_t *mult)
{
	char num[32];
	size_t len;
	const char *sp;
	uint64_t v, m = 1;
	int rc;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	if ((sp = strchr(suffixes, tolower((unsigned char)num[len - 1]))) !=
	    NULL && isalpha((unsigned char)num[len - 1])) {
		m = mult[sp - suffixes];
		num[len - 1] = '\0';
	}
	if ((rc = sa_parse_u64(num, 0, UINT64_MAX, &v)) != 0)
		return rc;
	if (v != 0 && m > UINT64_MAX / v)
		return -ERANGE;
	v *= m;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
sa_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const uint64_t mult[] = { 1024, 1024 * 1024,
	    1024ULL * 1024 * 1024 };

	return parse_suffixed(s, min, max, out, "kmg", mult);
}

int
sa_parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };

	return parse_suffixed(s, min, max, out, "smhd", mult);
}

int
sa_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
sa_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "invalid value";
	case -ERANGE:
		return "value out of range";
	case -EBADMSG:
		return "malformed message";
	case -EMSGSIZE:
		return "message too large";
	case -ENOENT:
		return "not found";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

size_t
sa_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
sa_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
