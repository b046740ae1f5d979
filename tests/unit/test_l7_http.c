/*
 * test_l7_http: the HTTP request/response head reader over what real
 * clients and proxies send (Firefox and curl through Apache, squid and
 * tinyproxy; plain curl and wget to web servers), each exchange parsed at
 * every pair of client and server prefixes, plus broken heads and the
 * Basic credentials whose password must never reach the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l7.h"

/* Firefox 92 to Apache 2.4's mod_proxy_connect (tests/pcap/http_connect.pcap,
 * the first segment of each direction). */
static const char ff_connect[] =
	"CONNECT apache.org:443 HTTP/1.1\r\n"
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:92.0) "
	"Gecko/20100101 Firefox/92.0\r\n"
	"Proxy-Connection: keep-alive\r\n"
	"Connection: keep-alive\r\n"
	"Host: apache.org:443\r\n"
	"\r\n";
static const char apache_200[] =
	"HTTP/1.0 200 Connection Established\r\n"
	"Proxy-agent: Apache/2.4.41 (Ubuntu)\r\n"
	"\r\n";

/* curl 7.88 with -p -x alice:hunter2@proxy:3128 to squid 5.7. */
static const char curl_connect_auth[] =
	"CONNECT example.com:443 HTTP/1.1\r\n"
	"Host: example.com:443\r\n"
	"Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg==\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";
static const char squid_200[] =
	"HTTP/1.1 200 Connection established\r\n"
	"\r\n";
static const char squid_407[] =
	"HTTP/1.1 407 Proxy Authentication Required\r\n"
	"Server: squid/5.7\r\n"
	"Mime-Version: 1.0\r\n"
	"Date: Mon, 04 Mar 2024 10:12:31 GMT\r\n"
	"Content-Type: text/html;charset=utf-8\r\n"
	"Content-Length: 3581\r\n"
	"X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\n"
	"Vary: Accept-Language\r\n"
	"Content-Language: en\r\n"
	"Proxy-Authenticate: Basic realm=\"Squid proxy\"\r\n"
	"X-Cache: MISS from proxy\r\n"
	"X-Cache-Lookup: NONE from proxy:3128\r\n"
	"Via: 1.1 proxy (squid/5.7)\r\n"
	"Connection: keep-alive\r\n"
	"\r\n"
	"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" "
	"\"http://www.w3.org/TR/html4/strict.dtd\">\n";
