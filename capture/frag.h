/*
 * frag: attributes IP fragments to their flow without reassembling them.
 * The first fragment (offset 0) carries the transport header and tells the
 * ports; later ones are matched by (source, destination, protocol,
 * identification). Later fragments that arrive before the first wait in
 * the entry as counters. The table is bounded (entries and age); a
 * fragment that can never be attributed is counted, not lost silently.
 */
#ifndef SA_CAPTURE_FRAG_H
#define SA_CAPTURE_FRAG_H

#include <stdint.h>

#include "decode.h"

struct frag_table;

/* Counters waiting for a first fragment, handed over when it comes. */
struct frag_pending {
	uint32_t	packets;
	uint64_t	ip_bytes;
	uint64_t	payload;
	uint64_t	last_ns;
};

/* Returns owned (frag_table_destroy). max entries >= 1. */
struct frag_table *frag_table_create(uint32_t max, uint64_t timeout_ns);
void	frag_table_destroy(struct frag_table *);

/*
 * A first fragment (d borrowed). Remembers its ports; if later fragments
 * of the datagram came first, their counters are moved to *pending
 * (packets 0 if none). Returns 0, or -ENOSPC if the table was full and the
 * oldest entry had to go (its waiting fragments are then orphans).
 */
int	frag_table_first(struct frag_table *, const struct decoded *d,
	    uint64_t ts_ns, struct frag_pending *pending);
/*
 * A later fragment. If its first fragment is known, fills d's ports
 * and sets d->payload to the share to count, and returns 1: count it now.
 * Otherwise keeps its counters and returns 0.
 */
int	frag_table_later(struct frag_table *, struct decoded *d, uint64_t ts_ns);
/* Drops entries older than the timeout; returns orphaned fragments. */
uint64_t frag_table_expire(struct frag_table *, uint64_t now_ns);
/* Orphaned fragments counted so far (expiry and overflow). */
uint64_t frag_table_orphans(const struct frag_table *);

#endif
