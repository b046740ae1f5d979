/*
 * test_cidr: the [users] prefix table. Longest prefix wins in both
 * families, prefix text is checked strictly (a typo is an error, not a
 * different network), the table is bounded, and on random tables the
 * trie agrees with a brute-force scan of every prefix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cidr.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Looks up address text (IPv4 or IPv6) as its own family. */
static const char *
look(const struct cidr_table *t, const char *text)
{
	uint8_t a[16];

	memset(a, 0, sizeof(a));
	if (strchr(text, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, text, a), 1);
		return cidr_table_lookup(t, 6, a);
	}
	assert_int_equal(inet_pton(AF_INET, text, a), 1);
	return cidr_table_lookup(t, 4, a);
}

static void
expect(const struct cidr_table *t, const char *addr, const char *label)
{
	const char *got = look(t, addr);

	if (label == NULL && got != NULL)
		fail_msg("%s: got '%s', expected no match", addr, got);
	if (label != NULL && (got == NULL || strcmp(got, label) != 0))
		fail_msg("%s: got '%s', expected '%s'", addr,
		    got == NULL ? "(none)" : got, label);
}

static void
test_cidr_longest_prefix_v4(void **state)
{
	static const char *const pfx[][2] = {
		{ "10.0.0.0/8", "eight" },
		{ "10.1.0.0/16", "sixteen" },
		{ "10.1.2.0/24", "twentyfour" },
		{ "10.1.2.3", "host" },
	};
	struct cidr_table *t;
	unsigned perm, order[4], i, j, k, tmp;

	(void)state;
	/* Every insertion order builds a trie that answers the same. */
	for (perm = 0; perm < 24; perm++) {
		for (i = 0; i < 4; i++)
			order[i] = i;
		for (i = 0, k = perm; i < 4; k /= 4 - i, i++) {
			j = i + k % (4 - i);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		t = cidr_table_create();
		for (i = 0; i < 4; i++)
			assert_int_equal(cidr_table_add(t, pfx[order[i]][0],
			    pfx[order[i]][1]), 0);
		assert_int_equal(cidr_table_count(t), 4);
		expect(t, "10.1.2.3", "host");
		expect(t, "10.1.2.4", "twentyfour");
		expect(t, "10.1.2.255", "twentyfour");
		expect(t, "10.1.2.2", "twentyfour");
		expect(t, "10.1.3.0", "sixteen");
		expect(t, "10.1.255.255", "sixteen");
		expect(t, "10.0.0.0", "eight");
		expect(t, "10.255.255.255", "eight");
		expect(t, "10.2.2.3", "eight");
		expect(t, "11.1.2.3", NULL);
		expect(t, "9.255.255.255", NULL);
		expect(t, "0.0.0.0", NULL);
		expect(t, "2001:db8::1", NULL);
		cidr_table_destroy(t);
	}
}

static void
test_cidr_longest_prefix_v6(void **state)
{
	struct cidr_table *t = cidr_table_create();

	(void)state;
	assert_int_equal(cidr_table_add(t, "2001:db8:0:1::5", "host"), 0);
	assert_int_equal(cidr_table_add(t, "2001:db8::/32", "site"), 0);
	assert_int_equal(cidr_table_add(t, "2001:db8:0:1::/64", "lan"), 0);
	assert_int_equal(cidr_table_add(t, "2001:db8:8000::/33", "half"), 0);
	assert_int_equal(cidr_table_add(t, "::1", "loopback"), 0);
	assert_int_equal(cidr_table_count(t), 5);
	expect(t, "2001:db8:0:1::5", "host");
	expect(t, "2001:db8:0:1::4", "lan");
	expect(t, "2001:db8:0:1:ffff:ffff:ffff:ffff", "lan");
	expect(t, "2001:db8:0:2::5", "site");
	expect(t, "2001:db8:7fff::", "site");
	expect(t, "2001:db8:8000::1", "half");
	expect(t, "2001:db8:ffff:ffff::", "half");
	expect(t, "2001:db9::", NULL);
	expect(t, "::1", "loopback");
	expect(t, "::2", NULL);
	expect(t, "::", NULL);
	cidr_table_destroy(t);
}

static void
test_cidr_default_routes(void **state)
{
	struct cidr_table *t = cidr_table_create();

	(void)state;
	assert_int_equal(cidr_table_add(t, "0.0.0.0/0", "any4"), 0);
	expect(t, "1.2.3.4", "any4");
	expect(t, "255.255.255.255", "any4");
	expect(t, "::1", NULL);		/* the IPv4 default is not IPv6's */
	assert_int_equal(cidr_table_add(t, "::/0", "any6"), 0);
	assert_int_equal(cidr_table_add(t, "192.168.0.0/16", "home"), 0);
	assert_int_equal(cidr_table_add(t, "fd00::/8", "ula"), 0);
	expect(t, "0.0.0.0", "any4");
	expect(t, "192.168.7.7", "home");
	expect(t, "192.169.0.0", "any4");
	expect(t, "::", "any6");
	expect(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "any6");
	expect(t, "fd12::1", "ula");
	expect(t, "fe00::1", "any6");
	/* A duplicate default route is a duplicate. */
	assert_int_equal(cidr_table_add(t, "0.0.0.0/0", "again"), -EEXIST);
	assert_int_equal(cidr_table_add(t, "0::0/0", "again"), -EEXIST);
	cidr_table_destroy(t);
}

/* ::ffff:10.1.2.3 asked as IPv6 is not 10.1.2.3. */
static void
test_cidr_v4_mapped_not_matched(void **state)
{
	struct cidr_table *t = cidr_table_create();
	uint8_t a[16];

	(void)state;
	assert_int_equal(cidr_table_add(t, "10.0.0.0/8", "ten"), 0);
	assert_int_equal(cidr_table_add(t, "0.0.0.0/0", "any4"), 0);
	expect(t, "::ffff:10.1.2.3", NULL);
	expect(t, "::10.1.2.3", NULL);
	expect(t, "10.1.2.3", "ten");
	/* The same bytes as af 4 match (only the first 4 are read). */
	assert_int_equal(inet_pton(AF_INET, "10.1.2.3", a), 1);
	memset(a + 4, 0xee, 12);
	assert_string_equal(cidr_table_lookup(t, 4, a), "ten");
	/* An IPv6 prefix written with a dotted tail is an IPv6 prefix. */
	assert_int_equal(cidr_table_add(t, "::ffff:10.0.0.0/104", "mapped"),
	    0);
	expect(t, "::ffff:10.1.2.3", "mapped");
	expect(t, "10.1.2.3", "ten");
	/* Neither family. */
	assert_null(cidr_table_lookup(t, 0, a));
	assert_null(cidr_table_lookup(t, 5, a));
	cidr_table_destroy(t);
}

static void
test_cidr_parse_good(void **state)
{
	static const char *const ok[][2] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "192.168.1.7", "192.168.1.7/32" },
		{ "192.168.1.7/32", "192.168.1.7/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "255.255.255.255", "255.255.255.255/32" },
		{ "128.0.0.0/1", "128.0.0.0/1" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:0DB8:0000::/32", "2001:db8::/32" },
		{ "::1", "::1/128" },
		{ "::/0", "::/0" },
		{ "fe80::/10", "fe80::/10" },
		{ "::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120" },
		{ "2001:db8::8000/113", "2001:db8::8000/113" },
	};
	struct cidr_prefix p;
	char buf[CIDR_STRLEN], why[128];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (cidr_parse(ok[i][0], &p, why, sizeof(why)) != 0)
			fail_msg("%s: %s", ok[i][0], why);
		cidr_format(&p, buf, sizeof(buf));
		assert_string_equal(buf, ok[i][1]);
		assert_int_equal(cidr_parse(ok[i][0], NULL, NULL, 0), 0);
	}
	assert_int_equal(cidr_parse("10.1.0.0/16", &p, NULL, 0), 0);
	assert_int_equal(p.af, 4);
	assert_int_equal(p.len, 16);
	assert_int_equal(p.addr[0], 10);
	assert_int_equal(p.addr[1], 1);
	assert_int_equal(cidr_parse("2001:db8::/32", &p, NULL, 0), 0);
	assert_int_equal(p.af, 6);
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr[0], 0x20);
	assert_int_equal(p.addr[3], 0xb8);
}

