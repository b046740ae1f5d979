/*
 * open: the database itself. Options and column families, opening (an
 * unknown family is kept, a corrupt database is moved aside to start
 * empty, a newer schema is refused), the point read every file uses,
 * close, compaction, key counts, backup and statistics. Not the formats of
 * what is stored: see row.c, rollup.c and hourly.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <rocksdb/c.h>

#include "../../common/log.h"
#include "../../common/topk.h"
#include "../../common/xmalloc.h"
#include "../store.h"
#include "store_int.h"

static const char *const fam_names[FAM_MAX] = {
	"default", "sessions", "by_id", "idx_user", "idx_dest", "idx_client",
	"rollups", "active", "meta"
};

static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static rocksdb_options_t *cf_options_new(int);
static int	 options_init(struct store *, const struct store_cfg *, int);
static void	 options_free(struct store *);
static int	 db_open(struct store *, char **, int);
static int	 quarantine(struct store *, const char *, char *, size_t);
static int	 schema_check(struct store *, char *, size_t);

_Static_assert(FAM_MAX == STORE_FAMILIES, "store.h's family count");

static void
noop_destructor(void *state)
{
	(void)state;
}

struct store *
store_open(const struct store_cfg *cfg, int *quarantined, char *err,
    size_t errlen)
{
	struct store *st;
	char *msg = NULL;

	if (quarantined != NULL)
		*quarantined = 0;
	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0') {
		seterr(err, errlen, "store: no database path");
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(cfg->path);
	st->retention_ns = (uint64_t)cfg->retention_days * NS_PER_DAY;
	st->top_per_hour = cfg->top_per_hour != 0 ? cfg->top_per_hour : 1000;
	(void)options_init(st, cfg, 1);

	if (db_open(st, &msg, 0) != 0 && msg != NULL &&
	    strstr(msg, "Corruption") != NULL) {
		if (quarantine(st, msg, err, errlen) != 0)
			goto fail;
		st->quarantined = 1;
		if (quarantined != NULL)
			*quarantined = 1;
		rocksdb_free(msg);
		msg = NULL;
		(void)db_open(st, &msg, 0);
	}
	if (st->db == NULL && msg != NULL &&
	    strstr(msg, "ompression") != NULL) {
		/* This librocksdb lacks LZ4: store uncompressed. */
		log_warnx("store: %s; using no compression", msg);
		rocksdb_free(msg);
		msg = NULL;
		options_free(st);
		(void)options_init(st, cfg, 0);
		(void)db_open(st, &msg, 0);
	}
	if (st->db == NULL) {
		seterr(err, errlen, "store: cannot open %s: %s", st->path,
		    msg != NULL ? msg : "unknown error");
		goto fail;
	}
	/* A damaged checkpoint or meta is set aside, not a reason to stop. */
	if (store__heal(st) != 0) {
		seterr(err, errlen, "store: %s: a damaged family could not be "
		    "set aside", st->path);
		goto fail;
	}
	if (schema_check(st, err, errlen) != 0)
		goto fail;
	store__cutoff_load(st);
	log_info("store: opened path=%s retention_days=%" PRIu32
	    " quarantined=%d", st->path, cfg->retention_days,
	    (int)st->quarantined);
	return st;

fail:
	if (msg != NULL)
		rocksdb_free(msg);
	store_close(st);
	return NULL;
}

/*
 * --verify's open: read-only (no lock, nothing written, the WAL replayed
 * in memory only), every family the database has, no quarantine.
 */
struct store *
store__open_read_only(const struct store_cfg *cfg, char *err, size_t errlen)
{
	struct store *st;
	char *msg = NULL;

	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(cfg->path);
	(void)options_init(st, cfg, 1);
	rocksdb_options_set_create_if_missing(st->dbopt, 0);
	if (db_open(st, &msg, 1) != 0) {
		seterr(err, errlen, "path=%s error=\"%s\"", st->path,
		    msg != NULL ? msg : "unknown error");
		if (msg != NULL)
			rocksdb_free(msg);
		store_close(st);
		return NULL;
	}
	return st;
}

const char *
store__fam_name(enum fam f)
{
	return (size_t)f < FAM_MAX ? fam_names[f] : "?";
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->spare != NULL)
		store__batch_destroy(st->spare);
	for (i = 0; i < SKETCH_CACHE; i++)
		topk_destroy(st->sketch[i].k);
	if (st->db != NULL) {
		for (i = 0; i < FAM_MAX; i++)
			if (st->cf[i] != NULL)
				rocksdb_column_family_handle_destroy(st->cf[i]);
		for (i = 0; i < st->nextra; i++)
			rocksdb_column_family_handle_destroy(st->extra[i]);
		rocksdb_close(st->db);
	}
	free(st->extra);
	options_free(st);
	free(st->path);
	free(st);
}

