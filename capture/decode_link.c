/*
 * decode_link: link layers in front of IP. Ethernet II and 802.3/SNAP with
 * 802.1Q / 802.1ad / QinQ (0x8100, 0x88a8, 0x9100) tags, PPPoE sessions and
 * MPLS label stacks; Linux cooked SLL (DLT 113) and SLL2 (DLT 276); raw IP
 * (DLT 12/14/101/228/229); BSD NULL (host byte order) and LOOP (network
 * byte order). Reference: IEEE 802.1Q, RFC 2516 (PPPoE), RFC 3032 (MPLS),
 * tcpdump print-ether.c, print-sll.c, print-null.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode_int.h"

static const char *const reason_names[DR_MAX] = {
	[DR_NONE] = "none",
	[DR_LINK_TRUNC] = "link_truncated",
	[DR_LINK_TYPE] = "link_type_unsupported",
	[DR_NOT_IP] = "not_ip",
	[DR_VLAN_DEPTH] = "vlan_too_deep",
	[DR_IP_TRUNC] = "ip_truncated",
	[DR_IP_VERSION] = "ip_bad_version",
	[DR_IP_HLEN] = "ip_bad_header_length",
	[DR_IP_LEN] = "ip_bad_total_length",
	[DR_IP6_EXT_TRUNC] = "ip6_ext_truncated",
	[DR_IP6_EXT_INVALID] = "ip6_ext_invalid",
	[DR_NOT_TCP_UDP] = "not_tcp_udp",
	[DR_TUNNEL] = "tunnel_invalid",
	[DR_L4_TRUNC] = "l4_truncated",
	[DR_TCP_HLEN] = "tcp_bad_header_length",
	[DR_FRAG_ORPHAN] = "fragment_orphan",
	[DR_FRAG_FULL] = "fragment_table_full",
};

const char *
decode_reason_name(enum decode_reason r)
{
	if ((unsigned)r >= DR_MAX)
		return "unknown";
	return reason_names[r];
}

int
decode_reason_is_skip(enum decode_reason r)
{
	return r == DR_NOT_IP || r == DR_NOT_TCP_UDP;
}

int
decode_dlt_supported(int dlt)
{
	switch (dlt) {
	case DECODE_DLT_NULL:
	case DECODE_DLT_EN10MB:
	case DECODE_DLT_RAW:
	case DECODE_DLT_RAW_OBSD:
	case DECODE_DLT_LINKTYPE_RAW:
	case DECODE_DLT_LOOP:
	case DECODE_DLT_LINUX_SLL:
	case DECODE_DLT_IPV4:
	case DECODE_DLT_IPV6:
	case DECODE_DLT_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

static uint32_t
wire_after(uint32_t wire_left, uint32_t n)
{
	return wire_left > n ? wire_left - n : 0;
}

/*
 * MPLS label stack entry (RFC 3032), 4 bytes each until bottom of stack:
 *   label(20) | TC(3) | S(1) | TTL(8)
 * The payload type is not signalled; like tcpdump we look at the first
 * nibble: 4 is IPv4, 6 is IPv6, anything else (pseudowire control word,
 * Ethernet) is left alone.
 */
static enum decode_res
decode_mpls(struct cursor *c, uint32_t wire_left, struct decoded *d,
    enum decode_reason *why, int depth)
{
	int i;

	for (i = 0; i < DECODE_MAX_TAGS; i++) {
		uint32_t lse;

		PD_BE32(c, lse);
		wire_left = wire_after(wire_left, 4);
		if (lse & 0x100) {
			PD_NEED(c, 1);
			if ((PD_AT_U8(c, 0) >> 4) == 4 ||
			    (PD_AT_U8(c, 0) >> 4) == 6)
				return decode__ip(c, wire_left, d, why, depth);
			*why = DR_NOT_IP;
			return DEC_UNSUPPORTED;
		}
	}
	*why = DR_VLAN_DEPTH;
	return DEC_UNSUPPORTED;
trunc:
	*why = DR_LINK_TRUNC;
	return DEC_TRUNC;
}

/*
 * Dispatch on an Ethertype, following VLAN tags (4 bytes each):
 *   TPID(2) = 0x8100 / 0x88a8 / 0x9100 | PCP(3) DEI(1) VID(12) | type(2)
 * The cursor sits after the type field.
 */
enum decode_res
decode__ethertype(uint16_t type, struct cursor *c, uint32_t wire_left,
    struct decoded *d, enum decode_reason *why, int depth)
{
	int tags = 0;

