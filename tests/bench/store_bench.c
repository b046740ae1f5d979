/*
 * store_bench: how many closed sessions per second the RocksDB store
 * persists, with the row, by_id, the three indexes and the rollups, WAL
 * on, in batches as the aggregator commits them. Sessions are made before
 * the clock starts for each batch, so only store_batch_put_session and
 * store_batch_commit are timed. Not a test; see docs/AGGREGATOR.md.
 *
 * usage: sa_store_bench [-n sessions] [-b batch] [-s] [-z] [-k] [-d dir]
 *   -s fsync the WAL on every commit; -z skewed traffic (a few heavy
 *   users, clients and destinations, as proxies see) instead of uniform;
 *   -k keep the database directory.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "synth_sess.h"

#define NS		1000000000ULL
#define N_USERS		2000
#define N_CLIENTS	50000
#define N_DESTS		5000
#define N_TARGETS	300
#define N_AGENTS	8

static uint64_t rng_state = 0x243f6a8885a308d3ULL;
static int skewed;

static uint64_t
rng(void)
{
	uint64_t x;

	rng_state += 0x9e3779b97f4a7c15ULL;
	x = rng_state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* An index below n: uniform, or with -z cubed towards 0 (heavy head). */
static uint64_t
pick(uint64_t n)
{
	double r = (double)(rng() >> 11) / 9007199254740992.0;

	if (skewed)
		r = r * r * r;
	return (uint64_t)(r * (double)n);
}

static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t du_total;

static int
du_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)sb->st_size;
	return 0;
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Session i of a busy proxy farm: 200,000 sessions a second ending in
 * roughly end-time order, durations up to five minutes, a quarter without
 * a user (indexed by client address), one in ten over IPv6.
 */
static void
make(struct store_session *s, uint64_t i, uint64_t t0,
    char (*users)[16], char (*targets)[32])
{
	struct sess_rec *r = &s->rec;
	uint64_t x = rng(), c = pick(N_CLIENTS), d = pick(N_DESTS);
	uint64_t u = pick(N_USERS * 4 / 3);

	memset(&s->rec, 0, sizeof(s->rec));
	r->key_hash = rng();
	r->end_ns = t0 + i * 5000 + (x >> 50) % 1000000;
	r->start_ns = r->end_ns - rng() % (300 * NS);
	synth_sess_fill(s, x, c, d, N_AGENTS);
	if (u < N_USERS)
		memcpy(s->user, users[u], sizeof(users[u]));
	else
		s->user[0] = '\0';
	memcpy(s->target, targets[d % N_TARGETS], sizeof(targets[0]));
}

