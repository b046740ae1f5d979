/*
 * api_params: the query string of an HTTP request as a small, bounded
 * list of decoded key/value pairs, and strict typed getters over it.
 * Every value is percent-decoded once ('+' is a space), checked for
 * length and NUL bytes, and a key given twice is an error, so a request
 * means one thing. Errors fill a detail text that starts with the
 * parameter's name, for the {"error", "detail"} body of a 400.
 */
#ifndef SA_API_API_PARAMS_H
#define SA_API_API_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/query.h"

#define API_PARAMS_MAX		PROTO_QUERY_MAX_PARAMS
#define API_PARAM_KEY_MAX	PROTO_QUERY_MAX_KEY
#define API_PARAM_VAL_MAX	PROTO_QUERY_MAX_VAL
#define API_DETAIL_MAX		256

struct api_param {
	char	key[API_PARAM_KEY_MAX + 1];
	char	val[API_PARAM_VAL_MAX + 1];
	int	used;		/* set by the getters */
};

struct api_params {
	size_t			n;
	struct api_param	p[API_PARAMS_MAX];
};

/*
 * Splits and decodes qs (borrowed; NULL or "" is no parameters) into
 * out. Returns 0, or on error fills detail (API_DETAIL_MAX bytes) and
 * returns -EINVAL (bad percent escape, empty key or value, NUL byte,
 * key without '='), -E2BIG (more than API_PARAMS_MAX), -ENAMETOOLONG
 * (key or value too long) or -EEXIST (a key twice).
 */
int	api_params_parse(const char *qs, struct api_params *out, char *detail)
	    __attribute__((warn_unused_result));

/* The value of key, or NULL. Marks it used. Returns borrowed. */
const char *api_params_get(struct api_params *, const char *key);

/*
 * The first parameter not in allowed (NULL-terminated), or NULL when all
 * are known. Returns borrowed.
 */
const char *api_params_unknown(const struct api_params *,
	    const char *const *allowed);

/*
 * Typed getters: each returns 0 when the key is absent (out untouched),
 * 1 when present and valid (out set), or -1 with detail filled
 * ("limit: 'x' is not a whole number in [1, 1000]").
 */
int	api_params_u64(struct api_params *, const char *key, uint64_t min,
	    uint64_t max, uint64_t *out, char *detail);
/* RFC 3339 or epoch seconds (api_time.h) into nanoseconds. */
int	api_params_time(struct api_params *, const char *key, uint64_t *ns,
	    char *detail);
/* Decimal seconds with up to 9 fraction digits into nanoseconds. */
int	api_params_secs(struct api_params *, const char *key, uint64_t max_ns,
	    uint64_t *ns, char *detail);
/* Seconds, with optional suffix s, m, h, d (common/parse.h). */
int	api_params_duration(struct api_params *, const char *key,
	    uint64_t min, uint64_t max, uint64_t *out, char *detail);
/* One of names (NULL-terminated); *out is its value as given. */
int	api_params_enum(struct api_params *, const char *key,
	    const char *const *names, const char **out, char *detail);
/* An IPv4 or IPv6 address in text form. */
int	api_params_ip(struct api_params *, const char *key, const char **out,
	    char *detail);
/* Any non-empty string (every value is non-empty and bounded already). */
int	api_params_str(struct api_params *, const char *key, const char **out);

#endif
