/*
 * cidr: a table of IPv4 and IPv6 prefixes ("10.0.0.0/8", "2001:db8::/32")
 * with a label each, answering "which label has the longest prefix that
 * contains this address" (the [users] table of DESIGN.md). It is not a
 * routing table: no deletion, no next hops. Prefixes follow RFC 4632
 * (IPv4) and RFC 4291 section 2.3 (IPv6) notation, checked strictly.
 */
#ifndef SA_COMMON_CIDR_H
#define SA_COMMON_CIDR_H

#include <stddef.h>
#include <stdint.h>

/* Prefixes a table holds at most (cidr_table_add: -ENOSPC past it). */
#define CIDR_TABLE_MAX		65536
/* Longest label in bytes, without the NUL. */
#define CIDR_LABEL_MAX		64
/* Room for any prefix cidr_format writes, with its NUL. */
#define CIDR_STRLEN		(46 + 4)

/*
 * A parsed prefix, a value type on the caller's stack. Callers may read
 * every field. addr is in network byte order; IPv4 uses addr[0..3]; every
 * bit past len is zero (cidr_parse refuses host bits).
 */
struct cidr_prefix {
	uint8_t		af;		/* 4 or 6 */
	uint8_t		len;		/* 0..32 or 0..128 */
	uint8_t		addr[16];
};

/*
 * Parses prefix text: "ADDR/LEN", or "ADDR" alone for a host (/32 or
 * /128). ADDR is dotted-quad IPv4 or IPv6 text; LEN is decimal without
 * sign or leading zeros. Refused, with -EINVAL: a bad address, a length
 * out of range, host bits set past the length ("10.0.0.1/8", a typo is
 * likelier than intent), white space or anything else after. s borrowed;
 * out may be NULL (just check). On error a one-line reason such as "host
 * bits set past /8 (10.0.0.0/8?)" goes to why, if why is not NULL.
 */
int	cidr_parse(const char *s, struct cidr_prefix *out, char *why,
	    size_t whylen) __attribute__((warn_unused_result));

/*
 * Checks a label: 1..CIDR_LABEL_MAX bytes of printable ASCII (space
 * included) except quotes and backslash. 0 or -EINVAL, reason in why as
 * for cidr_parse. label borrowed.
 */
int	cidr_label_check(const char *label, char *why, size_t whylen)
	    __attribute__((warn_unused_result));

/*
 * Writes p in canonical text ("10.0.0.0/8", "2001:db8::/32"; the length
 * is always written) to buf, truncated to buflen (CIDR_STRLEN is enough).
 * Two spellings of one prefix give the same text.
 */
void	cidr_format(const struct cidr_prefix *p, char *buf, size_t buflen);

struct cidr_table;

/* Returns owned (cidr_table_destroy) empty table; aborts on no memory. */
struct cidr_table	*cidr_table_create(void);
/* Frees t and its labels. NULL is fine. */
void			 cidr_table_destroy(struct cidr_table *t);

/*
 * Adds prefix (text, as cidr_parse) with label (as cidr_label_check);
 * both borrowed, label is copied. Returns 0; -EINVAL for bad text or
 * label; -EEXIST if the same prefix (in any spelling) is there already;
 * -ENOSPC once CIDR_TABLE_MAX prefixes are held. On error t is unchanged.
 */
int	cidr_table_add(struct cidr_table *t, const char *prefix,
	    const char *label) __attribute__((warn_unused_result));

/*
 * The label of the longest prefix of family af (4 or 6) containing addr
 * (4 or 16 bytes, network byte order, borrowed), or NULL if none does or
 * af is neither. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) asked as
 * af 6 is matched against IPv6 prefixes only. Returns borrowed until
 * cidr_table_destroy. Lookups do not write to t: once it is built, any
 * number of threads may look up at once.
 */
const char	*cidr_table_lookup(const struct cidr_table *t, uint8_t af,
		    const uint8_t *addr);

/* Prefixes held, both families. */
size_t	cidr_table_count(const struct cidr_table *t);

#endif
