/*
 * api_stats: the API's own counters (requests by route and status code,
 * request duration by route, failed aggregator queries by reason). Worker
 * threads update them with relaxed atomics; /metrics reads them. The one
 * object lives in the daemon's context; nothing else is shared between
 * requests.
 */
#ifndef SA_API_API_STATS_H
#define SA_API_API_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "http_route.h"

#define API_STATS_CODES		10	/* see api_stats_codes[] */
#define API_STATS_BUCKETS	13	/* see api_stats_le[] */

enum api_stats_agg_err {
	API_STATS_AGG_TIMEOUT,
	API_STATS_AGG_UNREACHABLE,
	API_STATS_AGG_BAD_REPLY,
	API_STATS_AGG_MAX
};

/* Status codes with their own series; the last entry, 0, is "other". */
extern const int api_stats_codes[API_STATS_CODES];
/* Upper bounds of the duration buckets, seconds; the last is +Inf. */
extern const double api_stats_le[API_STATS_BUCKETS];
extern const char *const api_stats_agg_err_names[API_STATS_AGG_MAX];

struct api_stats {
	_Atomic uint64_t	requests[HTTP_ROUTE_MAX][API_STATS_CODES];
	_Atomic uint64_t	buckets[HTTP_ROUTE_MAX][API_STATS_BUCKETS];
	_Atomic uint64_t	sum_ns[HTTP_ROUTE_MAX];
	_Atomic uint64_t	agg_errors[API_STATS_AGG_MAX];
};

void	api_stats_init(struct api_stats *);
/* One answered request. Thread-safe. */
void	api_stats_request(struct api_stats *, enum http_route, int status,
	    uint64_t duration_ns);
/* One failed aggregator query. Thread-safe. */
void	api_stats_agg_error(struct api_stats *, enum api_stats_agg_err);
/* Index into api_stats_codes of a status (the "other" slot if none). */
int	api_stats_code_index(int status);

#endif