static void
test_cidr_parse_bad(void **state)
{
	static const char *const bad[][2] = {
		{ "", "no address" },
		{ "/8", "no address" },
		{ "10.0.0.0/", "prefix length must be 0..32" },
		{ "10.0.0.0/33", "0..32" },
		{ "10.0.0.0/-1", "0..32" },
		{ "10.0.0.0/+8", "0..32" },
		{ "10.0.0.0/08", "0..32" },
		{ "10.0.0.0/00", "0..32" },
		{ "10.0.0.0/8x", "0..32" },
		{ "10.0.0.0/8 ", "0..32" },
		{ "10.0.0.0/8/8", "0..32" },
		{ "10.0.0.0/1000", "0..32" },
		{ "10.0.0.0/4294967304", "0..32" },
		{ "10.0.0.0/ 8", "0..32" },
		{ "10.0.0.1/8", "host bits set past /8 (10.0.0.0/8?)" },
		{ "10.1.2.3/24", "host bits set past /24 (10.1.2.0/24?)" },
		{ "1.0.0.0/0", "host bits set past /0 (0.0.0.0/0?)" },
		{ "10.0.0", "not an IPv4 or IPv6 address" },
		{ "10.0.0.256", "not an IPv4" },
		{ "1.2.3.4.5", "not an IPv4" },
		{ "010.0.0.0/8", "not an IPv4" },
		{ "0x0a.0.0.0/8", "not an IPv4" },
		{ "10.0.0.0 /8", "not an IPv4" },
		{ " 10.0.0.0/8", "not an IPv4" },
		{ "10.0.0.0\t", "not an IPv4" },
		{ "office", "not an IPv4" },
		{ "2001:db8::/129", "prefix length must be 0..128" },
		{ "2001:db8::/", "0..128" },
		{ "2001:db8::1/32", "host bits set past /32 (2001:db8::/32?)" },
		{ "::1/0", "host bits set past /0 (::/0?)" },
		{ "2001:db8:::/32", "not an IPv4 or IPv6 address" },
		{ "2001:db8::g/32", "not an IPv4" },
		{ "1:2:3:4:5:6:7:8:9", "not an IPv4" },
		{ "fe80::1%eth0", "not an IPv4" },
		{ "[2001:db8::]/32", "not an IPv4" },
		{ "0000:0000:0000:0000:0000:0000:0000:0000:0000/0",
		    "not an IPv4" },
	};
	struct cidr_table *t;
	char why[128], big[300];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		why[0] = '\0';
		if (cidr_parse(bad[i][0], NULL, why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i][0]);
		if (strstr(why, bad[i][1]) == NULL)
			fail_msg("'%s': reason '%s', expected '%s'", bad[i][0],
			    why, bad[i][1]);
		/* The table refuses it the same way, and stays empty. */
		t = cidr_table_create();
		assert_int_equal(cidr_table_add(t, bad[i][0], "x"), -EINVAL);
		assert_int_equal(cidr_table_count(t), 0);
		cidr_table_destroy(t);
	}
	/* A long string is refused without overrunning anything. */
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(cidr_parse(big, NULL, NULL, 0), -EINVAL);
	big[100] = '/';
	assert_int_equal(cidr_parse(big, NULL, why, sizeof(why)), -EINVAL);
	/* A short why buffer is truncated, not overrun. */
	assert_int_equal(cidr_parse("10.0.0.1/8", NULL, why, 5), -EINVAL);
	assert_string_equal(why, "host");
}