static const char squid_503[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Server: squid/5.7\r\n"
	"Mime-Version: 1.0\r\n"
	"Date: Mon, 04 Mar 2024 10:14:02 GMT\r\n"
	"Content-Type: text/html;charset=utf-8\r\n"
	"Content-Length: 3690\r\n"
	"X-Squid-Error: ERR_CONNECT_FAIL 111\r\n"
	"Vary: Accept-Language\r\n"
	"Content-Language: en\r\n"
	"\r\n";

/* curl 7.88 -x http://proxy:8888 to tinyproxy 1.11. */
static const char curl_connect_v6[] =
	"CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"
	"Host: [2001:db8::1]:443\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";
static const char tinyproxy_200[] =
	"HTTP/1.0 200 Connection established\r\n"
	"Proxy-agent: tinyproxy/1.11.1\r\n"
	"\r\n";
static const char tinyproxy_403[] =
	"HTTP/1.0 403 Access violation\r\n"
	"Server: tinyproxy/1.11.1\r\n"
	"Content-Type: text/html\r\n"
	"Connection: close\r\n"
	"\r\n"
	"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n";

/* curl 7.88 -x http://proxy:3128 http://example.com/ and squid's answer. */
static const char curl_get_proxy[] =
	"GET http://example.com/ HTTP/1.1\r\n"
	"Host: example.com\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";
static const char squid_get_200[] =
	"HTTP/1.1 200 OK\r\n"
	"Age: 512\r\n"
	"Cache-Control: max-age=604800\r\n"
	"Content-Type: text/html; charset=UTF-8\r\n"
	"Content-Length: 1256\r\n"
	"X-Cache: MISS from proxy\r\n"
	"Via: 1.1 proxy (squid/5.7)\r\n"
	"Connection: keep-alive\r\n"
	"\r\n"
	"<!doctype html>\n";

/* A POST through a proxy with Expect: 100-continue, then refused. */
static const char curl_post_proxy[] =
	"POST https://api.example.com:8443/upload?x=1 HTTP/1.1\r\n"
	"Host: api.example.com:8443\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"Content-Length: 5\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\n"
	"Expect: 100-continue\r\n"
	"\r\n";
static const char proxy_100_403[] =
	"HTTP/1.1 100 Continue\r\n"
	"\r\n"
	"HTTP/1.1 403 Forbidden\r\n"
	"Server: squid/5.7\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* curl 7.68 to google.com (tests/pcap/http.pcapng) and the answer. */
static const char curl_get[] =
	"GET / HTTP/1.1\r\n"
	"Host: google.com\r\n"
	"User-Agent: curl/7.68.0\r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char google_301[] =
	"HTTP/1.1 301 Moved Permanently\r\n"
	"Location: http://www.google.com/\r\n"
	"Content-Type: text/html; charset=UTF-8\r\n"
	"Date: Tue, 25 Jan 2022 16:50:41 GMT\r\n"
	"Server: gws\r\n"
	"Content-Length: 219\r\n"
	"\r\n";

/* wget 1.14 to bro.org (tests/pcap/zeek-http-vlan-0.pcap). */
static const char wget_get[] =
	"GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n"
	"User-Agent: Wget/1.14 (darwin12.2.0)\r\n"
	"Accept: */*\r\n"
	"Host: bro.org\r\n"
	"Connection: Keep-Alive\r\n"
	"\r\n";

static enum l7_res
parse(const char *c, size_t nc, const char *s, size_t ns,
    struct l7_result *r)
{
	memset(r, 0, sizeof(*r));
	return l7_http_parse((const uint8_t *)c, nc, (const uint8_t *)s, ns,
	    r);
}

static enum l7_res
parse_str(const char *c, const char *s, struct l7_result *r)
{
	return parse(c, strlen(c), s, s != NULL ? strlen(s) : 0, r);
}

/* Length of the head (up to and with the empty line) in b. */
static size_t
head_len(const char *b)
{
	const char *e = strstr(b, "\r\n\r\n");

	assert_non_null(e);
	return (size_t)(e - b) + 4;
}

/* Same field, or not yet known: a prefix never says something else. */
static void
same_or_empty(const char *part, const char *whole)
{
	if (part[0] != '\0')
		assert_string_equal(part, whole);
}

/*
 * The exchange c/s at every pair of prefixes (i, j): never NOMATCH or
 * INVALID (nor a crash), L7_DONE exactly when i >= c_need and j >=
 * s_need, fields equal to the whole exchange's once filled, fields of
 * other parsers untouched, and the password pw (if any) nowhere in r.
 * Long exchanges are walked client first, then server, not as a grid.
 */
static void
sweep(const char *c, const char *s, size_t c_need, size_t s_need,
    const char *pw)
{
	struct l7_result whole, r, rest;
	size_t nc, ns, i, j;
	enum l7_res res;
	int grid;

	nc = strlen(c);
	ns = strlen(s);
	assert_int_equal(parse(c, nc, s, ns, &whole), L7_DONE);
	grid = nc * ns <= 60000;
	for (i = 0; i <= nc; i++) {
		for (j = 0; j <= ns; j++) {
			if (!grid && i < nc && j > 0)
				break;
			res = parse(c, i, s, j, &r);
			if (i >= c_need && j >= s_need)
				assert_int_equal(res, L7_DONE);
			else
				assert_int_equal(res, L7_MORE);
			if (r.kind != L7_NONE)
				assert_int_equal(r.kind, whole.kind);
			if (r.verdict != L7_V_UNKNOWN)
				assert_int_equal(r.verdict, whole.verdict);
			same_or_empty(r.user, whole.user);
			same_or_empty(r.req_target, whole.req_target);
			same_or_empty(r.host, whole.host);
			if (r.c_tunnel != 0 || r.s_tunnel != 0) {
				assert_int_equal(r.c_tunnel, whole.c_tunnel);
				assert_int_equal(r.s_tunnel, whole.s_tunnel);
			}
			if (pw != NULL)
				assert_null(memmem(&r, sizeof(r), pw,
				    strlen(pw)));
			/* Nothing but the HTTP fields is written. */
			rest = r;
			rest.kind = rest.verdict = 0;
			memset(rest.user, 0, sizeof(rest.user));
			memset(rest.req_target, 0, sizeof(rest.req_target));
			memset(rest.host, 0, sizeof(rest.host));
			rest.c_tunnel = rest.s_tunnel = 0;
			memset(&r, 0, sizeof(r));
			assert_memory_equal(&rest, &r, sizeof(r));
		}
	}
}

static void
test_l7_http_connect_firefox_apache(void **state)
{
	struct l7_result r;

	(void)state;
	assert_int_equal(strlen(ff_connect), 203);
	assert_int_equal(strlen(apache_200), 76);
	assert_int_equal(parse_str(ff_connect, apache_200, &r), L7_DONE);
	assert_int_equal(r.kind, L7_HTTP_CONNECT);
	assert_string_equal(r.req_target, "apache.org:443");
	assert_string_equal(r.host, "apache.org:443");
	assert_int_equal(r.verdict, L7_V_OK);
	assert_int_equal(r.c_tunnel, 203);
	assert_int_equal(r.s_tunnel, 76);
	assert_string_equal(r.user, "");

	/* Known as soon as the request line is in; OK only with the head. */
	assert_int_equal(parse(ff_connect, 33, NULL, 0, &r), L7_MORE);
	assert_string_equal(r.req_target, "apache.org:443");
	assert_int_equal(parse(ff_connect, 203, apache_200, 75, &r), L7_MORE);
	assert_int_equal(r.verdict, L7_V_UNKNOWN);
	assert_int_equal(r.s_tunnel, 0);

	sweep(ff_connect, apache_200, 203, 76, NULL);
}

static void
test_l7_http_connect_squid_basic_auth(void **state)
{
	struct l7_result r;
	size_t ch;

	(void)state;
	ch = head_len(curl_connect_auth);
	assert_int_equal(parse_str(curl_connect_auth, squid_200, &r), L7_DONE);
	assert_int_equal(r.kind, L7_HTTP_CONNECT);
	assert_string_equal(r.req_target, "example.com:443");
	assert_string_equal(r.user, "alice");
	assert_int_equal(r.verdict, L7_V_OK);
	assert_int_equal(r.c_tunnel, ch);
	assert_int_equal(r.s_tunnel, strlen(squid_200));
	assert_null(memmem(&r, sizeof(r), "hunter2", 7));
	sweep(curl_connect_auth, squid_200, ch, strlen(squid_200), "hunter2");

	/* 407: refused, known from the status line alone. */
	assert_int_equal(parse_str(curl_connect_auth, squid_407, &r), L7_DONE);
	assert_int_equal(r.verdict, L7_V_REJECTED);
	assert_int_equal(r.c_tunnel, 0);
	assert_int_equal(r.s_tunnel, 0);
	sweep(curl_connect_auth, squid_407, ch,
	    strchr(squid_407, '\n') - squid_407 + 1, "hunter2");

	/* 503 (ERR_CONNECT_FAIL): the proxy tried and failed. */
	assert_int_equal(parse_str(curl_connect_auth, squid_503, &r), L7_DONE);
	assert_int_equal(r.verdict, L7_V_FAILED);
	sweep(curl_connect_auth, squid_503, ch,
	    strchr(squid_503, '\n') - squid_503 + 1, "hunter2");
}

static void
test_l7_http_connect_tinyproxy_ipv6(void **state)
{
	struct l7_result r;
	size_t ch;

	(void)state;
	ch = head_len(curl_connect_v6);
	assert_int_equal(parse_str(curl_connect_v6, tinyproxy_200, &r),
	    L7_DONE);
	assert_int_equal(r.kind, L7_HTTP_CONNECT);
	assert_string_equal(r.req_target, "[2001:db8::1]:443");
	assert_int_equal(r.verdict, L7_V_OK);
	assert_int_equal(r.c_tunnel, ch);
	assert_int_equal(r.s_tunnel, strlen(tinyproxy_200));
	sweep(curl_connect_v6, tinyproxy_200, ch, strlen(tinyproxy_200),
	    NULL);

	assert_int_equal(parse_str(curl_connect_v6, tinyproxy_403, &r),
	    L7_DONE);
	assert_int_equal(r.verdict, L7_V_REJECTED);
	sweep(curl_connect_v6, tinyproxy_403, ch,
	    strchr(tinyproxy_403, '\n') - tinyproxy_403 + 1, NULL);
}

static void
test_l7_http_connect_statuses(void **state)
{
	static const struct {
		const char	*status;
		int		 verdict;
	} t[] = {
		{ "HTTP/1.1 200 OK\r\n\r\n", L7_V_OK },
		{ "HTTP/1.1 204 No Content\r\n\r\n", L7_V_OK },
		{ "HTTP/1.1 200\r\n\r\n", L7_V_OK },
		{ "HTTP/1.1 401 Unauthorized\r\n", L7_V_REJECTED },
		{ "HTTP/1.1 403 Forbidden\r\n", L7_V_REJECTED },
		{ "HTTP/1.1 407 Proxy Authentication Required\r\n",
		    L7_V_REJECTED },
		{ "HTTP/1.1 502 Bad Gateway\r\n", L7_V_FAILED },
		{ "HTTP/1.1 503 Service Unavailable\r\n", L7_V_FAILED },
		{ "HTTP/1.1 504 Gateway Timeout\r\n", L7_V_FAILED },
		{ "HTTP/1.1 500 Internal Server Error\r\n", L7_V_UNKNOWN },
		{ "HTTP/1.1 405 Method Not Allowed\r\n", L7_V_UNKNOWN },
		{ "HTTP/1.1 302 Found\r\n", L7_V_UNKNOWN },
		{ "HTTP/1.0 101 Switching Protocols\r\n", L7_V_UNKNOWN },
	};
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_str(ff_connect, t[i].status, &r),
		    L7_DONE);
		assert_int_equal(r.verdict, t[i].verdict);
		/* A proxy request: 502-504 are not the proxy's failure
		 * to connect, so they say nothing. */
		assert_int_equal(parse_str(curl_get_proxy, t[i].status, &r),
		    L7_DONE);
		assert_int_equal(r.verdict, t[i].verdict == L7_V_FAILED ?
		    L7_V_UNKNOWN : t[i].verdict);
	}
}