int
store_compact(struct store *st)
{
	size_t i;

	for (i = 0; i < FAM_MAX; i++)
		rocksdb_compact_range_cf(st->db, st->cf[i], NULL, 0, NULL, 0);
	return 0;
}

int
store_count_keys(struct store *st, const char *family, uint64_t *n)
{
	rocksdb_iterator_t *it;
	char *err = NULL;
	size_t i;
	int rc = 0;

	*n = 0;
	for (i = 0; i < FAM_MAX; i++)
		if (strcmp(fam_names[i], family) == 0)
			break;
	if (i == FAM_MAX)
		return -EINVAL;
	it = rocksdb_create_iterator_cf(st->db, st->ropt, st->cf[i]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	    rocksdb_iter_next(it))
		(*n)++;
	rocksdb_iter_get_error(it, &err);
	if (err != NULL) {
		log_warnx("store: counting %s: %s", family, err);
		rocksdb_free(err);
		rc = -EIO;
	}
	rocksdb_iter_destroy(it);
	return rc;
}

int
store_backup(struct store *st, const char *dir, char *errbuf, size_t errlen)
{
	rocksdb_checkpoint_t *cp;
	struct stat sb;
	char *err = NULL;

	if (dir == NULL || dir[0] == '\0') {
		seterr(errbuf, errlen, "store: no backup directory");
		return -EINVAL;
	}
	if (stat(dir, &sb) == 0) {
		seterr(errbuf, errlen, "store: backup directory %s exists",
		    dir);
		return -EEXIST;
	}
	cp = rocksdb_checkpoint_object_create(st->db, &err);
	if (err == NULL) {
		/* 0: flush the memtables first, so no WAL is copied. */
		rocksdb_checkpoint_create(cp, dir, 0, &err);
		rocksdb_checkpoint_object_destroy(cp);
	}
	if (err != NULL) {
		seterr(errbuf, errlen, "store: backup to %s failed: %s", dir,
		    err);
		log_warnx("store: backup to %s failed: %s", dir, err);
		rocksdb_free(err);
		return -EIO;
	}
	log_info("store: backup written to %s", dir);
	return 0;
}

void
store_get_stats(const struct store *cst, struct store_stats *out)
{
	/* The counters are atomics: the cast only drops const for C11. */
	struct store *st = (struct store *)(uintptr_t)cst;
	uint64_t v;
	size_t i;

	out->commits = atomic_load_explicit(&st->commits,
	    memory_order_relaxed);
	out->commit_errors = atomic_load_explicit(&st->commit_errors,
	    memory_order_relaxed);
	out->sessions_written = atomic_load_explicit(&st->sessions_written,
	    memory_order_relaxed);
	out->quarantined = st->quarantined;
	for (i = 0; i < FAM_MAX; i++) {
		out->corrupt_reads[i] = atomic_load(&st->corrupt[i]);
		out->families_reset[i] = atomic_load(&st->reset[i]);
	}
	out->mem_memtables = out->mem_table_readers = 0;
	for (i = 0; i < FAM_MAX; i++) {
		if (rocksdb_property_int_cf(st->db, st->cf[i],
		    "rocksdb.cur-size-all-mem-tables", &v) == 0)
			out->mem_memtables += v;
		if (rocksdb_property_int_cf(st->db, st->cf[i],
		    "rocksdb.estimate-table-readers-mem", &v) == 0)
			out->mem_table_readers += v;
	}
	out->mem_block_cache = rocksdb_cache_get_usage(st->cache);
}

static void
seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * A family's options. Families that take bulk inserts get RocksDB's
 * memtable insert hint with an empty prefix: one remembered insert
 * position that the next key reuses after a short walk up and down the
 * skiplist, where the default only reuses it for an adjacent key. With
 * the batch's entries sorted (struct stage) the walk is short. The C API
 * has no setter for it, so it goes through the options-string parser.
 *
 * Never on a family that gets range deletes (sessions, rollups, active):
 * RocksDB 7.8's MemTable::Add uses the same hint for the range-tombstone
 * skiplist as for the data one, which fails an assertion in Debian's
 * build and would corrupt the memtable without it.
 */
