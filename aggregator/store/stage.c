/*
 * stage: index, by_id and rollup entries staged in a batch and sorted
 * (an LSD radix sort on their first key bytes) before they join the
 * WriteBatch at commit, so that RocksDB's hinted skiplist inserts walk
 * a short way (struct stage in store_int.h says why).
 */
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/bytes.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

/* The first 8 bytes of a key (zero-padded), big-endian: a sort key. */
uint64_t
store__sk_of(const void *key, size_t len)
{
	uint8_t b[8] = { 0 };

	memcpy(b, key, len < 8 ? len : 8);
	return be64_get(b);
}

void
store__stage_add(struct stage *sg, uint64_t sk, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	struct stage_ent *e;

	if (sg->n == sg->cap) {
		sg->cap = sg->cap == 0 ? 1024 : sg->cap * 2;
		sg->ent = xreallocarray(sg->ent, sg->cap, sizeof(*sg->ent));
		sg->tmp = xreallocarray(sg->tmp, sg->cap, sizeof(*sg->tmp));
	}
	if (sg->bufcap - sg->len < klen + vlen) {
		while (sg->bufcap - sg->len < klen + vlen)
			sg->bufcap = sg->bufcap == 0 ? 65536 : sg->bufcap * 2;
		sg->buf = xreallocarray(sg->buf, sg->bufcap, 1);
	}
	e = &sg->ent[sg->n++];
	e->sk = sk;
	e->off = (uint32_t)sg->len;
	e->klen = (uint16_t)klen;
	e->vlen = (uint16_t)vlen;
	memcpy(sg->buf + sg->len, key, klen);
	if (vlen > 0)
		memcpy(sg->buf + sg->len + klen, val, vlen);
	sg->len += klen + vlen;
}

/*
 * Sorts the staged entries by sort key (LSD radix, a byte at a time,
 * skipping bytes all keys share), appends them to wb as puts or merges,
 * and empties the stage.
 */
void
store__stage_flush(struct stage *sg, rocksdb_writebatch_t *wb,
    rocksdb_column_family_handle_t *cf, int merge)
{
	struct stage_ent *src = sg->ent, *dst = sg->tmp, *t;
	size_t cnt[256], i, pos, sum;
	unsigned int shift;
	const char *k;

	for (shift = 0; shift < 64 && sg->n > 1; shift += 8) {
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < sg->n; i++)
			cnt[(src[i].sk >> shift) & 0xff]++;
		if (cnt[(src[0].sk >> shift) & 0xff] == sg->n)
			continue;
		for (i = 0, sum = 0; i < 256; i++) {
			pos = cnt[i];
			cnt[i] = sum;
			sum += pos;
		}
		for (i = 0; i < sg->n; i++)
			dst[cnt[(src[i].sk >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	sg->ent = src;
	sg->tmp = dst;
	for (i = 0; i < sg->n; i++) {
		k = (const char *)sg->buf + src[i].off;
		if (merge)
			rocksdb_writebatch_merge_cf(wb, cf, k, src[i].klen,
			    k + src[i].klen, src[i].vlen);
		else
			rocksdb_writebatch_put_cf(wb, cf, k, src[i].klen,
			    k + src[i].klen, src[i].vlen);
	}
	sg->n = 0;
	sg->len = 0;
}

void
store__stage_free(struct stage *sg)
{
	free(sg->ent);
	free(sg->tmp);
	free(sg->buf);
	memset(sg, 0, sizeof(*sg));
}
