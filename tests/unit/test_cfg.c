/*
 * test_cfg: the INI configuration. Defaults, then a file, then --set;
 * every error names the file, the line and (where there is one) the
 * [section] key, so an operator can go straight to the mistake. The
 * free-form [users] section (PREFIX = LABEL) is checked the same way.
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

#include <cmocka.h>
#include <ini.h>

#include "cfg.h"

#define KiB	1024ULL
#define MiB	(1024ULL * 1024)

struct fx {
	char		 dir[64];
	char		 path[128];
	char		 err[1024];
	struct cfg	*c;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_cfg.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/sessacct.ini", f->dir);
	f->c = cfg_create();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cfg_destroy(f->c);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_file(const struct fx *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) == EOF, 0);
	assert_int_equal(fclose(fp), 0);
}

/* Loads text as a file and expects it to fail at line with words. */
static void
load_fails(struct fx *f, const char *text, int line, const char *w1,
    const char *w2)
{
	char where[256];

	write_file(f, text);
	f->err[0] = '\0';
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), -EINVAL);
	snprintf(where, sizeof(where), "%s:%d: ", f->path, line);
	if (strncmp(f->err, where, strlen(where)) != 0)
		fail_msg("error '%s' does not start with '%s'", f->err, where);
	if (w1 != NULL && strstr(f->err, w1) == NULL)
		fail_msg("error '%s' does not name '%s'", f->err, w1);
	if (w2 != NULL && strstr(f->err, w2) == NULL)
		fail_msg("error '%s' does not say '%s'", f->err, w2);
}

static void
set_fails(struct fx *f, const char *assignment, const char *w1,
    const char *w2)
{
	f->err[0] = '\0';
	assert_int_equal(cfg_set(f->c, assignment, f->err, sizeof(f->err)),
	    -EINVAL);
	if (w1 != NULL && strstr(f->err, w1) == NULL)
		fail_msg("error '%s' does not name '%s'", f->err, w1);
	if (w2 != NULL && strstr(f->err, w2) == NULL)
		fail_msg("error '%s' does not say '%s'", f->err, w2);
}

static void
test_cfg_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_u64(f->c, "sessions", "udp_idle_timeout"), 60);
	assert_int_equal(cfg_u64(f->c, "sessions", "tcp_idle_timeout"), 300);
	assert_int_equal(cfg_u64(f->c, "sessions", "tcp_syn_timeout"), 30);
	assert_int_equal(cfg_u64(f->c, "sessions", "tcp_close_linger"), 1);
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 1000000);
	assert_string_equal(cfg_str(f->c, "sessions", "service_ports"), "");
	assert_int_equal(cfg_u64(f->c, "capture", "snaplen"), 512);
	assert_int_equal(cfg_u64(f->c, "capture", "buffer_size"), 64 * MiB);
	assert_int_equal(cfg_bool(f->c, "capture", "promisc"), 0);
	assert_string_equal(cfg_str(f->c, "capture", "user"), "nobody");
	assert_string_equal(cfg_str(f->c, "capture", "agent_id"), "");
	assert_string_equal(cfg_str(f->c, "capture", "aggregator"),
	    "tcp://127.0.0.1:7710");
	assert_string_equal(cfg_str(f->c, "aggregator", "listen"),
	    "tcp://127.0.0.1:7710");
	assert_string_equal(cfg_str(f->c, "aggregator", "query_listen"),
	    "tcp://127.0.0.1:7711");
	assert_string_equal(cfg_str(f->c, "store", "path"), "./sessacct-data");
	assert_int_equal(cfg_u64(f->c, "store", "retention_days"), 90);
	assert_string_equal(cfg_str(f->c, "api", "listen"), "127.0.0.1:9090");
	assert_string_equal(cfg_str(f->c, "api", "aggregator"),
	    "tcp://127.0.0.1:7711");
}

