/*
 * api_multi: lists, the merged cursor, merge orders and the joined
 * metrics text of one API over several aggregators. The cursor is the
 * only state a client carries between history pages; it is checked
 * (version, aggregator count, list hash, a 32-bit FNV-1a over its bytes)
 * so that a cursor from another API or a changed list is a 400, never a
 * page that silently starts somewhere else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "api_multi.h"

#define CURSOR_VERSION	1
#define CURSOR_RAW_MAX	((API_MULTI_CURSOR_MAX - 1) / 4 * 3)

/* One family of a Prometheus text: its lines [lo, hi) of the text. */
struct block {
	const char	*name;
	size_t		 name_len;
	size_t		 lo, hi;
};

/* One text cut into lines and families. */
struct text {
	const char	**line;
	size_t		 *line_len;
	size_t		 nline;
	struct block	 *blk;
	size_t		 nblk;
};

static uint32_t	fnv1a(const uint8_t *, size_t, uint32_t);
static size_t	b64_encode(const uint8_t *, size_t, char *);
static int	b64_decode(const char *, size_t, uint8_t *, size_t,
		    size_t *);
static const char *str_member(const json_t *, const char *);
static int	top_cmp(const void *, const void *);
static void	text_cut(const char *, struct text *);
static void	text_free(struct text *);
static void	metric_name(const char *, size_t, const char **, size_t *);
static void	sample_labelled(struct api_buf *, const char *, size_t,
		    const char *);

int
api_multi_split(const char *list, char items[][API_MULTI_ITEM_MAX + 1],
    size_t max, size_t *n, char *err, size_t errlen)
{
	const char *p = list, *e;
	size_t len;

	*n = 0;
	for (;;) {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "item %zu is empty", *n + 1);
			return -EINVAL;
		}
		if (len > API_MULTI_ITEM_MAX) {
			snprintf(err, errlen, "item %zu is longer than %d "
			    "bytes", *n + 1, API_MULTI_ITEM_MAX);
			return -EINVAL;
		}
		if (*n == max) {
			snprintf(err, errlen, "more than %zu items", max);
			return -EINVAL;
		}
		memcpy(items[*n], p, len);
		items[*n][len] = '\0';
		(*n)++;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

uint32_t
api_multi_list_id(const char *const *names, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	size_t i;

	for (i = 0; i < n; i++)
		h = fnv1a((const uint8_t *)names[i], strlen(names[i]) + 1, h);
	return h;
}

int
api_multi_cursor_encode(const struct api_multi_cursor *c, char *out)
{
	uint8_t raw[CURSOR_RAW_MAX];
	size_t i, len, k = 0;
	uint32_t h;

	out[0] = '\0';
	if (c->n == 0 || c->n > API_MULTI_MAX)
		return -EINVAL;
	raw[k++] = CURSOR_VERSION;
	raw[k++] = (uint8_t)c->n;
	raw[k++] = (uint8_t)(c->list_id >> 24);
	raw[k++] = (uint8_t)(c->list_id >> 16);
	raw[k++] = (uint8_t)(c->list_id >> 8);
	raw[k++] = (uint8_t)c->list_id;
	for (i = 0; i < c->n; i++) {
		len = c->pos[i].state == API_MULTI_POS_AT ?
		    strnlen(c->pos[i].cursor, API_MULTI_POS_MAX + 1) : 0;
		if (len > API_MULTI_POS_MAX || k + 2 + len + 4 > sizeof(raw))
			return -EINVAL;
		raw[k++] = (uint8_t)c->pos[i].state;
		raw[k++] = (uint8_t)len;
		memcpy(raw + k, c->pos[i].cursor, len);
		k += len;
	}
	h = fnv1a(raw, k, 0x811c9dc5u);
	raw[k++] = (uint8_t)(h >> 24);
	raw[k++] = (uint8_t)(h >> 16);
	raw[k++] = (uint8_t)(h >> 8);
	raw[k++] = (uint8_t)h;
	b64_encode(raw, k, out);
	return 0;
}

int
api_multi_cursor_decode(const char *text, size_t n, uint32_t list_id,
    struct api_multi_cursor *c, char *detail, size_t detaillen)
{
	uint8_t raw[CURSOR_RAW_MAX];
	size_t tl = strnlen(text, API_MULTI_CURSOR_MAX), len, i, k;
	uint32_t h, id;

