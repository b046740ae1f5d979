/*
 * test_api_auth: the API's trust boundary in pieces: the tokens file
 * parser (what it accepts, and the file and line it names when it does
 * not), the constant-time comparison, a tokens file re-read after it
 * changes, the Host allow-list, public route names and the per-address
 * connection table. The whole path over HTTP is in
 * tests/e2e/test_api_security.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "api_auth.h"
#include "api_conn.h"
#include "api_host.h"
#include "http_route.h"

#define T1	"0123456789abcdef0123456789abcdef"
#define T2	"tok-EN_2.~+/abcdefghijklmn=="
#define NS	1000000000ULL

static char err[512];

static struct api_auth_set *
parse_ok(const char *text, size_t want)
{
	struct api_auth_set *s = NULL;
	int rc;

	err[0] = '\0';
	rc = api_auth_set_parse(text, strlen(text), "tokens", 100, &s, err,
	    sizeof(err));
	if (rc != 0)
		fail_msg("'%s': %d %s", text, rc, err);
	assert_int_equal(api_auth_set_count(s), want);
	return s;
}

static void
parse_bad(const char *text, size_t max, int want, const char *msg)
{
	struct api_auth_set *s = (struct api_auth_set *)1;
	int rc;

	err[0] = '\0';
	rc = api_auth_set_parse(text, strlen(text), "/etc/t", max, &s, err,
	    sizeof(err));
	if (rc != want)
		fail_msg("'%s': %d, want %d (%s)", text, rc, want, err);
	assert_null(s);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", text, err, msg);
}

static int
match(const struct api_auth_set *s, const char *t)
{
	return api_auth_set_match(s, t, strlen(t));
}

static void
test_api_auth_parse(void **state)
{
	struct api_auth_set *s;

	(void)state;
	s = parse_ok("", 0);
	assert_false(match(s, T1));
	api_auth_set_free(s);
	s = parse_ok("# tokens\n\n  \t\n" T1 "\n  " T2 " \r\n# " T1 "x\n", 2);
	assert_true(match(s, T1));
	assert_true(match(s, T2));
	/* Prefixes, extensions, case and a commented-out token. */
	assert_false(match(s, T1 "x"));
	assert_false(match(s, "0123456789abcdef0123456789abcde"));
	assert_false(match(s, "0123456789ABCDEF0123456789ABCDEF"));
	assert_false(match(s, ""));
	api_auth_set_free(s);
	/* No newline at the end. */
	s = parse_ok(T1, 1);
	assert_true(match(s, T1));
	api_auth_set_free(s);

	parse_bad(T1 "\nshort-token\n", 100, -EINVAL, "/etc/t:2: token of "
	    "11 characters");
	parse_bad("\n\n" T1 " " T2 "\n", 100, -EINVAL, "/etc/t:3: character "
	    "33");
	parse_bad("=" T1 "\n", 100, -EINVAL, "/etc/t:1: character 1");
	parse_bad("abc=def0123456789abcdef\n", 100, -EINVAL, "/etc/t:1: "
	    "character 5");
	parse_bad("0123456789abcdef0123\xc3\xa9\n", 100, -EINVAL,
	    "/etc/t:1: character 21");
	parse_bad(T1 "\n" T2 "\n", 1, -E2BIG, "/etc/t:2: more than 1 tokens");
	{
		char big[API_AUTH_TOKEN_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		parse_bad(big, 100, -EINVAL, "token of 257 characters");
		big[sizeof(big) - 2] = '\0';
		s = parse_ok(big, 1);
		assert_true(match(s, big));
		api_auth_set_free(s);
	}
}

static void
test_api_auth_ct_equal(void **state)
{
	unsigned char a[64], b[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)(i * 7);
	assert_int_equal(api_auth_ct_equal(a, b, sizeof(a)), 1);
	assert_int_equal(api_auth_ct_equal(a, b, 0), 1);
	/* Any one bit different, anywhere, is a difference. */
	for (i = 0; i < sizeof(a); i++)
		for (j = 0; j < 8; j++) {
			b[i] ^= (unsigned char)(1u << j);
			assert_int_equal(api_auth_ct_equal(a, b, sizeof(a)), 0);
			b[i] ^= (unsigned char)(1u << j);
		}
	assert_int_equal(api_auth_ct_equal(a, b, sizeof(a)), 1);
}

