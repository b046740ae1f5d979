/*
 * pk: builds crafted frames for the decode tests, innermost layer first.
 * A frame grows towards the front of a fixed buffer: start with the
 * payload, then push TCP, IP, tags and the link header in front of it.
 * Test helper only; every function asserts through cmocka.
 */
#ifndef SA_TESTS_DECODE_PK_H
#define SA_TESTS_DECODE_PK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PK_SIZE		8192
#define PK_START	2048

struct pk {
	uint8_t	buf[PK_SIZE];
	size_t	off;		/* the frame is buf[off .. off + len) */
	size_t	len;
	size_t	pay_off;	/* where the payload given to pk_init starts */
	size_t	pay_len;
};

/* Addresses used throughout: 192.0.2.1 > 198.51.100.2, 2001:db8::1 > ::2. */
extern const uint8_t pk_v4_src[16], pk_v4_dst[16];
extern const uint8_t pk_v6_src[16], pk_v6_dst[16];

#define PK_TCP_FIN	0x01
#define PK_TCP_SYN	0x02
#define PK_TCP_RST	0x04
#define PK_TCP_PSH	0x08
#define PK_TCP_ACK	0x10
#define PK_TCP_URG	0x20
#define PK_TCP_ECE	0x40
#define PK_TCP_CWR	0x80

void	 pk_init(struct pk *, size_t payload);
uint8_t	*pk_push(struct pk *, size_t n);
void	 pk_pad(struct pk *, size_t n);
const uint8_t *pk_data(const struct pk *);
void	 pk_put16(uint8_t *, uint16_t);
void	 pk_put32(uint8_t *, uint32_t);

/* Transport. hlen is the bytes present, doff the data offset nibble. */
uint8_t	*pk_tcp_raw(struct pk *, uint16_t sport, uint16_t dport, uint32_t seq,
	    uint8_t flags, size_t hlen, uint8_t doff);
uint8_t	*pk_tcp(struct pk *, uint16_t sport, uint16_t dport, uint32_t seq,
	    uint8_t flags, size_t hlen);
uint8_t	*pk_udp_len(struct pk *, uint16_t sport, uint16_t dport,
	    uint16_t ulen);
uint8_t	*pk_udp(struct pk *, uint16_t sport, uint16_t dport);

/* IP. frag is the IPv4 flags+offset field; total length is what's there. */
uint8_t	*pk_ipv4(struct pk *, uint8_t proto, const uint8_t *src,
	    const uint8_t *dst, size_t hlen, uint16_t id, uint16_t frag);
uint8_t	*pk_ipv6(struct pk *, uint8_t nh, const uint8_t *src,
	    const uint8_t *dst);
/* Hop-by-hop, routing, dstopts: (units + 1) * 8 bytes. */
uint8_t	*pk_ip6ext(struct pk *, uint8_t nh, uint8_t units);
/* AH: (words + 2) * 4 bytes. */
uint8_t	*pk_ip6ah(struct pk *, uint8_t nh, uint8_t words);
uint8_t	*pk_ip6frag(struct pk *, uint8_t nh, uint16_t off8, int more,
	    uint32_t id);
/* GRE: flags C 0x8000, K 0x2000, S 0x1000 add their fields. */
uint8_t	*pk_gre(struct pk *, uint16_t flags, uint16_t type, uint32_t key,
	    uint32_t seq);

/* Link layers. */
uint8_t	*pk_eth(struct pk *, uint16_t type);
uint8_t	*pk_tag(struct pk *, uint16_t type, uint16_t vid);
uint8_t	*pk_snap(struct pk *, uint16_t type);
uint8_t	*pk_pppoe(struct pk *, uint16_t ppp);
uint8_t	*pk_mpls(struct pk *, uint32_t label, int bos);
uint8_t	*pk_sll(struct pk *, uint16_t proto);
uint8_t	*pk_sll2(struct pk *, uint16_t proto);
uint8_t	*pk_null(struct pk *, uint32_t family, int big_endian);

#endif
