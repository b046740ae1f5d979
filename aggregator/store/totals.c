/*
 * totals: reads of the rollups over a window. store_rollup_sum gives the
 * totals and the top users and destinations (from the hourly sketches);
 * store_rollup_series gives the totals per bucket. Writing rollups is
 * batch.c and rollup.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/log.h"
#include "../../common/sat.h"
#include "../../common/topk.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

/* store_rollup_series refuses more buckets than this. */
#define SERIES_MAX_BUCKETS	1000000

static void	 counts_add(struct store_counts *, const uint64_t *);
static int	 top_select(struct roll_tab *, struct store_top *, size_t *,
		    size_t);

struct top_acc {
	struct roll_tab	*tab;
	uint8_t		 kind;
};

static void
top_acc_cb(void *arg, const struct topk_item *it)
{
	struct top_acc *ta = arg;
	struct roll_ent *e = store__roll_tab_get(ta->tab, 0, ta->kind, it->name,
	    it->len);

	sa_sat_inc(&e->c[0], it->sessions);
	sa_sat_inc(&e->c[3], it->weight);	/* bytes, both ways */
}

/*
 * Rollups are kept per minute of the session's end time, so the window
 * is rounded outward to whole minutes: every minute that overlaps
 * [from_ns, to_ns) counts. Minutes wholly past retention never count.
 */
int
store_rollup_sum(struct store *st, uint64_t from_ns, uint64_t to_ns,
    struct store_counts *total, struct store_top *users, size_t *n_users,
    struct store_top *dests, size_t *n_dests, size_t top_n)
{
	struct roll_tab ut, dt;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	uint8_t lo[8], hi[8];
	uint64_t m0, m1, c[ROLL_NCOUNT];
	const char *k, *v;
	char *err = NULL;
	size_t klen, vlen;
	int rc = 0;

	if (total != NULL)
		memset(total, 0, sizeof(*total));
	if (n_users != NULL)
		*n_users = 0;
	if (n_dests != NULL)
		*n_dests = 0;
	if (top_n > STORE_TOP_MAX)
		top_n = STORE_TOP_MAX;
	if (to_ns <= from_ns)
		return 0;
	m0 = from_ns / NS_PER_MIN;
	m1 = (to_ns - 1) / NS_PER_MIN;
	if (store__read_cutoff(st) / NS_PER_MIN > m0)
		m0 = store__read_cutoff(st) / NS_PER_MIN;
	if (m0 > m1)
		return 0;

	memset(&ut, 0, sizeof(ut));
	memset(&dt, 0, sizeof(dt));
	/* From the first minute of m0's hour: its top names row is there. */
	be64_put(lo, m0 / 60 * 60);
	be64_put(hi, m1 + 1);
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lo, 8);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, 8);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf[FAM_ROLLUPS]);
	for (rocksdb_iter_seek(it, (const char *)lo, 8);
	    rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		k = rocksdb_iter_key(it, &klen);
		v = rocksdb_iter_value(it, &vlen);
		if (klen < 9 || klen > 9 + STORE_STR_MAX)
			continue;
		memset(c, 0, sizeof(c));
		if (k[8] != ROLL_HOUR && store__roll_val_decode(v, vlen, c) != 0)
			continue;
		switch (k[8]) {
		case ROLL_TOTAL:
			if (total != NULL && be64_get((const uint8_t *)k) >= m0)
				counts_add(total, c);
			break;
		case ROLL_HOUR:
			/* The hour's heaviest names; whole hours, so a
			 * window's edges count the hours they touch. */
			if (top_n == 0 || klen != 10 ||
			    (k[9] != ROLL_USER && k[9] != ROLL_DEST))
				break;
			{
				struct top_acc ta = { k[9] == ROLL_USER ?
				    &ut : &dt, (uint8_t)k[9] };

				if (store__sketch_decode(v, vlen, top_acc_cb, &ta) != 0)
					log_warnx("store: top names row does "
					    "not decode; skipped");
			}
			break;
		default:
			break;
		}
	}
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: rollup scan: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	if (rc == 0 && top_n > 0) {
		if (users != NULL && n_users != NULL)
			(void)top_select(&ut, users, n_users, top_n);
		if (dests != NULL && n_dests != NULL)
			(void)top_select(&dt, dests, n_dests, top_n);
	}
	store__roll_tab_free(&ut);
	store__roll_tab_free(&dt);
	return rc;
}

/*
 * Totals per bucket. Only the total rows (kind 'T') are read: the scan
 * seeks to each minute's total and jumps over minutes without data, so
 * names do not add to the cost. A minute that starts before from_ns
 * counts in the first bucket.
 */
