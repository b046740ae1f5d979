/*
 * wire: the messages between agents and the aggregator, version 1, as
 * MessagePack arrays (docs/PROTOCOL.md is the reference). Agents send
 * BATCH messages (capture counters plus session events) on a DEALER
 * socket; the aggregator answers each with an ACK. Decoding is strict:
 * size cap first, every count capped, every type checked, the whole
 * message consumed exactly, unknown versions rejected.
 */
#ifndef SA_PROTO_WIRE_H
#define SA_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_MAX_MSG_DEFAULT	(1u << 20)	/* bytes */
#define PROTO_MAX_MSG_LIMIT	(64u << 20)
#define PROTO_MAX_EVENTS	16384		/* per batch */
#define PROTO_MAX_REASONS	32		/* decode error reasons */
#define PROTO_MAX_ENRICH	32		/* enrichment counters */
#define PROTO_MAX_PROCESS	16		/* process figures */
#define PROTO_MAX_ID		64		/* agent id, host name */
#define PROTO_MAX_STR		255		/* user, target, reason */
#define PROTO_MAX_ORIGIN	47		/* "[v6]:port" */

enum proto_msg_type {
	PROTO_MSG_BATCH = 1,
	PROTO_MSG_ACK = 2,
};

enum proto_event_kind {
	PROTO_EV_UPDATE = 1,	/* counters since the last event; opens */
	PROTO_EV_CLOSE = 2,	/* last counters, then the session ends */
	/* Late packets of a session already closed (TCP TIME_WAIT): counters
	 * to add to the reported session, which end_ns names with start_ns. */
	PROTO_EV_AMEND = 3,
};

enum proto_ack_status {
	PROTO_ACK_OK = 0,	/* everything up to seq is durable */
	PROTO_ACK_REJECTED = 1,	/* message invalid: dropped, reason says why */
	PROTO_ACK_RESEND = 2,	/* out of order: send again from seq + 1 */
};

struct proto_reason_count {
	char		name[32];
	uint64_t	count;
};

struct proto_capstats {
	uint64_t	packets;	/* frames seen */
	uint64_t	kernel_drops;
	uint64_t	if_drops;
	uint64_t	decode_errors;
	uint64_t	batches_dropped;/* agent buffer overflow, cumulative */
	uint32_t	nreasons;
	struct proto_reason_count reasons[PROTO_MAX_REASONS];
	/* The agent's enrichment counters ("tracked", "enriched.socks5",
	 * "given_up.gap", ...); 0 when it has none (enrichment off or an
	 * older agent), and the stats then go out with 6 elements. */
	uint32_t	nenrich;
	struct proto_reason_count enrich[PROTO_MAX_ENRICH];
	/* The agent's own resources ("resident_memory_bytes", "cpu_ns",
	 * ...), the stats' 8th element; 0 when it sends none (an older
	 * agent), and then the stats end at the 7th (or 6th). */
	uint32_t	nprocess;
	struct proto_reason_count process[PROTO_MAX_PROCESS];
};

/* One session event. Index 0 is client to server. */
struct proto_event {
	uint8_t		kind;		/* enum proto_event_kind */
	uint8_t		af;		/* 4 or 6 */
	uint8_t		proto;		/* 6 or 17 */
	uint8_t		status;		/* enum sess_status, CLOSE only */
	uint8_t		reason;		/* enum sess_close, CLOSE only */
	uint8_t		tcp_flags[2];	/* flags seen each way */
	uint16_t	cli_port, srv_port;
	uint8_t		cli[16], srv[16];
	uint64_t	start_ns, last_ns;
	uint64_t	packets[2], bytes[2], wire_bytes[2];
	/* Enrichment, NULL if none; borrowed from the decoded message. */
	const char	*user, *target, *origin;
	uint32_t	user_len, target_len, origin_len;
	/* The proxy leg (enum sess_leg, 0 none) and the other leg's id. */
	uint8_t		leg;
	uint64_t	peer_hash, peer_start;
	/* AMEND only: the end time the session was reported closed with. */
	uint64_t	end_ns;
};

