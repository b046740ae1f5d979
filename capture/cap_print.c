/*
 * cap_print: closed sessions as JSON lines. At the end of a file the
 * table reports every session it still holds in one burst (all of them
 * when the capture is shorter than the TIME_WAIT hold); the printer
 * thread formats and writes one chunk of copied records while the caller
 * fills the other, so that burst takes both cores.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sess_enr.h"
#include "../common/xmalloc.h"
#include "cap_print.h"

/* A record in a chunk: the struct, then its enrichment block, 8-aligned. */
#define ALIGN8(n)	(((n) + 7) & ~(size_t)7)

struct chunk {
	unsigned char	*buf;
	size_t		 used;
	int		 full;		/* handed to the thread */
};

struct cap_printer {
	FILE			*fp;
	const char		*agent;
	const struct cidr_table	*users;
	size_t			 cap;
	struct chunk		 ch[2];
	int			 fill;		/* the caller's chunk */
	int			 done;		/* no more chunks will come */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	/* The thread's; read after the join. */
	uint64_t		 printed;
	int			 failed;
};

const char *
cap_print_label(const struct cidr_table *users, const struct sess_rec *rec)
{
	if (users == NULL || sess_enr_user(rec->enr)[0] != '\0')
		return NULL;
	return cidr_table_lookup(users, rec->af, rec->cli);
}

size_t
cap_print_line(const struct sess_rec *rec, const char *agent,
    const struct cidr_table *users, char *line)
{
	size_t n;

	n = sess_json_format(rec, agent, cap_print_label(users, rec), NULL,
	    line, CAP_PRINT_LINE_MAX - 1);
	line[n++] = '\n';
	return n;
}

/* Prints every record of ch. */
static void
write_chunk(struct cap_printer *p, const struct chunk *ch)
{
	char line[CAP_PRINT_LINE_MAX];
	size_t off = 0, n;

	while (off < ch->used) {
		struct sess_rec *r = (struct sess_rec *)(void *)(ch->buf + off);

		off += sizeof(*r);
		if (r->enr != NULL) {
			/* Where its copy sits now. */
			r->enr = (const struct sess_enr *)(void *)(ch->buf +
			    off);
			off += ALIGN8(sess_enr_size(r->enr));
		}
		n = cap_print_line(r, p->agent, p->users, line);
		if (fwrite(line, 1, n, p->fp) != n)
			p->failed = 1;
		p->printed++;
	}
}

/* The thread: chunks in the order they were filled, 0, 1, 0, ... */
static void *
printer_main(void *arg)
{
	struct cap_printer *p = arg;
	int k = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->ch[k].full && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->ch[k].full)
			break;		/* done, and nothing left */
		pthread_mutex_unlock(&p->mu);
		write_chunk(p, &p->ch[k]);
		pthread_mutex_lock(&p->mu);
		p->ch[k].used = 0;
		p->ch[k].full = 0;
		pthread_cond_broadcast(&p->cv);
		k ^= 1;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
printer_free(struct cap_printer *p)
{
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->ch[0].buf);
	free(p->ch[1].buf);
	free(p);
}

struct cap_printer *
cap_printer_start(FILE *fp, const char *agent, const struct cidr_table *users,
    size_t chunk)
{
	struct cap_printer *p = xcalloc(1, sizeof(*p));

	p->fp = fp;
	p->agent = agent;
	p->users = users;
	p->cap = chunk < CAP_PRINT_CHUNK_MIN ? CAP_PRINT_CHUNK_MIN : chunk;
	p->ch[0].buf = xmalloc(p->cap);
	p->ch[1].buf = xmalloc(p->cap);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, printer_main, p) != 0) {
		printer_free(p);
		return NULL;
	}
	return p;
}

/* The caller's chunk goes to the thread; waits for the other to be free. */
static void
hand_over(struct cap_printer *p)
{
	pthread_mutex_lock(&p->mu);
	p->ch[p->fill].full = 1;
	pthread_cond_broadcast(&p->cv);
	p->fill ^= 1;
	while (p->ch[p->fill].full)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
cap_printer_add(struct cap_printer *p, const struct sess_rec *rec)
{
	size_t esz = rec->enr != NULL ? sess_enr_size(rec->enr) : 0;
	size_t need = sizeof(*rec) + ALIGN8(esz);
	struct chunk *ch = &p->ch[p->fill];

	_Static_assert(sizeof(struct sess_rec) % 8 == 0,
	    "records stay 8-aligned in a chunk");
	_Static_assert(sizeof(struct sess_rec) + SESS_ENR_SIZE_MAX + 7 <=
	    CAP_PRINT_CHUNK_MIN, "the largest record fits a chunk");
	if (ch->used + need > p->cap) {
		hand_over(p);
		ch = &p->ch[p->fill];
	}
	memcpy(ch->buf + ch->used, rec, sizeof(*rec));
	if (esz > 0)
		memcpy(ch->buf + ch->used + sizeof(*rec), rec->enr, esz);
	ch->used += need;
}

int
cap_printer_finish(struct cap_printer *p, uint64_t *printed)
{
	int rc;

	pthread_mutex_lock(&p->mu);
	if (p->ch[p->fill].used > 0)
		p->ch[p->fill].full = 1;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	*printed += p->printed;
	rc = p->failed ? -EIO : 0;
	printer_free(p);
	return rc;
}
