/*
 * amend: late packets added to a session already written (an agent's
 * AMEND event, docs/PROTOCOL.md). The row is not read and rewritten: the
 * sessions family has a merge operator, and an amendment is a merge
 * operand of counter deltas on the row's key, in the same WriteBatch as
 * everything else, so it is exactly as durable as the batch's watermark.
 * The row keeps its key (end time), so no index entry moves; the rollups
 * and hourly top lists of the row's minute get the bytes and packets,
 * and no second session.
 */
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/cursor.h"
#include "../../common/sat.h"
#include "../../common/topk.h"
#include "../store.h"
#include "store_int.h"

/* Operand: 'A', then packets, bytes and wire bytes each way as varints. */
#define AMEND_TAG	'A'
#define AMEND_NCOUNT	6
#define AMEND_MAX	(1 + 10 * AMEND_NCOUNT)

static _Thread_local uint8_t amend_merge_buf[SESS_VAL_MAX];

static size_t
amend_encode(const uint64_t *c, uint8_t *out)
{
	uint8_t *p = out;
	int i;

	*p++ = AMEND_TAG;
	for (i = 0; i < AMEND_NCOUNT; i++)
		p = varint_put(p, c[i]);
	return (size_t)(p - out);
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Adds an operand to acc; -1 (acc untouched) if it is not one. */
static int
amend_decode(const char *buf, size_t len, uint64_t *acc)
{
	struct cursor c;
	uint64_t v[AMEND_NCOUNT];
	uint8_t tag;
	int i;

	cursor_init(&c, (const uint8_t *)buf, len);
	PD_U8(&c, tag);
	if (tag != AMEND_TAG)
		return -1;
	for (i = 0; i < AMEND_NCOUNT; i++)
		if (varint_get(&c, &v[i]) != 0)
			return -1;
	if (cursor_left(&c) != 0)
		return -1;
	for (i = 0; i < AMEND_NCOUNT; i++)
		acc[i] = sat_add(acc[i], v[i]);
	return 0;
trunc:
	return -1;
}

void
store_batch_amend_session(struct store_batch *b, const struct store_session *s,
    const struct sess_rec *d)
{
	struct store *st = b->st;
	const struct sess_rec *r = &s->rec;
	uint8_t skey[SKEY_LEN], op[AMEND_MAX];
	uint64_t c[AMEND_NCOUNT], minute = r->end_ns / NS_PER_MIN;
	char user[STORE_STR_MAX + 1], dest[DEST_NAME_MAX];
	struct roll_ent *e;
	size_t ulen, dlen, n;

	c[0] = d->packets[0];
	c[1] = d->packets[1];
	c[2] = d->bytes[0];
	c[3] = d->bytes[1];
	c[4] = d->wire_bytes[0];
	c[5] = d->wire_bytes[1];
	store__skey_make(skey, r->end_ns, r->key_hash, r->start_ns);
	n = amend_encode(c, op);
	rocksdb_writebatch_merge_cf(b->wb, st->cf[FAM_SESSIONS],
	    (const char *)skey, SKEY_LEN, (const char *)op, n);

	/* The minute's totals (store__roll_add_rec's counters): the bytes
	 * and packets, not another session. */
	e = store__roll_tab_get(&b->roll, minute, ROLL_TOTAL, "", 0);
	sa_sat_inc(&e->c[3], d->bytes[0]);
	sa_sat_inc(&e->c[4], d->bytes[1]);
	sa_sat_inc(&e->c[5], d->packets[0]);
	sa_sat_inc(&e->c[6], d->packets[1]);
	ulen = store__eff_user(s, user);
	dlen = store__dest_name(s, dest);
	topk_add(store__sketch_get(b, minute / 60, ROLL_USER), user, ulen,
	    sa_sat_add(d->bytes[0], d->bytes[1]), 0);
	topk_add(store__sketch_get(b, minute / 60, ROLL_DEST), dest, dlen,
	    sa_sat_add(d->bytes[0], d->bytes[1]), 0);
	store__sketch_touch(st, minute / 60);
}

/*
 * The merge operator of the sessions family. Full merge: the row plus
 * every operand's counters (saturating), encoded again. A row that cannot
 * be read (disk damage) or is missing (an amendment that outlived its
 * row's retention) is left as it is, or as the summed operand, which no
 * reader takes for a row: a failed merge would make every read of the
 * key fail.
 */
char *
store__amend_merge_full(void *state, const char *key, size_t klen,
    const char *existing, size_t elen, const char *const *ops,
    const size_t *oplen, int nops, unsigned char *success, size_t *nvlen)
{
	struct store_session s;
	uint64_t acc[AMEND_NCOUNT] = { 0 };
	int i, k;

	(void)state;
	(void)key;
	(void)klen;
	for (i = 0; i < nops; i++)
		(void)amend_decode(ops[i], oplen[i], acc);
	*success = 1;
	if (existing == NULL || elen > SESS_VAL_MAX ||
	    store__sess_decode((const uint8_t *)existing, elen, &s) != 0) {
		if (existing != NULL) {
			/* Damaged: unchanged (RocksDB copies it). */
			*nvlen = elen < SESS_VAL_MAX ? elen : SESS_VAL_MAX;
			memcpy(amend_merge_buf, existing, *nvlen);
		} else
			*nvlen = amend_encode(acc, amend_merge_buf);
		return (char *)amend_merge_buf;
	}
	for (k = 0; k < 2; k++) {
		s.rec.packets[k] = sat_add(s.rec.packets[k], acc[k]);
		s.rec.bytes[k] = sat_add(s.rec.bytes[k], acc[2 + k]);
		s.rec.wire_bytes[k] = sat_add(s.rec.wire_bytes[k], acc[4 + k]);
	}
	*nvlen = store__sess_encode(&s, amend_merge_buf);
	return (char *)amend_merge_buf;
}

char *
store__amend_merge_partial(void *state, const char *key, size_t klen,
    const char *const *ops, const size_t *oplen, int nops,
    unsigned char *success, size_t *nvlen)
{
	uint64_t acc[AMEND_NCOUNT] = { 0 };
	int i;

	(void)state;
	(void)key;
	(void)klen;
	for (i = 0; i < nops; i++)
		(void)amend_decode(ops[i], oplen[i], acc);
	*nvlen = amend_encode(acc, amend_merge_buf);
	*success = 1;
	return (char *)amend_merge_buf;
}

void
store__amend_merge_free(void *state, const char *value, size_t len)
{
	(void)state;
	(void)value;
	(void)len;
}

const char *
store__amend_merge_name(void *state)
{
	(void)state;
	return "sa_session_amend_v1";
}
