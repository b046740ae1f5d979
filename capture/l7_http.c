/*
 * l7_http: the head of an HTTP/1.x request and of its answer, as a proxy
 * sees them (RFC 9110 semantics, RFC 9112 message syntax): a CONNECT
 * authority, an absolute URI's host:port, or a plain request's Host; the
 * user of a Basic Proxy-Authorization (RFC 7617), never its password; and
 * the proxy's status code as a verdict. Not an HTTP parser for bodies,
 * chunking, HTTP/2 or anything past the first response head.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l7.h"

#define HTTP_METHOD_MAX		16	/* letters of a method token */
#define HTTP_LINE_MAX		8192	/* one line, without CRLF */
#define HTTP_HEAD_MAX		16384	/* header lines + the empty line */
#define HTTP_AUTH_MAX		512	/* decoded Basic credentials */
#define HTTP_INTERIM_MAX	8	/* 1xx answers skipped before giving up */

/* Where the fields a request head may carry are interpreted. */
struct http_state {
	struct l7_result	*r;
	int			 host_seen;
	int			 user_seen;
};

static enum l7_res http_line(const uint8_t *, size_t, size_t, size_t,
    size_t *, size_t *);
static enum l7_res http_head(const uint8_t *, size_t, size_t,
    struct http_state *, size_t *);
static enum l7_res http_status(const uint8_t *, size_t, size_t, int *,
    size_t *);
static enum l7_res http_request_line(const uint8_t *, size_t, size_t,
    struct l7_result *);
static void	http_field(struct http_state *, const uint8_t *, size_t,
    const uint8_t *, size_t);
static void	http_basic_user(struct http_state *, const uint8_t *, size_t);
static int	http_b64(const uint8_t *, size_t, uint8_t *, size_t,
    size_t *);
static int	http_authority(const uint8_t *, size_t, int, size_t *,
    uint16_t *);
static int	http_absolute(const uint8_t *, size_t, struct l7_result *);
static int	http_ieq(const uint8_t *, size_t, const char *);
static int	http_tchar(uint8_t);

/*
 * A request head (RFC 9112 section 2.1, 3 and 5), text lines ended by CRLF
 * (a bare LF is accepted, section 2.2):
 *
 *   method SP request-target SP HTTP/1.x CRLF
 *   field-name ":" OWS field-value OWS CRLF     (zero or more)
 *   CRLF
 *
 * and the response head the same way with the status line
 *   HTTP/1.x SP 3DIGIT SP [reason-phrase] CRLF
 * in front. The request-target's form decides the kind: authority-form
 * "host:port" for CONNECT, absolute-form "scheme://authority/path" for a
 * forward proxy, origin-form "/path" (or "*") for a server.
 */
enum l7_res
l7_http_parse(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	struct http_state st;
	enum l7_res res;
	size_t i, ll, off, c_head, s_off, s_next, s_head;
	int code, interim;

	/* Detection: 1..16 uppercase letters, then one SP. */
	for (i = 0; i < nc && i <= HTTP_METHOD_MAX; i++)
		if (c[i] < 'A' || c[i] > 'Z')
			break;
	if (i > HTTP_METHOD_MAX)
		return L7_NOMATCH;
	if (i == nc)
		return L7_MORE;
	if (i == 0 || c[i] != ' ')
		return L7_NOMATCH;

	res = http_line(c, nc, 0, SIZE_MAX, &ll, &off);
	if (res != L7_DONE)
		return res;
	res = http_request_line(c, ll, i, r);
	if (res != L7_DONE)
		return res;

	memset(&st, 0, sizeof(st));
	st.r = r;
	res = http_head(c, nc, off, &st, &c_head);
	if (res != L7_DONE)
		return res;
	/* A server's status says nothing about a proxy. */
	if (r->kind == L7_HTTP)
		return L7_DONE;

	/*
	 * The proxy's answer. Interim 1xx answers (100 Continue, 102, 103;
	 * RFC 9110 section 15.2) come before the final one and are skipped;
	 * 101 Switching Protocols is final.
	 */
	s_off = 0;
	for (interim = 0;; interim++) {
		res = http_status(s, ns, s_off, &code, &s_next);
		if (res != L7_DONE)
			return res;
		if (code >= 200 || code == 101)
			break;
		if (interim == HTTP_INTERIM_MAX)
			return L7_DONE;
		res = http_head(s, ns, s_next, NULL, &s_off);
		if (res != L7_DONE)
			return res;
	}
	if (code >= 200 && code <= 299) {
		if (r->kind == L7_HTTP_CONNECT) {
			/* The tunnel starts after the whole response head;
			 * the verdict waits for it so that c_tunnel and
			 * s_tunnel are valid whenever it says OK. */
			res = http_head(s, ns, s_next, NULL, &s_head);
			if (res != L7_DONE)
				return res;
			r->c_tunnel = (uint32_t)c_head;
			r->s_tunnel = (uint32_t)s_head;
		}
		r->verdict = L7_V_OK;
	} else if (code == 401 || code == 403 || code == 407)
		r->verdict = L7_V_REJECTED;
	else if (r->kind == L7_HTTP_CONNECT &&
	    (code == 502 || code == 503 || code == 504))
		r->verdict = L7_V_FAILED;
	return L7_DONE;
}

