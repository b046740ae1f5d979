/*
 * cidr: longest-prefix match on a path-compressed binary trie, one per
 * address family. A node holds a prefix; it has a label if it was added,
 * none if it only branches. Lookup walks down from the root, remembering
 * the last labelled node whose prefix contains the address, so its cost
 * is the trie's depth (about log2 of the prefixes, at most 33 or 129).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "xmalloc.h"

#define CIDR_ADDRLEN	46	/* INET6_ADDRSTRLEN */

/*
 * Nodes live in one array and point at each other by index, so that the
 * array can grow and a lookup touches few cache lines. Index 0 is never a
 * node: it means "no child".
 */
struct cidr_node {
	uint8_t		 key[16];	/* bits past len are zero */
	uint8_t		 len;
	char		*label;	/* owned; NULL: branch only */
	uint32_t	 child[2];	/* by the bit after len */
};

struct cidr_table {
	struct cidr_node	*nodes;
	uint32_t		 nnodes, cap;
	uint32_t		 root[2];	/* IPv4, IPv6; 0 if empty */
	size_t			 count;
};

static void	 cidr_mask(uint8_t *, unsigned, unsigned);
static unsigned	 cidr_bit(const uint8_t *, unsigned);
static unsigned	 cidr_common(const uint8_t *, const uint8_t *, unsigned);
static int	 cidr_match(const uint8_t *, const uint8_t *, unsigned);
static uint32_t	 cidr_node_new(struct cidr_table *,
		    const struct cidr_prefix *, unsigned, char *);

int
cidr_parse(const char *s, struct cidr_prefix *out, char *why, size_t whylen)
{
	struct cidr_prefix p;
	char buf[CIDR_ADDRLEN], canon[CIDR_STRLEN];
	uint8_t given[16];
	const char *slash, *d;
	size_t alen;
	unsigned max, len, i;

	if (why == NULL)
		whylen = 0;
	memset(&p, 0, sizeof(p));
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0) {
		snprintf(why, whylen, "no address");
		return -EINVAL;
	}
	if (alen >= sizeof(buf))
		goto badaddr;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (memchr(buf, ':', alen) != NULL) {
		p.af = 6;
		max = 128;
		if (inet_pton(AF_INET6, buf, p.addr) != 1)
			goto badaddr;
	} else {
		p.af = 4;
		max = 32;
		if (inet_pton(AF_INET, buf, p.addr) != 1)
			goto badaddr;
	}

	len = max;
	if (slash != NULL) {
		/* 1 to 3 digits, no sign, no leading zero, at most max. */
		d = slash + 1;
		len = 0;
		for (i = 0; i < 4 && d[i] >= '0' && d[i] <= '9'; i++)
			len = len * 10 + (unsigned)(d[i] - '0');
		if (i == 0 || i > 3 || d[i] != '\0' || (d[0] == '0' && i > 1) ||
		    len > max) {
			snprintf(why, whylen, "prefix length must be "
			    "0..%u after the '/'", max);
			return -EINVAL;
		}
	}
	p.len = (uint8_t)len;

	/* Host bits: "10.0.0.1/8" is more likely a typo than a network. */
	memcpy(given, p.addr, sizeof(given));
	cidr_mask(p.addr, len, sizeof(p.addr));
	if (memcmp(given, p.addr, sizeof(given)) != 0) {
		cidr_format(&p, canon, sizeof(canon));
		snprintf(why, whylen, "host bits set past /%u (%s?)", len,
		    canon);
		return -EINVAL;
	}
	if (out != NULL)
		*out = p;
	return 0;
badaddr:
	snprintf(why, whylen, "not an IPv4 or IPv6 address");
	return -EINVAL;
}

int
cidr_label_check(const char *label, char *why, size_t whylen)
{
	size_t i;

	if (why == NULL)
		whylen = 0;
	for (i = 0; label[i] != '\0'; i++) {
		if (i >= CIDR_LABEL_MAX) {
			snprintf(why, whylen, "label longer than %d bytes",
			    CIDR_LABEL_MAX);
			return -EINVAL;
		}
		if (label[i] < 0x20 || label[i] > 0x7e || label[i] == '"' ||
		    label[i] == '\'' || label[i] == '\\') {
			snprintf(why, whylen, "label may only hold printable "
			    "ASCII without quotes or backslash");
			return -EINVAL;
		}
	}
	if (i == 0) {
		snprintf(why, whylen, "label must not be empty");
		return -EINVAL;
	}
	return 0;
}

void
cidr_format(const struct cidr_prefix *p, char *buf, size_t buflen)
{
	char a[CIDR_ADDRLEN];

	if (inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a,
	    sizeof(a)) == NULL)
		a[0] = '\0';	/* cannot happen: a is large enough */
	snprintf(buf, buflen, "%s/%u", a, (unsigned)p->len);
}

struct cidr_table *
cidr_table_create(void)
{
	struct cidr_table *t = xcalloc(1, sizeof(*t));

	t->cap = 64;
	t->nodes = xcalloc(t->cap, sizeof(*t->nodes));
	t->nnodes = 1;		/* index 0 is "none" */
	return t;
}

