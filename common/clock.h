/*
 * clock: the two clocks every part reads, in nanoseconds, and a random
 * 64-bit value for ids and hash seeds.
 */
#ifndef SA_COMMON_CLOCK_H
#define SA_COMMON_CLOCK_H

#include <stdint.h>

uint64_t	sa_wall_ns(void);	/* CLOCK_REALTIME, Unix time */
uint64_t	sa_mono_ns(void);	/* CLOCK_MONOTONIC */
/* From the kernel (getrandom); if that fails, a mix of the clocks and
 * the pid: good enough for a seed, never for a secret. */
uint64_t	sa_random_u64(void);

#endif
