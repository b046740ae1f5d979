/*
 * pk: crafted frame builder for the decode and fragment tests (pk.h).
 * Header layouts follow the RFCs the decoder cites; checksums are left
 * zero because the decoder never verifies them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pk.h"

const uint8_t pk_v4_src[16] = { 192, 0, 2, 1 };
const uint8_t pk_v4_dst[16] = { 198, 51, 100, 2 };
const uint8_t pk_v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
const uint8_t pk_v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

void
pk_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

void
pk_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

void
pk_init(struct pk *p, size_t payload)
{
	size_t i;

	assert_true(payload <= PK_SIZE - PK_START);
	memset(p->buf, 0, sizeof(p->buf));
	p->off = PK_START;
	p->len = payload;
	p->pay_off = PK_START;
	p->pay_len = payload;
	for (i = 0; i < payload; i++)
		p->buf[PK_START + i] = (uint8_t)(i * 7 + 0x5a);
}

uint8_t *
pk_push(struct pk *p, size_t n)
{
	assert_true(n <= p->off);
	p->off -= n;
	p->len += n;
	memset(p->buf + p->off, 0, n);
	return p->buf + p->off;
}

/* Appends n zero bytes after the frame (Ethernet padding, trailers). */
void
pk_pad(struct pk *p, size_t n)
{
	assert_true(n <= PK_SIZE - p->off - p->len);
	memset(p->buf + p->off + p->len, 0, n);
	p->len += n;
}

const uint8_t *
pk_data(const struct pk *p)
{
	return p->buf + p->off;
}

uint8_t *
pk_tcp_raw(struct pk *p, uint16_t sport, uint16_t dport, uint32_t seq,
    uint8_t flags, size_t hlen, uint8_t doff)
{
	uint8_t *h;

	assert_true(hlen >= 14);
	h = pk_push(p, hlen);
	pk_put16(h, sport);
	pk_put16(h + 2, dport);
	pk_put32(h + 4, seq);
	pk_put32(h + 8, seq != 0 ? 0x01020304 : 0);
	h[12] = (uint8_t)(doff << 4);
	h[13] = flags;
	if (hlen >= 16)
		pk_put16(h + 14, 65535);
	if (hlen > 20)
		memset(h + 20, 1, hlen - 20);	/* NOP options */
	return h;
}

uint8_t *
pk_tcp(struct pk *p, uint16_t sport, uint16_t dport, uint32_t seq,
    uint8_t flags, size_t hlen)
{
	return pk_tcp_raw(p, sport, dport, seq, flags, hlen,
	    (uint8_t)(hlen / 4));
}

uint8_t *
pk_udp_len(struct pk *p, uint16_t sport, uint16_t dport, uint16_t ulen)
{
	uint8_t *h = pk_push(p, 8);

	pk_put16(h, sport);
	pk_put16(h + 2, dport);
	pk_put16(h + 4, ulen);
	return h;
}

uint8_t *
pk_udp(struct pk *p, uint16_t sport, uint16_t dport)
{
	return pk_udp_len(p, sport, dport, (uint16_t)(p->len + 8));
}

uint8_t *
pk_ipv4(struct pk *p, uint8_t proto, const uint8_t *src, const uint8_t *dst,
    size_t hlen, uint16_t id, uint16_t frag)
{
	uint8_t *h;

	assert_true(hlen >= 20 && hlen <= 60 && hlen % 4 == 0);
	h = pk_push(p, hlen);
	h[0] = (uint8_t)(0x40 | hlen / 4);
	pk_put16(h + 2, (uint16_t)p->len);
	pk_put16(h + 4, id);
	pk_put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	if (hlen > 20) {
		/* NOPs, then end of options in the last byte. */
		memset(h + 20, 1, hlen - 21);
		h[hlen - 1] = 0;
	}
	return h;
}

uint8_t *
pk_ipv6(struct pk *p, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	uint16_t plen = (uint16_t)p->len;
	uint8_t *h = pk_push(p, 40);

	h[0] = 0x60;
	pk_put16(h + 4, plen);
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	return h;
}

uint8_t *
pk_ip6ext(struct pk *p, uint8_t nh, uint8_t units)
{
	uint8_t *h = pk_push(p, ((size_t)units + 1) * 8);

	h[0] = nh;
	h[1] = units;
	return h;
}

