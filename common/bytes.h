/*
 * bytes: big-endian integers in byte buffers (store keys, blobs), so that
 * keys sort by number and files read the same on any host.
 */
#ifndef SA_COMMON_BYTES_H
#define SA_COMMON_BYTES_H

#include <stdint.h>

/* The n (1..8) bytes at p as a big-endian number. */
static inline uint64_t
be_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* v as n (1..8) big-endian bytes at p. */
static inline void
be_put(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t	be64_get(const uint8_t *p) { return be_get(p, 8); }
static inline void	be64_put(uint8_t *p, uint64_t v) { be_put(p, v, 8); }

#endif
