/*
 * proc_stat: one process's resource figures from /proc, with the
 * meanings of Prometheus' client_golang process collector: resident
 * memory is stat's rss in pages, CPU is utime + stime, the start is
 * stat's starttime after the system's btime, open files count fd/
 * entries and the limit is the soft "Max open files" of limits. It is
 * not a general /proc parser: Linux only, these fields only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_stat.h"

#define STAT_FIELD_UTIME	14	/* 1-based, as proc(5) numbers them */
#define STAT_FIELD_STIME	15
#define STAT_FIELD_THREADS	20
#define STAT_FIELD_START	22
#define STAT_FIELD_VSIZE	23
#define STAT_FIELD_RSS		24

static int	read_small(const char *path, char *buf, size_t size,
		    size_t *len);
static int	token_u64(const char **p, const char *end, uint64_t *v);
static uint64_t	boot_time_secs(void);
static uint64_t	count_fds(const char *dir);
static uint64_t	soft_nofile(const char *dir);
static uint64_t	ticks_to_ns(uint64_t ticks, uint64_t hz);

int
proc_stat_read(pid_t pid, struct proc_stat *st)
{
	char dir[32], path[64], buf[4096];
	const char *p, *end;
	uint64_t v, utime = 0, stime = 0, start = 0, hz, bt;
	size_t len = 0;
	long tck, page;
	int field, rc;

	memset(st, 0, sizeof(*st));
	if (pid == 0)
		snprintf(dir, sizeof(dir), "/proc/self");
	else
		snprintf(dir, sizeof(dir), "/proc/%ld", (long)pid);
	snprintf(path, sizeof(path), "%s/stat", dir);
	if ((rc = read_small(path, buf, sizeof(buf), &len)) != 0)
		return rc;
	/* "pid (comm) state ...": comm may hold spaces and parentheses, so
	 * the fields start after the last ')'. */
	end = buf + len;
	if ((p = memrchr(buf, ')', len)) == NULL)
		return -EBADMSG;
	p++;
	for (field = 3; field <= STAT_FIELD_RSS; field++) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			return -EBADMSG;
		if (field != STAT_FIELD_UTIME && field != STAT_FIELD_STIME &&
		    field != STAT_FIELD_THREADS && field != STAT_FIELD_START &&
		    field != STAT_FIELD_VSIZE && field != STAT_FIELD_RSS) {
			while (p < end && *p != ' ')
				p++;
			continue;
		}
		if (token_u64(&p, end, &v) != 0)
			return -EBADMSG;
		switch (field) {
		case STAT_FIELD_UTIME:
			utime = v;
			break;
		case STAT_FIELD_STIME:
			stime = v;
			break;
		case STAT_FIELD_THREADS:
			st->threads = v;
			break;
		case STAT_FIELD_START:
			start = v;
			break;
		case STAT_FIELD_VSIZE:
			st->virtual_bytes = v;
			break;
		default:
			st->resident_bytes = v;
			break;
		}
	}
	tck = sysconf(_SC_CLK_TCK);
	page = sysconf(_SC_PAGESIZE);
	hz = tck > 0 ? (uint64_t)tck : 100;
	st->resident_bytes *= page > 0 ? (uint64_t)page : 4096;
	st->cpu_ns = ticks_to_ns(utime + stime, hz);
	if ((bt = boot_time_secs()) != 0)
		st->start_ns = bt * 1000000000ull + ticks_to_ns(start, hz);
	st->open_fds = count_fds(dir);
	st->max_fds = soft_nofile(dir);
	return 0;
}

/* A whole small file (a stat line) into buf, NUL-terminated. */
static int
read_small(const char *path, char *buf, size_t size, size_t *len)
{
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return rc;
}

/* A decimal token at *p, up to a space, newline or end; *p moves past. */
static int
token_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (s < end && *s != ' ' && *s != '\n')
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

static uint64_t
ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * 1000000000ull + ticks % hz * 1000000000ull / hz;
}

/* The "btime" line of /proc/stat: the system's boot, epoch seconds. */
static uint64_t
boot_time_secs(void)
{
	FILE *f;
	char *line = NULL;
	const char *p;
	size_t cap = 0;
	uint64_t v = 0;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return 0;
	while (getline(&line, &cap, f) != -1) {
		if (strncmp(line, "btime ", 6) != 0)
			continue;
		p = line + 6;
		if (token_u64(&p, p + strlen(p), &v) != 0)
			v = 0;
		break;
	}
	free(line);
	fclose(f);
	return v;
}

/* Entries of DIR/fd, without . and .. (the reading one included). */
static uint64_t
count_fds(const char *dir)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	uint64_t n = 0;

	snprintf(path, sizeof(path), "%s/fd", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The soft limit of "Max open files" in DIR/limits. */
static uint64_t
soft_nofile(const char *dir)
{
	static const char key[] = "Max open files";
	char path[64], *line = NULL;
	const char *p;
	size_t cap = 0;
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/limits", dir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (getline(&line, &cap, f) != -1) {
		if (strncmp(line, key, sizeof(key) - 1) != 0)
			continue;
		p = line + sizeof(key) - 1;
		while (*p == ' ')
			p++;
		if (strncmp(p, "unlimited", 9) == 0)
			v = UINT64_MAX;
		else if (token_u64(&p, p + strlen(p), &v) != 0)
			v = 0;
		break;
	}
	free(line);
	fclose(f);
	return v;
}
