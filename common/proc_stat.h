/*
 * proc_stat: a process's resource figures as Prometheus' client_golang
 * exports them (process_* metrics), read from Linux's /proc: resident
 * and virtual memory, CPU time, open and allowed file descriptors,
 * start time and threads. The daemons read their own (/proc/self); the
 * tests read a child's.
 */
#ifndef SA_COMMON_PROC_STAT_H
#define SA_COMMON_PROC_STAT_H

#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	uint64_t	resident_bytes;	/* stat rss x page size */
	uint64_t	virtual_bytes;	/* stat vsize */
	uint64_t	cpu_ns;		/* user + system time */
	uint64_t	start_ns;	/* wall clock, ns since the epoch */
	uint64_t	threads;
	uint64_t	open_fds;	/* entries of fd/ */
	uint64_t	max_fds;	/* soft RLIMIT_NOFILE; UINT64_MAX unlimited */
};

/*
 * Fills *st (caller's) for pid, or for the calling process when pid is 0.
 * The stat file is required; a figure another file gives (fd/, limits,
 * the system's boot time for start_ns) is 0 when that file does not
 * read. Returns 0, -ENOENT (no such process), -EBADMSG (a stat file it
 * cannot parse) or another negative errno from open/read.
 */
int	proc_stat_read(pid_t pid, struct proc_stat *st)
	    __attribute__((warn_unused_result));

#endif
