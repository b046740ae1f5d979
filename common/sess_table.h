/*
 * sess_table: the session engine. Keeps one entry per conversation
 * (agent, protocol, client ip:port, server ip:port), orients it (client =
 * sender of a SYN without ACK, else the side off the service ports, else
 * the higher port, else the first sender), counts packets, payload and
 * wire bytes each way, follows the TCP lifecycle and closes sessions on
 * FIN/RST (after a short linger), idle timeouts, eviction or request. Time
 * is whatever the observations say (packet time), never the wall clock.
 * Not thread-safe: one owner thread.
 */
#ifndef SA_COMMON_SESS_TABLE_H
#define SA_COMMON_SESS_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct sess_enr;

enum sess_status {
	SESS_ACTIVE = 0,
	SESS_CLOSED,
	SESS_FAILED,		/* TCP handshake never completed */
	SESS_REJECTED,		/* the proxy refused (enrichment) */
	SESS_STATUS_MAX
};

enum sess_close {
	SESS_CLOSE_NONE = 0,
	SESS_CLOSE_FIN,
	SESS_CLOSE_RST,
	SESS_CLOSE_IDLE,
	SESS_CLOSE_EVICTED,
	SESS_CLOSE_SHUTDOWN,
	SESS_CLOSE_AGENT_LOST,
	SESS_CLOSE_CAPTURE_END,
	SESS_CLOSE_MAX
};

/* Stable names used in JSON and metrics ("closed", "idle_timeout", ...). */
const char *sess_status_name(enum sess_status);
const char *sess_close_name(enum sess_close);

#define SESS_TCP_FIN	0x01
#define SESS_TCP_SYN	0x02
#define SESS_TCP_RST	0x04
#define SESS_TCP_ACK	0x10

/* One observation: a packet (packets = 1) or an aggregated delta. */
struct sess_obs {
	uint64_t	ts_ns;		/* packet time, ns since the epoch */
	uint8_t		af;		/* 4 or 6 */
	uint8_t		proto;		/* 6 TCP, 17 UDP */
	uint8_t		tcp_flags;	/* SESS_TCP_* seen */
	uint16_t	agent;
	uint16_t	sport, dport;
	uint32_t	tcp_seq;	/* of a SYN */
	uint32_t	packets;
	uint64_t	bytes;		/* transport payload */
	uint64_t	wire_bytes;	/* IP length */
	uint8_t		src[16];	/* IPv4 in the first 4 bytes */
	uint8_t		dst[16];
};

/* A session as reported. Index 0 is client to server ("sent"). */
struct sess_rec {
	uint64_t	key_hash;	/* with start_ns, the session id */
	uint64_t	start_ns, end_ns;
	uint64_t	packets[2], bytes[2], wire_bytes[2];
	uint16_t	agent;
	uint8_t		af, proto;
	uint16_t	cli_port, srv_port;
	uint8_t		cli[16], srv[16];
	enum sess_status status;
	enum sess_close	 reason;
	uint8_t		reported;	/* drained (or restored) before */
	/* An amendment (sess_table_set_amend_cb): the late packet's time,
	 * unique per session; counters are the late packet's. Else 0. */
	uint64_t	amend_ns;
	uint8_t		enr_new;	/* drain: enr changed since the last */
	/* Enrichment (sess_enr.h), NULL if none; borrowed like the record.
	 * Its verdict, if any, is already in status when closing. */
	const struct sess_enr *enr;
};

/* Called for each closed session; rec borrowed for the call. */
typedef void (*sess_table_close_cb)(void *arg, const struct sess_rec *rec);

struct sess_table_cfg {
	uint64_t	udp_idle_ns;
	uint64_t	tcp_idle_ns;
	uint64_t	tcp_syn_ns;	/* handshake unanswered */
	uint64_t	tcp_linger_ns;	/* after both FINs or a RST */
	uint32_t	max_sessions;
	/*
	 * TIME_WAIT (sess_tw.h): how long a TCP session closed by FIN or RST
	 * is remembered (0: not at all), in at most time_wait_max entries. A
	 * later packet on it without a client SYN is counted in it: reported
	 * by the amend callback, or with time_wait_hold, added to the session,
	 * which is then reported (on_close) only when it leaves TIME_WAIT.
	 */
	uint64_t	tcp_time_wait_ns;
	uint32_t	time_wait_max;
	uint8_t		time_wait_hold;
	/* 65536-bit bitmap of service ports, borrowed for the table's
	 * lifetime; NULL for none. */
	const uint8_t	*service_ports;
	/*
	 * Sessions one agent may hold at once (its share of max_sessions):
	 * sess_table_apply refuses a new session of an agent at it, so that
	 * one agent never pushes out another's. 0: no share (one agent).
	 * With a share, each agent also has its own clock, and its sessions
	 * idle out by that alone (sess_table_agent_clock).
	 */
	uint32_t	agent_max_sessions;
};

