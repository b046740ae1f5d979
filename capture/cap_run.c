/*
 * cap_run: offline and live capture loops. Closed sessions are printed as
 * JSON lines through a large stdout buffer (offline) or line by line
 * (live). Signals only set a flag and break the pcap loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/sess_json.h"
#include "../common/xmalloc.h"
#include "cap_priv.h"
#include "cap_run.h"

#define OUTBUF_SIZE	(1 << 20)

struct cap_ctx {
	const struct cap_config	*conf;
	const struct cap_opts	*opts;
	struct cap_source	*src;
	struct cap_engine	*eng;
	char			*outbuf;
	int			 live;
	uint64_t		 sessions_printed;
	int			 write_failed;
};

static volatile sig_atomic_t cap_quit;
static struct cap_source *cap_signal_src;

static void
on_signal(int sig)
{
	(void)sig;
	cap_quit = 1;
	if (cap_signal_src != NULL)
		cap_source_break(cap_signal_src);
}

static void
on_close(void *arg, const struct sess_rec *rec)
{
	struct cap_ctx *c = arg;
	char line[SESS_JSON_MAX + 1];
	size_t n;

	if (!c->opts->print)
		return;
	n = sess_json_format(rec, c->conf->agent_id, NULL, NULL, line,
	    sizeof(line) - 1);
	line[n++] = '\n';
	if (fwrite(line, 1, n, stdout) != n)
		c->write_failed = 1;
	if (c->live)
		fflush(stdout);
	c->sessions_printed++;
}

static void
on_frame(void *arg, uint64_t ts, const uint8_t *pkt, uint32_t caplen,
    uint32_t wirelen)
{
	struct cap_ctx *c = arg;

	cap_engine_packet(c->eng, ts, pkt, caplen, wirelen);
}

struct cap_ctx *
cap_ctx_create(const struct cap_config *conf, const struct cap_opts *opts)
{
	struct cap_ctx *c = xcalloc(1, sizeof(*c));
	struct cap_source_cfg scfg = conf->src;
	char err[512];

	c->conf = conf;
	c->opts = opts;
	if (opts->read_file != NULL) {
		scfg.file = opts->read_file;
		scfg.interface = NULL;
	} else
		scfg.file = NULL;
	c->live = scfg.file == NULL;
	if ((c->src = cap_source_open(&scfg, err, sizeof(err))) == NULL) {
		log_warnx("cannot open capture: %s", err);
		free(c);
		return NULL;
	}
	return c;
}

int
cap_ctx_start(struct cap_ctx *c)
{
	struct cap_engine_cfg ecfg = c->conf->eng;
	char err[512];
	struct sigaction sa;

	if (cap_priv_drop(c->conf->user, c->conf->chroot_dir, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	ecfg.dlt = cap_source_dlt(c->src);
	if ((c->eng = cap_engine_create(&ecfg, on_close, c)) == NULL) {
		log_warnx("link type %d is not supported", ecfg.dlt);
		return -1;
	}
	if (!c->live) {
		c->outbuf = xmalloc(OUTBUF_SIZE);
		setvbuf(stdout, c->outbuf, _IOFBF, OUTBUF_SIZE);
	}
	cap_signal_src = c->src;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
report(struct cap_ctx *c, FILE *fp, int json)
{
	struct cap_engine_stats es;
	struct cap_source_stats ss;
	struct sess_table_stats st;
	uint64_t errors = 0, skipped = 0;
	int i, first = 1;

	cap_engine_get_stats(c->eng, &es);
	cap_source_get_stats(c->src, &ss);
	sess_table_get_stats(cap_engine_sessions(c->eng), &st);
	for (i = 1; i < DR_MAX; i++) {
		if (i == DR_FRAG_FULL)
			continue;	/* an event, not a lost packet */
		if (decode_reason_is_skip((enum decode_reason)i))
			skipped += es.reasons[i];
		else
			errors += es.reasons[i];
	}
	if (json) {
		fprintf(fp, "{\"packets\":%llu,\"wire_bytes\":%llu,"
		    "\"attributed\":%llu,\"skipped\":%llu,"
		    "\"decode_errors\":%llu,\"fragments_waiting\":%llu,"
		    "\"kernel_drops\":%llu,\"interface_drops\":%llu,"
		    "\"sessions\":%llu,\"sessions_active\":%llu,"
		    "\"sessions_peak\":%llu,\"reasons\":{",
		    (unsigned long long)es.packets,
		    (unsigned long long)es.wire_bytes,
		    (unsigned long long)es.observed,
		    (unsigned long long)skipped, (unsigned long long)errors,
		    (unsigned long long)es.frag_waiting,
		    (unsigned long long)ss.kernel_drops,
		    (unsigned long long)ss.if_drops,
		    (unsigned long long)st.created,
		    (unsigned long long)st.active,
		    (unsigned long long)st.active_peak);
		for (i = 1; i < DR_MAX; i++) {
			fprintf(fp, "%s\"%s\":%llu", first ? "" : ",",
			    decode_reason_name((enum decode_reason)i),
			    (unsigned long long)es.reasons[i]);
			first = 0;
		}
		fputs("},\"close_reasons\":{", fp);
		for (first = 1, i = 1; i < SESS_CLOSE_MAX; i++) {
			fprintf(fp, "%s\"%s\":%llu", first ? "" : ",",
			    sess_close_name((enum sess_close)i),
			    (unsigned long long)st.closed[i]);
			first = 0;
		}
		fputs("}}\n", fp);
		fflush(fp);
		return;
	}
	log_info("packets=%llu wire_bytes=%llu attributed=%llu skipped=%llu "
	    "decode_errors=%llu kernel_drops=%llu interface_drops=%llu "
	    "sessions=%llu active=%llu evicted=%llu",
	    (unsigned long long)es.packets, (unsigned long long)es.wire_bytes,
	    (unsigned long long)es.observed, (unsigned long long)skipped,
	    (unsigned long long)errors, (unsigned long long)ss.kernel_drops,
	    (unsigned long long)ss.if_drops, (unsigned long long)st.created,
	    (unsigned long long)st.active,
	    (unsigned long long)st.closed[SESS_CLOSE_EVICTED]);
	for (i = 1; i < DR_MAX; i++)
		if (es.reasons[i] != 0)
			log_info("decode %s=%llu",
			    decode_reason_name((enum decode_reason)i),
			    (unsigned long long)es.reasons[i]);
}

