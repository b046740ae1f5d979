/*
 * retention: the cutoff before which sessions are gone. The compaction
 * filters that drop index and by_id entries past it, the range deletes of
 * rows and rollups (store_expire), and the cutoff every read honours,
 * saved in meta across restarts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/clock.h"
#include "../../common/log.h"
#include "../store.h"
#include "store_int.h"

/* A range delete of the rows is issued at most once per this advance. */
#define EXPIRE_STEP_NS		NS_PER_MIN

/*
 * The retention compaction filter: drops an entry whose end time is
 * before the cutoff of the last store_expire. It only reads an atomic, so
 * it runs on any compaction thread without taking a lock and never makes a
 * writer wait.
 */
unsigned char
store__expire_filter_fn(void *state, int level, const char *key, size_t klen,
    const char *val, size_t vlen, char **nv, size_t *nvlen,
    unsigned char *changed)
{
	struct expire_filter *f = state;
	uint64_t cutoff, end;

	(void)level;
	(void)nv;
	(void)nvlen;
	*changed = 0;
	cutoff = atomic_load_explicit(&f->st->cutoff, memory_order_relaxed);
	if (cutoff == 0)
		return 0;
	switch (f->kind) {
	case FILT_HEAD:
		if (klen < 8)
			return 0;
		end = be64_get((const uint8_t *)key);
		break;
	case FILT_VALUE:
		if (vlen != 8)
			return 0;
		end = be64_get((const uint8_t *)val);
		break;
	case FILT_TAIL:
		if (klen < SKEY_LEN)
			return 0;
		end = be64_get((const uint8_t *)key + klen - SKEY_LEN);
		break;
	default:
		return 0;
	}
	return end < cutoff;
}

const char *
store__expire_filter_name(void *state)
{
	(void)state;
	return "sa_expire_v1";
}

/*
 * Retention without blocking writers. The cutoff goes to an atomic
 * first: from then on reads skip what ended before it and the compaction
 * filters of by_id and idx_* drop such entries whenever RocksDB compacts
 * them (their keys are not ordered by time, so no range covers them). The
 * time-ordered families, sessions and rollups, get one range delete each,
 * a single tombstone that costs writers nothing; it is issued when the
 * cutoff has moved at least a minute since the last one, so frequent calls
 * do not pile tombstones up. The cutoff is saved in meta so that reads and
 * filters use it again after a restart.
 */
int
store_expire(struct store *st, uint64_t now)
{
	rocksdb_writebatch_t *wb;
	uint8_t zero[8] = { 0 }, end[8], val[8];
	uint64_t cutoff;
	char *err = NULL;

	if (st->retention_ns == 0 || now <= st->retention_ns)
		return 0;
	cutoff = now - st->retention_ns;
	if (cutoff <= atomic_load_explicit(&st->cutoff, memory_order_relaxed))
		return 0;
	atomic_store_explicit(&st->cutoff, cutoff, memory_order_relaxed);
	if (st->range_deleted != 0 &&
	    cutoff - st->range_deleted < EXPIRE_STEP_NS)
		return 0;

	wb = rocksdb_writebatch_create();
	be64_put(end, cutoff);
	rocksdb_writebatch_delete_range_cf(wb, st->cf[FAM_SESSIONS],
	    (const char *)zero, 8, (const char *)end, 8);
	/* Whole minutes only: minute m holds ends in [m, m + 1) minutes. */
	be64_put(end, cutoff / NS_PER_MIN);
	rocksdb_writebatch_delete_range_cf(wb, st->cf[FAM_ROLLUPS],
	    (const char *)zero, 8, (const char *)end, 8);
	be64_put(val, cutoff);
	rocksdb_writebatch_put_cf(wb, st->cf[FAM_META], "expire_cutoff", 13,
	    (const char *)val, 8);
	rocksdb_write(st->db, st->wopt, wb, &err);
	rocksdb_writebatch_destroy(wb);
	if (err != NULL) {
		log_warnx("store: retention range delete failed: %s", err);
		rocksdb_free(err);
		return -EIO;
	}
	st->range_deleted = cutoff;
	log_debug("store: expired sessions ended before %" PRIu64, cutoff);
	return 0;
}

void
store__cutoff_load(struct store *st)
{
	uint8_t val[8];
	size_t vlen;

	if (store__get_value(st, st->ropt, FAM_META, "expire_cutoff", 13, val,
	    sizeof(val), &vlen) == 0 && vlen == 8) {
		atomic_store(&st->cutoff, be64_get(val));
		st->range_deleted = be64_get(val);
	}
}

/*
 * The oldest end time a read may return: the last store_expire cutoff,
 * or the wall clock minus retention if that is later, so that nothing past
 * retention is returned before the next store_expire either.
 */
uint64_t
store__read_cutoff(struct store *st)
{
	uint64_t c = atomic_load_explicit(&st->cutoff, memory_order_relaxed);
	uint64_t now;

	if (st->retention_ns == 0)
		return c;
	now = sa_wall_ns();
	if (now > st->retention_ns && now - st->retention_ns > c)
		c = now - st->retention_ns;
	return c;
}
