/*
 * test_tcp_stream: one direction fed hand-made segments of a known
 * message, in order, out of order, overlapping, cut by the snaplen, before
 * the base and across the 2^32 wrap. Each test checks the in-order bytes
 * against the message, the state, and frees the buffer so ASan sees no
 * leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_stream.h"

#define MSG_MAX		4096
#define BASE		1000u		/* ISN + 1 in most tests */

static uint8_t msg[MSG_MAX];		/* the true bytes of the direction */

/* Fills msg with bytes that differ between nearby offsets. */
static int
group_setup(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < MSG_MAX; i++)
		msg[i] = (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
	return 0;
}

/* Feeds msg[off, off + n), captured whole, at offset off. */
static uint32_t
seg(struct tcp_stream *s, uint32_t off, uint32_t n, int fin)
{
	assert_true(off <= MSG_MAX && n <= MSG_MAX - off);
	return tcp_stream_add(s, s->base + off, n > 0 ? msg + off : NULL,
	    n, n, fin);
}

/* Feeds msg[off, off + caplen) of a segment that was paylen long. */
static uint32_t
seg_cut(struct tcp_stream *s, uint32_t off, uint32_t caplen, uint32_t paylen)
{
	assert_true(off <= MSG_MAX && caplen <= MSG_MAX - off);
	return tcp_stream_add(s, s->base + off, caplen > 0 ? msg + off : NULL,
	    caplen, paylen, 0);
}

/* A pure ACK: no payload, no FIN. */
static uint32_t
ack(struct tcp_stream *s)
{
	return tcp_stream_add(s, s->base + s->len, NULL, 0, 0, 0);
}

/* The ranges are sorted, apart, past len and within the budget. */
static void
check_ranges(const struct tcp_stream *s)
{
	unsigned i;

	assert_true(s->nranges <= TCP_STREAM_MAX_RANGES);
	assert_true(s->len <= s->budget);
	for (i = 0; i < s->nranges; i++) {
		assert_true(s->ranges[i].lo < s->ranges[i].hi);
		assert_true(s->ranges[i].hi <= s->budget);
		if (i == 0)
			assert_true(s->ranges[i].lo > s->len);
		else
			assert_true(s->ranges[i].lo > s->ranges[i - 1].hi);
	}
}

/* The in-order bytes are msg's first len bytes. */
static void
check_bytes(const struct tcp_stream *s, uint32_t len)
{
	assert_int_equal(s->len, len);
	check_ranges(s);
	if (len > 0) {
		assert_non_null(s->buf);
		assert_memory_equal(s->buf, msg, len);
	}
}

static void
test_tcp_stream_init(void **state)
{
	struct tcp_stream s;

	(void)state;
	memset(&s, 0xa5, sizeof(s));
	tcp_stream_init(&s, BASE, 512);
	assert_null(s.buf);
	assert_int_equal(s.base, BASE);
	assert_int_equal(s.budget, 512);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.fin_off, UINT32_MAX);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(s.nranges, 0);
	assert_int_equal(s.patience, 0);
	assert_true(tcp_stream_open(&s));
	assert_false(tcp_stream_has_hole(&s));
	tcp_stream_free(&s);

	/* A budget above the maximum is held to it. */
	tcp_stream_init(&s, BASE, TCP_STREAM_BUDGET_MAX + 1);
	assert_int_equal(s.budget, TCP_STREAM_BUDGET_MAX);
	tcp_stream_free(&s);
}

/*
 * A pool hands a freed buffer to the next stream of its size, keeps at
 * most max_free, and is not used by a stream of another budget; written
 * covers the in-order bytes and the runs past a hole.
 */
