/*
 * proto_int: what the proto/ files share and nothing else may use
 * (libuv's double-underscore convention): the bounded msgpack writer and
 * the message header check, defined in wire.c.
 */
#ifndef SA_PROTO_PROTO_INT_H
#define SA_PROTO_PROTO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "../common/cursor.h"

/* msgpack_packer_write callback appending to a struct proto_buf (data),
 * bounded by its max: past it, sets overflow and fails. */
int	proto__buf_write(void *data, const char *p, size_t n);
/* A msgpack str of n bytes. */
void	proto__pack_str(msgpack_packer *pk, const char *s, size_t n);
/*
 * Reads [version, type, ...] of a message that must have nfields fields.
 * 0; -EPROTO for another version or type; -EBADMSG otherwise. why (may
 * be NULL) names what was wrong.
 */
int	proto__header(struct cursor *c, uint32_t nfields, uint64_t type,
	    const char **why);

#endif
