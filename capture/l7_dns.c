/*
 * l7_dns: the question name of a DNS response and the addresses its CNAME
 * chain resolves to (RFC 1035 sections 3.4.1 and 4.1, RFC 3596 section
 * 2.2, RFC 1034 section 3.6.2). Every read goes through the cursor
 * macros; a compression pointer must point before the name (or the
 * pointer's target) it is read from, so that a chain of pointers always
 * moves back and ends. Nothing is allocated: the records considered sit
 * in bounded arrays on the stack.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "l7_dns.h"

#define DNS_HDR		12
#define DNS_QR		0x8000
#define DNS_OPCODE(f)	(((f) >> 11) & 0xf)
#define DNS_RCODE(f)	((f) & 0xf)
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_AAAA	28
#define DNS_C_IN	1
#define DNS_PTR		0xc0	/* the top bits of a compression pointer */

/* What dns_name says. */
enum name_res {
	NAME_OK = 0,
	NAME_TRUNC,
	NAME_BAD,
};

/* An A or AAAA record, by the hash of its owner name. */
struct rr_addr {
	uint64_t	owner;
	struct l7_dns_addr a;
};

/* A CNAME record: owner and canonical name hashes. */
struct rr_cname {
	uint64_t	owner, target;
};

static enum name_res	dns_name(const uint8_t *, size_t, size_t *, char *,
			    uint64_t *);
static void		resolve(uint64_t, const struct rr_cname *, size_t,
			    const struct rr_addr *, size_t, struct l7_dns *);

/*
 * Message (RFC 1035 section 4.1.1), then the question and the answer
 * records:
 *
 *   +--------+--------+--------+--------+--------+--------+
 *   |       ID        |QR|Opcode|AA|TC|RD|RA|Z|RCODE      |
 *   +--------+--------+--------+--------+--------+--------+
 *   |     QDCOUNT     |     ANCOUNT     | NSCOUNT|ARCOUNT |
 *   +--------+--------+--------+--------+--------+--------+
 *   | QNAME ... | QTYPE | QCLASS |
 *   | NAME ...  | TYPE  | CLASS  | TTL (32) | RDLENGTH | RDATA ...
 *
 * A standard query response (QR 1, opcode 0) with QDCOUNT 1 (RFC 9619)
 * is read; anything else is not this.
 */
enum l7_res
l7_dns_parse(const uint8_t *m, size_t n, struct l7_dns *out)
{
	struct rr_addr rr[L7_DNS_RR_MAX];
	struct rr_cname cn[L7_DNS_CNAME_MAX];
	struct cursor cur, rd;
	size_t nrr = 0, ncn = 0, pos, end;
	uint16_t flags, an, i, type, cls, qclass, rdlen;
	uint64_t qh = 0, owner, target;
	enum name_res nr;

	memset(out, 0, sizeof(*out));
	cursor_init(&cur, m, n);
	PD_NEED(&cur, DNS_HDR);
	out->id = PD_AT_BE16(&cur, 0);
	flags = PD_AT_BE16(&cur, 2);
	an = PD_AT_BE16(&cur, 6);
	if ((flags & DNS_QR) == 0 || DNS_OPCODE(flags) != 0 ||
	    PD_AT_BE16(&cur, 4) != 1)
		return L7_NOMATCH;
	out->rcode = DNS_RCODE(flags);
	pos = DNS_HDR;
	if ((nr = dns_name(m, n, &pos, out->qname, &qh)) != NAME_OK)
		goto name;
	cur.p = m + pos;
	PD_BE16(&cur, out->qtype);
	PD_BE16(&cur, qclass);
	for (i = 0; i < an; i++) {
		pos = (size_t)(cur.p - m);
		if ((nr = dns_name(m, n, &pos, NULL, &owner)) != NAME_OK)
			goto name;
		cur.p = m + pos;
		PD_BE16(&cur, type);
		PD_BE16(&cur, cls);
		PD_SKIP(&cur, 4);		/* TTL */
		PD_BE16(&cur, rdlen);
		PD_NEED(&cur, rdlen);
		rd = cur;
		cursor_narrow(&rd, rdlen);
		cur.p += rdlen;
		if (cls != DNS_C_IN || qclass != DNS_C_IN)
			continue;
		if (type == DNS_T_A || type == DNS_T_AAAA) {
			if (rdlen != (type == DNS_T_A ? 4 : 16))
				return L7_INVALID;
			if (nrr == L7_DNS_RR_MAX) {
				out->more = 1;
				continue;
			}
			rr[nrr].owner = owner;
			memset(&rr[nrr].a, 0, sizeof(rr[nrr].a));
			rr[nrr].a.af = type == DNS_T_A ? 4 : 6;
			memcpy(rr[nrr].a.addr, rd.p, rdlen);
			nrr++;
		} else if (type == DNS_T_CNAME) {
			/* The name must fill the data exactly: read it in a
			 * message that ends where the data ends. */
			pos = (size_t)(rd.p - m);
			end = (size_t)(rd.end - m);
			if (dns_name(m, end, &pos, NULL, &target) != NAME_OK ||
			    pos != end)
				return L7_INVALID;
			if (ncn == L7_DNS_CNAME_MAX) {
				out->more = 1;
				continue;
			}
			cn[ncn].owner = owner;
			cn[ncn].target = target;
			ncn++;
		}
	}
	resolve(qh, cn, ncn, rr, nrr, out);
	return L7_DONE;
name:
	if (nr == NAME_BAD)
		return L7_INVALID;
trunc:
	resolve(qh, cn, ncn, rr, nrr, out);
	return L7_MORE;
}

