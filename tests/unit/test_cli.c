/*
 * test_cli: the shared flag handling that does not exit (the exiting
 * paths, --help, --version and bad configurations, are covered by the
 * end-to-end tests against the real binaries), configuration layering
 * and the atomic ready file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

static void
test_cli_common_opts(void **state)
{
	struct cli_common cl = { .prog = "test" };

	(void)state;
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_CONFIG, "a.ini", ""), 1);
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_SET, "x.y=1", ""), 1);
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_SET, "x.y=2", ""), 1);
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_CHECK, NULL, ""), 1);
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_READY, "r.json", ""), 1);
	assert_int_equal(cli_common_opt(&cl, 'v', NULL, ""), 1);
	assert_int_equal(cli_common_opt(&cl, 'v', NULL, ""), 1);
	assert_int_equal(cli_common_opt(&cl, 'r', "x", ""), 0);
	assert_int_equal(cli_common_opt(&cl, CLI_OPT_LOCAL, "x", ""), 0);
	assert_string_equal(cl.config, "a.ini");
	assert_int_equal(cl.nsets, 2);
	assert_string_equal(cl.sets[1], "x.y=2");
	assert_int_equal(cl.check, 1);
	assert_string_equal(cl.ready_file, "r.json");
	assert_int_equal(cl.verbosity, 2);
}

/* Defaults, then the file, then each --set in order. */
static void
test_cli_load_config_layers(void **state)
{
	char dir[] = "/tmp/test_cli.XXXXXX", path[64];
	struct cli_common cl = { .prog = "test" };
	struct cfg *c;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.ini", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[sessions]\nudp_idle_timeout = 10\ntcp_idle_timeout = 20\n",
	    fp);
	assert_int_equal(fclose(fp), 0);
	cl.config = path;
	cl.sets[cl.nsets++] = "sessions.tcp_idle_timeout=30";
	cl.sets[cl.nsets++] = "sessions.tcp_idle_timeout=40";
	c = cli_load_config(&cl);
	assert_non_null(c);
	assert_int_equal(cfg_u64(c, "sessions", "udp_idle_timeout"), 10);
	assert_int_equal(cfg_u64(c, "sessions", "tcp_idle_timeout"), 40);
	assert_int_equal(cfg_u64(c, "sessions", "tcp_syn_timeout"), 30);
	cfg_destroy(c);
	unlink(path);
	rmdir(dir);
}

static void
test_cli_write_ready(void **state)
{
	char dir[] = "/tmp/test_cli.XXXXXX", path[64], buf[128];
	struct stat sb;
	FILE *fp;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ready.json", dir);
	assert_int_equal(cli_write_ready(path, "{\"http\": \"127.0.0.1:1\"}"),
	    0);
	/* Replaced whole on a second write. */
	assert_int_equal(cli_write_ready(path, "{\"http\": \"127.0.0.1:2\"}"),
	    0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "{\"http\": \"127.0.0.1:2\"}\n");
	assert_int_equal(unlink(path), 0);
	/* No temporary file is left behind. */
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(stat(dir, &sb), -1);

	/* A directory that does not exist: an error, nothing created. */
	assert_int_equal(cli_write_ready("/nonexistent-sessacct/r.json", "{}"),
	    -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_common_opts),
		cmocka_unit_test(test_cli_load_config_layers),
		cmocka_unit_test(test_cli_write_ready),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
