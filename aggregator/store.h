/*
 * store: the aggregator's durable state in RocksDB (one database
 * directory, several column families). Closed sessions ordered by end
 * time, history indexes, per-minute rollups, the checkpoint of open
 * sessions, and meta (schema version, per-agent watermarks). Every change
 * goes through one store_batch committed as one RocksDB WriteBatch, so a
 * batch's sessions and its watermark are durable together or not at all.
 * Only the aggregator opens the database. Not thread-safe for writes (one
 * writer thread owns batches); reads (history, get, rollups, counts) may
 * run on other threads at the same time, and so may store_expire and
 * store_backup (each from one thread at a time). Layout, encodings and the
 * retention scheme: docs/AGGREGATOR.md, "Storage layout and retention".
 */
#ifndef SA_AGGREGATOR_STORE_H
#define SA_AGGREGATOR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/sess_table.h"

#define STORE_AGENT_MAX		64
#define STORE_STR_MAX		255
#define STORE_ORIGIN_MAX	47	/* "[v6]:port" of a PROXY header */
#define STORE_CURSOR_MAX	64	/* bytes of an opaque cursor, with NUL */
#define STORE_TOP_MAX		100
#define STORE_FAMILIES		9	/* column families, store_family_name */

/* A session as stored: the record plus its strings. */
struct store_session {
	struct sess_rec	rec;
	char		agent[STORE_AGENT_MAX + 1];
	char		user[STORE_STR_MAX + 1];	/* "": none */
	char		target[STORE_STR_MAX + 1];	/* "": none */
	char		origin[STORE_ORIGIN_MAX + 1];	/* "": none */
	/* The proxy leg (enum sess_leg, 0 none) and the other leg's session
	 * id (docs/ENRICHMENT.md "Two legs"). */
	uint8_t		leg;
	uint64_t	peer_hash, peer_start;
};

struct store_cfg {
	const char	*path;		/* borrowed for the call */
	uint32_t	 retention_days;	/* 0: keep forever */
	int		 sync;		/* fsync the WAL on every commit */
	uint64_t	 cache_bytes;	/* block cache; 0: 64 MiB */
	uint32_t	 top_per_hour;	/* names per hourly top list; 0: 1000 */
};

struct store;
struct store_batch;

/*
 * Opens (creating if needed) the database at cfg->path. A database that
 * fails to open as corrupt is moved aside to <path>.corrupt.<unix time>,
 * logged loudly, and a fresh one created; *quarantined is then 1. A
 * database written by a newer schema is refused. Returns owned (close with
 * store_close), or NULL with the reason in err (errlen bytes, may be NULL).
 * quarantined may be NULL.
 */
struct store	*store_open(const struct store_cfg *cfg, int *quarantined,
		    char *err, size_t errlen);
/* Accepts NULL. Free every batch first. */
void		 store_close(struct store *);

/*
 * Batches: build, then commit once (one WriteBatch). store_batch_new
 * returns owned (free with store_batch_free, which keeps one batch's
 * buffers for the next store_batch_new). Every argument is borrowed for
 * the call; strings are cut at STORE_AGENT_MAX / STORE_STR_MAX.
 */
struct store_batch *store_batch_new(struct store *);
void	store_batch_free(struct store_batch *);
/*
 * A closed session: its row, its index entries and its rollups (per
 * minute of rec.end_ns; the user is rec's user, else the client IP text).
 * Not idempotent for rollups: putting the same session twice counts it
 * twice there (watermarks make redelivery harmless).
 */
void	store_batch_put_session(struct store_batch *,
	    const struct store_session *);
/*
 * Late packets of a session already written (s, as read back): d's
 * packets, bytes and wire bytes are added to its row (a merge, no read),
 * to the totals of its end minute and to its user's and destination's
 * hourly bytes, with no second session counted. The row keeps its end
 * time and index entries. Like put_session, not idempotent.
 */
void	store_batch_amend_session(struct store_batch *,
	    const struct store_session *s, const struct sess_rec *d);
/* The highest sequence applied for (agent, boot). */
void	store_batch_set_watermark(struct store_batch *, const char *agent,
	    uint64_t boot_id, uint64_t seq);
/* The same with the boot's start time (agent wall clock, ns; 0 unknown),
 * which store_latest_boot orders boots by. */
