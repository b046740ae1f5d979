/*
 * cap_config: the agent's immutable configuration, built from the shared
 * cfg (defaults < file < --set < flags) and checked as a whole.
 */
#ifndef SA_CAPTURE_CAP_CONFIG_H
#define SA_CAPTURE_CAP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cfg.h"
#include "../common/cidr.h"
#include "cap_engine.h"
#include "cap_source.h"
#include "cap_uplink.h"
#include "enrich.h"

struct cap_config {
	struct cap_source_cfg	 src;
	struct cap_engine_cfg	 eng;	/* dlt filled once the source is open */
	uint8_t			 service_ports[8192];
	char			 agent_id[65];
	const char		*user;
	const char		*chroot_dir;
	uint64_t		 stats_interval_ns;
	uint32_t		 pipe_slots;
	size_t			 print_buffer;	/* cap_printer chunk */
	const char		*aggregator;
	struct cap_uplink_cfg	 uplink;	/* endpoint/ids set at start */
	/* CURVE keys, read before privileges go; uplink points at them. */
	struct curve_cert	 curve_key, curve_server;
	uint64_t		 flush_interval_ns;
	uint64_t		 ack_wait_ns;
	int			 enrich_on;
	struct enrich_cfg	 enrich;
	/* [users]: labels by client prefix; owned, cap_config_free. */
	struct cidr_table	*users;
};

/*
 * Fills conf from cfg (borrowed; strings in conf point into it, so cfg
 * must outlive conf). file/interface come from the command line. Returns
 * 0 or -EINVAL with "[section] key: reason" in err.
 */
int	cap_config_load(struct cap_config *conf, const struct cfg *cfg,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Frees what cap_config_load allocated (the [users] table). */
void	cap_config_free(struct cap_config *conf);

/* Parses "80,443,1080-1090" into a port bitmap. 0 or -EINVAL. */
int	cap_config_ports(const char *list, uint8_t *bitmap)
	    __attribute__((warn_unused_result));

#endif
