/*
 * api_metrics: the Prometheus text exposition (format 0.0.4) of
 * GET /metrics, from the aggregator's "metrics" and "agents" replies
 * (JSON, proto/query.h) and the API's own counters. Every family it can
 * write is listed in docs/METRICS.md: prefix sessacct_, base units,
 * counters end in _total. Per-user and per-destination series are
 * bounded: the top_n users (destinations) by bytes keep their own label
 * value, all others add up under user="other" (destination="other").
 */
#ifndef SA_API_API_METRICS_H
#define SA_API_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api_buf.h"
#include "api_stats.h"

#define API_METRICS_OWN	0x1	/* the API's own families */
#define API_METRICS_AGG	0x2	/* aggregator_up and the aggregator's data */

struct api_metrics_in {
	int			 parts;		/* API_METRICS_* */
	const char		*metrics_json;	/* NULL: aggregator down */
	const char		*agents_json;	/* NULL: not available */
	const struct api_stats	*stats;
	uint64_t		 top_users;
	uint64_t		 top_destinations;
	double			 api_uptime_secs;
	const char		*version;
};

/*
 * Appends the exposition to out (borrowed). A field missing from the
 * aggregator's JSON leaves its family without samples rather than
 * failing. Returns 0, -EBADMSG when a JSON text does not parse (what
 * could be written still is), or -EMSGSIZE when out overflowed.
 */
int	api_metrics_render(const struct api_metrics_in *, struct api_buf *out)
	    __attribute__((warn_unused_result));

/*
 * A short-lived copy of the rendered aggregator part, shared by the
 * worker threads (config api.metrics_cache_ms), so that a flood of
 * scrapes costs the aggregator one query pair per period. While one
 * thread refreshes a stale copy, the others serve the old one instead of
 * queueing behind the aggregator. Thread-safe.
 */
struct api_metrics_cache;

struct api_metrics_cache *api_metrics_cache_create(void);
void	api_metrics_cache_destroy(struct api_metrics_cache *);
/*
 * Returns 1 with *text owned (free()) when a copy younger than max_age_ms
 * exists, or an older one while another thread refreshes it; returns 0
 * when the caller should fetch, render and api_metrics_cache_put (the
 * caller then counts as refreshing).
 */
int	api_metrics_cache_get(struct api_metrics_cache *, uint64_t now_ms,
	    uint64_t max_age_ms, char **text, size_t *len);
/* Stores a fresh copy (text borrowed) and ends the refresh. */
void	api_metrics_cache_put(struct api_metrics_cache *, uint64_t now_ms,
	    const char *text, size_t len);

#endif
