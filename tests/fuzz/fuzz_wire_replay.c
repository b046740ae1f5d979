/*
 * fuzz_wire_replay: runs fuzz_wire's LLVMFuzzerTestOneInput without
 * libFuzzer, so the normal build (ctest unit_fuzz_wire_replay) checks the
 * target's invariants on every file of corpus_wire/ (seeds and the inputs
 * libFuzzer found), plus the seeds generated afresh from the encoder.
 * With -w DIR it writes those seeds to DIR instead (how corpus_wire/'s
 * seed-* files were made).
 *
 *   fuzz_wire_replay [file_or_dir]...
 *   fuzz_wire_replay -w outdir
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_wire.h"
#include "xmalloc.h"

#define REPLAY_MAX_INPUT	(4u << 20)	/* above the 1 MiB cap */

struct replay {
	const char	*outdir;
	unsigned long	 inputs;
};

static void
run_input(struct replay *r, const uint8_t *in, size_t len)
{
	/* A copy of exactly len bytes, as libFuzzer hands them over. */
	uint8_t *copy = xmalloc(len > 0 ? len : 1);

	if (len > 0)
		memcpy(copy, in, len);
	(void)LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	r->inputs++;
}

static int
on_seed(void *arg, const char *name, const uint8_t *data, size_t len)
{
	struct replay *r = arg;
	char path[4096];
	FILE *f;

	if (r->outdir == NULL) {
		run_input(r, data, len);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", r->outdir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_wire_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	r->inputs++;
	return 0;
}

static int
run_file(struct replay *r, const char *path)
{
	FILE *f;
	uint8_t *buf;
	size_t len;
	int ret = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fuzz_wire_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	buf = xmalloc(REPLAY_MAX_INPUT);
	len = fread(buf, 1, REPLAY_MAX_INPUT, f);
	if (ferror(f)) {
		fprintf(stderr, "fuzz_wire_replay: %s: read error\n", path);
		ret = -1;
	} else
		run_input(r, buf, len);
	free(buf);
	fclose(f);
	return ret;
}

static int
run_path(struct replay *r, const char *path)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz_wire_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(r, path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "fuzz_wire_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(r, sub) != 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}

int
main(int argc, char **argv)
{
	struct replay r;
	int i, ret = 0;

	memset(&r, 0, sizeof(r));
	if (argc == 3 && strcmp(argv[1], "-w") == 0) {
		r.outdir = argv[2];
		if (fuzz_wire_seeds(on_seed, &r) != 0)
			return 1;
		printf("fuzz_wire_replay: wrote %lu seeds to %s\n", r.inputs,
		    r.outdir);
		return 0;
	}
	if (fuzz_wire_seeds(on_seed, &r) != 0)
		ret = 1;
	for (i = 1; i < argc; i++)
		if (run_path(&r, argv[i]) != 0)
			ret = 1;
	printf("fuzz_wire_replay: %lu inputs\n", r.inputs);
	return ret;
}
