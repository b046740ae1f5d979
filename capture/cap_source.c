/*
 * cap_source: libpcap behind a small interface. Live capture uses
 * pcap_create/pcap_activate without immediate mode, so that on Linux
 * libpcap picks TPACKET_V3 and the kernel fills whole blocks; a block
 * timeout bounds the latency. Timestamps are asked for in nanoseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "../common/parse.h"
#include "../common/xmalloc.h"
#include "cap_source.h"

struct cap_source {
	pcap_t		*pcap;
	int		 is_file;
	int		 nano;
	cap_source_cb	 cb;
	void		*arg;
};

static int
set_filter(struct cap_source *s, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (filter == NULL || filter[0] == '\0')
		return 0;
	if (pcap_compile(s->pcap, &prog, filter, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter '%s': %s", filter,
		    pcap_geterr(s->pcap));
		return -EINVAL;
	}
	if (pcap_setfilter(s->pcap, &prog) != 0) {
		snprintf(err, errlen, "filter '%s': %s", filter,
		    pcap_geterr(s->pcap));
		pcap_freecode(&prog);
		return -EINVAL;
	}
	pcap_freecode(&prog);
	return 0;
}

static pcap_t *
open_live(const struct cap_source_cfg *cfg, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int rc;

	if ((p = pcap_create(cfg->interface, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", cfg->interface, ebuf);
		return NULL;
	}
	if (pcap_set_snaplen(p, (int)cfg->snaplen) != 0 ||
	    pcap_set_promisc(p, cfg->promisc) != 0 ||
	    pcap_set_timeout(p, cfg->timeout_ms) != 0 ||
	    pcap_set_immediate_mode(p, 0) != 0 ||
	    pcap_set_buffer_size(p, (int)(cfg->buffer_size > 0x7fffffff ?
	    0x7fffffff : cfg->buffer_size)) != 0) {
		snprintf(err, errlen, "%s: cannot set capture options",
		    cfg->interface);
		pcap_close(p);
		return NULL;
	}
	(void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s (%s)", cfg->interface,
		    pcap_statustostr(rc), pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct cap_source *
cap_source_open(const struct cap_source_cfg *cfg, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct cap_source *s = xcalloc(1, sizeof(*s));

	if (cfg->file != NULL) {
		s->is_file = 1;
		s->pcap = pcap_open_offline_with_tstamp_precision(cfg->file,
		    PCAP_TSTAMP_PRECISION_NANO, ebuf);
		if (s->pcap == NULL)
			snprintf(err, errlen, "%s", ebuf);
	} else
		s->pcap = open_live(cfg, err, errlen);
	if (s->pcap == NULL) {
		free(s);
		return NULL;
	}
	s->nano = pcap_get_tstamp_precision(s->pcap) ==
	    PCAP_TSTAMP_PRECISION_NANO;
	if (set_filter(s, cfg->filter, err, errlen) != 0) {
		cap_source_close(s);
		return NULL;
	}
	return s;
}

void
cap_source_close(struct cap_source *s)
{
	if (s == NULL)
		return;
	pcap_close(s->pcap);
	free(s);
}

int
cap_source_dlt(const struct cap_source *s)
{
	return pcap_datalink(s->pcap);
}

int
cap_source_is_file(const struct cap_source *s)
{
	return s->is_file;
}

static void
pcap_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap_source *s = (struct cap_source *)user;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL +
	    (uint64_t)h->ts.tv_usec * (s->nano ? 1 : 1000);

	s->cb(s->arg, ts, bytes, h->caplen, h->len);
}

int
cap_source_dispatch(struct cap_source *s, int max, cap_source_cb cb,
    void *arg, char *err, size_t errlen)
{
	int n;

	s->cb = cb;
	s->arg = arg;
	n = pcap_dispatch(s->pcap, max, pcap_cb, (u_char *)s);
	if (n == PCAP_ERROR_BREAK)
		return -EINTR;
	if (n < 0) {
		snprintf(err, errlen, "%s", pcap_geterr(s->pcap));
		return -EIO;
	}
	return n;
}

void
cap_source_break(struct cap_source *s)
{
	pcap_breakloop(s->pcap);
}

void
cap_source_get_stats(struct cap_source *s, struct cap_source_stats *out)
{
	struct pcap_stat ps;

	memset(out, 0, sizeof(*out));
	if (s->is_file || pcap_stats(s->pcap, &ps) != 0)
		return;
	out->received = ps.ps_recv;
	out->kernel_drops = ps.ps_drop;
	out->if_drops = ps.ps_ifdrop;
}