static void
test_l7_http_absolute_form(void **state)
{
	struct l7_result r;
	size_t ch;

	(void)state;
	ch = head_len(curl_get_proxy);
	assert_int_equal(parse_str(curl_get_proxy, squid_get_200, &r),
	    L7_DONE);
	assert_int_equal(r.kind, L7_HTTP_PROXY);
	assert_string_equal(r.req_target, "example.com:80");
	assert_string_equal(r.host, "example.com");
	assert_int_equal(r.verdict, L7_V_OK);
	assert_int_equal(r.c_tunnel, 0);
	sweep(curl_get_proxy, squid_get_200, ch,
	    strchr(squid_get_200, '\n') - squid_get_200 + 1, NULL);

	/* 100 Continue is skipped; the final 403 is the verdict. */
	ch = head_len(curl_post_proxy);
	assert_int_equal(parse_str(curl_post_proxy, proxy_100_403, &r),
	    L7_DONE);
	assert_int_equal(r.kind, L7_HTTP_PROXY);
	assert_string_equal(r.req_target, "api.example.com:8443");
	assert_int_equal(r.verdict, L7_V_REJECTED);
	sweep(curl_post_proxy, proxy_100_403, ch,
	    strstr(proxy_100_403, "Forbidden") - proxy_100_403 + 11, NULL);
}

