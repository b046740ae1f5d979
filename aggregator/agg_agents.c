/*
 * agg_agents: the agents the core has heard of, each with its boots: a
 * new boot ends the old one's open sessions as agent_lost, a silent agent
 * is declared lost after agent_timeout and forgotten after
 * agent_retention (its slot reused), and the agents list the API shows.
 * Sequencing of their batches is agg_core.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "../common/xmalloc.h"
#include "agg_core.h"
#include "agg_core_int.h"

static int	forgettable(const struct agg_core *, const struct agent *,
		    uint64_t);
static void	forget(struct agg_core *, struct agent *, uint64_t);

struct agent *
agg__find_agent(struct agg_core *c, const char *id, size_t len)
{
	uint32_t i;

	if (len == 0)
		return NULL;
	for (i = 0; i < c->nagents; i++)
		if (strlen(c->agents[i].info.id) == len &&
		    memcmp(c->agents[i].info.id, id, len) == 0)
			return &c->agents[i];
	return NULL;
}

/*
 * A slot for a new agent: a free one (an agent forgotten), a new one
 * while fewer than max_agents, else that of the agent silent longest
 * among those past agent_retention with nothing open or pending.
 */
struct agent *
agg__add_agent(struct agg_core *c, const char *id, size_t len)
{
	struct agent *a = NULL, *old = NULL;
	uint64_t now = sa_wall_ns();
	uint32_t i;
	uint16_t idx;

	if (len == 0 || len > PROTO_MAX_ID)
		return NULL;
	for (i = 0; i < c->nagents && a == NULL; i++)
		if (AGG__FREE(&c->agents[i]))
			a = &c->agents[i];
	if (a == NULL && c->nagents < c->cfg.max_agents) {
		a = &c->agents[c->nagents];
		a->idx = (uint16_t)c->nagents++;
	}
	for (i = 0; i < c->nagents && a == NULL; i++)
		if (forgettable(c, &c->agents[i], now) && (old == NULL ||
		    c->agents[i].info.last_heard_ns < old->info.last_heard_ns))
			old = &c->agents[i];
	if (a == NULL && old != NULL) {
		forget(c, old, now);
		a = old;
	}
	if (a == NULL)
		return NULL;
	idx = a->idx;
	memset(a, 0, sizeof(*a));
	a->idx = idx;
	a->added_ns = now;
	memcpy(a->info.id, id, len);
	a->info.id[len] = '\0';
	sess_table_set_agent_name(c->table, a->idx, a->info.id);
	return a;
}

/*
 * Whether the agent can go: silent past agent_retention (or never heard
 * since added that long ago), no session open, no ack owed, no mark of
 * its batches pending. Its watermarks stay in the store: if it comes back
 * the same boot continues where it was, and the boot rule still knows
 * its latest start (agg__load_boot).
 */
static int
forgettable(const struct agg_core *c, const struct agent *a, uint64_t now)
{
	uint64_t since = a->info.last_heard_ns > a->added_ns ?
	    a->info.last_heard_ns : a->added_ns;

	return !AGG__FREE(a) && c->cfg.agent_retention_ns > 0 &&
	    now > since && now - since >= c->cfg.agent_retention_ns &&
	    sess_table_agent_sessions(c->table, a->idx) == 0 &&
	    !a->ack_pending && !a->marked && a->mark_upto == 0 &&
	    a->info.watermark == a->info.durable;
}

static void
forget(struct agg_core *c, struct agent *a, uint64_t now)
{
	uint16_t idx = a->idx;

	log_info("agent %s silent for %llu s: forgotten, its slot reused",
	    a->info.id, (unsigned long long)((now - (a->info.last_heard_ns ?
	    a->info.last_heard_ns : a->added_ns)) / 1000000000ULL));
	agg_core_note(c, AGG_SEV_INFO, "agent_forgotten", "agent %s silent "
	    "past agent_retention: forgotten", a->info.id);
	memset(a, 0, sizeof(*a));
	a->idx = idx;
	c->st.agents_forgotten++;
}

/*
 * Once per agent entry without a boot: the latest boot the store knows
 * (a restart of ours, or an agent forgotten and back), so that the boot
 * rule holds across both.
 */
