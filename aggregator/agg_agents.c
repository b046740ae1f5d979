/*
 * agg_agents: the agents the core has heard of, each with its boots: a
 * new boot ends the old one's open sessions as agent_lost, a silent agent
 * is declared lost after agent_timeout, and the agents list the API shows.
 * Sequencing of their batches is agg_core.c.
 */
#include <string.h>

#include "../common/log.h"
#include "agg_core.h"
#include "agg_core_int.h"

struct agent *
agg__find_agent(struct agg_core *c, const char *id, size_t len)
{
	uint32_t i;

	for (i = 0; i < c->nagents; i++)
		if (strlen(c->agents[i].info.id) == len &&
		    memcmp(c->agents[i].info.id, id, len) == 0)
			return &c->agents[i];
	return NULL;
}

struct agent *
agg__add_agent(struct agg_core *c, const char *id, size_t len)
{
	struct agent *a;

	if (c->nagents >= c->cfg.max_agents || len > PROTO_MAX_ID)
		return NULL;
	a = &c->agents[c->nagents];
	memset(a, 0, sizeof(*a));
	a->idx = (uint16_t)c->nagents++;
	memcpy(a->info.id, id, len);
	a->info.id[len] = '\0';
	sess_table_set_agent_name(c->table, a->idx, a->info.id);
	return a;
}

/* A new boot of a known agent: its old sessions will never close. */
void
agg__switch_boot(struct agg_core *c, struct agent *a, uint64_t boot)
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

		if (a->info.lost || a->info.last_heard_ns == 0 ||
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
	return c->nagents;
}

struct count_arg {
	struct agg_agent_info	*out;
	size_t			 n;
};

static void
count_active(void *arg, const struct sess_rec *r)
{
	struct count_arg *ca = arg;

	if (r->agent < ca->n)
		ca->out[r->agent].sessions_active++;
}

size_t
agg_core_agents(const struct agg_core *c, struct agg_agent_info *out,
    size_t max)
{
	struct count_arg ca;
	size_t i;

	for (i = 0; i < c->nagents && i < max; i++) {
		out[i] = c->agents[i].info;
		out[i].sessions_active = 0;
	}
	ca.out = out;
	ca.n = i;
	sess_table_foreach(c->table, count_active, &ca);
	return i;
}
