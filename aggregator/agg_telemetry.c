/*
 * agg_telemetry: the ring of recent notable events (agents lost and back,
 * invalid messages, store errors) that GET /api/telemetry/events shows.
 * Bounded by telemetry_events; the oldest entry goes first. Not logging:
 * the log says the same, once per event, in its own format.
 */
#include <stdarg.h>
#include <stdio.h>

#include "../common/clock.h"
#include "agg_core.h"
#include "agg_core_int.h"

void
agg_core_note(struct agg_core *c, enum agg_severity sev, const char *category,
    const char *fmt, ...)
{
	struct agg_telemetry *t;
	va_list ap;

	if (c->tel_cap == 0)
		return;
	t = &c->tel[(c->tel_head + c->tel_n) % c->tel_cap];
	if (c->tel_n == c->tel_cap)
		c->tel_head = (c->tel_head + 1) % c->tel_cap;
	else
		c->tel_n++;
	t->time_ns = sa_wall_ns();
	t->severity = (uint8_t)sev;
	snprintf(t->category, sizeof(t->category), "%s", category);
	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
}

size_t
agg_core_telemetry(const struct agg_core *c, const struct agg_telemetry **first,
    const struct agg_telemetry **second, size_t *nsecond)
{
	size_t n1 = c->tel_n;

	if (c->tel_head + c->tel_n > c->tel_cap)
		n1 = c->tel_cap - c->tel_head;
	*first = c->tel + c->tel_head;
	*second = c->tel;
	*nsecond = c->tel_n - n1;
	return n1;
}