static void
test_l7_http_absolute_form_targets(void **state)
{
	static const struct {
		const char	*line;
		const char	*target;
	} t[] = {
		{ "GET http://example.com HTTP/1.1\r\n", "example.com:80" },
		{ "GET HTTP://Example.COM:8080/a?b HTTP/1.1\r\n",
		    "Example.COM:8080" },
		{ "GET https://example.com/ HTTP/1.1\r\n", "example.com:443" },
		{ "GET ws://chat.example.com/s HTTP/1.1\r\n",
		    "chat.example.com:80" },
		{ "GET wss://chat.example.com/s HTTP/1.1\r\n",
		    "chat.example.com:443" },
		{ "GET ftp://ftp.example.com/pub/ HTTP/1.1\r\n",
		    "ftp.example.com:21" },
		{ "GET http://example.com:/ HTTP/1.1\r\n", "example.com:80" },
		{ "GET http://192.0.2.7:3000/x HTTP/1.1\r\n",
		    "192.0.2.7:3000" },
		{ "GET http://[2001:db8::7]/ HTTP/1.1\r\n",
		    "[2001:db8::7]:80" },
		{ "GET http://[2001:db8::7]:8080/ HTTP/1.1\r\n",
		    "[2001:db8::7]:8080" },
		{ "GET http://alice:hunter2@example.com:8080/x HTTP/1.1\r\n",
		    "example.com:8080" },
		{ "GET http://a@b:hunter2@example.com/ HTTP/1.1\r\n",
		    "example.com:80" },
		{ "GET gopher://example.com/ HTTP/1.1\r\n", "" },
		{ "GET gopher://example.com:70/ HTTP/1.1\r\n",
		    "example.com:70" },
	};
	char req[256];
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(req, sizeof(req), "%s\r\n", t[i].line);
		assert_int_equal(parse_str(req, "HTTP/1.1 200 OK\r\n", &r),
		    L7_DONE);
		assert_int_equal(r.kind, L7_HTTP_PROXY);
		assert_string_equal(r.req_target, t[i].target);
		assert_null(memmem(&r, sizeof(r), "hunter2", 7));
		assert_null(memmem(&r, sizeof(r), "alice", 5));
	}
}