/*
 * The line starting at off of b[0..n): L7_DONE with its length without
 * CR LF in *len and the offset past its LF in *next; L7_MORE if its LF has
 * not come yet; L7_INVALID if it is longer than HTTP_LINE_MAX or runs past
 * lim (the end of the header section). off <= n and off <= lim.
 */
static enum l7_res
http_line(const uint8_t *b, size_t n, size_t off, size_t lim, size_t *len,
    size_t *next)
{
	const uint8_t *lf;
	size_t avail, scan, l;

	avail = n - off;
	scan = HTTP_LINE_MAX + 2;	/* content, CR, LF */
	if (scan > lim - off)
		scan = lim - off;
	if (avail == 0)
		return scan == 0 ? L7_INVALID : L7_MORE;
	lf = memchr(b + off, '\n', avail < scan ? avail : scan);
	if (lf == NULL)
		return avail >= scan ? L7_INVALID : L7_MORE;
	l = (size_t)(lf - (b + off));
	*next = off + l + 1;
	if (l > 0 && b[off + l - 1] == '\r')
		l--;
	if (l > HTTP_LINE_MAX)
		return L7_INVALID;
	*len = l;
	return L7_DONE;
}

/*
 * The request line b[0..ll), whose method (mlen letters) and SP were
 * checked already: the target's form gives r->kind and r->req_target.
 */
static enum l7_res
http_request_line(const uint8_t *b, size_t ll, size_t mlen,
    struct l7_result *r)
{
	const uint8_t *t, *sp, *v;
	size_t tlen, vlen, i, hlen;
	uint16_t port;

	t = b + mlen + 1;
	sp = memchr(t, ' ', ll - mlen - 1);
	if (sp == NULL)
		return L7_INVALID;	/* HTTP/0.9 or a broken line */
	tlen = (size_t)(sp - t);
	v = sp + 1;
	vlen = ll - mlen - 1 - tlen - 1;
	if (tlen == 0)
		return L7_INVALID;
	for (i = 0; i < tlen; i++)
		if (t[i] <= 0x20 || t[i] == 0x7f)
			return L7_INVALID;
	if (vlen != 8 || memcmp(v, "HTTP/1.", 7) != 0 ||
	    v[7] < '0' || v[7] > '9')
		return L7_INVALID;

	if (mlen == 7 && memcmp(b, "CONNECT", 7) == 0) {
		/* RFC 9110 section 9.3.6: authority-form, port required. */
		if (http_authority(t, tlen, 1, &hlen, &port) != 0)
			return L7_INVALID;
		l7__copy_text(r->req_target, t, tlen);
		r->kind = L7_HTTP_CONNECT;
	} else if (t[0] == '/' || (tlen == 1 && t[0] == '*')) {
		r->kind = L7_HTTP;
	} else {
		if (http_absolute(t, tlen, r) != 0)
			return L7_INVALID;
		r->kind = L7_HTTP_PROXY;
	}
	return L7_DONE;
}

/*
 * The header section from off to its empty line; *end gets the offset
 * past that line. With st, the fields a proxy cares about are read.
 */
