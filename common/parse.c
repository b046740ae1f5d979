/*
 * parse: strict parsing of decimal numbers, sizes, durations and booleans
 * from untrusted text. Wraps strtoull with end-pointer, errno and range
 * checks, and refuses a leading sign or white space strtoull would accept.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
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

/* PORT: 0..65535, or '*' when star. */
static int
port_ok(const char *p, size_t n, int star)
{
	char buf[8];
	uint64_t v;

	if (star && n == 1 && p[0] == '*')
		return 1;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return sa_parse_u64(buf, 0, 65535, &v) == 0;
}

/* An IPv4 address in dotted decimal, n bytes. */
static int
ipv4_ok(const char *p, size_t n)
{
	char buf[16];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

static int
zmq_one(const char *s, size_t n, char *why, size_t whylen)
{
	const char *host, *colon, *end = s + n;
	char buf[64];
	struct in6_addr a6;
	size_t i, hn;

	if (n > 6 && strncmp(s, "ipc://", 6) == 0)
		return 0;
	if (n < 6 || strncmp(s, "tcp://", 6) != 0) {
		snprintf(why, whylen, "'%.*s' is not tcp://HOST:PORT or "
		    "ipc://PATH", (int)(n > 64 ? 64 : n), s);
		return -EINVAL;
	}
	host = s + 6;
	for (colon = end; colon > host && colon[-1] != ':'; colon--)
		;
	if (colon == host || !port_ok(colon, (size_t)(end - colon), 1)) {
		snprintf(why, whylen, "'%.*s': no port (0..65535 or *) after "
		    "the last ':'", (int)(n > 64 ? 64 : n), s);
		return -EINVAL;
	}
	hn = (size_t)(colon - 1 - host);
	if (hn == 1 && host[0] == '*')
		return 0;
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']' &&
	    hn - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, hn - 2);
		buf[hn - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) == 1)
			return 0;
	}
	/* An IPv4 address, or a name: letters, digits, '.', '-', '_'. */
	for (i = 0; i < hn; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' &&
		    host[i] != '-' && host[i] != '_')
			break;
	if (hn > 0 && hn <= 253 && i == hn)
		return 0;
	snprintf(why, whylen, "'%.*s': host is not an address, a [v6] "
	    "address, a name or *", (int)(n > 64 ? 64 : n), s);
	return -EINVAL;
}

int
sa_check_zmq_endpoint(const char *s, char *why, size_t whylen)
{
	if (s[0] == '\0')
		return 0;
	if (strchr(s, ',') != NULL) {
		snprintf(why, whylen, "one endpoint only");
		return -EINVAL;
	}
	return zmq_one(s, strlen(s), why, whylen);
}

int
sa_check_zmq_endpoints(const char *s, char *why, size_t whylen)
{
	const char *p = s, *c;

	if (s[0] == '\0')
		return 0;
	for (;;) {
		c = strchr(p, ',');
		if (zmq_one(p, c != NULL ? (size_t)(c - p) : strlen(p), why,
		    whylen) != 0)
			return -EINVAL;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

int
sa_check_http_listen(const char *s, char *why, size_t whylen)
{
	const char *colon = strrchr(s, ':');

	if (s[0] == '\0')
		return 0;
	if (colon == NULL ? port_ok(s, strlen(s), 0) :
	    ipv4_ok(s, (size_t)(colon - s)) &&
	    port_ok(colon + 1, strlen(colon + 1), 0))
		return 0;
	snprintf(why, whylen, "'%.64s' is not [IPV4:]PORT (no IPv6 here)", s);
	return -EINVAL;
}