static void
test_l7_http_origin_form(void **state)
{
	struct l7_result r;

	(void)state;
	/* Done with the request head; a web server's status is no verdict. */
	assert_int_equal(parse_str(curl_get, NULL, &r), L7_DONE);
	assert_int_equal(r.kind, L7_HTTP);
	assert_string_equal(r.host, "google.com");
	assert_string_equal(r.req_target, "");
	assert_int_equal(parse_str(curl_get, google_301, &r), L7_DONE);
	assert_int_equal(r.verdict, L7_V_UNKNOWN);
	assert_int_equal(parse_str(curl_get, "HTTP/1.1 403 Forbidden\r\n\r\n",
	    &r), L7_DONE);
	assert_int_equal(r.verdict, L7_V_UNKNOWN);
	sweep(curl_get, google_301, head_len(curl_get), 0, NULL);

	assert_int_equal(parse_str(wget_get, NULL, &r), L7_DONE);
	assert_string_equal(r.host, "bro.org");
	sweep(wget_get, "", head_len(wget_get), 0, NULL);

	/* Host as sent, trimmed; the first of two; asterisk-form. */
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nhost: \t example.com:8080"
	    " \t\r\nHost: other\r\n\r\n", NULL, &r), L7_DONE);
	assert_string_equal(r.host, "example.com:8080");
	assert_int_equal(parse_str("OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n"
	    "\r\n", NULL, &r), L7_DONE);
	assert_int_equal(r.kind, L7_HTTP);
	assert_string_equal(r.host, "[::1]:80");
	/* Bare LF line ends (RFC 9112 section 2.2), HTTP/1.0, no Host. */
	assert_int_equal(parse_str("GET /x HTTP/1.0\nHost: a.example\n\n",
	    NULL, &r), L7_DONE);
	assert_string_equal(r.host, "a.example");
	assert_int_equal(parse_str("GET /x HTTP/1.0\r\n\r\n", NULL, &r),
	    L7_DONE);
	assert_string_equal(r.host, "");
	/* A folded line is skipped; a control byte in Host becomes '?'. */
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n"
	    "Host: a\001b\r\n\r\n", NULL, &r), L7_DONE);
	assert_string_equal(r.host, "a?b");
}

