/*
 * test_cap_print: the printer thread of the end of a --print run writes
 * exactly the lines cap_print_line gives for the same records, in order,
 * across many chunk hand-overs, with enrichment copied (the original may
 * be gone) and [users] labels; and a failed write is reported.
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

#include "sess_enr.h"
#include "cap_print.h"

#define NREC	5000

/* Record k: IPv4 or IPv6, TCP or UDP, counters and times from k. */
static void
rec_make(struct sess_rec *r, uint32_t k)
{
	memset(r, 0, sizeof(*r));
	r->key_hash = 0x9e3779b97f4a7c15ULL * (k + 1);
	r->start_ns = 1700000000000000000ULL + (uint64_t)k * 1000003;
	r->end_ns = r->start_ns + (uint64_t)(k % 97) * 123456789;
	r->packets[0] = k;
	r->packets[1] = 2 * k + 1;
	r->bytes[0] = (uint64_t)k << 20;
	r->bytes[1] = k * 7;
	r->wire_bytes[0] = r->bytes[0] + 54;
	r->wire_bytes[1] = r->bytes[1] + 54;
	r->proto = k % 3 == 0 ? 17 : 6;
	r->cli_port = (uint16_t)(1024 + k);
	r->srv_port = k % 2 ? 443 : 1080;
	if (k % 5 == 0) {
		r->af = 6;
		r->cli[0] = 0x20;
		r->cli[1] = 0x01;
		r->cli[15] = (uint8_t)k;
		r->srv[0] = 0xfe;
		r->srv[1] = 0x80;
		r->srv[15] = 1;
	} else {
		r->af = 4;
		r->cli[0] = 10;
		r->cli[1] = (uint8_t)(k >> 8);
		r->cli[3] = (uint8_t)k;
		r->srv[0] = 192;
		r->srv[1] = 0;
		r->srv[2] = 2;
		r->srv[3] = 1;
	}
	r->status = k % 4 == 0 ? SESS_REJECTED : SESS_CLOSED;
	r->reason = SESS_CLOSE_FIN;
}

/* Enrichment for record k (owned), or NULL: every size up to the
 * largest, quotes and bytes that are not UTF-8 among them. */
static struct sess_enr *
enr_make(uint32_t k)
{
	struct sess_enr_fields fl;
	char user[SESS_ENR_STR_MAX + 1], target[SESS_ENR_STR_MAX + 1];
	size_t ul = k % (SESS_ENR_STR_MAX + 1), tl = (k * 7) % 300;

	if (k % 3 == 1)
		return NULL;
	memset(&fl, 0, sizeof(fl));
	memset(user, 'u', sizeof(user));
	memset(target, 't', sizeof(target));
	if (ul > 2) {
		user[1] = '"';
		user[2] = (char)0xff;
	}
	if (tl > SESS_ENR_STR_MAX)
		tl = SESS_ENR_STR_MAX;
	user[ul] = '\0';
	target[tl] = '\0';
	/* Every seventh has no user: the [users] label stands in. */
	fl.user = k % 7 == 0 ? NULL : user;
	fl.target = target;
	fl.origin = k % 2 ? "[2001:db8::1]:65535" : NULL;
	fl.verdict = 0;
	fl.leg = (uint8_t)(k % 3);
	fl.peer_hash = k % 11 == 0 ? 0x1234 + k : 0;
	fl.peer_start = fl.peer_hash != 0 ? 99 : 0;
	return sess_enr_new(&fl);
}

/* The whole text of fp, NUL-terminated (owned); its length in *n. */
static char *
slurp(FILE *fp, size_t *n)
{
	long len;
	char *buf;

	assert_int_equal(fflush(fp), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	rewind(fp);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

static struct cidr_table *
users_make(void)
{
	struct cidr_table *t = cidr_table_create();

	assert_int_equal(cidr_table_add(t, "10.0.0.0/8", "lab"), 0);
	assert_int_equal(cidr_table_add(t, "2001::/16", "v6-lab"), 0);
	return t;
}

/* Prints NREC records both ways with chunks of chunk bytes. */
static void
same_lines(size_t chunk)
{
	struct cidr_table *users = users_make();
	FILE *want = tmpfile(), *got = tmpfile();
	struct cap_printer *p;
	struct sess_rec r;
	struct sess_enr *e;
	char line[CAP_PRINT_LINE_MAX], *a, *b;
	uint64_t printed = 7;
	size_t n, an, bn;
	uint32_t k;

	assert_non_null(want);
	assert_non_null(got);
	p = cap_printer_start(got, "agent-\"1\"", users, chunk);
	assert_non_null(p);
	for (k = 0; k < NREC; k++) {
		rec_make(&r, k);
		e = enr_make(k);
		r.enr = e;
		n = cap_print_line(&r, "agent-\"1\"", users, line);
		assert_int_equal(line[n - 1], '\n');
		assert_int_equal(fwrite(line, 1, n, want), n);
		cap_printer_add(p, &r);
		/* The printer has its own copy: the original goes now. */
		if (e != NULL)
			memset(e, 0xa5, sess_enr_size(e));
		free(e);
	}
	assert_int_equal(cap_printer_finish(p, &printed), 0);
	assert_int_equal(printed, 7 + NREC);
	a = slurp(want, &an);
	b = slurp(got, &bn);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	/* The labels did stand in for missing users. */
	assert_non_null(strstr(a, "\"user\":\"lab\""));
	assert_non_null(strstr(a, "\"user\":\"v6-lab\""));
	free(a);
	free(b);
	fclose(want);
	fclose(got);
	cidr_table_destroy(users);
}

/* The smallest chunks: a hand-over every few records. */
static void
test_cap_print_small_chunks_same_lines_in_order(void **state)
{
	(void)state;
	same_lines(1);
}

/* The default: few hand-overs. */
static void
test_cap_print_default_chunks_same_lines_in_order(void **state)
{
	(void)state;
	same_lines(64 * 1024);
}

static void
test_cap_print_nothing_to_print(void **state)
{
	FILE *got = tmpfile();
	struct cap_printer *p;
	uint64_t printed = 0;

	(void)state;
	assert_non_null(got);
	p = cap_printer_start(got, "a", NULL, CAP_PRINT_CHUNK_MIN);
	assert_non_null(p);
	assert_int_equal(cap_printer_finish(p, &printed), 0);
	assert_int_equal(printed, 0);
	assert_int_equal(ftell(got), 0);
	fclose(got);
}

/* A full disk: every line fails, and finish says so. */
static void
test_cap_print_write_failure_reported(void **state)
{
	FILE *full = fopen("/dev/full", "w");
	struct cap_printer *p;
	struct sess_rec r;
	uint64_t printed = 0;
	uint32_t k;

	(void)state;
	if (full == NULL)
		skip();
	setvbuf(full, NULL, _IONBF, 0);
	p = cap_printer_start(full, "a", NULL, CAP_PRINT_CHUNK_MIN);
	assert_non_null(p);
	for (k = 0; k < 100; k++) {
		rec_make(&r, k);
		cap_printer_add(p, &r);
	}
	assert_int_equal(cap_printer_finish(p, &printed), -EIO);
	fclose(full);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_print_small_chunks_same_lines_in_order),
		cmocka_unit_test(test_cap_print_default_chunks_same_lines_in_order),
		cmocka_unit_test(test_cap_print_nothing_to_print),
		cmocka_unit_test(test_cap_print_write_failure_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