static rocksdb_options_t *
cf_options_new(int hinted)
{
	rocksdb_options_t *base = rocksdb_options_create(), *o;
	char *err = NULL;

	if (!hinted)
		return base;
	o = rocksdb_options_create();
	rocksdb_get_options_from_string(base,
	    "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.0",
	    o, &err);
	if (err != NULL) {
		log_warnx("store: no memtable insert hint: %s", err);
		rocksdb_free(err);
		rocksdb_options_destroy(o);
		return base;
	}
	rocksdb_options_destroy(base);
	return o;
}

/*
 * Options. Write buffers of 64 MiB for the rows and 32 MiB for the other
 * families (smaller skiplists insert faster; at most 512 MiB in all), no
 * compression on L0 and L1 where data is young and rewritten soon, LZ4
 * below; one LRU block cache for every family; Bloom filters where reads
 * are point lookups (rows, by_id, meta), none on the indexes, which are
 * only scanned.
 */
static int
options_init(struct store *st, const struct store_cfg *cfg, int compress)
{
	rocksdb_block_based_table_options_t *bbt, *bbt_bloom;
	static const int levels_lz4[7] = {
		rocksdb_no_compression, rocksdb_no_compression,
		rocksdb_lz4_compression, rocksdb_lz4_compression,
		rocksdb_lz4_compression, rocksdb_lz4_compression,
		rocksdb_lz4_compression
	};
	static const int levels_none[7] = { 0 };
	rocksdb_options_t *o;
	size_t i;

	st->cache = rocksdb_cache_create_lru(cfg->cache_bytes != 0 ?
	    (size_t)cfg->cache_bytes : (size_t)64 << 20);
	bbt = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(bbt, st->cache);
	bbt_bloom = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(bbt_bloom, st->cache);
	rocksdb_block_based_options_set_filter_policy(bbt_bloom,
	    rocksdb_filterpolicy_create_bloom_full(10));

	st->dbopt = o = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	rocksdb_options_set_max_background_jobs(o, 4);
	rocksdb_options_set_db_write_buffer_size(o, (size_t)512 << 20);
	rocksdb_options_set_max_total_wal_size(o, (uint64_t)512 << 20);
	rocksdb_options_set_bytes_per_sync(o, (uint64_t)1 << 20);
	rocksdb_options_set_keep_log_file_num(o, 4);
	rocksdb_options_set_max_log_file_size(o, (size_t)16 << 20);
	rocksdb_options_set_info_log_level(o, 2);	/* WARN */

	for (i = 0; i < FAM_MAX; i++) {
		st->cfopt[i] = o = cf_options_new(i == FAM_BY_ID ||
		    i == FAM_IDX_USER || i == FAM_IDX_DEST ||
		    i == FAM_IDX_CLIENT);
		/*
		 * The checkpoint of open sessions rewrites the same keys with
		 * every commit: a small memtable that flushes often keeps
		 * its many dead versions out of the resident set.
		 */
		rocksdb_options_set_write_buffer_size(o, i == FAM_SESSIONS ?
		    (size_t)64 << 20 : i == FAM_ACTIVE ? (size_t)8 << 20 :
		    (size_t)32 << 20);
		rocksdb_options_set_max_write_buffer_number(o,
		    i == FAM_ACTIVE ? 2 : 4);
		rocksdb_options_set_target_file_size_base(o, (uint64_t)64 << 20);
		rocksdb_options_set_compression_per_level(o,
		    compress ? levels_lz4 : levels_none, 7);
		switch (i) {
		case FAM_SESSIONS:
		case FAM_BY_ID:
		case FAM_META:
			rocksdb_options_set_block_based_table_factory(o,
			    bbt_bloom);
			break;
		default:
			rocksdb_options_set_block_based_table_factory(o, bbt);
			break;
		}
	}
	for (i = 0; i < FILT_MAX; i++) {
		st->fstate[i].st = st;
		st->fstate[i].kind = (enum filt_kind)i;
		st->filter[i] = rocksdb_compactionfilter_create(&st->fstate[i],
		    noop_destructor, store__expire_filter_fn, store__expire_filter_name);
	}
	rocksdb_options_set_compaction_filter(st->cfopt[FAM_SESSIONS],
	    st->filter[FILT_HEAD]);
	rocksdb_options_set_compaction_filter(st->cfopt[FAM_BY_ID],
	    st->filter[FILT_VALUE]);
	rocksdb_options_set_compaction_filter(st->cfopt[FAM_IDX_USER],
	    st->filter[FILT_TAIL]);
	rocksdb_options_set_compaction_filter(st->cfopt[FAM_IDX_DEST],
	    st->filter[FILT_TAIL]);
	rocksdb_options_set_compaction_filter(st->cfopt[FAM_IDX_CLIENT],
	    st->filter[FILT_TAIL]);
	rocksdb_options_set_merge_operator(st->cfopt[FAM_SESSIONS],
	    rocksdb_mergeoperator_create(NULL, noop_destructor,
	    store__amend_merge_full, store__amend_merge_partial,
	    store__amend_merge_free, store__amend_merge_name));
	rocksdb_options_set_merge_operator(st->cfopt[FAM_ROLLUPS],
	    rocksdb_mergeoperator_create(NULL, noop_destructor,
	    store__roll_merge_full, store__roll_merge_partial, store__roll_merge_free,
	    store__roll_merge_name));
	st->extraopt = rocksdb_options_create();
	rocksdb_block_based_options_destroy(bbt);
	rocksdb_block_based_options_destroy(bbt_bloom);

	st->wopt = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wopt, cfg->sync ? 1 : 0);
	rocksdb_writeoptions_disable_WAL(st->wopt, 0);
	st->ropt = rocksdb_readoptions_create();
	return 0;
}

