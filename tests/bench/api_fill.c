/*
 * api_fill: fills a sessacct store (aggregator/store.h) with N closed
 * sessions whose end times are spread evenly over the last 24 hours, for
 * the API benchmark (tests/bench/api_bench.sh, docs/PERFORMANCE.md "API").
 * Traffic looks like a proxy farm: 2,000 users (a quarter of sessions
 * without one), 50,000 clients, 5,000 destinations, 8 agents, one session
 * in 50 failed and one in 97 rejected. Deterministic for a given N and
 * start time. Not a test.
 *
 * usage: api_fill -d DBDIR [-n sessions] [-b batch] [-e end_unix_seconds]
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
	r->af = c % 10 == 0 ? 6 : 4;
	if (r->af == 4) {
		r->cli[0] = 10;
		r->cli[1] = (uint8_t)(c >> 16);
		r->cli[2] = (uint8_t)(c >> 8);
		r->cli[3] = (uint8_t)c;
		r->srv[0] = 198;
		r->srv[1] = 18;
		r->srv[2] = (uint8_t)(d >> 8);
		r->srv[3] = (uint8_t)d;
	} else {
		r->cli[0] = 0x20;
		r->cli[1] = 0x01;
		r->cli[13] = (uint8_t)(c >> 16);
		r->cli[14] = (uint8_t)(c >> 8);
		r->cli[15] = (uint8_t)c;
		r->srv[0] = 0x20;
		r->srv[1] = 0x01;
		r->srv[5] = 1;
		r->srv[14] = (uint8_t)(d >> 8);
		r->srv[15] = (uint8_t)d;
	}
	r->proto = d % 7 == 0 ? 17 : 6;
	r->cli_port = (uint16_t)(1024 + x % 60000);
	r->srv_port = d % 3 == 0 ? 80 : 443;
	r->agent = (uint16_t)(x % N_AGENTS);
	r->status = x % 50 == 0 ? SESS_FAILED : x % 97 == 0 ? SESS_REJECTED :
	    SESS_CLOSED;
	r->reason = SESS_CLOSE_FIN;
	r->packets[0] = 1 + x % 100;
	r->packets[1] = 1 + (x >> 8) % 200;
	r->bytes[0] = r->packets[0] * 300;
	r->bytes[1] = r->packets[1] * 1200;
	r->wire_bytes[0] = r->bytes[0] + 52 * r->packets[0];
	r->wire_bytes[1] = r->bytes[1] + 52 * r->packets[1];
	snprintf(s->agent, sizeof(s->agent), "proxy-%02u",
	    (unsigned int)r->agent);
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
	uint64_t n = 10000000, bsz = 20000, end = 0, t0, done = 0, i, m;
	struct timespec ts, a, z;
	const char *dir = NULL;
	char err[512];
	int ch, q;

	log_init("api_fill", 1, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "d:n:b:e:")) != -1) {
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
	while (done < n) {
		m = n - done < bsz ? n - done : bsz;
		for (i = 0; i < m; i++) {
			make(&sess[i], done + i, n, t0);
			store_batch_put_session(b, &sess[i]);
		}
		if (store_batch_commit(b) != 0) {
			fprintf(stderr, "api_fill: commit failed\n");
			return 1;
		}
		done += m;
		if (done % 1000000 == 0)
			fprintf(stderr, "api_fill: %" PRIu64 " sessions\n", done);
	}
	store_batch_free(b);
	store_compact(st);
	store_close(st);
	free(sess);
	clock_gettime(CLOCK_MONOTONIC, &z);
	printf("api_fill: %" PRIu64 " sessions ending in the 24 h before %"
	    PRIu64 ", %.1f s (compaction included)\n", n, end,
	    (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) /
	    1e9);
	return 0;
usage:
	fprintf(stderr, "usage: api_fill -d DBDIR [-n sessions] [-b batch] "
	    "[-e end_unix_seconds]\n");
	return 2;
}
