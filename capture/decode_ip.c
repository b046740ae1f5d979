/*
 * decode_ip: IPv4 (RFC 791, options skipped via IHL) and IPv6 (RFC 8200,
 * extension header chain, fragment header), plus the tunnels whose outer
 * packet is not TCP/UDP: IP-in-IP (RFC 2003), IPv6-in-IPv4 (RFC 4213) and
 * GRE version 0 (RFC 2784/2890). Lengths come from the IP header, never
 * from the captured length; the cursor is narrowed to what the header
 * claims before the transport header is read.
 *
 * This file and decode_link.c call each other on purpose: a GRE tunnel
 * really re-enters the link layer (decode__ether, decode__ethertype),
 * which enters IP again, as IP-in-IP does directly; depth bounds the
 * nesting.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode_int.h"

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_IPIP_		4
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_IPV6_		41
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_GRE_		47
#define IPPROTO_AH_		51
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_MH_		135
#define IPPROTO_HIP_		139
#define IPPROTO_SHIM6_		140

static enum decode_res decode_ipv4(struct cursor *, uint32_t,
    struct decoded *, enum decode_reason *, int);
static enum decode_res decode_ipv6(struct cursor *, uint32_t,
    struct decoded *, enum decode_reason *, int);
static enum decode_res decode_payload(uint8_t, struct cursor *, uint32_t,
    uint32_t, struct decoded *, enum decode_reason *, int);

enum decode_res
decode__ip(struct cursor *c, uint32_t wire_left, struct decoded *d,
    enum decode_reason *why, int depth)
{
	PD_NEED(c, 1);
	switch (PD_AT_U8(c, 0) >> 4) {
	case 4:
		return decode_ipv4(c, wire_left, d, why, depth);
	case 6:
		return decode_ipv6(c, wire_left, d, why, depth);
	default:
		*why = DR_IP_VERSION;
		return DEC_INVALID;
	}
trunc:
	*why = DR_IP_TRUNC;
	return DEC_TRUNC;
}

/*
 * GRE (RFC 2784, key and sequence from RFC 2890):
 *   C|R|K|S|s|Recur|A|Flags|Ver(3) | Protocol Type(2)
 *   [Checksum(2) Reserved(2)] [Key(4)] [Sequence(4)]
 * Only version 0 carries IP; PPTP's version 1 is left alone.
 */
static enum decode_res
decode_gre(struct cursor *c, uint32_t len, struct decoded *d,
    enum decode_reason *why, int depth)
{
	uint16_t flags, type;
	uint32_t hl = 4;

	PD_NEED(c, 4);
	flags = PD_AT_BE16(c, 0);
	type = PD_AT_BE16(c, 2);
	/* RFC 1701 routing (R) changes the layout; RFC 2784 receivers
	 * discard it, and so do we. */
	if ((flags & 0x7) != 0 || (flags & 0x4000) != 0) {
		*why = DR_TUNNEL;
		return DEC_UNSUPPORTED;
	}
	if (flags & 0x8000)
		hl += 4;
	if (flags & 0x2000)
		hl += 4;
	if (flags & 0x1000)
		hl += 4;
	if (len < hl) {
		*why = DR_TUNNEL;
		return DEC_INVALID;
	}
	PD_SKIP(c, hl);
	if (type == 0x6558)		/* transparent Ethernet bridging */
		return decode__ether(c, len - hl, d, why, depth);
	return decode__ethertype(type, c, len - hl, d, why, depth);
trunc:
	*why = DR_TUNNEL;
	return DEC_TRUNC;
}

/*
 * What follows the IP header(s): TCP/UDP, a tunnel, or something skipped.
 * len is the transport length per the header; c is narrowed to it.
 */
static enum decode_res
decode_payload(uint8_t proto, struct cursor *c, uint32_t len,
    uint32_t ip_bytes, struct decoded *d, enum decode_reason *why, int depth)
{
	switch (proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		d->proto = proto;
		d->ip_bytes = ip_bytes;
		if (d->frag == DEC_FRAG_LATER) {
			d->frag_data = len;
			return DEC_OK;
		}
		d->frag_data = len;
		return decode__l4(c, len, d, why);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
	case IPPROTO_GRE_:
		/* A tunnel: the flow is the inner one. A fragmented outer
		 * packet or nesting past the limit is not followed. */
		if (d->frag != DEC_FRAG_NONE || depth >= DECODE_MAX_TUNNEL) {
			*why = DR_TUNNEL;
			return DEC_UNSUPPORTED;
		}
		if (proto == IPPROTO_GRE_)
			return decode_gre(c, len, d, why, depth + 1);
		return decode__ip(c, len, d, why, depth + 1);
	default:
		*why = DR_NOT_TCP_UDP;
		return DEC_UNSUPPORTED;
	}
}

/*
 * IPv4 header (RFC 791):
 *   Ver(4) IHL(4) | TOS | Total Length(2)
 *   Identification(2) | Flags(3) Fragment Offset(13)
 *   TTL | Protocol | Header Checksum(2)
 *   Source(4) | Destination(4) | Options (IHL*4 - 20)
 */
static enum decode_res
decode_ipv4(struct cursor *c, uint32_t wire_left, struct decoded *d,
    enum decode_reason *why, int depth)
{
	uint32_t hlen, tot;
	uint16_t off;
	uint8_t proto;
	int tso;

