/*
 * cap_source: where packets come from. A pcap/pcapng file (nanosecond
 * timestamps) or a live interface through libpcap's TPACKET_V3 ring, with
 * an optional BPF filter. The pcap error buffer never leaves this file.
 */
#ifndef SA_CAPTURE_CAP_SOURCE_H
#define SA_CAPTURE_CAP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct cap_source_cfg {
	const char	*file;		/* either a file ... */
	const char	*interface;	/* ... or an interface */
	const char	*filter;	/* "" or NULL: none */
	uint32_t	 snaplen;
	uint64_t	 buffer_size;
	int		 promisc;
	int		 timeout_ms;
};

struct cap_source_stats {
	uint64_t	received;	/* packets the kernel passed us */
	uint64_t	kernel_drops;	/* ring full */
	uint64_t	if_drops;	/* dropped by the interface/driver */
};

/* Frame callback: pkt borrowed for the call only (pcap_loop(3)). */
typedef void (*cap_source_cb)(void *arg, uint64_t ts_ns, const uint8_t *pkt,
    uint32_t caplen, uint32_t wirelen);

struct cap_source;

/*
 * Opens the file or interface (needs privileges for live). Returns owned,
 * or NULL with a message in err and *rc set: -EINVAL for a bad filter (a
 * usage error), -EIO for anything else. rc may be NULL.
 */
struct cap_source *cap_source_open(const struct cap_source_cfg *cfg,
    char *err, size_t errlen, int *rc);
void	cap_source_close(struct cap_source *);

int	cap_source_dlt(const struct cap_source *);
int	cap_source_is_file(const struct cap_source *);

/*
 * Delivers up to max frames (max <= 0: one buffer's worth). Returns the
 * number delivered, 0 at end of file or on a live timeout, -EINTR after
 * cap_source_break, or -EIO with the reason in err.
 */
int	cap_source_dispatch(struct cap_source *, int max, cap_source_cb cb,
	    void *arg, char *err, size_t errlen);
/* Async-signal-safe: makes dispatch return -EINTR. */
void	cap_source_break(struct cap_source *);
/* Live counters; zeros for a file. */
void	cap_source_get_stats(struct cap_source *, struct cap_source_stats *);

#endif
