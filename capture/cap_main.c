/*
 * sessacct-capture: the capture agent. Reads a pcap file (--read) or a
 * live interface, turns packets into sessions and prints them (--print).
 * See docs/CAPTURE.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cli.h"
#include "../common/log.h"
#include "cap_run.h"

enum { OPT_READ = CLI_OPT_LOCAL, OPT_IFACE, OPT_FILTER, OPT_PRINT,
    OPT_STATS_JSON, OPT_SPEED };

static const char usage[] =
"usage: sessacct-capture (--read FILE | --interface IF) [--print] [options]\n"
"  -r, --read FILE        read a pcap or pcapng file (offline mode); -:\n"
"                         standard input\n"
"  -i, --interface IF     capture live on interface IF\n"
"  -f, --filter BPF       only packets matching this BPF filter\n"
"  -p, --print            print each session as a JSON line when it closes\n"
"  -c, --connect URL      send sessions to the aggregator at URL (replay);\n"
"                         live capture without --print sends to\n"
"                         [capture] aggregator\n"
"  --speed N              replay at N times capture speed (default: as fast\n"
"                         as possible)\n"
"  --stats-json[=FILE]    counters as JSON (to FILE, else stderr) at exit\n"
CLI_COMMON_HELP
"Sessions open at the end of a file print with close_reason capture_end.\n";

static void
parse_args(int argc, char **argv, struct cli_common *cl, struct cap_opts *o)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "filter", required_argument, NULL, 'f' },
		{ "print", no_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'c' },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "stats-json", optional_argument, NULL, OPT_STATS_JSON },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "r:i:f:pc:v", longopts,
	    NULL)) != -1) {
		if (cli_common_opt(cl, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'r':
			o->read_file = optarg;
			break;
		case 'i':
			o->interface = optarg;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case 'p':
			o->print = 1;
			break;
		case 'c':
			o->connect = optarg;
			break;
		case OPT_SPEED: {
			char *end;

			o->speed = strtod(optarg, &end);
			if (*end != '\0' || !(o->speed > 0) ||
			    o->speed > 1e6) {
				fprintf(stderr, "sessacct-capture: --speed: "
				    "'%s' is not a number in (0, 1000000]\n",
				    optarg);
				exit(2);
			}
			break;
		}
		case OPT_STATS_JSON:
			o->stats_json = 1;
			o->stats_path = optarg;
			break;
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sessacct-capture: unexpected argument '%s'\n%s",
		    argv[optind], usage);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct cli_common cl = { .prog = "sessacct-capture" };
	struct cap_opts opts = { 0 };
	struct cap_config conf;
	struct cap_ctx *ctx;
	struct cfg *cfg;
	char err[512];
	int rc;

	parse_args(argc, argv, &cl, &opts);
	opts.ready_file = cl.ready_file;
	cfg = cli_load_config(&cl);
	if (cap_config_load(&conf, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sessacct-capture: configuration error: %s\n",
		    err);
		return 2;
	}
	/* Flags are the last word, after the file and --set. */
	if (opts.interface != NULL)
		conf.src.interface = opts.interface;
	if (opts.filter != NULL)
		conf.src.filter = opts.filter;
	if (cl.check) {
		static const char *const sections[] = { "capture", "sessions",
		    "users", NULL };

		cfg_dump(cfg, stdout, sections);
		printf("# configuration OK\n");
		cap_config_free(&conf);
		cfg_destroy(cfg);
		return 0;
	}
	if ((opts.read_file == NULL) == (conf.src.interface == NULL) ||
	    (opts.print && opts.connect != NULL) ||
	    (opts.read_file != NULL && !opts.print && opts.connect == NULL)) {
		fprintf(stderr, "sessacct-capture: %s\n%s",
		    opts.print && opts.connect != NULL ?
		    "--print and --connect exclude each other" :
		    opts.read_file != NULL && (conf.src.interface == NULL) ?
		    "--read needs --print or --connect" :
		    "give exactly one of --read or --interface", usage);
		cap_config_free(&conf);
		cfg_destroy(cfg);
		return 2;
	}
	log_init("sessacct-capture", 1, cl.verbosity + LOG_LVL_INFO);
	if ((ctx = cap_ctx_create(&conf, &opts, &rc)) == NULL ||
	    cap_ctx_start(ctx) != 0) {
		cap_ctx_destroy(ctx);
		cap_config_free(&conf);
		cfg_destroy(cfg);
		return ctx == NULL ? rc : 1;
	}
	rc = cap_run(ctx);
	cap_ctx_destroy(ctx);
	cap_config_free(&conf);
	cfg_destroy(cfg);
	return rc;
}
