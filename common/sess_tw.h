/*
 * sess_tw: the TIME_WAIT record of closed TCP connections. When a session
 * table closes a TCP session on FIN or RST it keeps, for a while, the
 * session's identity (its id hash, start and end time) so that a packet
 * still arriving on that connection (a last ACK, a retransmitted FIN, a
 * late RST) is counted in the session it belongs to instead of opening a
 * new one. Entries are a few dozen bytes, kept in close order in a ring
 * of fixed capacity: the oldest leaves first, by age or to make room.
 * (Offline output, which reports a session only once its TIME_WAIT is
 * over, keeps the whole session instead: sess_table's hold mode.)
 * Not thread-safe: one owner thread.
 */
#ifndef SA_COMMON_SESS_TW_H
#define SA_COMMON_SESS_TW_H

#include <stdint.h>

/* One closed connection. */
struct sess_tw_ent {
	uint64_t	 key;		/* session id hash (struct sess_rec) */
	uint64_t	 start_ns, end_ns;
	uint64_t	 closed_ns;	/* table time of the close */
	uint64_t	 amend_ns;	/* time of the last amendment, or 0 */
	uint32_t	 next;		/* hash chain: position + 1, 0 ends */
	uint32_t	 spare;
};

struct sess_tw;

/* cap entries (>= 1), each kept ttl_ns after its close. Returns owned. */
struct sess_tw	*sess_tw_create(uint32_t cap, uint64_t ttl_ns);
void		 sess_tw_destroy(struct sess_tw *);
/* Adds a closed connection; the oldest entry leaves first if full. */
void		 sess_tw_add(struct sess_tw *, uint64_t key, uint64_t start_ns,
		    uint64_t end_ns, uint64_t now_ns);
/* The newest entry with this key, or NULL. Borrowed until the next add,
 * expire or flush. */
struct sess_tw_ent *sess_tw_find(struct sess_tw *, uint64_t key);
/* Entries closed ttl_ns or more before now_ns leave. */
void		 sess_tw_expire(struct sess_tw *, uint64_t now_ns);
/* Every entry leaves, oldest first. */
void		 sess_tw_flush(struct sess_tw *);
uint32_t	 sess_tw_count(const struct sess_tw *);
/* Entries that left early because the record was full. */
uint64_t	 sess_tw_evicted(const struct sess_tw *);

#endif