/* Every key DESIGN.md says tests and operators rely on exists. */
static void
test_cfg_design_keys_exist(void **state)
{
	static const char *const sets[] = {
		"aggregator.listen=tcp://127.0.0.1:0",
		"aggregator.query_listen=tcp://127.0.0.1:0",
		"store.path=/var/lib/sessacct",
		"store.retention_days=7",
		"api.listen=127.0.0.1:0",
		"api.aggregator=tcp://127.0.0.1:1",
		"capture.aggregator=tcp://127.0.0.1:2",
		"capture.agent_id=edge-7",
		"sessions.udp_idle_timeout=1",
		"sessions.tcp_idle_timeout=1",
		"sessions.max_sessions=16",
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (cfg_set(f->c, sets[i], f->err, sizeof(f->err)) != 0)
			fail_msg("%s: %s", sets[i], f->err);
	assert_string_equal(cfg_str(f->c, "capture", "agent_id"), "edge-7");
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 16);
}

static void
test_cfg_file_overrides(void **state)
{
	struct fx *f = *state;

	write_file(f,
	    "; sessacct test configuration\n"
	    "# both comment styles\n"
	    "\n"
	    "[sessions]\n"
	    "udp_idle_timeout = 2m\n"
	    "tcp_idle_timeout=1h   ; inline comment\n"
	    "\tmax_sessions = 5000\n"
	    "service_ports = 1080,3128\n"
	    "\n"
	    "[capture]\n"
	    "promisc = yes\n"
	    "buffer_size = 16M\n"
	    "agent_id = edge 1\n"
	    "  user = proxy\n"
	    "snaplen = 1500\r\n"
	    "filter: tcp port 80\n"
	    "[store]\n"
	    "retention_days = 30\n"
	    "[sessions]\n"
	    "tcp_syn_timeout = 20");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	/* A section may come back (a key may not: see duplicate_key). */
	assert_int_equal(cfg_u64(f->c, "sessions", "udp_idle_timeout"), 120);
	assert_int_equal(cfg_u64(f->c, "sessions", "tcp_idle_timeout"), 3600);
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 5000);
	assert_int_equal(cfg_u64(f->c, "sessions", "tcp_syn_timeout"), 20);
	assert_string_equal(cfg_str(f->c, "sessions", "service_ports"),
	    "1080,3128");
	assert_int_equal(cfg_bool(f->c, "capture", "promisc"), 1);
	assert_int_equal(cfg_u64(f->c, "capture", "buffer_size"), 16 * MiB);
	assert_string_equal(cfg_str(f->c, "capture", "agent_id"), "edge 1");
	/* Indented: its own key, not a continuation of agent_id. */
	assert_string_equal(cfg_str(f->c, "capture", "user"), "proxy");
	assert_int_equal(cfg_u64(f->c, "capture", "snaplen"), 1500);
	assert_string_equal(cfg_str(f->c, "capture", "filter"), "tcp port 80");
	assert_int_equal(cfg_u64(f->c, "store", "retention_days"), 30);
}

/* A byte order mark and an empty file are fine. */
static void
test_cfg_file_bom_and_empty(void **state)
{
	struct fx *f = *state;

	write_file(f, "\xef\xbb\xbf[store]\nretention_days = 12\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "store", "retention_days"), 12);
	write_file(f, "");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "store", "retention_days"), 12);
}

static void
test_cfg_set_overrides(void **state)
{
	struct fx *f = *state;

	write_file(f, "[sessions]\nudp_idle_timeout = 90\n"
	    "[capture]\npromisc = on\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "sessions.udp_idle_timeout=5",
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.promisc=off", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.filter=tcp and len = 60",
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.agent_id=a.b", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.buffer_size=2g", f->err,
	    sizeof(f->err)), 0);
	/* The last --set wins. */
	assert_int_equal(cfg_set(f->c, "sessions.udp_idle_timeout=7",
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "sessions", "udp_idle_timeout"), 7);
	assert_int_equal(cfg_bool(f->c, "capture", "promisc"), 0);
	assert_string_equal(cfg_str(f->c, "capture", "filter"),
	    "tcp and len = 60");
	assert_string_equal(cfg_str(f->c, "capture", "agent_id"), "a.b");
	assert_int_equal(cfg_u64(f->c, "capture", "buffer_size"),
	    2048 * MiB);
}

