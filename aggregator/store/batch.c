/*
 * batch: the write batch of closed sessions. A session becomes its row,
 * by_id and index entries, rollup additions and hourly top names; commit
 * sorts the staged entries in and writes everything atomically. One batch
 * is kept, with its grown buffers, for the next flush.
 */
#include <errno.h>
#include <stdatomic.h>
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

struct store_batch *
store_batch_new(struct store *st)
{
	struct store_batch *b;

	if (st->spare != NULL) {
		b = st->spare;
		st->spare = NULL;
		return b;
	}
	b = xcalloc(1, sizeof(*b));
	b->st = st;
	b->wb = rocksdb_writebatch_create();
	return b;
}

void
store_batch_free(struct store_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	/* Keep one batch, with its grown buffers, for the next flush. */
	if (b->st->spare == NULL) {
		rocksdb_writebatch_clear(b->wb);
		store__roll_tab_reset(&b->roll);
		for (i = 0; i < STAGE_MAX; i++)
			b->stage[i].n = b->stage[i].len = 0;
		b->nsessions = 0;
		b->nxq = 0;
		b->st->spare = b;
		return;
	}
	store__batch_destroy(b);
}

/*
 * One closed session is five puts (the row now; by_id and three index
 * entries staged for commit, see struct stage) and three rollup additions
 * that stay in the batch's table until commit, where each distinct
 * (minute, kind, name) becomes one merge operand. Nothing here allocates
 * once the batch's buffers have grown.
 */
void
store_batch_put_session(struct store_batch *b, const struct store_session *s)
{
	struct store *st = b->st;
	const struct sess_rec *r = &s->rec;
	uint8_t skey[SKEY_LEN], key[KEY_MAX];
	char user[STORE_STR_MAX + 1], dest[DEST_NAME_MAX];
	uint64_t minute = r->end_ns / NS_PER_MIN;
	size_t vlen, ulen, dlen;

	store__skey_make(skey, r->end_ns, r->key_hash, r->start_ns);
	vlen = store__sess_encode(s, b->val);
	rocksdb_writebatch_put_cf(b->wb, st->cf[FAM_SESSIONS],
	    (const char *)skey, SKEY_LEN, (const char *)b->val, vlen);
	store__stage_add(&b->stage[STAGE_BY_ID], r->key_hash, skey + 8, 16, skey, 8);
	store__xq_add(b, skey);

	ulen = store__eff_user(s, user);
	if (s->user[0] != '\0') {
		/* A session without a user of its own is its client's: the
		 * client index finds it (hscan_init), no entry needed here. */
		memcpy(key, user, ulen);
		key[ulen] = '\0';
		memcpy(key + ulen + 1, skey, SKEY_LEN);
		store__stage_add(&b->stage[STAGE_USER], store__sk_of(key, ulen + 1), key,
		    ulen + 1 + SKEY_LEN, NULL, 0);
	}

	key[0] = r->af;
	store__addr16(key + 1, r->af, r->srv);
	memcpy(key + 17, skey, SKEY_LEN);
	store__stage_add(&b->stage[STAGE_DEST], store__sk_of(key, 17), key,
	    17 + SKEY_LEN, NULL, 0);
	store__addr16(key + 1, r->af, r->cli);
	store__stage_add(&b->stage[STAGE_CLIENT], store__sk_of(key, 17), key,
	    17 + SKEY_LEN, NULL, 0);

	dlen = store__dest_name(s, dest);
	store__roll_add_rec(store__roll_tab_get(&b->roll, minute, ROLL_TOTAL, "",
	    0), r);
	topk_add(store__sketch_get(b, minute / 60, ROLL_USER), user, ulen,
	    sa_sat_add(r->bytes[0], r->bytes[1]), 1);
	topk_add(store__sketch_get(b, minute / 60, ROLL_DEST), dest, dlen,
	    sa_sat_add(r->bytes[0], r->bytes[1]), 1);
	store__sketch_touch(st, minute / 60);
	b->nsessions++;
}

int
store_batch_commit(struct store_batch *b)
{
	struct store *st = b->st;
	char key[8 + 1 + STORE_STR_MAX], val[ROLL_VAL_MAX];
	const struct roll_ent *e;
	char *err = NULL;
	size_t i, vlen;

	/*
	 * The staged entries and the summed rollups join the batch now,
	 * once; after a failed commit the batch keeps them and a retry
	 * writes the same batch. Rollups sort by kind and name: a batch
	 * rarely spans more than a minute or two.
	 */
	for (i = 0; i < b->roll.nent; i++) {
		e = &b->roll.ent[i];
		be64_put((uint8_t *)key, e->minute);
		key[8] = (char)e->kind;
		if (e->name_len > 0)
			memcpy(key + 9, b->roll.names + e->name_off,
			    e->name_len);
		vlen = store__roll_val_encode(e->c, val);
		store__stage_add(&b->stage[STAGE_ROLLUP], store__sk_of(key + 8,
		    1 + (size_t)e->name_len), key, 9 + (size_t)e->name_len,
		    val, vlen);
	}
	store__roll_tab_reset(&b->roll);
	for (i = 0; i < SKETCH_CACHE; i++)
		if (st->sketch[i].k != NULL && st->sketch[i].dirty)
			store__sketch_write(b, &st->sketch[i]);
	store__stage_flush(&b->stage[STAGE_BY_ID], b->wb, st->cf[FAM_BY_ID], 0);
	store__stage_flush(&b->stage[STAGE_USER], b->wb, st->cf[FAM_IDX_USER], 0);
	store__stage_flush(&b->stage[STAGE_DEST], b->wb, st->cf[FAM_IDX_DEST], 0);
	store__stage_flush(&b->stage[STAGE_CLIENT], b->wb, st->cf[FAM_IDX_CLIENT], 0);
	store__stage_flush(&b->stage[STAGE_ROLLUP], b->wb, st->cf[FAM_ROLLUPS], 1);

	store__xq_flush(b);
	rocksdb_write(st->db, st->wopt, b->wb, &err);
	if (err != NULL) {
		log_warnx("store: commit of %zu sessions failed: %s",
		    b->nsessions, err);
		rocksdb_free(err);
		atomic_fetch_add_explicit(&st->commit_errors, 1,
		    memory_order_relaxed);
		return -EIO;
	}
	atomic_fetch_add_explicit(&st->commits, 1, memory_order_relaxed);
	store__xq_done(b);
	atomic_fetch_add_explicit(&st->sessions_written, b->nsessions,
	    memory_order_relaxed);
	for (i = 0; i < SKETCH_CACHE; i++)
		st->sketch[i].dirty = 0;
	/* A cleared WriteBatch keeps its buffer: after an exceptional
	 * batch (a burst of new sessions) do not keep 100 MB resident. */
	rocksdb_writebatch_data(b->wb, &vlen);
	if (vlen > ((size_t)16 << 20)) {
		rocksdb_writebatch_destroy(b->wb);
		b->wb = rocksdb_writebatch_create();
	} else
		rocksdb_writebatch_clear(b->wb);
	b->nsessions = 0;
	return 0;
}

size_t
store_batch_sessions(const struct store_batch *b)
{
	return b->nsessions;
}

void
store__batch_destroy(struct store_batch *b)
{
	size_t i;

	rocksdb_writebatch_destroy(b->wb);
	store__roll_tab_free(&b->roll);
	for (i = 0; i < STAGE_MAX; i++)
		store__stage_free(&b->stage[i]);
	free(b->xq);
	free(b);
}