struct sess_table_stats {
	uint64_t	active;
	uint64_t	active_peak;	/* most sessions held at once */
	uint64_t	created;
	uint64_t	closed[SESS_CLOSE_MAX];
	uint64_t	status[SESS_STATUS_MAX];	/* of closed sessions */
	uint64_t	port_reuse;	/* new SYN on a finished session */
	uint64_t	late_packets;	/* counted in a closed session */
	uint64_t	time_wait;	/* closed sessions remembered now */
	uint64_t	time_wait_evicted;	/* forgotten early: record full */
	uint64_t	share_refused;	/* new sessions past an agent's share */
};

struct sess_table;

/* cfg copied; on_close/arg kept. Returns owned, or NULL on bad cfg. */
struct sess_table *sess_table_create(const struct sess_table_cfg *cfg,
    sess_table_close_cb on_close, void *arg);
void	sess_table_destroy(struct sess_table *);

/*
 * Applies one observation (borrowed). May close sessions first: the one
 * it hits if that one has idled out or is reused, the least recently
 * active one if the table is full (evicted, or idle_timeout if its
 * timeout had already passed), and any whose timeout has passed.
 */
void	sess_table_observe(struct sess_table *, const struct sess_obs *obs);
/*
 * The same for n observations in order, faster for large tables: it
 * prefetches the index slots and entries of up to SESS_TABLE_BATCH
 * observations before applying them. The result is identical.
 */
#define SESS_TABLE_BATCH	128
void	sess_table_observe_batch(struct sess_table *,
	    const struct sess_obs *obs, size_t n);
/*
 * The same with each observation's sess_table_flow_hash already known
 * (hashes[i] for obs[i]), so that another thread can compute it.
 */
void	sess_table_observe_batch_hashed(struct sess_table *,
	    const struct sess_obs *obs, const uint32_t *hashes, size_t n);
/*
 * The flow's index hash, the same for both directions, keyed with the
 * table's seed (sess_table_hash_seed, fixed for the table's life, safe to
 * read from another thread). Addresses 16 bytes.
 */
uint32_t sess_table_flow_hash(uint64_t seed, uint8_t af, uint8_t proto,
	    uint16_t agent, const uint8_t *src, uint16_t sport,
	    const uint8_t *dst, uint16_t dport);
uint64_t sess_table_hash_seed(const struct sess_table *);
/*
 * Closes sessions idle past their timeout at time now_ns (or the latest
 * packet time seen, if later). The recency lists are ordered to about a
 * second, so a session may outlive its timeout here by up to that much
 * (more if packet times went backwards); a packet for it, eviction and
 * close_all still report it as idle_timeout with its exact end time.
 */
void	sess_table_expire(struct sess_table *, uint64_t now_ns);
/*
 * Closes every session with the given reason (shutdown, capture_end), in
 * the order of the entries in memory (deterministic for a given input);
 * TCP sessions already ended by FIN or RST keep fin or rst, and sessions
 * past their timeout at the latest packet time keep idle_timeout. The
 * callback must not use the table meanwhile.
 */
void	sess_table_close_all(struct sess_table *, enum sess_close reason);

/*
 * Amendments: each packet that TIME_WAIT counts in an already reported
 * session is passed to cb (rec borrowed: the session's identity, start
 * and end as reported, the packet's counters, amend_ns). Without a
 * callback (and without time_wait_hold) such packets are dropped from
 * the counts, still counted in late_packets.
 */
typedef void (*sess_table_amend_cb)(void *arg, const struct sess_rec *rec);
void	sess_table_set_amend_cb(struct sess_table *, sess_table_amend_cb cb,
	    void *arg);

/*
 * Session ids mix in a hash of the agent's name (not its index, which can
 * differ between runs), so the same session has the same id wherever it
 * is reported. Call before the agent's first observation. name borrowed.
 * With agents' clocks, the index's clock starts again at 0.
 */
void	sess_table_set_agent_name(struct sess_table *, uint16_t agent,
	    const char *name);

/*
 * An agent's report of one session, already oriented (aggregator side).
 * Counters are deltas since the agent's previous event for the session;
 * index 0 is client to server. close 1 ends the session with reason and
 * status as the agent decided.
 */
