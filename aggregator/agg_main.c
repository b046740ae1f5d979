/*
 * sessacct-aggregator: central session table, RocksDB store and query
 * socket. This build has its command line and configuration only; the
 * service itself arrives with the aggregator work (see docs/AGGREGATOR.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/cli.h"

static const char usage[] =
"usage: sessacct-aggregator [options]\n"
CLI_COMMON_HELP;

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const sections[] = { "aggregator", "sessions",
	    "store", NULL };
	struct cli_common cl = { .prog = "sessacct-aggregator" };
	struct cfg *cfg;
	int ch;

	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (!cli_common_opt(&cl, ch, optarg, usage)) {
			fputs(usage, stderr);
			return 2;
		}
	}
	cfg = cli_load_config(&cl);
	if (cl.check) {
		cfg_dump(cfg, stdout, sections);
		printf("# configuration OK\n");
		cfg_destroy(cfg);
		return 0;
	}
	cfg_destroy(cfg);
	fprintf(stderr, "sessacct-aggregator: the aggregator service is not "
	    "part of this build yet\n");
	return 1;
}