	for (;;) {
		switch (type) {
		case DECODE_ETH_IPV4:
		case DECODE_ETH_IPV6:
			return decode__ip(c, wire_left, d, why, depth);
		case 0x8100:
		case 0x88a8:
		case 0x9100:
		case 0x9200:
			if (++tags > DECODE_MAX_TAGS) {
				*why = DR_VLAN_DEPTH;
				return DEC_UNSUPPORTED;
			}
			PD_NEED(c, 4);
			type = PD_AT_BE16(c, 2);
			c->p += 4;
			wire_left = wire_after(wire_left, 4);
			continue;
		case 0x8864: {
			/* PPPoE session (RFC 2516): ver/type, code, session
			 * id, length, then the PPP protocol number. */
			uint16_t ppp;

			PD_NEED(c, 8);
			ppp = PD_AT_BE16(c, 6);
			c->p += 8;
			wire_left = wire_after(wire_left, 8);
			if (ppp == 0x0021)
				type = DECODE_ETH_IPV4;
			else if (ppp == 0x0057)
				type = DECODE_ETH_IPV6;
			else {
				*why = DR_NOT_IP;
				return DEC_UNSUPPORTED;
			}
			continue;
		}
		case 0x8847:
		case 0x8848:
			return decode_mpls(c, wire_left, d, why, depth);
		default:
			*why = DR_NOT_IP;
			return DEC_UNSUPPORTED;
		}
	}
trunc:
	*why = DR_LINK_TRUNC;
	return DEC_TRUNC;
}

/*
 * Ethernet II / IEEE 802.3:
 *   dst(6) | src(6) | type-or-length(2)
 * A value below 0x0600 is an 802.3 length; then an LLC header follows and
 * only SNAP (AA AA 03, OUI(3), type(2)) can carry IP.
 */
enum decode_res
decode__ether(struct cursor *c, uint32_t wire_left, struct decoded *d,
    enum decode_reason *why, int depth)
{
	uint16_t type;

	PD_NEED(c, 14);
	type = PD_AT_BE16(c, 12);
	c->p += 14;
	wire_left = wire_after(wire_left, 14);
	if (type < 0x0600) {
		PD_NEED(c, 3);
		if (PD_AT_U8(c, 0) != 0xaa || PD_AT_U8(c, 1) != 0xaa ||
		    PD_AT_U8(c, 2) != 0x03) {
			*why = DR_NOT_IP;
			return DEC_UNSUPPORTED;
		}
		PD_NEED(c, 8);
		type = PD_AT_BE16(c, 6);
		c->p += 8;
		wire_left = wire_after(wire_left, 8);
	}
	return decode__ethertype(type, c, wire_left, d, why, depth);
trunc:
	*why = DR_LINK_TRUNC;
	return DEC_TRUNC;
}

/* BSD NULL/LOOP address family values meaning IPv4 / IPv6. */
static enum decode_res
decode_family(uint32_t family, struct cursor *c, uint32_t wire_left,
    struct decoded *d, enum decode_reason *why)
{
	switch (family) {
	case 2:					/* AF_INET everywhere */
		return decode__ip(c, wire_left, d, why, 0);
	case 10:				/* Linux */
	case 24:				/* NetBSD, OpenBSD, BSD/OS */
	case 28:				/* FreeBSD, DragonFly */
	case 30:				/* Darwin */
		return decode__ip(c, wire_left, d, why, 0);
	default:
		*why = DR_NOT_IP;
		return DEC_UNSUPPORTED;
	}
}

enum decode_res
decode_packet(int dlt, const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
    struct decoded *d, enum decode_reason *why)
{
	struct cursor c;
	uint32_t fam;

	/* Every field has a defined value whatever the result: a later
	 * fragment must not carry the previous packet's ports. */
	*why = DR_NONE;
	memset(d, 0, sizeof(*d));
	if (wirelen < caplen)
		wirelen = caplen;
	cursor_init(&c, pkt, caplen);

	switch (dlt) {
	case DECODE_DLT_EN10MB:
		return decode__ether(&c, wirelen, d, why, 0);
	case DECODE_DLT_RAW:
	case DECODE_DLT_RAW_OBSD:
	case DECODE_DLT_LINKTYPE_RAW:
	case DECODE_DLT_IPV4:
	case DECODE_DLT_IPV6:
		return decode__ip(&c, wirelen, d, why, 0);
	case DECODE_DLT_NULL:
		/* Host byte order of the writer: a value with high bits
		 * set was written on the other endianness. */
		PD_NEED(&c, 4);
		fam = PD_AT_LE32(&c, 0);
		if ((fam & 0xffff0000) != 0)
			fam = PD_AT_BE32(&c, 0);
		c.p += 4;
		return decode_family(fam, &c, wire_after(wirelen, 4), d, why);
	case DECODE_DLT_LOOP:
		PD_NEED(&c, 4);
		fam = PD_AT_BE32(&c, 0);
		c.p += 4;
		return decode_family(fam, &c, wire_after(wirelen, 4), d, why);
	case DECODE_DLT_LINUX_SLL:
		/* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
		PD_NEED(&c, 16);
		{
			uint16_t proto = PD_AT_BE16(&c, 14);

			c.p += 16;
			return decode__ethertype(proto, &c,
			    wire_after(wirelen, 16), d, why, 0);
		}
	case DECODE_DLT_LINUX_SLL2:
		/* protocol(2) rsv(2) ifindex(4) hatype(2) pkttype(1)
		 * halen(1) addr(8) */
		PD_NEED(&c, 20);
		{
			uint16_t proto = PD_AT_BE16(&c, 0);

			c.p += 20;
			return decode__ethertype(proto, &c,
			    wire_after(wirelen, 20), d, why, 0);
		}
	default:
		*why = DR_LINK_TYPE;
		return DEC_UNSUPPORTED;
	}
trunc:
	*why = DR_LINK_TRUNC;
	return DEC_TRUNC;
}
