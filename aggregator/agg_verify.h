/*
 * agg_verify: sessacct-aggregator --verify, the integrity check of a
 * stopped store (docs/AGGREGATOR.md, "Operations").
 */
#ifndef SA_AGGREGATOR_AGG_VERIFY_H
#define SA_AGGREGATOR_AGG_VERIFY_H

struct cfg;

/*
 * Reads every block of the database at [store] path, read-only, and
 * prints one line per family and per damaged table file to stdout.
 * Returns the exit code: 0 clean, 1 damage found or not readable.
 * cfg is borrowed.
 */
int	agg_verify(const struct cfg *cfg);

#endif
