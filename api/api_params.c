/*
 * api_params: query-string splitting and percent-decoding (RFC 3986
 * section 2.1, with the form encoding's '+' for a space), then typed
 * getters that wrap common/parse.h. Detail texts quote at most 64 bytes
 * of what the client sent, with anything outside printable ASCII
 * replaced, so a hostile value cannot forge log lines or bloat a reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/parse.h"
#include "api_params.h"
#include "api_time.h"

static int	decode(const char *s, size_t n, char *out, size_t cap,
		    size_t *outlen);
static void	quote(const char *v, char *out, size_t cap);

int
api_params_parse(const char *qs, struct api_params *out, char *detail)
{
	const char *p, *amp, *eq;
	struct api_param *pa;
	size_t klen, vlen, i;

	out->n = 0;
	if (qs == NULL)
		return 0;
	for (p = qs; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;	/* "a=1&&b=2" and a trailing '&' */
		if (out->n == API_PARAMS_MAX) {
			snprintf(detail, API_DETAIL_MAX, "query: more than %d "
			    "parameters", API_PARAMS_MAX);
			return -E2BIG;
		}
		pa = &out->p[out->n];
		eq = memchr(p, '=', (size_t)(amp - p));
		if (decode(p, (size_t)((eq ? eq : amp) - p), pa->key,
		    sizeof(pa->key), &klen) != 0 || klen == 0) {
			char q[80];

			quote(p, q, sizeof(q));
			snprintf(detail, API_DETAIL_MAX, "query: '%s' is not "
			    "a well-formed key", q);
			return klen >= sizeof(pa->key) ? -ENAMETOOLONG :
			    -EINVAL;
		}
		if (eq == NULL) {
			snprintf(detail, API_DETAIL_MAX, "%s: no value (write "
			    "%s=VALUE)", pa->key, pa->key);
			return -EINVAL;
		}
		if (decode(eq + 1, (size_t)(amp - eq - 1), pa->val,
		    sizeof(pa->val), &vlen) != 0) {
			snprintf(detail, API_DETAIL_MAX, vlen >= sizeof(pa->val) ?
			    "%s: value longer than %d bytes" :
			    "%s: bad percent-encoding", pa->key,
			    API_PARAM_VAL_MAX);
			return vlen >= sizeof(pa->val) ? -ENAMETOOLONG :
			    -EINVAL;
		}
		if (vlen == 0) {
			snprintf(detail, API_DETAIL_MAX, "%s: empty value "
			    "(leave the parameter out instead)", pa->key);
			return -EINVAL;
		}
		for (i = 0; i < out->n; i++)
			if (strcmp(out->p[i].key, pa->key) == 0) {
				snprintf(detail, API_DETAIL_MAX, "%s: given "
				    "more than once", pa->key);
				return -EEXIST;
			}
		pa->used = 0;
		out->n++;
	}
	return 0;
}

const char *
api_params_get(struct api_params *ps, const char *key)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0) {
			ps->p[i].used = 1;
			return ps->p[i].val;
		}
	return NULL;
}

const char *
api_params_unknown(const struct api_params *ps, const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < ps->n; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(ps->p[i].key, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			return ps->p[i].key;
	}
	return NULL;
}

int
api_params_u64(struct api_params *ps, const char *key, uint64_t min,
    uint64_t max, uint64_t *out, char *detail)
{
	const char *v = api_params_get(ps, key);
	char q[80];

	if (v == NULL)
		return 0;
	if (sa_parse_u64(v, min, max, out) != 0) {
		quote(v, q, sizeof(q));
		snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not a whole "
		    "number in [%llu, %llu]", key, q, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	return 1;
}

int
api_params_time(struct api_params *ps, const char *key, uint64_t *ns,
    char *detail)
{
	const char *v = api_params_get(ps, key);
	char q[80];

	if (v == NULL)
		return 0;
	if (api_time_parse(v, ns) != 0) {
		quote(v, q, sizeof(q));
		snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not an RFC 3339 "
		    "time (2024-01-02T03:04:05Z) or seconds since the epoch "
		    "after 1970", key, q);
		return -1;
	}
	return 1;
}

int
api_params_secs(struct api_params *ps, const char *key, uint64_t max_ns,
    uint64_t *ns, char *detail)
{
	const char *v = api_params_get(ps, key);
	char q[80];

	if (v == NULL)
		return 0;
	if (api_time_parse_secs(v, max_ns, ns) != 0) {
		quote(v, q, sizeof(q));
		snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not a number of "
		    "seconds (up to 9 decimals)", key, q);
		return -1;
	}
	return 1;
}

int
api_params_duration(struct api_params *ps, const char *key, uint64_t min,
    uint64_t max, uint64_t *out, char *detail)
{
	const char *v = api_params_get(ps, key);
	char q[80];

	if (v == NULL)
		return 0;
	if (sa_parse_duration(v, min, max, out) != 0) {
		quote(v, q, sizeof(q));
		snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not a duration "
		    "in [%llu, %llu] seconds (suffix s, m, h or d allowed)",
		    key, q, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 1;
}

int
api_params_enum(struct api_params *ps, const char *key,
    const char *const *names, const char **out, char *detail)
{
	const char *v = api_params_get(ps, key);
	char q[80], list[API_DETAIL_MAX];
	size_t i, len = 0;

	if (v == NULL)
		return 0;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = names[i];
			return 1;
		}
	list[0] = '\0';
	for (i = 0; names[i] != NULL && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i ? ", " : "", names[i]);
	quote(v, q, sizeof(q));
	/* A long list is cut to API_DETAIL_MAX: fine for a message. */
	if (snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not one of %s", key,
	    q, list) < 0)
		detail[0] = '\0';
	return -1;
}

int
api_params_ip(struct api_params *ps, const char *key, const char **out,
    char *detail)
{
	const char *v = api_params_get(ps, key);
	unsigned char buf[16];
	char q[80];

	if (v == NULL)
		return 0;
	if (inet_pton(AF_INET, v, buf) != 1 &&
	    inet_pton(AF_INET6, v, buf) != 1) {
		quote(v, q, sizeof(q));
		snprintf(detail, API_DETAIL_MAX, "%s: '%s' is not an IPv4 or "
		    "IPv6 address", key, q);
		return -1;
	}
	*out = v;
	return 1;
}

int
api_params_str(struct api_params *ps, const char *key, const char **out)
{
	const char *v = api_params_get(ps, key);

	if (v == NULL)
		return 0;
	*out = v;
	return 1;
}

/*
 * Percent-decodes n bytes of s into out (cap bytes with the NUL).
 * *outlen is the decoded length so far; at least cap when it did not
 * fit. A NUL byte (%00) is refused: values become C strings.
 */
static int
decode(const char *s, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 || (hi = sa_hex_digit(s[i + 1])) < 0 ||
			    (lo = sa_hex_digit(s[i + 2])) < 0) {
				*outlen = o;
				return -EINVAL;
			}
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c == '\0' || o + 1 >= cap) {
			*outlen = c == '\0' ? o : cap;
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

/* Up to 64 bytes of v, non-printable bytes as '?', for detail texts. */
static void
quote(const char *v, char *out, size_t cap)
{
	size_t i;

	for (i = 0; v[i] != '\0' && i < 64 && i + 4 < cap; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	if (v[i] != '\0' && i + 4 <= cap) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}