static void
test_cfg_set_errors(void **state)
{
	struct fx *f = *state;
	char big[2048];

	set_fails(f, "sessions.udp_idle_timeout", "SECTION.KEY=VALUE", NULL);
	set_fails(f, "udp_idle_timeout=5", "SECTION.KEY=VALUE", NULL);
	set_fails(f, "sessions.bogus=1", "[sessions] bogus", "unknown key");
	set_fails(f, "bogus.key=1", "[bogus] key", "unknown key");
	set_fails(f, "sessions.max_sessions=lots", "[sessions] max_sessions",
	    "not a whole number");
	set_fails(f, "sessions.max_sessions=15", "[sessions] max_sessions",
	    "out of range");
	set_fails(f, "sessions.udp_idle_timeout=1w",
	    "[sessions] udp_idle_timeout", "duration");
	set_fails(f, "capture.promisc=maybe", "[capture] promisc",
	    "yes or no");
	set_fails(f, "capture.buffer_size=64q", "[capture] buffer_size",
	    "size");
	set_fails(f, "store.path=", "[store] path", "empty");
	set_fails(f, "capture.agent_id="
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4", "[capture] agent_id", "longer than 64");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "capture.filter=", 15);
	set_fails(f, big, "--set", "too long");
	/* Nothing changed. */
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 1000000);
	assert_string_equal(cfg_str(f->c, "store", "path"), "./sessacct-data");
}

static void
test_cfg_error_unknown_section(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\nudp_idle_timeout = 30\n[bogus]\nkey = 1\n",
	    3, "[bogus]", "unknown section");
	/* Even with no key in it. */
	load_fails(f, "[sessions]\n[bogus]\n", 2, "[bogus]", "unknown section");
	/* A key before any section. */
	load_fails(f, "max_sessions = 100\n", 1, "max_sessions", "section");
}

static void
test_cfg_error_unknown_key(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\n\nudp_idle_timout = 30\n", 3,
	    "[sessions] udp_idle_timout", "unknown key");
	/* A key of another section. */
	load_fails(f, "[capture]\nmax_sessions = 30\n", 2,
	    "[capture] max_sessions", "unknown key");
}

static void
test_cfg_error_bad_number(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\nmax_sessions = 10k\n", 2,
	    "[sessions] max_sessions", "'10k' is not a whole number");
	load_fails(f, "[sessions]\nmax_sessions = -5\n", 2,
	    "[sessions] max_sessions", "not a whole number");
	load_fails(f, "[sessions]\nmax_sessions =\n", 2,
	    "[sessions] max_sessions", "not a whole number");
	load_fails(f, "[sessions]\nudp_idle_timeout = 5w\n", 2,
	    "[sessions] udp_idle_timeout", "not a duration");
	load_fails(f, "[capture]\nbuffer_size = 1t\n", 2,
	    "[capture] buffer_size", "not a size");
}

static void
test_cfg_error_out_of_range(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\nmax_sessions = 15\n", 2,
	    "[sessions] max_sessions", "out of range [16, 100000000]");
	load_fails(f, "[sessions]\nudp_idle_timeout = 0\n", 2,
	    "[sessions] udp_idle_timeout", "out of range");
	load_fails(f, "[sessions]\nudp_idle_timeout = 8d\n", 2,
	    "[sessions] udp_idle_timeout", "out of range");
	load_fails(f, "[capture]\nbuffer_size = 512k\n", 2,
	    "[capture] buffer_size", "out of range");
	load_fails(f, "[store]\nretention_days = 99999999999999999999999\n",
	    2, "[store] retention_days", "out of range");
}

static void
test_cfg_error_bad_bool(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[capture]\npromisc = maybe\n", 2, "[capture] promisc",
	    "yes or no");
	load_fails(f, "[capture]\npromisc = 2\n", 2, "[capture] promisc",
	    "yes or no");
}

