/*
 * cli: the command-line flags all three binaries share (--config, --set,
 * --check-config, --help, --version, --ready-file, -v) and the step that
 * turns them into a loaded struct cfg. Binary-specific flags stay in each
 * *_main.c.
 */
#ifndef SA_COMMON_CLI_H
#define SA_COMMON_CLI_H

#include <getopt.h>

#include "cfg.h"

#define CLI_MAX_SETS	128

/* Option values for getopt_long; binaries use values >= CLI_OPT_LOCAL. */
enum cli_opt {
	CLI_OPT_CONFIG = 0x1000,
	CLI_OPT_SET,
	CLI_OPT_CHECK,
	CLI_OPT_HELP,
	CLI_OPT_VERSION,
	CLI_OPT_READY,
	CLI_OPT_LOCAL = 0x1100,
};

#define CLI_COMMON_OPTIONS \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG }, \
	{ "set", required_argument, NULL, CLI_OPT_SET }, \
	{ "check-config", no_argument, NULL, CLI_OPT_CHECK }, \
	{ "help", no_argument, NULL, CLI_OPT_HELP }, \
	{ "version", no_argument, NULL, CLI_OPT_VERSION }, \
	{ "ready-file", required_argument, NULL, CLI_OPT_READY }, \
	{ "verbose", no_argument, NULL, 'v' }

#define CLI_COMMON_HELP \
	"  --config FILE          read configuration from FILE (INI)\n" \
	"  --set SECTION.KEY=VAL  override one configuration key (repeatable)\n" \
	"  --check-config         validate the configuration, print it, exit\n" \
	"  --ready-file PATH      write what was bound as JSON once ready\n" \
	"  -v, --verbose          more log output (repeat for debug)\n" \
	"  --help                 this text\n" \
	"  --version              print the version\n"

struct cli_common {
	const char	*prog;
	const char	*config;
	const char	*sets[CLI_MAX_SETS];
	int		 nsets;
	int		 check;
	int		 verbosity;
	const char	*ready_file;
};

/*
 * Handles one common option from getopt_long. Returns 1 if consumed, 0 if
 * not a common option. --help and --version print usage/version and exit 0
 * (usage borrowed); a bad value exits 2.
 */
int	cli_common_opt(struct cli_common *, int opt, const char *arg,
	    const char *usage);

/*
 * Builds the configuration: defaults, the --config file, then every --set.
 * On error prints the file, line and key to stderr and exits 2. Returns
 * owned (cfg_destroy).
 */
struct cfg *cli_load_config(const struct cli_common *);

/*
 * Writes text to path atomically (temp file + rename), so a waiter never
 * sees half a file. Returns 0 or a negative errno.
 */
int	cli_write_ready(const char *path, const char *text);

/*
 * SIGINT and SIGTERM call handler (which should only set a flag; system
 * calls are not restarted, so a blocked poll returns), SIGPIPE is
 * ignored.
 */
void	cli_stop_signals(void (*handler)(int));

#endif
