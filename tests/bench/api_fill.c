/*
 * api_fill: fills a sessacct store (aggregator/store.h) with N closed
 * sessions whose end times are spread evenly over the last 24 hours, for
 * the API benchmark (tests/bench/api_bench.sh, docs/PERFORMANCE.md "API").
 * Traffic looks like a proxy farm: 2,000 users (a quarter of sessions
 * without one), 50,000 clients, 5,000 destinations, 8 agents, one session
 * in 50 failed and one in 97 rejected. Deterministic for a given N and
 * end time. With -p K/M it keeps only the sessions of the agents whose
 * number is K modulo M: M stores so filled hold, between them, exactly
 * the sessions of the one store filled without -p (the benchmark of one
 * API over several aggregators, tests/bench/api_multi_bench.sh). Not a
 * test.
 *
 * usage: api_fill -d DBDIR [-n sessions] [-b batch] [-e end_unix_seconds]
 *                 [-p K/M]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void
make(struct store_session *s, uint64_t i, uint64_t n, uint64_t t0)
{
	struct sess_rec *r = &s->rec;
	uint64_t x = rng(), c = rng() % N_CLIENTS, d = rng() % N_DESTS;
	uint64_t u = rng() % (N_USERS * 4 / 3);

	memset(s, 0, sizeof(*s));
	r->key_hash = rng();
	r->end_ns = t0 + i * (86400 * NS / n) + (x >> 40) % 1000;
	r->start_ns = r->end_ns - rng() % (300 * NS);
	synth_sess_fill(s, x, c, d, N_AGENTS);
	if (u < N_USERS)
		snprintf(s->user, sizeof(s->user), "user%04u", (unsigned int)u);
	snprintf(s->target, sizeof(s->target), "svc%03u.example.com:443",
	    (unsigned int)(d % N_TARGETS));
}

int
main(int argc, char **argv)
{
	struct store_cfg cfg = { .retention_days = 90, .sync = 0,
	    .cache_bytes = 256ULL << 20 };
	struct store_session *sess;
	struct store_batch *b;
	struct store *st;
	uint64_t n = 10000000, bsz = 20000, end = 0, t0, kept = 0, i, m;
	uint64_t pk = 0, pm = 1, rep = 1000000;
	struct timespec ts, a, z;
	const char *dir = NULL, *slash;
	char err[512], num[24];
	int ch, q;

	log_init("api_fill", 1, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "d:n:b:e:p:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (sa_parse_u64(optarg, 1, 1000000000, &n) != 0)
				goto usage;
			break;
		case 'b':
			if (sa_parse_u64(optarg, 1, 1000000, &bsz) != 0)
				goto usage;
			break;
		case 'e':
			if (sa_parse_u64(optarg, 86400, 1ULL << 33, &end) != 0)
				goto usage;
			break;
		case 'p':
			/* K/M: agents K, K + M, ... of the N_AGENTS. */
			if ((slash = strchr(optarg, '/')) == NULL ||
			    (size_t)(slash - optarg) >= sizeof(num))
				goto usage;
			memcpy(num, optarg, (size_t)(slash - optarg));
			num[slash - optarg] = '\0';
			if (sa_parse_u64(slash + 1, 1, N_AGENTS, &pm) != 0 ||
			    sa_parse_u64(num, 0, pm - 1, &pk) != 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (dir == NULL)
		goto usage;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (end == 0)
		end = (uint64_t)ts.tv_sec;
	t0 = (end - 86400) * NS;
	cfg.path = dir;
	if ((st = store_open(&cfg, &q, err, sizeof(err))) == NULL) {
		fprintf(stderr, "api_fill: %s\n", err);
		return 1;
	}
	if ((sess = calloc(bsz, sizeof(*sess))) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	b = store_batch_new(st);
	/*
	 * Every session of the N is made (the random stream and the end
	 * times stay those of the whole), and those of other partitions
	 * are dropped.
	 */
	for (i = 0, m = 0; i < n || m > 0; i++) {
		if (i < n) {
			make(&sess[m], i, n, t0);
			if (sess[m].rec.agent % pm != pk)
				continue;
			store_batch_put_session(b, &sess[m]);
			if (++m < bsz)
				continue;
		}
		if (store_batch_commit(b) != 0) {
			fprintf(stderr, "api_fill: commit failed\n");
			return 1;
		}
		kept += m;
		m = 0;
		if (i + 1 >= rep) {
			rep += 1000000;
			fprintf(stderr, "api_fill: %" PRIu64 " of %" PRIu64
			    " made, %" PRIu64 " kept\n", i < n ? i + 1 : n, n,
			    kept);
		}
	}
	store_batch_free(b);
	store_compact(st);
	store_close(st);
	free(sess);
	clock_gettime(CLOCK_MONOTONIC, &z);
	printf("api_fill: %" PRIu64 " sessions (agents %" PRIu64 " modulo %"
	    PRIu64 " of %" PRIu64 ") ending in the 24 h before %" PRIu64
	    ", %.1f s (compaction included)\n", kept, pk, pm, n, end,
	    (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) /
	    1e9);
	return 0;
usage:
	fprintf(stderr, "usage: api_fill -d DBDIR [-n sessions] [-b batch] "
	    "[-e end_unix_seconds] [-p K/M]\n");
	return 2;
}