static void
test_l7_http_basic_user(void **state)
{
	static const struct {
		const char	*hdr;
		const char	*user;
	} t[] = {
		/* alice:hunter2 */
		{ "Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg==", "alice" },
		{ "proxy-authorization: basic YWxpY2U6aHVudGVyMg==", "alice" },
		{ "PROXY-AUTHORIZATION:BASIC   YWxpY2U6aHVudGVyMg==  ",
		    "alice" },
		/* Unpadded. */
		{ "Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg", "alice" },
		/* bob:hunter2:x:y, the user ends at the first colon. */
		{ "Proxy-Authorization: Basic Ym9iOmh1bnRlcjI6eDp5", "bob" },
		/* :hunter2, an empty user. */
		{ "Proxy-Authorization: Basic Omh1bnRlcjI=", "" },
		/* Not base64, or no colon inside, or another scheme. */
		{ "Proxy-Authorization: Basic YWxp!2U6aHVudGVyMg==", "" },
		{ "Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg===", "" },
		{ "Proxy-Authorization: Basic YWxpY2", "" },
		{ "Proxy-Authorization: Basic aHVudGVyMg==", "" },
		{ "Proxy-Authorization: Basic", "" },
		{ "Proxy-Authorization: Digest username=\"alice\"", "" },
		{ "Proxy-Authorization: Negotiate YWxpY2U6aHVudGVyMg==", "" },
		/* The origin server's Authorization is not the proxy's. */
		{ "Authorization: Basic YWxpY2U6aHVudGVyMg==", "" },
	};
	char req[512];
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(req, sizeof(req), "GET http://example.com/ HTTP/1.1"
		    "\r\nHost: example.com\r\n%s\r\n\r\n", t[i].hdr);
		assert_int_equal(parse_str(req, "HTTP/1.1 200 OK\r\n", &r),
		    L7_DONE);
		assert_string_equal(r.user, t[i].user);
		assert_null(memmem(&r, sizeof(r), "hunter2", 7));
		sweep(req, "HTTP/1.1 200 OK\r\n", strlen(req), 17, "hunter2");
	}
	/* The first usable header counts. */
	assert_int_equal(parse_str("CONNECT a:1 HTTP/1.1\r\n"
	    "Proxy-Authorization: Bearer x\r\n"
	    "Proxy-Authorization: Basic Ym9iOmh1bnRlcjI=\r\n"
	    "Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg==\r\n\r\n",
	    NULL, &r), L7_MORE);
	assert_string_equal(r.user, "bob");
}

static void
test_l7_http_nomatch(void **state)
{
	static const char *const t[] = {
		"get / HTTP/1.1\r\n",
		"\026\003\001\002\000",
		"\005\001\000",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"GET\t/ HTTP/1.1\r\n",
		"GET/ HTTP/1.1\r\n",
		" GET / HTTP/1.1\r\n",
		"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n",
		"ABCDEFGHIJKLMNOPQ",
		"\r\nGET / HTTP/1.1\r\n",
	};
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_str(t[i], NULL, &r), L7_NOMATCH);
		assert_int_equal(r.kind, L7_NONE);
	}
	/* Still possible: up to 16 letters with no SP yet. */
	assert_int_equal(parse_str("", NULL, &r), L7_MORE);
	assert_int_equal(parse_str("G", NULL, &r), L7_MORE);
	assert_int_equal(parse_str("ABCDEFGHIJKLMNOP", NULL, &r), L7_MORE);
	assert_int_equal(parse_str("ABCDEFGHIJKLMNOP /", NULL, &r), L7_MORE);
	assert_int_equal(parse_str("PROPFIND /d/ HTTP/1.1\r\nHost: dav\r\n\r\n",
	    NULL, &r), L7_DONE);
}