static void
test_cfg_error_bad_string(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[store]\npath =\n", 2, "[store] path", "empty");
	load_fails(f, "[api]\nlisten =   \t\n", 2, "[api] listen", "empty");
	load_fails(f, "[capture]\nagent_id = "
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4\n", 2, "[capture] agent_id", "longer than 64 bytes");
	/* Values that would print as a comment (found by fuzz_cfg): the
	 * printed configuration must load to the same. */
	load_fails(f, "[capture]\ninterface =; eth0\n", 2,
	    "[capture] interface", "comment");
	load_fails(f, "[users]\n10.0.0.0/8 =; office\n", 2,
	    "10.0.0.0/8", "empty");
	set_fails(f, "capture.filter=port 80 ;x", "[capture] filter",
	    "comment");
	set_fails(f, "users.10.0.0.0/8=;x", "10.0.0.0/8", "comment");
	/* Endpoints the binaries would refuse. */
	set_fails(f, "capture.aggregator=tcp://127.0.0.1", "[capture] "
	    "aggregator", "no port");
	set_fails(f, "aggregator.listen=udp://0.0.0.0:7710", "[aggregator] "
	    "listen", "tcp://HOST:PORT");
	set_fails(f, "aggregator.query_listen=tcp://a b:7711", "[aggregator] "
	    "query_listen", "host");
	set_fails(f, "aggregator.listen=tcp://127.0.0.1:70000", "listen",
	    "no port");
	set_fails(f, "api.listen=[::1]:9090", "[api] listen", "IPV4");
	set_fails(f, "api.listen=localhost:9090", "[api] listen", "IPV4");
	set_fails(f, "api.aggregator=tcp://127.0.0.1:7711,tcp://x", "[api] "
	    "aggregator", "no port");
	load_fails(f, "[api]\nlisten = 127.0.0.1:99999\n", 2, "[api] listen",
	    "IPV4");
	/* And what they take. */
	assert_int_equal(cfg_set(f->c, "aggregator.listen=tcp://*:7710",
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.aggregator=tcp://[::1]:7710",
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "capture.aggregator=tcp://agg.example"
	    ".net:7710", f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "aggregator.query_listen=ipc:///run/"
	    "sessacct/q", f->err, sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "api.listen=8080", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "api.aggregator=tcp://127.0.0.1:1,"
	    "tcp://127.0.0.2:2", f->err, sizeof(f->err)), 0);
}

/* A key twice in one file is an error naming both lines; a later file or
 * --set may still change it. */
static void
test_cfg_error_duplicate_key(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\nmax_sessions = 100\n; again\n"
	    "max_sessions = 200\n", 4, "[sessions] max_sessions",
	    "first on line 2");
	write_file(f, "[sessions]\nmax_sessions = 100\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	write_file(f, "[sessions]\nmax_sessions = 300\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 300);
	assert_int_equal(cfg_set(f->c, "sessions.max_sessions=400", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 400);
}

static void
test_cfg_error_syntax(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[sessions]\nudp_idle_timeout 30\n", 2,
	    "[sessions] udp_idle_timeout", "syntax error");
	load_fails(f, "[sessions\nudp_idle_timeout = 30\n", 1, NULL,
	    "syntax error");
	/* The first error is the one reported. */
	load_fails(f, "[sessions]\n# ok\nnonsense\nbogus = 1\n[x]\n", 3,
	    "nonsense", "syntax error");
}

