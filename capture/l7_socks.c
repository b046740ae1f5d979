/*
 * l7_socks: the SOCKS handshake at the start of a proxy connection, read
 * from both directions: SOCKS4 (Ying-Da Lee, "SOCKS: A protocol for
 * TCP proxy across firewalls") with its SOCKS 4A extension, and SOCKS5
 * (RFC 1928) with username/password authentication (RFC 1929). It learns
 * the user, the requested target and the proxy's answer. It never copies
 * a password, and it does not follow GSS-API or other encapsulations.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "l7.h"

#define S4_VER		4
#define S4_CD_CONNECT	1
#define S4_CD_BIND	2
#define S4_REP_GRANTED	90
#define S4_REP_LAST	93	/* 91 refused, 92 no identd, 93 mismatch */
#define S4_REPLY_LEN	8
#define S4_STR_MAX	255	/* USERID and DOMAIN, bytes before the NUL */

#define S5_VER		5
#define S5_AUTH_VER	1	/* RFC 1929 sub-negotiation version */
#define S5_M_NONE	0x00
#define S5_M_USERPASS	0x02
#define S5_M_REFUSED	0xff
#define S5_CMD_LAST	3	/* CONNECT, BIND, UDP ASSOCIATE */
#define S5_ATYP_IPV4	1
#define S5_ATYP_DOMAIN	3
#define S5_ATYP_IPV6	4
#define S5_REP_OK	0
#define S5_REP_RULESET	2	/* connection not allowed by ruleset */
#define S5_REP_LAST	8

/* How far one message got. */
enum step {
	STEP_OK,	/* complete and valid */
	STEP_MORE,	/* valid so far, cut short */
	STEP_BAD,	/* breaks the protocol */
	STEP_WAIT,	/* what follows cannot be read (yet): stop there */
};

/* A SOCKS5 address with its port, as text and, for IPs, as bytes. */
struct s5_addr {
	uint8_t		af;		/* 4, 6, or 0 for a domain name */
	uint8_t		addr[16];
	uint16_t	port;
	char		host[L7_STR_MAX + 1];
};

static enum l7_res step_res(enum step);
static enum step s4_string(struct cursor *, const uint8_t **, size_t *);
static enum l7_res socks4_parse(const uint8_t *, size_t, const uint8_t *,
    size_t, struct l7_result *);
static int s5_offered(const uint8_t *, unsigned);
static int s5_only_none_userpass(const uint8_t *);
static enum step s5_greeting(struct cursor *, uint8_t *);
static enum step s5_auth(struct cursor *, struct l7_result *);
static enum step s5_addr(struct cursor *, struct s5_addr *);
static enum step s5_request(struct cursor *, struct l7_result *);
static enum step s5_client_rest(struct cursor *, const uint8_t *, int,
    struct l7_result *, int *);
static enum step s5_pair(struct cursor *, uint8_t, uint8_t *);
static enum step s5_reply(struct cursor *, struct l7_result *);
static enum l7_res socks5_parse(const uint8_t *, size_t, const uint8_t *,
    size_t, struct l7_result *);

/*
 * Detection by the first two bytes: a version and a command or method
 * count no other protocol we read starts with. Past them, whatever
 * breaks the protocol is L7_INVALID.
 */
enum l7_res
l7_socks_parse(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	static const uint8_t none[1];

	if (nc == 0)
		return L7_MORE;
	if (ns == 0 || s == NULL) {
		/* A cursor over NULL would do arithmetic on it. */
		s = none;
		ns = 0;
	}
	switch (c[0]) {
	case S4_VER:
		if (nc < 2)
			return L7_MORE;
		if (c[1] != S4_CD_CONNECT && c[1] != S4_CD_BIND)
			return L7_NOMATCH;
		r->kind = L7_SOCKS4;
		return socks4_parse(c, nc, s, ns, r);
	case S5_VER:
		if (nc < 2)
			return L7_MORE;
		if (c[1] == 0)
			return L7_NOMATCH;
		r->kind = L7_SOCKS5;
		return socks5_parse(c, nc, s, ns, r);
	default:
		return L7_NOMATCH;
	}
}

static enum l7_res
step_res(enum step st)
{
	return st == STEP_BAD ? L7_INVALID : L7_MORE;
}

/*
 * SOCKS4 request, and SOCKS 4A when DSTIP is 0.0.0.x with x != 0:
 *
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *   | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *      1    1      2              4           variable       1
 *   4A only, then:                            | DOMAIN       |NULL|
 *
 * Reply (VN 0; CD 90 granted, 91 rejected or failed, 92 and 93 identd):
 *
 *   +----+----+----+----+----+----+----+----+
 *   | VN | CD | DSTPORT |      DSTIP        |
 *   +----+----+----+----+----+----+----+----+
 *
 * The reply's port and address matter for BIND only (CONNECT replies
 * "are ignored"), so they become bnd_* for BIND only.
 */