static void
options_free(struct store *st)
{
	size_t i;

	for (i = 0; i < FAM_MAX; i++) {
		if (st->cfopt[i] != NULL)
			rocksdb_options_destroy(st->cfopt[i]);
		st->cfopt[i] = NULL;
	}
	if (st->dbopt != NULL)
		rocksdb_options_destroy(st->dbopt);
	if (st->extraopt != NULL)
		rocksdb_options_destroy(st->extraopt);
	/* The options referenced the filters; they go after them. */
	for (i = 0; i < FILT_MAX; i++) {
		if (st->filter[i] != NULL)
			rocksdb_compactionfilter_destroy(st->filter[i]);
		st->filter[i] = NULL;
	}
	if (st->cache != NULL)
		rocksdb_cache_destroy(st->cache);
	if (st->wopt != NULL)
		rocksdb_writeoptions_destroy(st->wopt);
	if (st->ropt != NULL)
		rocksdb_readoptions_destroy(st->ropt);
	st->dbopt = st->extraopt = NULL;
	st->cache = NULL;
	st->wopt = NULL;
	st->ropt = NULL;
}

/*
 * Opens the database with our families plus any other family it already
 * has (a newer build may have added one; RocksDB refuses to open without
 * them). 0, or -1 with RocksDB's message in *msg (free with rocksdb_free).
 */
static int
db_open(struct store *st, char **msg, int read_only)
{
	const char **names;
	const rocksdb_options_t **opts;
	rocksdb_column_family_handle_t **handles;
	char **have = NULL, *lerr = NULL;
	size_t nhave = 0, n, i, j;

	*msg = NULL;
	have = rocksdb_list_column_families(st->dbopt, st->path, &nhave,
	    &lerr);
	if (lerr != NULL) {
		/*
		 * A new database, or a broken one: the open will tell. The
		 * list is allocated (empty) even on error.
		 */
		rocksdb_free(lerr);
		if (have != NULL)
			rocksdb_list_column_families_destroy(have, 0);
		have = NULL;
		nhave = 0;
	}
	names = xcalloc(FAM_MAX + nhave, sizeof(*names));
	opts = xcalloc(FAM_MAX + nhave, sizeof(*opts));
	handles = xcalloc(FAM_MAX + nhave, sizeof(*handles));
	for (n = 0; n < FAM_MAX; n++) {
		names[n] = fam_names[n];
		opts[n] = st->cfopt[n];
	}
	for (i = 0; i < nhave; i++) {
		for (j = 0; j < FAM_MAX; j++)
			if (strcmp(have[i], fam_names[j]) == 0)
				break;
		if (j < FAM_MAX)
			continue;
		names[n] = have[i];
		opts[n] = st->extraopt;
		n++;
	}
	if (read_only)
		st->db = rocksdb_open_for_read_only_column_families(st->dbopt,
		    st->path, (int)n, names, opts, handles, 0, msg);
	else
		st->db = rocksdb_open_column_families(st->dbopt, st->path,
		    (int)n, names, opts, handles, msg);
	if (st->db != NULL) {
		for (i = 0; i < FAM_MAX; i++)
			st->cf[i] = handles[i];
		st->nextra = n - FAM_MAX;
		if (st->nextra > 0) {
			st->extra = xcalloc(st->nextra, sizeof(*st->extra));
			memcpy(st->extra, handles + FAM_MAX,
			    st->nextra * sizeof(*st->extra));
			log_info("store: %zu column families unknown to this "
			    "build kept as they are", st->nextra);
		}
	}
	if (have != NULL)
		rocksdb_list_column_families_destroy(have, nhave);
	free(names);
	free(opts);
	free(handles);
	return st->db != NULL ? 0 : -1;
}

