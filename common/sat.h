/*
 * sat: saturating sums of counters that come from agents. An agent's
 * numbers are untrusted: a total that would pass 2^64 - 1 stays there
 * instead of wrapping to a small number that looks plausible.
 */
#ifndef SA_COMMON_SAT_H
#define SA_COMMON_SAT_H

#include <stdint.h>

/* a + b, or UINT64_MAX if that does not fit. */
static inline uint64_t
sa_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* *p += b, saturating. */
static inline void
sa_sat_inc(uint64_t *p, uint64_t b)
{
	*p = sa_sat_add(*p, b);
}

#endif
