/*
 * api_auth: the API's bearer tokens (RFC 6750). A tokens file holds one
 * token per line; blank lines and lines starting with '#' are ignored.
 * Presented tokens are compared in constant time against every token,
 * and the file is re-read when it changes (checked at most once a
 * second, from the requests themselves), so tokens are added and revoked
 * without a restart. Which routes need a token is the caller's business.
 */
#ifndef SA_API_API_AUTH_H
#define SA_API_API_AUTH_H

#include <stddef.h>
#include <stdint.h>

/* Length bounds of one token, in characters. */
#define API_AUTH_TOKEN_MIN	20
#define API_AUTH_TOKEN_MAX	256
/* How often at most the file is checked for changes. */
#define API_AUTH_RECHECK_NS	1000000000ULL

enum api_auth_res {
	API_AUTH_OK,		/* a valid token was presented */
	API_AUTH_MISSING,	/* no Authorization header, or not Bearer */
	API_AUTH_INVALID,	/* a Bearer token that is not in the file */
};

/* A parsed set of tokens. */
struct api_auth_set;
/* A tokens file, its current set and its reload state. */
struct api_auth;

/*
 * Parses the text of a tokens file (text borrowed, len bytes, need not be
 * NUL-terminated). Every token is RFC 6750 b64token characters
 * (A-Z a-z 0-9 - . _ ~ + / then '='s), API_AUTH_TOKEN_MIN to _MAX long;
 * white space around it is ignored. At most max_tokens tokens. Returns
 * 0 and *out owned (api_auth_set_free), or -EINVAL (a bad line) or
 * -E2BIG (too many) with "PATH:LINE: reason" in err (path borrowed,
 * used in messages only).
 */
int	api_auth_set_parse(const char *text, size_t len, const char *path,
	    size_t max_tokens, struct api_auth_set **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Number of tokens in a set. */
size_t	api_auth_set_count(const struct api_auth_set *);
/*
 * Whether token (borrowed, len bytes) is in the set: 1 or 0. The time
 * taken depends on the number of tokens only, not on their contents or
 * on how much of token matches.
 */
int	api_auth_set_match(const struct api_auth_set *, const char *token,
	    size_t len);
void	api_auth_set_free(struct api_auth_set *);

/*
 * Constant-time equality of two buffers of n bytes: 1 equal, 0 not. Reads
 * every byte of both whatever they hold.
 */
int	api_auth_ct_equal(const void *a, const void *b, size_t n);

/*
 * Reads the tokens file at path (borrowed; copied). Returns owned
 * (api_auth_destroy), or NULL with the reason in err ("PATH:LINE: ..."
 * or "PATH: strerror"). A file readable by group or others is accepted
 * with a warning in the log.
 */
struct api_auth	*api_auth_create(const char *path, size_t max_tokens,
		    char *err, size_t errlen);
void		 api_auth_destroy(struct api_auth *);

/*
 * Checks an Authorization header value (borrowed; NULL when absent) at
 * monotonic time now_ns. First re-reads the file when it changed and the
 * last check is API_AUTH_RECHECK_NS old: a file that cannot be read or
 * parsed keeps the previous tokens and is logged; a file with no tokens
 * refuses every token. Safe from any number of threads.
 */
enum api_auth_res api_auth_check(struct api_auth *, const char *header,
		    uint64_t now_ns);
/* Number of tokens in use now. */
size_t		 api_auth_count(struct api_auth *);

#endif