/*
 * The name at offset *pos of m (n bytes), RFC 1035 sections 3.1 and
 * 4.1.4: labels, each a length octet (0..63) and its bytes, ending with
 * the zero length or a pointer (two octets, top bits 11) to an earlier
 * offset where the name goes on. Each pointer must point before the name
 * start or pointer target read before it: offsets fall, so there is no
 * loop. *pos ends after the name's own bytes (the first pointer included).
 * Writes the name (out, L7_STR_MAX + 1 bytes, may be NULL) and the hash
 * of what it wrote (*hash: FNV-1a, 64 bits).
 */
static enum name_res
dns_name(const uint8_t *m, size_t n, size_t *pos, char *out, uint64_t *hash)
{
	struct cursor cur;
	size_t limit = *pos, after = 0, wire = 1, o = 0, k;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t len, lo, ch;
	int jumped = 0;
	char name[L7_STR_MAX + 1];

	if (*pos > n)
		return NAME_TRUNC;
	cursor_init(&cur, m, n);
	cur.p = m + *pos;
	for (;;) {
		PD_U8(&cur, len);
		if ((len & DNS_PTR) == DNS_PTR) {
			PD_U8(&cur, lo);
			k = (size_t)(len & ~DNS_PTR) << 8 | lo;
			if (!jumped) {
				after = (size_t)(cur.p - m);
				jumped = 1;
			}
			if (k >= limit)
				return NAME_BAD;
			limit = k;
			cur.p = m + k;
			continue;
		}
		if (len & DNS_PTR)
			return NAME_BAD;	/* 01 and 10: no such labels */
		if (len == 0)
			break;
		/* Octets so far, this label, and the root's zero. */
		if (wire + 1 + (size_t)len > L7_DNS_NAME_MAX)
			return NAME_BAD;
		wire += 1 + (size_t)len;
		PD_NEED(&cur, len);
		if (o > 0) {
			name[o++] = '.';
			h = (h ^ '.') * 0x100000001b3ULL;
		}
		for (k = 0; k < len; k++) {
			ch = cur.p[k];
			if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			else if (ch < 0x21 || ch > 0x7e || ch == '.' ||
			    ch == '\\')
				ch = '?';
			name[o++] = (char)ch;
			h = (h ^ ch) * 0x100000001b3ULL;
		}
		cur.p += len;
	}
	name[o] = '\0';
	if (out != NULL)
		memcpy(out, name, o + 1);
	*pos = jumped ? after : (size_t)(cur.p - m);
	*hash = h;
	return NAME_OK;
trunc:
	return NAME_TRUNC;
}

/*
 * Follows the CNAME chain from the question name q (RFC 1034 section
 * 3.6.2: a CNAME's owner is an alias of its canonical name), each name
 * once, and keeps the addresses owned by a name of the chain.
 */
static void
resolve(uint64_t q, const struct rr_cname *cn, size_t ncn,
    const struct rr_addr *rr, size_t nrr, struct l7_dns *out)
{
	uint64_t chain[L7_DNS_CNAME_MAX + 1];
	size_t nchain = 1, i, j;
	int found;

	chain[0] = q;
	do {
		found = 0;
		for (i = 0; i < ncn && !found; i++) {
			if (cn[i].owner != chain[nchain - 1])
				continue;
			for (j = 0; j < nchain && chain[j] != cn[i].target; j++)
				;
			if (j == nchain) {
				chain[nchain++] = cn[i].target;
				found = 1;
			}
		}
	} while (found && nchain <= L7_DNS_CNAME_MAX);
	for (i = 0; i < nrr; i++) {
		for (j = 0; j < nchain && chain[j] != rr[i].owner; j++)
			;
		if (j == nchain)
			continue;
		if (out->naddr == L7_DNS_ADDR_MAX) {
			out->more = 1;
			continue;
		}
		out->addr[out->naddr++] = rr[i].a;
	}
}
