/*
 * l7: what a proxy session's first bytes say: who asked (user), for what
 * (target), whether the proxy let it through (verdict), and the original
 * client a load balancer put in front (origin). Pure functions over the
 * in-order bytes of each direction seen so far (tcp_stream.c puts them in
 * order); every call parses from the start, so any split of the bytes into
 * segments gives the same answer. Detection is by content, never by port.
 * One parser per protocol, each citing its RFC: l7_socks.c (SOCKS4/4a,
 * SOCKS5 RFC 1928, RFC 1929), l7_http.c (CONNECT, absolute-URI requests,
 * Host; RFC 9110/9112, RFC 7617), l7_tls.c (ClientHello SNI; RFC 8446,
 * RFC 6066), l7_proxy.c (PROXY protocol v1/v2, HAProxy's spec); l7.c
 * chains them (PROXY header, then a proxy handshake, then TLS in the
 * tunnel) and applies the target precedence of DESIGN.md.
 */
#ifndef SA_CAPTURE_L7_H
#define SA_CAPTURE_L7_H

#include <stddef.h>
#include <stdint.h>

#define L7_STR_MAX	255	/* user, target, sni, host: bytes, no NUL */
#define L7_ORIGIN_MAX	47	/* "[v6]:port" */

enum l7_res {
	L7_MORE = 0,	/* could still be this protocol: needs more bytes */
	L7_DONE,	/* finished: the result holds all it can learn */
	L7_NOMATCH,	/* not this protocol (nothing learnt) */
	L7_INVALID,	/* began as this protocol, then broke its rules */
};

enum l7_kind {
	L7_NONE = 0,
	L7_SOCKS4,		/* SOCKS4 and 4a */
	L7_SOCKS5,
	L7_HTTP_CONNECT,
	L7_HTTP_PROXY,		/* request with an absolute URI */
	L7_HTTP,		/* plain request: Host header */
	L7_TLS,			/* ClientHello (SNI) outside any tunnel */
	L7_KIND_MAX
};

enum l7_verdict {
	L7_V_UNKNOWN = 0,	/* no answer from the proxy (yet) */
	L7_V_OK,		/* granted / 2xx */
	L7_V_REJECTED,		/* the proxy's ACL or auth refused */
	L7_V_FAILED,		/* the proxy tried and failed */
};

/*
 * What was learnt. Strings are NUL-terminated, "" when unknown, and hold
 * only printable ASCII (0x20..0x7e): other bytes of the wire are written
 * as '?'. Passwords are never copied here (nor anywhere).
 */
struct l7_result {
	uint8_t		kind;		/* enum l7_kind */
	uint8_t		verdict;	/* enum l7_verdict */
	uint8_t		proxy_hdr;	/* 1 or 2: a PROXY header came first */
	char		user[L7_STR_MAX + 1];
	/* The target by the precedence of DESIGN.md, composed by l7.c:
	 * "host:port", IPv6 literals as "[addr]:port". */
	char		target[L7_STR_MAX + 1];
	/* Raw pieces the parsers fill, before precedence. */
	char		req_target[L7_STR_MAX + 1];	/* SOCKS, CONNECT, URI */
	char		sni[L7_STR_MAX + 1];		/* TLS server_name */
	char		host[L7_STR_MAX + 1];		/* HTTP Host as sent */
	char		origin[L7_ORIGIN_MAX + 1];	/* PROXY source ip:port */
	/* SOCKS: the requested address when it is an IP literal (af 4/6,
	 * else 0), and the reply's BND.ADDR/BND.PORT (af 0 if none or
	 * all zero); for linking a proxy's two legs. */
	uint8_t		req_af, bnd_af;
	uint16_t	req_port, bnd_port;
	uint8_t		req_addr[16], bnd_addr[16];
	/* Where the bytes after the proxy handshake (the tunnel) begin in
	 * each direction, valid once verdict is L7_V_OK. */
	uint32_t	c_tunnel, s_tunnel;
};

/*
 * The whole chain over the bytes so far. c/nc: client to server, in
 * order; s/ns: server to client. c_end/s_end: nonzero when that direction
 * will bring no more bytes (FIN, gap, budget spent), so "needs more"
 * becomes final. srv_port: the session's server port, for SNI and Host
 * targets without one. r is filled from scratch (borrowed for the call).
 * L7_MORE while the exchange is incomplete (if both ends are set, it
 * stays so: the caller decides why it gave up); L7_DONE when nothing more
 * can be learnt; L7_NOMATCH when no parser recognised the client's bytes
 * (r->origin may still hold a PROXY header's); L7_INVALID when a
 * recognised protocol broke its rules (r keeps what was learnt before).
 */
enum l7_res l7_parse(const uint8_t *c, size_t nc, int c_end,
    const uint8_t *s, size_t ns, int s_end, uint16_t srv_port,
    struct l7_result *r);

/*
 * The parsers, each over the bytes at the start of its protocol (c/s
 * already past any PROXY header). They fill only their own fields of r
 * (kind, verdict, user, req_target, req_*, bnd_*, sni, host, origin,
 * c_tunnel/s_tunnel) and return as l7_parse does. They never read past
 * c + nc or s + ns, and never allocate.
 */
enum l7_res l7_socks_parse(const uint8_t *c, size_t nc, const uint8_t *s,
    size_t ns, struct l7_result *r);
enum l7_res l7_http_parse(const uint8_t *c, size_t nc, const uint8_t *s,
    size_t ns, struct l7_result *r);
/* Client bytes only: one ClientHello, possibly over several records. */
enum l7_res l7_tls_parse(const uint8_t *c, size_t nc, struct l7_result *r);
/* PROXY v1/v2 header; *hdr_len gets its length when L7_DONE. */
enum l7_res l7_proxy_parse(const uint8_t *c, size_t nc, struct l7_result *r,
    size_t *hdr_len);

/* Names for counters and logs ("socks5", "http_connect", ...). */
const char *l7_kind_name(enum l7_kind);

/*
 * Helpers shared by the parsers (l7.c). l7__copy_text copies n bytes of
 * src as a NUL-terminated printable string into dst (L7_STR_MAX + 1
 * bytes), cutting at L7_STR_MAX, other bytes as '?'.
 * l7__host_port writes "host:port" ("[host]:port" if host has a ':').
 */
void	l7__copy_text(char *dst, const uint8_t *src, size_t n);
void	l7__host_port(char *dst, size_t dstlen, const char *host,
	    uint16_t port);

#endif