static enum l7_res
http_head(const uint8_t *b, size_t n, size_t off, struct http_state *st,
    size_t *end)
{
	enum l7_res res;
	size_t lim, ll, next, nl, vs, ve;
	const uint8_t *line, *colon;

	lim = off + HTTP_HEAD_MAX;
	for (;;) {
		res = http_line(b, n, off, lim, &ll, &next);
		if (res != L7_DONE)
			return res;
		line = b + off;
		off = next;
		if (ll == 0) {
			*end = off;
			return L7_DONE;
		}
		/* An obs-fold continuation (RFC 9112 section 5.2): its
		 * content belongs to a field we do not need whole. */
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		colon = memchr(line, ':', ll);
		if (colon == NULL)
			return L7_INVALID;
		nl = (size_t)(colon - line);
		/* No whitespace before the colon (RFC 9112 section 5.1). */
		if (nl == 0)
			return L7_INVALID;
		for (vs = 0; vs < nl; vs++)
			if (!http_tchar(line[vs]))
				return L7_INVALID;
		if (st == NULL)
			continue;
		vs = nl + 1;
		ve = ll;
		while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
			vs++;
		while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
			ve--;
		http_field(st, line, nl, line + vs, ve - vs);
	}
}

/* One header field: Host and Proxy-Authorization are the ones we keep. */
static void
http_field(struct http_state *st, const uint8_t *name, size_t nl,
    const uint8_t *v, size_t vl)
{
	if (!st->host_seen && http_ieq(name, nl, "host")) {
		/* RFC 9110 section 7.2: several Host fields are an error;
		 * the first one is what the client meant, if anything. */
		st->host_seen = 1;
		l7__copy_text(st->r->host, v, vl);
	} else if (!st->user_seen &&
	    http_ieq(name, nl, "proxy-authorization"))
		http_basic_user(st, v, vl);
}

/*
 * Proxy-Authorization: Basic <base64(user-id ":" password)> (RFC 7617
 * section 2). The credentials are decoded into a local buffer, only the
 * user-id is copied out, and the buffer is wiped before returning. Other
 * schemes and bad encodings are ignored: the request is still a request.
 */
