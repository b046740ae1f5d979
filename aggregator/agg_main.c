/*
 * sessacct-aggregator: the central process. Receives agents' batches,
 * keeps the session table, writes RocksDB, answers queries. With --query
 * or --backup it is instead a client of a running aggregator.
 * See docs/AGGREGATOR.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cli.h"
#include "../common/log.h"
#include "../proto/curve.h"
#include "agg_query.h"
#include "agg_run.h"
#include "agg_verify.h"

enum { OPT_QUERY = CLI_OPT_LOCAL, OPT_BACKUP, OPT_GEN_KEY, OPT_AGENT_IDS,
    OPT_VERIFY };

static const char usage[] =
"usage: sessacct-aggregator [options]\n"
"       sessacct-aggregator --query KIND [KEY=VALUE ...] [options]\n"
"       sessacct-aggregator --backup DIR [options]\n"
"       sessacct-aggregator --verify [options]\n"
"       sessacct-aggregator --gen-key PATH [--agent-ids ID,...]\n"
"  --query KIND           ask the running aggregator ([aggregator]\n"
"                         query_listen): active, history, session, stats,\n"
"                         agents, metrics; prints the JSON answer\n"
"  --backup DIR           make the running aggregator write a consistent\n"
"                         copy of its database to DIR (new, below\n"
"                         [store] backup_dir)\n"
"  --verify               read every block of the stopped store ([store]\n"
"                         path), print what is damaged; exit 0 clean, 1 not\n"
"                         clean\n"
"  --gen-key PATH         write a new CURVE certificate: PATH (public) and\n"
"                         PATH_secret (mode 0600); see docs/SECURITY.md\n"
"  --agent-ids ID,...     with --gen-key: the agent ids the key may speak\n"
"                         for (the certificate's agent_ids)\n"
CLI_COMMON_HELP;

/* --gen-key: a key pair for an agent, the API or the aggregator. */
static int
gen_key(const char *path, const char *ids)
{
	char err[512];

	if (path == NULL) {
		fprintf(stderr, "sessacct-aggregator: --agent-ids goes with "
		    "--gen-key\n%s", usage);
		return 2;
	}
	if (curve_keygen(path, ids, err, sizeof(err)) != 0) {
		fprintf(stderr, "sessacct-aggregator: --gen-key: %s\n", err);
		return 1;
	}
	printf("%s\n%s_secret\n", path, path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "query", required_argument, NULL, OPT_QUERY },
		{ "backup", required_argument, NULL, OPT_BACKUP },
		{ "gen-key", required_argument, NULL, OPT_GEN_KEY },
		{ "agent-ids", required_argument, NULL, OPT_AGENT_IDS },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const sections[] = { "aggregator", "sessions",
	    "store", "export", NULL };
	struct cli_common cl = { .prog = "sessacct-aggregator" };
	const char *query = NULL, *backup = NULL, *genkey = NULL, *ids = NULL;
	struct agg_ctx *ctx;
	struct cfg *cfg;
	char param[4200];
	int ch, rc, verify = 0;

	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (cli_common_opt(&cl, ch, optarg, usage))
			continue;
		if (ch == OPT_QUERY)
			query = optarg;
		else if (ch == OPT_BACKUP)
			backup = optarg;
		else if (ch == OPT_GEN_KEY)
			genkey = optarg;
		else if (ch == OPT_AGENT_IDS)
			ids = optarg;
		else if (ch == OPT_VERIFY)
			verify = 1;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc && query == NULL) {
		fprintf(stderr, "sessacct-aggregator: unexpected argument "
		    "'%s'\n%s", argv[optind], usage);
		return 2;
	}
	/* A usage error, told at once rather than by the aggregator. */
	if (query != NULL && (!agg_query_kind_known(query) ||
	    strcmp(query, "backup") == 0)) {
		fprintf(stderr, "sessacct-aggregator: --query %s: unknown "
		    "kind; one of active, history, session, stats, "
		    "timeseries, agents, metrics, events, ping (--backup DIR "
		    "for a backup)\n", query);
		return 2;
	}
	if (genkey != NULL || ids != NULL)
		return gen_key(genkey, ids);
	cfg = cli_load_config(&cl);
	if (cl.check) {
		/* What the start would refuse, refused here too. */
		log_init("sessacct-aggregator", 1, cl.verbosity);
		if (agg_check_config(cfg) != 0) {
			cfg_destroy(cfg);
			return 2;
		}
		cfg_dump(cfg, stdout, sections);
		printf("# configuration OK\n");
		cfg_destroy(cfg);
		return 0;
	}
	if (verify) {
		log_init("sessacct-aggregator", 1, cl.verbosity + LOG_LVL_INFO);
		rc = agg_verify(cfg);
		cfg_destroy(cfg);
		return rc;
	}
	if (query != NULL || backup != NULL) {
		char *bp[1];

		snprintf(param, sizeof(param), "dir=%s", backup ? backup : "");
		bp[0] = param;
		rc = agg_query_client(cfg_str(cfg, "aggregator",
		    "query_listen"), query != NULL ? query : "backup",
		    query != NULL ? argv + optind : bp,
		    query != NULL ? argc - optind : 1, 10000, cfg_str(cfg,
		    "aggregator", "curve_cert"));
		cfg_destroy(cfg);
		return rc;
	}
	log_init("sessacct-aggregator", 1, cl.verbosity + LOG_LVL_INFO);
	if ((ctx = agg_ctx_create(cfg, cl.ready_file, &rc)) == NULL) {
		cfg_destroy(cfg);
		return rc;
	}
	rc = agg_run(ctx);
	agg_ctx_destroy(ctx);
	cfg_destroy(cfg);
	return rc;
}