void	store_batch_set_boot(struct store_batch *, const char *agent,
	    uint64_t boot_id, uint64_t seq, uint64_t boot_ns);
/* Checkpoint of open sessions: replace it all with what follows. */
void	store_batch_clear_active(struct store_batch *);
void	store_batch_put_active(struct store_batch *,
	    const struct store_session *);
/* Removes one session from the checkpoint (it closed). Incremental
 * checkpoints are put_active for what changed plus del_active. */
void	store_batch_del_active(struct store_batch *,
	    const struct store_session *);
/*
 * Marks: what the aggregator writes between two checkpoints so that a
 * restart does not apply again what it already wrote (agg_marks.c, "Marks").
 * Opaque blobs numbered in meta; clear_marks removes all of them, also
 * those put earlier in the same batch.
 */
void	store_batch_put_marks(struct store_batch *, uint64_t no,
	    const void *blob, size_t len);
void	store_batch_clear_marks(struct store_batch *);
/*
 * 0, after which the batch is empty and may be filled again; or -EIO with
 * the RocksDB message logged, and the batch unchanged (commit again, or
 * free it).
 */
int	store_batch_commit(struct store_batch *)
	    __attribute__((warn_unused_result));
/* Number of session rows in the batch (for flush decisions). */
size_t	store_batch_sessions(const struct store_batch *);

/* Reads. Each returns 0, -ENOENT, or -EIO; out-parameters borrowed. */
int	store_get_watermark(struct store *, const char *agent,
	    uint64_t boot_id, uint64_t *seq);
/*
 * The agent's boot with the latest start time among those stored with
 * one (store_batch_set_boot): its id, watermark and start. -ENOENT if
 * none has a start time.
 */
int	store_latest_boot(struct store *, const char *agent, uint64_t *boot_id,
	    uint64_t *seq, uint64_t *boot_ns);
/*
 * Calls cb for every checkpointed open session (restore at start); the
 * session passed is borrowed for the call. Unreadable rows are skipped
 * and logged.
 */
int	store_load_active(struct store *,
	    void (*cb)(void *arg, const struct store_session *), void *arg);
/* Calls cb for every mark blob in number order (borrowed for the call). */
int	store_load_marks(struct store *, void (*cb)(void *arg, uint64_t no,
	    const uint8_t *blob, size_t len), void *arg);
/*
 * session_id is the 32-hex-digit id of the session JSON (16 digits of
 * key_hash, 16 of start_ns). -EINVAL if it is not 32 hex digits; -ENOENT
 * also for a session past retention.
 */
int	store_get_session(struct store *, const char *session_id,
	    struct store_session *out);

/*
 * History filters; zero/NULL/"" fields do not filter. Strings match
 * exactly; user matches the session's user, or its client IP text when it
 * has none. Addresses are 16 bytes, IPv4 in the first 4.
 */
struct store_filter {
	const char	*agent;
	const char	*user;
	/* Exact, or "*.example.com" (suffix) or "example.*" (prefix). */
	const char	*target;
	const char	*origin;	/* exact */
	int		 status;	/* enum sess_status, or -1 */
	uint8_t		 protocol;	/* 6, 17, or 0 */
	uint8_t		 dest_af;	/* 0: no dest filter */
	uint8_t		 dest_ip[16];
	uint8_t		 source_af;
	uint8_t		 source_ip[16];
	uint64_t	 start_after_ns;	/* start_time > this */
	uint64_t	 start_before_ns;	/* start_time < this; 0 none */
	uint64_t	 min_duration_ns;
	uint64_t	 min_bytes;	/* bytes_sent + bytes_received */
	uint32_t	 limit;		/* >= 1 */
	const char	*cursor;	/* from a previous page, or NULL */
	/* Out, may be NULL: incremented for each damaged range the page
	 * stepped over or stopped at (docs/SECURITY.md, "Store damage"). */
	uint32_t	*damaged;
	/* Out, may be NULL (STORE_CURSOR_MAX bytes): set before each cb
	 * to the cursor that goes on after that row, the same text a page
	 * ending there hands out as next_cursor. */
	char		*row_cursor;
};