static enum l7_res
socks4_parse(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	struct cursor cc, sc;
	const uint8_t *str;
	size_t len;
	char host[L7_STR_MAX + 1];
	uint8_t cd, ip[4], vn, rep, bip[4];
	uint16_t port, bport;
	enum step st;

	cursor_init(&cc, c, nc);
	PD_SKIP(&cc, 1);		/* VN, checked by the caller */
	PD_U8(&cc, cd);
	PD_BE16(&cc, port);
	PD_BYTES(&cc, ip, 4);
	if ((st = s4_string(&cc, &str, &len)) != STEP_OK)
		return step_res(st);
	if (len > 0)
		l7__copy_text(r->user, str, len);
	if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0) {
		if ((st = s4_string(&cc, &str, &len)) != STEP_OK)
			return step_res(st);
		if (len == 0)
			return L7_INVALID;
		l7__copy_text(host, str, len);
	} else {
		if (inet_ntop(AF_INET, ip, host, sizeof(host)) == NULL)
			host[0] = '\0';
		r->req_af = 4;
		memcpy(r->req_addr, ip, sizeof(ip));
		r->req_port = port;
	}
	l7__host_port(r->req_target, sizeof(r->req_target), host, port);

	/* Each field is checked as it arrives, so a bad reply is INVALID
	 * before all eight bytes are in. */
	cursor_init(&sc, s, ns);
	PD_U8(&sc, vn);
	if (vn != 0)
		return L7_INVALID;
	PD_U8(&sc, rep);
	if (rep < S4_REP_GRANTED || rep > S4_REP_LAST)
		return L7_INVALID;
	PD_BE16(&sc, bport);
	PD_BYTES(&sc, bip, 4);
	if (rep != S4_REP_GRANTED) {
		r->verdict = L7_V_REJECTED;
		return L7_DONE;
	}
	r->verdict = L7_V_OK;
	if (cd == S4_CD_BIND && (bip[0] | bip[1] | bip[2] | bip[3]) != 0) {
		r->bnd_af = 4;
		memcpy(r->bnd_addr, bip, sizeof(bip));
		r->bnd_port = bport;
	}
	r->c_tunnel = (uint32_t)(cc.p - c);
	r->s_tunnel = S4_REPLY_LEN;
	return L7_DONE;
trunc:
	return L7_MORE;
}

/*
 * A NUL-terminated USERID or DOMAIN of at most S4_STR_MAX bytes: *strp
 * and *lenp get the bytes before the NUL, and the cursor moves past it.
 * Without a NUL in the first S4_STR_MAX + 1 bytes it is not SOCKS4.
 */
static enum step
s4_string(struct cursor *cc, const uint8_t **strp, size_t *lenp)
{
	const uint8_t *nul;
	size_t left, lim;

	left = cursor_left(cc);
	lim = left < S4_STR_MAX + 1 ? left : S4_STR_MAX + 1;
	if ((nul = memchr(cc->p, 0, lim)) == NULL)
		return left > S4_STR_MAX ? STEP_BAD : STEP_MORE;
	*strp = cc->p;
	*lenp = (size_t)(nul - cc->p);
	cc->p = nul + 1;
	return STEP_OK;
}

/*
 * SOCKS5, RFC 1928 sections 3 to 6, with the RFC 1929 sub-negotiation:
 *
 *   greeting (client)                 method choice (server)
 *   +----+----------+----------+      +----+--------+
 *   |VER | NMETHODS | METHODS  |      |VER | METHOD |
 *   +----+----------+----------+      +----+--------+
 *   | 1  |    1     | 1 to 255 |      | 1  |   1    |
 *
 *   RFC 1929 request (client)                    status (server)
 *   +----+------+----------+------+----------+   +----+--------+
 *   |VER | ULEN |  UNAME   | PLEN |  PASSWD  |   |VER | STATUS |
 *   +----+------+----------+------+----------+   +----+--------+
 *   | 1  |  1   | 1 to 255 |  1   | 1 to 255 |   | 1  |   1    |
 *
 *   request (client: CMD, DST.*) and reply (server: REP, BND.*)
 *   +----+---------+-------+------+----------+----------+
 *   |VER | CMD/REP |  RSV  | ATYP | DST.ADDR | DST.PORT |
 *   +----+---------+-------+------+----------+----------+
 *   | 1  |    1    | X'00' |  1   | Variable |    2     |
 *
 * Clients may send greeting, authentication and request back to back
 * before any answer, so each direction is read on its own and the
 * server's messages are matched to the client's in order afterwards.
 */
