/*
 * decode_int: helpers shared by the decode_*.c files only (libuv's uv__
 * convention: decode__ prefix). Not for other modules.
 */
#ifndef SA_CAPTURE_DECODE_INT_H
#define SA_CAPTURE_DECODE_INT_H

#include "../common/cursor.h"
#include "decode.h"

/* Stacked VLAN tags / MPLS labels followed before giving up. */
#define DECODE_MAX_TAGS		8
/* IPv6 extension headers followed before giving up. */
#define DECODE_MAX_EXT		16
/* Nested IP-in-IP / GRE tunnels followed. */
#define DECODE_MAX_TUNNEL	2

#define DECODE_ETH_IPV4		0x0800
#define DECODE_ETH_IPV6		0x86dd

/*
 * wire_left is how many bytes of the original frame remain from the
 * cursor on, which bounds lengths when a header says 0 (TSO/jumbograms).
 */
enum decode_res decode__ethertype(uint16_t type, struct cursor *c,
    uint32_t wire_left, struct decoded *d, enum decode_reason *why, int depth);
enum decode_res decode__ether(struct cursor *c, uint32_t wire_left,
    struct decoded *d, enum decode_reason *why, int depth);
enum decode_res decode__ip(struct cursor *c, uint32_t wire_left,
    struct decoded *d, enum decode_reason *why, int depth);
/* c narrowed to the transport segment; l4len is its length per IP. */
enum decode_res decode__l4(struct cursor *c, uint32_t l4len, struct decoded *d,
    enum decode_reason *why);

#endif
