/*
 * cap_run: the agent process context (struct cap_ctx) and its main loop:
 * read frames from the source into the engine, print closed sessions,
 * report counters. Live or offline alike.
 */
#ifndef SA_CAPTURE_CAP_RUN_H
#define SA_CAPTURE_CAP_RUN_H

#include <stdio.h>

#include "cap_config.h"

struct cap_opts {
	const char	*read_file;
	const char	*interface;	/* overrides [capture] interface */
	const char	*filter;	/* overrides [capture] filter */
	const char	*connect;	/* --connect: send to this aggregator */
	double		 speed;		/* --speed: replay pace, 0 = max */
	int		 print;
	int		 stats_json;	/* counters as JSON */
	const char	*ready_file;	/* --ready-file: written once capturing */
	const char	*stats_path;	/* NULL: stderr */
};

struct cap_ctx;

/*
 * Opens the capture and the stats file (the privileged step). conf/opts
 * borrowed for the ctx's lifetime. NULL on failure, with the reason logged
 * and *exit_code set: 2 for a usage error (bad filter), else 1.
 */
struct cap_ctx	*cap_ctx_create(const struct cap_config *conf,
		    const struct cap_opts *opts, int *exit_code);
/* Drops privileges and builds the engine. 0 or -1 (logged). */
int		 cap_ctx_start(struct cap_ctx *);
/* Runs until end of file or a signal. Returns the process exit code. */
int		 cap_run(struct cap_ctx *);
void		 cap_ctx_destroy(struct cap_ctx *);

#endif
