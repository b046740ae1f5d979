/*
 * decode_dump: prints one stable line per packet of a capture as
 * decode_packet() sees it, for the golden tests (tcpdump TESTLIST style;
 * see tests/decode/TESTLIST and update.sh). With -s the packets also go
 * through cap_engine and the sessions and engine counters follow, sorted,
 * so fragment attribution is golden-tested too.
 *
 *   decode_dump [-s] [-c count] file
 *
 * Line format (fields absent when unknown):
 *   N caplen/wirelen ok IP|IP6 tcp|udp SRC[.PORT] > DST[.PORT] [flags]
 *     seq S ip N payload N [frag first|later id X data N] l7 N
 *   N caplen/wirelen trunc|invalid|unsupported REASON
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cap_engine.h"
#include "decode.h"
#include "parse.h"
#include "sess_table.h"
#include "xmalloc.h"

#define NS		1000000000ULL
#define MAX_LINES	65536

struct lines {
	char	*v[MAX_LINES];
	size_t	 n;
};

static const char *const res_names[] = {
	[DEC_OK] = "ok",
	[DEC_TRUNC] = "trunc",
	[DEC_INVALID] = "invalid",
	[DEC_UNSUPPORTED] = "unsupported",
};

static void
fmt_addr(char *buf, size_t len, uint8_t af, const uint8_t *a)
{
	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf,
	    (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* tcpdump's flag notation: S F R P, "." for ACK, "none" for nothing. */
static void
fmt_flags(char *buf, uint8_t f)
{
	char *p = buf;

	if (f & DEC_TCP_SYN)
		*p++ = 'S';
	if (f & DEC_TCP_FIN)
		*p++ = 'F';
	if (f & DEC_TCP_RST)
		*p++ = 'R';
	if (f & DEC_TCP_PSH)
		*p++ = 'P';
	if (f & DEC_TCP_ACK)
		*p++ = '.';
	*p = '\0';
	if (p == buf)
		memcpy(buf, "none", 5);
}

static void
print_packet(uint64_t n, uint32_t caplen, uint32_t wirelen,
    enum decode_res r, enum decode_reason why, const struct decoded *d)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], fl[8];

	printf("%llu %u/%u %s", (unsigned long long)n, caplen, wirelen,
	    res_names[r]);
	if (r != DEC_OK) {
		printf(" %s\n", decode_reason_name(why));
		return;
	}
	fmt_addr(src, sizeof(src), d->af, d->src);
	fmt_addr(dst, sizeof(dst), d->af, d->dst);
	printf(" %s %s", d->af == 4 ? "IP" : "IP6",
	    d->proto == 6 ? "tcp" : "udp");
	if (d->frag == DEC_FRAG_LATER)
		printf(" %s > %s", src, dst);
	else
		printf(" %s.%u > %s.%u", src, d->sport, dst, d->dport);
	if (d->proto == 6 && d->frag != DEC_FRAG_LATER) {
		fmt_flags(fl, d->tcp_flags);
		printf(" [%s] seq %u", fl, d->tcp_seq);
	}
	printf(" ip %u", d->ip_bytes);
	if (d->frag != DEC_FRAG_LATER)
		printf(" payload %u", d->payload);
	if (d->frag != DEC_FRAG_NONE)
		printf(" frag %s id 0x%x data %u",
		    d->frag == DEC_FRAG_FIRST ? "first" : "later", d->frag_id,
		    d->frag_data);
	if (d->l7 != NULL)
		printf(" l7 %u", d->l7_caplen);
	printf("\n");
}