static void
test_cidr_label(void **state)
{
	static const char *const good[] = {
		"a", "office", "Office 1 (HQ)", "a=b;c#d", "~!@$%^&*()_+-",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const bad[][2] = {
		{ "", "empty" },
		{ "0123456789012345678901234567890123456789012345678901234567890"
		  "1234", "longer than 64" },
		{ "a\tb", "printable" },
		{ "a\nb", "printable" },
		{ "a\"b", "quotes" },
		{ "a'b", "quotes" },
		{ "a\\b", "backslash" },
		{ "caf\xc3\xa9", "ASCII" },
		{ "del\x7f", "printable" },
	};
	struct cidr_table *t = cidr_table_create();
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		if (cidr_label_check(good[i], why, sizeof(why)) != 0)
			fail_msg("'%s': %s", good[i], why);
		assert_int_equal(cidr_label_check(good[i], NULL, 0), 0);
	}
	for (i = 0; i < NELEM(bad); i++) {
		why[0] = '\0';
		if (cidr_label_check(bad[i][0], why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i][0]);
		if (strstr(why, bad[i][1]) == NULL)
			fail_msg("'%s': reason '%s'", bad[i][0], why);
		assert_int_equal(cidr_table_add(t, "10.0.0.0/8", bad[i][0]),
		    -EINVAL);
	}
	assert_int_equal(cidr_table_count(t), 0);
	/* The label is copied. */
	{
		char label[16] = "first";

		assert_int_equal(cidr_table_add(t, "10.0.0.0/8", label), 0);
		label[0] = 'X';
		expect(t, "10.9.9.9", "first");
	}
	cidr_table_destroy(t);
}

