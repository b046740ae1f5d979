/*
 * sess_enr: what enrichment learnt of one session, in one compact block:
 * the proxy user, the target the client asked for, the original client a
 * PROXY header named (origin), the proxy's verdict, and the link between
 * a proxy's client and upstream legs. Both session tables (agent and
 * aggregator) keep one per enriched session only, so sessions that carry
 * none cost nothing. Immutable once made: a change is a new block.
 */
#ifndef SA_COMMON_SESS_ENR_H
#define SA_COMMON_SESS_ENR_H

#include <stddef.h>
#include <stdint.h>

#define SESS_ENR_STR_MAX	255	/* user, target */
#define SESS_ENR_ORIGIN_MAX	47	/* "[v6]:port" */

enum sess_leg {
	SESS_LEG_NONE = 0,
	SESS_LEG_CLIENT,	/* client -> proxy */
	SESS_LEG_UPSTREAM,	/* proxy -> target */
	SESS_LEG_MAX
};

struct sess_enr {
	uint8_t		verdict;	/* enum sess_status: 0, REJECTED, FAILED */
	uint8_t		leg;		/* enum sess_leg */
	uint8_t		kind;		/* what found it (agent counters) */
	uint8_t		user_len, target_len, origin_len;
	uint64_t	peer_hash, peer_start;	/* the other leg's id, or 0 */
	char		str[];		/* user NUL target NUL origin NUL */
};

/* The fields to make a block from; NULL or "" strings are absent. */
struct sess_enr_fields {
	const char	*user, *target, *origin;
	uint8_t		 verdict, leg, kind;
	uint64_t	 peer_hash, peer_start;
};

/* The largest block: fixed fields and three strings at their maxima. */
#define SESS_ENR_SIZE_MAX	(sizeof(struct sess_enr) + \
	    2 * SESS_ENR_STR_MAX + SESS_ENR_ORIGIN_MAX + 3)

/*
 * A block with those fields (strings borrowed, cut at their maxima).
 * Returns owned (free()), or NULL when every field is empty.
 */
struct sess_enr	*sess_enr_new(const struct sess_enr_fields *);
/*
 * The same into buf (cap bytes, at least SESS_ENR_SIZE_MAX, aligned for
 * uint64_t), with no allocation: returns buf as a block, or NULL when
 * every field is empty.
 */
struct sess_enr	*sess_enr_make(void *buf, size_t cap,
		    const struct sess_enr_fields *);
/* A copy (owned), or NULL for NULL. */
struct sess_enr	*sess_enr_dup(const struct sess_enr *);
/* Bytes of the block. */
size_t		 sess_enr_size(const struct sess_enr *);
/* 1 if a and b say the same (either may be NULL). */
int		 sess_enr_equal(const struct sess_enr *, const struct sess_enr *);

/* The strings, NUL-terminated, "" when absent; e NULL gives "". */
const char	*sess_enr_user(const struct sess_enr *);
const char	*sess_enr_target(const struct sess_enr *);
const char	*sess_enr_origin(const struct sess_enr *);

/* "client", "upstream", or NULL for none. */
const char	*sess_leg_name(enum sess_leg);

#endif