	PD_NEED(c, 20);
	hlen = (uint32_t)(PD_AT_U8(c, 0) & 0x0f) * 4;
	tot = PD_AT_BE16(c, 2);
	off = PD_AT_BE16(c, 6);
	proto = PD_AT_U8(c, 9);
	if (hlen < 20) {
		*why = DR_IP_HLEN;
		return DEC_INVALID;
	}
	/* A zero total length is what TSO/GSO leaves in captures taken on
	 * the sending host; the frame itself then gives the length. */
	tso = tot == 0;
	if (tso)
		tot = wire_left;
	/* A stated length below the header contradicts it; with TSO the
	 * frame itself is too short. */
	if (tot < hlen) {
		*why = tso ? DR_IP_TRUNC : DR_IP_LEN;
		return tso ? DEC_TRUNC : DEC_INVALID;
	}
	if (!PD_HAVE(c, hlen)) {
		*why = DR_IP_TRUNC;
		return DEC_TRUNC;
	}
	d->af = 4;
	memset(d->src, 0, sizeof(d->src));
	memset(d->dst, 0, sizeof(d->dst));
	memcpy(d->src, c->p + 12, 4);
	memcpy(d->dst, c->p + 16, 4);
	if ((off & 0x3fff) != 0) {
		d->frag_id = PD_AT_BE16(c, 4);
		d->frag = (off & 0x1fff) != 0 ? DEC_FRAG_LATER : DEC_FRAG_FIRST;
	} else
		d->frag = DEC_FRAG_NONE;
	c->p += hlen;
	cursor_narrow(c, tot - hlen);
	return decode_payload(proto, c, tot - hlen, tot, d, why, depth);
trunc:
	*why = DR_IP_TRUNC;
	return DEC_TRUNC;
}

/*
 * IPv6 header (RFC 8200):
 *   Ver(4) TC(8) Flow(20) | Payload Length(2) | Next Header | Hop Limit
 *   Source(16) | Destination(16)
 * then a chain of extension headers. Hop-by-hop, routing, destination
 * options, mobility, HIP and shim6 share the layout
 *   Next Header | Hdr Ext Len (8-octet units, not counting the first 8)
 * AH counts 4-octet units minus 2 (RFC 4302). The fragment header is
 *   Next Header | Reserved | Offset(13) Res(2) M(1) | Identification(4)
 */
static enum decode_res
decode_ipv6(struct cursor *c, uint32_t wire_left, struct decoded *d,
    enum decode_reason *why, int depth)
{
	uint32_t plen, left, elen;
	uint8_t nh;
	int i;

	PD_NEED(c, 40);
	plen = PD_AT_BE16(c, 4);
	nh = PD_AT_U8(c, 6);
	/* Zero means a jumbogram (RFC 2675) or TSO; the frame decides. */
	if (plen == 0)
		plen = wire_left > 40 ? wire_left - 40 : 0;
	d->af = 6;
	memcpy(d->src, c->p + 8, 16);
	memcpy(d->dst, c->p + 24, 16);
	d->frag = DEC_FRAG_NONE;
	c->p += 40;
	cursor_narrow(c, plen);
	left = plen;

	for (i = 0; i < DECODE_MAX_EXT; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
		case IPPROTO_HIP_:
		case IPPROTO_SHIM6_:
			if (left < 2)
				goto ext_invalid;
			if (!PD_HAVE(c, 2))
				goto ext_trunc;
			elen = ((uint32_t)PD_AT_U8(c, 1) + 1) * 8;
			break;
		case IPPROTO_AH_:
			if (left < 2)
				goto ext_invalid;
			if (!PD_HAVE(c, 2))
				goto ext_trunc;
			elen = ((uint32_t)PD_AT_U8(c, 1) + 2) * 4;
			break;
		case IPPROTO_FRAGMENT_: {
			uint16_t off;

			if (left < 8)
				goto ext_invalid;
			if (!PD_HAVE(c, 8))
				goto ext_trunc;
			elen = 8;
			off = PD_AT_BE16(c, 2);
			if ((off & 0xfff9) != 0) {
				d->frag_id = PD_AT_BE32(c, 4);
				d->frag = (off >> 3) != 0 ? DEC_FRAG_LATER :
				    DEC_FRAG_FIRST;
			}
			break;
		}
		default:
			return decode_payload(nh, c, left, plen + 40, d, why,
			    depth);
		}
		if (elen > left)
			goto ext_invalid;
		if (!PD_HAVE(c, elen))
			goto ext_trunc;
		nh = PD_AT_U8(c, 0);
		c->p += elen;
		left -= elen;
		if (d->frag == DEC_FRAG_LATER)
			return decode_payload(nh, c, left, plen + 40, d, why,
			    depth);
	}
ext_invalid:
	/* The chain does not fit the payload length, or is too deep:
	 * the header's fault, not the capture's. */
	*why = DR_IP6_EXT_INVALID;
	return DEC_INVALID;
ext_trunc:
	*why = DR_IP6_EXT_TRUNC;
	return DEC_TRUNC;
trunc:
	*why = DR_IP_TRUNC;
	return DEC_TRUNC;
}
