/*
 * hourly: the top users and destinations of each hour, one space-saving
 * sketch (common/topk.h) per hour and kind, kept in a small cache while
 * batches add to them and written to the rollups family as one row each.
 * Exact per-name counts per minute are not kept.
 */
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/cursor.h"
#include "../../common/log.h"
#include "../../common/topk.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

/* Key of an hourly sketch row: minute(8) of the hour, 'H', kind. */
static void
sketch_key(uint64_t hour, uint8_t kind, uint8_t *key)
{
	be64_put(key, hour * 60);
	key[8] = ROLL_HOUR;
	key[9] = kind;
}

/* Serializes a sketch into the batch (replaces the stored row). */
void
store__sketch_write(struct store_batch *b, const struct sketch *sk)
{
	size_t n = topk_count(sk->k), i, len = 0;
	uint8_t key[10], *val = xmalloc(16 + n * (TOPK_NAME_MAX + 1 + 30));
	const struct topk_item *it;

	val[len++] = SKETCH_VERSION;
	len = (size_t)(varint_put(val + len, n) - val);
	for (i = 0; i < n; i++) {
		it = topk_item(sk->k, i);
		val[len++] = (uint8_t)it->len;
		memcpy(val + len, it->name, it->len);
		len += it->len;
		len = (size_t)(varint_put(val + len, it->weight) - val);
		len = (size_t)(varint_put(val + len, it->sessions) - val);
		len = (size_t)(varint_put(val + len, it->error) - val);
	}
	sketch_key(sk->hour, sk->kind, key);
	rocksdb_writebatch_put_cf(b->wb, b->st->cf[FAM_ROLLUPS],
	    (const char *)key, sizeof(key), (const char *)val, len);
	free(val);
}

/*
 * Decodes a stored sketch, calling cb per item. A row that does not
 * decode is skipped (logged by the caller). 0 or -1.
 */
int
store__sketch_decode(const char *v, size_t vlen,
    void (*cb)(void *, const struct topk_item *), void *arg)
{
	struct cursor c;
	struct topk_item it;
	uint64_t n, i, w, ses, err;
	uint8_t ver, l;

	cursor_init(&c, (const uint8_t *)v, vlen);
	PD_U8(&c, ver);
	if (ver != SKETCH_VERSION || varint_get(&c, &n) != 0 || n > 1000000)
		return -1;
	for (i = 0; i < n; i++) {
		PD_U8(&c, l);
		memset(&it, 0, sizeof(it));
		PD_BYTES(&c, it.name, l);
		it.len = l;
		if (varint_get(&c, &w) != 0 || varint_get(&c, &ses) != 0 ||
		    varint_get(&c, &err) != 0)
			return -1;
		it.weight = w;
		it.sessions = ses;
		it.error = err;
		cb(arg, &it);
	}
	return cursor_left(&c) == 0 ? 0 : -1;
trunc:
	return -1;
}

/* Both sketches of the hour changed. */
void
store__sketch_touch(struct store *st, uint64_t hour)
{
	size_t i;

	for (i = 0; i < SKETCH_CACHE; i++)
		if (st->sketch[i].k != NULL && st->sketch[i].hour == hour)
			st->sketch[i].dirty = 1;
}

static void
sketch_load_cb(void *arg, const struct topk_item *it)
{
	topk_load((struct topk *)arg, it);
}

/*
 * The sketch of (hour, kind), from the cache or the store. When the cache
 * is full the least recently used clean one goes; a dirty one is first
 * written into the batch.
 */
struct topk *
store__sketch_get(struct store_batch *b, uint64_t hour, uint8_t kind)
{
	struct store *st = b->st;
	struct sketch *sk, *victim = NULL;
	uint8_t key[10];
	char *v, *err = NULL;
	size_t i, vlen;

	for (i = 0; i < SKETCH_CACHE; i++) {
		sk = &st->sketch[i];
		if (sk->k != NULL && sk->hour == hour && sk->kind == kind) {
			sk->used = ++st->sketch_clock;
			return sk->k;
		}
		if (sk->k == NULL) {
			if (victim == NULL || victim->k != NULL)
				victim = sk;
		} else if (victim == NULL || (victim->k != NULL &&
		    (victim->dirty > sk->dirty || (victim->dirty ==
		    sk->dirty && sk->used < victim->used))))
			victim = sk;
	}
	if (victim->k != NULL) {
		if (victim->dirty)
			store__sketch_write(b, victim);
		topk_destroy(victim->k);
	}
	victim->k = topk_create(st->top_per_hour);
	victim->hour = hour;
	victim->kind = kind;
	victim->dirty = 1;
	victim->used = ++st->sketch_clock;
	sketch_key(hour, kind, key);
	v = rocksdb_get_cf(st->db, st->ropt, st->cf[FAM_ROLLUPS],
	    (const char *)key, sizeof(key), &vlen, &err);
	if (err != NULL) {
		log_warnx("store: reading the top names of an hour: %s", err);
		rocksdb_free(err);
	} else if (v != NULL && store__sketch_decode(v, vlen, sketch_load_cb,
	    victim->k) != 0)
		log_warnx("store: top names of hour %llu do not decode; "
		    "starting again", (unsigned long long)hour);
	rocksdb_free(v);
	return victim->k;
}
