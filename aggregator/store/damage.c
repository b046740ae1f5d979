/*
 * damage: what the store does with blocks it cannot read. A forward scan
 * that steps over a damaged table file instead of stopping at it; the
 * count of corrupt reads per family that /health, /metrics and the
 * telemetry events show; setting aside a damaged checkpoint (active) or
 * meta family at open by rebuilding it from what is still readable; and
 * --verify, which reads every block. Not a database that fails to open
 * at all: store_open moves that aside whole (open.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "../../common/log.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

/* A scan gives up after stepping over this many damaged files. */
#define SKIP_MAX	1024
/* A family rebuilt at open is rewritten in WriteBatches of this size. */
#define REBUILD_BATCH	((size_t)4 << 20)

struct kv_buf {
	uint8_t	*p;
	size_t	 len, cap, n;
};

static int	 file_number(const char *, uint64_t *);
static int	 keycmp(const char *, size_t, const char *, size_t);
static void	 kv_add(void *, const char *, size_t, const char *, size_t);
static int	 rebuild(struct store *, enum fam, const struct kv_buf *);

const char *
store_family_name(size_t i)
{
	return i < FAM_MAX ? store__fam_name((enum fam)i) : NULL;
}

/* The table file a RocksDB error names ("... /000123.sst ..."), if any. */
static int
file_number(const char *msg, uint64_t *num)
{
	const char *p = strstr(msg, ".sst"), *q;
	uint64_t n = 0;

	if (p == NULL)
		return -1;
	for (q = p; q > msg && q[-1] >= '0' && q[-1] <= '9'; q--)
		;
	if (q == p || p - q > 19)
		return -1;
	for (; q < p; q++)
		n = n * 10 + (uint64_t)(*q - '0');
	*num = n;
	return 0;
}

int
store__damaged_file(struct store *st, const char *msg, struct store__dfile *d)
{
	const rocksdb_livefiles_t *lf;
	const char *name, *k;
	uint64_t want, num;
	size_t klen;
	int i, n, rc = -ENOENT;

	memset(d, 0, sizeof(*d));
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	if (file_number(msg, &want) != 0)
		return -ENOENT;
	snprintf(d->name, sizeof(d->name), "%06" PRIu64 ".sst", want);
	if ((lf = rocksdb_livefiles(st->db)) == NULL)
		return -ENOENT;
	n = rocksdb_livefiles_count(lf);
	for (i = 0; i < n; i++) {
		name = rocksdb_livefiles_name(lf, i);
		if (name == NULL || file_number(name, &num) != 0 || num != want)
			continue;
		snprintf(d->family, sizeof(d->family), "%s",
		    rocksdb_livefiles_column_family_name(lf, i));
		d->level = rocksdb_livefiles_level(lf, i);
		k = rocksdb_livefiles_smallestkey(lf, i, &klen);
		d->lo = xmalloc(klen + 1);
		memcpy(d->lo, k, klen);
		d->lolen = klen;
		k = rocksdb_livefiles_largestkey(lf, i, &klen);
		d->hi = xmalloc(klen + 1);
		memcpy(d->hi, k, klen);
		d->hilen = klen;
		rc = 0;
		break;
	}
	rocksdb_livefiles_destroy(lf);
	return rc;
}

void
store__dfile_free(struct store__dfile *d)
{
	free(d->lo);
	free(d->hi);
	d->lo = d->hi = NULL;
}

void
store__note_corrupt(struct store *st, enum fam fam, const char *msg)
{
	uint64_t n = atomic_fetch_add(&st->corrupt[fam], 1) + 1;

	/* Loud, but not once per read of the same damage: 1, 2, 4, 8... */
	if ((n & (n - 1)) == 0)
		log_warnx("store: CORRUPT BLOCK family=%s reads=%" PRIu64
		    " error=\"%s\"; the damaged range is skipped; run "
		    "sessacct-aggregator --verify on the stopped store",
		    store__fam_name(fam), n, msg);
}

/*
 * Calls cb for every entry of fam in key order from lower (NULL: the
 * first) below upper (NULL: none). A damaged table file does not end the
 * scan: its key range is stepped over (a seek past its largest key reads
 * nothing of it) and bad is called with what was lost. Returns the number
 * of files stepped over, or -EIO when the damage could not be placed (the
 * scan then ends there; bad is called too, with no file).
 */
