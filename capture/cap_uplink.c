/*
 * cap_uplink: batches, the unacked queue and the DEALER socket.
 *
 * Queue: sealed batches in sequence order, oldest first. The aggregator's
 * ACK carries the highest sequence it has made durable; everything up to
 * it leaves the queue. A RESEND ack (it got a batch out of order) or no
 * progress for resend_ns sends the whole queue again from the oldest.
 * Before each send the batch's floor_seq is rewritten to the oldest
 * sequence still held, so the aggregator can tell batches this agent
 * dropped (and count them) from batches still on their way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <czmq.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "../common/xmalloc.h"
#include "cap_uplink.h"

struct up_batch {
	uint64_t		seq;
	uint64_t		sent_ns;	/* 0: not sent yet */
	struct proto_buf	buf;
	struct up_batch		*next;
};

/* Where an event's strings are in the uplink's copy (len 0: none). */
struct ev_strs {
	uint32_t	off[3];
	uint32_t	len[3];
};

struct cap_uplink {
	struct cap_uplink_cfg	 cfg;
	zsock_t			*sock;
	void			*zsock;		/* libzmq handle */
	uint64_t		 boot_id;
	uint64_t		 boot_ns;	/* this boot's start, wall clock */
	uint64_t		 clock_ns;	/* cap_uplink_set_clock's */
	uint64_t		 next_seq;
	/* The open batch. */
	struct proto_buf	 open;
	struct proto_event	*evs;
	uint32_t		 nevs;
	/* The events' strings (user, target, origin), copied: offsets
	 * into strs, pointed at when the batch is sealed. */
	struct ev_strs		*evstr;
	char			*strs;
	size_t			 strs_len, strs_cap;
	size_t			 evbytes;
	struct proto_capstats	 capstats;
	/* Sealed, unacked, oldest first. */
	struct up_batch		*head, *tail;
	struct up_batch		*next_send;	/* first not sent since resend */
	uint64_t		 last_progress_ns;
	int			 stalled;	/* a full wait freed nothing */
	uint64_t		 last_send_ns;
	uint64_t		 last_ack_warn_ns;
	struct cap_uplink_stats	 st;
};

/* An event costs at most this many encoded bytes (strings included). */
#define EVENT_MAX_BYTES	(2 * PROTO_MAX_STR + PROTO_MAX_ORIGIN + 170)

struct cap_uplink *
cap_uplink_create(const struct cap_uplink_cfg *cfg, char *err, size_t errlen)
{
	struct cap_uplink *u;

	/* czmq would install its own SIGINT/SIGTERM handler: keep ours. */
	zsys_handler_set(NULL);
	u = xcalloc(1, sizeof(*u));
	u->cfg = *cfg;
	if (u->cfg.batch_events > PROTO_MAX_EVENTS)
		u->cfg.batch_events = PROTO_MAX_EVENTS;
	u->sock = zsock_new(ZMQ_DEALER);
	if (u->sock == NULL) {
		snprintf(err, errlen, "cannot create a ZeroMQ socket");
		free(u);
		return NULL;
	}
	zsock_set_linger(u->sock, 0);
	zsock_set_sndhwm(u->sock, 64);
	zsock_set_rcvhwm(u->sock, 1024);
	zsock_set_reconnect_ivl(u->sock, 100);
	zsock_set_reconnect_ivl_max(u->sock, 2000);
	if (cfg->key != NULL && curve_client_apply(zsock_resolve(u->sock),
	    cfg->key, cfg->server) != 0) {
		snprintf(err, errlen, "cannot set up CURVE: %s",
		    zmq_strerror(zmq_errno()));
		zsock_destroy(&u->sock);
		free(u);
		return NULL;
	}
	u->cfg.key = u->cfg.server = NULL;	/* not kept */
	if (zsock_connect(u->sock, "%s", cfg->endpoint) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", cfg->endpoint,
		    zmq_strerror(zmq_errno()));
		zsock_destroy(&u->sock);
		free(u);
		return NULL;
	}
	u->zsock = zsock_resolve(u->sock);
	u->boot_id = sa_random_u64();
	u->boot_ns = sa_wall_ns();
	u->next_seq = 1;
	u->evs = xcalloc(u->cfg.batch_events, sizeof(*u->evs));
	u->evstr = xcalloc(u->cfg.batch_events, sizeof(*u->evstr));
	proto_buf_init(&u->open, PROTO_MAX_MSG_DEFAULT);
	u->last_progress_ns = u->last_send_ns = sa_wall_ns();
	return u;
}

static void
free_batch(struct up_batch *b)
{
	proto_buf_free(&b->buf);
	free(b);
}

void
cap_uplink_destroy(struct cap_uplink *u)
{
	struct up_batch *b, *n;

	if (u == NULL)
		return;
	for (b = u->head; b != NULL; b = n) {
		n = b->next;
		free_batch(b);
	}
	zsock_destroy(&u->sock);
	proto_buf_free(&u->open);
	free(u->evs);
	free(u->evstr);
	free(u->strs);
	free(u);
}

