/*
 * cli: shared flag handling and configuration loading for the binaries.
 * Exit codes follow DESIGN.md: 0 done, 1 runtime failure, 2 bad usage or
 * configuration.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

int
cli_common_opt(struct cli_common *cl, int opt, const char *arg,
    const char *usage)
{
	switch (opt) {
	case CLI_OPT_CONFIG:
		cl->config = arg;
		return 1;
	case CLI_OPT_SET:
		if (cl->nsets >= CLI_MAX_SETS) {
			fprintf(stderr, "%s: too many --set options (max %d)\n",
			    cl->prog, CLI_MAX_SETS);
			exit(2);
		}
		cl->sets[cl->nsets++] = arg;
		return 1;
	case CLI_OPT_CHECK:
		cl->check = 1;
		return 1;
	case CLI_OPT_HELP:
		fputs(usage, stdout);
		exit(0);
	case CLI_OPT_VERSION:
		printf("%s %s\n", cl->prog, SA_VERSION);
		exit(0);
	case CLI_OPT_READY:
		cl->ready_file = arg;
		return 1;
	case 'v':
		cl->verbosity++;
		return 1;
	default:
		return 0;
	}
}

struct cfg *
cli_load_config(const struct cli_common *cl)
{
	struct cfg *c = cfg_create();
	char err[1024];
	int i;

	if (cl->config != NULL &&
	    cfg_load_file(c, cl->config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: configuration error: %s\n", cl->prog, err);
		cfg_destroy(c);
		exit(2);
	}
	for (i = 0; i < cl->nsets; i++) {
		if (cfg_set(c, cl->sets[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: configuration error: %s\n",
			    cl->prog, err);
			cfg_destroy(c);
			exit(2);
		}
	}
	return c;
}

int
cli_write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *fp;
	int rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fp = fopen(tmp, "w")) == NULL)
		return -errno;
	if (fputs(text, fp) == EOF || fputc('\n', fp) == EOF)
		rc = -EIO;
	if (fclose(fp) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

void
cli_stop_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
