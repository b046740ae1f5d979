/*
 * agg_zap: the aggregator's ZAP handler (ZeroMQ RFC 27), the one place
 * that decides which CURVE keys may complete a handshake. One per
 * ZeroMQ context; it must be running before any CURVE socket binds.
 */
#ifndef SA_AGGREGATOR_AGG_ZAP_H
#define SA_AGGREGATOR_AGG_ZAP_H

#include <stdint.h>

#include "agg_keys.h"

#define AGG_ZAP_INGEST	"sessacct-ingest"
#define AGG_ZAP_QUERY	"sessacct-query"

struct agg_zap_stats {
	uint64_t	allowed[2];	/* handshakes: ingest, query */
	uint64_t	denied[2];
};

struct agg_zap;

/*
 * Binds the handler in czmq's context and starts its thread: a CURVE
 * handshake on domain AGG_ZAP_INGEST passes when its key is in ingest,
 * on AGG_ZAP_QUERY when it is in query (both borrowed, refreshed by this
 * thread); anything else is refused. NULL on failure, reason in err.
 */
struct agg_zap	*agg_zap_start(struct agg_keys *ingest, struct agg_keys *query,
		    char *err, size_t errlen);
void		 agg_zap_stop(struct agg_zap *);
/* From any thread. */
void		 agg_zap_get_stats(struct agg_zap *,
		    struct agg_zap_stats *);

#endif
