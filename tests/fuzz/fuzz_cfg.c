/*
 * fuzz_cfg: libFuzzer target for the INI reader (common/cfg.c). The input
 * is a configuration file; it is read over the defaults, and each of its
 * lines is also applied as a --set assignment. Checks, besides the
 * sanitizers: a failure is -EINVAL with a message naming the file and a
 * line; a file that loads can be printed (cfg_dump), and printing what
 * loaded and loading it again gives the same configuration (the dump is
 * a fixed point).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cfg.h"
#include "fuzz_run.h"

#define CFG_INPUT_MAX	(64u << 10)

static void
check(int ok, const char *what, int line)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_cfg.c:%d: invariant broken: %s\n", line, what);
	abort();
}

#define CHECK(c)	check(!!(c), #c, __LINE__)

/* The input as a file: a memfd, its /proc path. */
static int
as_file(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	static int fd = -1;

	if (fd < 0 && (fd = memfd_create("fuzz_cfg", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 || (size > 0 &&
	    pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* The configuration as cfg_dump prints it, malloc'ed. */
static char *
dump(const struct cfg *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	cfg_dump(c, f, NULL);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c, *c2;
	char path[64], err[512], line[1200], *d1, *d2;
	size_t i, start, n, l1, l2;
	int rc;

	if (size > CFG_INPUT_MAX)
		return 0;
	c = cfg_create();
	CHECK(c != NULL);
	as_file(data, size, path, sizeof(path));
	err[0] = '\0';
	rc = cfg_load_file(c, path, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		CHECK(strncmp(err, path, strlen(path)) == 0);
		CHECK(err[strlen(path)] == ':');
	} else {
		/* What loaded prints, and the print loads to the same. */
		d1 = dump(c, &l1);
		c2 = cfg_create();
		as_file((const uint8_t *)d1, l1, path, sizeof(path));
		rc = cfg_load_file(c2, path, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "%s\n", err);
		CHECK(rc == 0);
		d2 = dump(c2, &l2);
		CHECK(l1 == l2 && memcmp(d1, d2, l1) == 0);
		free(d1);
		free(d2);
		cfg_destroy(c2);
	}
	/* Each line as an override. */
	for (start = 0; start < size; start = i + 1) {
		for (i = start; i < size && data[i] != '\n'; i++)
			;
		n = i - start < sizeof(line) - 1 ? i - start :
		    sizeof(line) - 1;
		memcpy(line, data + start, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			continue;
		err[0] = '\0';
		rc = cfg_set(c, line, err, sizeof(err));
		CHECK(rc == 0 || rc == -EINVAL);
		CHECK(rc == 0 || err[0] != '\0');
	}
	cfg_destroy(c);
	return 0;
}

#define SEED(name, text)	{ name, text, sizeof(text) - 1 }

static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;
} seeds[] = {
	SEED("seed-sections", "[capture]\ninterface = eth0\nsnaplen = 512\n"
	    "; comment\n# comment\nenrich = yes\nenrich_bytes = 4k\n"
	    "[sessions]\ntcp_idle_timeout = 5m\nservice_ports = 1080,3128,"
	    "8000-8080\n[aggregator]\nlisten = tcp://127.0.0.1:7710\n"
	    "max_message_size = 1m\n"),
	SEED("seed-users", "[users]\n10.0.0.0/8 = office\n2001:db8::/32 = "
	    "lab ; inline\n192.0.2.7 = printer\n"),
	SEED("seed-set", "capture.snaplen=1514\nsessions.max_sessions=100\n"
	    "users.10.1.0.0/16=ops\napi.listen=127.0.0.1:8080\n"),
	SEED("seed-bad", "[capture]\nsnaplen = 99999999\n[nope]\nx=1\n"
	    "[users]\n10.0.0.0/33 = x\n"),
};

int
fuzz_seeds(fuzz_seed_fn fn, void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if ((rc = fn(arg, seeds[i].name, (const uint8_t *)seeds[i].text,
		    seeds[i].len)) != 0)
			return rc;
	return 0;
}
