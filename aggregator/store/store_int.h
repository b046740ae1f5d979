/*
 * store_int.h: what the files of aggregator/store/ share and nothing
 * outside them sees; store.h on RocksDB 7.8 through its C API. One database
 * with nine column families (docs/AGGREGATOR.md, "Storage layout and
 * retention"): session rows keyed by end time so that history is a reverse
 * scan and retention a range delete, secondary indexes whose keys end with
 * the row key, per-minute rollups updated by a summing merge operator, the
 * checkpoint of open sessions and meta. RocksDB's errors are translated to
 * negative errno values inside aggregator/store/ and nowhere else.
 */
#ifndef SA_STORE_STORE_INT_H
#define SA_STORE_STORE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "../../common/cursor.h"
#include "../../common/topk.h"
#include "../store.h"

#define NS_PER_SEC		1000000000ULL
#define NS_PER_MIN		(60 * NS_PER_SEC)
#define NS_PER_DAY		(86400 * NS_PER_SEC)

/*
 * On-disk formats; bump STORE_SCHEMA when any of them changes so that an
 * older build refuses a store a newer one wrote. 2: session rows of
 * version 3 (proxy legs), merge operands of amendments in the sessions
 * family, the export queue in meta. A store of an older schema is
 * upgraded in place when opened (its old rows are still read).
 */
#define STORE_SCHEMA		2
#define SESS_VAL_VERSION	3	/* 2: without leg, 1: nor origin; read */
#define ROLL_VAL_VERSION	1
#define ROLL_NCOUNT		7
#define ROLL_VAL_MAX		(1 + 10 * ROLL_NCOUNT)

/* Row key: end_ns BE, key_hash BE, start_ns BE. */
#define SKEY_LEN		24
/* Longest encoded session row (see store__sess_encode), rounded up. */
#define SESS_VAL_MAX		1024
/* Longest index or rollup key: a user, its NUL, a row key. */
#define KEY_MAX			(STORE_STR_MAX + 1 + SKEY_LEN)
/* Longest active key: agent, NUL, key_hash, start_ns. */
#define AKEY_MAX		(STORE_AGENT_MAX + 1 + 16)
/* "[v6 address]:65535" */
#define DEST_NAME_MAX		(STORE_STR_MAX + 1)
/* Cursor: index kind, row key in hex, check in hex. */
#define CURSOR_LEN		(1 + 2 * SKEY_LEN + 8)

_Static_assert(CURSOR_LEN < STORE_CURSOR_MAX, "cursor does not fit");
/* 12 fixed bytes, 2 addresses, 2 u64, 7 varints, 4 strings with lengths,
 * the leg and its peer's id. */
_Static_assert(12 + 32 + 16 + 7 * 10 + 4 * 2 + STORE_AGENT_MAX +
    2 * STORE_STR_MAX + STORE_ORIGIN_MAX + 1 + 16 <= SESS_VAL_MAX,
    "session row buffer too small");

enum fam {
	FAM_DEFAULT = 0,
	FAM_SESSIONS,
	FAM_BY_ID,
	FAM_IDX_USER,
	FAM_IDX_DEST,
	FAM_IDX_CLIENT,
	FAM_ROLLUPS,
	FAM_ACTIVE,
	FAM_META,
	FAM_MAX
};

/* Where a compaction filter finds the end time of an entry. */
enum filt_kind {
	FILT_HEAD = 0,		/* key begins with end_ns (sessions) */
	FILT_VALUE,		/* value is end_ns (by_id) */
	FILT_TAIL,		/* key ends with a row key (idx_*) */
	FILT_MAX
};

struct expire_filter {
	struct store	*st;
	enum filt_kind	 kind;
};

/* Rollup kinds, the byte after the minute in a rollup key. */
#define ROLL_TOTAL	'T'
#define ROLL_USER	'U'
#define ROLL_DEST	'D'
/*
 * Hourly top users and destinations: one row per hour and kind, key
 * minute(8) of the hour's first minute, 'H', kind, holding a space-saving
 * sketch (common/topk.h) of at most top_per_hour names. The statistics
 * read 24 such rows for a day, whatever the traffic; exact per-name
 * counts per minute are not kept.
 */
#define ROLL_HOUR	'H'
#define SKETCH_CACHE	8	/* (hour, kind) sketches kept in memory */
#define SKETCH_VERSION	1

/*
 * A small hash table of rollup counters keyed by (minute, kind, name):
 * a batch sums its sessions here and merges one operand per key at commit;
 * store_rollup_sum sums names across minutes here. Memory is kept between
 * uses, so a steady batch allocates nothing.
 */