int
cap_run(struct cap_ctx *c)
{
	char err[512];
	uint64_t next_report = 0, now;
	int n, rc = 0;
	FILE *sfp;

	while (!cap_quit) {
		n = cap_source_dispatch(c->src, c->live ? -1 : 4096, on_frame,
		    c, err, sizeof(err));
		if (n == -EINTR)
			break;
		if (n < 0) {
			log_warnx("capture failed: %s", err);
			rc = 1;
			break;
		}
		if (!c->live) {
			if (n == 0)
				break;
			continue;
		}
		/* Live: packet time and wall clock agree, so idle sessions
		 * expire by the clock when the link is quiet. */
		now = wall_ns();
		cap_engine_tick(c->eng, now);
		if (c->conf->stats_interval_ns > 0 && now >= next_report) {
			if (next_report != 0)
				report(c, stderr, 0);
			next_report = now + c->conf->stats_interval_ns;
		}
	}
	cap_engine_finish(c->eng, c->live || cap_quit ? SESS_CLOSE_SHUTDOWN :
	    SESS_CLOSE_CAPTURE_END);
	if (fflush(stdout) != 0 || c->write_failed) {
		log_warnx("writing sessions to standard output failed");
		rc = 1;
	}
	sfp = stderr;
	if (c->opts->stats_path != NULL &&
	    (sfp = fopen(c->opts->stats_path, "w")) == NULL) {
		log_warn("%s", c->opts->stats_path);
		sfp = stderr;
		rc = 1;
	}
	report(c, sfp, c->opts->stats_json);
	if (sfp != stderr)
		fclose(sfp);
	return rc;
}

void
cap_ctx_destroy(struct cap_ctx *c)
{
	if (c == NULL)
		return;
	cap_signal_src = NULL;
	cap_engine_destroy(c->eng);
	cap_source_close(c->src);
	if (c->outbuf != NULL) {
		/* stdout uses outbuf: close it before the buffer goes. */
		fclose(stdout);
		free(c->outbuf);
	}
	free(c);
}