int
store__scan(struct store *st, enum fam fam, const void *lower, size_t llen,
    const void *upper, size_t ulen, void (*cb)(void *, const char *, size_t,
    const char *, size_t), void (*bad)(void *, const struct store__dfile *),
    void *arg, int verify)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	struct store__dfile d;
	const char *k, *v;
	char *err = NULL, *seek = NULL;
	size_t klen, vlen, slen = 0;
	int skipped = 0, rc = 0;

	rocksdb_readoptions_set_verify_checksums(ro, 1);
	if (verify)
		rocksdb_readoptions_set_fill_cache(ro, 0);
	if (upper != NULL)
		rocksdb_readoptions_set_iterate_upper_bound(ro, upper, ulen);
	for (;;) {
		it = rocksdb_create_iterator_cf(st->db, ro, st->cf[fam]);
		if (seek != NULL)
			rocksdb_iter_seek(it, seek, slen);
		else if (lower != NULL)
			rocksdb_iter_seek(it, lower, llen);
		else
			rocksdb_iter_seek_to_first(it);
		for (; rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
			k = rocksdb_iter_key(it, &klen);
			v = rocksdb_iter_value(it, &vlen);
			if (cb != NULL)
				cb(arg, k, klen, v, vlen);
		}
		rocksdb_iter_get_error(it, &err);
		rocksdb_iter_destroy(it);
		if (err == NULL)
			break;
		store__note_corrupt(st, fam, err);
		if (store__damaged_file(st, err, &d) != 0 ||
		    skipped == SKIP_MAX || (seek != NULL &&
		    keycmp(d.hi, d.hilen, seek, slen) < 0)) {
			/* Not a file we know, or no progress: stop here. */
			store__dfile_free(&d);
			if (bad != NULL)
				bad(arg, &d);
			rocksdb_free(err);
			rc = -EIO;
			break;
		}
		rocksdb_free(err);
		err = NULL;
		if (bad != NULL)
			bad(arg, &d);
		skipped++;
		/* The first key after the file: its largest with a NUL. */
		free(seek);
		seek = xmalloc(d.hilen + 1);
		memcpy(seek, d.hi, d.hilen);
		seek[d.hilen] = '\0';
		slen = d.hilen + 1;
		store__dfile_free(&d);
	}
	free(seek);
	rocksdb_readoptions_destroy(ro);
	return rc != 0 ? rc : skipped;
}

/* Bytewise key order, as RocksDB's default comparator. */
static int
keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static void
kv_add(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct kv_buf *b = arg;
	size_t need = 8 + klen + vlen;
	uint32_t k32 = (uint32_t)klen, v32 = (uint32_t)vlen;

	if (b->cap - b->len < need) {
		while (b->cap - b->len < need)
			b->cap = b->cap ? 2 * b->cap : 65536;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, &k32, 4);
	memcpy(b->p + b->len + 4, &v32, 4);
	memcpy(b->p + b->len + 8, k, klen);
	memcpy(b->p + b->len + 8 + klen, v, vlen);
	b->len += need;
	b->n++;
}

struct heal_arg {
	struct kv_buf	 kv;
	char		 files[256];
	size_t		 nfiles;
};

static void
heal_bad(void *arg, const struct store__dfile *d)
{
	struct heal_arg *h = arg;
	size_t len = strlen(h->files);

	h->nfiles++;
	snprintf(h->files + len, sizeof(h->files) - len, "%s%s", len ? "," :
	    "", d->name[0] != '\0' ? d->name : "unknown");
}

/*
 * Drops fam and creates it again (new, empty, same options), then writes
 * back what was readable. The damaged table files go with the dropped
 * family. Between the drop and the last write a crash would lose the
 * readable entries too; that window is one small write.
 */
static int
rebuild(struct store *st, enum fam fam, const struct kv_buf *kv)
{
	rocksdb_writebatch_t *wb;
	rocksdb_writeoptions_t *wo;
	char *err = NULL;
	size_t off = 0, batch = 0;
	uint32_t klen, vlen;

	rocksdb_drop_column_family(st->db, st->cf[fam], &err);
	if (err == NULL) {
		rocksdb_column_family_handle_destroy(st->cf[fam]);
		st->cf[fam] = rocksdb_create_column_family(st->db,
		    st->cfopt[fam], store__fam_name(fam), &err);
	}
	if (err != NULL) {
		log_warnx("store: cannot set family %s aside: %s",
		    store__fam_name(fam), err);
		rocksdb_free(err);
		return -EIO;
	}
	wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(wo, 1);
	wb = rocksdb_writebatch_create();
	while (off < kv->len && err == NULL) {
		memcpy(&klen, kv->p + off, 4);
		memcpy(&vlen, kv->p + off + 4, 4);
		rocksdb_writebatch_put_cf(wb, st->cf[fam],
		    (const char *)kv->p + off + 8, klen,
		    (const char *)kv->p + off + 8 + klen, vlen);
		off += 8 + (size_t)klen + vlen;
		batch += 8 + (size_t)klen + vlen;
		if (batch >= REBUILD_BATCH || off >= kv->len) {
			rocksdb_write(st->db, wo, wb, &err);
			rocksdb_writebatch_clear(wb);
			batch = 0;
		}
	}
	rocksdb_writebatch_destroy(wb);
	rocksdb_writeoptions_destroy(wo);
	if (err != NULL) {
		log_warnx("store: rewriting family %s: %s",
		    store__fam_name(fam), err);
		rocksdb_free(err);
		return -EIO;
	}
	return 0;
}

/*
 * At open: reads the two families the aggregator needs to start, the
 * checkpoint of open sessions (active) and meta, whole. A damaged file in
 * either is set aside with its family: what was readable is kept, the
 * rest is gone, and that is said loudly and counted (docs/SECURITY.md,
 * "Store damage", says what each loss means).
 */
