/*
 * agg_verify: --verify. Opens the stopped database read-only (RocksDB
 * then takes no lock and writes nothing) and reads every entry of every
 * column family with checksums verified, as SQLite's integrity_check
 * reads every page; prints what it found, one line each. What reading
 * and stepping over damage means is store/damage.c.
 */
#include <stdio.h>
#include <string.h>

#include "../common/cfg.h"
#include "agg_verify.h"
#include "store.h"

struct verify_out {
	unsigned	damaged;
	unsigned	families;
};

static void
report(void *arg, const char *what, const char *line)
{
	struct verify_out *o = arg;

	if (strcmp(what, "FAMILY-OK") == 0 ||
	    strcmp(what, "FAMILY-DAMAGED") == 0)
		o->families++;
	if (strcmp(what, "DAMAGED") == 0 || strcmp(what, "UNREADABLE") == 0)
		o->damaged++;
	printf("%s %s\n", what, line);
}

int
agg_verify(const struct cfg *cfg)
{
	struct store_cfg scfg;
	struct verify_out o;
	int rc;

	memset(&scfg, 0, sizeof(scfg));
	memset(&o, 0, sizeof(o));
	scfg.path = cfg_str(cfg, "store", "path");
	scfg.cache_bytes = cfg_u64(cfg, "store", "cache_size");
	rc = store_verify(&scfg, report, &o);
	if (rc == 0)
		printf("verify: %s is clean (%u families read)\n", scfg.path,
		    o.families);
	else
		printf("verify: %s is DAMAGED: %u findings; see docs/SECURITY.md, "
		    "\"Store damage\"\n", scfg.path, o.damaged);
	fflush(stdout);
	return rc == 0 ? 0 : 1;
}