/* Lines up to the reader's limit are fine, with or without a newline. */
static void
test_cfg_line_limit(void **state)
{
	struct fx *f = *state;
	char text[INI_MAX_LINE + 64], set[2 * INI_MAX_LINE + 64];
	size_t n;

	/* "[capture]\n" then "filter = xxx...", INI_MAX_LINE - 1 bytes. */
	n = (size_t)snprintf(text, sizeof(text), "[capture]\nfilter = ");
	memset(text + n, 'x', INI_MAX_LINE - 1 - 9);
	n += INI_MAX_LINE - 1 - 9;
	memcpy(text + n, "\nsnaplen = 99\n", 15);
	write_file(f, text);
	if (cfg_load_file(f->c, f->path, f->err, sizeof(f->err)) != 0)
		fail_msg("%s", f->err);
	assert_int_equal(strlen(cfg_str(f->c, "capture", "filter")),
	    INI_MAX_LINE - 1 - 9);
	assert_int_equal(cfg_u64(f->c, "capture", "snaplen"), 99);

	/* The same as the last line, without a newline. */
	text[n] = '\0';
	write_file(f, text);
	if (cfg_load_file(f->c, f->path, f->err, sizeof(f->err)) != 0)
		fail_msg("%s", f->err);

	/* What --set takes must print as such a line (found by fuzz_cfg). */
	memset(text, 'x', INI_MAX_LINE - 1 - 9);
	text[INI_MAX_LINE - 1 - 9] = '\0';
	snprintf(set, sizeof(set), "capture.filter=%s", text);
	assert_int_equal(cfg_set(f->c, set, f->err, sizeof(f->err)), 0);
	snprintf(set, sizeof(set), "capture.filter=%sy", text);
	set_fails(f, set, "[capture] filter", "configuration file line");
	n = (size_t)snprintf(text, sizeof(text), "[capture]\nfilter = ");
	memset(text + n, 'x', INI_MAX_LINE - 1 - 9);
	n += INI_MAX_LINE - 1 - 9;

	/* One byte more is refused, and the message says where. */
	memcpy(text + n, "y\nsnaplen = 99\n", 16);
	load_fails(f, text, 2, "[capture] filter", "line longer than");
	text[n + 1] = '\0';
	load_fails(f, text, 2, "[capture] filter", "line longer than");
}

static void
test_cfg_error_missing_file(void **state)
{
	struct fx *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/absent.ini", f->dir);
	assert_int_equal(cfg_load_file(f->c, path, f->err, sizeof(f->err)),
	    -ENOENT);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "No such file"));
	/* A directory is not a configuration file either. */
	assert_true(cfg_load_file(f->c, f->dir, f->err, sizeof(f->err)) < 0);
	assert_non_null(strstr(f->err, f->dir));
}

/* A failed load leaves a configuration that can still be destroyed. */
static void
test_cfg_error_then_reload(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[store]\nretention_days = 5\nbogus = 1\n", 3,
	    "[store] bogus", "unknown key");
	write_file(f, "[store]\nretention_days = 6\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_u64(f->c, "store", "retention_days"), 6);
}

static void
test_cfg_dump(void **state)
{
	static const char *const only[] = { "capture", NULL };
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	assert_int_equal(cfg_set(f->c, "sessions.udp_idle_timeout=2m",
	    f->err, sizeof(f->err)), 0);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, NULL);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(buf, "[sessions]\nudp_idle_timeout = 120\n"));
	assert_non_null(strstr(buf, "promisc = no\n"));
	assert_non_null(strstr(buf, "user = nobody\n"));
	assert_non_null(strstr(buf, "[store]\n"));
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, only);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(buf, "[capture]\n"));
	assert_null(strstr(buf, "[sessions]"));
	free(buf);
}

/* Expects [users] to hold exactly the n pairs of want, in order. */
static void
users_are(const struct fx *f, const char *const want[][2], size_t n)
{
	const char *const *keys, *const *values;
	size_t i, got;

	got = cfg_section_entries(f->c, "users", &keys, &values);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(keys[i], want[i][0]);
		assert_string_equal(values[i], want[i][1]);
	}
}

