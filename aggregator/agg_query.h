/*
 * agg_query: answers the query messages of proto/query.h from the core
 * (open sessions, agents, counters) and the store (history, one session,
 * statistics, time series, backup). Every answer is a status and a JSON
 * body; bad parameters are 400 with {"error", "detail"} naming them.
 */
#ifndef SA_AGGREGATOR_AGG_QUERY_H
#define SA_AGGREGATOR_AGG_QUERY_H

#include <stdint.h>

#include "../proto/query.h"
#include "agg_core.h"
#include "store.h"

struct agg_query_ctx {
	struct agg_core		*core;
	struct store		*store;
	uint32_t		 retention_days;
	uint32_t		 max_limit;	/* cap on limit= */
	uint64_t		 started_ns;
};

/* Returns the HTTP-like status; *body is owned (free()). */
int	agg_query_answer(const struct agg_query_ctx *, const struct proto_query *q,
	    uint64_t now_ns, char **body);

#endif
