/*
 * sessacct-api: the HTTP service (civetweb): REST JSON over the
 * aggregator's query socket, Prometheus metrics and the dashboard. It
 * keeps no state of its own. Routes: docs/API.md; metrics:
 * docs/METRICS.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/cli.h"
#include "../common/log.h"
#include "api_run.h"

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
	static const char *const sections[] = { "api", NULL };
	struct cli_common cl = { .prog = "sessacct-api" };
	struct api_ctx *ctx;
	struct cfg *cfg;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (!cli_common_opt(&cl, ch, optarg, usage)) {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sessacct-api: unexpected argument '%s'\n%s",
		    argv[optind], usage);
		return 2;
	}
	cfg = cli_load_config(&cl);
	if (cl.check) {
		/* What the start would refuse, refused here too. */
		log_init("sessacct-api", 1, cl.verbosity);
		if (api_check_config(cfg) != 0) {
			cfg_destroy(cfg);
			return 2;
		}
		cfg_dump(cfg, stdout, sections);
		printf("# configuration OK\n");
		cfg_destroy(cfg);
		return 0;
	}
	log_init("sessacct-api", 1, cl.verbosity + LOG_LVL_INFO);
	api_run_block_signals();
	if ((ctx = api_ctx_create(cfg, cl.ready_file, &rc)) == NULL) {
		cfg_destroy(cfg);
		return rc;
	}
	rc = api_run(ctx);
	api_ctx_destroy(ctx);
	cfg_destroy(cfg);
	return rc;
}