/*
 * Closed sessions, newest end time first, at most f->limit, each passed
 * to cb (borrowed for the call). When more may follow, next_cursor
 * (STORE_CURSOR_MAX bytes, may be NULL) gets the opaque cursor for the
 * next page, else "". A cursor from anything else, or from a query that
 * used another index (user, dest, source, none), is -EINVAL, and so is
 * limit 0. Sessions past retention are never returned. One index serves
 * the query (user, else dest, else source, else the time-ordered rows);
 * the cost is the entries scanned, which may be many for a filter that
 * matches little. 0 or -EIO.
 */
/* Whether target matches a target filter (exact, "*.suffix", "prefix.*"). */
int	store_target_match(const char *pat, const char *target);

int	store_history(struct store *, const struct store_filter *f,
	    void (*cb)(void *arg, const struct store_session *), void *arg,
	    char *next_cursor);

/* Per-minute rollups. */
struct store_counts {
	uint64_t	sessions;
	uint64_t	failed;
	uint64_t	rejected;
	uint64_t	bytes_sent, bytes_received;
	uint64_t	packets_sent, packets_received;
};

struct store_top {
	char		name[STORE_STR_MAX + 1];	/* user, or dest ip:port */
	uint64_t	sessions;
	uint64_t	bytes;
};

#define STORE_DEST_MAX	(STORE_STR_MAX + 1)	/* a destination's name, NUL */

/*
 * Writes into out (STORE_DEST_MAX bytes) the name under which the
 * rollups, the stats' top destinations and the per-destination metrics
 * count s (borrowed): its target, else the server as "ip:port" ("[ip]:port"
 * for IPv6). Returns the length.
 */
size_t	store_dest_name(const struct store_session *s, char *out);

/*
 * Sums the rollups of closed sessions whose end time falls in
 * [from_ns, to_ns): totals, and the top_n users and destinations by bytes
 * (top_n <= STORE_TOP_MAX, more is cut; *n_users, *n_dests say how many
 * were filled; ties broken by sessions, then name). Rollups are per
 * minute of the end time, so the window is rounded outward to whole
 * minutes. The cost depends on the minutes and names in the window, not
 * on the number of sessions. total, users and dests may be NULL. 0 or
 * -EIO.
 */
int	store_rollup_sum(struct store *, uint64_t from_ns, uint64_t to_ns,
	    struct store_counts *total, struct store_top *users,
	    size_t *n_users, struct store_top *dests, size_t *n_dests,
	    size_t top_n);
/*
 * Totals per step_ns bucket in [from_ns, to_ns), cb per bucket in order,
 * empty buckets included; bucket_ns is the bucket's start. A minute is
 * counted in the bucket holding its start (the first bucket if it starts
 * before from_ns). -EINVAL for step_ns 0 or more than a million buckets.
 */
int	store_rollup_series(struct store *, uint64_t from_ns, uint64_t to_ns,
	    uint64_t step_ns, void (*cb)(void *arg, uint64_t bucket_ns,
	    const struct store_counts *), void *arg);

/*
 * Retention: removes what ended before now_ns - retention_days from every
 * family, without blocking writers for long (range deletes and a
 * compaction filter). Cheap: call it every minute. Sessions and rollups
 * go at once; by_id and index entries when RocksDB next compacts them
 * (they are never returned meanwhile). Returns 0 or -EIO.
 */
int	store_expire(struct store *, uint64_t now_ns);
/*
 * Consistent copy of the running database into dir (must not exist:
 * -EEXIST), openable with store_open. 0, or -EIO with the reason in err.
 */
int	store_backup(struct store *, const char *dir, char *err, size_t errlen);
/*
 * Compacts every family fully, which also applies retention to by_id and
 * the indexes now. Blocks for as long as that takes: for tests and
 * maintenance, not the ingest path. Returns 0.
 */
int	store_compact(struct store *);
/*
 * Counts the entries of one column family by name ("sessions", "by_id",
 * "idx_user", "idx_dest", "idx_client", "rollups", "active", "meta"): a
 * full scan, for tests and diagnostics. 0, -EINVAL (no such family), -EIO.
 */
int	store_count_keys(struct store *, const char *family, uint64_t *n);

/*
 * The export queue (docs/SCALING.md, aggregator/store/export.c). Once
 * store_export_enable has run (before the first commit), every session
 * row committed gets a queue entry numbered in commit order (1, 2, ...,
 * never reused), in the same WriteBatch as the row. 0 or -EIO.
 */
