/*
 * export: the outbox of the JetStream exporter (docs/SCALING.md). Every
 * session row written while export is on gets a queue entry in meta,
 * "xq/" + seq(8) -> row key(24) + write time(8), in the same WriteBatch
 * as the row; seq is a commit-order counter, so a late session with an
 * old end time still queues after everything written before it. The
 * position (the last seq JetStream acknowledged) and the count of
 * sessions that expired unexported live in meta too, and so do the
 * store's export id and the exporter's plan of the rounds it publishes.
 * Not a second copy of the sessions: an entry names a row of the
 * sessions family.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/clock.h"
#include "../../common/log.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

#define XQ_KEY_LEN	(3 + 8)
#define XQ_VAL_LEN	(SKEY_LEN + 8)
#define XPOS_KEY	"xpos"
#define XEXP_KEY	"xexpired"
#define XID_KEY		"xid"
#define XPLAN_KEY	"xplan"
#define XPLAN_ENT	(8 + 4)
#define XQ_CHUNK	1024	/* rows read by one MultiGet */

/* A queue entry read, its row not yet. */
struct xq_ent {
	uint64_t	seq, wns;
	uint8_t		skey[SKEY_LEN];
};

static int	xq_deliver(struct store *, const struct xq_ent *, size_t,
		    uint64_t, struct store_session *, store_export_fn, void *);

static void
xq_key(uint8_t *k, uint64_t seq)
{
	memcpy(k, "xq/", 3);
	be64_put(k + 3, seq);
}

/* An iterator over the queue (meta's "xq/" keys) and its options. */
static rocksdb_iterator_t *
xq_iter(struct store *st, rocksdb_readoptions_t **ro)
{
	*ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(*ro, "xq0", 3);
	return rocksdb_create_iterator_cf(st->db, *ro, st->cf[FAM_META]);
}

