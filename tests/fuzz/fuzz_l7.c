/*
 * fuzz_l7: the libFuzzer target for the enrichment readers. An input is
 * [u16 split][client bytes ...][server bytes ...]: l7_parse runs over
 * growing prefixes of both directions (every parser behind it), and the
 * client bytes are cut into segments the input's bytes choose, fed to a
 * tcp_stream out of order, with retransmissions and overlaps, whose in-order
 * prefix must always equal the start of the client bytes. The bytes after
 * the split word are also read as one DNS response (l7_dns_parse) and its
 * prefixes, whose answers must agree with the whole's. Built into
 * fuzz_l7_replay (every build) and, with SA_FUZZ, into the libFuzzer
 * binary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7.h"
#include "l7_dns.h"
#include "tcp_stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every string of a result is NUL-terminated printable ASCII. */
static void
check_str(const char *s, size_t cap)
{
	size_t i;

	for (i = 0; i < cap && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
	if (i == cap)
		abort();
}

static void
check_result(enum l7_res res, const struct l7_result *r)
{
	if (res > L7_INVALID || r->kind >= L7_KIND_MAX ||
	    r->verdict > L7_V_FAILED)
		abort();
	check_str(r->user, sizeof(r->user));
	check_str(r->target, sizeof(r->target));
	check_str(r->req_target, sizeof(r->req_target));
	check_str(r->sni, sizeof(r->sni));
	check_str(r->host, sizeof(r->host));
	check_str(r->origin, sizeof(r->origin));
}

static void
parse_prefixes(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns)
{
	struct l7_result r;
	size_t i, j, step = nc / 16 + 1;

	for (i = 0; i <= nc; i += step)
		for (j = 0; j <= ns; j += ns / 4 + 1)
			check_result(l7_parse(c, i, i == nc, s, j, j == ns,
			    443, &r), &r);
	check_result(l7_parse(c, nc, 1, s, ns, 1, 80, &r), &r);
}

static void
stream_segments(const uint8_t *c, size_t nc, const uint8_t *ctl, size_t nctl)
{
	struct tcp_stream st;
	uint32_t base = 0xfffffff0u;	/* wraps inside the data */
	size_t k;

	tcp_stream_init(&st, base, 512);
	for (k = 0; k + 2 <= nctl; k += 2) {
		size_t off = nc > 0 ? ctl[k] % (nc + 1) : 0;
		size_t len = ctl[k + 1] % 64;

		if (off + len > nc)
			len = nc - off;
		(void)tcp_stream_add(&st, base + (uint32_t)off,
		    c + off, (uint32_t)len, (uint32_t)len, 0);
		if (st.len > nc || st.len > st.budget ||
		    (st.len > 0 && memcmp(st.buf, c, st.len) != 0))
			abort();
	}
	tcp_stream_close(&st);
	tcp_stream_free(&st);
}

static void
check_dns(enum l7_res res, const struct l7_dns *d)
{
	size_t i;

	if (res > L7_INVALID || d->naddr > L7_DNS_ADDR_MAX || d->more > 1)
		abort();
	check_str(d->qname, sizeof(d->qname));
	for (i = 0; d->qname[i] != '\0'; i++)
		if (d->qname[i] >= 'A' && d->qname[i] <= 'Z')
			abort();
	for (i = 0; i < d->naddr; i++)
		if (d->addr[i].af != 4 && d->addr[i].af != 6)
			abort();
	if ((res == L7_NOMATCH || res == L7_INVALID) && d->naddr != 0)
		abort();
}

/* Is every address of a among those of b? */
static int
dns_subset(const struct l7_dns *a, const struct l7_dns *b)
{
	size_t i, j;

	for (i = 0; i < a->naddr; i++) {
		for (j = 0; j < b->naddr; j++)
			if (memcmp(&a->addr[i], &b->addr[j],
			    sizeof(a->addr[i])) == 0)
				break;
		if (j == b->naddr)
			return 0;
	}
	return 1;
}

/*
 * The DNS reader over m and its prefixes: a prefix read to its end reads
 * what the whole does; a cut one keeps only answers the whole has.
 */
static void
dns_prefixes(const uint8_t *m, size_t n)
{
	struct l7_dns full, d;
	enum l7_res fr, res;
	size_t k;

	fr = l7_dns_parse(m, n, &full);
	check_dns(fr, &full);
	for (k = 0; k < n; k += n / 32 + 1) {
		res = l7_dns_parse(m, k, &d);
		check_dns(res, &d);
		if (res == L7_DONE && (fr != L7_DONE ||
		    memcmp(&d, &full, sizeof(d)) != 0))
			abort();
		if (res == L7_MORE && (fr == L7_DONE || fr == L7_MORE) &&
		    !full.more && !dns_subset(&d, &full))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split;

	if (size < 2 || size > 65536)
		return 0;
	split = (size_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	if (split > size)
		split = size;
	parse_prefixes(data, split, data + split, size - split);
	stream_segments(data, split, data + split, size - split);
	dns_prefixes(data, size);
	return 0;
}
