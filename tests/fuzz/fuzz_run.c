/*
 * fuzz_run: runs a libFuzzer target without libFuzzer, so every build
 * fuzzes it a little (the *_replay ctest entries): the files and
 * directories named on the command line, the target's seeds
 * (fuzz_seeds), and a bounded number of deterministic mutations of each
 * seed (bit flips, random bytes, cuts, insertions, duplicated runs). With
 * -w DIR it writes the seeds to DIR instead (a corpus to start libFuzzer
 * from).
 *
 *   fuzz_X_replay [-n MUTATIONS] [-w DIR] [file_or_dir]...
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_run.h"

#define RUN_MAX_INPUT	(1u << 20)

struct run {
	const char	*outdir;
	unsigned long	 mutations;	/* per seed */
	unsigned long	 inputs;
	uint64_t	 rng;
};

static uint64_t
rng(struct run *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The input being run, written out if the target aborts. */
static const uint8_t	*cur_in;
static size_t		 cur_len;

static void
on_abort(int sig)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fuzz_run-crash-%d", (int)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
		if (write(fd, cur_in, cur_len) < 0)
			_exit(2);
		close(fd);
		if (write(2, "input written to ", 17) < 0 ||
		    write(2, path, strlen(path)) < 0 || write(2, "\n", 1) < 0)
			_exit(2);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A copy of exactly len bytes, as libFuzzer hands them over. */
static void
run_input(struct run *r, const uint8_t *in, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	if (len > 0)
		memcpy(copy, in, len);
	cur_in = copy;
	cur_len = len;
	(void)LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	r->inputs++;
}

static void
mutate_and_run(struct run *r, const uint8_t *in, size_t len)
{
	static uint8_t mut[2 * RUN_MAX_INPUT + 64];
	unsigned long i;
	size_t m, at, k, n;

	if (len > RUN_MAX_INPUT)
		return;
	for (i = 0; i < r->mutations; i++) {
		memcpy(mut, in, len);
		m = len;
		switch (m == 0 ? 4 : rng(r) % 6) {
		case 0:		/* flip a few bits */
			for (k = 1 + rng(r) % 4; k > 0; k--)
				mut[rng(r) % m] ^= (uint8_t)(1u << (rng(r) % 8));
			break;
		case 1:		/* a random byte anywhere */
			mut[rng(r) % m] = (uint8_t)rng(r);
			break;
		case 2:		/* cut the end */
			m = rng(r) % m;
			break;
		case 3:		/* drop a run */
			at = rng(r) % m;
			n = 1 + rng(r) % (m - at);
			memmove(mut + at, mut + at + n, m - at - n);
			m -= n;
			break;
		case 4:		/* insert random bytes */
			at = m == 0 ? 0 : rng(r) % (m + 1);
			n = 1 + rng(r) % 8;
			memmove(mut + at + n, mut + at, m - at);
			for (k = 0; k < n; k++)
				mut[at + k] = (uint8_t)rng(r);
			m += n;
			break;
		default:	/* duplicate a run */
			at = rng(r) % m;
			n = 1 + rng(r) % (m - at);
			if (n > 64)
				n = 64;
			memmove(mut + at + n, mut + at, m - at);
			m += n;
			break;
		}
		run_input(r, mut, m);
	}
}

static int
on_seed(void *arg, const char *name, const uint8_t *data, size_t len)
{
	struct run *r = arg;
	char path[4096];
	FILE *f;

	if (r->outdir == NULL) {
		run_input(r, data, len);
		mutate_and_run(r, data, len);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", r->outdir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	r->inputs++;
	return 0;
}

static void
run_path(struct run *r, const char *path)
{
	static uint8_t buf[RUN_MAX_INPUT];
	struct dirent *de;
	struct stat sb;
	char sub[4096];
	DIR *d;
	FILE *f;
	size_t n;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "fuzz_run: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (S_ISDIR(sb.st_mode)) {
		if ((d = opendir(path)) == NULL)
			exit(1);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			run_path(r, sub);
		}
		closedir(d);
		return;
	}
	if ((f = fopen(path, "rb")) == NULL)
		exit(1);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	run_input(r, buf, n);
}

int
main(int argc, char **argv)
{
	struct run r;
	int a = 1;

	signal(SIGABRT, on_abort);
	memset(&r, 0, sizeof(r));
	r.mutations = 2000;
	r.rng = 0x5eed;
	for (; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "-n") == 0)
			r.mutations = strtoul(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "-w") == 0)
			r.outdir = argv[a + 1];
		else
			break;
	}
	if (r.outdir == NULL)
		for (; a < argc; a++)
			run_path(&r, argv[a]);
	if (fuzz_seeds(on_seed, &r) != 0)
		return 1;
	printf("%s: %lu inputs%s\n", argv[0], r.inputs, r.outdir != NULL ?
	    " written" : ", no invariant broken");
	return 0;
}