static void
test_cfg_users_file(void **state)
{
	static const char *const want[][2] = {
		{ "10.0.0.0/8", "office" },
		{ "192.168.1.7", "printer" },
		{ "2001:db8::/32", "lab" },
		{ "::1", "loopback" },
		{ "10.1.0.0/16", "Office 2 (HQ) a=b;c" },
		{ "::ffff:10.0.0.0/104", "mapped" },
	};
	struct fx *f = *state;

	assert_int_equal(cfg_section_entries(f->c, "users", NULL, NULL), 0);
	write_file(f,
	    "[capture]\n"
	    "snaplen = 600\n"
	    "[users]\n"
	    "; PREFIX = LABEL\n"
	    "10.0.0.0/8 = office\n"
	    "  192.168.1.7 = printer   ; the one upstairs\n"
	    "2001:db8::/32=lab\n"
	    "# hosts\n"
	    "\n"
	    "::1\t=\tloopback\r\n"
	    "10.1.0.0/16 = Office 2 (HQ) a=b;c\n"
	    "::ffff:10.0.0.0/104 = mapped\n"
	    "[sessions]\n"
	    "max_sessions = 100\n");
	if (cfg_load_file(f->c, f->path, f->err, sizeof(f->err)) != 0)
		fail_msg("%s", f->err);
	users_are(f, want, sizeof(want) / sizeof(want[0]));
	/* The sections around it are read as before. */
	assert_int_equal(cfg_u64(f->c, "capture", "snaplen"), 600);
	assert_int_equal(cfg_u64(f->c, "sessions", "max_sessions"), 100);
}

static void
test_cfg_users_errors(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[users]\n10.0.0.0/8 = a\n10.0.0.1/8 = b\n", 3,
	    "[users] 10.0.0.1/8: ", "host bits set past /8");
	load_fails(f, "[users]\n\n2001:db8::1/32 = b\n", 3,
	    "[users] 2001:db8::1/32: ", "host bits set past /32");
	load_fails(f, "[users]\n2001:db8::/129 = x\n", 2,
	    "[users] 2001:db8::/129", "0..128");
	load_fails(f, "[users]\n10.0.0.0/33 = x\n", 2,
	    "[users] 10.0.0.0/33", "0..32");
	load_fails(f, "[users]\n10.0.0 = x\n", 2, "[users] 10.0.0",
	    "not an IPv4 or IPv6 address");
	load_fails(f, "[users]\noffice = 10.0.0.0/8\n", 2, "[users] office",
	    "not an IPv4 or IPv6 address");
	load_fails(f, "[users]\n10.0.0.0/8 = a\"b\n", 2,
	    "[users] 10.0.0.0/8", "quotes");
	load_fails(f, "[users]\n10.0.0.0/8 =\n", 2, "[users] 10.0.0.0/8",
	    "empty");
	load_fails(f, "[users]\n10.0.0.0/8 = ; nothing\n", 2,
	    "[users] 10.0.0.0/8", "empty");
	load_fails(f, "[users]\n10.0.0.0/8 = "
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4\n", 2, "[users] 10.0.0.0/8", "longer than 64");
	load_fails(f, "[users]\n10.0.0.0/8 office\n", 2,
	    "[users] 10.0.0.0/8", "syntax error");
	load_fails(f, "[users]\n= office\n", 2, "[users]", "no key");
	/* Duplicates, in any spelling, name the first line. */
	load_fails(f, "[users]\n10.0.0.0/8 = a\n\n10.0.0.0/8 = b\n", 4,
	    "[users] 10.0.0.0/8", "duplicate, first on line 2");
	load_fails(f, "[users]\n2001:db8::/32 = a\n2001:0DB8:0::/32 = b\n",
	    3, "[users] 2001:0DB8:0::/32", "duplicate, first on line 2");
	load_fails(f, "[users]\n192.0.2.1 = a\n192.0.2.1/32 = b\n", 3,
	    "[users] 192.0.2.1/32", "duplicate");
}

