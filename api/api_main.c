/*
 * sessacct-api: HTTP API (civetweb): REST JSON, Prometheus metrics and
 * a dashboard. This build has its command line and configuration only; the
 * service itself arrives with the API work (see docs/API.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/cli.h"

static const char usage[] =
"usage: sessacct-api [options]\n"
CLI_COMMON_HELP;

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const sections[] = { "api",
	    NULL };
	struct cli_common cl = { .prog = "sessacct-api" };
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
	fprintf(stderr, "sessacct-api: the API service is not "
	    "part of this build yet\n");
	return 1;
}