struct roll_ent {
	uint64_t	minute;
	uint64_t	hash;
	uint32_t	name_off;
	uint16_t	name_len;
	uint8_t		kind;
	uint64_t	c[ROLL_NCOUNT];
};

struct roll_tab {
	struct roll_ent	*ent;
	size_t		 nent, capent;
	uint32_t	*slot;		/* index + 1 into ent; 0 empty */
	size_t		 nslot;		/* power of two */
	char		*names;
	size_t		 nnames, capnames;
};

struct store {
	rocksdb_t			*db;
	rocksdb_options_t		*dbopt;
	rocksdb_options_t		*cfopt[FAM_MAX];
	rocksdb_options_t		*extraopt;
	rocksdb_column_family_handle_t	*cf[FAM_MAX];
	rocksdb_column_family_handle_t	**extra;	/* unknown families */
	size_t				 nextra;
	rocksdb_cache_t			*cache;
	rocksdb_compactionfilter_t	*filter[FILT_MAX];
	struct expire_filter		 fstate[FILT_MAX];
	rocksdb_writeoptions_t		*wopt;
	rocksdb_readoptions_t		*ropt;
	char				*path;
	uint64_t			 retention_ns;	/* 0: keep forever */
	/* Set by store_expire, read by the compaction filters and reads. */
	_Atomic uint64_t		 cutoff;
	uint64_t			 range_deleted;
	struct store_batch		*spare;		/* writer thread only */
	/* Hourly sketches being written (writer thread only). */
	struct sketch {
		uint64_t	 hour;		/* hour number, 0: slot empty */
		uint8_t		 kind;		/* ROLL_USER or ROLL_DEST */
		int		 dirty;
		uint64_t	 used;		/* for replacement */
		struct topk	*k;
	}				 sketch[SKETCH_CACHE];
	uint64_t			 sketch_clock;
	uint32_t			 top_per_hour;
	_Atomic uint64_t		 commits;
	_Atomic uint64_t		 commit_errors;
	_Atomic uint64_t		 sessions_written;
	uint64_t			 quarantined;
	/* Damage (damage.c): corrupt reads met, families set aside at
	 * open, and the total last reported by store_damage_news. */
	_Atomic uint64_t		 corrupt[FAM_MAX];
	_Atomic uint64_t		 reset[FAM_MAX];
	_Atomic uint64_t		 news_seen;
	/* Export queue (export.c): on, the next seq (writer thread) and
	 * the last committed one (any thread); the store's export id. */
	int				 xq_on;
	uint64_t			 xq_next;
	uint64_t			 xq_id;
	_Atomic uint64_t		 xq_last;
};

/* A damaged table file, from the error that met it (damage.c). */
struct store__dfile {
	char		 name[32];	/* "000123.sst", "" if not named */
	char		 family[32];
	int		 level;
	char		*lo, *hi;	/* its smallest and largest keys */
	size_t		 lolen, hilen;
	char		 msg[512];	/* RocksDB's error */
};

/*
 * Index, by_id and rollup entries wait in the batch and join the
 * WriteBatch at commit sorted by their first key bytes. Their keys are
 * random (hashes, users, addresses), and RocksDB's skiplist inserts a key
 * that lands near the previous one (with the insert hint, see
 * cf_options_new) after a short walk instead of a full search: sorting
 * them about halved the cost of a commit. The order changes nothing else;
 * the rows, already about in end-time order, go straight in.
 */
struct stage_ent {
	uint64_t	sk;		/* sort key */
	uint32_t	off;		/* into buf: the key, then the value */
	uint16_t	klen, vlen;
};

struct stage {
	struct stage_ent *ent, *tmp;
	size_t		  n, cap;
	uint8_t		 *buf;
	size_t		  len, bufcap;
};

enum stage_fam {
	STAGE_BY_ID = 0,
	STAGE_USER,
	STAGE_DEST,
	STAGE_CLIENT,
	STAGE_ROLLUP,
	STAGE_MAX
};

struct store_batch {
	struct store		*st;
	rocksdb_writebatch_t	*wb;
	size_t			 nsessions;
	struct roll_tab		 roll;
	struct stage		 stage[STAGE_MAX];
	uint8_t			 val[SESS_VAL_MAX];
	uint8_t			*xq;		/* row keys to queue (export.c) */
	size_t			 nxq, capxq;
};