static void
http_basic_user(struct http_state *st, const uint8_t *v, size_t vl)
{
	uint8_t dec[HTTP_AUTH_MAX];
	const uint8_t *colon;
	size_t i, dl;

	for (i = 0; i < vl && v[i] != ' ' && v[i] != '\t'; i++)
		continue;
	if (!http_ieq(v, i, "basic"))
		return;
	while (i < vl && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (http_b64(v + i, vl - i, dec, sizeof(dec), &dl) == 0) {
		colon = memchr(dec, ':', dl);
		if (colon != NULL) {
			l7__copy_text(st->r->user, dec, (size_t)(colon - dec));
			st->user_seen = 1;
		}
	}
	explicit_bzero(dec, sizeof(dec));
}

/*
 * Base64 (RFC 4648 section 4) of in[0..n) into out[0..cap): 0 and the
 * length in *outlen, or -1 if in is not base64 or would not fit. Padding
 * may be present or left out; nothing else (no spaces) is allowed.
 */
static int
http_b64(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
    size_t *outlen)
{
	uint32_t acc;
	size_t i, o, bits, pad;
	int d;

	pad = 0;
	while (n > 0 && pad < 2 && in[n - 1] == '=') {
		n--;
		pad++;
	}
	if (n == 0 || n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
		return -1;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > cap)
		return -1;
	acc = 0;
	bits = 0;
	o = 0;
	for (i = 0; i < n; i++) {
		if (in[i] >= 'A' && in[i] <= 'Z')
			d = in[i] - 'A';
		else if (in[i] >= 'a' && in[i] <= 'z')
			d = in[i] - 'a' + 26;
		else if (in[i] >= '0' && in[i] <= '9')
			d = in[i] - '0' + 52;
		else if (in[i] == '+')
			d = 62;
		else if (in[i] == '/')
			d = 63;
		else
			return -1;
		acc = (acc << 6 | (uint32_t)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

/*
 * authority = host [ ":" port ] (RFC 3986 section 3.2, RFC 9110 section
 * 4.2): host a reg-name or IPv4 address, or an IPv6 literal in brackets.
 * *hlen gets the host's length (brackets included), *port the port or 0
 * when absent or empty. -1 if malformed, or need_port and no port.
 */
static int
http_authority(const uint8_t *a, size_t n, int need_port, size_t *hlen,
    uint16_t *port)
{
	const uint8_t *rb;
	size_t h, i;
	uint32_t v;

	if (n == 0)
		return -1;
	if (a[0] == '[') {
		rb = memchr(a, ']', n);
		if (rb == NULL || rb - a < 2)
			return -1;
		h = (size_t)(rb - a) + 1;
		if (h < n && a[h] != ':')
			return -1;
	} else {
		for (h = 0; h < n && a[h] != ':'; h++)
			if (a[h] == '@' || a[h] == '[' || a[h] == ']' ||
			    a[h] == '/')
				return -1;
		if (h == 0)
			return -1;
	}
	*hlen = h;
	*port = 0;
	if (h == n || h + 1 == n)
		return need_port ? -1 : 0;
	if (n - h - 1 > 5)
		return -1;
	v = 0;
	for (i = h + 1; i < n; i++) {
		if (a[i] < '0' || a[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(a[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * absolute-form (RFC 9112 section 3.2.2): scheme "://" [userinfo "@"]
 * host [":" port] path... into r->req_target as host:port, the scheme's
 * port when none is given. The userinfo, password included, is skipped
 * and never copied. An unknown scheme without a port leaves req_target
 * empty: the request is a proxy request all the same.
 */
static int
http_absolute(const uint8_t *t, size_t n, struct l7_result *r)
{
	char host[L7_STR_MAX + 1];
	const uint8_t *a;
	size_t sl, al, i, hlen;
	uint16_t port, defport;

	if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return -1;
	for (sl = 1; sl < n && t[sl] != ':'; sl++)
		if (!((t[sl] >= 'a' && t[sl] <= 'z') ||
		    (t[sl] >= 'A' && t[sl] <= 'Z') ||
		    (t[sl] >= '0' && t[sl] <= '9') ||
		    t[sl] == '+' || t[sl] == '-' || t[sl] == '.'))
			return -1;
	if (n - sl < 3 || memcmp(t + sl, "://", 3) != 0)
		return -1;
	if (http_ieq(t, sl, "http") || http_ieq(t, sl, "ws"))
		defport = 80;
	else if (http_ieq(t, sl, "https") || http_ieq(t, sl, "wss"))
		defport = 443;
	else if (http_ieq(t, sl, "ftp"))
		defport = 21;
	else
		defport = 0;
	a = t + sl + 3;
	n -= sl + 3;
	for (al = 0; al < n; al++)
		if (a[al] == '/' || a[al] == '?' || a[al] == '#')
			break;
	/* The last '@' ends the userinfo (RFC 3986 section 3.2.1). */
	for (i = al; i > 0; i--)
		if (a[i - 1] == '@') {
			a += i;
			al -= i;
			break;
		}
	if (http_authority(a, al, 0, &hlen, &port) != 0)
		return -1;
	if (port == 0)
		port = defport;
	if (port != 0) {
		l7__copy_text(host, a, hlen);
		l7__host_port(r->req_target, sizeof(r->req_target), host,
		    port);
	}
	return 0;
}

/*
 * The status line at off of b[0..n) (RFC 9112 section 4):
 * "HTTP/1.x SP 3DIGIT [SP reason-phrase]". Anything that cannot begin
 * with "HTTP/" is known to be wrong from its first bytes.
 */
static enum l7_res
http_status(const uint8_t *b, size_t n, size_t off, int *code,
    size_t *next)
{
	enum l7_res res;
	const uint8_t *l;
	size_t have, ll;

	if (off == n)
		return L7_MORE;
	have = n - off;
	if (have > 5)
		have = 5;
	if (memcmp(b + off, "HTTP/", have) != 0)
		return L7_INVALID;
	res = http_line(b, n, off, SIZE_MAX, &ll, next);
	if (res != L7_DONE)
		return res;
	l = b + off;
	if (ll < 12 || l[5] != '1' || l[6] != '.' || l[7] < '0' ||
	    l[7] > '9' || l[8] != ' ' || (ll > 12 && l[12] != ' '))
		return L7_INVALID;
	if (l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' ||
	    l[11] < '0' || l[11] > '9')
		return L7_INVALID;
	*code = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	return L7_DONE;
}

/* Case-insensitive ASCII comparison of a[0..n) with the lowercase lit. */
static int
http_ieq(const uint8_t *a, size_t n, const char *lit)
{
	size_t i;
	uint8_t ch;

	if (n != strlen(lit))
		return 0;
	for (i = 0; i < n; i++) {
		ch = a[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (ch != (uint8_t)lit[i])
			return 0;
	}
	return 1;
}

/* tchar of RFC 9110 section 5.6.2, what a field name is made of. */
static int
http_tchar(uint8_t ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}
