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
#include "agg_export.h"
#include "store.h"

struct json_t;

/*
 * The transport's security facts (a new JSON object reference) for the
 * ping answer (with_counters 0, any thread) and the metrics answer (1,
 * the ingest thread).
 */
typedef struct json_t *(*agg_query_security_fn)(void *arg,
    int with_counters);

struct agg_query_ctx {
	struct agg_core		*core;
	struct store		*store;
	uint32_t		 retention_days;
	uint32_t		 max_limit;	/* cap on limit= */
	uint64_t		 started_ns;
	agg_query_security_fn	 security;	/* may be NULL */
	void			*security_arg;
	const char		*backup_dir;	/* NULL or "": no backups */
	struct agg_export	*export;	/* NULL: export off */
};

/* Returns the HTTP-like status; *body is owned (free()). */
/* The kinds agg_query_answer knows, NULL-terminated. */
extern const char *const agg_query_kinds[];
/* 1 if kind is one of them. */
int	agg_query_kind_known(const char *kind);

int	agg_query_answer(const struct agg_query_ctx *, const struct proto_query *q,
	    uint64_t now_ns, char **body);

#endif
