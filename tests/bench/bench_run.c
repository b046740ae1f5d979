/*
 * bench_run: runs one command and reports its wall time on
 * CLOCK_MONOTONIC and its peak resident set size (wait4 rusage
 * ru_maxrss), so bench.sh needs neither GNU time nor a clock in the
 * shell. ru_maxrss also counts the pages of any file the command maps,
 * such as a capture read through mmap, which are page cache rather than
 * memory the command allocated. So with -m it samples, every INTERVAL_US,
 * /proc/PID/status (largest RssAnon and RssFile seen) and, with -f FILE,
 * /proc/PID/smaps (largest resident size of the mappings of FILE).
 * Sampling costs CPU: time without -m. The report is one line,
 * "elapsed_ns=N cpu_ms=C maxrss_kb=K [anon_kb=A file_kb=F mapped_kb=M
 * samples=S] status=X" (cpu_ms: user plus system time of the command),
 * written to the -o file (or stderr); the command keeps the standard
 * streams it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"

struct mem_peak {
	uint64_t	anon_kb;
	uint64_t	file_kb;
	uint64_t	mapped_kb;	/* of the -f file */
	uint64_t	samples;
	int		have_file;
	unsigned	maj, min;	/* the -f file's device and inode */
	uint64_t	ino;
};

static const char usage[] =
    "usage: sa_bench_run [-o OUT] [-m INTERVAL_US [-f FILE]] -- CMD [ARG...]\n";

/* The kB figure after "\nkey" in a /proc status text; 0 if absent. */
static uint64_t
status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	unsigned long long v;
	char *end;

	if (p == NULL)
		return 0;
	p += strlen(key);
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return 0;
	return v;
}

/*
 * Sum of Rss over the mappings of the -f file in /proc/PID/smaps. A
 * mapping's header reads "start-end perms offset maj:min inode [path]",
 * and its "Rss:" line follows.
 */
static uint64_t
mapped_kb(pid_t pid, const struct mem_peak *m)
{
	char path[64], line[512], *p, *end;
	unsigned long maj, min;
	unsigned long long ino;
	uint64_t sum = 0;
	int match = 0, field;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/smaps", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Rss:", 4) == 0) {
			if (match)
				sum += status_kb(line, "Rss:");
			continue;
		}
		/* A header starts with "start-end "; keys have no '-'. */
		if ((p = strchr(line, ' ')) == NULL ||
		    memchr(line, '-', (size_t)(p - line)) == NULL)
			continue;
		/* Skip range, perms and offset. */
		match = 0;
		p = line;
		for (field = 0; field < 3 && p != NULL; field++)
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		if (p == NULL)
			continue;
		maj = strtoul(p, &end, 16);
		if (*end != ':')
			continue;
		min = strtoul(end + 1, &end, 16);
		if (*end != ' ')
			continue;
		ino = strtoull(end + 1, &end, 10);
		match = maj == m->maj && min == m->min && ino == m->ino;
	}
	fclose(fp);
	return sum;
}

static void
sample(pid_t pid, struct mem_peak *m)
{
	char path[64], text[4096];
	uint64_t v;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	if ((v = status_kb(text, "\nRssAnon:")) > m->anon_kb)
		m->anon_kb = v;
	if ((v = status_kb(text, "\nRssFile:")) > m->file_kb)
		m->file_kb = v;
	if (m->have_file && (v = mapped_kb(pid, m)) > m->mapped_kb)
		m->mapped_kb = v;
	m->samples++;
}

int
main(int argc, char **argv)
{
	const char *out = NULL;
	struct mem_peak mem;
	struct timespec nap;
	struct stat sb;
	struct rusage ru;
	uint64_t t0, t1, interval_us = 0;
	FILE *fp = stderr;
	pid_t pid, r;
	int ch, status, code;

	memset(&mem, 0, sizeof(mem));
	while ((ch = getopt(argc, argv, "+o:m:f:")) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			if (stat(optarg, &sb) != 0) {
				fprintf(stderr, "sa_bench_run: %s: %s\n",
				    optarg, strerror(errno));
				return 1;
			}
			mem.have_file = 1;
			mem.maj = major(sb.st_dev);
			mem.min = minor(sb.st_dev);
			mem.ino = (uint64_t)sb.st_ino;
			break;
		case 'm':
			if (sa_parse_u64(optarg, 50, 1000000,
			    &interval_us) != 0) {
				fputs(usage, stderr);
				return 2;
			}
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc || (mem.have_file && interval_us == 0)) {
		fputs(usage, stderr);
		return 2;
	}
	if (out != NULL && (fp = fopen(out, "w")) == NULL) {
		fprintf(stderr, "sa_bench_run: %s: %s\n", out, strerror(errno));
		return 1;
	}
	t0 = sa_mono_ns();
	if ((pid = fork()) < 0) {
		fprintf(stderr, "sa_bench_run: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "sa_bench_run: %s: %s\n", argv[optind],
		    strerror(errno));
		_exit(127);
	}
	nap.tv_sec = (time_t)(interval_us / 1000000);
	nap.tv_nsec = (long)(interval_us % 1000000 * 1000);
	for (;;) {
		r = wait4(pid, &status, interval_us > 0 ? WNOHANG : 0, &ru);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "sa_bench_run: wait4: %s\n",
			    strerror(errno));
			return 1;
		}
		if (r == 0) {
			sample(pid, &mem);
			nanosleep(&nap, NULL);
		}
	}
	t1 = sa_mono_ns();
	code = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	fprintf(fp, "elapsed_ns=%llu cpu_ms=%llu maxrss_kb=%ld",
	    (unsigned long long)(t1 - t0),
	    (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000 + (unsigned long long)(ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) / 1000, ru.ru_maxrss);
	if (interval_us > 0)
		fprintf(fp, " anon_kb=%llu file_kb=%llu mapped_kb=%llu "
		    "samples=%llu", (unsigned long long)mem.anon_kb,
		    (unsigned long long)mem.file_kb,
		    (unsigned long long)mem.mapped_kb,
		    (unsigned long long)mem.samples);
	fprintf(fp, " status=%d\n", code);
	if (fp != stderr && fclose(fp) != 0) {
		fprintf(stderr, "sa_bench_run: %s: write failed\n", out);
		return 1;
	}
	return code;
}
