/*
 * api_metrics: the Prometheus text exposition (format 0.0.4) of
 * GET /metrics, from the aggregator's "metrics" and "agents" replies
 * (JSON, proto/query.h) and the API's own counters. Every family it can
 * write is listed in docs/METRICS.md: prefix sessacct_, base units,
 * counters end in _total. Per-user series are bounded: the top_n users
 * by bytes keep their own label value, all others add up under
 * user="other".
 */
#ifndef SA_API_API_METRICS_H
#define SA_API_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api_buf.h"
#include "api_stats.h"

struct api_metrics_in {
	const char		*metrics_json;	/* NULL: aggregator down */
	const char		*agents_json;	/* NULL: not available */
	const struct api_stats	*stats;
	uint64_t		 top_users;
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

#endif
