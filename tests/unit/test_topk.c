/*
 * test_topk: the space-saving sketch keeps every heavy name, never
 * under-estimates, over-estimates by at most the recorded error, and is
 * exact while the names fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topk.h"

static const struct topk_item *
lookup(const struct topk *t, const char *name)
{
	size_t i;

	for (i = 0; i < topk_count(t); i++)
		if (strcmp(topk_item(t, i)->name, name) == 0)
			return topk_item(t, i);
	return NULL;
}

static void
test_topk_exact_when_it_fits(void **state)
{
	struct topk *t = topk_create(8);
	char name[16];
	int i, r;

	(void)state;
	for (r = 0; r < 3; r++)
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "user%d", i);
			topk_add(t, name, strlen(name), (uint64_t)i + 1, 1);
		}
	assert_int_equal(topk_count(t), 8);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		assert_non_null(lookup(t, name));
		assert_int_equal(lookup(t, name)->weight, 3 * (i + 1));
		assert_int_equal(lookup(t, name)->sessions, 3);
		assert_int_equal(lookup(t, name)->error, 0);
	}
	topk_destroy(t);
}

static void
test_topk_keeps_heavy_hitters(void **state)
{
	enum { CAP = 50, NAMES = 5000, HEAVY = 10, N = 200000 };
	uint64_t *truth = calloc(NAMES, sizeof(*truth)), total = 0;
	struct topk *t = topk_create(CAP);
	char name[16];
	uint32_t x = 1;
	int i, k;

	(void)state;
	for (i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		/* A tenth of the traffic goes to the heavy names. */
		k = (x >> 8) % 10 == 0 ? (int)((x >> 16) % HEAVY) :
		    HEAVY + (int)((x >> 12) % (NAMES - HEAVY));
		snprintf(name, sizeof(name), "n%d", k);
		topk_add(t, name, strlen(name), 100 + (x & 63), 1);
		truth[k] += 100 + (x & 63);
		total += 100 + (x & 63);
	}
	assert_int_equal(topk_count(t), CAP);
	for (k = 0; k < NAMES; k++) {
		const struct topk_item *it;

		snprintf(name, sizeof(name), "n%d", k);
		it = lookup(t, name);
		if (truth[k] > total / CAP)
			assert_non_null(it);
		if (it != NULL) {
			assert_true(it->weight >= truth[k]);
			assert_true(it->weight - it->error <= truth[k]);
		}
	}
	free(truth);
	topk_destroy(t);
}

static void
test_topk_long_names_cut(void **state)
{
	struct topk *t = topk_create(2);
	char name[400];

	(void)state;
	memset(name, 'a', sizeof(name));
	topk_add(t, name, sizeof(name), 5, 1);
	topk_add(t, name, TOPK_NAME_MAX, 5, 1);
	assert_int_equal(topk_count(t), 1);
	assert_int_equal(topk_item(t, 0)->len, TOPK_NAME_MAX);
	assert_int_equal(topk_item(t, 0)->weight, 10);
	topk_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topk_exact_when_it_fits),
		cmocka_unit_test(test_topk_keeps_heavy_hitters),
		cmocka_unit_test(test_topk_long_names_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
