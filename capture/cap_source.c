/*
 * cap_source: libpcap behind a small interface. Live capture uses
 * pcap_create/pcap_activate without immediate mode, so that on Linux
 * libpcap picks TPACKET_V3 and the kernel fills whole blocks; a block
 * timeout bounds the latency. Timestamps are asked for in nanoseconds.
 *
 * Classic pcap files (the four standard magic numbers) are read in large
 * blocks (read(2) into one reused buffer) instead of through libpcap's
 * per-packet fread copy: records are walked in the buffer, each length
 * checked against the bytes read and the snapshot length before use, and
 * the BPF filter still runs through libpcap (pcap_offline_filter on a
 * dead handle). A mapping of the file was slower: every new 4 KiB page
 * costs a TLB miss (and a fault now and then) where the kernel's copy
 * reads the page cache through its own large pages. pcapng, pipes and
 * any other format go through libpcap, and so does "-", standard input,
 * as tcpdump's -r - (libpcap reads it as a stream, pcap or pcapng).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../common/parse.h"
#include "../common/xmalloc.h"
#include "cap_source.h"

/* Largest record we accept, as libpcap's per-link-type maximum. */
#define MAP_MAX_CAPLEN	262144
/* The read buffer: holds the largest record with room to spare, and
 * stays in the L2 cache. */
#define RD_BUF		(512u << 10)

struct cap_source {
	pcap_t		*pcap;		/* libpcap, or a dead handle for BPF */
	int		 is_file;
	int		 nano;
	int		 live_fd;	/* selectable fd, -1: block in libpcap */
	int		 timeout_ms;
	cap_source_cb	 cb;
	void		*arg;
	/* Classic pcap file read in blocks (rd != NULL). */
	uint8_t		*rd;		/* RD_BUF bytes */
	size_t		 rd_len;	/* bytes in rd */
	size_t		 rd_off;	/* next record in rd */
	int		 rd_fd;
	int		 rd_eof;	/* nothing more to read */
	int		 rd_swap;	/* written on the other endianness */
	int		 rd_dlt;
	uint32_t	 rd_snaplen;
	struct bpf_program prog;
	int		 has_prog;
	volatile int	 brk;
};

static uint32_t
rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Drops the read buffer and closes the file. */
static void
rd_close(struct cap_source *s)
{
	if (s->rd == NULL)
		return;
	close(s->rd_fd);
	free(s->rd);
	s->rd = NULL;
}

/*
 * Moves the bytes not yet walked to the front of the buffer and reads
 * until it is full or the file ends. 0, or -EIO with err set.
 */
static int
rd_fill(struct cap_source *s, char *err, size_t errlen)
{
	ssize_t n;

	if (s->rd_off > 0) {
		memmove(s->rd, s->rd + s->rd_off, s->rd_len - s->rd_off);
		s->rd_len -= s->rd_off;
		s->rd_off = 0;
	}
	while (s->rd_len < RD_BUF) {
		n = read(s->rd_fd, s->rd + s->rd_len, RD_BUF - s->rd_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "error reading dump file: %s",
			    strerror(errno));
			return -EIO;
		}
		if (n == 0) {
			s->rd_eof = 1;
			break;
		}
		s->rd_len += (size_t)n;
	}
	return 0;
}

/*
 * Classic pcap global header (24 bytes):
 *   magic(4) | version major(2) minor(2) | thiszone(4) | sigfigs(4)
 *   snaplen(4) | linktype(4: low 16 bits type, high bits FCS info)
 * Returns 1 if it is one (read in blocks from now on), 0 if not a classic
 * pcap of a regular file (use libpcap), -1 on error.
 */
static int
rd_open(struct cap_source *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	uint32_t magic;
	int fd;

	/* Standard input: libpcap's, which reads it as a stream. */
	if (strcmp(path, "-") == 0)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) {
		close(fd);
		return 0;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->rd = xmalloc(RD_BUF);
	s->rd_fd = fd;
	s->rd_len = s->rd_off = 0;
	s->rd_eof = 0;
	if (rd_fill(s, err, errlen) != 0) {
		rd_close(s);
		return -1;
	}
	if (s->rd_len < 24) {
		rd_close(s);
		return 0;
	}
	memcpy(&magic, s->rd, 4);
	switch (magic) {
	case 0xa1b2c3d4:
		break;
	case 0xa1b23c4d:
		s->nano = 1;
		break;
	case 0xd4c3b2a1:
		s->rd_swap = 1;
		break;
	case 0x4d3cb2a1:
		s->rd_swap = 1;
		s->nano = 1;
		break;
	default:
		rd_close(s);
		return 0;
	}
	if ((rd32(s->rd + 4, s->rd_swap) & 0xffff) != 2) {
		/* Only version 2.x is the format below. */
		rd_close(s);
		s->nano = 0;
		s->rd_swap = 0;
		return 0;
	}
	s->rd_snaplen = rd32(s->rd + 16, s->rd_swap);
	s->rd_dlt = (int)(rd32(s->rd + 20, s->rd_swap) & 0xffff);
	s->rd_off = 24;
	return 1;
}

/*
 * Record header (16 bytes): ts_sec(4) | ts_usec or ts_nsec(4) |
 * incl_len(4) | orig_len(4), then incl_len bytes. A record that the
 * buffer holds only in part is read whole first (the buffer is larger
 * than the largest record accepted).
 */