/* Moves a corrupt database aside to <path>.corrupt.<unix time>[.n]. */
static int
quarantine(struct store *st, const char *why, char *err, size_t errlen)
{
	char *to, *path = st->path;
	size_t len = strlen(path) + 64;
	struct stat sb;
	time_t t = time(NULL);
	int i;

	while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
		path[strlen(path) - 1] = '\0';
	to = xmalloc(len);
	snprintf(to, len, "%s.corrupt.%lld", path, (long long)t);
	for (i = 1; stat(to, &sb) == 0 && i < 1000; i++)
		snprintf(to, len, "%s.corrupt.%lld.%d", path, (long long)t, i);
	if (rename(path, to) != 0) {
		seterr(err, errlen, "store: %s is corrupt (%s) and cannot be "
		    "moved to %s: %s", path, why, to, strerror(errno));
		free(to);
		return -1;
	}
	log_warnx("store: DATABASE CORRUPT path=%s reason=\"%s\"; moved to "
	    "%s and starting with an EMPTY database", path, why, to);
	free(to);
	return 0;
}

/* Writes the schema version to a new database; refuses a newer one. */
static int
schema_check(struct store *st, char *err, size_t errlen)
{
	uint8_t val[4];
	size_t vlen;
	char *werr = NULL;
	uint32_t v;
	int rc;

	rc = store__get_value(st, st->ropt, FAM_META, "schema", 6, val, sizeof(val),
	    &vlen);
	if (rc == 0 && vlen == 4 && val[0] == 0 && val[1] == 0 &&
	    val[2] == 0 && val[3] < STORE_SCHEMA) {
		/* Older: what it holds is still read; from now on an older
		 * build must not open it. */
		log_info("store: %s: schema version %d upgraded to %d",
		    st->path, val[3], STORE_SCHEMA);
		rc = -ENOENT;
	}
	if (rc == -ENOENT) {
		val[0] = val[1] = val[2] = 0;
		val[3] = STORE_SCHEMA;
		rocksdb_put_cf(st->db, st->wopt, st->cf[FAM_META], "schema",
		    6, (const char *)val, 4, &werr);
		if (werr != NULL) {
			seterr(err, errlen, "store: writing the schema "
			    "version: %s", werr);
			rocksdb_free(werr);
			return -1;
		}
		return 0;
	}
	if (rc != 0 || vlen != 4) {
		seterr(err, errlen, "store: %s: unreadable schema version",
		    st->path);
		return -1;
	}
	v = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 |
	    (uint32_t)val[2] << 8 | val[3];
	if (v > STORE_SCHEMA) {
		seterr(err, errlen, "store: %s has schema version %" PRIu32
		    ", newer than this build's %d; refusing to open", st->path,
		    v, STORE_SCHEMA);
		return -1;
	}
	return 0;
}

/*
 * Reads one value into buf (its size bufsz). 0, -ENOENT, or -EIO (also
 * when the value is longer than buf, which only damage can cause).
 */
int
store__get_value(struct store *st, const rocksdb_readoptions_t *ro,
    enum fam fam, const void *key, size_t klen, void *buf, size_t bufsz,
    size_t *vlen)
{
	rocksdb_pinnableslice_t *ps;
	const char *v;
	char *err = NULL;

	ps = rocksdb_get_pinned_cf(st->db, ro, st->cf[fam], key, klen, &err);
	if (err != NULL) {
		if (strstr(err, "Corruption") != NULL)
			store__note_corrupt(st, fam, err);
		else
			log_warnx("store: read from %s: %s", fam_names[fam], err);
		rocksdb_free(err);
		return -EIO;
	}
	if (ps == NULL)
		return -ENOENT;
	v = rocksdb_pinnableslice_value(ps, vlen);
	if (*vlen > bufsz) {
		log_warnx("store: %zu-byte value in %s", *vlen, fam_names[fam]);
		rocksdb_pinnableslice_destroy(ps);
		return -EIO;
	}
	memcpy(buf, v, *vlen);
	rocksdb_pinnableslice_destroy(ps);
	return 0;
}