static void
write_file(const char *path, const char *text)
{
	char tmp[256];
	FILE *f;

	/* A new file renamed over the old, as editors and tools do. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static void
test_api_auth_reload(void **state)
{
	char dir[] = "/tmp/test_api_auth.XXXXXX", path[256];
	struct api_auth *a;
	uint64_t t = 5 * NS;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tokens", dir);
	assert_null(api_auth_create(path, 10, err, sizeof(err)));
	assert_non_null(strstr(err, "tokens: No such file"));
	write_file(path, T1 "\n");
	a = api_auth_create(path, 10, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(api_auth_check(a, NULL, t), API_AUTH_MISSING);
	assert_int_equal(api_auth_check(a, "Basic " T1, t), API_AUTH_MISSING);
	assert_int_equal(api_auth_check(a, "Bearer ", t), API_AUTH_MISSING);
	assert_int_equal(api_auth_check(a, "Bearer " T1, t), API_AUTH_OK);
	assert_int_equal(api_auth_check(a, "bearer   " T1 " ", t),
	    API_AUTH_OK);
	assert_int_equal(api_auth_check(a, "Bearer " T2, t), API_AUTH_INVALID);

	/* A new token is seen at the next check a second on, not before. */
	write_file(path, T1 "\n" T2 "\n");
	assert_int_equal(api_auth_check(a, "Bearer " T2, t + NS / 2),
	    API_AUTH_INVALID);
	t += NS;
	assert_int_equal(api_auth_check(a, "Bearer " T2, t), API_AUTH_OK);
	assert_int_equal(api_auth_count(a), 2);
	/* A removed one stops working. */
	write_file(path, T2 "\n");
	t += NS;
	assert_int_equal(api_auth_check(a, "Bearer " T1, t), API_AUTH_INVALID);
	assert_int_equal(api_auth_check(a, "Bearer " T2, t), API_AUTH_OK);
	/* A broken file keeps the tokens read before. */
	write_file(path, T1 "\nbad\n");
	t += NS;
	assert_int_equal(api_auth_check(a, "Bearer " T2, t), API_AUTH_OK);
	assert_int_equal(api_auth_check(a, "Bearer " T1, t), API_AUTH_INVALID);
	/* An empty one refuses every token. */
	write_file(path, "# none\n");
	t += NS;
	assert_int_equal(api_auth_check(a, "Bearer " T2, t), API_AUTH_INVALID);
	assert_int_equal(api_auth_count(a), 0);
	api_auth_destroy(a);
	unlink(path);
	rmdir(dir);
}

