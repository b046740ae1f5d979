/*
 * parse: strict number and value parsers for configuration, flags and query
 * parameters (curl strparse spirit). No atoi, no sscanf: every parser checks
 * the end pointer, errno and range, and rejects empty or trailing input.
 */
#ifndef SA_COMMON_PARSE_H
#define SA_COMMON_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal unsigned in [min, max]. 0, -EINVAL (syntax) or -ERANGE. */
int	sa_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
	    __attribute__((warn_unused_result));
/*
 * Size with an optional binary suffix k, m, g (KiB, MiB, GiB), e.g. "64m".
 * Same returns as sa_parse_u64.
 */
int	sa_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
	    __attribute__((warn_unused_result));
/* Seconds, with optional suffix s, m, h, d ("90s", "5m"). Same returns. */
int	sa_parse_duration(const char *s, uint64_t min, uint64_t max,
	    uint64_t *out) __attribute__((warn_unused_result));
/* yes/no, true/false, on/off, 1/0. 0 or -EINVAL. */
int	sa_parse_bool(const char *s, int *out) __attribute__((warn_unused_result));

/*
 * Endpoint checks for configuration values (cfg_def.check): 0, or -EINVAL
 * with the reason in why. A ZeroMQ endpoint is tcp://HOST:PORT (HOST an
 * IPv4 address, a bracketed IPv6 address, a host or interface name, or
 * '*'; PORT 0..65535 or '*') or ipc://PATH; a list is such endpoints
 * separated by commas. An HTTP listen address is [IPV4:]PORT (civetweb
 * here listens on IPv4 only). An empty value passes (the key's minimum
 * length says whether it may be empty).
 */
int	sa_check_zmq_endpoint(const char *s, char *why, size_t whylen);
int	sa_check_zmq_endpoints(const char *s, char *why, size_t whylen);
int	sa_check_http_listen(const char *s, char *why, size_t whylen);

/* Value of a hexadecimal digit (either case), or -1. */
int	sa_hex_digit(int c);

/* Text for a negative errno returned by sa_ functions; never NULL. */
const char *sa_strerror(int err);

/* strlcpy semantics: always NUL-terminates, returns strlen(src). */
size_t	sa_strlcpy(char *dst, const char *src, size_t size);

#endif
