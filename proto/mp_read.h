/*
 * mp_read: a strict, allocation-free MessagePack reader over a cursor
 * (msgpack.org spec). One reader per wire type; each checks the type byte,
 * bounds every length against the bytes left and a caller's cap before
 * anything is used, and advances. msgpack-c's own unpacker reserves memory
 * for whatever count a header claims; this one never allocates.
 * All return 0 or -EBADMSG.
 */
#ifndef SA_PROTO_MP_READ_H
#define SA_PROTO_MP_READ_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cursor.h"

/* Array header with at most max elements. */
int	mp_read_array(struct cursor *c, uint32_t max, uint32_t *n)
	    __attribute__((warn_unused_result));
/* Map header with at most max pairs. */
int	mp_read_map(struct cursor *c, uint32_t max, uint32_t *n)
	    __attribute__((warn_unused_result));
/* Non-negative integer (positive fixint, uint8..64, or int* >= 0) <= max. */
int	mp_read_uint(struct cursor *c, uint64_t max, uint64_t *v)
	    __attribute__((warn_unused_result));
/* String of at most max bytes; *s borrowed from the buffer, not NUL-ended. */
int	mp_read_str(struct cursor *c, uint32_t max, const char **s, uint32_t *len)
	    __attribute__((warn_unused_result));
/* Like mp_read_str, but nil gives *s = NULL. */
int	mp_read_str_or_nil(struct cursor *c, uint32_t max, const char **s,
	    uint32_t *len) __attribute__((warn_unused_result));
/* Binary of at most max bytes; borrowed. */
int	mp_read_bin(struct cursor *c, uint32_t max, const uint8_t **b,
	    uint32_t *len) __attribute__((warn_unused_result));
/* Boolean. */
int	mp_read_bool(struct cursor *c, int *v) __attribute__((warn_unused_result));
/* Nonzero if the next value is nil (does not advance). */
int	mp_peek_nil(const struct cursor *c);

#endif