int
store__heal(struct store *st)
{
	static const enum fam fams[] = { FAM_META, FAM_ACTIVE };
	struct heal_arg h;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		memset(&h, 0, sizeof(h));
		rc = store__scan(st, fams[i], NULL, 0, NULL, 0, kv_add, heal_bad,
		    &h, 0);
		if (rc == 0) {
			free(h.kv.p);
			continue;
		}
		log_warnx("store: FAMILY DAMAGED family=%s files=%s: setting "
		    "it aside and keeping the %zu entries still readable; %s",
		    store__fam_name(fams[i]), h.files, h.kv.n,
		    fams[i] == FAM_ACTIVE ? "open sessions in the damaged "
		    "range are LOST (their counters so far are gone; later "
		    "packets start new sessions)" : "watermarks, restart "
		    "marks or the retention cutoff in the damaged range are "
		    "LOST (a batch an agent resends may count twice)");
		rc = rebuild(st, fams[i], &h.kv);
		free(h.kv.p);
		if (rc != 0)
			return rc;
		atomic_fetch_add(&st->reset[fams[i]], 1);
	}
	return 0;
}

int
store_damage_news(struct store *st, char *msg, size_t len)
{
	uint64_t total = 0, c;
	size_t i, off = 0;

	for (i = 0; i < FAM_MAX; i++)
		total += atomic_load(&st->corrupt[i]) +
		    atomic_load(&st->reset[i]);
	if (atomic_exchange(&st->news_seen, total) == total)
		return 0;
	off = (size_t)snprintf(msg, len, "store damage:");
	for (i = 0; i < FAM_MAX && off < len; i++) {
		if ((c = atomic_load(&st->reset[i])) != 0)
			off += (size_t)snprintf(msg + off, len - off, " %s set "
			    "aside at start (damaged, readable entries kept);",
			    store__fam_name((enum fam)i));
		if (off < len && (c = atomic_load(&st->corrupt[i])) != 0)
			off += (size_t)snprintf(msg + off, len - off, " %s: %"
			    PRIu64 " corrupt reads;", store__fam_name((enum fam)i),
			    c);
	}
	if (off < len)
		snprintf(msg + off, len - off, " run sessacct-aggregator "
		    "--verify on the stopped store");
	return 1;
}

/* ---- --verify ------------------------------------------------------------ */

struct verify_arg {
	enum fam	 fam;
	uint64_t	 entries;
	size_t		 damaged;
	void		 (*report)(void *, const char *, const char *);
	void		*rarg;
};

static void
verify_count(void *arg, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	(void)k;
	(void)klen;
	(void)v;
	(void)vlen;
	((struct verify_arg *)arg)->entries++;
}

static void
hex_of(const char *p, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 3 < outlen; i++) {
		out[2 * i] = hex[(uint8_t)p[i] >> 4];
		out[2 * i + 1] = hex[(uint8_t)p[i] & 15];
	}
	out[2 * i] = '\0';
}

static void
verify_bad(void *arg, const struct store__dfile *d)
{
	struct verify_arg *va = arg;
	char line[1024], lo[65], hi[65];

	va->damaged++;
	hex_of(d->lo, d->lo != NULL ? (d->lolen < 32 ? d->lolen : 32) : 0, lo,
	    sizeof(lo));
	hex_of(d->hi, d->hi != NULL ? (d->hilen < 32 ? d->hilen : 32) : 0, hi,
	    sizeof(hi));
	snprintf(line, sizeof(line), "family=%s file=%s level=%d keys=%s..%s "
	    "error=\"%s\"", store__fam_name(va->fam), d->name[0] != '\0' ?
	    d->name : "unknown", d->level, lo, hi, d->msg);
	va->report(va->rarg, "DAMAGED", line);
}

int
store_verify(const struct store_cfg *cfg, void (*report)(void *arg,
    const char *what, const char *line), void *arg)
{
	struct store *st;
	struct verify_arg va;
	char line[512];
	size_t i, damaged = 0;
	int rc;

	if ((st = store__open_read_only(cfg, line, sizeof(line))) == NULL) {
		report(arg, "UNREADABLE", line);
		return -EIO;
	}
	for (i = 0; i < FAM_MAX; i++) {
		memset(&va, 0, sizeof(va));
		va.fam = (enum fam)i;
		va.report = report;
		va.rarg = arg;
		rc = store__scan(st, va.fam, NULL, 0, NULL, 0, verify_count,
		    verify_bad, &va, 1);
		snprintf(line, sizeof(line), "family=%s entries=%" PRIu64
		    " damaged_files=%zu%s", store__fam_name(va.fam), va.entries,
		    va.damaged, rc < 0 ? " (scan stopped at the damage)" : "");
		report(arg, va.damaged != 0 || rc < 0 ? "FAMILY-DAMAGED" :
		    "FAMILY-OK", line);
		damaged += va.damaged + (rc < 0);
	}
	store_close(st);
	return damaged != 0 ? -EBADMSG : 0;
}
