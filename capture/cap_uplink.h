/*
 * cap_uplink: the agent's side of the wire protocol (docs/PROTOCOL.md).
 * Session events are packed into BATCH messages sent on a ZeroMQ DEALER
 * socket. Every batch stays in a bounded buffer until the aggregator acks
 * it; unacked batches are sent again after a timeout (go-back-N), and when
 * the buffer is full the oldest are dropped and counted. Nothing here
 * blocks: a send that would block waits for the next call. Runs on the
 * engine thread.
 */
#ifndef SA_CAPTURE_CAP_UPLINK_H
#define SA_CAPTURE_CAP_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/curve.h"
#include "../proto/wire.h"

struct cap_uplink_cfg {
	const char	*endpoint;	/* tcp://host:port */
	const char	*agent_id;
	const char	*host;
	uint32_t	 batch_events;	/* events per batch, <= PROTO_MAX_EVENTS */
	uint64_t	 batch_bytes;	/* bytes per batch */
	uint64_t	 buffer_bytes;	/* unacked batches kept */
	uint64_t	 resend_ns;	/* resend unacked after this */
	uint64_t	 heartbeat_ns;	/* empty batch when idle this long */
	/*
	 * With the buffer full, wait this long for acks to free room before
	 * dropping (a replay can wait; live capture passes 0). After a wait
	 * that freed nothing, drops do not wait again until an ack comes.
	 */
	uint64_t	 full_wait_ns;
	/* CURVE: the agent's key pair and the aggregator's public key
	 * (borrowed for the create call); NULL: none. */
	const struct curve_cert *key, *server;
};

struct cap_uplink_stats {
	uint64_t	batches_sent;	/* first sends */
	uint64_t	batches_resent;
	uint64_t	batches_acked;
	uint64_t	batches_dropped;/* buffer full, never sent: lost */
	uint64_t	batches_dropped_sent; /* buffer full, sent but not
					 * acked: maybe delivered */
	uint64_t	batches_rejected;/* the aggregator refused them */
	uint64_t	events;
	uint64_t	unacked;	/* batches held now */
	uint64_t	unacked_bytes;
};

struct cap_uplink;

/* Returns owned, or NULL with the reason in err. cfg strings borrowed. */
struct cap_uplink *cap_uplink_create(const struct cap_uplink_cfg *cfg,
    char *err, size_t errlen);
void	cap_uplink_destroy(struct cap_uplink *);

/* Adds one event (borrowed) to the open batch; a full batch is sealed. */
void	cap_uplink_event(struct cap_uplink *, const struct proto_event *ev);
/*
 * The packet clock up to which every change has been given to
 * cap_uplink_event: the batches sealed from now on carry it (clock_ns,
 * docs/PROTOCOL.md), those already sealed the one before. Never back.
 */
void	cap_uplink_set_clock(struct cap_uplink *, uint64_t clock_ns);
/* The capture counters the next batches carry (copied). */
void	cap_uplink_set_stats(struct cap_uplink *,
	    const struct proto_capstats *st);
/*
 * Seals the open batch if it has events (or, with heartbeat, if nothing
 * went out for heartbeat_ns), sends what is waiting, reads acks, resends
 * what timed out. now_ns is the wall clock.
 */
void	cap_uplink_flush(struct cap_uplink *, uint64_t now_ns, int heartbeat);
/* Reads acks and resends without sealing. */
void	cap_uplink_poll(struct cap_uplink *, uint64_t now_ns);
/*
 * Waits up to timeout_ns for every batch to be acked. 0 when all are,
 * -ETIMEDOUT otherwise.
 */
int	cap_uplink_drain(struct cap_uplink *, uint64_t timeout_ns);
void	cap_uplink_get_stats(const struct cap_uplink *,
	    struct cap_uplink_stats *);

#endif
