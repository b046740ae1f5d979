/*
 * agg_export: the aggregator's exporter to NATS JetStream ([export],
 * docs/SCALING.md). One thread reads the store's export queue from the
 * stored position, publishes each closed session's JSON with its
 * session_id as Nats-Msg-Id, and moves the position only once JetStream
 * has acknowledged everything up to it.
 */
#ifndef SA_AGGREGATOR_AGG_EXPORT_H
#define SA_AGGREGATOR_AGG_EXPORT_H

#include <jansson.h>

#include "../common/cfg.h"
#include "store.h"

struct agg_export;

/*
 * Reads [export]; with export enabled, turns the store's export queue on
 * (call before the first commit) and returns the exporter, not started.
 * *rc is 0 and NULL is returned when export is disabled; -EINVAL for a
 * bad configuration (logged), -EIO if the store fails.
 */
struct agg_export	*agg_export_create(const struct cfg *, struct store *,
			    int *rc);
/* Starts the thread. 0 or a negative errno. */
int			 agg_export_start(struct agg_export *);
/* Stops the thread (the current round is abandoned, published again at
 * the next start) and frees everything. Accepts NULL. */
void			 agg_export_destroy(struct agg_export *);
/*
 * The exporter's state and counters as a new JSON object (any thread):
 * enabled, state, stream, position, queued, lag_sessions, lag_seconds,
 * published, acks, duplicates, publish_errors, rounds_failed,
 * expired_unexported, rounds, round_seconds, ack_wait_seconds (rounds
 * that published, the time they took and their part waiting for acks),
 * last_error. A disabled exporter (NULL) gives {"enabled": false}.
 */
json_t			*agg_export_json(struct agg_export *);
/* Why the exporter degrades the aggregator, or NULL (reason, len). */
const char		*agg_export_degraded(struct agg_export *, char *reason,
			    size_t len);

#endif