struct proto_batch {
	const char	*agent_id;	/* borrowed from the message */
	uint32_t	 agent_len;
	const char	*host;
	uint32_t	 host_len;
	uint64_t	 boot_id;
	uint64_t	 seq;		/* 1, 2, 3 ... per boot */
	uint64_t	 floor_seq;	/* oldest seq the agent still holds */
	uint64_t	 sent_ns;
	struct proto_capstats stats;
	uint32_t	 nevents;
	/* When this boot of the agent started (wall clock, ns since the
	 * epoch): the 11th, trailing element, after the events. 0: absent
	 * (older agents); the encoder then writes 10 elements. */
	uint64_t	 boot_ns;
	/*
	 * The agent's packet clock at its last complete report: every
	 * change it saw up to then is in this batch or an earlier one. The
	 * 12th, trailing element, after boot_ns (which it needs). 0: absent
	 * (older agents, or no packet yet).
	 */
	uint64_t	 clock_ns;
};

struct proto_ack {
	uint64_t	boot_id;
	uint64_t	seq;
	uint8_t		status;		/* enum proto_ack_status */
	char		reason[128];
};

/* A bounded output buffer (curl dynbuf): grows up to max, then fails. */
struct proto_buf {
	uint8_t		*data;
	size_t		 len, cap, max;
	int		 overflow;
	size_t		 floor_off;	/* where proto_batch_begin put floor_seq */
	size_t		 dropped_off;	/* ... and stats.batches_dropped */
	uint32_t	 ev_left;	/* events still to add to the batch */
	uint64_t	 boot_ns;	/* written after the last one; 0: none */
	uint64_t	 clock_ns;	/* ... and after it */
};

void	proto_buf_init(struct proto_buf *, size_t max);
void	proto_buf_reset(struct proto_buf *);
void	proto_buf_free(struct proto_buf *);

/*
 * Encoding a batch: begin with the header (b->nevents is the number of
 * events that will follow), then exactly nevents proto_batch_add_event;
 * the trailing boot_ns and clock_ns, if any, go out with the last event
 * (or with the header when there are none); clock_ns without boot_ns is
 * -EINVAL.
 * Returns 0, -EMSGSIZE once the buffer's max is exceeded (and for every
 * later call until proto_buf_reset), or -EINVAL, with nothing written, for
 * what the decoder would refuse: more than PROTO_MAX_EVENTS events,
 * PROTO_MAX_REASONS reasons or PROTO_MAX_ENRICH enrichment counters, a
 * reason or counter name without its NUL, a user or target longer than
 * PROTO_MAX_STR. proto_ack_encode: -EINVAL if reason has no NUL.
 */
int	proto_batch_begin(struct proto_buf *, const struct proto_batch *b);
int	proto_batch_add_event(struct proto_buf *, const struct proto_event *);
/*
 * Rewrites the floor_seq of a batch encoded by proto_batch_begin in place
 * (it is always written as a 9-byte uint64), so a batch kept for resending
 * tells the aggregator what the agent no longer holds when it goes out.
 */
void	proto_batch_set_floor(struct proto_buf *, uint64_t floor_seq);
/* The same for stats.batches_dropped, so every send carries the count
 * as it stands then. */
void	proto_batch_set_dropped(struct proto_buf *, uint64_t dropped);
int	proto_ack_encode(struct proto_buf *, const struct proto_ack *);

/*
 * Decodes a batch (buf borrowed; strings in b and events point into it).
 * events must hold PROTO_MAX_EVENTS entries. Fails with -EMSGSIZE above
 * max_msg, -EPROTO for another version or type, -EBADMSG otherwise; why
 * (may be NULL) then names the field.
 */
int	proto_batch_decode(const uint8_t *buf, size_t len, size_t max_msg,
	    struct proto_batch *b, struct proto_event *events,
	    const char **why) __attribute__((warn_unused_result));
int	proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *a)
	    __attribute__((warn_unused_result));

/* What a batch says it is, read without decoding the rest. */
struct proto_batch_head {
	const char	*agent_id;	/* borrowed from the message */
	uint32_t	 agent_len;
	uint64_t	 boot_id;
	uint64_t	 seq;
};

/*
 * Reads a batch's agent id, boot id and seq (buf borrowed) with the
 * readers and rules of proto_batch_decode, which therefore fails on
 * whatever this fails on. 0, -EMSGSIZE above max_msg, or -EBADMSG.
 */
int	proto_batch_peek(const uint8_t *buf, size_t len, size_t max_msg,
	    struct proto_batch_head *h) __attribute__((warn_unused_result));
/* 1 if s (n bytes) is a valid agent id: [A-Za-z0-9._:-]{1,64}. */
int	proto_agent_id_valid(const char *s, uint32_t n);

/* Type of a message (its second element) without decoding it; -EBADMSG. */
int	proto_msg_type(const uint8_t *buf, size_t len);

#endif