	memset(c, 0, sizeof(*c));
	if (tl >= API_MULTI_CURSOR_MAX || b64_decode(text, tl, raw,
	    sizeof(raw), &len) != 0 || len < 10) {
		snprintf(detail, detaillen, "cursor: not a cursor from this "
		    "API (not a next_cursor it handed out)");
		return -EINVAL;
	}
	h = fnv1a(raw, len - 4, 0x811c9dc5u);
	if (raw[len - 4] != (uint8_t)(h >> 24) ||
	    raw[len - 3] != (uint8_t)(h >> 16) ||
	    raw[len - 2] != (uint8_t)(h >> 8) || raw[len - 1] != (uint8_t)h) {
		snprintf(detail, detaillen, "cursor: damaged (its check does "
		    "not match; use next_cursor as it was given)");
		return -EINVAL;
	}
	len -= 4;
	id = (uint32_t)raw[2] << 24 | (uint32_t)raw[3] << 16 |
	    (uint32_t)raw[4] << 8 | raw[5];
	if (raw[0] != CURSOR_VERSION || raw[1] != n || id != list_id) {
		snprintf(detail, detaillen, "cursor: made for another list of "
		    "aggregators (api.aggregator changed since)");
		return -EINVAL;
	}
	c->n = n;
	c->list_id = id;
	for (i = 0, k = 6; i < n; i++) {
		if (k + 2 > len || raw[k] > API_MULTI_POS_DONE ||
		    raw[k + 1] > API_MULTI_POS_MAX ||
		    (raw[k] == API_MULTI_POS_AT) != (raw[k + 1] != 0) ||
		    k + 2 + raw[k + 1] > len)
			goto bad;
		c->pos[i].state = (enum api_multi_pos_state)raw[k];
		memcpy(c->pos[i].cursor, raw + k + 2, raw[k + 1]);
		c->pos[i].cursor[raw[k + 1]] = '\0';
		if (strlen(c->pos[i].cursor) != raw[k + 1])
			goto bad;
		k += 2 + (size_t)raw[k + 1];
	}
	if (k == len)
		return 0;
bad:
	snprintf(detail, detaillen, "cursor: malformed positions");
	return -EINVAL;
}

int
api_multi_session_cmp(const json_t *a, const json_t *b)
{
	const char *ea = str_member(a, "end_time"),
	    *eb = str_member(b, "end_time");
	int c;

	/* RFC 3339 UTC with nine decimals: the text orders as the time. */
	if ((c = strcmp(ea, eb)) != 0)
		return c;
	return strcmp(str_member(a, "session_id"), str_member(b,
	    "session_id"));
}

/* ---- history merge --------------------------------------------------- */

int
api_multi_rows_check(const json_t *sessions, const json_t *cursors)
{
	const json_t *r, *c;
	const char *s;
	size_t i, j, len;

	if (!json_is_array(sessions) || !json_is_array(cursors) ||
	    json_array_size(sessions) != json_array_size(cursors))
		return -EBADMSG;
	for (i = 0; i < json_array_size(sessions); i++) {
		r = json_array_get(sessions, i);
		c = json_array_get(cursors, i);
		if (!json_is_object(r) ||
		    !json_is_string(json_object_get(r, "end_time")) ||
		    !json_is_string(json_object_get(r, "session_id")) ||
		    !json_is_string(c))
			return -EBADMSG;
		/* The length jansson knows, not strlen: a \u0000 inside
		 * would hide the rest. */
		len = json_string_length(c);
		s = json_string_value(c);
		if (len == 0 || len > API_MULTI_POS_MAX)
			return -EBADMSG;
		for (j = 0; j < len; j++)
			if (s[j] < 0x21 || s[j] > 0x7e)
				return -EBADMSG;
	}
	return 0;
}