static void
test_cidr_duplicates(void **state)
{
	struct cidr_table *t = cidr_table_create();

	(void)state;
	assert_int_equal(cidr_table_add(t, "10.0.0.0/8", "a"), 0);
	assert_int_equal(cidr_table_add(t, "10.0.0.0/8", "b"), -EEXIST);
	assert_int_equal(cidr_table_add(t, "10.0.0.0/16", "c"), 0);
	assert_int_equal(cidr_table_add(t, "2001:db8::/32", "d"), 0);
	assert_int_equal(cidr_table_add(t, "2001:0db8:0::/32", "e"), -EEXIST);
	assert_int_equal(cidr_table_add(t, "192.0.2.1", "f"), 0);
	assert_int_equal(cidr_table_add(t, "192.0.2.1/32", "g"), -EEXIST);
	assert_int_equal(cidr_table_count(t), 4);
	expect(t, "10.0.1.1", "c");
	expect(t, "10.1.1.1", "a");
	expect(t, "2001:db8::", "d");
	expect(t, "192.0.2.1", "f");

	/*
	 * Two /16s under 172.16.0.0/12 make a branching node at 172.16/12;
	 * adding that prefix itself labels it, once.
	 */
	assert_int_equal(cidr_table_add(t, "172.16.0.0/16", "p"), 0);
	assert_int_equal(cidr_table_add(t, "172.31.0.0/16", "q"), 0);
	expect(t, "172.20.0.1", NULL);
	assert_int_equal(cidr_table_add(t, "172.16.0.0/12", "r"), 0);
	assert_int_equal(cidr_table_add(t, "172.16.0.0/12", "s"), -EEXIST);
	expect(t, "172.20.0.1", "r");
	expect(t, "172.16.0.1", "p");
	expect(t, "172.31.255.1", "q");
	expect(t, "172.32.0.0", NULL);
	assert_int_equal(cidr_table_count(t), 7);
	cidr_table_destroy(t);
	cidr_table_destroy(NULL);
}

static void
test_cidr_cap(void **state)
{
	struct cidr_table *t = cidr_table_create();
	char pfx[32];
	unsigned i;

	(void)state;
	for (i = 0; i < CIDR_TABLE_MAX; i++) {
		snprintf(pfx, sizeof(pfx), "10.%u.%u.0/24", i >> 8, i & 255);
		assert_int_equal(cidr_table_add(t, pfx, "x"), 0);
	}
	assert_int_equal(cidr_table_count(t), CIDR_TABLE_MAX);
	assert_int_equal(cidr_table_add(t, "11.0.0.0/8", "y"), -ENOSPC);
	assert_int_equal(cidr_table_add(t, "::/0", "y"), -ENOSPC);
	/* Bad text is still -EINVAL, and a full table still answers. */
	assert_int_equal(cidr_table_add(t, "11.0.0.1/8", "y"), -EINVAL);
	assert_int_equal(cidr_table_count(t), CIDR_TABLE_MAX);
	expect(t, "10.255.255.1", "x");
	expect(t, "11.0.0.1", NULL);
	cidr_table_destroy(t);
}

/* The random comparison: a reference prefix and a small generator. */
struct ref {
	uint8_t		 af, len;
	uint8_t		 addr[16];
	char		 label[16];
};

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: fixed seed, so a failure reproduces. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Addresses crowd into a few /16s so that prefixes nest and overlap. */
static void
rnd_addr(uint64_t *s, uint8_t af, uint8_t *a)
{
	static const uint8_t hot[][2] = {
		{ 10, 0 }, { 10, 1 }, { 192, 168 }, { 0x20, 0x01 },
	};
	unsigned i, n = af == 4 ? 4 : 16;
	uint64_t r = rnd(s);

	for (i = 0; i < n; i++)
		a[i] = (uint8_t)(rnd(s) >> 32);
	if (r % 4 != 0) {
		a[0] = hot[(r >> 8) % NELEM(hot)][0];
		a[1] = hot[(r >> 8) % NELEM(hot)][1];
		if (r % 4 == 1)
			a[2] = (uint8_t)((r >> 16) % 4);
	}
}

