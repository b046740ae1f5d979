/*
 * agg_marks: restart marks, the ids of sessions closed and written since
 * the last checkpoint, so that events an agent resends after a restart do
 * not count them again. How blobs are stored is store/checkpoint.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/bytes.h"
#include "../common/log.h"
#include "../common/xmalloc.h"
#include "agg_core.h"
#include "agg_core_int.h"

/*
 * Marks. Open sessions are checkpointed every checkpoint_ns, with the
 * watermarks, and only then are batches acknowledged; closed sessions are
 * written every commit, in between. A restart restores the checkpoint and
 * the agents resend every batch after its watermark, among them the
 * batches that closed sessions already written since. So each commit
 * between checkpoints also writes a mark blob: the ids of the sessions it
 * closed and, per agent, the highest sequence applied. At start the marks
 * become a set, and events of a marked session are not applied again
 * (they count as late_events) while the agent resends up to that sequence.
 * A checkpoint clears the blobs written since the last one (and writes
 * the set of a restart again, once, while an agent still needs it; the
 * set stays in memory until then, at most checkpoint_max_closed marks).
 *
 * Blob, big-endian: u32 agents, per agent {u16 length, id, u64 boot, u64
 * seq}, u32 marks, per mark {u64 key_hash, u64 start_ns}.
 */
static uint64_t
mark_hash(const struct mark *m)
{
	uint64_t h = m->h ^ (m->start * 0x9e3779b97f4a7c15ULL);

	return h ^ (h >> 29);
}

int
agg__rmark_has(const struct agg_core *c, const struct mark *m)
{
	uint64_t i;

	for (i = mark_hash(m) & c->rmask; ; i = (i + 1) & c->rmask) {
		const struct mark *e = &c->rmarks[i];

		if (e->h == 0 && e->start == 0)
			return 0;
		if (e->h == m->h && e->start == m->start)
			return 1;
	}
}

static void
rmark_add(struct agg_core *c, const struct mark *m)
{
	uint64_t i;

	if (m->h == 0 && m->start == 0)
		return;		/* the empty slot; no session has it */
	if (c->rmarks == NULL || 2 * (c->nrmarks + 1) > c->rmask + 1) {
		struct mark *old = c->rmarks;
		uint64_t j, n = old != NULL ? 2 * (c->rmask + 1) : 1024;

		c->rmarks = xcalloc(n, sizeof(*c->rmarks));
		c->rmask = n - 1;
		c->nrmarks = 0;
		if (old != NULL) {
			for (j = 0; j <= (n / 2) - 1; j++)
				if (old[j].h != 0 || old[j].start != 0)
					rmark_add(c, &old[j]);
			free(old);
		}
	}
	if (agg__rmark_has(c, m))
		return;
	for (i = mark_hash(m) & c->rmask; c->rmarks[i].h != 0 ||
	    c->rmarks[i].start != 0; i = (i + 1) & c->rmask)
		;
	c->rmarks[i] = *m;
	c->nrmarks++;
}

void
agg__on_marks(void *arg, uint64_t no, const uint8_t *p, size_t len)
{
	struct agg_core *c = arg;
	const uint8_t *end = p + len;
	struct agent *a;
	struct mark m;
	uint64_t n, i, alen, boot, seq;

	if (no >= c->mark_no)
		c->mark_no = no + 1;
	if (end - p < 4)
		goto bad;
	n = be_get(p, 4);
	p += 4;
	for (i = 0; i < n; i++) {
		if (end - p < 2 || (alen = be_get(p, 2)) > PROTO_MAX_ID ||
		    (uint64_t)(end - p) < 2 + alen + 16)
			goto bad;
		if ((a = agg__find_agent(c, (const char *)p + 2, alen)) == NULL &&
		    (a = agg__add_agent(c, (const char *)p + 2, alen)) == NULL)
			goto bad;
		boot = be_get(p + 2 + alen, 8);
		seq = be_get(p + 2 + alen + 8, 8);
		p += 2 + alen + 16;
		if (a->mark_upto == 0 || a->mark_boot != boot) {
			a->mark_boot = boot;
			a->mark_upto = 0;
		}
		if (seq > a->mark_upto)
			a->mark_upto = seq;
	}
	if (end - p < 4)
		goto bad;
	n = be_get(p, 4);
	p += 4;
	if ((uint64_t)(end - p) / 16 < n)
		goto bad;
	for (i = 0; i < n; i++, p += 16) {
		m.h = be_get(p, 8);
		m.start = be_get(p + 8, 8);
		rmark_add(c, &m);
	}
	return;
bad:
	log_warnx("checkpoint: mark blob %llu unreadable; sessions it names "
	    "may be counted again", (unsigned long long)no);
}