void
cap_uplink_set_clock(struct cap_uplink *u, uint64_t clock_ns)
{
	if (clock_ns > u->clock_ns)
		u->clock_ns = clock_ns;
}

void
cap_uplink_set_stats(struct cap_uplink *u, const struct proto_capstats *st)
{
	u->capstats = *st;
}

/* Unlinks the oldest held batch (there is one) and returns it. */
static struct up_batch *
pop_head(struct cap_uplink *u)
{
	struct up_batch *b = u->head;

	u->head = b->next;
	if (u->head == NULL)
		u->tail = NULL;
	if (u->next_send == b)
		u->next_send = b->next;
	u->st.unacked--;
	u->st.unacked_bytes -= b->buf.len;
	return b;
}

/* Drops the oldest held batch: it will never be delivered. */
static void
drop_oldest(struct cap_uplink *u)
{
	struct up_batch *b = pop_head(u);

	if (b->sent_ns == 0)
		u->st.batches_dropped++;
	else
		u->st.batches_dropped_sent++;
	free_batch(b);
}

static void read_acks(struct cap_uplink *, uint64_t);
static void send_pending(struct cap_uplink *, uint64_t);

/* Replay: give the aggregator a chance to free room before dropping. */
static void
wait_for_room(struct cap_uplink *u, size_t need)
{
	zmq_pollitem_t pi = { u->zsock, 0, ZMQ_POLLIN, 0 };
	uint64_t start = sa_wall_ns(), now = start, acked;

	if (u->cfg.full_wait_ns == 0 || u->stalled)
		return;
	acked = u->st.batches_acked;
	while (u->head != NULL &&
	    u->st.unacked_bytes + need > u->cfg.buffer_bytes &&
	    now - start < u->cfg.full_wait_ns) {
		send_pending(u, now);
		(void)zmq_poll(&pi, 1, 10);
		now = sa_wall_ns();
		read_acks(u, now);
	}
	if (u->st.batches_acked == acked)
		u->stalled = 1;
}

/* Encodes the open events into a new batch at the queue's tail. */
static void
seal(struct cap_uplink *u)
{
	struct up_batch *b = xcalloc(1, sizeof(*b));
	struct proto_batch hdr;
	uint32_t i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.agent_id = u->cfg.agent_id;
	hdr.agent_len = (uint32_t)strlen(u->cfg.agent_id);
	hdr.host = u->cfg.host;
	hdr.host_len = (uint32_t)strlen(u->cfg.host);
	hdr.boot_id = u->boot_id;
	hdr.boot_ns = u->boot_ns;
	hdr.clock_ns = u->clock_ns;
	hdr.seq = u->next_seq;
	hdr.floor_seq = u->head != NULL ? u->head->seq : u->next_seq;
	hdr.sent_ns = sa_wall_ns();
	hdr.stats = u->capstats;
	hdr.stats.batches_dropped = u->st.batches_dropped;
	hdr.nevents = u->nevs;
	proto_buf_init(&b->buf, PROTO_MAX_MSG_DEFAULT);
	if (proto_batch_begin(&b->buf, &hdr) != 0)
		abort();	/* bounded by construction */
	for (i = 0; i < u->nevs; i++) {
		struct proto_event *e = &u->evs[i];
		const struct ev_strs *s = &u->evstr[i];

		e->user = s->len[0] ? u->strs + s->off[0] : NULL;
		e->target = s->len[1] ? u->strs + s->off[1] : NULL;
		e->origin = s->len[2] ? u->strs + s->off[2] : NULL;
		if (proto_batch_add_event(&b->buf, e) != 0)
			abort();
	}
	u->st.events += u->nevs;
	u->nevs = 0;
	u->strs_len = 0;
	u->evbytes = 0;
	b->seq = u->next_seq++;
	if (u->head != NULL &&
	    u->st.unacked_bytes + b->buf.len > u->cfg.buffer_bytes)
		wait_for_room(u, b->buf.len);
	while (u->head != NULL &&
	    u->st.unacked_bytes + b->buf.len > u->cfg.buffer_bytes)
		drop_oldest(u);
	if (u->tail != NULL)
		u->tail->next = b;
	else
		u->head = b;
	u->tail = b;
	if (u->next_send == NULL)
		u->next_send = b;
	u->st.unacked++;
	u->st.unacked_bytes += b->buf.len;
}