uint8_t *
pk_ip6ah(struct pk *p, uint8_t nh, uint8_t words)
{
	uint8_t *h = pk_push(p, ((size_t)words + 2) * 4);

	h[0] = nh;
	h[1] = words;
	pk_put32(h + 4, 0x1000);	/* SPI */
	pk_put32(h + 8, 1);		/* sequence */
	return h;
}

uint8_t *
pk_ip6frag(struct pk *p, uint8_t nh, uint16_t off8, int more, uint32_t id)
{
	uint8_t *h = pk_push(p, 8);

	h[0] = nh;
	pk_put16(h + 2, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	pk_put32(h + 4, id);
	return h;
}

uint8_t *
pk_gre(struct pk *p, uint16_t flags, uint16_t type, uint32_t key,
    uint32_t seq)
{
	size_t hl = 4, o;
	uint8_t *h;

	if (flags & 0x8000)
		hl += 4;
	if (flags & 0x2000)
		hl += 4;
	if (flags & 0x1000)
		hl += 4;
	h = pk_push(p, hl);
	pk_put16(h, flags);
	pk_put16(h + 2, type);
	o = 4;
	if (flags & 0x8000)
		o += 4;			/* checksum + reserved1, zero */
	if (flags & 0x2000) {
		pk_put32(h + o, key);
		o += 4;
	}
	if (flags & 0x1000)
		pk_put32(h + o, seq);
	return h;
}

uint8_t *
pk_eth(struct pk *p, uint16_t type)
{
	static const uint8_t mac[12] = { 0x02, 0, 0, 0, 0, 2,
	    0x02, 0, 0, 0, 0, 1 };
	uint8_t *h = pk_push(p, 14);

	memcpy(h, mac, 12);
	pk_put16(h + 12, type);
	return h;
}

/* An 802.1Q-style tag body: TCI and the inner type (TPID goes outside). */
uint8_t *
pk_tag(struct pk *p, uint16_t type, uint16_t vid)
{
	uint8_t *h = pk_push(p, 4);

	pk_put16(h, vid & 0x0fff);
	pk_put16(h + 2, type);
	return h;
}

/* LLC/SNAP with OUI 0; the 802.3 length goes in pk_eth's type. */
uint8_t *
pk_snap(struct pk *p, uint16_t type)
{
	uint8_t *h = pk_push(p, 8);

	h[0] = 0xaa;
	h[1] = 0xaa;
	h[2] = 0x03;
	pk_put16(h + 6, type);
	return h;
}

uint8_t *
pk_pppoe(struct pk *p, uint16_t ppp)
{
	uint16_t len = (uint16_t)(p->len + 2);
	uint8_t *h = pk_push(p, 8);

	h[0] = 0x11;
	pk_put16(h + 2, 0x1234);
	pk_put16(h + 4, len);
	pk_put16(h + 6, ppp);
	return h;
}

uint8_t *
pk_mpls(struct pk *p, uint32_t label, int bos)
{
	uint8_t *h = pk_push(p, 4);

	pk_put32(h, label << 12 | (bos ? 0x100u : 0) | 64);
	return h;
}

uint8_t *
pk_sll(struct pk *p, uint16_t proto)
{
	uint8_t *h = pk_push(p, 16);

	pk_put16(h, 0);			/* to us */
	pk_put16(h + 2, 1);		/* ARPHRD_ETHER */
	pk_put16(h + 4, 6);
	memset(h + 6, 0x02, 6);
	pk_put16(h + 14, proto);
	return h;
}

uint8_t *
pk_sll2(struct pk *p, uint16_t proto)
{
	uint8_t *h = pk_push(p, 20);

	pk_put16(h, proto);
	pk_put32(h + 4, 3);		/* ifindex */
	pk_put16(h + 8, 1);		/* ARPHRD_ETHER */
	h[10] = 4;			/* outgoing */
	h[11] = 6;
	memset(h + 12, 0x02, 6);
	return h;
}

uint8_t *
pk_null(struct pk *p, uint32_t family, int big_endian)
{
	uint8_t *h = pk_push(p, 4);

	if (big_endian)
		pk_put32(h, family);
	else {
		h[0] = (uint8_t)family;
		h[1] = (uint8_t)(family >> 8);
		h[2] = (uint8_t)(family >> 16);
		h[3] = (uint8_t)(family >> 24);
	}
	return h;
}
