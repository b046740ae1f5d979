/*
 * cursor: bounds-checked reads of untrusted bytes, tcpdump GET_* in goto
 * mode. Every macro checks n <= (size_t)(end - p) before touching memory and
 * jumps to the enclosing function's `trunc:` label on shortfall. Never write
 * p + n > end: it can overflow.
 */
#ifndef SA_COMMON_CURSOR_H
#define SA_COMMON_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t	*p;
	const uint8_t	*end;
};

static inline void
cursor_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
}

static inline size_t
cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* True if n bytes are available; never forms an out-of-range pointer. */
#define PD_HAVE(c, n)	((size_t)(n) <= cursor_left(c))
#define PD_NEED(c, n)	do { if (!PD_HAVE(c, n)) goto trunc; } while (0)
#define PD_SKIP(c, n)	do { PD_NEED(c, n); (c)->p += (n); } while (0)

/* Readers at an offset from the cursor, without advancing. */
#define PD_AT_U8(c, off)	((c)->p[(off)])
#define PD_AT_BE16(c, off) \
	((uint16_t)((uint16_t)(c)->p[(off)] << 8 | (c)->p[(off) + 1]))
#define PD_AT_BE32(c, off) \
	((uint32_t)(c)->p[(off)] << 24 | (uint32_t)(c)->p[(off) + 1] << 16 | \
	 (uint32_t)(c)->p[(off) + 2] << 8 | (uint32_t)(c)->p[(off) + 3])
#define PD_AT_LE32(c, off) \
	((uint32_t)(c)->p[(off) + 3] << 24 | (uint32_t)(c)->p[(off) + 2] << 16 | \
	 (uint32_t)(c)->p[(off) + 1] << 8 | (uint32_t)(c)->p[(off)])

/* Advancing readers: each checks, reads, advances. */
#define PD_U8(c, v) do { PD_NEED(c, 1); (v) = PD_AT_U8(c, 0); \
	(c)->p += 1; } while (0)
#define PD_BE16(c, v) do { PD_NEED(c, 2); (v) = PD_AT_BE16(c, 0); \
	(c)->p += 2; } while (0)
#define PD_BE32(c, v) do { PD_NEED(c, 4); (v) = PD_AT_BE32(c, 0); \
	(c)->p += 4; } while (0)
#define PD_BYTES(c, dst, n) do { PD_NEED(c, n); memcpy((dst), (c)->p, (n)); \
	(c)->p += (n); } while (0)

/* Narrow the cursor to at most n bytes (tcpdump nd_push_snaplen). */
static inline void
cursor_narrow(struct cursor *c, size_t n)
{
	if (n < cursor_left(c))
		c->end = c->p + n;
}

#endif
