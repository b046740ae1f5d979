/*
 * agg_json: the session object of DESIGN.md and the query answers as
 * jansson values (a real JSON library, not printf).
 */
#ifndef SA_AGGREGATOR_AGG_JSON_H
#define SA_AGGREGATOR_AGG_JSON_H

#include <jansson.h>

#include "store.h"

/* Returns a new reference: the session object with every DESIGN.md
 * field, end_time and close_reason null while active. */
json_t	*agg_json_session(const struct store_session *);
/* RFC 3339 UTC with nanoseconds, as a new string reference. */
json_t	*agg_json_time(uint64_t ns);

#endif
