/*
 * history: reads of closed sessions. One session by id (by_id, then its
 * row), and pages of history that walk the sessions family or one index
 * backwards from a cursor. Cursors are opaque text checked on the way
 * back in. What matches a filter is filter.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../store.h"
#include "store_int.h"

/* History: which family is scanned and the prefix of its keys. */
struct hscan {
	char		kind;		/* 's', 'u', 'd', 'c' */
	enum fam	fam;
	uint8_t		prefix[STORE_STR_MAX + 1];
	size_t		plen;
};

static void	 cursor_make(char, const uint8_t *, char *);
static int	 step_over(struct store *, enum fam, const char *, uint8_t *,
		    size_t *, int);
static int	 cursor_parse(const char *, char *, uint8_t *);
static void	 hscan_init(struct hscan *, const struct store_filter *);
static int	 hex_get(const char *, size_t, uint8_t *);
static void	 hex_put(const uint8_t *, size_t, char *);

int
store_get_session(struct store *st, const char *session_id,
    struct store_session *out)
{
	uint8_t id[16], skey[SKEY_LEN], endb[8], val[SESS_VAL_MAX];
	size_t vlen;
	uint64_t end;
	int rc;

	if (session_id == NULL || strlen(session_id) != 32 ||
	    hex_get(session_id, 32, id) != 0)
		return -EINVAL;
	rc = store__get_value(st, st->ropt, FAM_BY_ID, id, 16, endb, sizeof(endb),
	    &vlen);
	if (rc != 0)
		return rc;
	if (vlen != 8)
		return -EIO;
	end = be64_get(endb);
	if (end < store__read_cutoff(st))
		return -ENOENT;
	memcpy(skey, endb, 8);
	memcpy(skey + 8, id, 16);
	rc = store__get_value(st, st->ropt, FAM_SESSIONS, skey, SKEY_LEN, val,
	    sizeof(val), &vlen);
	if (rc != 0)
		return rc;
	if (store__sess_decode(val, vlen, out) != 0) {
		log_warnx("store: unreadable session row %s", session_id);
		return -EIO;
	}
	return 0;
}

/*
 * History walks one family backwards from the cursor (or the end) down
 * to a lower bound: the retention cutoff, raised to start_after + 1 since
 * a session cannot end before it starts. An index entry's key ends with
 * the row key, so the row is one point read in the same snapshot; a row
 * gone meanwhile (expired) is skipped. Every filter is checked on the
 * decoded row, including the one the index served.
 */
int
store_history(struct store *st, const struct store_filter *f,
    void (*cb)(void *, const struct store_session *), void *arg,
    char *next_cursor)
{
	struct hscan h;
	struct store_session s;
	rocksdb_readoptions_t *ro;
	const rocksdb_snapshot_t *snap;
	rocksdb_iterator_t *it;
	uint8_t lower[STORE_STR_MAX + 1 + 8], seek[KEY_MAX];
	uint8_t ckey[SKEY_LEN], last[SKEY_LEN], val[SESS_VAL_MAX];
	const uint8_t *k, *v;
	char ckind, *err = NULL;
	size_t klen, vlen, slen;
	uint64_t low, cut;
	uint32_t n = 0;
	int rc = 0, have_cursor = 0, skips = 0;

	if (next_cursor != NULL)
		next_cursor[0] = '\0';
	if (f == NULL || f->limit == 0)
		return -EINVAL;
	hscan_init(&h, f);
	if (f->cursor != NULL && f->cursor[0] != '\0') {
		if (cursor_parse(f->cursor, &ckind, ckey) != 0 ||
		    ckind != h.kind)
			return -EINVAL;
		have_cursor = 1;
	}
	cut = store__read_cutoff(st);
	low = cut;
	if (f->start_after_ns != 0) {
		if (f->start_after_ns == UINT64_MAX)
			return 0;
		if (f->start_after_ns + 1 > low)
			low = f->start_after_ns + 1;
	}

	memcpy(lower, h.prefix, h.plen);
	be64_put(lower + h.plen, low);
	memcpy(seek, h.prefix, h.plen);
	if (have_cursor)
		memcpy(seek + h.plen, ckey, SKEY_LEN);
	else
		memset(seek + h.plen, 0xff, SKEY_LEN);
	slen = h.plen + SKEY_LEN;

	ro = rocksdb_readoptions_create();
	snap = rocksdb_create_snapshot(st->db);
	rocksdb_readoptions_set_snapshot(ro, snap);
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lower,
	    h.plen + 8);