/* Big-endian integers, so that keys sort by number. */
static inline uint8_t *
varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Reads a LEB128 varint of at most 10 bytes; 0, or -1 if cut or too long. */
static inline int
varint_get(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift;
	uint8_t b;

	for (shift = 0; shift < 64; shift += 7) {
		PD_U8(c, b);
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
trunc:
	return -1;
}

/* row.c */
size_t	 store__sess_encode(const struct store_session *, uint8_t *);
int	 store__sess_decode(const uint8_t *, size_t, struct store_session *);
size_t	 store__eff_user(const struct store_session *, char *);
size_t	 store__dest_name(const struct store_session *, char *);
void	 store__skey_make(uint8_t *, uint64_t, uint64_t, uint64_t);
size_t	 store__akey_make(const struct store_session *, uint8_t *);
void	 store__addr16(uint8_t *, uint8_t, const uint8_t *);

/* filter.c */
int	 store__filter_match(const struct store_filter *,
		    const struct store_session *);

/* stage.c */
uint64_t	 store__sk_of(const void *, size_t);
void	 store__stage_add(struct stage *, uint64_t, const void *, size_t,
		    const void *, size_t);
void	 store__stage_flush(struct stage *, rocksdb_writebatch_t *,
		    rocksdb_column_family_handle_t *, int);
void	 store__stage_free(struct stage *);

/* rollup.c */
char *store__roll_merge_full(void *state, const char *key, size_t klen,
		    const char *existing, size_t elen, const char *const *ops,
		    const size_t *oplen, int nops, unsigned char *success,
		    size_t *nvlen);
char *store__roll_merge_partial(void *state, const char *key, size_t klen,
		    const char *const *ops, const size_t *oplen, int nops,
		    unsigned char *success, size_t *nvlen);
void	 store__roll_merge_free(void *state, const char *value, size_t len);
const char *store__roll_merge_name(void *state);
void	 store__roll_tab_free(struct roll_tab *);
void	 store__roll_tab_reset(struct roll_tab *);
struct roll_ent *store__roll_tab_get(struct roll_tab *, uint64_t, uint8_t,
		    const char *, size_t);
void	 store__roll_add_rec(struct roll_ent *, const struct sess_rec *);
size_t	 store__roll_val_encode(const uint64_t *, char *);
int	 store__roll_val_decode(const char *, size_t, uint64_t *);

/* amend.c */
char *store__amend_merge_full(void *state, const char *key, size_t klen,
		    const char *existing, size_t elen, const char *const *ops,
		    const size_t *oplen, int nops, unsigned char *success,
		    size_t *nvlen);
char *store__amend_merge_partial(void *state, const char *key, size_t klen,
		    const char *const *ops, const size_t *oplen, int nops,
		    unsigned char *success, size_t *nvlen);
void	 store__amend_merge_free(void *state, const char *value, size_t len);
const char *store__amend_merge_name(void *state);

/* hourly.c */
void	 store__sketch_write(struct store_batch *b, const struct sketch *sk);
int	 store__sketch_decode(const char *v, size_t vlen, void (*cb)(void *,
		    const struct topk_item *), void *arg);
void	 store__sketch_touch(struct store *st, uint64_t hour);
struct topk *store__sketch_get(struct store_batch *b, uint64_t hour,
		    uint8_t kind);

/* retention.c */
unsigned char	 store__expire_filter_fn(void *state, int level,
		    const char *key, size_t klen, const char *val, size_t vlen,
		    char **nv, size_t *nvlen, unsigned char *changed);
const char *store__expire_filter_name(void *state);
void	 store__cutoff_load(struct store *);
uint64_t	 store__read_cutoff(struct store *);

/* export.c */
void	 store__xq_add(struct store_batch *, const uint8_t *);
void	 store__xq_flush(struct store_batch *);
void	 store__xq_done(struct store_batch *);

/* batch.c */
void	 store__batch_destroy(struct store_batch *);

/* damage.c */
int	 store__damaged_file(struct store *, const char *,
		    struct store__dfile *);
void	 store__dfile_free(struct store__dfile *);
void	 store__note_corrupt(struct store *, enum fam, const char *);
int	 store__scan(struct store *, enum fam, const void *, size_t,
		    const void *, size_t, void (*)(void *, const char *, size_t,
		    const char *, size_t), void (*)(void *,
		    const struct store__dfile *), void *, int);
int	 store__heal(struct store *);

/* open.c */
const char *store__fam_name(enum fam);
struct store *store__open_read_only(const struct store_cfg *, char *, size_t);
int	 store__get_value(struct store *, const rocksdb_readoptions_t *,
		    enum fam, const void *, size_t, void *, size_t, size_t *);

#endif