static void
test_tcp_stream_pool(void **state)
{
	struct tcp_stream_pool pool;
	struct tcp_stream a, b, c;
	uint8_t *first;

	(void)state;
	tcp_stream_pool_init(&pool, 1000, 1);
	tcp_stream_init_pool(&a, BASE, 1000, &pool);
	tcp_stream_init_pool(&b, BASE, 1000, &pool);
	tcp_stream_init_pool(&c, BASE, 500, &pool);
	assert_ptr_equal(a.pool, &pool);
	assert_null(c.pool);
	assert_int_equal(tcp_stream_written(&a), 0);
	assert_int_equal(seg(&a, 0, 100, 0), 100);
	assert_int_equal(tcp_stream_written(&a), 100);
	assert_int_equal(seg(&a, 300, 50, 0), 0);
	assert_int_equal(tcp_stream_written(&a), 350);
	assert_int_equal(seg(&b, 0, 10, 0), 10);
	assert_int_equal(seg(&c, 0, 10, 0), 10);
	first = a.buf;
	tcp_stream_free(&a);
	assert_null(a.buf);
	assert_int_equal(pool.nfree, 1);
	tcp_stream_free(&b);		/* beyond max_free: freed */
	assert_int_equal(pool.nfree, 1);
	tcp_stream_free(&c);
	assert_int_equal(pool.nfree, 1);

	/* The next stream reads into the pooled buffer, as if new. */
	tcp_stream_init_pool(&a, BASE + 7, 1000, &pool);
	assert_int_equal(seg(&a, 0, 200, 0), 200);
	assert_ptr_equal(a.buf, first);
	assert_int_equal(pool.nfree, 0);
	check_bytes(&a, 200);
	tcp_stream_free(&a);
	tcp_stream_pool_clear(&pool);
	assert_int_equal(pool.nfree, 0);
	assert_null(pool.head);
}

static void
test_tcp_stream_in_order(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 100, 0), 100);
	check_bytes(&s, 100);
	assert_int_equal(seg(&s, 100, 1, 0), 1);
	assert_int_equal(seg(&s, 101, 199, 0), 199);
	check_bytes(&s, 300);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_false(tcp_stream_has_hole(&s));
	assert_int_equal(s.patience, 0);
	tcp_stream_free(&s);
	assert_null(s.buf);
}