static enum l7_res
socks5_parse(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	struct cursor cc, sc;
	uint8_t offered[32], m, status;
	size_t c_len;
	int method, auth_done;
	enum step cst, sst;

	cursor_init(&cc, c, nc);
	cursor_init(&sc, s, ns);
	if ((cst = s5_greeting(&cc, offered)) != STEP_OK)
		return step_res(cst);

	method = -1;
	if ((sst = s5_pair(&sc, S5_VER, &m)) == STEP_BAD)
		return L7_INVALID;
	if (sst == STEP_OK) {
		/* The server must pick one of the client's methods. */
		if (m != S5_M_REFUSED && !s5_offered(offered, m))
			return L7_INVALID;
		method = m;
	}

	auth_done = 0;
	if ((cst = s5_client_rest(&cc, offered, method, r, &auth_done)) ==
	    STEP_BAD)
		return L7_INVALID;
	c_len = (size_t)(cc.p - c);

	if (method < 0)
		return L7_MORE;
	if (method == S5_M_REFUSED) {
		r->verdict = L7_V_REJECTED;
		return L7_DONE;
	}
	if (method != S5_M_NONE && method != S5_M_USERPASS)
		return L7_DONE;		/* encapsulated from here on */
	if (method == S5_M_USERPASS) {
		if ((sst = s5_pair(&sc, S5_AUTH_VER, &status)) != STEP_OK)
			return step_res(sst);
		if (status != 0) {
			/* RFC 1929: the server closes the connection. */
			r->verdict = L7_V_REJECTED;
			return auth_done ? L7_DONE : L7_MORE;
		}
	}
	if ((sst = s5_reply(&sc, r)) != STEP_OK)
		return step_res(sst);
	/* The client's request, answered already, may still be on its way
	 * in the capture. */
	if (cst != STEP_OK)
		return L7_MORE;
	if (r->verdict == L7_V_OK) {
		r->c_tunnel = (uint32_t)c_len;
		r->s_tunnel = (uint32_t)(sc.p - s);
	}
	return L7_DONE;
}

static int
s5_offered(const uint8_t *offered, unsigned m)
{
	return (offered[m >> 3] >> (m & 7)) & 1;
}

/* True if the client offered no method but "none" and RFC 1929. */
static int
s5_only_none_userpass(const uint8_t *offered)
{
	size_t i;

	if ((offered[0] & ~((1u << S5_M_NONE) | (1u << S5_M_USERPASS))) != 0)
		return 0;
	for (i = 1; i < 32; i++)
		if (offered[i] != 0)
			return 0;
	return 1;
}

