/*
 * agg_users: per-user counters (sessions, bytes each way) for the
 * metrics, keyed by user name or client address with open addressing,
 * bounded by max_users; the rest add up as "other".
 */
#include <stdio.h>
#include <string.h>

#include "../common/sess_json.h"
#include "agg_core.h"
#include "agg_core_int.h"

/*
 * The counters of one user; NULL past max_users (counted as other). The
 * key is the name as the metrics can show it: cut to fit agg_user's name
 * on a character boundary, and bytes that are not UTF-8 as U+FFFD (an
 * agent's user may be any bytes; jansson refuses such a string, and the
 * user's counters would drop out of the metrics answer). Plain ASCII
 * that fits, the usual case, is used as it is.
 */
struct agg_user *
agg__user_get(struct agg_core *c, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t pos, i;
	const char *p;
	char clean[sizeof(c->users[0].name)];

	if (c->users == NULL)
		return NULL;
	for (p = name; *p != '\0' && (unsigned char)*p < 0x80; p++)
		continue;
	if (*p != '\0' || (size_t)(p - name) >= sizeof(clean)) {
		sess_json_utf8(name, clean, sizeof(clean));
		name = clean;
	}
	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	for (pos = (uint32_t)(h >> 32) & c->user_mask;; pos = (pos + 1) &
	    c->user_mask) {
		if ((i = c->user_slots[pos]) == 0)
			break;
		if (strncmp(c->users[i - 1].name, name,
		    sizeof(c->users[0].name) - 1) == 0)
			return &c->users[i - 1];
	}
	if (c->nusers >= c->cfg.max_users)
		return NULL;
	c->user_slots[pos] = ++c->nusers;
	snprintf(c->users[c->nusers - 1].name, sizeof(c->users[0].name), "%s",
	    name);
	return &c->users[c->nusers - 1];
}

const struct agg_user *
agg_core_users(const struct agg_core *c, size_t *n)
{
	*n = c->nusers;
	return c->users;
}