static void
count_cb(void *arg, const struct store_session *s)
{
	(void)s;
	(*(uint64_t *)arg)++;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sa_store_bench [-n sessions] [-b batch] [-s] "
	    "[-z] [-k] [-d dir]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static char users[N_USERS][16], targets[N_TARGETS][32];
	struct store_cfg cfg = { .retention_days = 90, .sync = 0,
	    .cache_bytes = 256ULL << 20 };
	struct store_filter flt;
	struct store_counts tot;
	struct store_top tu[10], td[10];
	struct store_session *sess;
	struct store_batch *b;
	struct store *st;
	uint64_t n = 1000000, bsz = 10000, t0, start, t, busy = 0, *lat;
	uint64_t done = 0, nb, k, i, v, cpu = 0, c0;
	size_t nu, nd;
	char dir[256] = "", err[512], cursor[STORE_CURSOR_MAX];
	int ch, keep = 0, q;

	log_init("sa_store_bench", 1, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "n:b:szkd:")) != -1) {
		switch (ch) {
		case 'n':
			if (sa_parse_u64(optarg, 1, 1000000000, &n) != 0)
				usage();
			break;
		case 'b':
			if (sa_parse_u64(optarg, 1, 1000000, &bsz) != 0)
				usage();
			break;
		case 's':
			cfg.sync = 1;
			break;
		case 'z':
			skewed = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		default:
			usage();
		}
	}
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/sa_store_bench.XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		strncat(dir, "/db", sizeof(dir) - strlen(dir) - 1);
	}
	for (i = 0; i < N_USERS; i++)
		snprintf(users[i], sizeof(users[i]), "user%04u",
		    (unsigned int)i);
	for (i = 0; i < N_TARGETS; i++)
		snprintf(targets[i], sizeof(targets[i]), "svc%03u.example.com:443",
		    (unsigned int)i);
	cfg.path = dir;
	st = store_open(&cfg, &q, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sess = calloc(bsz, sizeof(*sess));
	nb = (n + bsz - 1) / bsz;
	lat = calloc(nb, sizeof(*lat));
	if (sess == NULL || lat == NULL)
		return 1;
	t0 = sa_wall_ns() - 3600 * NS;
	b = store_batch_new(st);
	for (k = 0; k < nb; k++) {
		uint64_t m = n - done < bsz ? n - done : bsz;

		for (i = 0; i < m; i++)
			make(&sess[i], done + i, t0, users, targets);
		start = sa_mono_ns();
		c0 = thread_cpu_ns();
		for (i = 0; i < m; i++)
			store_batch_put_session(b, &sess[i]);
		store_batch_set_watermark(b, "proxy-00", 1, k + 1);
		if (store_batch_commit(b) != 0) {
			fprintf(stderr, "commit failed\n");
			return 1;
		}
		t = sa_mono_ns() - start;
		cpu += thread_cpu_ns() - c0;
		lat[k] = t;
		busy += t;
		done += m;
	}
	store_batch_free(b);

	qsort(lat, nb, sizeof(*lat), u64_cmp);
	printf("store_bench: %" PRIu64 " sessions in batches of %" PRIu64
	    ", WAL on, sync %s, %s traffic\n", n, bsz,
	    cfg.sync ? "every commit" : "off", skewed ? "skewed" : "uniform");
	printf("  persisted: %.0f sessions/s (%.2f s in put+commit)\n",
	    (double)n / ((double)busy / NS), (double)busy / NS);
	printf("  writer thread CPU: %.2f s (%.0f sessions per CPU second)\n",
	    (double)cpu / NS, (double)n / ((double)cpu / NS));
	printf("  batch latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    (double)lat[nb / 2] / 1e6, (double)lat[nb * 99 / 100] / 1e6,
	    (double)lat[nb - 1] / 1e6);

	start = sa_mono_ns();
	if (store_rollup_sum(st, t0, sa_wall_ns(), &tot, tu, &nu, td, &nd,
	    10) != 0)
		return 1;
	printf("  rollup over the hour: %" PRIu64 " sessions, top user %s, "
	    "%.1f ms\n", tot.sessions, nu > 0 ? tu[0].name : "-",
	    (double)(sa_mono_ns() - start) / 1e6);
	memset(&flt, 0, sizeof(flt));
	flt.status = -1;
	flt.limit = 100;
	flt.user = users[7];
	start = sa_mono_ns();
	v = 0;
	if (store_history(st, &flt, count_cb, &v, cursor) != 0)
		return 1;
	printf("  history of one user, newest 100: %" PRIu64 " rows, %.1f ms\n",
	    v, (double)(sa_mono_ns() - start) / 1e6);
	memset(&flt, 0, sizeof(flt));
	flt.status = -1;
	flt.limit = 100;
	flt.min_bytes = 200000;
	start = sa_mono_ns();
	v = 0;
	if (store_history(st, &flt, count_cb, &v, cursor) != 0)
		return 1;
	printf("  history min_bytes scan, newest 100: %" PRIu64 " rows, "
	    "%.1f ms\n", v, (double)(sa_mono_ns() - start) / 1e6);
	store_close(st);
	du_total = 0;
	(void)nftw(dir, du_cb, 16, FTW_PHYS);
	printf("  on disk: %.1f MiB (%.0f bytes per session)\n",
	    (double)du_total / (1 << 20), (double)du_total / (double)n);
	if (!keep) {
		char *slash = strrchr(dir, '/');

		(void)nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		if (slash != NULL && strcmp(slash, "/db") == 0) {
			*slash = '\0';
			(void)remove(dir);
		}
	} else
		printf("  kept: %s\n", dir);
	free(sess);
	free(lat);
	return 0;
}
