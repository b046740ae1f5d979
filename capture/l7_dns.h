/*
 * l7_dns: what a DNS response says a name resolves to, for linking a
 * proxy's legs (legs.c). A strict reader of one response message (RFC
 * 1035 section 4.1: header, the one question, the answer records; names
 * with compression pointers, section 4.1.4), keeping the question name
 * and the A (RFC 1035 section 3.4.1) and AAAA (RFC 3596 section 2.2)
 * addresses its CNAME chain (RFC 1034 section 3.6.2) leads to within the
 * same message. It does not read the authority or additional sections,
 * and it reads messages over UDP only (DNS over TCP is not read).
 */
#ifndef SA_CAPTURE_L7_DNS_H
#define SA_CAPTURE_L7_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "l7.h"

#define L7_DNS_ADDR_MAX		16	/* addresses kept per response */
#define L7_DNS_CNAME_MAX	16	/* CNAME records considered */
#define L7_DNS_RR_MAX		64	/* A/AAAA records considered */
#define L7_DNS_NAME_MAX		255	/* a name's wire octets (RFC 1035 2.3.4) */

struct l7_dns_addr {
	uint8_t		af;		/* 4 or 6 */
	uint8_t		addr[16];	/* IPv4 in the first 4 bytes */
};

struct l7_dns {
	uint16_t	id;
	uint16_t	qtype;
	uint8_t		rcode;
	uint8_t		more;		/* addresses past the bounds, not kept */
	uint8_t		naddr;
	/* The question name, lower case, dots between labels, no trailing
	 * dot ("" for the root); label bytes outside 0x21..0x7e and dots or
	 * backslashes inside a label are written as '?'. */
	char		qname[L7_STR_MAX + 1];
	struct l7_dns_addr addr[L7_DNS_ADDR_MAX];
};

/*
 * Reads the DNS message m (n bytes captured, borrowed for the call) into
 * *out. L7_DONE: the header, question and answer section were read;
 * L7_MORE: the bytes end inside them (out holds the records complete
 * before the cut); L7_NOMATCH: not a response to a standard query with
 * one question; L7_INVALID: it broke the format (a bad label type, a
 * compression pointer that does not point back before the name it is in,
 * a name over 255 octets, an A or AAAA record of the wrong length, a CNAME
 * whose name does not fill its data). Only class IN records count.
 */
enum l7_res	l7_dns_parse(const uint8_t *m, size_t n, struct l7_dns *out);

#endif