void
cidr_table_destroy(struct cidr_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 1; i < t->nnodes; i++)
		free(t->nodes[i].label);
	free(t->nodes);
	free(t);
}

int
cidr_table_add(struct cidr_table *t, const char *prefix, const char *label)
{
	struct cidr_prefix p;
	struct cidr_node *n, *nn;
	uint32_t *slot, idx, old;
	unsigned common;
	int rc;

	if ((rc = cidr_parse(prefix, &p, NULL, 0)) != 0)
		return rc;
	if ((rc = cidr_label_check(label, NULL, 0)) != 0)
		return rc;
	if (t->count >= CIDR_TABLE_MAX)
		return -ENOSPC;
	/* An insertion adds at most two nodes; make room first, so that
	 * slot, a pointer into the array, stays valid below. */
	if (t->nnodes + 2 > t->cap) {
		t->nodes = xreallocarray(t->nodes, (size_t)t->cap * 2,
		    sizeof(*t->nodes));
		memset(t->nodes + t->cap, 0, t->cap * sizeof(*t->nodes));
		t->cap *= 2;
	}

	slot = &t->root[p.af == 6];
	for (;;) {
		if (*slot == 0) {
			*slot = cidr_node_new(t, &p, p.len, xstrdup(label));
			break;
		}
		n = &t->nodes[*slot];
		common = cidr_common(p.addr, n->key,
		    p.len < n->len ? p.len : n->len);
		if (common == n->len && n->len == p.len) {
			/* This very prefix: added before, or a branch. */
			if (n->label != NULL)
				return -EEXIST;
			n->label = xstrdup(label);
			break;
		}
		if (common == n->len) {
			/* n contains the new prefix: go down. */
			slot = &n->child[cidr_bit(p.addr, n->len)];
			continue;
		}
		old = *slot;
		if (common == p.len) {
			/* The new prefix contains n: it goes above n. */
			idx = cidr_node_new(t, &p, p.len, xstrdup(label));
			nn = &t->nodes[idx];
			nn->child[cidr_bit(t->nodes[old].key, p.len)] = old;
			*slot = idx;
			break;
		}
		/* They part at bit common: a branching node above both. */
		idx = cidr_node_new(t, &p, common, NULL);
		t->nodes[idx].child[cidr_bit(p.addr, common)] =
		    cidr_node_new(t, &p, p.len, xstrdup(label));
		t->nodes[idx].child[cidr_bit(t->nodes[old].key, common)] = old;
		*slot = idx;
		break;
	}
	t->count++;
	return 0;
}

const char *
cidr_table_lookup(const struct cidr_table *t, uint8_t af, const uint8_t *addr)
{
	const struct cidr_node *n;
	const char *best = NULL;
	unsigned max;
	uint32_t i;

	if (af == 4)
		max = 32;
	else if (af == 6)
		max = 128;
	else
		return NULL;
	i = t->root[af == 6];
	while (i != 0) {
		n = &t->nodes[i];
		if (!cidr_match(addr, n->key, n->len))
			break;
		if (n->label != NULL)
			best = n->label;
		if (n->len == max)
			break;
		i = n->child[cidr_bit(addr, n->len)];
	}
	return best;
}

size_t
cidr_table_count(const struct cidr_table *t)
{
	return t->count;
}

/* Clears the bits of addr (size bytes) from bit len on. */
static void
cidr_mask(uint8_t *addr, unsigned len, unsigned size)
{
	unsigned k;

	for (k = 0; k < size; k++) {
		if (k * 8 >= len)
			addr[k] = 0;
		else if (k * 8 + 8 > len)
			addr[k] &= (uint8_t)(0xff << (8 - (len - k * 8)));
	}
}

/* Bit i of addr, counted from the most significant bit of addr[0]. */
static unsigned
cidr_bit(const uint8_t *addr, unsigned i)
{
	return (addr[i >> 3] >> (7 - (i & 7))) & 1;
}

/* How many leading bits a and b share, at most max. */
static unsigned
cidr_common(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned k, x;

	for (k = 0; k * 8 < max; k++) {
		if ((x = a[k] ^ b[k]) != 0) {
			k = k * 8 + (unsigned)__builtin_clz(x) - 24;
			return k < max ? k : max;
		}
	}
	return max;
}

/* Whether the first len bits of addr are those of key. */
static int
cidr_match(const uint8_t *addr, const uint8_t *key, unsigned len)
{
	unsigned full = len >> 3, rem = len & 7;

	if (memcmp(addr, key, full) != 0)
		return 0;
	return rem == 0 ||
	    ((addr[full] ^ key[full]) & (0xff << (8 - rem)) & 0xff) == 0;
}

/* A new node for the first len bits of p. Room was made by the caller. */
static uint32_t
cidr_node_new(struct cidr_table *t, const struct cidr_prefix *p, unsigned len,
    char *label)
{
	struct cidr_node *n = &t->nodes[t->nnodes];

	memset(n, 0, sizeof(*n));
	memcpy(n->key, p->addr, sizeof(n->key));
	cidr_mask(n->key, len, sizeof(n->key));
	n->len = (uint8_t)len;
	n->label = label;
	return t->nnodes++;
}