static void
test_l7_http_malformed_request(void **state)
{
	static const char *const t[] = {
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / FOO/1.1\r\n\r\n",
		"GET /a\001b HTTP/1.1\r\n\r\n",
		"GET example.com HTTP/1.1\r\n\r\n",
		"GET http:/example.com/ HTTP/1.1\r\n\r\n",
		"GET http:// HTTP/1.1\r\n\r\n",
		"GET http://:80/ HTTP/1.1\r\n\r\n",
		"GET http://a:0/ HTTP/1.1\r\n\r\n",
		"GET http://a:65536/ HTTP/1.1\r\n\r\n",
		"GET http://a:8x/ HTTP/1.1\r\n\r\n",
		"GET http://[::1/ HTTP/1.1\r\n\r\n",
		"GET 1http://a/ HTTP/1.1\r\n\r\n",
		"CONNECT example.com HTTP/1.1\r\n\r\n",
		"CONNECT example.com: HTTP/1.1\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\n\r\n",
		"CONNECT example.com:0 HTTP/1.1\r\n\r\n",
		"CONNECT example.com:65536 HTTP/1.1\r\n\r\n",
		"CONNECT example.com:0443x HTTP/1.1\r\n\r\n",
		"CONNECT example.com:000443 HTTP/1.1\r\n\r\n",
		"CONNECT a:b:443 HTTP/1.1\r\n\r\n",
		"CONNECT u@example.com:443 HTTP/1.1\r\n\r\n",
		"CONNECT [2001:db8::1] HTTP/1.1\r\n\r\n",
		"CONNECT [2001:db8::1]443 HTTP/1.1\r\n\r\n",
		"CONNECT []:443 HTTP/1.1\r\n\r\n",
		"CONNECT / HTTP/1.1\r\n\r\n",
		"CONNECT http://example.com:443/ HTTP/1.1\r\n\r\n",
	};
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_str(t[i], NULL, &r), L7_INVALID);
		assert_string_equal(r.req_target, "");
	}
}

static void
test_l7_http_malformed_headers(void **state)
{
	static const char *const t[] = {
		"GET / HTTP/1.1\r\nHost example.com\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : example.com\r\n\r\n",
		"GET / HTTP/1.1\r\n: example.com\r\n\r\n",
		"GET / HTTP/1.1\r\nHo(st: example.com\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n\r\n",
	};
	struct l7_result r;

	(void)state;
	assert_int_equal(parse_str(t[0], NULL, &r), L7_INVALID);
	assert_int_equal(r.kind, L7_HTTP);
	assert_int_equal(parse_str(t[1], NULL, &r), L7_INVALID);
	assert_int_equal(parse_str(t[2], NULL, &r), L7_INVALID);
	assert_int_equal(parse_str(t[3], NULL, &r), L7_INVALID);
	/* What follows the head is not read. */
	assert_int_equal(parse_str(t[4], NULL, &r), L7_DONE);
}

static void
test_l7_http_malformed_response(void **state)
{
	static const char *const t[] = {
		"SSH-2.0-OpenSSH_9.2\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 20\r\n\r\n",
		"HTTP/1.1 600 Odd\r\n\r\n",
		"HTTP/1.1 099 Odd\r\n\r\n",
		"\026\003\003\000\132\002",
		"http/1.1 200 OK\r\n\r\n",
	};
	struct l7_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_str(ff_connect, t[i], &r), L7_INVALID);
		assert_string_equal(r.req_target, "apache.org:443");
		assert_int_equal(r.verdict, L7_V_UNKNOWN);
	}
	/* Known wrong from the first byte. */
	assert_int_equal(parse(ff_connect, strlen(ff_connect), "S", 1, &r),
	    L7_INVALID);
	/* A bad header in a 200's head: no tunnel. */
	assert_int_equal(parse_str(ff_connect, "HTTP/1.1 200 OK\r\nX\r\n\r\n",
	    &r), L7_INVALID);
	assert_int_equal(r.verdict, L7_V_UNKNOWN);
}

