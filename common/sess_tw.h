/*
 * sess_tw: the TIME_WAIT record of closed TCP connections. When a session
 * table closes a TCP session on FIN or RST it keeps, for a while, the
 * session's identity (its id hash, start and end time) so that a packet
 * still arriving on that connection (a last ACK, a retransmitted FIN, a
 * late RST) is counted in the session it belongs to instead of opening a
 * new one. Entries are a few dozen bytes, kept in close order in a ring
 * of fixed capacity: the oldest leaves first, by age or to make room.
 * A record made with hold keeps beside each entry what reporting the
 * session later needs (struct sess_tw_held), in an array parallel to the
 * ring: no allocation per entry. Not thread-safe: one owner thread.
 */
#ifndef SA_COMMON_SESS_TW_H
#define SA_COMMON_SESS_TW_H

#include <stdint.h>

/*
 * What a held session is reported with besides the entry's key, start and
 * end (the rest of struct sess_rec; amend_ns is 0). enr: the holder's
 * reference to an enrichment block (the session table's block id), or 0.
 */
struct sess_tw_held {
	uint64_t		 packets[2], bytes[2], wire_bytes[2];
	uint32_t		 enr;
	uint8_t			 cli[16], srv[16];
	uint16_t		 agent, cli_port, srv_port;
	uint8_t			 af, proto;
	uint8_t			 status, reason, reported, enr_new;
};

/* One closed connection. held: 1 if it holds its record (sess_tw_held),
 * kept until the entry leaves (offline output: a session is reported
 * once, late packets included); 0 when the session was already
 * reported. */
struct sess_tw_ent {
	uint64_t	 key;		/* session id hash (struct sess_rec) */
	uint64_t	 start_ns, end_ns;
	uint64_t	 closed_ns;	/* table time of the close */
	uint64_t	 amend_ns;	/* time of the last amendment, or 0 */
	uint32_t	 next;		/* hash chain: position + 1, 0 ends */
	uint32_t	 held;
};

/* An entry that leaves, with its held record (NULL if none). */
typedef void (*sess_tw_leave_cb)(void *arg, struct sess_tw_ent *e,
    struct sess_tw_held *held);

struct sess_tw;

/* cap entries (>= 1), each kept ttl_ns after its close; hold nonzero:
 * entries may hold a record (sess_tw_add). Returns owned. */
struct sess_tw	*sess_tw_create(uint32_t cap, uint64_t ttl_ns, int hold,
		    sess_tw_leave_cb leave, void *arg);
/* Every entry leaves (the callback sees each), then the record goes. */
void		 sess_tw_destroy(struct sess_tw *);
/* Adds a closed connection; the oldest entry leaves first if full. held
 * (copied; only in a record made with hold) or NULL. */
void		 sess_tw_add(struct sess_tw *, uint64_t key, uint64_t start_ns,
		    uint64_t end_ns, uint64_t now_ns,
		    const struct sess_tw_held *held);
/* The newest entry with this key, or NULL. Borrowed until the next add,
 * expire or flush. */
struct sess_tw_ent *sess_tw_find(struct sess_tw *, uint64_t key);
/* The record e holds (in an array beside the ring), or NULL. Borrowed
 * like e. */
struct sess_tw_held *sess_tw_held(struct sess_tw *, const struct sess_tw_ent *e);
/* Entries closed ttl_ns or more before now_ns leave. */
void		 sess_tw_expire(struct sess_tw *, uint64_t now_ns);
/* Every entry leaves, oldest first. */
void		 sess_tw_flush(struct sess_tw *);
uint32_t	 sess_tw_count(const struct sess_tw *);
/* Entries that left early because the record was full. */
uint64_t	 sess_tw_evicted(const struct sess_tw *);

#endif
