/*
 * fuzz_replay: runs LLVMFuzzerTestOneInput without libFuzzer, so the
 * normal build (and CI) exercises the fuzz target's invariants on known
 * inputs: every file of each corpus directory (-c, the regression inputs
 * libFuzzer found), and every packet of every pcap/pcapng file named or
 * found in a directory, turned into inputs of up to CHUNK frames each
 * (format in fuzz_decode.h). With -w DIR the inputs made from captures are
 * also written to DIR, to seed a libFuzzer run.
 *
 *   fuzz_replay [-w outdir] [-c corpus_dir]... [pcap_or_dir]...
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "fuzz_decode.h"
#include "xmalloc.h"

#define CHUNK		64
#define REPLAY_MAX_INPUT	(1u << 24)

struct replay {
	const char	*outdir;
	uint64_t	 inputs, frames, files;
	uint64_t	 written;
};

static int	run_path(struct replay *, const char *, int corpus);

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int
is_capture(const char *path)
{
	return has_suffix(path, ".pcap") || has_suffix(path, ".pcapng") ||
	    has_suffix(path, ".cap");
}

static void
run_input(struct replay *r, const uint8_t *in, size_t len)
{
	/* A copy of exactly len bytes, as libFuzzer hands them over. */
	uint8_t *copy = xmalloc(len > 0 ? len : 1);

	memcpy(copy, in, len);
	(void)LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	r->inputs++;
}

static int
write_seed(struct replay *r, const uint8_t *in, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%06llu", r->outdir,
	    (unsigned long long)r->written++);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(in, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
run_capture(struct replay *r, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint8_t *in;
	size_t len = 0, n = 0;
	uint64_t last_ns = 0;
	pcap_t *p;
	int idx, rc, ret = 0;

	p = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		fprintf(stderr, "fuzz_replay: %s\n", ebuf);
		return -1;
	}
	if ((idx = fuzz_decode_dlt_index(pcap_datalink(p))) < 0) {
		pcap_close(p);
		return 0;			/* not ours */
	}
	in = xmalloc(REPLAY_MAX_INPUT);
	in[len++] = (uint8_t)idx;
	while ((rc = pcap_next_ex(p, &h, &pkt)) == 1) {
		uint32_t cap = h->caplen > 0xffff ? 0xffff : h->caplen;
		uint32_t extra = h->len > cap ? h->len - cap : 0;
		uint64_t now = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		    (uint64_t)h->ts.tv_usec, step = 0;

		if (n > 0 && now > last_ns)
			step = (now - last_ns) / FUZZ_DECODE_STEP_NS;
		last_ns = now;
		if (len + FUZZ_DECODE_REC_HDR + cap > REPLAY_MAX_INPUT || n == CHUNK) {
			run_input(r, in, len);
			if (r->outdir != NULL && write_seed(r, in, len) != 0)
				ret = -1;
			len = 1;
			n = 0;
		}
		if (extra > 0xffff)
			extra = 0xffff;
		in[len++] = (uint8_t)(cap >> 8);
		in[len++] = (uint8_t)cap;
		in[len++] = (uint8_t)(extra >> 8);
		in[len++] = (uint8_t)extra;
		in[len++] = (uint8_t)(step > 255 ? 255 : step);
		memcpy(in + len, pkt, cap);
		len += cap;
		n++;
		r->frames++;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, pcap_geterr(p));
		ret = -1;
	}
	if (n > 0) {
		run_input(r, in, len);
		if (r->outdir != NULL && write_seed(r, in, len) != 0)
			ret = -1;
	}
	free(in);
	pcap_close(p);
	r->files++;
	return ret;
}

static int
run_file(struct replay *r, const char *path)
{
	uint8_t *buf;
	size_t len;
	FILE *f;
	int ret = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(REPLAY_MAX_INPUT);
	len = fread(buf, 1, REPLAY_MAX_INPUT, f);
	if (ferror(f)) {
		fprintf(stderr, "fuzz_replay: %s: read error\n", path);
		ret = -1;
	} else
		run_input(r, buf, len);
	fclose(f);
	free(buf);
	r->files++;
	return ret;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's entries in name order, so runs are reproducible. */
static int
run_dir(struct replay *r, const char *dir, int corpus)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (run_path(r, path, corpus) != 0)
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

static int
run_path(struct replay *r, const char *path, int corpus)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(r, path, corpus);
	if (!S_ISREG(st.st_mode))
		return 0;
	if (corpus)
		return run_file(r, path);
	return is_capture(path) ? run_capture(r, path) : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fuzz_replay [-w outdir] [-c corpus_dir]... "
	    "[pcap_or_dir]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct replay r;
	int ch, i, ret = 0;

	memset(&r, 0, sizeof(r));
	while ((ch = getopt(argc, argv, "c:w:")) != -1) {
		switch (ch) {
		case 'c':
			if (run_path(&r, optarg, 1) != 0)
				ret = 1;
			break;
		case 'w':
			r.outdir = optarg;
			break;
		default:
			usage();
		}
	}
	for (i = optind; i < argc; i++)
		if (run_path(&r, argv[i], 0) != 0)
			ret = 1;
	printf("fuzz_replay: %llu files, %llu inputs, %llu frames\n",
	    (unsigned long long)r.files, (unsigned long long)r.inputs,
	    (unsigned long long)r.frames);
	if (r.inputs == 0) {
		fprintf(stderr, "fuzz_replay: no inputs\n");
		ret = 1;
	}
	return ret;
}