again:
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf[h.fam]);
	rocksdb_iter_seek_for_prev(it, (const char *)seek, slen);
	if (have_cursor && rocksdb_iter_valid(it)) {
		k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		if (klen == h.plen + SKEY_LEN &&
		    memcmp(k, seek, klen) == 0)
			rocksdb_iter_prev(it);
	}
	for (; rocksdb_iter_valid(it); rocksdb_iter_prev(it)) {
		k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		if (klen != h.plen + SKEY_LEN ||
		    memcmp(k, h.prefix, h.plen) != 0)
			break;
		k += h.plen;
		if (be64_get(k) < low)
			break;
		if (n == f->limit) {
			/* Something follows the page: hand out a cursor. */
			if (next_cursor != NULL)
				cursor_make(h.kind, last, next_cursor);
			break;
		}
		if (h.fam == FAM_SESSIONS) {
			v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		} else {
			rc = store__get_value(st, ro, FAM_SESSIONS, k, SKEY_LEN, val,
			    sizeof(val), &vlen);
			if (rc == -ENOENT) {
				rc = 0;
				continue;
			}
			if (rc != 0) {
				/* A damaged row: counted there; the page goes
				 * on without it. */
				rc = 0;
				if (f->damaged != NULL)
					(*f->damaged)++;
				continue;
			}
			v = val;
		}
		if (store__sess_decode(v, vlen, &s) != 0) {
			log_warnx("store: skipped an unreadable session row");
			continue;
		}
		if (!store__filter_match(f, &s))
			continue;
		if (f->row_cursor != NULL)
			cursor_make(h.kind, k, f->row_cursor);
		cb(arg, &s);
		memcpy(last, k, SKEY_LEN);
		n++;
	}
	if (rc == 0) {
		rocksdb_iter_get_error(it, &err);
		if (err != NULL) {
			rocksdb_iter_destroy(it);
			rc = step_over(st, h.fam, err, seek, &slen, ++skips);
			rocksdb_free(err);
			err = NULL;
			if (f->damaged != NULL)
				(*f->damaged)++;
			/* Older entries, below the damaged file, if any. */
			if (rc == 0 && n < f->limit) {
				have_cursor = 0;
				goto again;
			}
			/* Not placed, or the page is full: answer what was
			 * read, without a cursor into the damage. */
			rc = 0;
			it = NULL;
		}
	}
	if (it != NULL)
		rocksdb_iter_destroy(it);
	rocksdb_release_snapshot(st->db, snap);
	rocksdb_readoptions_destroy(ro);
	if (rc != 0 && next_cursor != NULL)
		next_cursor[0] = '\0';
	return rc;
}

/*
 * A history scan met a damaged block: counts it and sets seek to the
 * greatest key before the damaged file's smallest (the predecessor in
 * bytewise order: the key cut by its last byte if that is 0, else that
 * byte less one followed by 0xff up to the longest key), so that the
 * scan goes on with older entries. A file of another family (an index
 * scan's row reads go through store__get_value), one not found, or the
 * same file again: -EIO, the page ends with what it has. Entries of the
 * damaged file that were still readable are not returned: the whole file
 * is stepped over. A seek below a file whose first block is the damaged
 * one still reads that block: the scan then ends there.
 */
static int
step_over(struct store *st, enum fam fam, const char *msg, uint8_t *seek,
    size_t *slen, int skips)
{
	struct store__dfile d;
	uint8_t prev[KEY_MAX];
	size_t n;
	int c;

	store__note_corrupt(st, fam, msg);
	if (skips > 64 || store__damaged_file(st, msg, &d) != 0)
		return -EIO;
	if (strcmp(d.family, store__fam_name(fam)) != 0 || d.lolen == 0 ||
	    d.lolen > KEY_MAX) {
		store__dfile_free(&d);
		return -EIO;
	}
	n = d.lolen;
	memcpy(prev, seek, *slen);
	memcpy(seek, d.lo, n);
	if (seek[n - 1] == 0)
		n--;
	else {
		seek[n - 1]--;
		memset(seek + n, 0xff, KEY_MAX - n);
		n = KEY_MAX;
	}
	/* Only downwards: anything else would return entries twice. */
	c = memcmp(seek, prev, n < *slen ? n : *slen);
	if (c > 0 || (c == 0 && n >= *slen)) {
		memcpy(seek, prev, *slen);
		store__dfile_free(&d);
		return -EIO;
	}
	*slen = n;
	store__dfile_free(&d);
	log_warnx("store: history stepped over damaged file %s (%s)", d.name,
	    store__fam_name(fam));
	return 0;
}

