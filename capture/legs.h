/*
 * legs: links a proxy's two legs on the proxy host, on the capture thread.
 * The client leg (client -> proxy) asked the proxy for a target; the
 * upstream leg (proxy -> target) is the connection the proxy opened for
 * it. The linker remembers recent client SYNs in a ring, and for each
 * client leg whose proxy request it read, finds the upstream leg when the
 * proxy grants it: by the SOCKS5 reply's BND address, else by the
 * proxy's SYN to the requested address and port (or, for a name, to the
 * requested port with that name in its SNI or Host, or whose address a
 * DNS answer the host received just before gave for the name) between the
 * request and the reply. An ambiguous link is not made. Rules:
 * docs/ENRICHMENT.md. Bounded: a ring of syns records, a pool of pending
 * client legs and a table of recent DNS answers (legs_dns.c).
 */
#ifndef SA_CAPTURE_LEGS_H
#define SA_CAPTURE_LEGS_H

#include <stdint.h>

#include "../common/cidr.h"
#include "../common/sess_enr.h"
#include "../common/sess_table.h"
#include "cap_engine.h"
#include "l7.h"

/* How a link was made. */
enum legs_rule {
	LEGS_RULE_BND = 0,	/* the SOCKS5 reply's BND.ADDR:BND.PORT */
	LEGS_RULE_WINDOW,	/* the only SYN to the target in the window */
	LEGS_RULE_NAME,		/* the only one whose SNI/Host is the name */
	LEGS_RULE_DNS,		/* the only one to an address of the name */
	LEGS_RULE_MAX
};

struct legs_cfg {
	uint32_t	syns;		/* SYNs remembered (capture.link_syns) */
	uint32_t	pending;	/* client legs waiting (link_pending) */
	uint64_t	window_ns;	/* capture.link_window */
	uint32_t	dns;		/* DNS answers kept (link_dns), 0 none */
	/* [users] labels, borrowed; NULL for none. */
	const struct cidr_table *users;
};

struct legs_stats {
	uint64_t	linked[LEGS_RULE_MAX];
	uint64_t	ambiguous;	/* more than one candidate: not linked */
	uint64_t	unmatched;	/* granted, but no candidate */
	uint64_t	dropped;	/* a bound hit first: ring or pool full */
};

/*
 * A block for the session of key whose other leg is peer (both oriented
 * client to server, ts_ns their SYN time): e borrowed for the call
 * (the callee copies what it keeps). e->peer_start is
 * set; e->peer_hash is 0, for the session table's owner to compute from
 * peer (sess_table_event_id), since it mixes in the agent.
 */
typedef void (*legs_cb)(void *arg, const struct sess_obs *key,
    const struct sess_obs *peer, struct sess_enr *e);

struct legs;

/* cfg copied. Returns owned, or NULL if cfg is out of range. */
struct legs	*legs_create(const struct legs_cfg *cfg, legs_cb cb,
		    void *arg);
void		 legs_destroy(struct legs *);

/* A client SYN (without ACK) was seen: p borrowed. */
void	legs_syn(struct legs *, const struct cap_pkt *p);
/*
 * An answer of enrichment for the connection of key (ts_ns its SYN) at
 * packet time now: r what the parsers read, f the block about to be
 * handed on (strings borrowed from r). May make a link (and call the
 * callback for the other leg, or both). If the connection is a linked
 * leg, f gets leg and peer_start and *peer the other leg. Returns 1 if f
 * must be handed on with *peer, 0 without, -1 not at all (an upstream leg
 * already has the client leg's block, which outranks its own).
 */
int	legs_answer(struct legs *, const struct sess_obs *key,
	    const struct l7_result *r, struct sess_enr_fields *f,
	    struct sess_obs *peer, uint64_t now);
/*
 * A UDP datagram from port 53 (p borrowed; its captured payload l7,
 * l7_caplen bytes, borrowed for the call): if it is a DNS response
 * (l7_dns.c), the addresses it gives for its question name are kept with
 * the time and the receiver, for name targets' links. Nothing without
 * link_dns.
 */
void	legs_resolve(struct legs *, const struct cap_pkt *p,
	    const uint8_t *l7, uint32_t l7_caplen);
/* Enrichment is done with the connection (af, addresses 16 bytes). */
void	legs_end(struct legs *, uint8_t af, const uint8_t *cli,
	    uint16_t cport, const uint8_t *srv, uint16_t sport, uint64_t now);
/* Decides links still waiting for their candidates' names past window. */
void	legs_expire(struct legs *, uint64_t now);

void	legs_get_stats(const struct legs *, struct legs_stats *);
const char *legs_rule_name(enum legs_rule);

#endif