/*
 * Whether a blob names the agent: for a commit's marks, an agent that
 * closed sessions in it or applied batches not yet checkpointed; for the
 * marks of a restart, an agent that still needs them.
 */
static int
blob_names(const struct agent *a, int restart)
{
	if (restart)
		return a->mark_upto != 0;
	return a->marked || a->info.watermark > a->info.durable;
}

/* A blob of the given marks and of the agents blob_names. */
void
agg__put_marks(struct agg_core *c, const struct mark *m, size_t n, int restart)
{
	uint8_t *blob, *p;
	uint32_t i, na = 0;
	size_t len = 8 + 16 * n;

	for (i = 0; i < c->nagents; i++)
		if (blob_names(&c->agents[i], restart)) {
			len += 2 + strlen(c->agents[i].info.id) + 16;
			na++;
		}
	p = blob = xmalloc(len);
	be_put(p, na, 4);
	p += 4;
	for (i = 0; i < c->nagents; i++) {
		struct agent *a = &c->agents[i];
		size_t alen = strlen(a->info.id);

		if (!blob_names(a, restart))
			continue;
		be_put(p, alen, 2);
		memcpy(p + 2, a->info.id, alen);
		p += 2 + alen;
		be64_put(p, restart ? a->mark_boot : a->info.boot_id);
		be64_put(p + 8, restart ? a->mark_upto : a->info.watermark);
		p += 16;
	}
	be_put(p, (uint32_t)n, 4);
	p += 4;
	for (i = 0; i < n; i++, p += 16) {
		be64_put(p, m[i].h);
		be64_put(p + 8, m[i].start);
	}
	store_batch_put_marks(c->batch, c->mark_no++, blob, len);
	c->marks_stored = 1;
	if (!restart)
		c->marks_new = 1;
	free(blob);
}

/* The restart marks still needed, as one blob (a checkpoint clears all). */
void
agg__put_restart_marks(struct agg_core *c)
{
	struct mark *v;
	size_t n = 0;
	uint64_t i;

	if (c->rmarks == NULL)
		return;
	v = xreallocarray(NULL, c->nrmarks ? c->nrmarks : 1, sizeof(*v));
	for (i = 0; i <= c->rmask; i++)
		if (c->rmarks[i].h != 0 || c->rmarks[i].start != 0)
			v[n++] = c->rmarks[i];
	agg__put_marks(c, v, n, 1);
	free(v);
}

/* After a checkpoint: agents past their marks no longer need them. */
void
agg__prune_restart_marks(struct agg_core *c)
{
	uint32_t i;
	int need = 0;

	if (c->rmarks == NULL)
		return;
	for (i = 0; i < c->nagents; i++) {
		struct agent *a = &c->agents[i];

		if (a->mark_upto == 0)
			continue;
		if (a->info.durable >= a->mark_upto ||
		    (a->info.boot_id != 0 && a->info.boot_id != a->mark_boot))
			a->mark_upto = 0;
		else
			need = 1;
	}
	if (!need) {
		log_info("restart marks no longer needed (%zu sessions)",
		    c->nrmarks);
		free(c->rmarks);
		c->rmarks = NULL;
		c->nrmarks = 0;
		c->rmask = 0;
	}
}