static void
test_cfg_users_set(void **state)
{
	static const char *const after_file[][2] = {
		{ "10.0.0.0/8", "office" },
		{ "2001:db8::/32", "lab" },
	};
	static const char *const after_set[][2] = {
		{ "10.0.0.0/8", "hq" },
		{ "2001:0db8::/32", "lab2" },
		{ "10.2.0.0/16", "a=b" },
		{ "192.0.2.0/24", "test net" },
	};
	struct fx *f = *state;

	write_file(f, "[users]\n10.0.0.0/8 = office\n2001:db8::/32 = lab\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	users_are(f, after_file, 2);
	/* --set takes the key up to the first '=': labels may hold one. */
	assert_int_equal(cfg_set(f->c, "users.10.0.0.0/8=hq", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "users.2001:0db8::/32=lab2", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "users.10.2.0.0/16=a=b", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "users.192.0.2.0/24=test net", f->err,
	    sizeof(f->err)), 0);
	users_are(f, after_set, 4);

	set_fails(f, "users.10.0.0.1/8=x", "--set: [users] 10.0.0.1/8: ",
	    "host bits set past /8");
	set_fails(f, "users.10.0.0.0/8=", "[users] 10.0.0.0/8", "empty");
	set_fails(f, "users.10.0.0.0/8=a\\b", "[users] 10.0.0.0/8",
	    "backslash");
	set_fails(f, "users.=x", "[users]", "no address");
	set_fails(f, "users.2001:db8::/200=x", "[users] 2001:db8::/200",
	    "0..128");
	users_are(f, after_set, 4);

	/* A second file may set a prefix the first did. */
	write_file(f, "[users]\n10.0.0.0/8 = again\n");
	assert_int_equal(cfg_load_file(f->c, f->path, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_section_entries(f->c, "users", NULL, NULL), 4);
}

/* Only [users] is free-form: elsewhere a prefix is an unknown key. */
static void
test_cfg_users_only_there(void **state)
{
	struct fx *f = *state;

	load_fails(f, "[capture]\n10.0.0.0/8 = office\n", 2,
	    "[capture] 10.0.0.0/8", "unknown key");
	load_fails(f, "[users]\n10.0.0.0/8 = office\n[capture]\n"
	    "snaplen = 600\nsnaplenn = 600\n", 5, "[capture] snaplenn",
	    "unknown key");
	load_fails(f, "[users]\n10.0.0.0/8 = office\n[user]\n", 3,
	    "[user]", "unknown section");
	set_fails(f, "capture.10.0.0.0/8=office", "[capture] 10",
	    "unknown key");
	set_fails(f, "user.10.0.0.0/8=office", "[user] 10", "unknown key");
}

static void
test_cfg_users_dump(void **state)
{
	static const char *const only[] = { "capture", NULL };
	static const char *const with[] = { "capture", "users", NULL };
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	/* Nothing to show: no [users] header. */
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, NULL);
	assert_int_equal(fclose(fp), 0);
	assert_null(strstr(buf, "[users]"));
	free(buf);

	assert_int_equal(cfg_set(f->c, "users.10.0.0.0/8=office", f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(cfg_set(f->c, "users.::1=me", f->err,
	    sizeof(f->err)), 0);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, NULL);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(buf,
	    "\n\n[users]\n10.0.0.0/8 = office\n::1 = me\n"));
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, only);
	assert_int_equal(fclose(fp), 0);
	assert_null(strstr(buf, "[users]"));
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	cfg_dump(f->c, fp, with);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(buf, "[capture]\n"));
	assert_non_null(strstr(buf, "[users]\n10.0.0.0/8 = office\n"));
	free(buf);
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cfg_error_duplicate_key),
		T(test_cfg_defaults),
		T(test_cfg_design_keys_exist),
		T(test_cfg_file_overrides),
		T(test_cfg_file_bom_and_empty),
		T(test_cfg_set_overrides),
		T(test_cfg_set_errors),
		T(test_cfg_error_unknown_section),
		T(test_cfg_error_unknown_key),
		T(test_cfg_error_bad_number),
		T(test_cfg_error_out_of_range),
		T(test_cfg_error_bad_bool),
		T(test_cfg_error_bad_string),
		T(test_cfg_error_syntax),
		T(test_cfg_line_limit),
		T(test_cfg_error_missing_file),
		T(test_cfg_error_then_reload),
		T(test_cfg_dump),
		T(test_cfg_users_file),
		T(test_cfg_users_errors),
		T(test_cfg_users_set),
		T(test_cfg_users_only_there),
		T(test_cfg_users_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