/* Frees them, after rc: the iterator's error (logged) makes it -EIO. */
static int
xq_iter_end(rocksdb_iterator_t *it, rocksdb_readoptions_t *ro, int rc)
{
	char *err = NULL;

	if (rc == 0) {
		rocksdb_iter_get_error(it, &err);
		if (err != NULL) {
			log_warnx("store: reading the export queue: %s", err);
			rocksdb_free(err);
			rc = -EIO;
		}
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

/* The highest seq of a queue entry, 0 if none. */
static int
xq_last_entry(struct store *st, uint64_t *seq)
{
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it = xq_iter(st, &ro);
	const char *k;
	size_t klen;

	rocksdb_iter_seek_for_prev(it, "xq0", 3);
	*seq = 0;
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		if (klen == XQ_KEY_LEN && memcmp(k, "xq/", 3) == 0)
			*seq = be64_get((const uint8_t *)k + 3);
	}
	return xq_iter_end(it, ro, 0);
}

int
store_export_enable(struct store *st)
{
	uint64_t last, pos, expired;
	uint8_t v[8];
	size_t vlen;
	char *err = NULL;
	int rc;

	if ((rc = xq_last_entry(st, &last)) < 0 ||
	    (rc = store_export_position_get(st, &pos, &expired)) < 0)
		return rc;
	rc = store__get_value(st, st->ropt, FAM_META, XID_KEY,
	    strlen(XID_KEY), v, sizeof(v), &vlen);
	if (rc == 0 && vlen == sizeof(v))
		st->xq_id = be64_get(v);
	else if (rc == 0 || rc == -ENOENT) {
		st->xq_id = sa_random_u64();
		be64_put(v, st->xq_id);
		rocksdb_put_cf(st->db, st->wopt, st->cf[FAM_META], XID_KEY,
		    strlen(XID_KEY), (const char *)v, sizeof(v), &err);
		if (err != NULL) {
			log_warnx("store: writing the export id: %s", err);
			rocksdb_free(err);
			return -EIO;
		}
	} else
		return rc;
	st->xq_next = (last > pos ? last : pos) + 1;
	atomic_store_explicit(&st->xq_last, st->xq_next - 1,
	    memory_order_release);
	st->xq_on = 1;
	return 0;
}

uint64_t
store_export_last(struct store *st)
{
	return atomic_load_explicit(&st->xq_last, memory_order_acquire);
}

uint64_t
store_export_id(struct store *st)
{
	return st->xq_id;
}

int
store_export_plan_get(struct store *st, struct store_xplan *p, size_t max,
    size_t *n)
{
	uint8_t v[256];
	size_t vlen, i;
	int rc;

	*n = 0;
	rc = store__get_value(st, st->ropt, FAM_META, XPLAN_KEY,
	    strlen(XPLAN_KEY), v, sizeof(v), &vlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (vlen % XPLAN_ENT != 0 || vlen / XPLAN_ENT > max ||
	    vlen / XPLAN_ENT > STORE_XPLAN_MAX) {
		log_warnx("store: export plan of %zu bytes ignored", vlen);
		return 0;
	}
	for (i = 0; i < vlen / XPLAN_ENT; i++) {
		p[i].end = be64_get(v + i * XPLAN_ENT);
		p[i].per_msg = (uint32_t)be_get(v + i * XPLAN_ENT + 8, 4);
		if (p[i].per_msg == 0 || (i > 0 && p[i].end <= p[i - 1].end)) {
			log_warnx("store: export plan out of order, ignored");
			return 0;
		}
	}
	*n = i;
	return 0;
}

int
store_export_plan_set(struct store *st, const struct store_xplan *p,
    size_t n)
{
	uint8_t v[STORE_XPLAN_MAX * XPLAN_ENT];
	char *err = NULL;
	size_t i;

	if (n > STORE_XPLAN_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		be64_put(v + i * XPLAN_ENT, p[i].end);
		be_put(v + i * XPLAN_ENT + 8, p[i].per_msg, 4);
	}
	rocksdb_put_cf(st->db, st->wopt, st->cf[FAM_META], XPLAN_KEY,
	    strlen(XPLAN_KEY), (const char *)v, n * XPLAN_ENT, &err);
	if (err != NULL) {
		log_warnx("store: writing the export plan: %s", err);
		rocksdb_free(err);
		return -EIO;
	}
	return 0;
}

int
store_export_range(struct store *st, uint64_t after, size_t max,
    uint64_t written_max_ns, uint64_t upto, size_t *n, uint64_t *last)
{
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it = xq_iter(st, &ro);
	uint8_t lo[XQ_KEY_LEN];
	const uint8_t *k, *v;
	uint64_t seq;
	size_t klen, vlen;

	*n = 0;
	*last = after;
	xq_key(lo, after + 1);
	for (rocksdb_iter_seek(it, (const char *)lo, sizeof(lo));
	    rocksdb_iter_valid(it) && *n < max; rocksdb_iter_next(it)) {
		k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		/* What store_scan_from skips, this does not count. */
		if (klen != XQ_KEY_LEN || vlen != XQ_VAL_LEN)
			continue;
		seq = be64_get(k + 3);
		if (seq > upto || be64_get(v + SKEY_LEN) > written_max_ns)
			break;
		*last = seq;
		(*n)++;
	}
	return xq_iter_end(it, ro, 0);
}

int
store_export_position_get(struct store *st, uint64_t *seq, uint64_t *expired)
{
	uint8_t v[8];
	size_t vlen;
	int rc;

	*seq = *expired = 0;
	rc = store__get_value(st, st->ropt, FAM_META, XPOS_KEY,
	    strlen(XPOS_KEY), v, sizeof(v), &vlen);
	if (rc == 0 && vlen == 8)
		*seq = be64_get(v);
	else if (rc != -ENOENT && rc != 0)
		return rc;
	rc = store__get_value(st, st->ropt, FAM_META, XEXP_KEY,
	    strlen(XEXP_KEY), v, sizeof(v), &vlen);
	if (rc == 0 && vlen == 8)
		*expired = be64_get(v);
	else if (rc != -ENOENT && rc != 0)
		return rc;
	return 0;
}

int
store_export_position_set(struct store *st, uint64_t seq, uint64_t expired,
    int trim)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	uint8_t v[8], lo[XQ_KEY_LEN], hi[XQ_KEY_LEN];
	char *err = NULL;
	int rc = 0;

	be64_put(v, seq);
	rocksdb_writebatch_put_cf(wb, st->cf[FAM_META], XPOS_KEY,
	    strlen(XPOS_KEY), (const char *)v, 8);
	be64_put(v, expired);
	rocksdb_writebatch_put_cf(wb, st->cf[FAM_META], XEXP_KEY,
	    strlen(XEXP_KEY), (const char *)v, 8);
	/* Entries up to the position are done: one range delete, so a
	 * caller trims now and then rather than with every position. */
	if (trim) {
		xq_key(lo, 0);
		xq_key(hi, seq + 1);
		rocksdb_writebatch_delete_range_cf(wb, st->cf[FAM_META],
		    (const char *)lo, sizeof(lo), (const char *)hi,
		    sizeof(hi));
	}
	rocksdb_write(st->db, st->wopt, wb, &err);
	if (err != NULL) {
		log_warnx("store: writing the export position: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_writebatch_destroy(wb);
	return rc;
}

int
store_scan_from(struct store *st, uint64_t after, size_t max,
    uint64_t written_max_ns, store_export_fn cb, void *arg, size_t *n)
{
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it = xq_iter(st, &ro);
	struct store_session *s = xmalloc(sizeof(*s));
	struct xq_ent *e = xreallocarray(NULL, XQ_CHUNK, sizeof(*e));
	uint8_t lo[XQ_KEY_LEN];
	const uint8_t *k, *v;
	uint64_t cutoff = store__read_cutoff(st);
	size_t klen, vlen, ne = 0;
	int rc = 0;

	*n = 0;
	xq_key(lo, after + 1);
	for (rocksdb_iter_seek(it, (const char *)lo, sizeof(lo));
	    rocksdb_iter_valid(it) && *n + ne < max; rocksdb_iter_next(it)) {
		k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		if (klen != XQ_KEY_LEN || vlen != XQ_VAL_LEN) {
			log_warnx("store: export queue entry of %zu+%zu bytes "
			    "skipped", klen, vlen);
			continue;
		}
		if (be64_get(v + SKEY_LEN) > written_max_ns)
			break;
		e[ne].seq = be64_get(k + 3);
		e[ne].wns = be64_get(v + SKEY_LEN);
		memcpy(e[ne].skey, v, SKEY_LEN);
		if (++ne == XQ_CHUNK) {
			if ((rc = xq_deliver(st, e, ne, cutoff, s, cb, arg)) < 0)
				break;
			*n += ne;
			ne = 0;
		}
	}
	/* The rows are read after the iterator is gone: its error first. */
	rc = xq_iter_end(it, ro, rc);
	if (rc == 0 && ne > 0 &&
	    (rc = xq_deliver(st, e, ne, cutoff, s, cb, arg)) == 0)
		*n += ne;
	free(e);
	free(s);
	return rc;
}

/*
 * Reads the rows of ne queue entries with one MultiGet (cheaper than ne
 * point reads: one look at the memtables and files for all) and hands
 * them to cb in queue order; NULL for a row past retention, gone or
 * damaged. -EIO, with nothing handed on, if a read fails.
 */
static int
xq_deliver(struct store *st, const struct xq_ent *e, size_t ne,
    uint64_t cutoff, struct store_session *s, store_export_fn cb, void *arg)
{
	const char *keys[XQ_CHUNK] = { NULL };
	size_t lens[XQ_CHUNK] = { 0 }, vlen, i;
	rocksdb_pinnableslice_t *vals[XQ_CHUNK];
	char *errs[XQ_CHUNK];
	const char *v;
	int rc = 0, got;

	for (i = 0; i < ne; i++) {
		keys[i] = (const char *)e[i].skey;
		lens[i] = SKEY_LEN;
		vals[i] = NULL;
		errs[i] = NULL;
	}
	rocksdb_batched_multi_get_cf(st->db, st->ropt, st->cf[FAM_SESSIONS],
	    ne, keys, lens, vals, errs, false);
	for (i = 0; i < ne; i++) {
		if (errs[i] == NULL)
			continue;
		if (strstr(errs[i], "Corruption") != NULL)
			store__note_corrupt(st, FAM_SESSIONS, errs[i]);
		else
			log_warnx("store: export: reading a row: %s", errs[i]);
		rc = -EIO;
	}
	for (i = 0; rc == 0 && i < ne; i++) {
		/* Past retention is gone for good, whether or not
		 * compaction has removed the row yet. */
		got = -ENOENT;
		if (be64_get(e[i].skey) >= cutoff && vals[i] != NULL) {
			v = rocksdb_pinnableslice_value(vals[i], &vlen);
			if (v != NULL && store__sess_decode((const uint8_t *)v,
			    vlen, s) == 0)
				got = 0;
			else if (v != NULL)
				log_warnx("store: export: damaged row of queue "
				    "entry %llu skipped",
				    (unsigned long long)e[i].seq);
		}
		cb(arg, e[i].seq, e[i].wns, got == 0 ? s : NULL);
	}
	for (i = 0; i < ne; i++) {
		rocksdb_pinnableslice_destroy(vals[i]);
		rocksdb_free(errs[i]);
	}
	return rc;
}

/* Batch side (batch.c): the row keys of the batch, queued at commit. */
void
store__xq_add(struct store_batch *b, const uint8_t *skey)
{
	if (!b->st->xq_on)
		return;
	if (b->nxq == b->capxq) {
		b->capxq = b->capxq ? 2 * b->capxq : 256;
		b->xq = xreallocarray(b->xq, b->capxq, SKEY_LEN);
	}
	memcpy(b->xq + b->nxq * SKEY_LEN, skey, SKEY_LEN);
	b->nxq++;
}

/*
 * Numbers are given at commit, not at put, so that they follow commit
 * order: a reader never sees seq n + 1 committed before n. A failed
 * commit puts the same keys again on its retry.
 */
void
store__xq_flush(struct store_batch *b)
{
	struct store *st = b->st;
	uint8_t k[XQ_KEY_LEN], v[XQ_VAL_LEN];
	uint64_t now = sa_wall_ns();
	size_t i;

	for (i = 0; i < b->nxq; i++) {
		xq_key(k, st->xq_next + i);
		memcpy(v, b->xq + i * SKEY_LEN, SKEY_LEN);
		be64_put(v + SKEY_LEN, now);
		rocksdb_writebatch_put_cf(b->wb, st->cf[FAM_META],
		    (const char *)k, sizeof(k), (const char *)v, sizeof(v));
	}
}

void
store__xq_done(struct store_batch *b)
{
	struct store *st = b->st;

	if (b->nxq == 0)
		return;
	st->xq_next += b->nxq;
	atomic_store_explicit(&st->xq_last, st->xq_next - 1,
	    memory_order_release);
	b->nxq = 0;
}
