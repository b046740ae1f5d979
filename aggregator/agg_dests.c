/*
 * agg_dests: per-destination counters (closed sessions, their bytes each
 * way) for the metrics, keyed by the name the stats' top destinations
 * rank (the target, else the server's ip:port) made valid UTF-8, with
 * open addressing, bounded by max_destinations; the rest add up as
 * "other". Names come from agents (SNI, Host, SOCKS): untrusted bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/sat.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "agg_core.h"
#include "agg_core_int.h"

void
agg__dests_init(struct agg_core *c)
{
	uint32_t n = 16;

	if (c->cfg.max_destinations == 0)
		return;
	while (n < 2 * c->cfg.max_destinations)
		n <<= 1;
	c->dests = xcalloc(c->cfg.max_destinations, sizeof(*c->dests));
	c->dest_slots = xcalloc(n, sizeof(*c->dest_slots));
	c->dest_mask = n - 1;
}

void
agg__dests_free(struct agg_core *c)
{
	uint32_t i;

	for (i = 0; i < c->ndests; i++)
		free(c->dests[i].name);
	free(c->dests);
	free(c->dest_slots);
}

/*
 * The name is made valid UTF-8 here, not when the metrics are written:
 * two names that differ only in bytes replaced by U+FFFD then share one
 * counter, so no two label values of the exposition can be equal, and
 * the label is what the API's history shows as the session's target.
 */
void
agg__dest_add(struct agg_core *c, const struct store_session *s,
    uint64_t sessions, uint64_t sent, uint64_t received)
{
	char raw[STORE_DEST_MAX], name[SESS_JSON_UTF8_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct agg_dest *d = NULL;
	uint32_t pos, i;
	size_t len, k;

	store_dest_name(s, raw);
	len = sess_json_utf8(raw, name, sizeof(name));
	if (c->dests != NULL) {
		for (k = 0; k < len; k++)
			h = (h ^ (unsigned char)name[k]) * 0x100000001b3ULL;
		for (pos = (uint32_t)(h >> 32) & c->dest_mask;;
		    pos = (pos + 1) & c->dest_mask) {
			if ((i = c->dest_slots[pos]) == 0)
				break;
			if (strcmp(c->dests[i - 1].name, name) == 0) {
				d = &c->dests[i - 1];
				break;
			}
		}
		/* The table is at most half full: an empty slot ends it. */
		if (d == NULL && c->ndests < c->cfg.max_destinations) {
			c->dest_slots[pos] = ++c->ndests;
			d = &c->dests[c->ndests - 1];
			d->name = xstrdup(name);
		}
	}
	if (d == NULL)
		d = &c->st.dests_other;
	sa_sat_inc(&d->sessions, sessions);
	sa_sat_inc(&d->bytes_sent, sent);
	sa_sat_inc(&d->bytes_received, received);
}

const struct agg_dest *
agg_core_dests(const struct agg_core *c, size_t *n)
{
	*n = c->ndests;
	return c->dests;
}
