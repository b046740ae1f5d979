/*
 * api_run: the sessacct-api daemon's one context (STYLE.md section 8):
 * configuration, the civetweb server, the ZeroMQ context its worker
 * threads share, and the API's own counters. civetweb worker threads get
 * the context through cbdata and a per-thread agg_client through
 * mg_get_thread_pointer; they change nothing in it but the atomic
 * counters.
 */
#ifndef SA_API_API_RUN_H
#define SA_API_API_RUN_H

#include "../common/cfg.h"

struct api_ctx;

/*
 * Checks the [api] configuration (cfg borrowed until api_ctx_destroy),
 * starts the HTTP server and, once it listens, writes
 * {"http": "HOST:PORT"} to ready_file (borrowed; may be NULL). Returns
 * owned, or NULL with *exit_code 2 (bad configuration) or 1 (could not
 * listen).
 */
/*
 * The checks api_ctx_create makes of the configuration (listen address,
 * aggregators and their keys, tokens file, public routes, hosts), without
 * listening: 0, or -1 (logged). For --check-config.
 */
int		 api_check_config(const struct cfg *cfg);
struct api_ctx	*api_ctx_create(const struct cfg *cfg, const char *ready_file,
		    int *exit_code);
/*
 * Serves until SIGINT or SIGTERM. The caller must have blocked both in
 * every thread (api_run_block_signals before api_ctx_create). Returns
 * the exit code.
 */
int		 api_run(struct api_ctx *);
/* Stops the server and frees everything. Accepts NULL. */
void		 api_ctx_destroy(struct api_ctx *);
/*
 * Blocks SIGINT and SIGTERM in the calling thread (threads started later
 * inherit it) and ignores SIGPIPE. Call before api_ctx_create.
 */
void		 api_run_block_signals(void);

#endif
