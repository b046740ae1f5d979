/*
 * sess_enr: the enrichment block of a session. One allocation: the fixed
 * fields, then the three strings back to back with their NULs, so a
 * typical block (a short user and target) costs about 60 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "sess_enr.h"
#include "xmalloc.h"

static size_t
cut(const char *s, size_t max)
{
	return s == NULL ? 0 : strnlen(s, max);
}

static int
empty(const struct sess_enr_fields *f)
{
	return cut(f->user, 1) == 0 && cut(f->target, 1) == 0 &&
	    cut(f->origin, 1) == 0 && f->verdict == 0 && f->leg == 0 &&
	    f->peer_hash == 0 && f->peer_start == 0;
}

static void	fill(struct sess_enr *, const struct sess_enr_fields *);

struct sess_enr *
sess_enr_new(const struct sess_enr_fields *f)
{
	struct sess_enr *e;

	if (empty(f))
		return NULL;
	e = xcalloc(1, sizeof(*e) + cut(f->user, SESS_ENR_STR_MAX) +
	    cut(f->target, SESS_ENR_STR_MAX) +
	    cut(f->origin, SESS_ENR_ORIGIN_MAX) + 3);
	fill(e, f);
	return e;
}

struct sess_enr *
sess_enr_make(void *buf, size_t cap, const struct sess_enr_fields *f)
{
	struct sess_enr *e = buf;

	if (empty(f) || cap < SESS_ENR_SIZE_MAX)
		return NULL;
	memset(e, 0, sizeof(*e));
	fill(e, f);
	return e;
}

/* Writes f into e, which has room for its strings. */
static void
fill(struct sess_enr *e, const struct sess_enr_fields *f)
{
	size_t ul = cut(f->user, SESS_ENR_STR_MAX);
	size_t tl = cut(f->target, SESS_ENR_STR_MAX);
	size_t ol = cut(f->origin, SESS_ENR_ORIGIN_MAX);
	char *p;

	e->verdict = f->verdict;
	e->leg = f->leg;
	e->kind = f->kind;
	e->user_len = (uint8_t)ul;
	e->target_len = (uint8_t)tl;
	e->origin_len = (uint8_t)ol;
	e->peer_hash = f->peer_hash;
	e->peer_start = f->peer_start;
	p = e->str;
	if (ul > 0)
		memcpy(p, f->user, ul);
	p[ul] = '\0';
	p += ul + 1;
	if (tl > 0)
		memcpy(p, f->target, tl);
	p[tl] = '\0';
	p += tl + 1;
	if (ol > 0)
		memcpy(p, f->origin, ol);
	p[ol] = '\0';
}

size_t
sess_enr_size(const struct sess_enr *e)
{
	return sizeof(*e) + (size_t)e->user_len + e->target_len +
	    e->origin_len + 3;
}

struct sess_enr *
sess_enr_dup(const struct sess_enr *e)
{
	struct sess_enr *d;

	if (e == NULL)
		return NULL;
	d = xmalloc(sess_enr_size(e));
	memcpy(d, e, sess_enr_size(e));
	return d;
}

int
sess_enr_equal(const struct sess_enr *a, const struct sess_enr *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return sess_enr_size(a) == sess_enr_size(b) &&
	    memcmp(a, b, sess_enr_size(a)) == 0;
}

const char *
sess_enr_user(const struct sess_enr *e)
{
	return e == NULL ? "" : e->str;
}

const char *
sess_enr_target(const struct sess_enr *e)
{
	return e == NULL ? "" : e->str + e->user_len + 1;
}

const char *
sess_enr_origin(const struct sess_enr *e)
{
	return e == NULL ? "" : e->str + e->user_len + e->target_len + 2;
}

const char *
sess_leg_name(enum sess_leg l)
{
	switch (l) {
	case SESS_LEG_CLIENT:
		return "client";
	case SESS_LEG_UPSTREAM:
		return "upstream";
	default:
		return NULL;
	}
}
