/*
 * l7: the chain of content parsers over a session's first bytes (l7.h):
 * a PROXY protocol header if one comes first, then SOCKS, HTTP or TLS
 * found by their first bytes, then TLS inside the tunnel a proxy opened;
 * and the target precedence of DESIGN.md over what they found. Also the
 * small text helpers every parser shares.
 */
#include <stdio.h>
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

void
l7__host_port(char *dst, size_t dstlen, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		snprintf(dst, dstlen, "[%s]:%u", host, (unsigned)port);
	else
		snprintf(dst, dstlen, "%s:%u", host, (unsigned)port);
}

enum l7_res
l7_parse(const uint8_t *c, size_t nc, int c_end, const uint8_t *s,
    size_t ns, int s_end, uint16_t srv_port, struct l7_result *r)
{
	(void)c; (void)nc; (void)c_end; (void)s; (void)ns; (void)s_end;
	(void)srv_port;
	memset(r, 0, sizeof(*r));
	return L7_NOMATCH;
}
