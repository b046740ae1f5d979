/*
 * cap_engine: the agent's packet path. decode -> fragment attribution ->
 * session table, with a counter for every packet that does not make it
 * (by reason). Closed sessions go to the callback given at creation. The
 * same engine serves offline (--read) and live capture.
 */
#ifndef SA_CAPTURE_CAP_ENGINE_H
#define SA_CAPTURE_CAP_ENGINE_H

#include <stdint.h>

#include "../common/sess_table.h"
#include "decode.h"

struct cap_engine_cfg {
	int			 dlt;
	struct sess_table_cfg	 sess;
	uint32_t		 frag_max;
	uint64_t		 frag_timeout_ns;
};

struct cap_engine_stats {
	uint64_t	packets;	/* frames handed to the engine */
	uint64_t	wire_bytes;	/* their original lengths */
	uint64_t	observed;	/* frames attributed to a session */
	uint64_t	frag_waiting;	/* later fragments held for a first */
	uint64_t	reasons[DR_MAX];/* frames not attributed, by reason */
};

struct cap_engine;

/* cfg copied. on_close/arg as for sess_table_create. NULL on bad cfg. */
struct cap_engine *cap_engine_create(const struct cap_engine_cfg *cfg,
    sess_table_close_cb on_close, void *arg);
void	cap_engine_destroy(struct cap_engine *);

/* One captured frame; pkt borrowed for the call. */
void	cap_engine_packet(struct cap_engine *, uint64_t ts_ns,
	    const uint8_t *pkt, uint32_t caplen, uint32_t wirelen);
/* Advances time without a packet (live capture idle): expires sessions. */
void	cap_engine_tick(struct cap_engine *, uint64_t now_ns);
/* Closes every open session with reason (capture_end, shutdown). */
void	cap_engine_finish(struct cap_engine *, enum sess_close reason);

void	cap_engine_get_stats(const struct cap_engine *,
	    struct cap_engine_stats *);
/* Borrowed; valid until cap_engine_destroy. */
const struct sess_table *cap_engine_sessions(const struct cap_engine *);

#endif