struct sess_event {
	uint16_t	agent;
	uint8_t		af, proto;
	uint8_t		cli[16], srv[16];
	uint16_t	cli_port, srv_port;
	uint64_t	start_ns, last_ns;
	uint64_t	packets[2], bytes[2], wire_bytes[2];
	uint8_t		tcp_flags[2];
	uint8_t		close;
	uint8_t		no_create;	/* only if the session is open here */
	enum sess_status status;
	enum sess_close	 reason;
	/* Enrichment as it now stands (borrowed), or NULL: unchanged. */
	const struct sess_enr *enr;
};

/*
 * Applies an event (borrowed): finds or creates the session (a different
 * start time on the same ports closes the old one as idle_timeout first),
 * adds the deltas (saturating), and closes it if the event says so.
 * Sessions created here have no TCP lifecycle of their own: the agent
 * decides; idle timeouts still apply, by the events' times, or with
 * agents' clocks (agent_max_sessions), by sess_table_agent_clock. With
 * no_create, an event for a session not open here is ignored. Returns 1
 * if applied, 0 if ignored, -EDQUOT if it would open a session past the
 * agent's share (agent_max_sessions): refused, nothing changed.
 */
int	sess_table_apply(struct sess_table *, const struct sess_event *ev);
/*
 * With agents' clocks (agent_max_sessions): moves the agent's clock to
 * now_ns (never back) and closes whatever has idled out by its agent's
 * clock. The caller says when an agent's clock moves: only once every
 * change the agent saw up to then has been applied (docs/PROTOCOL.md,
 * clock_ns), so that one event of a report never idles out a session
 * whose own news comes later in it, nor one agent's time another's
 * sessions. Without agents' clocks, nothing.
 */
void	sess_table_agent_clock(struct sess_table *, uint16_t agent,
	    uint64_t now_ns);
/* The latest packet or event time the table has seen. */
uint64_t sess_table_clock(const struct sess_table *);
/* Sessions the agent holds now (0 without agent_max_sessions). */
uint32_t sess_table_agent_sessions(const struct sess_table *,
	    uint16_t agent);

/* The key_hash (struct sess_rec) the session of ev has or would have. */
uint64_t sess_table_event_id(const struct sess_table *,
	    const struct sess_event *ev);

/*
 * Reports every session changed since the last drain (rec borrowed,
 * status active, reason none): opened is 1 the first time a session is
 * reported, seen the TCP flags each way since the last drain. With reset,
 * the counters and flags start again from zero after the report (an
 * agent sending deltas); without, they keep adding up.
 */
typedef void (*sess_table_drain_cb)(void *arg, const struct sess_rec *rec,
    int opened, const uint8_t seen[2]);
void	sess_table_drain(struct sess_table *, sess_table_drain_cb cb,
	    void *arg, int reset);
/* Every open session, as it stands (status active). */
void	sess_table_foreach(const struct sess_table *,
	    void (*cb)(void *arg, const struct sess_rec *), void *arg);
/* Closes every session of one agent (agent_lost, shutdown, a new boot);
 * with agents' clocks, its clock starts again at 0. */
void	sess_table_close_agent(struct sess_table *, uint16_t agent,
	    enum sess_close reason);
/*
 * Puts back a session from a checkpoint (rec borrowed), counters and
 * times included, not marked changed. -EEXIST if it is already there.
 */
int	sess_table_restore(struct sess_table *, const struct sess_rec *rec)
	    __attribute__((warn_unused_result));

/*
 * Attaches enrichment e (taken) to the open session of key's flow (af,
 * proto, agent, addresses and ports, either direction), replacing what
 * it had; with key->ts_ns nonzero, only if the session began then (its
 * SYN). Marks it changed for the next drain. -ENOENT (e freed) if no such
 * session is open.
 */
int	sess_table_enrich(struct sess_table *, const struct sess_obs *key,
	    struct sess_enr *e);
/* The same with e borrowed (copied, or shared with a session that says
 * the same); NULL removes the session's block. */
int	sess_table_enrich_copy(struct sess_table *, const struct sess_obs *key,
	    const struct sess_enr *e);

size_t	sess_table_count(const struct sess_table *);
void	sess_table_get_stats(const struct sess_table *,
	    struct sess_table_stats *out);

/* Sets bit port in a 8192-byte service-port bitmap. */
static inline void
sess_port_set(uint8_t *bitmap, uint16_t port)
{
	bitmap[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static inline int
sess_port_isset(const uint8_t *bitmap, uint16_t port)
{
	return (bitmap[port >> 3] >> (port & 7)) & 1;
}

#endif
