/*
 * api_stats: relaxed atomic counters. Buckets are stored non-cumulative
 * (one increment per request) and summed when rendered, so a request
 * costs three atomic adds whatever its duration.
 */
#include <string.h>

#include "api_stats.h"

const int api_stats_codes[API_STATS_CODES] = { 200, 304, 400, 404, 405,
    413, 500, 502, 503, 0 };
const double api_stats_le[API_STATS_BUCKETS] = { 0.0005, 0.001, 0.0025,
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 0 /* +Inf */ };
const char *const api_stats_agg_err_names[API_STATS_AGG_MAX] = {
    "timeout", "unreachable", "bad_reply" };

void
api_stats_init(struct api_stats *s)
{
	int r, i;

	for (r = 0; r < HTTP_ROUTE_MAX; r++) {
		for (i = 0; i < API_STATS_CODES; i++)
			atomic_init(&s->requests[r][i], 0);
		for (i = 0; i < API_STATS_BUCKETS; i++)
			atomic_init(&s->buckets[r][i], 0);
		atomic_init(&s->sum_ns[r], 0);
	}
	for (i = 0; i < API_STATS_AGG_MAX; i++)
		atomic_init(&s->agg_errors[i], 0);
}

int
api_stats_code_index(int status)
{
	int i;

	for (i = 0; i < API_STATS_CODES - 1; i++)
		if (api_stats_codes[i] == status)
			return i;
	return API_STATS_CODES - 1;
}

void
api_stats_request(struct api_stats *s, enum http_route r, int status,
    uint64_t duration_ns)
{
	double secs = (double)duration_ns / 1e9;
	int b;

	if ((unsigned)r >= HTTP_ROUTE_MAX)
		r = HTTP_ROUTE_UNMATCHED;
	for (b = 0; b < API_STATS_BUCKETS - 1; b++)
		if (secs <= api_stats_le[b])
			break;
	atomic_fetch_add_explicit(&s->requests[r][api_stats_code_index(status)],
	    1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->buckets[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns[r], duration_ns,
	    memory_order_relaxed);
}

void
api_stats_agg_error(struct api_stats *s, enum api_stats_agg_err e)
{
	if ((unsigned)e < API_STATS_AGG_MAX)
		atomic_fetch_add_explicit(&s->agg_errors[e], 1,
		    memory_order_relaxed);
}
