/*
 * http_routes: the HTTP API's routes, independent of civetweb: a request
 * (method, decoded path, raw query string) goes in, a response (status,
 * content type, owned body) comes out. Each route checks its parameters
 * strictly, asks the aggregator through an injected function (agg_client
 * in the daemon, a fake in unit tests), and turns the reply into JSON
 * with jansson, CSV or Prometheus text. No state is kept between
 * requests. Routes and parameters: docs/API.md.
 */
#ifndef SA_API_HTTP_ROUTES_H
#define SA_API_HTTP_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/query.h"
#include "api_multi.h"
#include "http_route.h"

/*
 * Asks the aggregator one query. On success returns 0 with the reply's
 * status and *body owned (free(); NUL-terminated, *len bytes). Failures
 * are negative errnos: -ETIMEDOUT (no answer in time), -ENOTCONN (could
 * not send), -EBADMSG (malformed reply), -EMSGSIZE (reply too large).
 * q borrowed; the callee sets its id. timeout_ms bounds the whole wait.
 */
typedef int (*http_routes_ask_fn)(void *arg, struct proto_query *q,
    int timeout_ms, uint32_t *status, char **body, size_t *len);

/* One aggregator's answer to http_routes_ask_many_fn, as ask returns it. */
struct http_routes_answer {
	int		 rc;
	uint32_t	 status;
	char		*body;		/* owned (free()) when rc is 0 */
	size_t		 len;
};

/*
 * Asks aggregator i qs[i] (borrowed; NULL: not asked, rc -ENOENT) for
 * every i < n at once, all within timeout_ms; ans has n entries.
 */
typedef void (*http_routes_ask_many_fn)(void *arg,
    struct proto_query *const *qs, size_t n, int timeout_ms,
    struct http_routes_answer *ans);

struct api_stats;
struct api_metrics_cache;
/* Per-thread memory for one request (query buffers), reused. */
struct http_routes_scratch;

struct http_routes_cfg {
	http_routes_ask_fn	 ask;
	void			*ask_arg;	/* per thread, see api_server.c */
	const char		*aggregator;	/* endpoint, for /health */
	/* Several aggregators (naggs > 1): every route asks them all
	 * through ask_many and merges; naggs 0 or 1 is one aggregator,
	 * asked through ask, exactly as before. */
	http_routes_ask_many_fn	 ask_many;
	size_t			 naggs;
	const char *const	*agg_names;	/* naggs labels */
	const char *const	*agg_endpoints;	/* naggs endpoints */
	uint32_t		 agg_list_id;	/* api_multi_list_id */
	int			 timeout_ms;	/* aggregator queries */
	int			 health_timeout_ms;
	const char		*static_dir;	/* dashboard files */
	uint64_t		 max_limit;	/* cap on limit= */
	uint64_t		 default_limit;
	/* Several aggregators: sessions asked of each beyond its share of
	 * a history page (api.multi_fetch_margin). */
	uint64_t		 multi_fetch_margin;
	uint64_t		 top_users;	/* per-user metric series */
	uint64_t		 top_destinations; /* per-destination series */
	size_t			 max_body;	/* CSV and metrics text */
	uint64_t		 started_ns;	/* wall clock at start */
	struct api_stats	*stats;		/* the API's own counters */
	struct api_metrics_cache *metrics_cache;	/* NULL: none */
	uint64_t		 metrics_cache_ms;
	struct http_routes_scratch *scratch;	/* per thread; NULL: malloc */
	const char		*auth_mode;	/* "bearer" or "none" */
	int			 authenticated;	/* per request: a valid token
						 * came with it */
};

struct http_resp {
	int		 status;
	const char	*ctype;		/* static string */
	char		*body;		/* owned (free()); NULL: no body */
	size_t		 len;
	const char	*allow;		/* Allow header of a 405, or NULL */
	const char	*cache;		/* Cache-Control, or NULL */
	const char	*www_auth;	/* WWW-Authenticate of a 401, or NULL */
	char		 next_cursor[API_MULTI_CURSOR_MAX];	/* X-Next-Cursor
							 * when not "" */
	/* X-Sessacct-Partial when not "": the aggregators that did not
	 * answer, comma separated. */
	char		 partial[API_MULTI_MAX * (API_MULTI_ITEM_MAX + 1)];
	char		 file[4352];	/* send this file when not "" */
};

/*
 * Answers one request: method and path (decoded, borrowed) and the raw
 * query string (borrowed, may be NULL). Fills *resp (its body owned by
 * the caller, free with http_resp_free). Never fails: every problem is
 * an HTTP status with a {"error", "detail"} body.
 */
void	http_routes_handle(const struct http_routes_cfg *, enum http_route,
	    const char *method, const char *path, const char *query,
	    struct http_resp *resp);
void	http_resp_free(struct http_resp *);
/*
 * Fills *resp with an error answer given before routing (a refused Host
 * or token): status, {"error": error, "detail": detail} (both borrowed).
 */
void	http_routes_refuse(struct http_resp *resp, int status,
	    const char *error, const char *detail);

/* Returns owned scratch for one thread's requests; destroy accepts NULL. */
struct http_routes_scratch *http_routes_scratch_create(void);
void	http_routes_scratch_destroy(struct http_routes_scratch *);

#endif