int
store_rollup_series(struct store *st, uint64_t from_ns, uint64_t to_ns,
    uint64_t step_ns, void (*cb)(void *, uint64_t, const struct store_counts *),
    void *arg)
{
	struct store_counts acc;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	uint8_t seek[9], hi[8];
	uint64_t m, m0, m1, km, nb, bi, cur = 0, c[ROLL_NCOUNT], ms;
	const char *k, *v;
	char *err = NULL;
	size_t klen, vlen;
	int rc = 0;

	if (step_ns == 0)
		return -EINVAL;
	if (to_ns <= from_ns)
		return 0;
	nb = (to_ns - from_ns) / step_ns + ((to_ns - from_ns) % step_ns != 0);
	if (nb > SERIES_MAX_BUCKETS)
		return -EINVAL;
	m0 = from_ns / NS_PER_MIN;
	m1 = (to_ns - 1) / NS_PER_MIN;
	if (store__read_cutoff(st) / NS_PER_MIN > m0)
		m0 = store__read_cutoff(st) / NS_PER_MIN;

	memset(&acc, 0, sizeof(acc));
	be64_put(hi, m1 + 1);
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, 8);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf[FAM_ROLLUPS]);
	m = m0;
	while (m <= m1) {
		be64_put(seek, m);
		seek[8] = ROLL_TOTAL;
		rocksdb_iter_seek(it, (const char *)seek, 9);
		if (!rocksdb_iter_valid(it))
			break;
		k = rocksdb_iter_key(it, &klen);
		if (klen < 9)
			break;
		km = be64_get((const uint8_t *)k);
		if (km > m1)
			break;
		if (km > m) {
			/* No total for m, nor for any minute up to km. */
			m = km;
			continue;
		}
		/* km == m: at m's total, or past it (no total for m). */
		if (k[8] == ROLL_TOTAL && klen == 9) {
			v = rocksdb_iter_value(it, &vlen);
			memset(c, 0, sizeof(c));
			if (store__roll_val_decode(v, vlen, c) == 0) {
				ms = m * NS_PER_MIN;
				bi = ms <= from_ns ? 0 : (ms - from_ns) / step_ns;
				if (bi >= nb)
					break;
				while (cur < bi) {
					cb(arg, from_ns + cur * step_ns, &acc);
					memset(&acc, 0, sizeof(acc));
					cur++;
				}
				counts_add(&acc, c);
			}
		}
		m++;
	}
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: rollup series scan: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	if (rc != 0)
		return rc;
	for (; cur < nb; cur++) {
		cb(arg, from_ns + cur * step_ns, &acc);
		memset(&acc, 0, sizeof(acc));
	}
	return 0;
}

static void
counts_add(struct store_counts *t, const uint64_t *c)
{
	sa_sat_inc(&t->sessions, c[0]);
	sa_sat_inc(&t->failed, c[1]);
	sa_sat_inc(&t->rejected, c[2]);
	sa_sat_inc(&t->bytes_sent, c[3]);
	sa_sat_inc(&t->bytes_received, c[4]);
	sa_sat_inc(&t->packets_sent, c[5]);
	sa_sat_inc(&t->packets_received, c[6]);
}

struct top_item {
	const char	*name;
	size_t		 len;
	uint64_t	 sessions, bytes;
};

/* By bytes, then sessions, both descending, then name. */
static int
top_cmp(const void *a, const void *b)
{
	const struct top_item *x = a, *y = b;
	size_t n;
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	n = x->len < y->len ? x->len : y->len;
	c = memcmp(x->name, y->name, n);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The top_n entries of t by top_cmp into out; *n says how many. */
static int
top_select(struct roll_tab *t, struct store_top *out, size_t *n,
    size_t top_n)
{
	struct top_item *v;
	size_t i, m;

	*n = 0;
	if (t->nent == 0)
		return 0;
	v = xcalloc(t->nent, sizeof(*v));
	for (i = 0; i < t->nent; i++) {
		v[i].name = t->names + t->ent[i].name_off;
		v[i].len = t->ent[i].name_len;
		v[i].sessions = t->ent[i].c[0];
		v[i].bytes = t->ent[i].c[3];
	}
	qsort(v, t->nent, sizeof(*v), top_cmp);
	m = t->nent < top_n ? t->nent : top_n;
	for (i = 0; i < m; i++) {
		memcpy(out[i].name, v[i].name, v[i].len);
		out[i].name[v[i].len] = '\0';
		out[i].sessions = v[i].sessions;
		out[i].bytes = v[i].bytes;
	}
	*n = m;
	free(v);
	return 0;
}
