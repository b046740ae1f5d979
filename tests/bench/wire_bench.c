/*
 * wire_bench: micro benchmark of proto/wire.c. Encodes a BATCH of 1000
 * session events (a mix of IPv4/IPv6, UPDATE/CLOSE, with and without
 * enrichment strings) into a reused proto_buf, and decodes it with the
 * strict decoder, each ITER times; prints events per second for both.
 * Not a test; build it in a release build for meaningful figures.
 *
 *   sa_wire_bench [iterations]		(default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "wire.h"

#define BENCH_EVENTS	1000

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make_event(struct proto_event *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->kind = i % 8 == 7 ? PROTO_EV_CLOSE : PROTO_EV_UPDATE;
	e->af = i % 4 == 3 ? 6 : 4;
	e->proto = i % 5 == 4 ? 17 : 6;
	if (e->kind == PROTO_EV_CLOSE) {
		e->status = 1;
		e->reason = 1 + i % 3;
	}
	e->cli[0] = 10;
	e->cli[2] = (uint8_t)(i >> 8);
	e->cli[3] = (uint8_t)i;
	memset(e->srv, 0x20, e->af == 4 ? 4 : 16);
	e->cli_port = (uint16_t)(32768 + i);
	e->srv_port = 443;
	e->start_ns = 1700000000000000000ULL + (uint64_t)i * 1000003;
	e->last_ns = e->start_ns + 250000000;
	e->packets[0] = 3 + i % 40;
	e->packets[1] = 2 + i % 60;
	e->bytes[0] = 400 + (uint64_t)i * 13;
	e->bytes[1] = 9000 + (uint64_t)i * 1500;
	e->wire_bytes[0] = e->bytes[0] + 54 * e->packets[0];
	e->wire_bytes[1] = e->bytes[1] + 54 * e->packets[1];
	e->tcp_flags[0] = 0x1b;
	e->tcp_flags[1] = 0x1a;
	if (i % 3 == 0) {
		e->user = "alice";
		e->user_len = 5;
		e->target = "db.internal.example:5432";
		e->target_len = 24;
	}
}

int
main(int argc, char **argv)
{
	static struct proto_event ev[BENCH_EVENTS], dec[PROTO_MAX_EVENTS];
	struct proto_batch b, got;
	struct proto_buf out;
	uint64_t iters = 2000, it, sum = 0;
	const char *why;
	double t0, t_enc, t_dec;
	uint32_t i;

	if (argc > 2 || (argc == 2 &&
	    sa_parse_u64(argv[1], 1, 10000000, &iters) != 0)) {
		fprintf(stderr, "usage: sa_wire_bench [iterations]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.agent_id = "bench-agent";
	b.agent_len = 11;
	b.host = "bench host";
	b.host_len = 10;
	b.boot_id = 0x0123456789abcdefULL;
	b.seq = 1000;
	b.floor_seq = 990;
	b.sent_ns = 1700000000000000000ULL;
	b.stats.packets = 123456789;
	b.stats.nreasons = 2;
	snprintf(b.stats.reasons[0].name, sizeof(b.stats.reasons[0].name),
	    "ip.truncated");
	b.stats.reasons[0].count = 17;
	snprintf(b.stats.reasons[1].name, sizeof(b.stats.reasons[1].name),
	    "tcp.bad_offset");
	b.stats.reasons[1].count = 3;
	b.nevents = BENCH_EVENTS;
	for (i = 0; i < BENCH_EVENTS; i++)
		make_event(&ev[i], i);

	proto_buf_init(&out, PROTO_MAX_MSG_DEFAULT);
	t0 = now_s();
	for (it = 0; it < iters; it++) {
		proto_buf_reset(&out);
		if (proto_batch_begin(&out, &b) != 0)
			goto fail;
		for (i = 0; i < BENCH_EVENTS; i++)
			if (proto_batch_add_event(&out, &ev[i]) != 0)
				goto fail;
		sum += out.len;
	}
	t_enc = now_s() - t0;

	t0 = now_s();
	for (it = 0; it < iters; it++) {
		if (proto_batch_decode(out.data, out.len, PROTO_MAX_MSG_DEFAULT,
		    &got, dec, &why) != 0) {
			fprintf(stderr, "decode: %s\n", why);
			goto fail;
		}
		/* Use the result, so nothing is optimised away. */
		sum += got.nevents + dec[it % BENCH_EVENTS].bytes[1];
	}
	t_dec = now_s() - t0;

	printf("batch: %u events, %zu bytes (%.1f bytes/event), "
	    "%llu iterations\n", BENCH_EVENTS, out.len,
	    (double)out.len / BENCH_EVENTS, (unsigned long long)iters);
	printf("encode: %.0f events/s (%.1f MB/s)\n",
	    (double)iters * BENCH_EVENTS / t_enc,
	    (double)iters * (double)out.len / t_enc / 1e6);
	printf("decode: %.0f events/s (%.1f MB/s)\n",
	    (double)iters * BENCH_EVENTS / t_dec,
	    (double)iters * (double)out.len / t_dec / 1e6);
	printf("(checksum %llu)\n", (unsigned long long)sum);
	proto_buf_free(&out);
	return 0;
fail:
	fprintf(stderr, "sa_wire_bench: failed\n");
	proto_buf_free(&out);
	return 1;
}
