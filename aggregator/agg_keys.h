/*
 * agg_keys: an allow-list of CURVE public keys, read from a directory of
 * czmq public certificates (docs/SECURITY.md). Each certificate may name
 * in its metadata `agent_ids` the agents its key speaks for. The
 * directory is read again whenever a file in it changes; lookups are safe
 * from any thread while one thread refreshes.
 */
#ifndef SA_AGGREGATOR_AGG_KEYS_H
#define SA_AGGREGATOR_AGG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define AGG_KEYS_MAX		65536	/* certificates in one directory */
#define AGG_KEYS_FILE_MAX	65536	/* bytes of one certificate file */

enum agg_keys_verdict {
	AGG_KEYS_UNKNOWN = 0,	/* not (or no longer) in the list */
	AGG_KEYS_ID_DENIED,	/* in the list, but does not name the id */
	AGG_KEYS_OK,
};

struct agg_keys;

/*
 * dir and self (the Z85 public key always allowed, e.g. the aggregator's
 * own; may be NULL) copied. Reads the directory once (a missing one is
 * an empty list, logged). Returns owned.
 */
struct agg_keys	*agg_keys_create(const char *dir, const char *self);
void		 agg_keys_destroy(struct agg_keys *);

/*
 * Reads the directory again if a file in it was added, removed or
 * changed. One thread only. Returns 1 if read again, 0 if unchanged.
 */
int	agg_keys_refresh(struct agg_keys *);

/*
 * Whether key (Z85, borrowed; NULL or "" is unknown) is allowed and,
 * when id is not NULL, whether its certificate names id (len bytes).
 */
enum agg_keys_verdict agg_keys_check(struct agg_keys *, const char *key,
	    const char *id, size_t len);

/* Keys in the list now, and times the directory was read. */
size_t		agg_keys_count(struct agg_keys *);
uint64_t	agg_keys_reloads(struct agg_keys *);
const char	*agg_keys_dir(const struct agg_keys *);

#endif