static int
rd_dispatch(struct cap_source *s, int max, char *err, size_t errlen)
{
	struct pcap_pkthdr h;
	int n = 0;

	while (n < max) {
		const uint8_t *r = s->rd + s->rd_off;
		size_t left = s->rd_len - s->rd_off;
		uint32_t sec, frac, incl, orig;
		uint64_t ts;

		if (s->brk) {
			s->brk = 0;
			return -EINTR;
		}
		if (left < 16) {
			if (!s->rd_eof) {
				if (rd_fill(s, err, errlen) != 0)
					return -EIO;
				continue;
			}
			if (left == 0)
				break;
			snprintf(err, errlen, "truncated dump file; tried to "
			    "read 16 header bytes, only got %zu", left);
			return -EIO;
		}
		sec = rd32(r, s->rd_swap);
		frac = rd32(r + 4, s->rd_swap);
		incl = rd32(r + 8, s->rd_swap);
		orig = rd32(r + 12, s->rd_swap);
		if (incl > MAP_MAX_CAPLEN) {
			snprintf(err, errlen, "invalid packet capture length "
			    "%u, bigger than the maximum of %u", incl,
			    MAP_MAX_CAPLEN);
			return -EIO;
		}
		if (incl > left - 16) {
			if (!s->rd_eof) {
				if (rd_fill(s, err, errlen) != 0)
					return -EIO;
				continue;
			}
			snprintf(err, errlen, "truncated dump file; tried to "
			    "read %u captured bytes, only got %zu", incl,
			    left - 16);
			return -EIO;
		}
		s->rd_off += 16 + (size_t)incl;
		if (s->has_prog) {
			h.ts.tv_sec = sec;
			h.ts.tv_usec = frac;
			h.caplen = incl;
			h.len = orig;
			if (pcap_offline_filter(&s->prog, &h, r + 16) == 0)
				continue;
		}
		ts = (uint64_t)sec * 1000000000ULL +
		    (uint64_t)frac * (s->nano ? 1 : 1000);
		s->cb(s->arg, ts, r + 16, incl, orig);
		n++;
	}
	return n;
}

static int
set_filter(struct cap_source *s, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (filter == NULL || filter[0] == '\0')
		return 0;
	if (s->rd != NULL) {
		/* Our reader: compile for its link type, filter per record. */
		if (pcap_compile(s->pcap, &s->prog, filter, 1,
		    PCAP_NETMASK_UNKNOWN) != 0) {
			snprintf(err, errlen, "filter '%s': %s", filter,
			    pcap_geterr(s->pcap));
			return -EINVAL;
		}
		s->has_prog = 1;
		return 0;
	}
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
cap_source_open(const struct cap_source_cfg *cfg, char *err, size_t errlen,
    int *rc)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct cap_source *s = xcalloc(1, sizeof(*s));

	int ours = 0;

	if (cfg->file != NULL) {
		s->is_file = 1;
		if ((ours = rd_open(s, cfg->file, err, errlen)) < 0) {
			free(s);
			return NULL;
		}
		if (ours)
			s->pcap = pcap_open_dead_with_tstamp_precision(
			    s->rd_dlt, (int)(s->rd_snaplen ? s->rd_snaplen :
			    MAP_MAX_CAPLEN), PCAP_TSTAMP_PRECISION_NANO);
		else
			s->pcap = pcap_open_offline_with_tstamp_precision(
			    cfg->file, PCAP_TSTAMP_PRECISION_NANO, ebuf);
		if (s->pcap == NULL)
			snprintf(err, errlen, "%s: %s",
			    strcmp(cfg->file, "-") == 0 ? "standard input" :
			    cfg->file, ours ?
			    "cannot set up the BPF compiler" : ebuf);
	} else {
		s->pcap = open_live(cfg, err, errlen);
		/*
		 * With TPACKET_V3 the kernel retires a block on its timeout
		 * only once a packet is in it, so on a quiet link libpcap's
		 * poll never returns. Wait on the fd ourselves, with our own
		 * timeout, and read without blocking.
		 */
		s->live_fd = -1;
		s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 100;
		if (s->pcap != NULL && pcap_setnonblock(s->pcap, 1, ebuf) == 0)
			s->live_fd = pcap_get_selectable_fd(s->pcap);
	}
	if (s->pcap == NULL) {
		rd_close(s);
		free(s);
		return NULL;
	}
	if (!ours)
		s->nano = pcap_get_tstamp_precision(s->pcap) ==
		    PCAP_TSTAMP_PRECISION_NANO;
	if (set_filter(s, cfg->filter, err, errlen) != 0) {
		if (rc != NULL)
			*rc = -EINVAL;
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
	if (s->has_prog)
		pcap_freecode(&s->prog);
	rd_close(s);
	pcap_close(s->pcap);
	free(s);
}

int
cap_source_dlt(const struct cap_source *s)
{
	if (s->rd != NULL)
		return s->rd_dlt;
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
	if (s->rd != NULL)
		return rd_dispatch(s, max > 0 ? max : 4096, err, errlen);
	if (!s->is_file && s->live_fd >= 0) {
		struct pollfd pfd = { s->live_fd, POLLIN, 0 };

		if (s->brk) {
			s->brk = 0;
			return -EINTR;
		}
		/* A signal ends the wait early (EINTR): that is fine. */
		(void)poll(&pfd, 1, s->timeout_ms);
		if (s->brk) {
			s->brk = 0;
			return -EINTR;
		}
	}
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
	s->brk = 1;
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