size_t
api_multi_merge(struct api_multi_src *src, size_t n, json_t *page,
    size_t limit, int *need)
{
	json_t *best, *e;
	size_t i, bi, nneed;

	for (;;) {
		nneed = 0;
		for (i = 0; i < n; i++) {
			need[i] = src[i].more && src[i].taken >=
			    json_array_size(src[i].rows);
			nneed += (size_t)need[i];
		}
		if (json_array_size(page) >= limit)
			break;
		if (nneed > 0)
			return nneed;
		best = NULL;
		bi = 0;
		for (i = 0; i < n; i++) {
			if (src[i].taken >= json_array_size(src[i].rows))
				continue;
			e = json_array_get(src[i].rows, src[i].taken);
			if (best == NULL || api_multi_session_cmp(e, best) > 0) {
				best = e;
				bi = i;
			}
		}
		if (best == NULL)
			break;
		json_array_append(page, best);
		src[bi].taken++;
	}
	/* Complete: nothing more is needed for this page. */
	for (i = 0; i < n; i++)
		need[i] = 0;
	return 0;
}

/* ---- top lists ------------------------------------------------------- */

struct top_ent {
	const char	*name;
	json_int_t	 sessions, bytes;
};

json_t *
api_multi_top_merge(json_t *const *lists, size_t n, const char *name_key,
    size_t cap)
{
	struct top_ent *v = NULL;
	size_t nv = 0, i, j, k;
	json_t *e, *out = json_array(), *o;
	const char *name;

	for (i = 0; i < n; i++) {
		if (!json_is_array(lists[i]))
			continue;
		json_array_foreach(lists[i], j, e) {
			if ((name = json_string_value(json_object_get(e,
			    name_key))) == NULL)
				continue;
			for (k = 0; k < nv; k++)
				if (strcmp(v[k].name, name) == 0)
					break;
			if (k == nv) {
				v = xreallocarray(v, nv + 1, sizeof(*v));
				v[nv].name = name;
				v[nv].sessions = v[nv].bytes = 0;
				nv++;
			}
			v[k].sessions += json_integer_value(json_object_get(e,
			    "sessions"));
			v[k].bytes += json_integer_value(json_object_get(e,
			    "bytes"));
		}
	}
	if (nv > 0)
		qsort(v, nv, sizeof(*v), top_cmp);
	for (k = 0; k < nv && k < cap; k++) {
		o = json_object();
		json_object_set_new(o, name_key, json_string(v[k].name));
		json_object_set_new(o, "sessions", json_integer(v[k].sessions));
		json_object_set_new(o, "bytes", json_integer(v[k].bytes));
		json_array_append_new(out, o);
	}
	free(v);
	return out;
}

