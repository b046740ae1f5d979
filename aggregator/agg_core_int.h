/*
 * agg_core_int.h: the state of the aggregator core (struct agg_core, its
 * agents and marks) and the helpers its files share: agg_core.c applies
 * batches and commits, agg_agents.c, agg_marks.c, agg_users.c,
 * agg_dests.c and agg_telemetry.c keep one part each. Nothing outside these files sees it.
 */
#ifndef SA_AGGREGATOR_AGG_CORE_INT_H
#define SA_AGGREGATOR_AGG_CORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "agg_core.h"

#define OLD_BOOTS	4
#define WARN_PEERS	64	/* peers whose last warning is remembered */
#define WARN_NS		60000000000ULL

struct agent {
	struct agg_agent_info	 info;
	uint16_t		 idx;
	int			 restored;	/* sessions from a checkpoint */
	int			 ack_pending;
	uint8_t			 ident[AGG_IDENT_MAX];
	size_t			 ident_len;
	uint64_t		 old_boots[OLD_BOOTS];
	uint64_t		 last_warn_ns;
	uint64_t		 max_last_ns;	/* latest packet time heard of */
	uint64_t		 lost_upto_ns;	/* sessions up to it: agent_lost */
	int			 marked;	/* closed sessions in this batch */
	uint64_t		 mark_boot;	/* restart marks cover batches */
	uint64_t		 mark_upto;	/* up to this; 0: none */
	uint64_t		 boot_heard_ns;	/* last batch of this boot taken */
	int			 boot_loaded;	/* latest boot read from store */
	uint64_t		 last_reject_note_ns[AGG_REJ_MAX];
	uint64_t		 added_ns;	/* wall clock */
};

/* A session id: key_hash and start_ns (struct sess_rec). */
struct mark {
	uint64_t	 h, start;
};

struct agg_core {
	struct agg_core_cfg	 cfg;
	struct store		*store;
	struct store_batch	*batch;
	struct sess_table	*table;
	struct agent		*agents;
	uint32_t		 nagents;
	struct proto_event	*events;	/* decode scratch */
	size_t			 pending_closed;
	/* Marks: see the comment above agg_core_commit. */
	uint64_t		 next_ckpt_ns;	/* monotonic */
	int			 force_ckpt;
	size_t			 closed_since_ckpt;
	struct mark		*closed;	/* closed in the pending batch */
	size_t			 nclosed, closed_cap;
	uint64_t		 mark_no;	/* number of the next blob */
	int			 marks_stored;	/* blobs in the store */
	int			 marks_new;	/* ... written since a checkpoint */
	struct mark		*rmarks;	/* from a restart: already written */
	size_t			 nrmarks;
	uint64_t		 rmask;
	/* When each peer (ZeroMQ routing id) was last warned about. */
	struct warn_slot {
		uint64_t	 peer;	/* hash of the routing id */
		uint64_t	 last_ns;
	}			 warned[WARN_PEERS];
	uint64_t		 last_evict_note_ns, evictions_noted;
	uint64_t		 last_reject_note_ns[AGG_REJ_MAX]; /* unknown agents */
	struct agg_core_stats	 st;
	/* Per-user counters: open addressing on the name, bounded. */
	struct agg_user		*users;
	uint32_t		*user_slots;	/* index + 1, 0 empty */
	uint32_t		 nusers, user_mask;
	/* Per-destination counters: open addressing on the name, bounded. */
	struct agg_dest		*dests;
	uint32_t		*dest_slots;	/* index + 1, 0 empty */
	uint32_t		 ndests, dest_mask;
	/* Telemetry ring. */
	struct agg_telemetry	*tel;
	size_t			 tel_cap, tel_head, tel_n;
};

/* agg_users.c */
struct agg_user *agg__user_get(struct agg_core *c, const char *name);

/* agg_dests.c */
void	agg__dests_init(struct agg_core *c);
void	agg__dests_free(struct agg_core *c);
/* Adds to the counters of s's destination (or other past the bound). */
void	agg__dest_add(struct agg_core *c, const struct store_session *s,
	    uint64_t sessions, uint64_t sent, uint64_t received);

/* agg_agents.c */
struct agent *agg__find_agent(struct agg_core *c, const char *id, size_t len);
struct agent *agg__add_agent(struct agg_core *c, const char *id, size_t len);
void	agg__switch_boot(struct agg_core *c, struct agent *a, uint64_t boot,
	    uint64_t boot_ns);
void	agg__load_boot(struct agg_core *c, struct agent *a);
/* Slot of an agent forgotten (silent past agent_retention): id "". */
#define AGG__FREE(a)	((a)->info.id[0] == '\0')

/* agg_marks.c */
int	agg__rmark_has(const struct agg_core *c, const struct mark *m);
void	agg__on_marks(void *arg, uint64_t no, const uint8_t *p, size_t len);
void	agg__put_marks(struct agg_core *c, const struct mark *m, size_t n,
	    int restart);
void	agg__put_restart_marks(struct agg_core *c);
void	agg__prune_restart_marks(struct agg_core *c);

#endif
