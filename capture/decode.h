/*
 * decode: turns one captured frame into the flow observation the session
 * engine needs (addresses, ports, TCP flags, IP and payload lengths). It
 * reads link layers, IPv4/IPv6 (options, extension headers, fragments,
 * IP-in-IP and GRE tunnels) and TCP/UDP headers. It is not a reassembler
 * and never allocates: fragments are only described here and attributed to
 * their flow by frag.c.
 */
#ifndef SA_CAPTURE_DECODE_H
#define SA_CAPTURE_DECODE_H

#include <stdint.h>

/* Link types we decode (pcap DLT values, plus LINKTYPE aliases). */
#define DECODE_DLT_NULL		0
#define DECODE_DLT_EN10MB	1
#define DECODE_DLT_RAW		12	/* Linux/most BSDs */
#define DECODE_DLT_RAW_OBSD	14	/* OpenBSD's DLT_RAW */
#define DECODE_DLT_LINKTYPE_RAW	101
#define DECODE_DLT_LOOP		108
#define DECODE_DLT_LINUX_SLL	113
#define DECODE_DLT_IPV4		228
#define DECODE_DLT_IPV6		229
#define DECODE_DLT_LINUX_SLL2	276

enum decode_res {
	DEC_OK = 0,
	DEC_TRUNC,		/* captured bytes end before what we need */
	DEC_INVALID,		/* header fields contradict each other */
	DEC_UNSUPPORTED,	/* well-formed, but not IP or not TCP/UDP */
};

/* Why a frame was not turned into an observation; one counter each. */
enum decode_reason {
	DR_NONE = 0,
	DR_LINK_TRUNC,		/* link header cut short */
	DR_LINK_TYPE,		/* link type not supported */
	DR_NOT_IP,		/* ARP, LLDP, ...: skipped */
	DR_VLAN_DEPTH,		/* too many stacked tags or labels */
	DR_IP_TRUNC,		/* IP header cut short */
	DR_IP_VERSION,		/* version nibble not 4/6 */
	DR_IP_HLEN,		/* IPv4 header length < 20 */
	DR_IP_LEN,		/* IP length too small for the headers in it */
	DR_IP6_EXT_TRUNC,	/* extension header chain cut short */
	DR_IP6_EXT_INVALID,	/* chain longer than the payload, too deep */
	DR_NOT_TCP_UDP,		/* ICMP, ESP, ...: skipped */
	DR_TUNNEL,		/* tunnel header bad, too deep, or unsupported */
	DR_L4_TRUNC,		/* ports not captured */
	DR_TCP_HLEN,		/* TCP data offset < 5, or header past segment */
	DR_FRAG_ORPHAN,		/* fragment whose first fragment never came */
	DR_FRAG_FULL,		/* fragment table full */
	DR_MAX
};

/* Returns a stable snake_case name for counters and logs. */
const char *decode_reason_name(enum decode_reason);
/* Nonzero for reasons that are "not ours" (skipped) rather than errors. */
int	decode_reason_is_skip(enum decode_reason);

enum decode_frag {
	DEC_FRAG_NONE = 0,
	DEC_FRAG_FIRST,		/* offset 0, more to come: carries ports */
	DEC_FRAG_LATER,		/* offset > 0: no transport header */
};

#define DEC_TCP_FIN	0x01
#define DEC_TCP_SYN	0x02
#define DEC_TCP_RST	0x04
#define DEC_TCP_PSH	0x08
#define DEC_TCP_ACK	0x10

/*
 * The result. Addresses are 16 bytes; IPv4 uses the first 4, rest zero.
 * For DEC_FRAG_LATER the ports, flags and payload are not known (zero);
 * the fragment key (src, dst, proto, frag_id) is, and frag_data is this
 * fragment's share of the datagram. Unfragmented, frag_data is the
 * transport length and frag_id 0. Fields not learnt are zero, also after
 * an error, whose partial contents are otherwise unspecified.
 */
struct decoded {
	uint8_t		 af;		/* 4 or 6 */
	uint8_t		 proto;		/* 6 TCP, 17 UDP */
	uint8_t		 tcp_flags;	/* DEC_TCP_*; 0 if not captured */
	uint8_t		 frag;		/* enum decode_frag */
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint16_t	 sport, dport;
	uint32_t	 ip_bytes;	/* IP length as the header says */
	uint32_t	 payload;	/* transport payload bytes */
	uint32_t	 tcp_seq;
	uint32_t	 frag_id;
	uint32_t	 frag_data;	/* fragmentable bytes of this fragment */
	const uint8_t	*l7;		/* captured payload, borrowed */
	uint32_t	 l7_caplen;
};

/*
 * Decodes one frame. pkt borrowed for the call (d->l7 points into it);
 * caplen bytes are readable, wirelen is the frame's original length. On
 * anything but DEC_OK *why says which counter to bump. Never reads past
 * pkt + caplen.
 */
enum decode_res decode_packet(int dlt, const uint8_t *pkt, uint32_t caplen,
    uint32_t wirelen, struct decoded *d, enum decode_reason *why);

/* Nonzero if dlt is one decode_packet understands. */
int	decode_dlt_supported(int dlt);

#endif
