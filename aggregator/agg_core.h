/*
 * agg_core: the aggregator's state and its rules, without sockets: the
 * agent registry, the one session table for all agents, batch validation
 * and sequencing (exactly-once effect), the pending store write and when
 * to acknowledge. agg_run.c moves bytes between ZeroMQ and this file, so
 * tests can drive it with plain buffers.
 */
#ifndef SA_AGGREGATOR_AGG_CORE_H
#define SA_AGGREGATOR_AGG_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/sess_table.h"
#include "../proto/wire.h"
#include "store.h"

#define AGG_IDENT_MAX	256	/* ZeroMQ routing id bytes */

struct agg_core_cfg {
	struct sess_table_cfg	 sess;
	uint32_t		 max_agents;
	uint32_t		 max_users;	/* per-user counters kept */
	uint32_t		 max_destinations; /* per-destination counters */
	uint32_t		 telemetry_events; /* ring of recent events */
	size_t			 max_msg;	/* bytes, checked first */
	uint64_t		 agent_timeout_ns;
	uint32_t		 commit_sessions; /* commit early past this */
	uint64_t		 checkpoint_ns;	/* 0: every commit */
	uint32_t		 checkpoint_max_closed;
	/* Sane state from any agent (docs/PROTOCOL.md "Limits"). */
	uint64_t		 max_floor_jump;	/* batches */
	uint64_t		 max_link_bps;		/* bits per second */
	uint64_t		 max_clock_skew_ns;
	uint64_t		 boot_quiet_ns;
	uint64_t		 agent_retention_ns;
};

/*
 * Why a batch (or, for session_share, an event) was not applied: counted
 * per reason, and per agent when the message names a known one.
 */
enum agg_reject {
	AGG_REJ_INVALID = 0,	/* malformed: does not decode */
	AGG_REJ_AGENTS_FULL,	/* max_agents reached, none forgettable */
	AGG_REJ_STALE_BOOT,	/* a boot older than (or not after) the current */
	AGG_REJ_BOOT_BUSY,	/* a new boot while the current one speaks */
	AGG_REJ_FLOOR_JUMP,	/* floor_seq past max_floor_jump */
	AGG_REJ_COUNTER_RANGE,	/* more than a link could carry */
	AGG_REJ_FUTURE_TIME,	/* times past the clock plus max_clock_skew */
	AGG_REJ_SESSION_SHARE,	/* events: a session past the agent's share */
	AGG_REJ_NOT_AUTHORISED,	/* the sender's key may not speak for it */
	AGG_REJ_MAX
};

/* "invalid", "agents_full", "stale_boot", ...: names in JSON and metrics. */
const char *agg_reject_name(enum agg_reject);

/* What the caller should send back for one message. */
struct agg_reply {
	int		 now;		/* 1: send ack now; 0: after a commit */
	uint8_t		 ident[AGG_IDENT_MAX];
	size_t		 ident_len;
	struct proto_ack ack;
};

struct agg_agent_info {
	char		 id[PROTO_MAX_ID + 1];
	char		 host[PROTO_MAX_ID + 1];
	uint64_t	 boot_id;
	uint64_t	 watermark;	/* applied */
	uint64_t	 durable;	/* committed */
	uint64_t	 last_heard_ns;	/* wall clock */
	int		 lost;
	uint64_t	 batches;	/* applied */
	uint64_t	 duplicates;
	uint64_t	 gaps;		/* batches never received (lost) */
	uint64_t	 out_of_order;
	uint64_t	 rejected;
	uint64_t	 rejected_by[AGG_REJ_MAX];	/* by enum agg_reject */
	uint64_t	 boot_ns;	/* the current boot's start, 0 unknown */
	uint64_t	 events;
	uint64_t	 sessions_active;
	struct proto_capstats stats;	/* latest reported */
};

#define AGG_DURATION_BUCKETS	11	/* 0.1 0.5 1 5 10 30 60 300 900 3600 +Inf */
#define AGG_LATENCY_BUCKETS	12

/* Seconds of each bucket's upper bound (the last is +Inf). */
extern const double agg_duration_le[AGG_DURATION_BUCKETS];
extern const double agg_latency_le[AGG_LATENCY_BUCKETS];

struct agg_user {
	char		name[64];
	uint64_t	sessions;	/* closed */
	uint64_t	bytes_sent, bytes_received;
};

/*
 * The counters of one destination, named as the stats' top destinations
 * name it (store_dest_name), made valid UTF-8 (sess_json_utf8): closed
 * sessions and their bytes, late packets (amends) included.
 */
struct agg_dest {
	char		*name;		/* owned by the core */
	uint64_t	 sessions;	/* closed */
	uint64_t	 bytes_sent, bytes_received;
};

enum agg_severity { AGG_SEV_INFO = 0, AGG_SEV_WARNING, AGG_SEV_ERROR };