/* Steps p[0..n) to the next permutation in lexical order; 0 at the end. */
static int
next_perm(unsigned *p, unsigned n)
{
	unsigned i, j, t;

	if (n < 2)
		return 0;
	i = n - 1;
	while (i > 0 && p[i - 1] >= p[i])
		i--;
	if (i == 0)
		return 0;
	j = n - 1;
	while (p[j] <= p[i - 1])
		j--;
	t = p[i - 1];
	p[i - 1] = p[j];
	p[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return 1;
}

static void
test_tcp_stream_permutations(void **state)
{
	/* Uneven sizes, the last one carrying the FIN. */
	static const uint32_t off[4] = { 0, 10, 60, 61 };
	static const uint32_t len[4] = { 10, 50, 1, 39 };
	struct tcp_stream s;
	unsigned p[4] = { 0, 1, 2, 3 };
	unsigned i, orders;
	uint32_t got;

	(void)state;
	orders = 0;
	do {
		tcp_stream_init(&s, BASE, 1000);
		got = 0;
		for (i = 0; i < 4; i++) {
			assert_true(tcp_stream_open(&s));
			got += seg(&s, off[p[i]], len[p[i]], p[i] == 3);
		}
		assert_int_equal(got, 100);
		check_bytes(&s, 100);
		assert_int_equal(s.nranges, 0);
		assert_int_equal(s.state, TCP_STREAM_FIN);
		tcp_stream_free(&s);
		orders++;
	} while (next_perm(p, 4));
	assert_int_equal(orders, 24);

	/* The same without a FIN: open, no hole, same bytes. */
	p[0] = 0, p[1] = 1, p[2] = 2, p[3] = 3;
	do {
		tcp_stream_init(&s, BASE, 1000);
		for (i = 0; i < 4; i++)
			(void)seg(&s, off[p[i]], len[p[i]], 0);
		check_bytes(&s, 100);
		assert_int_equal(s.state, TCP_STREAM_OPEN);
		assert_false(tcp_stream_has_hole(&s));
		tcp_stream_free(&s);
	} while (next_perm(p, 4));
}

static void
test_tcp_stream_every_split(void **state)
{
	struct tcp_stream s;
	uint32_t k, r1, r2;

	(void)state;
	for (k = 0; k <= 300; k++) {
		/* In order: [0, k) then [k, 300) with the FIN. */
		tcp_stream_init(&s, BASE, 1000);
		r1 = seg(&s, 0, k, 0);
		assert_int_equal(r1, k);
		assert_int_equal(s.state, TCP_STREAM_OPEN);
		r2 = seg(&s, k, 300 - k, 1);
		assert_int_equal(r2, 300 - k);
		check_bytes(&s, 300);
		assert_int_equal(s.state, TCP_STREAM_FIN);
		tcp_stream_free(&s);

		/* Reversed: the tail with the FIN waits for the head. */
		tcp_stream_init(&s, BASE, 1000);
		r2 = seg(&s, k, 300 - k, 1);
		if (k == 0) {
			assert_int_equal(r2, 300);
			assert_int_equal(s.state, TCP_STREAM_FIN);
		} else {
			assert_int_equal(r2, 0);
			assert_int_equal(s.state, TCP_STREAM_OPEN);
			assert_int_equal(s.fin_off, 300);
			assert_int_equal(s.nranges, k < 300 ? 1 : 0);
			r1 = seg(&s, 0, k, 0);
			assert_int_equal(r1, 300);
			assert_int_equal(s.state, TCP_STREAM_FIN);
		}
		check_bytes(&s, 300);
		assert_int_equal(s.nranges, 0);
		tcp_stream_free(&s);

		/* Reversed without a FIN, budget exactly 300: FULL. */
		tcp_stream_init(&s, BASE, 300);
		(void)seg(&s, k, 300 - k, 0);
		(void)seg(&s, 0, k, 0);
		check_bytes(&s, 300);
		assert_int_equal(s.state, TCP_STREAM_FULL);
		tcp_stream_free(&s);
	}
}

static void
test_tcp_stream_retransmission_first_wins(void **state)
{
	struct tcp_stream s;
	uint8_t other[300];
	unsigned i;

	(void)state;
	memset(other, 0xee, sizeof(other));

	/* An in-order retransmission with other bytes adds nothing. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 100, 0), 100);
	assert_int_equal(tcp_stream_add(&s, BASE, other, 100, 100, 0), 0);
	assert_int_equal(tcp_stream_add(&s, BASE + 10, other, 50, 50, 0), 0);
	check_bytes(&s, 100);
	/* One that overlaps the end keeps the head, adds only the tail. */
	assert_int_equal(tcp_stream_add(&s, BASE + 50, other, 100, 100, 0),
	    50);
	assert_int_equal(s.len, 150);
	assert_memory_equal(s.buf, msg, 100);
	for (i = 100; i < 150; i++)
		assert_int_equal(s.buf[i], 0xee);
	tcp_stream_free(&s);

	/* Held out-of-order bytes are not overwritten either. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 100, 100, 0), 0);
	assert_int_equal(seg(&s, 250, 10, 0), 0);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(tcp_stream_add(&s, BASE + 50, other, 250, 250, 0),
	    0);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].lo, 50);
	assert_int_equal(s.ranges[0].hi, 300);
	assert_int_equal(seg(&s, 0, 60, 0), 300);
	assert_int_equal(s.len, 300);
	assert_memory_equal(s.buf, msg, 50);
	for (i = 50; i < 100; i++)
		assert_int_equal(s.buf[i], 0xee);
	assert_memory_equal(s.buf + 100, msg + 100, 100);
	for (i = 200; i < 250; i++)
		assert_int_equal(s.buf[i], 0xee);
	assert_memory_equal(s.buf + 250, msg + 250, 10);
	for (i = 260; i < 300; i++)
		assert_int_equal(s.buf[i], 0xee);
	check_ranges(&s);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_overlaps_merge(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 20, 10, 0), 0);	/* [20, 30) */
	assert_int_equal(seg(&s, 40, 10, 0), 0);	/* [40, 50) */
	assert_int_equal(seg(&s, 60, 10, 0), 0);	/* [60, 70) */
	assert_int_equal(s.nranges, 3);
	assert_true(tcp_stream_has_hole(&s));
	/* Touching at both ends merges without a new range. */
	assert_int_equal(seg(&s, 30, 10, 0), 0);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(s.ranges[0].lo, 20);
	assert_int_equal(s.ranges[0].hi, 50);
	/* Wholly inside a range: nothing. */
	assert_int_equal(seg(&s, 22, 5, 0), 0);
	assert_int_equal(s.nranges, 2);
	/* Over the gap and past the last range. */
	assert_int_equal(seg(&s, 45, 40, 0), 0);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].lo, 20);
	assert_int_equal(s.ranges[0].hi, 85);
	/* A range before all others. */
	assert_int_equal(seg(&s, 5, 5, 0), 0);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(s.ranges[0].lo, 5);
	check_ranges(&s);
	/* The head overlaps both: everything comes in order. */
	assert_int_equal(seg(&s, 0, 25, 0), 85);
	check_bytes(&s, 85);
	assert_int_equal(s.nranges, 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_before_base(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	/* Wholly before 0, ending right at it, FIN set: all ignored. */
	assert_int_equal(tcp_stream_add(&s, BASE - 100, msg, 100, 100, 1), 0);
	assert_int_equal(tcp_stream_add(&s, BASE - 1, NULL, 0, 1, 1), 0);
	assert_int_equal(tcp_stream_add(&s, BASE - 0x80000000u, msg, 10, 10,
	    1), 0);
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.fin_off, UINT32_MAX);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	tcp_stream_free(&s);

	/* Old data once the stream has moved on: ignored too. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 50, 0), 50);
	assert_int_equal(tcp_stream_add(&s, BASE - 20, msg, 20, 20, 0), 0);
	check_bytes(&s, 50);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_straddles_base(void **state)
{
	struct tcp_stream s;
	uint8_t pkt[40];

	(void)state;
	/* Ten bytes before the base, thirty after: the first ten go. */
	memset(pkt, 0x11, 10);
	memcpy(pkt + 10, msg, 30);
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(tcp_stream_add(&s, BASE - 10, pkt, 40, 40, 0), 30);
	check_bytes(&s, 30);
	tcp_stream_free(&s);

	/* A straddling FIN lands at its true offset. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(tcp_stream_add(&s, BASE - 10, pkt, 40, 40, 1), 30);
	assert_int_equal(s.fin_off, 30);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	check_bytes(&s, 30);
	tcp_stream_free(&s);

	/* Straddling after data was read adds only what is new. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 20, 0), 20);
	assert_int_equal(tcp_stream_add(&s, BASE - 10, pkt, 40, 40, 0), 10);
	check_bytes(&s, 30);
	tcp_stream_free(&s);

	/* Straddling, but the snaplen kept only bytes before the base. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(tcp_stream_add(&s, BASE - 10, pkt, 8, 40, 0), 0);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_wraparound(void **state)
{
	struct tcp_stream s;
	uint32_t base;

	(void)state;
	base = 0xffffffffu - 99;	/* 2^32 - 100 */
	tcp_stream_init(&s, base, 1000);
	/* Out of order across the wrap: [150, 250) first, seq 50. */
	assert_int_equal(seg(&s, 150, 100, 0), 0);
	assert_int_equal(s.ranges[0].lo, 150);
	/* [50, 150) crosses 2^32 (seq 2^32 - 50 .. 50). */
	assert_int_equal(seg(&s, 50, 100, 0), 0);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].lo, 50);
	assert_int_equal(s.ranges[0].hi, 250);
	assert_int_equal(seg(&s, 0, 50, 0), 250);
	check_bytes(&s, 250);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	tcp_stream_free(&s);

	/* Before the base across the wrap: base 10, seq 2^32 - 20. */
	tcp_stream_init(&s, 10, 1000);
	assert_int_equal(tcp_stream_add(&s, 0xffffffffu - 19, msg, 30, 30,
	    0), 0);
	assert_null(s.buf);
	assert_int_equal(tcp_stream_add(&s, 0xffffffffu - 19, msg, 40, 40,
	    1), 10);
	assert_memory_equal(s.buf, msg + 30, 10);
	assert_int_equal(s.fin_off, 10);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	tcp_stream_free(&s);

	/* The FIN across the wrap. */
	tcp_stream_init(&s, base, 1000);
	assert_int_equal(seg(&s, 0, 200, 1), 200);
	assert_int_equal(s.fin_off, 200);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	check_bytes(&s, 200);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_lowest_fin_wins(void **state)
{
	struct tcp_stream s;

	(void)state;
	/* The lowest FIN claimed wins: bytes past it are not the stream. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 100, 100, 0), 0);
	assert_int_equal(seg(&s, 0, 50, 1), 50);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	assert_int_equal(s.fin_off, 50);
	tcp_stream_free(&s);

	/* Pure FINs in any order: the lowest one counts. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 200, 0, 1), 0);
	assert_int_equal(seg(&s, 80, 0, 1), 0);
	assert_int_equal(seg(&s, 300, 0, 1), 0);
	assert_int_equal(s.fin_off, 80);
	assert_int_equal(seg(&s, 0, 80, 0), 80);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	tcp_stream_free(&s);

	/* len may jump past the FIN when a held run merges: still FIN. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 50, 0, 1), 0);
	assert_int_equal(seg(&s, 40, 60, 0), 0);
	assert_int_equal(seg(&s, 0, 40, 0), 100);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_budget_clipping(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 100);
	/* Wholly past the budget: ignored, no buffer. */
	assert_int_equal(seg(&s, 100, 50, 0), 0);
	assert_int_equal(seg(&s, 500, 50, 0), 0);
	assert_null(s.buf);
	assert_int_equal(s.nranges, 0);
	/* Crossing it: clipped to [50, 100). */
	assert_int_equal(seg(&s, 50, 100, 0), 0);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].lo, 50);
	assert_int_equal(s.ranges[0].hi, 100);
	assert_int_equal(seg(&s, 0, 50, 0), 100);
	check_bytes(&s, 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	/* Nothing more is taken. */
	assert_int_equal(seg(&s, 100, 10, 1), 0);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);

	/* One segment larger than the budget. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg(&s, 0, 300, 0), 100);
	check_bytes(&s, 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);

	/* Budget 1. */
	tcp_stream_init(&s, BASE, 1);
	assert_int_equal(seg(&s, 0, 300, 0), 1);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);

	/*
	 * The largest budget: a huge cut segment ahead of the head is held,
	 * and the head then runs into its cut.
	 */
	tcp_stream_init(&s, BASE, TCP_STREAM_BUDGET_MAX);
	assert_int_equal(tcp_stream_add(&s, BASE + 10, msg + 10, 10,
	    0xfffffff0u, 0), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(seg(&s, 0, 10, 0), 20);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	check_bytes(&s, 20);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_fin_past_budget(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg(&s, 0, 150, 1), 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	check_bytes(&s, 100);
	tcp_stream_free(&s);

	/* A FIN right at the budget: the stream is complete. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg(&s, 0, 100, 1), 100);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	tcp_stream_free(&s);

	/* A pure FIN past the budget is kept, and FULL comes first. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(tcp_stream_add(&s, BASE + 200, NULL, 0, 0, 1), 0);
	assert_int_equal(s.fin_off, 200);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(seg(&s, 0, 200, 0), 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_snaplen_cut_gap(void **state)
{
	struct tcp_stream s;

	(void)state;
	/* In order: the captured part is read, then the direction stops. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	assert_int_equal(seg_cut(&s, 10, 60, 100), 60);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	check_bytes(&s, 70);
	assert_int_equal(seg(&s, 70, 40, 0), 0);	/* too late */
	tcp_stream_free(&s);

	/* Headers only (caplen 0) at len. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg_cut(&s, 0, 0, 100), 0);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	assert_null(s.buf);
	tcp_stream_free(&s);

	/* Out of order: GAP once the head reaches the cut. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg_cut(&s, 100, 50, 100), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(s.cut, 150);
	assert_int_equal(seg(&s, 0, 100, 0), 150);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	check_bytes(&s, 150);
	tcp_stream_free(&s);

	/* A whole copy held first covers the cut: no gap. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 100, 100, 0), 0);
	assert_int_equal(seg_cut(&s, 100, 50, 100), 0);
	assert_int_equal(seg(&s, 0, 100, 0), 200);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(s.cut, UINT32_MAX);
	check_bytes(&s, 200);
	tcp_stream_free(&s);

	/* A cut retransmission of bytes already read changes nothing. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 200, 0), 200);
	assert_int_equal(seg_cut(&s, 50, 50, 150), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(seg(&s, 200, 10, 0), 10);
	tcp_stream_free(&s);

	/* A cut behind len does not hide a pending one ahead. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg_cut(&s, 100, 50, 100), 0);
	assert_int_equal(seg(&s, 0, 50, 0), 50);
	assert_int_equal(seg_cut(&s, 10, 10, 40), 0);
	assert_int_equal(s.cut, 150);
	assert_int_equal(seg(&s, 50, 50, 0), 100);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	check_bytes(&s, 150);
	tcp_stream_free(&s);

	/* A cut at or past the budget does not matter: FULL. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg_cut(&s, 0, 150, 300), 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg_cut(&s, 0, 100, 300), 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_too_many_ranges(void **state)
{
	struct tcp_stream s;
	unsigned i;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	for (i = 0; i < TCP_STREAM_MAX_RANGES; i++)
		assert_int_equal(seg(&s, 10 + 20 * i, 10, 0), 0);
	assert_int_equal(s.nranges, TCP_STREAM_MAX_RANGES);
	check_ranges(&s);
	/* Touching or inside an existing range needs no new one. */
	assert_int_equal(seg(&s, 20, 5, 0), 0);
	assert_int_equal(seg(&s, 12, 3, 0), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	/* The head needs no range either: it goes in order. */
	assert_int_equal(seg(&s, 0, 5, 0), 5);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	/* A ninth run apart from the others ends the direction. */
	assert_int_equal(seg(&s, 500, 10, 0), 0);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	assert_int_equal(s.nranges, TCP_STREAM_MAX_RANGES);
	check_bytes(&s, 5);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_patience(void **state)
{
	struct tcp_stream s;
	unsigned i;

	(void)state;
	tcp_stream_init(&s, BASE, 4000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	/* The segment that opens the hole is the first one counted. */
	assert_int_equal(seg(&s, 20, 10, 0), 0);
	assert_int_equal(s.patience, 1);
	for (i = 2; i <= TCP_STREAM_PATIENCE; i++) {
		/* Segments past the hole, adjacent: one range. */
		assert_int_equal(seg(&s, 10 + 10 * i, 10, 0), 0);
		assert_int_equal(s.patience, i);
		assert_int_equal(s.state, TCP_STREAM_OPEN);
	}
	/* An advance resets it. */
	assert_int_equal(seg(&s, 10, 5, 0), 5);
	assert_int_equal(s.patience, 0);
	for (i = 1; i <= TCP_STREAM_PATIENCE; i++) {
		assert_int_equal(ack(&s), 0);
		assert_int_equal(s.state, TCP_STREAM_OPEN);
	}
	assert_int_equal(s.patience, TCP_STREAM_PATIENCE);
	assert_int_equal(ack(&s), 0);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	/* The hole never filled: what was read stays readable. */
	check_bytes(&s, 15);
	assert_int_equal(seg(&s, 15, 5, 0), 0);
	tcp_stream_free(&s);

	/* No hole: patience never runs out. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	for (i = 0; i < 10 * TCP_STREAM_PATIENCE; i++)
		assert_int_equal(seg(&s, 0, 10, 0), 0);
	assert_int_equal(s.patience, 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_fin_in_order(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 100, 0), 100);
	assert_int_equal(seg(&s, 100, 50, 1), 50);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	assert_false(tcp_stream_open(&s));
	check_bytes(&s, 150);
	/* Later segments are ignored. */
	assert_int_equal(seg(&s, 150, 10, 0), 0);
	check_bytes(&s, 150);
	tcp_stream_free(&s);

	/* A pure FIN after the data, and one with no data at all. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 100, 0), 100);
	assert_int_equal(seg(&s, 100, 0, 1), 0);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	tcp_stream_free(&s);
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 0, 1), 0);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	assert_null(s.buf);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_fin_out_of_order(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 40, 0), 40);
	/* The pure FIN comes before the last data. */
	assert_int_equal(seg(&s, 100, 0, 1), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(s.fin_off, 100);
	assert_int_equal(seg(&s, 70, 30, 0), 0);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(seg(&s, 40, 20, 0), 20);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	assert_int_equal(seg(&s, 60, 10, 0), 40);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	check_bytes(&s, 100);
	tcp_stream_free(&s);

	/* A FIN far off is not reached by a close. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 50, 50, 1), 0);
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_close(void **state)
{
	struct tcp_stream s;

	(void)state;
	/* With a hole pending: a gap; the buffer stays for the reader. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	assert_int_equal(seg(&s, 20, 10, 0), 0);
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	check_bytes(&s, 10);
	assert_int_equal(seg(&s, 10, 10, 0), 0);
	tcp_stream_free(&s);
	assert_null(s.buf);
	assert_int_equal(s.state, TCP_STREAM_GAP);

	/* Without one: the stream ended. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	check_bytes(&s, 10);
	tcp_stream_free(&s);

	/* A closed ended stream keeps its state. */
	tcp_stream_init(&s, BASE, 10);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);

	/* A FIN seen but not reached: bytes are missing. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	assert_int_equal(seg(&s, 50, 0, 1), 0);
	assert_false(tcp_stream_has_hole(&s));
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	tcp_stream_free(&s);

	/* Likewise a snaplen cut ahead with nothing held past len. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(seg(&s, 0, 10, 0), 10);
	assert_int_equal(seg_cut(&s, 50, 0, 20), 0);
	assert_false(tcp_stream_has_hole(&s));
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_GAP);
	tcp_stream_free(&s);

	/* Nothing read: FIN, no buffer. */
	tcp_stream_init(&s, BASE, 10);
	tcp_stream_close(&s);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	assert_null(s.buf);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_zero_length(void **state)
{
	struct tcp_stream s;
	unsigned i;

	(void)state;
	tcp_stream_init(&s, BASE, 1000);
	for (i = 0; i < 100; i++)
		assert_int_equal(ack(&s), 0);
	assert_int_equal(tcp_stream_add(&s, BASE + 500, NULL, 0, 0, 0), 0);
	assert_int_equal(tcp_stream_add(&s, BASE - 500, NULL, 0, 0, 0), 0);
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.nranges, 0);
	assert_int_equal(s.patience, 0);
	assert_int_equal(s.fin_off, UINT32_MAX);
	assert_int_equal(s.state, TCP_STREAM_OPEN);

	/* With a hole open they count towards patience, nothing else. */
	assert_int_equal(seg(&s, 10, 10, 0), 0);
	assert_int_equal(s.patience, 1);
	assert_int_equal(ack(&s), 0);
	assert_int_equal(s.patience, 2);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.len, 0);
	assert_int_equal(seg(&s, 0, 10, 0), 20);
	assert_int_equal(s.patience, 0);
	check_bytes(&s, 20);
	tcp_stream_free(&s);
}

static void
test_tcp_stream_huge_lengths(void **state)
{
	struct tcp_stream s;

	(void)state;
	/* paylen 2^32 - 1 from offset 0: data read, FIN not credible. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(tcp_stream_add(&s, BASE, msg, 10, 0xffffffffu, 1),
	    10);
	assert_int_equal(s.fin_off, UINT32_MAX);
	assert_int_equal(s.state, TCP_STREAM_GAP);	/* snaplen cut */
	check_bytes(&s, 10);
	tcp_stream_free(&s);

	/* The same just before 2^31 and just past it. */
	tcp_stream_init(&s, BASE, 1000);
	assert_int_equal(tcp_stream_add(&s, BASE + 0x7fffffffu, msg, 10,
	    0xffffffffu, 1), 0);
	assert_int_equal(s.fin_off, UINT32_MAX);
	assert_null(s.buf);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	/* Offset 2^31 is before the base; 2^32 - 1 bytes straddle 0. */
	assert_int_equal(tcp_stream_add(&s, BASE + 0x80000000u, msg, 10,
	    0xffffffffu, 1), 0);
	assert_int_equal(s.fin_off, 0x7fffffffu);	/* 2^31 - 1 past 0 */
	assert_int_equal(s.state, TCP_STREAM_GAP);	/* nothing captured */
	tcp_stream_free(&s);

	/* One byte before the base, everything captured up to budget. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(tcp_stream_add(&s, BASE - 1, msg, 0xffffffffu,
	    0xffffffffu, 1), 100);
	assert_memory_equal(s.buf, msg + 1, 100);
	assert_int_equal(s.state, TCP_STREAM_FULL);
	tcp_stream_free(&s);

	/* caplen above paylen is held to paylen. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(tcp_stream_add(&s, BASE, msg, 0xffffffffu, 20, 1),
	    20);
	assert_int_equal(s.state, TCP_STREAM_FIN);
	check_bytes(&s, 20);
	tcp_stream_free(&s);

	/* The largest FIN still credible, and one past it. */
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(tcp_stream_add(&s, BASE + 1, NULL, 0, 0x7ffffffeu,
	    1), 0);
	assert_int_equal(s.fin_off, 0x7fffffffu);
	tcp_stream_free(&s);
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(tcp_stream_add(&s, BASE + 1, NULL, 0, 0x7fffffffu,
	    1), 0);
	assert_int_equal(s.fin_off, UINT32_MAX);
	tcp_stream_free(&s);
}

/* A small deterministic generator (xorshift32) for the random test. */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_tcp_stream_random_segments(void **state)
{
	struct tcp_stream s;
	uint32_t x, off, n, got, before, budget, base;
	unsigned round, i;

	(void)state;
	x = 0x2545f491u;
	for (round = 0; round < 2000; round++) {
		budget = 1 + rnd(&x) % 2048;
		base = rnd(&x);
		tcp_stream_init(&s, base, budget);
		got = 0;
		for (i = 0; i < 40 && tcp_stream_open(&s); i++) {
			off = rnd(&x) % (budget + 64);
			n = rnd(&x) % 300;
			if (off > MSG_MAX || n > MSG_MAX - off)
				continue;
			before = s.len;
			got += seg(&s, off, n, 0);
			assert_true(s.len >= before);
			check_ranges(&s);
			if (s.len > 0)
				assert_memory_equal(s.buf, msg, s.len);
			if (s.state == TCP_STREAM_FULL)
				assert_int_equal(s.len, budget);
		}
		assert_int_equal(got, s.len);
		if (tcp_stream_open(&s)) {
			/* The whole of it fills every hole. */
			(void)seg(&s, 0, budget, 0);
			assert_int_equal(s.state, TCP_STREAM_FULL);
			check_bytes(&s, budget);
			assert_int_equal(s.nranges, 0);
		}
		tcp_stream_free(&s);
	}
}

static void
test_tcp_stream_free(void **state)
{
	struct tcp_stream s;

	(void)state;
	tcp_stream_init(&s, BASE, 100);
	assert_int_equal(seg(&s, 0, 50, 0), 50);
	assert_non_null(s.buf);
	tcp_stream_free(&s);
	assert_null(s.buf);
	assert_int_equal(s.len, 50);
	assert_int_equal(s.state, TCP_STREAM_OPEN);
	tcp_stream_free(&s);		/* twice is harmless */
	tcp_stream_free(NULL);

	/* A zeroed struct is freeable. */
	memset(&s, 0, sizeof(s));
	tcp_stream_free(&s);
	assert_null(s.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_stream_init),
		cmocka_unit_test(test_tcp_stream_in_order),
		cmocka_unit_test(test_tcp_stream_permutations),
		cmocka_unit_test(test_tcp_stream_every_split),
		cmocka_unit_test(test_tcp_stream_retransmission_first_wins),
		cmocka_unit_test(test_tcp_stream_overlaps_merge),
		cmocka_unit_test(test_tcp_stream_before_base),
		cmocka_unit_test(test_tcp_stream_straddles_base),
		cmocka_unit_test(test_tcp_stream_wraparound),
		cmocka_unit_test(test_tcp_stream_lowest_fin_wins),
		cmocka_unit_test(test_tcp_stream_budget_clipping),
		cmocka_unit_test(test_tcp_stream_fin_past_budget),
		cmocka_unit_test(test_tcp_stream_snaplen_cut_gap),
		cmocka_unit_test(test_tcp_stream_too_many_ranges),
		cmocka_unit_test(test_tcp_stream_patience),
		cmocka_unit_test(test_tcp_stream_fin_in_order),
		cmocka_unit_test(test_tcp_stream_fin_out_of_order),
		cmocka_unit_test(test_tcp_stream_close),
		cmocka_unit_test(test_tcp_stream_zero_length),
		cmocka_unit_test(test_tcp_stream_huge_lengths),
		cmocka_unit_test(test_tcp_stream_random_segments),
		cmocka_unit_test(test_tcp_stream_free),
		cmocka_unit_test(test_tcp_stream_pool),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
