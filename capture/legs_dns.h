/*
 * legs_dns: the recent DNS answers a proxy host received, for linking a
 * proxy's legs by name (legs.c): which addresses a name resolved to, who
 * received the answer and when. A fixed table of entries allocated at
 * start (capture.link_dns), set-associative: a new answer replaces the
 * oldest entry of its set, so the table holds the most recent answers.
 */
#ifndef SA_CAPTURE_LEGS_DNS_H
#define SA_CAPTURE_LEGS_DNS_H

#include <stdint.h>

struct legs_dns;

/* Returns owned (entries rounded up to a multiple of 4), or NULL if
 * entries is 0 or over 1 << 24. */
struct legs_dns	*legs_dns_create(uint32_t entries);
void		 legs_dns_destroy(struct legs_dns *);

/*
 * An answer at time ts_ns: name (its hash, as legs.c computes it)
 * resolves to addr (af 4 or 6, 16 bytes, borrowed), received by rcv
 * (raf, 16 bytes, borrowed). Keeps the last two times of each name,
 * address and receiver.
 */
void	legs_dns_add(struct legs_dns *, uint64_t name, uint8_t af,
	    const uint8_t *addr, uint8_t raf, const uint8_t *rcv,
	    uint64_t ts_ns);
/*
 * Nonzero if an answer resolving name to addr reached, at a time in
 * [syn_ns - window_ns, syn_ns], the host that sent from src (sf, 16
 * bytes): received by src itself or by a loopback address.
 */
int	legs_dns_seen(const struct legs_dns *, uint64_t name, uint8_t af,
	    const uint8_t *addr, uint8_t sf, const uint8_t *src,
	    uint64_t syn_ns, uint64_t window_ns);

#endif
