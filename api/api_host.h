/*
 * api_host: the Host header allow-list (api.allowed_hosts), against DNS
 * rebinding: a page from a foreign site that points its own name at this
 * host's address reaches the API with its own name in Host, and is
 * refused. Names match case-insensitively and with any port; "*" lets
 * every Host through.
 */
#ifndef SA_API_API_HOST_H
#define SA_API_API_HOST_H

#include <stddef.h>

/* Longest host name (RFC 1035) or bracketed IPv6 literal. */
#define API_HOST_NAME_MAX	255

struct api_host_list;

/*
 * Parses a comma-separated list (borrowed): host names (letters, digits,
 * '-', '.'), IPv4 addresses, bracketed IPv6 literals ("[::1]"), or "*"
 * alone; no ports, no empty entries. extra (borrowed, may be NULL or "")
 * is one more entry added as is when valid (the listen address). Returns
 * 0 and *out owned (api_host_list_free), or -EINVAL with
 * "api.allowed_hosts: ..." in err.
 */
int	api_host_list_parse(const char *spec, const char *extra,
	    struct api_host_list **out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
void	api_host_list_free(struct api_host_list *);

/*
 * Whether a Host header value (borrowed; NULL when absent) names an
 * allowed host: "NAME", "NAME:PORT", "[V6]" or "[V6]:PORT" with PORT
 * 1 to 5 digits. An absent or malformed header is not allowed. 1 or 0.
 */
int	api_host_allowed(const struct api_host_list *, const char *host);

#endif
