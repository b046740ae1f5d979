/*
 * synth_sess: the traffic-shaped part of a synthetic closed session, for
 * the store and API benchmarks (store_bench.c, api_fill.c), which differ
 * only in end times and names. Header only: each tool is one file.
 */
#ifndef SA_BENCH_SYNTH_SESS_H
#define SA_BENCH_SYNTH_SESS_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/*
 * Client c and destination d (one session in ten over IPv6), protocol,
 * ports, one of n_agents agents and its name, status (one in 50 failed,
 * one in 97 rejected) and counters, all from the random x. Leaves times,
 * key_hash, user and target to the caller; s->rec must be zeroed.
 */
static inline void
synth_sess_fill(struct store_session *s, uint64_t x, uint64_t c, uint64_t d,
    unsigned n_agents)
{
	struct sess_rec *r = &s->rec;

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
	r->agent = (uint16_t)(x % n_agents);
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
}

#endif