/* A linear scan's test: whole bytes, then the top bits of the next. */
static int
ref_match(const struct ref *r, const uint8_t *a)
{
	unsigned k;

	for (k = 0; k * 8 + 8 <= r->len; k++)
		if (a[k] != r->addr[k])
			return 0;
	return r->len % 8 == 0 ||
	    ((a[k] ^ r->addr[k]) & (0xff00 >> (r->len % 8)) & 0xff) == 0;
}

static void
test_cidr_random_vs_brute_force(void **state)
{
	enum { NPFX = 10000, NLOOK = 100000 };
	struct ref *refs = calloc(NPFX, sizeof(*refs));
	struct cidr_table *t = cidr_table_create();
	uint64_t seed = 0x5eed0f5e55acc7ULL;
	struct cidr_prefix p;
	char text[CIDR_STRLEN];
	const char *got, *want;
	unsigned i, j, n = 0, nv4 = 0, hits = 0, deep = 0, dups = 0, best;
	uint8_t a[16];
	int rc;

	(void)state;
	assert_non_null(refs);
	/* 10,000 distinct prefixes; duplicates drawn on the way count. */
	for (i = 0; n < NPFX; i++) {
		struct ref *r = &refs[n];
		uint64_t x = rnd(&seed);
		unsigned max;

		r->af = i % 2 == 0 ? 4 : 6;
		max = r->af == 4 ? 32 : 128;
		/* Mostly long prefixes, some short (no /0), a few hosts. */
		if (x % 50 == 0)
			r->len = (uint8_t)max;
		else if (x % 10 == 0)
			r->len = (uint8_t)(6 + (x >> 8) % 6);
		else
			r->len = (uint8_t)(8 + (x >> 8) % (max - 7));
		memset(r->addr, 0, sizeof(r->addr));
		rnd_addr(&seed, r->af, r->addr);
		for (j = r->len; j < 128; j++)
			r->addr[j / 8] &= (uint8_t)~(0x80 >> (j % 8));
		memset(&p, 0, sizeof(p));
		p.af = r->af;
		p.len = r->len;
		memcpy(p.addr, r->addr, sizeof(p.addr));
		cidr_format(&p, text, sizeof(text));
		snprintf(r->label, sizeof(r->label), "p%u", i);
		rc = cidr_table_add(t, text, r->label);
		/* -EEXIST exactly when an earlier prefix is the same. */
		for (j = 0; j < n; j++)
			if (refs[j].af == r->af && refs[j].len == r->len &&
			    memcmp(refs[j].addr, r->addr, 16) == 0)
				break;
		if (j < n) {
			assert_int_equal(rc, -EEXIST);
			dups++;
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %d", text, rc);
		nv4 += r->af == 4;
		n++;
	}
	assert_int_equal(cidr_table_count(t), NPFX);
	assert_true(dups > 0);

	for (i = 0; i < NLOOK; i++) {
		uint8_t af = i % 2 == 0 ? 4 : 6;
		unsigned max = af == 4 ? 32 : 128;

		memset(a, 0, sizeof(a));
		rnd_addr(&seed, af, a);
		if (i % 4 < 2) {
			/* Inside a random prefix of the family, any host. */
			const struct ref *r;

			do
				r = &refs[rnd(&seed) % n];
			while (r->af != af);
			for (j = 0; j < r->len; j++) {
				a[j / 8] &= (uint8_t)~(0x80 >> (j % 8));
				a[j / 8] |= r->addr[j / 8] & (0x80 >> (j % 8));
			}
		}
		want = NULL;
		best = 0;
		for (j = 0; j < n; j++) {
			if (refs[j].af != af || !ref_match(&refs[j], a))
				continue;
			if (want == NULL || refs[j].len > best) {
				want = refs[j].label;
				best = refs[j].len;
			}
		}
		got = cidr_table_lookup(t, af, a);
		if ((want == NULL) != (got == NULL) ||
		    (want != NULL && strcmp(want, got) != 0)) {
			memset(&p, 0, sizeof(p));
			p.af = af;
			p.len = (uint8_t)max;
			memcpy(p.addr, a, 16);
			cidr_format(&p, text, sizeof(text));
			fail_msg("%s: trie '%s', brute force '%s'", text,
			    got ? got : "(none)", want ? want : "(none)");
		}
		hits += want != NULL;
		deep += want != NULL && best >= 16;
	}
	print_message("%u prefixes (%u IPv4, %u duplicates skipped), %u of "
	    "%u lookups matched, %u at /16 or longer\n", n, nv4, dups, hits,
	    (unsigned)NLOOK, deep);
	/* The comparison meant something: most lookups hit, many deep. */
	assert_true(hits > NLOOK / 2 && hits < NLOOK);
	assert_true(deep > NLOOK / 4);
	cidr_table_destroy(t);
	free(refs);
}

/* Not a benchmark to fail on: prints the lookup rate for the record. */
static void
test_cidr_lookup_rate(void **state)
{
	enum { NPFX = 10000, NLOOK = 1000000 };
	struct cidr_table *t = cidr_table_create();
	struct cidr_prefix p;
	struct timespec t0, t1;
	uint64_t seed = 42;
	char text[CIDR_STRLEN];
	unsigned i, j, hits = 0;
	uint8_t a[16];
	double secs;
	int rc;

	(void)state;
	for (i = 0; i < NPFX; i++) {
		memset(&p, 0, sizeof(p));
		p.af = i % 2 == 0 ? 4 : 6;
		p.len = (uint8_t)(p.af == 4 ? 16 + i % 17 : 32 + i % 97);
		rnd_addr(&seed, p.af, p.addr);
		for (j = p.len; j < 128; j++)
			p.addr[j / 8] &= (uint8_t)~(0x80 >> (j % 8));
		cidr_format(&p, text, sizeof(text));
		rc = cidr_table_add(t, text, "x");
		assert_true(rc == 0 || rc == -EEXIST);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NLOOK; i++) {
		rnd_addr(&seed, i % 2 == 0 ? 4 : 6, a);
		hits += cidr_table_lookup(t, i % 2 == 0 ? 4 : 6, a) != NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%u lookups (with address generation) in %.3f s: "
	    "%.0f per second, %u matched\n", (unsigned)NLOOK, secs,
	    (double)NLOOK / secs, hits);
	cidr_table_destroy(t);
}

/* Lookups only read the table: threads may share it. */
struct lookers {
	const struct cidr_table	*t;
	int			 bad;
};

static void *
looker(void *arg)
{
	struct lookers *l = arg;
	uint8_t a[16] = { 10, 1, 2, 0 };
	unsigned i;

	for (i = 0; i < 200000; i++) {
		a[3] = (uint8_t)i;
		if (strcmp(cidr_table_lookup(l->t, 4, a),
		    a[3] == 3 ? "host" : "net") != 0)
			l->bad = 1;
	}
	return NULL;
}

static void
test_cidr_concurrent_lookups(void **state)
{
	struct cidr_table *t = cidr_table_create();
	struct lookers l[4];
	pthread_t th[4];
	unsigned i;

	(void)state;
	assert_int_equal(cidr_table_add(t, "10.0.0.0/8", "net"), 0);
	assert_int_equal(cidr_table_add(t, "10.1.2.3", "host"), 0);
	for (i = 0; i < 4; i++) {
		l[i].t = t;
		l[i].bad = 0;
		assert_int_equal(pthread_create(&th[i], NULL, looker, &l[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(l[i].bad, 0);
	}
	cidr_table_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_longest_prefix_v4),
		cmocka_unit_test(test_cidr_longest_prefix_v6),
		cmocka_unit_test(test_cidr_default_routes),
		cmocka_unit_test(test_cidr_v4_mapped_not_matched),
		cmocka_unit_test(test_cidr_parse_good),
		cmocka_unit_test(test_cidr_parse_bad),
		cmocka_unit_test(test_cidr_label),
		cmocka_unit_test(test_cidr_duplicates),
		cmocka_unit_test(test_cidr_cap),
		cmocka_unit_test(test_cidr_random_vs_brute_force),
		cmocka_unit_test(test_cidr_lookup_rate),
		cmocka_unit_test(test_cidr_concurrent_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
