/*
 * bare_read: the benchmark's yardstick. Reads a capture with libpcap and
 * does nothing with the packets, so its rate is the most any pcap-based
 * reader can reach on this machine with the file in the page cache.
 * Prints packets, seconds and packets per second (CLOCK_MONOTONIC, from
 * just before the open to EOF), and the CPU time it used (user + system,
 * getrusage). By default the file is opened the plain
 * way (pcap_open_offline_with_tstamp_precision), so stdio reads it in
 * st_blksize pieces; -b SIZE opens it with fopen and a SIZE stdio buffer
 * instead, to show what a reader gains from larger reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "clock.h"
#include "parse.h"

struct bare_count {
	uint64_t	packets;
	uint64_t	caplen;
};

static void
noop_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct bare_count *c = (struct bare_count *)user;

	(void)bytes;
	c->packets++;
	c->caplen += h->caplen;
}

static void
usage(void)
{
	fputs("usage: sa_bare_read [-b BUFSIZE] FILE\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct rusage ru;
	uint64_t cpu_ms;
	struct bare_count c = { 0, 0 };
	uint64_t t0, ns, bufsize = 0;
	char *vbuf = NULL;
	FILE *fp;
	pcap_t *p;
	int ch, n;

	while ((ch = getopt(argc, argv, "b:")) != -1) {
		if (ch != 'b' || sa_parse_size(optarg, 512, 1ULL << 30,
		    &bufsize) != 0)
			usage();
	}
	if (optind != argc - 1)
		usage();
	t0 = sa_mono_ns();
	if (bufsize == 0)
		p = pcap_open_offline_with_tstamp_precision(argv[optind],
		    PCAP_TSTAMP_PRECISION_NANO, errbuf);
	else {
		if ((fp = fopen(argv[optind], "rb")) == NULL) {
			fprintf(stderr, "sa_bare_read: %s: %s\n", argv[optind],
			    strerror(errno));
			return 1;
		}
		/* Before any read, as setvbuf requires. */
		vbuf = malloc(bufsize);
		if (vbuf == NULL || setvbuf(fp, vbuf, _IOFBF, bufsize) != 0) {
			fprintf(stderr, "sa_bare_read: cannot set a %llu-byte "
			    "buffer\n", (unsigned long long)bufsize);
			return 1;
		}
		p = pcap_fopen_offline_with_tstamp_precision(fp,
		    PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (p == NULL)
			fclose(fp);
	}
	if (p == NULL) {
		fprintf(stderr, "sa_bare_read: %s\n", errbuf);
		free(vbuf);
		return 1;
	}
	while ((n = pcap_dispatch(p, -1, noop_cb, (u_char *)&c)) > 0)
		;
	if (n < 0) {
		fprintf(stderr, "sa_bare_read: %s\n", pcap_geterr(p));
		pcap_close(p);
		free(vbuf);
		return 1;
	}
	ns = sa_mono_ns() - t0;
	pcap_close(p);		/* closes fp too */
	free(vbuf);
	if (ns == 0)
		ns = 1;
	memset(&ru, 0, sizeof(ru));
	(void)getrusage(RUSAGE_SELF, &ru);
	cpu_ms = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000 + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) / 1000;
	printf("packets=%llu caplen_bytes=%llu seconds=%.6f pps=%.0f "
	    "cpu_ms=%llu\n", (unsigned long long)c.packets,
	    (unsigned long long)c.caplen, (double)ns / 1e9,
	    (double)c.packets * 1e9 / (double)ns, (unsigned long long)cpu_ms);
	return 0;
}
