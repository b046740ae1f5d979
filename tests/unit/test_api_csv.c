/*
 * test_api_csv: the CSV export of session lists: header row in the
 * field order of DESIGN.md, RFC 4180 quoting, null as an empty cell,
 * formula-looking text defused, and the size cap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_csv.h"

#define HEADER "session_id,agent,protocol,source_ip,source_port,dest_ip," \
	"dest_port,user,target,start_time,end_time,duration_secs,bytes_sent," \
	"bytes_received,packets_sent,packets_received,wire_bytes_sent," \
	"wire_bytes_received,status,close_reason,origin,leg," \
	"peer_session_id\r\n"

#define SESSION "{\"session_id\":\"00112233445566778899aabbccddeeff\"," \
    "\"agent\":\"a1\",\"protocol\":\"tcp\",\"source_ip\":\"10.0.0.1\"," \
    "\"source_port\":40000,\"dest_ip\":\"::1\",\"dest_port\":1080," \
    "\"user\":%s,\"target\":%s,\"start_time\":" \
    "\"2024-01-02T03:04:05.000000001Z\",\"end_time\":null," \
    "\"duration_secs\":1.5,\"bytes_sent\":10,\"bytes_received\":20," \
    "\"packets_sent\":1,\"packets_received\":2,\"wire_bytes_sent\":50," \
    "\"wire_bytes_received\":60,\"status\":\"active\"," \
    "\"close_reason\":null}"

static char *
render(const char *user, const char *target, size_t max, int *rc)
{
	char filled[4096];
	struct api_buf b;
	json_t *arr;

	snprintf(filled, sizeof(filled), "[" SESSION "]", user, target);
	arr = json_loads(filled, 0, NULL);
	assert_non_null(arr);
	api_buf_init(&b, max);
	*rc = api_csv_sessions(arr, &b);
	json_decref(arr);
	return api_buf_steal(&b, NULL);
}

static void
test_api_csv_row(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = render("\"alice\"", "null", 1 << 20, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, HEADER "00112233445566778899aabbccddeeff,a1,tcp,"
	    "10.0.0.1,40000,::1,1080,alice,,2024-01-02T03:04:05.000000001Z,,"
	    "1.500000000,10,20,1,2,50,60,active,,,,\r\n");
	free(out);
}

static void
test_api_csv_quoting(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = render("\"a,b \\\"c\\\"\"", "\"x\\r\\ny\"", 1 << 20, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, ",\"a,b \"\"c\"\"\",\"x\r\ny\","));
	free(out);
	out = render("\"=cmd()\"", "\"@t,x\"", 1 << 20, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, ",'=cmd(),\"'@t,x\","));
	free(out);
}

static void
test_api_csv_errors(void **state)
{
	struct api_buf b;
	json_t *j;
	char *out;
	int rc;

	(void)state;
	out = render("\"alice\"", "null", 100, &rc);
	assert_int_equal(rc, -EMSGSIZE);
	free(out);
	j = json_loads("{\"sessions\":[]}", 0, NULL);
	api_buf_init(&b, 1000);
	assert_int_equal(api_csv_sessions(j, &b), -EINVAL);
	json_decref(j);
	j = json_loads("[1]", 0, NULL);
	assert_int_equal(api_csv_sessions(j, &b), -EINVAL);
	json_decref(j);
	api_buf_free(&b);
	j = json_loads("[]", 0, NULL);
	assert_int_equal(api_csv_sessions(j, &b), 0);
	assert_string_equal(b.data, HEADER);
	json_decref(j);
	api_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_csv_row),
		cmocka_unit_test(test_api_csv_quoting),
		cmocka_unit_test(test_api_csv_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