/* The greeting; offered (32 bytes) gets the methods as a bit set. */
static enum step
s5_greeting(struct cursor *cc, uint8_t *offered)
{
	uint8_t n, m, i;

	memset(offered, 0, 32);
	PD_SKIP(cc, 1);			/* VER, checked by the caller */
	PD_U8(cc, n);
	if (n == 0)
		return STEP_BAD;
	for (i = 0; i < n; i++) {
		PD_U8(cc, m);
		offered[m >> 3] |= (uint8_t)(1u << (m & 7));
	}
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/*
 * What the client sends after its greeting: an RFC 1929 request when it
 * authenticates, then the SOCKS request. With the server's choice known
 * that decides; before it, the client may have pipelined, and when it
 * offered only "none" and RFC 1929 the next byte tells (version 1 or 5).
 * Otherwise (GSS-API, private methods, or no choice yet among them) the
 * bytes are not readable: STEP_WAIT. *auth_done: the RFC 1929 request is
 * complete.
 */
static enum step
s5_client_rest(struct cursor *cc, const uint8_t *offered, int method,
    struct l7_result *r, int *auth_done)
{
	enum step st;
	int auth;

	if (method == S5_M_NONE || method == S5_M_USERPASS)
		auth = method == S5_M_USERPASS;
	else if (s5_only_none_userpass(offered)) {
		if (!PD_HAVE(cc, 1))
			return STEP_MORE;
		auth = PD_AT_U8(cc, 0) == S5_AUTH_VER;
		if (!s5_offered(offered, auth ? S5_M_USERPASS : S5_M_NONE))
			return STEP_BAD;
	} else
		return STEP_WAIT;
	if (auth) {
		if ((st = s5_auth(cc, r)) != STEP_OK)
			return st;
		*auth_done = 1;
	}
	return s5_request(cc, r);
}

/*
 * The RFC 1929 request. The user is recorded once the whole message is
 * in; the password is stepped over by its length and never read.
 */
static enum step
s5_auth(struct cursor *cc, struct l7_result *r)
{
	const uint8_t *uname;
	uint8_t ver, ulen, plen;

	PD_U8(cc, ver);
	if (ver != S5_AUTH_VER)
		return STEP_BAD;
	PD_U8(cc, ulen);
	if (ulen == 0)
		return STEP_BAD;
	uname = cc->p;
	PD_SKIP(cc, ulen);
	/* PLEN 0 breaks RFC 1929, but clients (curl) send an empty
	 * password when given none; it says nothing about the user. */
	PD_U8(cc, plen);
	PD_SKIP(cc, plen);
	l7__copy_text(r->user, uname, ulen);
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/* ATYP, then the address it announces, then the port. */
static enum step
s5_addr(struct cursor *cc, struct s5_addr *a)
{
	uint8_t atyp, n;

	memset(a, 0, sizeof(*a));
	PD_U8(cc, atyp);
	switch (atyp) {
	case S5_ATYP_IPV4:
		PD_BYTES(cc, a->addr, 4);
		a->af = 4;
		if (inet_ntop(AF_INET, a->addr, a->host, sizeof(a->host)) ==
		    NULL)
			a->host[0] = '\0';
		break;
	case S5_ATYP_DOMAIN:
		PD_U8(cc, n);
		if (n == 0)
			return STEP_BAD;
		PD_NEED(cc, n);
		l7__copy_text(a->host, cc->p, n);
		cc->p += n;
		break;
	case S5_ATYP_IPV6:
		PD_BYTES(cc, a->addr, 16);
		a->af = 6;
		if (inet_ntop(AF_INET6, a->addr, a->host, sizeof(a->host)) ==
		    NULL)
			a->host[0] = '\0';
		break;
	default:
		return STEP_BAD;
	}
	PD_BE16(cc, a->port);
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/* The request: req_target, and req_* for an IP literal. */
static enum step
s5_request(struct cursor *cc, struct l7_result *r)
{
	struct s5_addr a;
	uint8_t ver, cmd, rsv;
	enum step st;

	PD_U8(cc, ver);
	if (ver != S5_VER)
		return STEP_BAD;
	PD_U8(cc, cmd);
	if (cmd == 0 || cmd > S5_CMD_LAST)
		return STEP_BAD;
	PD_U8(cc, rsv);
	if (rsv != 0)
		return STEP_BAD;
	if ((st = s5_addr(cc, &a)) != STEP_OK)
		return st;
	l7__host_port(r->req_target, sizeof(r->req_target), a.host, a.port);
	if (a.af != 0) {
		r->req_af = a.af;
		memcpy(r->req_addr, a.addr, sizeof(a.addr));
		r->req_port = a.port;
	}
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/* A two-byte server message, the method choice or the RFC 1929 status:
 * version ver, then the value. */
static enum step
s5_pair(struct cursor *sc, uint8_t ver, uint8_t *v)
{
	uint8_t b;

	PD_U8(sc, b);
	if (b != ver)
		return STEP_BAD;
	PD_U8(sc, *v);
	return STEP_OK;
trunc:
	return STEP_MORE;
}

/* The reply: the verdict, and bnd_* for a non-zero IP on success. */
static enum step
s5_reply(struct cursor *sc, struct l7_result *r)
{
	struct s5_addr a;
	uint8_t ver, rep, rsv;
	enum step st;

	PD_U8(sc, ver);
	if (ver != S5_VER)
		return STEP_BAD;
	PD_U8(sc, rep);
	if (rep > S5_REP_LAST)
		return STEP_BAD;
	PD_U8(sc, rsv);
	if (rsv != 0)
		return STEP_BAD;
	if ((st = s5_addr(sc, &a)) != STEP_OK)
		return st;
	if (rep == S5_REP_OK) {
		static const uint8_t zero[16];

		r->verdict = L7_V_OK;
		if (a.af != 0 && memcmp(a.addr, zero, sizeof(zero)) != 0) {
			r->bnd_af = a.af;
			memcpy(r->bnd_addr, a.addr, sizeof(a.addr));
			r->bnd_port = a.port;
		}
	} else if (rep == S5_REP_RULESET)
		r->verdict = L7_V_REJECTED;
	else
		r->verdict = L7_V_FAILED;
	return STEP_OK;
trunc:
	return STEP_MORE;
}