static int
top_cmp(const void *a, const void *b)
{
	const struct top_ent *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* ---- metrics text ---------------------------------------------------- */

int
api_multi_metrics_merge(const char *const *texts, const char *const *names,
    size_t n, struct api_buf *out)
{
	struct text t[API_MULTI_MAX];
	struct block *b, *first;
	size_t i, j, f, l, k;

	if (n > API_MULTI_MAX)
		n = API_MULTI_MAX;
	for (i = 0; i < n; i++)
		text_cut(texts[i], &t[i]);
	/* Families in the order they first appear, each written once. */
	for (i = 0; i < n; i++) {
		for (f = 0; f < t[i].nblk; f++) {
			first = &t[i].blk[f];
			for (j = 0; j < i; j++) {
				for (k = 0; k < t[j].nblk; k++)
					if (t[j].blk[k].name_len ==
					    first->name_len &&
					    memcmp(t[j].blk[k].name,
					    first->name, first->name_len) == 0)
						break;
				if (k < t[j].nblk)
					break;
			}
			if (j < i)
				continue;	/* written with text j */
			for (l = first->lo; l < first->hi; l++)
				if (t[i].line[l][0] == '#') {
					api_buf_add(out, t[i].line[l],
					    t[i].line_len[l]);
					api_buf_add(out, "\n", 1);
				}
			for (j = i; j < n; j++) {
				for (k = 0, b = NULL; k < t[j].nblk; k++)
					if (t[j].blk[k].name_len ==
					    first->name_len &&
					    memcmp(t[j].blk[k].name,
					    first->name, first->name_len) == 0) {
						b = &t[j].blk[k];
						break;
					}
				for (l = b != NULL ? b->lo : 0; b != NULL &&
				    l < b->hi; l++)
					if (t[j].line[l][0] != '#' &&
					    t[j].line_len[l] > 0)
						sample_labelled(out,
						    t[j].line[l],
						    t[j].line_len[l], names[j]);
			}
		}
	}
	for (i = 0; i < n; i++)
		text_free(&t[i]);
	return out->overflow ? -EMSGSIZE : 0;
}

/* Lines and families of s (NULL: none); a family starts at its HELP. */
static void
text_cut(const char *s, struct text *t)
{
	const char *p, *e, *name;
	size_t len, nl;
	struct block *cur = NULL;

	memset(t, 0, sizeof(*t));
	if (s == NULL)
		return;
	for (p = s; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		t->line = xreallocarray(t->line, t->nline + 1,
		    sizeof(*t->line));
		t->line_len = xreallocarray(t->line_len, t->nline + 1,
		    sizeof(*t->line_len));
		t->line[t->nline] = p;
		t->line_len[t->nline] = len;
		if (len > 7 && (memcmp(p, "# HELP ", 7) == 0 ||
		    memcmp(p, "# TYPE ", 7) == 0)) {
			metric_name(p + 7, len - 7, &name, &nl);
		} else if (len > 0 && p[0] != '#') {
			metric_name(p, len, &name, &nl);
			/* Histogram and summary samples belong to the family
			 * that is open. */
			if (cur != NULL && nl >= cur->name_len &&
			    memcmp(name, cur->name, cur->name_len) == 0)
				nl = cur->name_len;
		} else {
			t->nline++;
			continue;
		}
		if (cur == NULL || cur->name_len != nl ||
		    memcmp(cur->name, name, nl) != 0) {
			t->blk = xreallocarray(t->blk, t->nblk + 1,
			    sizeof(*t->blk));
			cur = &t->blk[t->nblk++];
			cur->name = name;
			cur->name_len = nl;
			cur->lo = t->nline;
		}
		t->nline++;
		cur->hi = t->nline;
	}
}

static void
text_free(struct text *t)
{
	free(t->line);
	free(t->line_len);
	free(t->blk);
}

/* The metric name at the start of s (up to '{', ' ' or the end). */
static void
metric_name(const char *s, size_t len, const char **name, size_t *nl)
{
	size_t i;

	for (i = 0; i < len && s[i] != '{' && s[i] != ' '; i++)
		;
	*name = s;
	*nl = i;
}

/* A sample line with aggregator="label" as its first label. */
static void
sample_labelled(struct api_buf *out, const char *line, size_t len,
    const char *label)
{
	const char *name;
	size_t nl;

	metric_name(line, len, &name, &nl);
	api_buf_add(out, line, nl);
	api_buf_puts(out, "{aggregator=\"");
	for (; *label != '\0'; label++) {
		if (*label == '\\' || *label == '"')
			api_buf_add(out, "\\", 1);
		if (*label == '\n')
			api_buf_puts(out, "\\n");
		else
			api_buf_add(out, label, 1);
	}
	api_buf_add(out, "\"", 1);
	if (nl < len && line[nl] == '{') {
		/* Its own labels follow ours, unless it has none. */
		if (nl + 1 < len && line[nl + 1] != '}')
			api_buf_add(out, ",", 1);
		api_buf_add(out, line + nl + 1, len - nl - 1);
	} else {
		api_buf_add(out, "}", 1);
		api_buf_add(out, line + nl, len - nl);
	}
	api_buf_add(out, "\n", 1);
}

/* ---- helpers --------------------------------------------------------- */

static const char *
str_member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static uint32_t
fnv1a(const uint8_t *p, size_t n, uint32_t h)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x01000193u;
	return h;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out needs 4 * ceil(n / 3) + 1 bytes. */
static size_t
b64_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i, k = 0;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[k++] = b64[(v >> 18) & 63];
		out[k++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[k++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[k++] = b64[v & 63];
	}
	out[k] = '\0';
	return k;
}

static int
b64_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len)
{
	const char *c;
	uint32_t v = 0;
	size_t i, bits = 0, k = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (c = strchr(b64, s[i])) == NULL)
			return -1;
		v = (v << 6) | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == max)
				return -1;
			out[k++] = (uint8_t)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero: one text per cursor. */
	if (v != 0)
		return -1;
	*len = k;
	return 0;
}