static void
test_api_host(void **state)
{
	struct api_host_list *l = NULL;

	(void)state;
	assert_int_equal(api_host_list_parse("localhost,127.0.0.1,[::1]",
	    "10.1.2.3", &l, err, sizeof(err)), 0);
	assert_true(api_host_allowed(l, "localhost"));
	assert_true(api_host_allowed(l, "LocalHost:9090"));
	assert_true(api_host_allowed(l, "127.0.0.1:1"));
	assert_true(api_host_allowed(l, "[::1]"));
	assert_true(api_host_allowed(l, "[::1]:65535"));
	assert_true(api_host_allowed(l, "10.1.2.3:80"));
	assert_false(api_host_allowed(l, NULL));
	assert_false(api_host_allowed(l, ""));
	assert_false(api_host_allowed(l, "evil.example"));
	assert_false(api_host_allowed(l, "localhost.evil.example:9090"));
	assert_false(api_host_allowed(l, "127.0.0.1.nip.io"));
	assert_false(api_host_allowed(l, "localhost:"));
	assert_false(api_host_allowed(l, "localhost:123456"));
	assert_false(api_host_allowed(l, "localhost:80x"));
	assert_false(api_host_allowed(l, "localhost:80:80"));
	assert_false(api_host_allowed(l, "[::1"));
	assert_false(api_host_allowed(l, "[::1]x"));
	assert_false(api_host_allowed(l, "[::2]"));
	assert_false(api_host_allowed(l, "user@localhost"));
	api_host_list_free(l);

	assert_int_equal(api_host_list_parse(" Api.Example.com , *", NULL, &l,
	    err, sizeof(err)), 0);
	assert_true(api_host_allowed(l, "anything.example"));
	assert_false(api_host_allowed(l, "bad host"));
	api_host_list_free(l);
	assert_int_equal(api_host_list_parse("api.example.com", NULL, &l, err,
	    sizeof(err)), 0);
	assert_true(api_host_allowed(l, "API.example.COM:443"));
	assert_false(api_host_allowed(l, "example.com"));
	api_host_list_free(l);

	assert_int_equal(api_host_list_parse("localhost:9090", NULL, &l, err,
	    sizeof(err)), -EINVAL);
	assert_null(l);
	assert_non_null(strstr(err, "api.allowed_hosts: 'localhost:9090'"));
	assert_int_equal(api_host_list_parse("a,,b", NULL, &l, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(api_host_list_parse("", NULL, &l, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(api_host_list_parse("-a.example", NULL, &l, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(api_host_list_parse("[::1", NULL, &l, err,
	    sizeof(err)), -EINVAL);
}

static void
test_api_route_names(void **state)
{
	(void)state;
	assert_int_equal(http_routes_by_name("/health", 7), HTTP_ROUTE_HEALTH);
	assert_int_equal(http_routes_by_name("/static/{file}x", 14),
	    HTTP_ROUTE_STATIC);
	assert_int_equal(http_routes_by_name("/", 1), HTTP_ROUTE_INDEX);
	assert_int_equal(http_routes_by_name("/api/agents", 11),
	    HTTP_ROUTE_AGENTS);
	assert_int_equal(http_routes_by_name("/api/agent", 10),
	    HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_by_name("unmatched", 9),
	    HTTP_ROUTE_UNMATCHED);
	assert_int_equal(http_routes_by_name("", 0), HTTP_ROUTE_UNMATCHED);
}

/* A connection from source to the listener, and its accepted end. */
static void
connect_from(int lfd, const char *source, int *cfd, int *afd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*cfd >= 0);
	{
		struct sockaddr_in src;

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, source, &src.sin_addr), 1);
		assert_int_equal(bind(*cfd, (struct sockaddr *)&src,
		    sizeof(src)), 0);
	}
	assert_int_equal(connect(*cfd, (struct sockaddr *)&a, sizeof(a)), 0);
	*afd = accept(lfd, NULL, NULL);
	assert_true(*afd >= 0);
}

/* Whether the server shut this client's connection (EOF waiting). */
static int
was_shut(int cfd)
{
	struct pollfd p = { .fd = cfd, .events = POLLIN };
	char b;

	return poll(&p, 1, 0) == 1 && recv(cfd, &b, 1, MSG_DONTWAIT) == 0;
}

static void
test_api_conn(void **state)
{
	struct api_conn *c = api_conn_create(2);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int lfd, port, cfd[9], afd[9], i, shut, kept[5];

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	assert_int_equal(api_conn_enforce(c, 0), -EINVAL);
	assert_int_equal(api_conn_enforce(c, port), 0);
	/* Five from one address, two from another. */
	for (i = 0; i < 5; i++)
		connect_from(lfd, "127.0.0.3", &cfd[i], &afd[i]);
	for (i = 5; i < 7; i++)
		connect_from(lfd, "127.0.0.4", &cfd[i], &afd[i]);
	assert_int_equal(api_conn_enforce(c, port), 3);
	for (i = 0, shut = 0; i < 7; i++)
		shut += was_shut(cfd[i]);
	assert_int_equal(shut, 3);
	for (i = 5; i < 7; i++)
		assert_false(was_shut(cfd[i]));
	assert_int_equal(api_conn_refused(c), 3);
	/* The survivors stay; a pass on another port sees none of them. */
	for (i = 0; i < 5; i++)
		kept[i] = !was_shut(cfd[i]);
	assert_int_equal(api_conn_enforce(c, port), 0);
	assert_int_equal(api_conn_enforce(c, port == 65535 ? 1 : port + 1),
	    0);
	/* Newcomers are the ones shut, whatever their sockets' inode
	 * numbers (handed out in batches per CPU): the oldest stay. */
	for (i = 7; i < 9; i++)
		connect_from(lfd, "127.0.0.3", &cfd[i], &afd[i]);
	assert_int_equal(api_conn_enforce(c, port), 2);
	for (i = 7; i < 9; i++)
		assert_true(was_shut(cfd[i]));
	for (i = 0; i < 5; i++)
		if (kept[i])
			assert_false(was_shut(cfd[i]));
	for (i = 0; i < 9; i++) {
		close(cfd[i]);
		close(afd[i]);
	}
	close(lfd);
	api_conn_destroy(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_auth_parse),
		cmocka_unit_test(test_api_auth_ct_equal),
		cmocka_unit_test(test_api_auth_reload),
		cmocka_unit_test(test_api_host),
		cmocka_unit_test(test_api_route_names),
		cmocka_unit_test(test_api_conn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