struct agg_telemetry {
	uint64_t	time_ns;
	uint8_t		severity;
	char		category[24];
	char		message[200];
};

struct agg_core_stats {
	uint64_t	messages;
	uint64_t	invalid;	/* dropped, by reason below */
	uint64_t	too_large;
	uint64_t	bad_version;
	uint64_t	agents_full;
	uint64_t	events_applied;
	uint64_t	commits;
	uint64_t	checkpoints;	/* commits with the open sessions */
	uint64_t	commit_errors;
	uint64_t	agents_lost;
	uint64_t	agents_forgotten;	/* silent past agent_retention */
	uint64_t	rejected[AGG_REJ_MAX];	/* by enum agg_reject */
	uint64_t	late_events;	/* for sessions closed and written */
	uint64_t	amends;		/* late packets added to written ones */
	uint64_t	amend_orphans;	/* ... whose session is not stored */
	uint64_t	commit_latency_sum_ns;
	uint64_t	commit_latency_buckets[AGG_LATENCY_BUCKETS];
	uint64_t	duration_buckets[AGG_DURATION_BUCKETS];	/* not cumulative */
	uint64_t	duration_sum_ns;
	uint64_t	bytes[2], packets[2], wire_bytes[2];	/* applied */
	struct agg_user	users_other;	/* beyond max_users */
	struct agg_dest	dests_other;	/* beyond max_destinations; name NULL */
};

struct agg_core;

/* cfg copied; store borrowed for the core's lifetime. Restores the
 * checkpoint of open sessions. NULL on failure (logged). */
struct agg_core	*agg_core_create(const struct agg_core_cfg *cfg,
		    struct store *store);
void		 agg_core_destroy(struct agg_core *);

/*
 * One message from an agent (ident and body borrowed). Fills *reply and
 * returns 1 if there is something to send now, 0 if the ack waits for the
 * next commit (agg_core_commit hands it out), or if nothing is owed.
 */
int	agg_core_message(struct agg_core *, const uint8_t *ident,
	    size_t ident_len, const uint8_t *body, size_t len,
	    uint64_t now_ns, struct agg_reply *reply);
/*
 * A message the transport already found malformed (e.g. several frames):
 * counted as invalid like a bad body, and answered REJECTED.
 */
void	agg_core_bad_transport(struct agg_core *, const uint8_t *ident,
	    size_t ident_len, const char *why, uint64_t now_ns,
	    struct agg_reply *reply);
/* Nonzero when enough is pending that a commit should not wait. */
int	agg_core_should_commit(const struct agg_core *);
/*
 * Writes what is pending in one store batch: closed sessions, and either
 * the marks of those (between checkpoints) or, every checkpoint_ns, the
 * changed open sessions and the watermarks, after which it calls ack_cb
 * for every ack owed (reply borrowed). 0 or -EIO (nothing acked; agents
 * will resend).
 */
int	agg_core_commit(struct agg_core *,
	    void (*ack_cb)(void *arg, const struct agg_reply *), void *arg);
/* Closes the sessions of agents silent past agent_timeout (agent_lost). */
void	agg_core_tick(struct agg_core *, uint64_t now_ns);
/* Shutdown: the next commit is a checkpoint. Commit afterwards. */
void	agg_core_shutdown(struct agg_core *);

/* Read access for queries (same thread as the writer). */
size_t	agg_core_agent_count(const struct agg_core *);
size_t	agg_core_agents(const struct agg_core *, struct agg_agent_info *out,
	    size_t max);
void	agg_core_foreach_active(const struct agg_core *,
	    void (*cb)(void *arg, const struct store_session *), void *arg);
void	agg_core_get_stats(const struct agg_core *, struct agg_core_stats *,
	    struct sess_table_stats *);
/* Tracked users (borrowed until the next call into the core). */
const struct agg_user *agg_core_users(const struct agg_core *, size_t *n);
/* Tracked destinations (borrowed until the next call into the core). */
const struct agg_dest *agg_core_dests(const struct agg_core *, size_t *n);
/* Recent operational events, oldest first (borrowed, as above). */
size_t	agg_core_telemetry(const struct agg_core *,
	    const struct agg_telemetry **first, const struct agg_telemetry
	    **second, size_t *nsecond);
/* Records an operational event (printf-style message). */
void	agg_core_note(struct agg_core *, enum agg_severity, const char *category,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Table capacity (max_sessions). */
uint32_t agg_core_capacity(const struct agg_core *);
/*
 * Counts one message of agent id (len bytes, borrowed; NULL if unknown)
 * rejected for reason, in the totals and, if the agent is known, in its
 * own counters (never adding an agent), with a telemetry event at most
 * once a minute per agent. For the transport (e.g. not_authorised: the
 * sender's CURVE key may not speak for id).
 */
void	agg_core_reject_count(struct agg_core *, const char *id, size_t len,
	    enum agg_reject reason, uint64_t now_ns);

#endif
