/*
 * l7_proxy: the PROXY protocol header an L4 balancer puts before a
 * client's bytes to pass on the original client address (HAProxy's
 * proxy-protocol.txt, versions 1 and 2). It learns the origin "ip:port"
 * and the header's length; the TLVs of version 2 are checked for size
 * and skipped, and what follows the header is left to the other parsers.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "l7.h"

#define V1_SIG_LEN	6	/* "PROXY " */
#define V1_LINE_MAX	107	/* the longest line, CRLF included */
#define V1_PROTO_MAX	7	/* "UNKNOWN" */
#define V1_ADDR_MAX	(INET6_ADDRSTRLEN - 1)
#define V1_PORT_MAX	5	/* "65535" */

#define V2_SIG_LEN	12
#define V2_HDR_LEN	16
#define V2_VERSION	2
#define V2_CMD_LOCAL	0
#define V2_CMD_PROXY	1
#define V2_ADDR_INET	12	/* src 4, dst 4, sport 2, dport 2 */
#define V2_ADDR_INET6	36	/* src 16, dst 16, sport 2, dport 2 */

/* How far one piece got. */
enum step {
	STEP_OK,	/* complete and valid */
	STEP_MORE,	/* valid so far, cut short */
	STEP_BAD,	/* breaks the protocol */
};

/* Which bytes a version 1 token may hold. */
enum v1_tok {
	V1_TOK_PROTO,	/* A-Z, 0-9 */
	V1_TOK_ADDR,	/* hex digits, '.', ':' */
	V1_TOK_PORT,	/* 0-9 */
};