/* Lines of up to 8192 bytes, heads of up to 16384. */
static void
test_l7_http_limits(void **state)
{
	static char b[40000];
	struct l7_result r;
	size_t n, i;

	(void)state;
	/* A request line of exactly 8192 bytes, then one more. */
	n = (size_t)snprintf(b, sizeof(b), "GET /");
	memset(b + n, 'a', 8192 - n - 9);
	n = 8192 - 9;
	memcpy(b + n, " HTTP/1.1\r\n\r\n", 14);
	assert_int_equal(parse_str(b, NULL, &r), L7_DONE);
	memmove(b + 6, b + 5, strlen(b + 5) + 1);
	assert_int_equal(parse_str(b, NULL, &r), L7_INVALID);
	/* No LF in the first 8194 bytes: invalid before the rest comes. */
	assert_int_equal(parse(b, 8194, NULL, 0, &r), L7_INVALID);
	assert_int_equal(parse(b, 8193, NULL, 0, &r), L7_MORE);

	/* A header line of 8192 bytes, then 8193. */
	n = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nX: ");
	memset(b + n, 'v', 8192 - 3);
	n += 8192 - 3;
	memcpy(b + n, "\r\nHost: h\r\n\r\n", 14);
	assert_int_equal(parse_str(b, NULL, &r), L7_DONE);
	assert_string_equal(r.host, "h");
	memmove(b + 20, b + 19, strlen(b + 19) + 1);
	assert_int_equal(parse_str(b, NULL, &r), L7_INVALID);

	/* Headers of 16384 bytes with the empty line fit, 16385 not; what
	 * came before the cut is kept. */
	n = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nHost: h\r\n");
	while (16 + 16384 - 2 - n >= 2007 + 10) {
		memcpy(b + n, "X-P: ", 5);
		memset(b + n + 5, 'p', 2000);
		memcpy(b + n + 2005, "\r\n", 2);
		n += 2007;
	}
	/* Pad with one header to exactly 16384 - 2 header bytes. */
	i = 16 + 16384 - 2 - n;
	memcpy(b + n, "Y: ", 3);
	memset(b + n + 3, 'q', i - 5);
	memcpy(b + n + i - 2, "\r\n\r\n", 5);
	assert_int_equal(parse_str(b, NULL, &r), L7_DONE);
	memmove(b + n + 4, b + n + 3, strlen(b + n + 3) + 1);
	assert_int_equal(parse_str(b, NULL, &r), L7_INVALID);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.kind, L7_HTTP);
	/* Endless headers: invalid once 16384 header bytes are in with no
	 * end in sight, and not before. */
	n = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < 30000) {
		memcpy(b + n, "X-Q: 0123456789\r\n", 17);
		n += 17;
	}
	assert_int_equal(parse(b, 16 + 16383, NULL, 0, &r), L7_MORE);
	assert_int_equal(parse(b, 16 + 16384, NULL, 0, &r), L7_INVALID);
	assert_string_equal(r.host, "h");

	/* A base64 token too long for the local buffer is ignored. */
	n = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\n"
	    "Proxy-Authorization: Basic ");
	memset(b + n, 'A', 4 * 200);
	memcpy(b + n + 800, "\r\n\r\n", 5);
	assert_int_equal(parse_str(b, NULL, &r), L7_DONE);
	assert_string_equal(r.user, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l7_http_connect_firefox_apache),
		cmocka_unit_test(test_l7_http_connect_squid_basic_auth),
		cmocka_unit_test(test_l7_http_connect_tinyproxy_ipv6),
		cmocka_unit_test(test_l7_http_connect_statuses),
		cmocka_unit_test(test_l7_http_absolute_form),
		cmocka_unit_test(test_l7_http_absolute_form_targets),
		cmocka_unit_test(test_l7_http_origin_form),
		cmocka_unit_test(test_l7_http_basic_user),
		cmocka_unit_test(test_l7_http_nomatch),
		cmocka_unit_test(test_l7_http_malformed_request),
		cmocka_unit_test(test_l7_http_malformed_headers),
		cmocka_unit_test(test_l7_http_malformed_response),
		cmocka_unit_test(test_l7_http_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