/*
 * Cursor text: the index kind, the last returned row key in hex, and a
 * 32-bit FNV-1a of those in hex, so a cursor that was not made here is
 * refused instead of silently starting somewhere.
 */
static uint32_t
cursor_check(const char *s, size_t n)
{
	uint32_t h = 0x811c9dc5u ^ 0x5a5a0001u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x01000193u;
	return h;
}

static void
cursor_make(char kind, const uint8_t *key, char *out)
{
	uint8_t ck[4];
	uint32_t h;

	out[0] = kind;
	hex_put(key, SKEY_LEN, out + 1);
	h = cursor_check(out, 1 + 2 * SKEY_LEN);
	ck[0] = (uint8_t)(h >> 24);
	ck[1] = (uint8_t)(h >> 16);
	ck[2] = (uint8_t)(h >> 8);
	ck[3] = (uint8_t)h;
	hex_put(ck, 4, out + 1 + 2 * SKEY_LEN);
	out[CURSOR_LEN] = '\0';
}

static int
cursor_parse(const char *s, char *kind, uint8_t *key)
{
	uint8_t ck[4];
	uint32_t h;

	if (strnlen(s, CURSOR_LEN + 1) != CURSOR_LEN)
		return -1;
	if (s[0] != 's' && s[0] != 'u' && s[0] != 'd' && s[0] != 'c')
		return -1;
	if (hex_get(s + 1, 2 * SKEY_LEN, key) != 0 ||
	    hex_get(s + 1 + 2 * SKEY_LEN, 8, ck) != 0)
		return -1;
	h = cursor_check(s, 1 + 2 * SKEY_LEN);
	if (ck[0] != (uint8_t)(h >> 24) || ck[1] != (uint8_t)(h >> 16) ||
	    ck[2] != (uint8_t)(h >> 8) || ck[3] != (uint8_t)h)
		return -1;
	*kind = s[0];
	return 0;
}

/* The most selective index the filter allows: user, dest, client, none. */
static void
hscan_init(struct hscan *h, const struct store_filter *f)
{
	size_t n;

	memset(h, 0, sizeof(*h));
	if (f->user != NULL && f->user[0] != '\0' &&
	    (inet_pton(AF_INET, f->user, h->prefix + 1) == 1 ||
	    inet_pton(AF_INET6, f->user, h->prefix + 1) == 1)) {
		/*
		 * A user that is an address: sessions with no user of their
		 * own carry their client address as user, and are found by
		 * the client index (store__filter_match then checks the user).
		 */
		uint8_t a[16];

		memset(a, 0, sizeof(a));
		h->prefix[0] = inet_pton(AF_INET, f->user, a) == 1 ? 4 : 6;
		if (h->prefix[0] == 6)
			(void)inet_pton(AF_INET6, f->user, a);
		h->kind = 'c';
		h->fam = FAM_IDX_CLIENT;
		store__addr16(h->prefix + 1, h->prefix[0], a);
		h->plen = 17;
	} else if (f->user != NULL && f->user[0] != '\0') {
		h->kind = 'u';
		h->fam = FAM_IDX_USER;
		n = strnlen(f->user, STORE_STR_MAX);
		memcpy(h->prefix, f->user, n);
		h->prefix[n] = '\0';
		h->plen = n + 1;
	} else if (f->dest_af != 0) {
		h->kind = 'd';
		h->fam = FAM_IDX_DEST;
		h->prefix[0] = f->dest_af;
		store__addr16(h->prefix + 1, f->dest_af, f->dest_ip);
		h->plen = 17;
	} else if (f->source_af != 0) {
		h->kind = 'c';
		h->fam = FAM_IDX_CLIENT;
		h->prefix[0] = f->source_af;
		store__addr16(h->prefix + 1, f->source_af, f->source_ip);
		h->plen = 17;
	} else {
		h->kind = 's';
		h->fam = FAM_SESSIONS;
		h->plen = 0;
	}
}

/* n hex digits (even) to n / 2 bytes; -1 on a non-hex digit. */
static int
hex_get(const char *s, size_t n, uint8_t *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i += 2) {
		hi = sa_hex_digit(s[i]);
		lo = sa_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void
hex_put(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
}
