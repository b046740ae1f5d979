/*
 * filter: whether a decoded session row matches a history filter
 * (struct store_filter). Every filter is checked here on the row, including
 * the one whose index history.c scans; adding a filter field means adding
 * its test here.
 */
#include <string.h>

#include "../store.h"
#include "store_int.h"

static int
addr_eq(uint8_t af, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, af == 4 ? 4 : 16) == 0;
}

/*
 * A target filter: "*.example.com" matches every target ending in
 * ".example.com" (and "example.com" itself, with or without a port, is
 * left to an exact filter), "example.*" every target starting with
 * "example."; anything else must be equal. The port is part of a target
 * ("example.com:443"), so a suffix filter may name it or end before it:
 * "*.example.com" also matches "www.example.com:443".
 */
int
store_target_match(const char *pat, const char *target)
{
	size_t pl = strlen(pat), tl = strlen(target), hl;
	const char *colon;

	if (pl >= 2 && pat[0] == '*') {
		/* Compare with and without the ":port" of the target. */
		if (tl >= pl - 1 && strcmp(target + tl - (pl - 1), pat + 1) == 0)
			return 1;
		colon = strrchr(target, ':');
		if (colon == NULL || strchr(pat, ':') != NULL)
			return 0;
		hl = (size_t)(colon - target);
		return hl >= pl - 1 && memcmp(target + hl - (pl - 1), pat + 1,
		    pl - 1) == 0;
	}
	if (pl >= 2 && pat[pl - 1] == '*')
		return tl >= pl - 1 && memcmp(target, pat, pl - 1) == 0;
	return strcmp(pat, target) == 0;
}

int
store__filter_match(const struct store_filter *f, const struct store_session *s)
{
	const struct sess_rec *r = &s->rec;
	char user[STORE_STR_MAX + 1];

	if (f->agent != NULL && f->agent[0] != '\0' &&
	    strcmp(f->agent, s->agent) != 0)
		return 0;
	if (f->user != NULL && f->user[0] != '\0') {
		(void)store__eff_user(s, user);
		if (strcmp(f->user, user) != 0)
			return 0;
	}
	if (f->target != NULL && f->target[0] != '\0' &&
	    !store_target_match(f->target, s->target))
		return 0;
	if (f->origin != NULL && f->origin[0] != '\0' &&
	    strcmp(f->origin, s->origin) != 0)
		return 0;
	if (f->status >= 0 && (int)r->status != f->status)
		return 0;
	if (f->protocol != 0 && r->proto != f->protocol)
		return 0;
	if (f->dest_af != 0 && (r->af != f->dest_af ||
	    !addr_eq(r->af, r->srv, f->dest_ip)))
		return 0;
	if (f->source_af != 0 && (r->af != f->source_af ||
	    !addr_eq(r->af, r->cli, f->source_ip)))
		return 0;
	if (f->start_after_ns != 0 && r->start_ns <= f->start_after_ns)
		return 0;
	if (f->start_before_ns != 0 && r->start_ns >= f->start_before_ns)
		return 0;
	if (f->min_duration_ns != 0 && (r->end_ns < r->start_ns ||
	    r->end_ns - r->start_ns < f->min_duration_ns))
		return 0;
	if (f->min_bytes != 0 && r->bytes[0] + r->bytes[1] < f->min_bytes)
		return 0;
	return 1;
}
