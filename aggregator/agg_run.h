/*
 * agg_run: the aggregator process (struct agg_ctx): configuration, the
 * store, the core, the two ZeroMQ sockets (ingest ROUTER, query ROUTER)
 * and the event loop that ties them with the commit timer. Also the small
 * query client behind --query and --backup.
 */
#ifndef SA_AGGREGATOR_AGG_RUN_H
#define SA_AGGREGATOR_AGG_RUN_H

#include "../common/cfg.h"

struct agg_ctx;

/* Opens the store and binds the sockets. cfg borrowed. NULL on failure
 * (logged); *exit_code 2 for a configuration problem, else 1. */
struct agg_ctx	*agg_ctx_create(const struct cfg *cfg, const char *ready_file,
		    int *exit_code);
/* Runs until SIGINT/SIGTERM; writes everything out. Exit code. */
int		 agg_run(struct agg_ctx *);
void		 agg_ctx_destroy(struct agg_ctx *);

/*
 * Client: sends one query (kind, "key=value" params) to endpoint, prints
 * the JSON body on stdout. cert: the aggregator's certificate (with its
 * secret) when its sockets use CURVE, else NULL or "". Returns 0 for
 * status 200, 2 for a bad certificate, 1 otherwise.
 */
/*
 * The checks of the configuration that need several keys at once (what
 * protects the sockets: a non-loopback endpoint without CURVE, a CURVE
 * certificate that does not load), as agg_ctx_create makes them, without
 * opening anything. 0, or -1 (logged). For --check-config.
 */
int	agg_check_config(const struct cfg *cfg);
int	agg_query_client(const char *endpoint, const char *kind,
	    char *const *params, int nparams, int timeout_ms,
	    const char *cert);

#endif