void
agg__load_boot(struct agg_core *c, struct agent *a)
{
	uint64_t boot, seq, boot_ns;

	if (a->boot_loaded || a->info.boot_id != 0)
		return;
	a->boot_loaded = 1;
	if (store_latest_boot(c->store, a->info.id, &boot, &seq, &boot_ns) !=
	    0)
		return;
	a->info.boot_id = boot;
	a->info.boot_ns = boot_ns;
	a->info.watermark = a->info.durable = seq;
	/* As if heard now: another boot waits boot_quiet for it. */
	a->boot_heard_ns = sa_wall_ns();
}

/* A new boot of a known agent: its old sessions will never close. */
void
agg__switch_boot(struct agg_core *c, struct agent *a, uint64_t boot,
    uint64_t boot_ns)
{
	uint64_t wm = 0;
	int i, same = 0;

	if (store_get_watermark(c->store, a->info.id, boot, &wm) == 0)
		same = a->info.boot_id == 0;	/* we restarted, it did not */
	else
		wm = 0;
	if (!same && (a->info.boot_id != 0 || a->restored)) {
		log_info("agent %s restarted (boot %016llx): its open "
		    "sessions end as agent_lost", a->info.id,
		    (unsigned long long)boot);
		agg_core_note(c, AGG_SEV_WARNING, "agent_restarted",
		    "agent %s restarted: its open sessions end as agent_lost",
		    a->info.id);
		sess_table_close_agent(c->table, a->idx,
		    SESS_CLOSE_AGENT_LOST);
	}
	for (i = OLD_BOOTS - 1; i > 0; i--)
		a->old_boots[i] = a->old_boots[i - 1];
	a->old_boots[0] = a->info.boot_id;
	a->restored = 0;
	if (a->mark_upto != 0 && a->mark_boot != boot)
		a->mark_upto = 0;
	a->lost_upto_ns = a->max_last_ns = 0;	/* a new boot's sessions */
	a->info.boot_id = boot;
	a->info.boot_ns = boot_ns;
	a->info.watermark = a->info.durable = wm;
}

void
agg_core_tick(struct agg_core *c, uint64_t now)
{
	uint32_t i;

	if (c->evictions_noted > 0 && now - c->last_evict_note_ns >
	    60000000000ULL) {
		agg_core_note(c, AGG_SEV_WARNING, "table_full",
		    "%llu sessions evicted: the table is full (max_sessions "
		    "%u)", (unsigned long long)c->evictions_noted,
		    c->cfg.sess.max_sessions);
		c->evictions_noted = 0;
		c->last_evict_note_ns = now;
	}

	for (i = 0; i < c->nagents; i++) {
		struct agent *a = &c->agents[i];

		if (forgettable(c, a, now)) {
			forget(c, a, now);
			continue;
		}
		if (AGG__FREE(a) || a->info.lost || a->info.last_heard_ns == 0 ||
		    now - a->info.last_heard_ns < c->cfg.agent_timeout_ns)
			continue;
		log_warnx("agent %s silent for %llu s: its open sessions end "
		    "as agent_lost", a->info.id, (unsigned long long)
		    ((now - a->info.last_heard_ns) / 1000000000ULL));
		agg_core_note(c, AGG_SEV_WARNING, "agent_lost",
		    "agent %s silent for %llu s: its open sessions end as "
		    "agent_lost", a->info.id, (unsigned long long)
		    ((now - a->info.last_heard_ns) / 1000000000ULL));
		sess_table_close_agent(c->table, a->idx,
		    SESS_CLOSE_AGENT_LOST);
		a->info.lost = 1;
		a->lost_upto_ns = a->max_last_ns;
		c->st.agents_lost++;
	}
}

size_t
agg_core_agent_count(const struct agg_core *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nagents; i++)
		if (!AGG__FREE(&c->agents[i]))
			n++;
	return n;
}

size_t
agg_core_agents(const struct agg_core *c, struct agg_agent_info *out,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->nagents && n < max; i++) {
		if (AGG__FREE(&c->agents[i]))
			continue;
		out[n] = c->agents[i].info;
		out[n++].sessions_active = sess_table_agent_sessions(c->table,
		    c->agents[i].idx);
	}
	return n;
}