int	store_export_enable(struct store *);
/* The highest queue number committed (0: none); any thread. */
uint64_t	store_export_last(struct store *);
/* The position (last number acknowledged downstream, 0: none) and the
 * count of queued sessions that expired before they were exported.
 * 0 or -EIO. */
int	store_export_position_get(struct store *, uint64_t *seq,
	    uint64_t *expired);
/* Writes both at once; trim also deletes the queue entries up to seq. */
int	store_export_position_set(struct store *, uint64_t seq,
	    uint64_t expired, int trim);
/*
 * This store's export id: random, drawn once by the first
 * store_export_enable and kept, so that two aggregators' queue numbers
 * never name the same thing downstream.
 */
uint64_t	store_export_id(struct store *);
/*
 * The exporter's plan (docs/SCALING.md, "Several sessions a message"):
 * the rounds it publishes, each by its last queue number and sessions a
 * message, written before a round's first publish so that a repeat after
 * a crash cuts the same messages. _set replaces it; _get gives at most
 * max of them (*n; none if there is no plan or it is unreadable, which
 * is logged). 0 or -EIO.
 */
struct store_xplan {
	uint64_t	end;
	uint32_t	per_msg;
};
#define STORE_XPLAN_MAX	4
int	store_export_plan_get(struct store *, struct store_xplan *, size_t max,
	    size_t *n);
int	store_export_plan_set(struct store *, const struct store_xplan *,
	    size_t n);
/*
 * Counts the queue entries a store_scan_from(after, max, written_max_ns)
 * would pass now, also stopping before the first numbered above upto:
 * *n of them, the last numbered *last (after, if none). Only the queue is
 * read, not the rows. 0 or -EIO.
 */
int	store_export_range(struct store *, uint64_t after, size_t max,
	    uint64_t written_max_ns, uint64_t upto, size_t *n, uint64_t *last);
/*
 * Calls cb for the queue entries after number `after`, in order, at most
 * max of them, stopping at the first written after written_max_ns (wall
 * clock, ns). s is the row as stored now (borrowed for the call), or
 * NULL if it is gone: past retention, or damaged (logged). *n says how
 * many were passed. 0 or -EIO. Any thread, one at a time.
 */
typedef void (*store_export_fn)(void *arg, uint64_t seq, uint64_t written_ns,
    const struct store_session *s);
int	store_scan_from(struct store *, uint64_t after, size_t max,
	    uint64_t written_max_ns, store_export_fn cb, void *arg, size_t *n);

/* Counters for metrics. */
struct store_stats {
	uint64_t	commits;
	uint64_t	commit_errors;
	uint64_t	sessions_written;
	uint64_t	quarantined;
	/* RocksDB's memory, bytes (approximate, from its properties). */
	uint64_t	mem_memtables;		/* all families, flushing too */
	uint64_t	mem_block_cache;
	uint64_t	mem_table_readers;	/* indexes and filters */
	/* Per family (store_family_name): reads that met a corrupt block,
	 * and times the family was set aside at open as damaged. */
	uint64_t	corrupt_reads[STORE_FAMILIES];
	uint64_t	families_reset[STORE_FAMILIES];
};
void	store_get_stats(const struct store *, struct store_stats *);
/* The name of column family i < STORE_FAMILIES, else NULL. */
const char	*store_family_name(size_t i);
/*
 * Damage not reported yet: 1 with one line saying what in msg (len
 * bytes), when corrupt reads or families set aside have been counted
 * since the last call; else 0. For the telemetry events.
 */
int	store_damage_news(struct store *, char *msg, size_t len);
/*
 * --verify: opens the stopped database at cfg->path read-only and reads
 * every entry of every family, checksums verified, stepping over damaged
 * table files. report gets one line per finding ("DAMAGED": family,
 * file, level, key range in hex, RocksDB's error), one per family
 * ("FAMILY-OK" or "FAMILY-DAMAGED" with its entry count), or
 * "UNREADABLE" if the database does not open. 0 clean, -EBADMSG damage
 * found, -EIO not readable.
 */
int	store_verify(const struct store_cfg *cfg, void (*report)(void *arg,
	    const char *what, const char *line), void *arg);

#endif
