/*
 * checkpoint: what lets the aggregator restart without losing or counting
 * twice: the open sessions (active family), each agent's durable
 * watermark and the restart mark blobs (meta). The aggregator's side of
 * it is agg_marks.c and agg_core.c.
 */
#include <errno.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/log.h"
#include "../store.h"
#include "store_int.h"

void
store_batch_set_watermark(struct store_batch *b, const char *agent,
    uint64_t boot_id, uint64_t seq)
{
	store_batch_set_boot(b, agent, boot_id, seq, 0);
}

/* The key of (agent, boot): "wm/" agent NUL boot(8); returns its length. */
static size_t
wm_key(uint8_t *key, const char *agent, uint64_t boot_id)
{
	size_t alen = strnlen(agent, STORE_AGENT_MAX);

	memcpy(key, "wm/", 3);
	memcpy(key + 3, agent, alen);
	key[3 + alen] = '\0';
	be64_put(key + 3 + alen + 1, boot_id);
	return 3 + alen + 1 + 8;
}

/* Value: seq(8), then the boot's start boot_ns(8) when known. */
void
store_batch_set_boot(struct store_batch *b, const char *agent,
    uint64_t boot_id, uint64_t seq, uint64_t boot_ns)
{
	uint8_t key[3 + STORE_AGENT_MAX + 1 + 8], val[16];
	size_t klen = wm_key(key, agent, boot_id);

	be64_put(val, seq);
	be64_put(val + 8, boot_ns);
	rocksdb_writebatch_put_cf(b->wb, b->st->cf[FAM_META],
	    (const char *)key, klen, (const char *)val, boot_ns != 0 ? 16 : 8);
}

int
store_latest_boot(struct store *st, const char *agent, uint64_t *boot_id,
    uint64_t *seq, uint64_t *boot_ns)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	uint8_t lo[3 + STORE_AGENT_MAX + 1], hi[3 + STORE_AGENT_MAX + 1];
	size_t alen = strnlen(agent, STORE_AGENT_MAX), klen, vlen;
	const char *k, *v;
	char *err = NULL;
	uint64_t best = 0;
	int rc = -ENOENT;

	/* Every key of the agent: "wm/" agent NUL ...; bounded by NUL + 1. */
	memcpy(lo, "wm/", 3);
	memcpy(lo + 3, agent, alen);
	lo[3 + alen] = '\0';
	memcpy(hi, lo, 3 + alen);
	hi[3 + alen] = 1;
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi,
	    3 + alen + 1);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf[FAM_META]);
	for (rocksdb_iter_seek(it, (const char *)lo, 3 + alen + 1);
	    rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		k = rocksdb_iter_key(it, &klen);
		v = rocksdb_iter_value(it, &vlen);
		if (klen != 3 + alen + 1 + 8 || memcmp(k, lo, 3 + alen + 1) != 0 ||
		    vlen != 16)
			continue;
		if (be64_get((const uint8_t *)v + 8) <= best)
			continue;
		best = be64_get((const uint8_t *)v + 8);
		*boot_id = be64_get((const uint8_t *)k + 3 + alen + 1);
		*seq = be64_get((const uint8_t *)v);
		*boot_ns = best;
		rc = 0;
	}
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: reading the watermarks: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

void
store_batch_clear_active(struct store_batch *b)
{
	char end[AKEY_MAX + 1];

	/* Every active key is shorter than this run of 0xff. */
	memset(end, 0xff, sizeof(end));
	rocksdb_writebatch_delete_range_cf(b->wb, b->st->cf[FAM_ACTIVE],
	    "", 0, end, sizeof(end));
}

/* Marks: meta keys "ck/" + number(8); "ck0" bounds them. */
void
store_batch_put_marks(struct store_batch *b, uint64_t no, const void *blob,
    size_t len)
{
	uint8_t key[3 + 8];

	memcpy(key, "ck/", 3);
	be64_put(key + 3, no);
	rocksdb_writebatch_put_cf(b->wb, b->st->cf[FAM_META],
	    (const char *)key, sizeof(key), (const char *)blob, len);
}

void
store_batch_clear_marks(struct store_batch *b)
{
	rocksdb_writebatch_delete_range_cf(b->wb, b->st->cf[FAM_META],
	    "ck/", 3, "ck0", 3);
}

int
store_load_marks(struct store *st, void (*cb)(void *, uint64_t,
    const uint8_t *, size_t), void *arg)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	const char *k, *v;
	char *err = NULL;
	size_t klen, vlen;
	int rc = 0;

	rocksdb_readoptions_set_iterate_upper_bound(ro, "ck0", 3);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf[FAM_META]);
	for (rocksdb_iter_seek(it, "ck/", 3); rocksdb_iter_valid(it);
	    rocksdb_iter_next(it)) {
		k = rocksdb_iter_key(it, &klen);
		v = rocksdb_iter_value(it, &vlen);
		if (klen != 3 + 8 || memcmp(k, "ck/", 3) != 0)
			continue;
		cb(arg, be64_get((const uint8_t *)k + 3), (const uint8_t *)v,
		    vlen);
	}
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: reading the marks: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

void
store_batch_put_active(struct store_batch *b, const struct store_session *s)
{
	uint8_t key[AKEY_MAX];
	size_t klen = store__akey_make(s, key), vlen;

	vlen = store__sess_encode(s, b->val);
	rocksdb_writebatch_put_cf(b->wb, b->st->cf[FAM_ACTIVE],
	    (const char *)key, klen, (const char *)b->val, vlen);
}

void
store_batch_del_active(struct store_batch *b, const struct store_session *s)
{
	uint8_t key[AKEY_MAX];
	size_t klen = store__akey_make(s, key);

	rocksdb_writebatch_delete_cf(b->wb, b->st->cf[FAM_ACTIVE],
	    (const char *)key, klen);
}

int
store_get_watermark(struct store *st, const char *agent, uint64_t boot_id,
    uint64_t *seq)
{
	uint8_t key[3 + STORE_AGENT_MAX + 1 + 8], val[16];
	size_t klen = wm_key(key, agent, boot_id), vlen;
	int rc;

	rc = store__get_value(st, st->ropt, FAM_META, key, klen, val,
	    sizeof(val), &vlen);
	if (rc != 0)
		return rc;
	if (vlen != 8 && vlen != 16) {
		log_warnx("store: watermark of agent with %zu-byte value",
		    vlen);
		return -EIO;
	}
	*seq = be64_get(val);
	return 0;
}

int
store_load_active(struct store *st,
    void (*cb)(void *, const struct store_session *), void *arg)
{
	struct store_session s;
	rocksdb_iterator_t *it;
	const char *v;
	char *err = NULL;
	size_t vlen, bad = 0;
	int rc = 0;

	it = rocksdb_create_iterator_cf(st->db, st->ropt, st->cf[FAM_ACTIVE]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	    rocksdb_iter_next(it)) {
		v = rocksdb_iter_value(it, &vlen);
		if (store__sess_decode((const uint8_t *)v, vlen, &s) != 0) {
			bad++;
			continue;
		}
		cb(arg, &s);
	}
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: reading the active checkpoint: %s", err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	if (bad > 0)
		log_warnx("store: skipped %zu unreadable active sessions", bad);
	return rc;
}