void
cap_uplink_event(struct cap_uplink *u, const struct proto_event *ev)
{
	const char *str[3] = { ev->user, ev->target, ev->origin };
	uint32_t len[3] = { ev->user_len, ev->target_len, ev->origin_len };
	struct ev_strs *s = &u->evstr[u->nevs];
	int k;

	/* Strings are borrowed by proto_event: keep copies until sealed. */
	for (k = 0; k < 3; k++) {
		s->len[k] = str[k] != NULL ? len[k] : 0;
		if (s->len[k] == 0)
			continue;
		if (u->strs_len + s->len[k] > u->strs_cap) {
			u->strs_cap = 2 * (u->strs_cap + s->len[k]);
			u->strs = xreallocarray(u->strs, u->strs_cap, 1);
		}
		memcpy(u->strs + u->strs_len, str[k], s->len[k]);
		s->off[k] = (uint32_t)u->strs_len;
		u->strs_len += s->len[k];
	}
	u->evs[u->nevs++] = *ev;
	u->evbytes += EVENT_MAX_BYTES;
	if (u->nevs >= u->cfg.batch_events ||
	    u->evbytes + EVENT_MAX_BYTES + 1024 > u->cfg.batch_bytes)
		seal(u);
}

/* Sends from next_send on, while the socket takes them. */
static void
send_pending(struct cap_uplink *u, uint64_t now)
{
	struct up_batch *b;

	while ((b = u->next_send) != NULL) {
		/* What the agent holds and has lost, as of this send. */
		proto_batch_set_floor(&b->buf, u->head->seq);
		proto_batch_set_dropped(&b->buf, u->st.batches_dropped);
		if (zmq_send(u->zsock, b->buf.data, b->buf.len,
		    ZMQ_DONTWAIT) < 0)
			return;		/* EAGAIN: the next call tries */
		if (b->sent_ns == 0)
			u->st.batches_sent++;
		else
			u->st.batches_resent++;
		b->sent_ns = now;
		u->last_send_ns = now;
		u->next_send = b->next;
	}
}

/* Everything up to seq is durable: release it. */
static void
acked_upto(struct cap_uplink *u, uint64_t seq, uint64_t now)
{
	struct up_batch *b;

	while (u->head != NULL && u->head->seq <= seq) {
		b = pop_head(u);
		u->st.batches_acked++;
		free_batch(b);
		u->last_progress_ns = now;
		u->stalled = 0;
	}
}

static void
read_acks(struct cap_uplink *u, uint64_t now)
{
	uint8_t buf[512];
	struct proto_ack a;
	int n;

	while ((n = zmq_recv(u->zsock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
		if ((size_t)n > sizeof(buf) ||
		    proto_ack_decode(buf, (size_t)n, &a) != 0 ||
		    a.boot_id != u->boot_id)
			continue;
		switch (a.status) {
		case PROTO_ACK_OK:
			acked_upto(u, a.seq, now);
			break;
		case PROTO_ACK_REJECTED:
			/* Dropped there: nothing to resend, and say so. The
			 * reason is the peer's text: no control characters
			 * reach our log. */
			for (n = 0; a.reason[n] != '\0'; n++)
				if ((unsigned char)a.reason[n] < 0x20 ||
				    a.reason[n] == 0x7f)
					a.reason[n] = '?';
			u->st.batches_rejected++;
			if (now - u->last_ack_warn_ns > 60000000000ULL) {
				log_warnx("aggregator rejected batch %llu: %s",
				    (unsigned long long)a.seq, a.reason);
				u->last_ack_warn_ns = now;
			}
			acked_upto(u, a.seq, now);
			break;
		case PROTO_ACK_RESEND:
			acked_upto(u, a.seq, now);
			u->next_send = u->head;
			break;
		}
	}
}

void
cap_uplink_poll(struct cap_uplink *u, uint64_t now)
{
	read_acks(u, now);
	if (u->head != NULL && u->next_send != u->head &&
	    now - u->last_progress_ns > u->cfg.resend_ns &&
	    now - u->head->sent_ns > u->cfg.resend_ns) {
		/* No progress: go back to the oldest and send all again. */
		u->next_send = u->head;
		u->last_progress_ns = now;
	}
	send_pending(u, now);
}

void
cap_uplink_flush(struct cap_uplink *u, uint64_t now, int heartbeat)
{
	if (u->nevs > 0 || (heartbeat && u->next_send == NULL &&
	    now - u->last_send_ns >= u->cfg.heartbeat_ns))
		seal(u);
	cap_uplink_poll(u, now);
}

int
cap_uplink_drain(struct cap_uplink *u, uint64_t timeout_ns)
{
	uint64_t start = sa_wall_ns(), now;
	zmq_pollitem_t pi = { u->zsock, 0, ZMQ_POLLIN, 0 };

	if (u->nevs > 0)
		seal(u);
	for (;;) {
		now = sa_wall_ns();
		cap_uplink_poll(u, now);
		if (u->head == NULL)
			return 0;
		if (now - start >= timeout_ns)
			return -ETIMEDOUT;
		(void)zmq_poll(&pi, 1, 50);
	}
}

void
cap_uplink_get_stats(const struct cap_uplink *u, struct cap_uplink_stats *out)
{
	*out = u->st;
}