static const uint8_t v1_sig[V1_SIG_LEN] = { 'P', 'R', 'O', 'X', 'Y', ' ' };
static const uint8_t v2_sig[V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static int v1_tok_byte(enum v1_tok, uint8_t);
static enum step v1_token(struct cursor *, enum v1_tok, char *, size_t,
    uint8_t *);
static enum step v1_crlf(struct cursor *, uint8_t);
static enum step v1_skip_line(struct cursor *);
static enum step v1_line(struct cursor *, struct l7_result *);
static enum l7_res proxy_v1(const uint8_t *, size_t, struct l7_result *,
    size_t *);
static enum step v2_tlvs(struct cursor *);
static enum l7_res proxy_v2(const uint8_t *, size_t, struct l7_result *,
    size_t *);
static void origin_set(struct l7_result *, int, const uint8_t *, uint16_t);

/*
 * Either signature is recognised byte by byte: the first byte that
 * differs from both is L7_NOMATCH, however few bytes there are.
 */
enum l7_res
l7_proxy_parse(const uint8_t *c, size_t nc, struct l7_result *r,
    size_t *hdr_len)
{
	size_t n;

	*hdr_len = 0;
	if (nc == 0)
		return L7_MORE;
	n = nc < V1_SIG_LEN ? nc : V1_SIG_LEN;
	if (memcmp(c, v1_sig, n) == 0) {
		if (nc < V1_SIG_LEN)
			return L7_MORE;
		r->proxy_hdr = 1;
		return proxy_v1(c, nc, r, hdr_len);
	}
	n = nc < V2_SIG_LEN ? nc : V2_SIG_LEN;
	if (memcmp(c, v2_sig, n) == 0) {
		if (nc < V2_SIG_LEN)
			return L7_MORE;
		r->proxy_hdr = 2;
		return proxy_v2(c, nc, r, hdr_len);
	}
	return L7_NOMATCH;
}

/*
 * Version 1, one line of US-ASCII, single spaces, at most 107 bytes:
 *
 *   "PROXY" SP ( "TCP4" / "TCP6" ) SP srcaddr SP dstaddr SP srcport SP
 *       dstport CRLF
 *   "PROXY" SP "UNKNOWN" [ SP anything but CRLF ] CRLF
 *
 * The cursor is narrowed to 107 bytes, so a line cut short there can
 * never end: that is L7_INVALID, not L7_MORE.
 */
static enum l7_res
proxy_v1(const uint8_t *c, size_t nc, struct l7_result *r, size_t *hdr_len)
{
	struct cursor cc;
	enum step st;

	cursor_init(&cc, c, nc);
	cursor_narrow(&cc, V1_LINE_MAX);
	if (!PD_HAVE(&cc, V1_SIG_LEN))
		return L7_MORE;
	cc.p += V1_SIG_LEN;		/* matched by the caller */
	st = v1_line(&cc, r);
	if (st == STEP_MORE)
		return nc >= V1_LINE_MAX ? L7_INVALID : L7_MORE;
	if (st == STEP_BAD)
		return L7_INVALID;
	*hdr_len = (size_t)(cc.p - c);
	return L7_DONE;
}

/* The line after "PROXY ": origin on success. */
static enum step
v1_line(struct cursor *cc, struct l7_result *r)
{
	char tok[V1_ADDR_MAX + 1];
	uint8_t src[16], dst[16], term;
	uint32_t sport, dport;
	size_t i;
	int af;
	enum step st;

	if ((st = v1_token(cc, V1_TOK_PROTO, tok, V1_PROTO_MAX + 1,
	    &term)) != STEP_OK)
		return st;
	if (strcmp(tok, "UNKNOWN") == 0) {
		/* The receiver ignores everything up to the CRLF. */
		st = term == ' ' ? v1_skip_line(cc) : v1_crlf(cc, term);
		if (st == STEP_OK)
			r->origin[0] = '\0';
		return st;
	}
	if (strcmp(tok, "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(tok, "TCP6") == 0)
		af = AF_INET6;
	else
		return STEP_BAD;
	if (term != ' ')
		return STEP_BAD;

	/* inet_pton reads only the bounded, NUL-terminated local copy. */
	if ((st = v1_token(cc, V1_TOK_ADDR, tok, sizeof(tok), &term)) !=
	    STEP_OK)
		return st;
	if (term != ' ' || inet_pton(af, tok, src) != 1)
		return STEP_BAD;
	if ((st = v1_token(cc, V1_TOK_ADDR, tok, sizeof(tok), &term)) !=
	    STEP_OK)
		return st;
	if (term != ' ' || inet_pton(af, tok, dst) != 1)
		return STEP_BAD;

	/* Ports: 1 to 5 decimal digits, no sign, at most 65535. */
	if ((st = v1_token(cc, V1_TOK_PORT, tok, V1_PORT_MAX + 1, &term)) !=
	    STEP_OK)
		return st;
	if (term != ' ')
		return STEP_BAD;
	for (sport = 0, i = 0; tok[i] != '\0'; i++)
		sport = sport * 10 + (uint32_t)(tok[i] - '0');
	if ((st = v1_token(cc, V1_TOK_PORT, tok, V1_PORT_MAX + 1, &term)) !=
	    STEP_OK)
		return st;
	for (dport = 0, i = 0; tok[i] != '\0'; i++)
		dport = dport * 10 + (uint32_t)(tok[i] - '0');
	if (sport > UINT16_MAX || dport > UINT16_MAX)
		return STEP_BAD;
	if ((st = v1_crlf(cc, term)) != STEP_OK)
		return st;
	origin_set(r, af, src, (uint16_t)sport);
	return STEP_OK;
}

static int
v1_tok_byte(enum v1_tok kind, uint8_t b)
{
	int digit = b >= '0' && b <= '9';

	switch (kind) {
	case V1_TOK_PROTO:
		return digit || (b >= 'A' && b <= 'Z');
	case V1_TOK_ADDR:
		return digit || (b >= 'a' && b <= 'f') ||
		    (b >= 'A' && b <= 'F') || b == '.' || b == ':';
	case V1_TOK_PORT:
		return digit;
	}
	return 0;
}

/*
 * One token of 1 to size - 1 bytes of its kind, ended by a space or a
 * CR, which *term gets (the cursor moves past it). Any other byte, an
 * empty token (two spaces) or a longer one breaks the line at once.
 */
static enum step
v1_token(struct cursor *cc, enum v1_tok kind, char *buf, size_t size,
    uint8_t *term)
{
	size_t n;
	uint8_t b;

	for (n = 0;; n++) {
		PD_U8(cc, b);
		if (b == ' ' || b == '\r')
			break;
		if (!v1_tok_byte(kind, b) || n + 1 >= size)
			return STEP_BAD;
		buf[n] = (char)b;
	}
	if (n == 0)
		return STEP_BAD;
	buf[n] = '\0';
	*term = b;
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/* The LF after a token that ended with a CR (term). */
static enum step
v1_crlf(struct cursor *cc, uint8_t term)
{
	uint8_t b;

	if (term != '\r')
		return STEP_BAD;
	PD_U8(cc, b);
	return b == '\n' ? STEP_OK : STEP_BAD;
trunc:
	return STEP_MORE;
}

/* Everything up to and including the CRLF; a CR or LF alone is bad. */
static enum step
v1_skip_line(struct cursor *cc)
{
	uint8_t b;

	do {
		PD_U8(cc, b);
		if (b == '\n')
			return STEP_BAD;
	} while (b != '\r');
	return v1_crlf(cc, b);
trunc:
	return STEP_MORE;
}

/*
 * Version 2, binary:
 *
 *   +----+----+----+----+----+----+----+----+----+----+----+----+
 *   | 0D   0A   0D   0A   00   0D   0A   51   55   49   54   0A | signature
 *   +----+----+----+----+----+----+----+----+----+----+----+----+
 *   | ver(4)|cmd(4) | fam(4)|proto(4) |     len (BE16)      |
 *   +---------------+-----------------+---------------------+
 *   | addresses: IPv4 src 4 dst 4 sport 2 dport 2 (12),      |
 *   |   IPv6 src 16 dst 16 sport 2 dport 2 (36), UNIX 216    |
 *   | TLVs: type(1) length(BE16) value(length) ...           |  len bytes
 *   +--------------------------------------------------------+
 *
 * Version 2 only; command LOCAL (the balancer's own connection: the
 * block is ignored) or PROXY. Each field is checked as it arrives.
 */
static enum l7_res
proxy_v2(const uint8_t *c, size_t nc, struct l7_result *r, size_t *hdr_len)
{
	struct cursor cc;
	uint8_t vc, fam, src[16];
	uint16_t len, sport;
	size_t alen;
	int af;

	cursor_init(&cc, c, nc);
	PD_SKIP(&cc, V2_SIG_LEN);	/* matched by the caller */
	PD_U8(&cc, vc);
	if ((vc >> 4) != V2_VERSION ||
	    ((vc & 0xf) != V2_CMD_LOCAL && (vc & 0xf) != V2_CMD_PROXY))
		return L7_INVALID;
	PD_U8(&cc, fam);
	af = 0;
	alen = 0;
	if ((vc & 0xf) == V2_CMD_PROXY) {
		switch (fam) {
		case 0x00:		/* UNSPEC */
		case 0x31:		/* UNIX stream */
		case 0x32:		/* UNIX datagram */
			break;
		case 0x11:		/* TCP over IPv4 */
		case 0x12:		/* UDP over IPv4 */
			af = AF_INET;
			alen = V2_ADDR_INET;
			break;
		case 0x21:		/* TCP over IPv6 */
		case 0x22:		/* UDP over IPv6 */
			af = AF_INET6;
			alen = V2_ADDR_INET6;
			break;
		default:
			return L7_INVALID;
		}
	}
	PD_BE16(&cc, len);
	if (len < alen)
		return L7_INVALID;
	PD_NEED(&cc, len);
	cursor_narrow(&cc, len);
	if (af == AF_INET) {
		PD_BYTES(&cc, src, 4);
		PD_SKIP(&cc, 4);
		PD_BE16(&cc, sport);
		PD_SKIP(&cc, 2);
	} else if (af == AF_INET6) {
		PD_BYTES(&cc, src, 16);
		PD_SKIP(&cc, 16);
		PD_BE16(&cc, sport);
		PD_SKIP(&cc, 2);
	}
	/* The TLVs must fill the rest of a block whose layout is known. */
	if (af != 0 && v2_tlvs(&cc) != STEP_OK)
		return L7_INVALID;
	if (af != 0)
		origin_set(r, af, src, sport);
	else
		r->origin[0] = '\0';
	*hdr_len = V2_HDR_LEN + (size_t)len;
	return L7_DONE;
trunc:
	return L7_MORE;
}

/* The TLVs to the end of the narrowed block: none may run past it. */
static enum step
v2_tlvs(struct cursor *cc)
{
	uint16_t tlen;

	while (cursor_left(cc) > 0) {
		PD_SKIP(cc, 1);		/* type */
		PD_BE16(cc, tlen);
		PD_SKIP(cc, tlen);
	}
	return STEP_OK;
trunc:
	return STEP_BAD;
}

/* origin = "ip:port", IPv6 in brackets (l7__host_port). */
static void
origin_set(struct l7_result *r, int af, const uint8_t *addr, uint16_t port)
{
	char host[INET6_ADDRSTRLEN];

	if (inet_ntop(af, addr, host, sizeof(host)) == NULL) {
		r->origin[0] = '\0';
		return;
	}
	l7__host_port(r->origin, sizeof(r->origin), host, port);
}