static void
on_close(void *arg, const struct sess_rec *s)
{
	struct lines *l = arg;
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], buf[512];
	const char *reason = sess_close_name(s->reason);

	if (l->n == MAX_LINES)
		return;
	fmt_addr(cli, sizeof(cli), s->af, s->cli);
	fmt_addr(srv, sizeof(srv), s->af, s->srv);
	snprintf(buf, sizeof(buf), "session %s %s.%u > %s.%u packets %llu/%llu"
	    " bytes %llu/%llu wire %llu/%llu %s %s",
	    s->proto == 6 ? "tcp" : "udp", cli, s->cli_port, srv, s->srv_port,
	    (unsigned long long)s->packets[0],
	    (unsigned long long)s->packets[1],
	    (unsigned long long)s->bytes[0], (unsigned long long)s->bytes[1],
	    (unsigned long long)s->wire_bytes[0],
	    (unsigned long long)s->wire_bytes[1],
	    sess_status_name(s->status), reason != NULL ? reason : "-");
	l->v[l->n++] = xstrdup(buf);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
print_engine(struct cap_engine *e, struct lines *l)
{
	struct cap_engine_stats st;
	size_t i;
	int r;

	cap_engine_finish(e, SESS_CLOSE_CAPTURE_END);
	qsort(l->v, l->n, sizeof(l->v[0]), cmp_str);
	for (i = 0; i < l->n; i++) {
		printf("%s\n", l->v[i]);
		free(l->v[i]);
	}
	cap_engine_get_stats(e, &st);
	printf("engine packets %llu observed %llu frag_waiting %llu",
	    (unsigned long long)st.packets, (unsigned long long)st.observed,
	    (unsigned long long)st.frag_waiting);
	for (r = 1; r < DR_MAX; r++)
		if (st.reasons[r] != 0)
			printf(" %s %llu", decode_reason_name((enum
			    decode_reason)r), (unsigned long long)st.reasons[r]);
	printf("\n");
}

static struct cap_engine *
make_engine(int dlt, struct lines *l)
{
	struct cap_engine_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dlt = dlt;
	cfg.sess.udp_idle_ns = 60 * NS;
	cfg.sess.tcp_idle_ns = 300 * NS;
	cfg.sess.tcp_syn_ns = 30 * NS;
	cfg.sess.tcp_linger_ns = 5 * NS;
	cfg.sess.max_sessions = 4096;
	cfg.frag_max = 64;
	cfg.frag_timeout_ns = 30 * NS;
	return cap_engine_create(&cfg, on_close, l);
}

static void
usage(void)
{
	fprintf(stderr, "usage: decode_dump [-s] [-c count] file\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	struct cap_engine *e = NULL;
	static struct lines lines;
	uint64_t n = 0, count = UINT64_MAX;
	pcap_t *p;
	int ch, dlt, rc = 0, sessions = 0;

	while ((ch = getopt(argc, argv, "c:s")) != -1) {
		switch (ch) {
		case 'c':
			if (sa_parse_u64(optarg, 1, UINT64_MAX, &count) != 0)
				usage();
			break;
		case 's':
			sessions = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	p = pcap_open_offline_with_tstamp_precision(argv[optind],
	    PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		fprintf(stderr, "decode_dump: %s\n", ebuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	printf("# dlt %d %s\n", dlt, pcap_datalink_val_to_name(dlt) != NULL ?
	    pcap_datalink_val_to_name(dlt) : "?");
	if (sessions && (e = make_engine(dlt, &lines)) == NULL) {
		fprintf(stderr, "decode_dump: link type %d unsupported\n",
		    dlt);
		pcap_close(p);
		return 1;
	}
	while (n < count && (rc = pcap_next_ex(p, &h, &pkt)) == 1) {
		struct decoded d;
		enum decode_reason why;
		enum decode_res r;

		n++;
		r = decode_packet(dlt, pkt, h->caplen, h->len, &d, &why);
		print_packet(n, h->caplen, h->len, r, why, &d);
		if (e != NULL)
			cap_engine_packet(e, (uint64_t)h->ts.tv_sec * NS +
			    (uint64_t)h->ts.tv_usec, pkt, h->caplen, h->len);
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "decode_dump: %s\n", pcap_geterr(p));
	if (e != NULL) {
		print_engine(e, &lines);
		cap_engine_destroy(e);
	}
	pcap_close(p);
	return rc != PCAP_ERROR && fflush(stdout) == 0 ? 0 : 1;
}
