/*
 * rollup: the per-minute rollup counters. The in-memory table a batch sums
 * sessions in (and store_rollup_sum sums names in), the value codec, and
 * the merge operator that adds values up inside RocksDB. Reading a window
 * of rollups is totals.c; the hourly top names are hourly.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/cursor.h"
#include "../../common/sat.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

/*
 * The rollup merge operator: values and operands are the same record (a
 * version byte and seven varint counters, about 15 bytes), so full and
 * partial merges are both sums. The result goes to a per-thread buffer
 * that RocksDB copies before it calls store__roll_merge_free, so a merge
 * does not allocate. An unreadable operand (only possible after disk
 * damage) counts as zero: a failed merge would make every read of the key
 * fail.
 */
static _Thread_local char roll_merge_buf[ROLL_VAL_MAX];

char *
store__roll_merge_full(void *state, const char *key, size_t klen,
    const char *existing, size_t elen, const char *const *ops,
    const size_t *oplen, int nops, unsigned char *success, size_t *nvlen)
{
	uint64_t acc[ROLL_NCOUNT] = { 0 };
	int i;

	(void)state;
	(void)key;
	(void)klen;
	if (existing != NULL)
		(void)store__roll_val_decode(existing, elen, acc);
	for (i = 0; i < nops; i++)
		(void)store__roll_val_decode(ops[i], oplen[i], acc);
	*nvlen = store__roll_val_encode(acc, roll_merge_buf);
	*success = 1;
	return roll_merge_buf;
}

char *
store__roll_merge_partial(void *state, const char *key, size_t klen,
    const char *const *ops, const size_t *oplen, int nops,
    unsigned char *success, size_t *nvlen)
{
	return store__roll_merge_full(state, key, klen, NULL, 0, ops, oplen, nops,
	    success, nvlen);
}

void
store__roll_merge_free(void *state, const char *value, size_t len)
{
	(void)state;
	(void)value;
	(void)len;
}

const char *
store__roll_merge_name(void *state)
{
	(void)state;
	return "sa_rollup_sum_v1";
}

static uint64_t
roll_hash(uint64_t minute, uint8_t kind, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (minute * 0x9e3779b97f4a7c15ULL);
	size_t i;

	h = (h ^ kind) * 0x100000001b3ULL;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

void
store__roll_tab_free(struct roll_tab *t)
{
	free(t->ent);
	free(t->slot);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

void
store__roll_tab_reset(struct roll_tab *t)
{
	if (t->nent > 0 && t->slot != NULL)
		memset(t->slot, 0, t->nslot * sizeof(*t->slot));
	t->nent = 0;
	t->nnames = 0;
}

static void
roll_tab_rehash(struct roll_tab *t, size_t nslot)
{
	size_t i, j;

	free(t->slot);
	t->slot = xcalloc(nslot, sizeof(*t->slot));
	t->nslot = nslot;
	for (i = 0; i < t->nent; i++) {
		j = t->ent[i].hash & (nslot - 1);
		while (t->slot[j] != 0)
			j = (j + 1) & (nslot - 1);
		t->slot[j] = (uint32_t)(i + 1);
	}
}

struct roll_ent *
store__roll_tab_get(struct roll_tab *t, uint64_t minute, uint8_t kind,
    const char *name, size_t len)
{
	struct roll_ent *e;
	uint64_t h = roll_hash(minute, kind, name, len);
	size_t j;

	if (t->nslot == 0 || (t->nent + 1) * 2 > t->nslot)
		roll_tab_rehash(t, t->nslot == 0 ? 1024 : t->nslot * 2);
	for (j = h & (t->nslot - 1); t->slot[j] != 0;
	    j = (j + 1) & (t->nslot - 1)) {
		e = &t->ent[t->slot[j] - 1];
		if (e->hash == h && e->minute == minute && e->kind == kind &&
		    e->name_len == len && (len == 0 ||
		    memcmp(t->names + e->name_off, name, len) == 0))
			return e;
	}
	if (t->nent == t->capent) {
		t->capent = t->capent == 0 ? 512 : t->capent * 2;
		t->ent = xreallocarray(t->ent, t->capent, sizeof(*t->ent));
	}
	if (t->capnames - t->nnames < len) {
		while (t->capnames - t->nnames < len)
			t->capnames = t->capnames == 0 ? 8192 :
			    t->capnames * 2;
		t->names = xreallocarray(t->names, t->capnames, 1);
	}
	e = &t->ent[t->nent];
	memset(e, 0, sizeof(*e));
	e->minute = minute;
	e->hash = h;
	e->kind = kind;
	e->name_len = (uint16_t)len;
	e->name_off = (uint32_t)t->nnames;
	if (len > 0)
		memcpy(t->names + t->nnames, name, len);
	t->nnames += len;
	t->slot[j] = (uint32_t)(++t->nent);
	return e;
}

/* Counter order: the fields of struct store_counts. */
void
store__roll_add_rec(struct roll_ent *e, const struct sess_rec *r)
{
	e->c[0]++;
	e->c[1] += r->status == SESS_FAILED;
	e->c[2] += r->status == SESS_REJECTED;
	sa_sat_inc(&e->c[3], r->bytes[0]);
	sa_sat_inc(&e->c[4], r->bytes[1]);
	sa_sat_inc(&e->c[5], r->packets[0]);
	sa_sat_inc(&e->c[6], r->packets[1]);
}

/* Rollup value: version, then the counters as varints. Returns length. */
size_t
store__roll_val_encode(const uint64_t *c, char *out)
{
	uint8_t *p = (uint8_t *)out;
	int i;

	*p++ = ROLL_VAL_VERSION;
	for (i = 0; i < ROLL_NCOUNT; i++)
		p = varint_put(p, c[i]);
	return (size_t)(p - (uint8_t *)out);
}

/* Adds a rollup value to acc; -1 (acc untouched) if it is not one. */
int
store__roll_val_decode(const char *v, size_t len, uint64_t *acc)
{
	struct cursor c;
	uint64_t x[ROLL_NCOUNT];
	uint8_t ver;
	int i;

	cursor_init(&c, (const uint8_t *)v, len);
	PD_U8(&c, ver);
	if (ver != ROLL_VAL_VERSION)
		return -1;
	for (i = 0; i < ROLL_NCOUNT; i++)
		if (varint_get(&c, &x[i]) != 0)
			return -1;
	if (cursor_left(&c) != 0)
		return -1;
	for (i = 0; i < ROLL_NCOUNT; i++)
		sa_sat_inc(&acc[i], x[i]);
	return 0;
trunc:
	return -1;
}
