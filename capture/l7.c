/*
 * l7: the chain of content parsers over a session's first bytes (l7.h):
 * a PROXY protocol header if one comes first, then SOCKS, HTTP or TLS
 * found by their first bytes, then TLS inside the tunnel a proxy opened;
 * and the target precedence of DESIGN.md over what they found. Also the
 * small text helpers every parser shares.
 */
#include <stddef.h>
#include <string.h>

#include "l7.h"

static const char *const kind_names[L7_KIND_MAX] = {
	"none", "socks4", "socks5", "http_connect", "http_proxy", "http",
	"tls",
};

const char *
l7_kind_name(enum l7_kind k)
{
	return (unsigned)k < L7_KIND_MAX ? kind_names[k] : "unknown";
}

void
l7__copy_text(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > L7_STR_MAX)
		n = L7_STR_MAX;
	for (i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? (char)src[i] : '?';
	dst[n] = '\0';
}

/*
 * What snprintf(dst, dstlen, "%s:%u") (or "[%s]:%u") writes, cut the same
 * way, without its cost: it runs for most connections' targets.
 */
void
l7__host_port(char *dst, size_t dstlen, const char *host, uint16_t port)
{
	char num[5];
	size_t n = 0, k = 0;
	int br = strchr(host, ':') != NULL && host[0] != '[';

	if (dstlen == 0)
		return;
	do {
		num[k++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0);
	if (br && n + 1 < dstlen)
		dst[n++] = '[';
	for (; *host != '\0' && n + 1 < dstlen; host++)
		dst[n++] = *host;
	if (br && n + 1 < dstlen)
		dst[n++] = ']';
	if (n + 1 < dstlen)
		dst[n++] = ':';
	while (k > 0 && n + 1 < dstlen)
		dst[n++] = num[--k];
	dst[n] = '\0';
}

/*
 * The target by precedence: what the client asked a proxy for (SOCKS
 * request, CONNECT authority, absolute URI), else the TLS server name
 * with the server port, else the HTTP Host (with the server port when it
 * names none).
 */
static void
compose_target(struct l7_result *r, uint16_t srv_port)
{
	const char *close;

	/* A UDP ASSOCIATE or BIND names no destination ("0.0.0.0:0"). */
	if (r->req_target[0] != '\0' && strcmp(r->req_target, "0.0.0.0:0") &&
	    strcmp(r->req_target, "[::]:0"))
		memcpy(r->target, r->req_target, strlen(r->req_target) + 1);
	else if (r->sni[0] != '\0')
		l7__host_port(r->target, sizeof(r->target), r->sni, srv_port);
	else if (r->host[0] != '\0') {
		/* "name:port" and "[v6]:port" name a port; "[v6]" and a
		 * bare name do not. */
		close = strrchr(r->host, ']');
		if (strchr(close != NULL ? close : r->host, ':') != NULL)
			memcpy(r->target, r->host, strlen(r->host) + 1);
		else
			l7__host_port(r->target, sizeof(r->target), r->host,
			    srv_port);
	}
}

/* TLS inside the tunnel a proxy opened: its SNI, never its kind. */
static enum l7_res
tunnel_tls(const uint8_t *c, size_t nc, int c_end, struct l7_result *r)
{
	uint8_t kind = r->kind;
	enum l7_res res;

	if (r->c_tunnel > nc)
		return c_end ? L7_DONE : L7_MORE;
	res = l7_tls_parse(c + r->c_tunnel, nc - r->c_tunnel, r);
	r->kind = kind;
	if (res == L7_MORE && !c_end)
		return L7_MORE;
	/* Whatever the tunnel carries, the proxy's answer is complete. */
	return L7_DONE;
}

enum l7_res
l7_parse(const uint8_t *c, size_t nc, int c_end, const uint8_t *s,
    size_t ns, int s_end, uint16_t srv_port, struct l7_result *r)
{
	size_t hdr = 0;
	enum l7_res res;

	/*
	 * From scratch, without clearing the 1.3 KB of string space: every
	 * string is read up to its NUL only, so an empty one is a NUL.
	 */
	r->kind = L7_NONE;
	r->verdict = L7_V_UNKNOWN;
	r->proxy_hdr = 0;
	r->user[0] = r->target[0] = r->req_target[0] = '\0';
	r->sni[0] = r->host[0] = r->origin[0] = '\0';
	memset(&r->req_af, 0, sizeof(*r) - offsetof(struct l7_result, req_af));
	if (c == NULL)
		nc = 0;
	if (s == NULL)
		ns = 0;
	if (nc == 0)
		return c_end ? L7_NOMATCH : L7_MORE;
	res = l7_proxy_parse(c, nc, r, &hdr);
	if (res == L7_MORE || res == L7_INVALID)
		return res;
	if (res == L7_NOMATCH)
		hdr = 0;
	c += hdr;
	nc -= hdr;
	if (nc == 0)
		return c_end ? (r->proxy_hdr ? L7_DONE : L7_NOMATCH) : L7_MORE;
	(void)s_end;

	if ((res = l7_socks_parse(c, nc, s, ns, r)) == L7_NOMATCH &&
	    (res = l7_http_parse(c, nc, s, ns, r)) == L7_NOMATCH &&
	    (res = l7_tls_parse(c, nc, r)) == L7_NOMATCH)
		return r->proxy_hdr ? L7_DONE : L7_NOMATCH;
	if (res == L7_DONE && r->verdict == L7_V_OK &&
	    (r->kind == L7_SOCKS4 || r->kind == L7_SOCKS5 ||
	    r->kind == L7_HTTP_CONNECT))
		res = tunnel_tls(c, nc, c_end, r);
	compose_target(r, srv_port);
	return res;
}
