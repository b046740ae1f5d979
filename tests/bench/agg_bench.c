/*
 * agg_bench: load generator and probes for the aggregator benchmark
 * (tests/bench/agg_bench.sh, docs/PERFORMANCE.md "Aggregator"). It speaks
 * the wire protocol of docs/PROTOCOL.md to a running sessacct-aggregator:
 * event batches are encoded once before the clock starts, and only their
 * header (agent, seq, floor_seq) is encoded per send. Each agent keeps up
 * to a window of batches unacknowledged on its own DEALER. Counters come
 * from the aggregator's own metrics query, memory from /proc. Not a test.
 *
 *   sa_agg_bench updates -e EP -q QEP [-a AGENTS] [-p POOL] [-b EVENTS]
 *	[-w WINDOW] [-W WARM_S] [-t SECS] [-P PID]
 *	events applied per second; UPDATE events over POOL sessions per agent
 *   sa_agg_bench closes -e EP -q QEP [-a AGENTS] [-n SESSIONS] [-b EVENTS]
 *	[-w WINDOW] [-P PID]
 *	closed sessions persisted per second (UPDATE + CLOSE per session,
 *	SESSIONS per agent), from the first send to the last ack
 *   sa_agg_bench steady -e EP -q QEP -r RATE [-t SECS] [-a AGENTS]
 *	[-b EVENTS] [-w WINDOW] [-P PID]
 *	closed sessions offered at a steady RATE per second (UPDATE + CLOSE
 *	each) for SECS; every second the store's sessions written and the
 *	exporter's lag (sessions and seconds behind); at the end their p50,
 *	p99 and max and whether the lag stayed bounded (export_lag.sh)
 *   sa_agg_bench open -e EP -q QEP -n SESSIONS -P PID [-b EVENTS] [-w WIN]
 *	[-k] [-S SETTLE_S]
 *	RSS per open session: opens SESSIONS sessions (UPDATE only); -k
 *	waits for the acks (the checkpoint commit) before measuring again
 *   sa_agg_bench fin -e EP -q QEP [-n SESSIONS]
 *	delay from sending a CLOSE to seeing the session in history
 *   sa_agg_bench replay -e EP -q QEP -c CAPTURE_BIN -o PCAP [-n SESSIONS]
 *	[-g GAP_MS] [-T TAIL_S] [-l LOG] [-s KEY=VAL]...
 *	delay from a FIN in a capture replayed by the real agent at --speed 1
 *	to the session's presence in history
 *   sa_agg_bench live -e EP -q QEP -c CAPTURE_BIN -o STEM [-n SESSIONS]
 *	[-g GAP_MS] [-l LOG] [-s KEY=VAL]...
 *	the same with the agent capturing loopback live (needs root; STEM
 *	names its ready file) and real TCP connections made here
 *
 * Every mode ends with one line "result: key=value ..." for the script.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <zmq.h>

#include "clock.h"
#include "parse.h"
#include "query.h"
#include "wire.h"
#include "xmalloc.h"

#define NS		1000000000ULL
#define MS		1000000ULL
#define N_CLIENTS	50000		/* as store_bench: 50,000 clients */
#define N_DESTS		5000		/* ... and 5,000 destinations */
#define MAX_AGENTS	64
#define MAX_SETS	16
#define POLL_NS		(20 * MS)	/* history poll period */
#define QUERY_TIMEOUT	10000		/* ms */

/* Pre-encoded events of one batch: what follows proto_batch_begin. */
struct body {
	uint8_t		*data;
	size_t		 len;
	uint32_t	 nev;
};

struct bodies {
	struct body	*v;
	size_t		 n;
	uint64_t	 events;
	size_t		 bytes;
};

struct agent {
	char		 id[40];
	void		*sock;
	uint64_t	 boot_id;
	uint64_t	 sent;		/* highest seq sent */
	uint64_t	 acked;		/* highest seq acknowledged OK */
	uint64_t	 limit;		/* batches to send in all; 0: no end */
	uint64_t	 ev_sent, ev_acked;
	uint64_t	 last_ack_ns;	/* monotonic */
};

/* The aggregator's query socket. */
struct qc {
	void		*sock;
	uint64_t	 id;
	struct proto_buf b;
};

struct pump {
	struct agent	 ag[MAX_AGENTS];
	int		 nag;
	const struct bodies *bs;
	uint32_t	 window;	/* batches in flight per agent */
	/* Flow control on the aggregator's events_applied instead of acks
	 * (for runs whose commits, hence acks, are far apart). */
	int		 by_applied;
	uint64_t	 applied;	/* last seen, since applied0 */
	uint64_t	 applied0;
	uint64_t	 applied_ns;
	struct qc	*qc;
	/* Pacing (steady): batches per second per agent from t0; 0 none. */
	double		 rate_bps;
	uint64_t	 t0;
	struct proto_buf hdr;
	uint64_t	 resends;
	int		 stop;		/* send nothing more */
};

struct metrics {
	uint64_t	 events_applied;
	uint64_t	 sessions_written;
	uint64_t	 sessions_active;
	uint64_t	 commits;
	uint64_t	 messages;
	double		 commit_secs;	/* sum of store write latencies */
	uint64_t	 commit_count;
	uint64_t	 mem_memtables;	/* RocksDB's own estimates */
	uint64_t	 mem_cache;
	uint64_t	 mem_readers;
};

struct cpu_snap {
	int		 n;
	int		 tid[64];
	char		 comm[64][20];
	uint64_t	 ticks[64];
	uint64_t	 total;
};

static void	*zctx;
static uint64_t	 rng_state = 0x243f6a8885a308d3ULL;

static void
sleep_ns(uint64_t ns)
{
	struct timespec d;

	d.tv_sec = (time_t)(ns / NS);
	d.tv_nsec = (long)(ns % NS);
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

static uint64_t
rng(void)
{
	uint64_t x;

	rng_state += 0x9e3779b97f4a7c15ULL;
	x = rng_state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sa_agg_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- /proc ---- */

/* A "VmRSS:"-style field of /proc/PID/status in KiB, or 0. */
static uint64_t
proc_status_kb(int pid, const char *field)
{
	char path[64], line[256];
	uint64_t v = 0;
	size_t fl = strlen(field);
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, fl) == 0) {
			v = strtoull(line + fl, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* utime + stime of a /proc stat file, and its comm. */
static int
stat_ticks(const char *path, uint64_t *ticks, char *comm, size_t clen)
{
	char buf[1024], *p, *q;
	unsigned long long ut, st;
	size_t n;
	FILE *fp;
	int i;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strchr(buf, '(')) == NULL || (q = strrchr(buf, ')')) == NULL)
		return -1;
	if (comm != NULL) {
		n = (size_t)(q - p - 1) < clen - 1 ? (size_t)(q - p - 1) :
		    clen - 1;
		memcpy(comm, p + 1, n);
		comm[n] = '\0';
	}
	/* After ")": state is field 3; utime and stime are 14 and 15. */
	p = q + 2;
	for (i = 3; i < 14 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || sscanf(p, "%llu %llu", &ut, &st) != 2)
		return -1;
	*ticks = ut + st;
	return 0;
}

static void
cpu_snap(int pid, struct cpu_snap *s)
{
	char path[64], sub[512];
	struct dirent *de;
	DIR *d;

	memset(s, 0, sizeof(*s));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	(void)stat_ticks(path, &s->total, NULL, 0);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && s->n < 64) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/stat", path, de->d_name);
		if (stat_ticks(sub, &s->ticks[s->n], s->comm[s->n],
		    sizeof(s->comm[0])) == 0)
			s->tid[s->n++] = atoi(de->d_name);
	}
	closedir(d);
}

/* CPU seconds this process (all its threads) has used. */
static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU used between two snapshots, total and by thread (those >= 1%). */
static double
cpu_report(const char *what, const struct cpu_snap *a,
    const struct cpu_snap *b, double secs)
{
	double hz = (double)sysconf(_SC_CLK_TCK), tot;
	int i, j;

	if (b->total == 0 || secs <= 0)
		return 0;
	tot = (double)(b->total - a->total) / hz / secs;
	printf("  %s CPU: %.0f%% of one core;", what, tot * 100);
	for (i = 0; i < b->n; i++) {
		uint64_t t0 = 0;
		double f;

		for (j = 0; j < a->n; j++)
			if (a->tid[j] == b->tid[i])
				t0 = a->ticks[j];
		f = (double)(b->ticks[i] - t0) / hz / secs;
		if (f >= 0.01)
			printf(" %s %.0f%%", b->comm[i], f * 100);
	}
	printf("\n");
	return tot;
}

/* ---- the query socket ---- */

static void
qc_open(struct qc *q, const char *ep)
{
	int zero = 0, to = QUERY_TIMEOUT;

	memset(q, 0, sizeof(*q));
	if ((q->sock = zmq_socket(zctx, ZMQ_DEALER)) == NULL)
		die("zmq_socket: %s", zmq_strerror(zmq_errno()));
	zmq_setsockopt(q->sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(q->sock, ZMQ_RCVTIMEO, &to, sizeof(to));
	if (zmq_connect(q->sock, ep) != 0)
		die("cannot connect to %s", ep);
	proto_buf_init(&q->b, PROTO_MAX_MSG_DEFAULT);
}

/* Asks kind with "key=value" params; the JSON body (owned), or dies. */
static char *
qc_ask(struct qc *q, const char *kind, const char *const *params, int n)
{
	struct proto_query *pq = xcalloc(1, sizeof(*pq));
	struct proto_reply r;
	zmq_msg_t m;
	char *body;
	int i;

	pq->id = ++q->id;
	snprintf(pq->kind, sizeof(pq->kind), "%s", kind);
	for (i = 0; i < n && i < PROTO_QUERY_MAX_PARAMS; i++) {
		const char *eq = strchr(params[i], '=');

		memcpy(pq->params[i].key, params[i], (size_t)(eq - params[i]));
		snprintf(pq->params[i].val, sizeof(pq->params[i].val), "%s",
		    eq + 1);
		pq->nparams++;
	}
	proto_buf_reset(&q->b);
	if (proto_query_encode(&q->b, pq) != 0 ||
	    zmq_send(q->sock, q->b.data, q->b.len, 0) < 0)
		die("cannot send a %s query", kind);
	free(pq);
	for (;;) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, q->sock, 0) < 0)
			die("no answer to a %s query", kind);
		if (proto_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m),
		    &r) != 0)
			die("malformed reply to a %s query", kind);
		if (r.id == q->id)
			break;
		zmq_msg_close(&m);	/* a late answer to an older one */
	}
	body = xmalloc(r.body_len + 1);
	memcpy(body, r.body, r.body_len);
	body[r.body_len] = '\0';
	zmq_msg_close(&m);
	return body;
}

/* The number after "key": in body (searching from after anchor, if set). */
static double
json_num(const char *body, const char *anchor, const char *key)
{
	char pat[80];
	const char *p = body;

	if (anchor != NULL && (p = strstr(body, anchor)) == NULL)
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(p, pat)) == NULL)
		return -1;
	return strtod(p + strlen(pat), NULL);
}

static uint64_t
json_u64(const char *body, const char *key)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(body, pat)) == NULL)
		return 0;
	return strtoull(p + strlen(pat), NULL, 10);
}

static void
get_metrics(struct qc *q, struct metrics *m)
{
	char *b = qc_ask(q, "metrics", NULL, 0);

	m->events_applied = json_u64(b, "events_applied");
	m->sessions_written = json_u64(b, "store_sessions_written");
	m->sessions_active = json_u64(b, "sessions_active");
	m->commits = json_u64(b, "commits");
	m->messages = json_u64(b, "messages");
	m->mem_memtables = json_u64(b, "store_memtable_bytes");
	m->mem_cache = json_u64(b, "store_block_cache_bytes");
	m->mem_readers = json_u64(b, "store_table_reader_bytes");
	m->commit_secs = json_num(b, "\"store_write_latency\"", "sum_secs");
	m->commit_count = (uint64_t)json_num(b, "\"store_write_latency\"",
	    "count");
	free(b);
}

/* ---- events and batches ---- */

/* Addresses of session j: client j % N_CLIENTS, port by j / N_CLIENTS. */
static void
session_addr(struct proto_event *e, uint64_t j)
{
	uint64_t c = j % N_CLIENTS, d = (j * 7919) % N_DESTS;

	e->af = 4;
	e->proto = 6;
	e->cli[0] = 10;
	e->cli[1] = (uint8_t)(c >> 16);
	e->cli[2] = (uint8_t)(c >> 8);
	e->cli[3] = (uint8_t)c;
	e->srv[0] = 198;
	e->srv[1] = 18;
	e->srv[2] = (uint8_t)(d >> 8);
	e->srv[3] = (uint8_t)d;
	e->cli_port = (uint16_t)(1024 + j / N_CLIENTS);
	e->srv_port = d % 3 == 0 ? 80 : 443;
}

static void
counters(struct proto_event *e, uint64_t j)
{
	e->packets[0] = 1 + j % 20;
	e->packets[1] = 1 + j % 30;
	e->bytes[0] = e->packets[0] * 300;
	e->bytes[1] = e->packets[1] * 1200;
	e->wire_bytes[0] = e->bytes[0] + 52 * e->packets[0];
	e->wire_bytes[1] = e->bytes[1] + 52 * e->packets[1];
	e->tcp_flags[0] = 0x18;
	e->tcp_flags[1] = 0x18;
}

/* An UPDATE of session j of a pool: same times every round. */
static void
ev_update(struct proto_event *e, uint64_t j, uint64_t base)
{
	memset(e, 0, sizeof(*e));
	e->kind = PROTO_EV_UPDATE;
	session_addr(e, j);
	counters(e, j);
	e->start_ns = base + j * 1000;
	e->last_ns = e->start_ns + MS;
}

/*
 * Session j of a stream that opens and closes: ends 5 us after j - 1
 * (200,000 a second), lasted up to a second; close 0 is its UPDATE, 1 its
 * CLOSE (closed by fin).
 */
static void
ev_stream(struct proto_event *e, uint64_t j, uint64_t base, int close)
{
	uint64_t end = base + j * 5000;

	memset(e, 0, sizeof(*e));
	session_addr(e, j);
	counters(e, j);
	e->start_ns = end - (1 + j % 997) * MS;
	if (close) {
		e->kind = PROTO_EV_CLOSE;
		e->last_ns = end;
		e->status = 1;
		e->reason = 1;
		e->tcp_flags[0] |= 0x01;
		e->tcp_flags[1] |= 0x01;
	} else {
		e->kind = PROTO_EV_UPDATE;
		e->last_ns = e->start_ns + MS / 2;
	}
}

/* Encodes events into one body (the part after proto_batch_begin). */
static void
body_make(struct body *bd, const struct proto_event *ev, uint32_t n)
{
	struct proto_buf pb;
	struct proto_batch b;
	size_t hl;
	uint32_t i;

	memset(&b, 0, sizeof(b));
	b.agent_id = "template";
	b.agent_len = 8;
	b.host = "";
	b.boot_id = 1;
	b.seq = b.floor_seq = 1;
	b.nevents = n;
	proto_buf_init(&pb, PROTO_MAX_MSG_DEFAULT);
	if (proto_batch_begin(&pb, &b) != 0)
		die("%s", "cannot encode a batch header");
	hl = pb.len;
	for (i = 0; i < n; i++)
		if (proto_batch_add_event(&pb, &ev[i]) != 0)
			die("%s", "a batch is over 1 MiB: use fewer events (-b)");
	bd->len = pb.len - hl;
	bd->data = xmalloc(bd->len);
	memcpy(bd->data, pb.data + hl, bd->len);
	bd->nev = n;
	proto_buf_free(&pb);
}

static void
bodies_add(struct bodies *bs, const struct proto_event *ev, uint32_t n)
{
	bs->v = xreallocarray(bs->v, bs->n + 1, sizeof(*bs->v));
	body_make(&bs->v[bs->n], ev, n);
	bs->events += n;
	bs->bytes += bs->v[bs->n].len;
	bs->n++;
}

/* UPDATEs of sessions [0, nsess) in batches of per. */
static void
bodies_updates(struct bodies *bs, uint64_t nsess, uint32_t per, uint64_t base)
{
	struct proto_event *ev = xcalloc(per, sizeof(*ev));
	uint64_t j = 0;
	uint32_t n;

	while (j < nsess) {
		for (n = 0; n < per && j < nsess; n++, j++)
			ev_update(&ev[n], j, base);
		bodies_add(bs, ev, n);
	}
	free(ev);
}

/* Per batch: per / 2 sessions opened (UPDATE) then closed (CLOSE). */
static void
bodies_stream(struct bodies *bs, uint64_t nsess, uint32_t per, uint64_t base)
{
	struct proto_event *ev = xcalloc(per, sizeof(*ev));
	uint32_t half = per / 2 ? per / 2 : 1, n, k;
	uint64_t j = 0;

	while (j < nsess) {
		for (n = 0; n < half && j + n < nsess; n++)
			ev_stream(&ev[n], j + n, base, 0);
		for (k = 0; k < n; k++)
			ev_stream(&ev[n + k], j + k, base, 1);
		j += n;
		bodies_add(bs, ev, 2 * n);
	}
	free(ev);
}

static void
bodies_free(struct bodies *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		free(bs->v[i].data);
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}

/* ---- the pump: send within the window, take acks ---- */

static void
pump_init(struct pump *p, const char *ep, int nag, const char *prefix,
    const struct bodies *bs, uint32_t window, struct qc *qc)
{
	int zero = 0, hwm = 100000, i;

	memset(p, 0, sizeof(*p));
	p->nag = nag;
	p->bs = bs;
	p->window = window;
	p->qc = qc;
	proto_buf_init(&p->hdr, 4096);
	for (i = 0; i < nag; i++) {
		struct agent *a = &p->ag[i];

		snprintf(a->id, sizeof(a->id), "%s-%llx-%d", prefix,
		    (unsigned long long)(sa_wall_ns() / MS % 0xffffff), i);
		a->boot_id = rng() | 1;
		if ((a->sock = zmq_socket(zctx, ZMQ_DEALER)) == NULL)
			die("zmq_socket: %s", zmq_strerror(zmq_errno()));
		zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_setsockopt(a->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		if (zmq_connect(a->sock, ep) != 0)
			die("cannot connect to %s", ep);
	}
}

static void
pump_close(struct pump *p)
{
	int i;

	for (i = 0; i < p->nag; i++)
		zmq_close(p->ag[i].sock);
	proto_buf_free(&p->hdr);
}

static const struct body *
body_of(const struct pump *p, uint64_t seq)
{
	return &p->bs->v[(seq - 1) % p->bs->n];
}

/* Sends the agent's next batch. 1 sent, 0 the pipe is full. */
static int
send_next(struct pump *p, struct agent *a)
{
	const struct body *bd = body_of(p, a->sent + 1);
	struct proto_batch b;
	zmq_msg_t m;

	memset(&b, 0, sizeof(b));
	b.agent_id = a->id;
	b.agent_len = (uint32_t)strlen(a->id);
	b.host = "agg-bench";
	b.host_len = 9;
	b.boot_id = a->boot_id;
	b.seq = a->sent + 1;
	b.floor_seq = a->acked + 1;
	b.sent_ns = sa_wall_ns();
	b.nevents = bd->nev;
	proto_buf_reset(&p->hdr);
	if (proto_batch_begin(&p->hdr, &b) != 0)
		die("%s", "cannot encode a batch header");
	zmq_msg_init_size(&m, p->hdr.len + bd->len);
	memcpy(zmq_msg_data(&m), p->hdr.data, p->hdr.len);
	memcpy((uint8_t *)zmq_msg_data(&m) + p->hdr.len, bd->data, bd->len);
	if (zmq_msg_send(&m, a->sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		if (zmq_errno() == EAGAIN)
			return 0;
		die("send: %s", zmq_strerror(zmq_errno()));
	}
	a->sent++;
	a->ev_sent += bd->nev;
	return 1;
}

static void
take_acks(struct pump *p, struct agent *a)
{
	uint8_t buf[512];
	struct proto_ack ack;
	int n;

	while ((n = zmq_recv(a->sock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
		if (proto_ack_decode(buf, (size_t)n > sizeof(buf) ? sizeof(buf) :
		    (size_t)n, &ack) != 0 || ack.boot_id != a->boot_id)
			continue;
		if (ack.status == PROTO_ACK_REJECTED)
			die("batch rejected: %s", ack.reason);
		if (ack.seq > a->acked) {
			uint64_t s;

			for (s = a->acked + 1; s <= ack.seq && s <= a->sent;
			    s++)
				a->ev_acked += body_of(p, s)->nev;
			a->acked = ack.seq;
			a->last_ack_ns = sa_mono_ns();
		}
		if (ack.status == PROTO_ACK_RESEND) {
			/* Go back: everything after seq goes again. */
			p->resends++;
			a->ev_sent = a->ev_acked;
			a->sent = a->acked;
		}
	}
}

static uint64_t
pump_ev_sent(const struct pump *p)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < p->nag; i++)
		n += p->ag[i].ev_sent;
	return n;
}

static int
may_send(struct pump *p, const struct agent *a)
{
	if (p->stop || (a->limit != 0 && a->sent >= a->limit))
		return 0;
	if (p->rate_bps > 0 && (double)a->sent >= (double)(sa_mono_ns() -
	    p->t0) / 1e9 * p->rate_bps)
		return 0;
	if (p->by_applied)
		return pump_ev_sent(p) - p->applied <
		    (uint64_t)p->window * p->bs->v[0].nev;
	return a->sent - a->acked < p->window;
}

/*
 * Sends what the windows allow, then waits up to timeout_ms for acks and
 * takes them. With by_applied, asks the aggregator how far it got when a
 * window is full (at most every 2 ms).
 */
static void
pump_step(struct pump *p, int timeout_ms)
{
	zmq_pollitem_t pi[MAX_AGENTS];
	int i, blocked = 0;

	for (i = 0; i < p->nag; i++) {
		struct agent *a = &p->ag[i];

		while (may_send(p, a))
			if (!send_next(p, a)) {
				blocked = 1;
				break;
			}
		if (!p->stop && (a->limit == 0 || a->sent < a->limit))
			blocked = 1;
	}
	if (p->by_applied && blocked && sa_mono_ns() - p->applied_ns > 2 * MS) {
		struct metrics m;

		get_metrics(p->qc, &m);
		p->applied = m.events_applied - p->applied0;
		p->applied_ns = sa_mono_ns();
		timeout_ms = 0;
	}
	for (i = 0; i < p->nag; i++) {
		pi[i].socket = p->ag[i].sock;
		pi[i].fd = 0;
		pi[i].events = ZMQ_POLLIN;
		pi[i].revents = 0;
	}
	if (zmq_poll(pi, p->nag, timeout_ms) < 0 && zmq_errno() != EINTR)
		die("poll: %s", zmq_strerror(zmq_errno()));
	for (i = 0; i < p->nag; i++)
		if (pi[i].revents & ZMQ_POLLIN)
			take_acks(p, &p->ag[i]);
}

static int
pump_all_acked(const struct pump *p)
{
	int i;

	for (i = 0; i < p->nag; i++)
		if (p->ag[i].acked < p->ag[i].sent ||
		    (p->ag[i].limit != 0 && p->ag[i].acked < p->ag[i].limit))
			return 0;
	return 1;
}

/* Stops sending and waits up to timeout_ns for the acks in flight. */
static int
pump_drain(struct pump *p, uint64_t timeout_ns)
{
	uint64_t end = sa_mono_ns() + timeout_ns;

	p->stop = 1;
	while (!pump_all_acked(p) && sa_mono_ns() < end)
		pump_step(p, 10);
	return pump_all_acked(p);
}

static uint64_t
pump_ev_acked(const struct pump *p)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < p->nag; i++)
		n += p->ag[i].ev_acked;
	return n;
}

/* ---- modes ---- */

struct opts {
	const char	*ep, *qep, *capture, *pcap, *log;
	const char	*sets[MAX_SETS];
	int		 nsets;
	int		 agents;
	uint64_t	 pool, sessions;
	uint32_t	 per, window;
	double		 warm_s, secs, settle_s;
	uint64_t	 rate;
	int		 pid;
	int		 wait_ack;
	uint64_t	 gap_ms;
	double		 tail_s;
};

static int
mode_updates(const struct opts *o)
{
	struct bodies bs;
	struct pump *p = xcalloc(1, sizeof(*p));
	struct qc qc;
	struct metrics m0, m1;
	struct cpu_snap c0, c1;
	uint64_t t0, t1, end, a0, base = sa_wall_ns() - 60 * NS;
	double secs, rate, cpu, s0;

	memset(&bs, 0, sizeof(bs));
	bodies_updates(&bs, o->pool, o->per, base);
	printf("updates: %d agents x %llu sessions, %zu batches of %u events "
	    "(%.0f bytes/event), window %u batches per agent\n", o->agents,
	    (unsigned long long)o->pool, bs.n, o->per,
	    (double)bs.bytes / (double)bs.events, o->window);
	qc_open(&qc, o->qep);
	pump_init(p, o->ep, o->agents, "upd", &bs, o->window, &qc);
	end = sa_mono_ns() + (uint64_t)(o->warm_s * 1e9);
	while (sa_mono_ns() < end)
		pump_step(p, 1);
	get_metrics(&qc, &m0);
	cpu_snap(o->pid, &c0);
	s0 = self_cpu_s();
	t0 = sa_mono_ns();
	a0 = pump_ev_acked(p);
	end = t0 + (uint64_t)(o->secs * 1e9);
	while (sa_mono_ns() < end)
		pump_step(p, 1);
	get_metrics(&qc, &m1);
	t1 = sa_mono_ns();
	cpu_snap(o->pid, &c1);
	secs = (double)(t1 - t0) / 1e9;
	rate = (double)(m1.events_applied - m0.events_applied) / secs;
	printf("  events applied: %llu in %.2f s = %.0f events/s (acked "
	    "%.0f/s)\n", (unsigned long long)(m1.events_applied -
	    m0.events_applied), secs, rate,
	    (double)(pump_ev_acked(p) - a0) / secs);
	printf("  commits: %llu, mean store write %.1f ms; sessions active "
	    "%llu; resends %llu\n", (unsigned long long)(m1.commits -
	    m0.commits), m1.commit_count > m0.commit_count ?
	    (m1.commit_secs - m0.commit_secs) * 1e3 /
	    (double)(m1.commit_count - m0.commit_count) : 0,
	    (unsigned long long)m1.sessions_active,
	    (unsigned long long)p->resends);
	cpu = cpu_report("aggregator", &c0, &c1, secs);
	printf("  sa_agg_bench CPU: %.0f%% of one core\n",
	    (self_cpu_s() - s0) / secs * 100);
	if (!pump_drain(p, 10 * NS))
		fprintf(stderr, "sa_agg_bench: not every batch was acked\n");
	printf("result: events_per_s=%.0f secs=%.2f cpu=%.2f\n", rate, secs,
	    cpu);
	pump_close(p);
	zmq_close(qc.sock);
	bodies_free(&bs);
	free(p);
	return 0;
}

static int
mode_closes(const struct opts *o)
{
	struct bodies bs;
	struct pump *p = xcalloc(1, sizeof(*p));
	struct qc qc;
	struct metrics m0, m1;
	struct cpu_snap c0, c1;
	uint64_t t0, t1, last = 0, written, base = sa_wall_ns() - 60 * NS;
	double secs, rate, cpu, s0;
	int i;

	memset(&bs, 0, sizeof(bs));
	bodies_stream(&bs, o->sessions, o->per, base);
	printf("closes: %d agents x %llu sessions (UPDATE + CLOSE each), %zu "
	    "batches of %u events, window %u batches per agent\n", o->agents,
	    (unsigned long long)o->sessions, bs.n, o->per, o->window);
	qc_open(&qc, o->qep);
	pump_init(p, o->ep, o->agents, "cls", &bs, o->window, &qc);
	for (i = 0; i < o->agents; i++)
		p->ag[i].limit = bs.n;
	sleep_ns(100 * MS);	/* let the connections come up */
	get_metrics(&qc, &m0);
	cpu_snap(o->pid, &c0);
	s0 = self_cpu_s();
	t0 = sa_mono_ns();
	while (!pump_all_acked(p) && sa_mono_ns() - t0 < 600 * NS)
		pump_step(p, 5);
	for (i = 0; i < o->agents; i++)
		if (p->ag[i].last_ack_ns > last)
			last = p->ag[i].last_ack_ns;
	t1 = last > t0 ? last : sa_mono_ns();
	cpu_snap(o->pid, &c1);
	get_metrics(&qc, &m1);
	secs = (double)(t1 - t0) / 1e9;
	written = m1.sessions_written - m0.sessions_written;
	rate = (double)written / secs;
	printf("  sessions written: %llu of %llu in %.2f s (first send to "
	    "last ack) = %.0f sessions/s\n", (unsigned long long)written,
	    (unsigned long long)(o->sessions * (uint64_t)o->agents), secs,
	    rate);
	printf("  commits: %llu, mean store write %.1f ms (%.0f sessions "
	    "each); events applied %.0f/s\n", (unsigned long long)(m1.commits -
	    m0.commits), m1.commit_count > m0.commit_count ?
	    (m1.commit_secs - m0.commit_secs) * 1e3 /
	    (double)(m1.commit_count - m0.commit_count) : 0,
	    m1.commits > m0.commits ? (double)written /
	    (double)(m1.commits - m0.commits) : 0,
	    (double)(m1.events_applied - m0.events_applied) / secs);
	cpu = cpu_report("aggregator", &c0, &c1, secs);
	printf("  sa_agg_bench CPU: %.0f%% of one core\n",
	    (self_cpu_s() - s0) / secs * 100);
	printf("result: sessions_per_s=%.0f written=%llu secs=%.2f "
	    "cpu=%.2f\n", rate, (unsigned long long)written, secs, cpu);
	pump_close(p);
	zmq_close(qc.sock);
	bodies_free(&bs);
	free(p);
	return 0;
}

/* The exporter's lag at one sample of the steady mode. */
struct lag_sample {
	double		 t, lag_s;
	uint64_t	 written, lag_n, pos;
};

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* p50, p99 (nearest rank) and max of v[0..n) (sorts v). */
static void
pctl(double *v, size_t n, double *p50, double *p99, double *max)
{
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), dbl_cmp);
	*p50 = v[(n - 1) / 2];
	*p99 = v[(size_t)((double)(n - 1) * 0.99 + 0.5)];
	*max = v[n - 1];
}

/*
 * Slope of y over x by least squares (per second): how fast the lag
 * grows over the samples [from, n).
 */
static double
slope(const struct lag_sample *s, size_t from, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = (double)(n - from);
	size_t i;

	if (n < from + 2)
		return 0;
	for (i = from; i < n; i++) {
		sx += s[i].t;
		sy += (double)s[i].lag_n;
		sxx += s[i].t * s[i].t;
		sxy += s[i].t * (double)s[i].lag_n;
	}
	return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

/* A number of the metrics' export object, 0 if absent (export off);
 * a key ending in "_ms" reads the seconds of its stem in ms. */
static uint64_t
json_pos(const char *body, const char *key)
{
	char stem[40];
	size_t l = strlen(key);
	double v;

	if (l > 3 && l < sizeof(stem) && strcmp(key + l - 3, "_ms") == 0) {
		memcpy(stem, key, l - 3);
		stem[l - 3] = '\0';
		v = json_num(body, "\"export\"", stem) * 1e3;
	} else
		v = json_num(body, "\"export\"", key);
	return v > 0 ? (uint64_t)v : 0;
}

static int
mode_steady(const struct opts *o)
{
	struct bodies bs;
	struct pump *p = xcalloc(1, sizeof(*p));
	struct qc qc;
	struct cpu_snap c0, c1;
	struct lag_sample *sm;
	uint64_t per_agent, base = sa_wall_ns() - 60 * NS, next, w0, pos0;
	uint32_t half = o->per / 2 ? o->per / 2 : 1;
	double secs, *v, p50, p99, max, grow, wrate, xrate, cpu = 0;
	size_t n = 0, cap, i;
	char *b;
	int bounded;

	per_agent = (uint64_t)((double)o->rate * o->secs / o->agents) + half;
	memset(&bs, 0, sizeof(bs));
	bodies_stream(&bs, per_agent, o->per, base);
	printf("steady: %llu sessions/s offered for %.0f s by %d agents, "
	    "batches of %u sessions, window %u batches per agent\n",
	    (unsigned long long)o->rate, o->secs, o->agents, half,
	    o->window);
	qc_open(&qc, o->qep);
	pump_init(p, o->ep, o->agents, "std", &bs, o->window, &qc);
	p->rate_bps = (double)o->rate / o->agents / half;
	for (i = 0; i < (size_t)o->agents; i++)
		p->ag[i].limit = bs.n;
	cap = (size_t)o->secs + 16;
	sm = xcalloc(cap, sizeof(*sm));
	v = xcalloc(cap, sizeof(*v));
	sleep_ns(100 * MS);	/* let the connections come up */
	b = qc_ask(&qc, "metrics", NULL, 0);
	w0 = json_u64(b, "store_sessions_written");
	pos0 = json_pos(b, "position");
	free(b);
	if (o->pid > 0)
		cpu_snap(o->pid, &c0);
	p->t0 = sa_mono_ns();
	next = p->t0 + NS;
	while (sa_mono_ns() - p->t0 < (uint64_t)(o->secs * 1e9)) {
		pump_step(p, 1);
		if (sa_mono_ns() < next)
			continue;
		next += NS;
		b = qc_ask(&qc, "metrics", NULL, 0);
		if (n < cap) {
			sm[n].t = (double)(sa_mono_ns() - p->t0) / 1e9;
			sm[n].written = json_u64(b, "store_sessions_written") -
			    w0;
			sm[n].lag_n = json_pos(b, "lag_sessions");
			sm[n].lag_s = (double)json_pos(b, "lag_seconds_ms") /
			    1e3;
			sm[n].pos = json_pos(b, "position") - pos0;
			printf("  t=%.0f offered=%llu written=%llu exported=%llu "
			    "lag_sessions=%llu lag_seconds=%.2f\n", sm[n].t,
			    (unsigned long long)pump_ev_sent(p) / 2,
			    (unsigned long long)sm[n].written,
			    (unsigned long long)sm[n].pos,
			    (unsigned long long)sm[n].lag_n, sm[n].lag_s);
			n++;
		}
		free(b);
	}
	secs = (double)(sa_mono_ns() - p->t0) / 1e9;
	if (o->pid > 0) {
		cpu_snap(o->pid, &c1);
		cpu = cpu_report("aggregator", &c0, &c1, secs);
	}
	if (n == 0)
		die("%s", "no sample taken");
	/* Rates over the second half, once the pipeline is full. */
	i = n / 2;
	wrate = (double)(sm[n - 1].written - sm[i].written) /
	    (sm[n - 1].t - sm[i].t);
	xrate = (double)(sm[n - 1].pos - sm[i].pos) / (sm[n - 1].t - sm[i].t);
	grow = slope(sm, i, n);
	/* Bounded: over the second half the lag grows by less than 1% of
	 * the offered rate a second, and export keeps pace with the store. */
	bounded = grow < 0.01 * (double)o->rate && xrate >= 0.97 * wrate;
	for (i = 0; i < n; i++)
		v[i] = (double)sm[i].lag_n;
	pctl(v, n, &p50, &p99, &max);
	printf("result: offered_per_s=%llu sent_per_s=%.0f written_per_s=%.0f "
	    "exported_per_s=%.0f lag_sessions_p50=%.0f lag_sessions_p99=%.0f "
	    "lag_sessions_max=%.0f", (unsigned long long)o->rate,
	    (double)pump_ev_sent(p) / 2 / secs, wrate, xrate, p50, p99, max);
	for (i = 0; i < n; i++)
		v[i] = sm[i].lag_s;
	pctl(v, n, &p50, &p99, &max);
	printf(" lag_seconds_p50=%.2f lag_seconds_p99=%.2f "
	    "lag_seconds_max=%.2f lag_growth_per_s=%.0f bounded=%s "
	    "written=%llu exported=%llu secs=%.1f cpu=%.2f\n", p50, p99, max,
	    grow, bounded ? "yes" : "no",
	    (unsigned long long)sm[n - 1].written,
	    (unsigned long long)sm[n - 1].pos, secs, cpu);
	pump_close(p);
	zmq_close(qc.sock);
	bodies_free(&bs);
	free(sm);
	free(v);
	free(p);
	return bounded ? 0 : 3;
}

static int
mode_open(const struct opts *o)
{
	struct bodies bs;
	struct pump *p = xcalloc(1, sizeof(*p));
	struct qc qc;
	struct metrics m;
	struct cpu_snap c0, c1;
	uint64_t idle, rss1, hwm1, rss2 = 0, hwm2 = 0, t0, base;
	double per1, per2 = 0;

	if (o->pid <= 0)
		die("%s", "open wants the aggregator's pid (-P)");
	base = sa_wall_ns() - 60 * NS;
	memset(&bs, 0, sizeof(bs));
	bodies_updates(&bs, o->sessions, o->per, base);
	qc_open(&qc, o->qep);
	get_metrics(&qc, &m);
	idle = proc_status_kb(o->pid, "VmRSS:");
	printf("open: %llu sessions (UPDATE only) in %zu batches; idle "
	    "aggregator VmRSS %llu KiB\n", (unsigned long long)o->sessions,
	    bs.n, (unsigned long long)idle);
	pump_init(p, o->ep, 1, "open", &bs, o->window, &qc);
	p->by_applied = 1;
	p->applied0 = m.events_applied;
	p->ag[0].limit = bs.n;
	t0 = sa_mono_ns();
	while (p->applied < bs.events && sa_mono_ns() - t0 < 300 * NS) {
		pump_step(p, 1);
		if (p->ag[0].sent == bs.n) {
			get_metrics(&qc, &m);
			p->applied = m.events_applied - p->applied0;
			sleep_ns(2 * MS);
		}
	}
	get_metrics(&qc, &m);
	printf("  applied in %.2f s; sessions active %llu\n",
	    (double)(sa_mono_ns() - t0) / 1e9,
	    (unsigned long long)m.sessions_active);
	sleep_ns((uint64_t)(o->settle_s * 1e9));
	rss1 = proc_status_kb(o->pid, "VmRSS:");
	hwm1 = proc_status_kb(o->pid, "VmHWM:");
	per1 = (double)(rss1 - idle) * 1024 / (double)m.sessions_active;
	printf("  applied, %s: VmRSS %llu KiB, VmHWM %llu KiB: %.1f "
	    "bytes per session\n", o->wait_ack ? "before the commit's acks" :
	    "not committed", (unsigned long long)rss1,
	    (unsigned long long)hwm1, per1);
	if (o->wait_ack) {
		p->by_applied = 0;
		if (!pump_drain(p, 120 * NS))
			die("%s", "the acks did not come within 120 s");
		printf("  acked (checkpoint committed) after %.2f s\n",
		    (double)(sa_mono_ns() - t0) / 1e9);
		sleep_ns((uint64_t)(o->settle_s * 1e9));
		get_metrics(&qc, &m);
		rss2 = proc_status_kb(o->pid, "VmRSS:");
		hwm2 = proc_status_kb(o->pid, "VmHWM:");
		per2 = (double)(rss2 - idle) * 1024 /
		    (double)m.sessions_active;
		printf("  committed: VmRSS %llu KiB, VmHWM %llu KiB: %.1f "
		    "bytes per session (peak %.1f)\n",
		    (unsigned long long)rss2, (unsigned long long)hwm2, per2,
		    (double)(hwm2 - idle) * 1024 / (double)m.sessions_active);
		printf("  RocksDB says: memtables %.1f MiB, block cache %.1f "
		    "MiB, table readers %.1f MiB\n",
		    (double)m.mem_memtables / 1048576,
		    (double)m.mem_cache / 1048576,
		    (double)m.mem_readers / 1048576);
		cpu_snap(o->pid, &c0);
		sleep_ns(3 * NS);
		cpu_snap(o->pid, &c1);
		cpu_report("idle with these sessions open,", &c0, &c1, 3);
	}
	printf("result: sessions=%llu idle_kb=%llu rss_kb=%llu hwm_kb=%llu "
	    "per_session=%.1f rss2_kb=%llu hwm2_kb=%llu per_session2=%.1f "
	    "peak_per_session2=%.1f\n",
	    (unsigned long long)m.sessions_active, (unsigned long long)idle,
	    (unsigned long long)rss1, (unsigned long long)hwm1, per1,
	    (unsigned long long)rss2, (unsigned long long)hwm2, per2,
	    hwm2 > idle ? (double)(hwm2 - idle) * 1024 /
	    (double)m.sessions_active : 0.0);
	pump_close(p);
	zmq_close(qc.sock);
	bodies_free(&bs);
	free(p);
	return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50, p99 (nearest rank) and max of n delays, printed in ms. */
static void
print_delays(const char *what, uint64_t *d, size_t n)
{
	size_t r99 = (n * 99 + 99) / 100;

	qsort(d, n, sizeof(*d), u64_cmp);
	if (n == 0) {
		printf("result: %s n=0\n", what);
		return;
	}
	if (r99 < 1)
		r99 = 1;
	printf("  %s over %zu sessions: min %.0f ms, p50 %.0f ms, p99 %.0f "
	    "ms, max %.0f ms\n", what, n, d[0] / 1e6, d[(n - 1) / 2] / 1e6,
	    d[r99 - 1] / 1e6, d[n - 1] / 1e6);
	printf("result: n=%zu p50_ms=%.0f p99_ms=%.0f max_ms=%.0f min_ms=%.0f"
	    "\n", n, d[(n - 1) / 2] / 1e6, d[r99 - 1] / 1e6, d[n - 1] / 1e6,
	    d[0] / 1e6);
}

/* Client address of latency probe k: 10.77.k/256.k%256 + 1. */
static void
probe_ip(char *out, size_t len, uint32_t k)
{
	snprintf(out, len, "10.77.%u.%u", (k + 1) >> 8, (k + 1) & 0xff);
}

/* Whether history shows pat, and "close_reason":"fin" after it. */
static int
history_has_pat(const char *body, const char *pat)
{
	const char *p, *q;

	if ((p = strstr(body, pat)) == NULL)
		return 0;
	q = strstr(p, "\"close_reason\":");
	return q != NULL && strncmp(q + 15, "\"fin\"", 5) == 0;
}

/* Whether history (newest first) shows probe k's client, closed by fin. */
static int
history_has(const char *body, uint32_t k)
{
	char ip[32], pat[64];

	probe_ip(ip, sizeof(ip), k);
	snprintf(pat, sizeof(pat), "\"source_ip\":\"%s\"", ip);
	return history_has_pat(body, pat);
}

static int
mode_fin(const struct opts *o)
{
	static const char *const hp[] = { "limit=1000" };
	uint32_t n = (uint32_t)o->sessions, k, closed = 0, seen_n = 0;
	struct proto_event *ev = xcalloc(n, sizeof(*ev));
	uint64_t *sent_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *seen_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *acked_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *d = xcalloc(n, sizeof(uint64_t));
	uint64_t base = sa_wall_ns() - 10 * NS, next_close, next_poll, t0;
	struct bodies bs;
	struct pump *p = xcalloc(1, sizeof(*p));
	struct qc qc;
	size_t nd = 0;

	/* Body 0 opens every probe; body k + 1 closes probe k alone. */
	memset(&bs, 0, sizeof(bs));
	for (k = 0; k < n; k++) {
		memset(&ev[k], 0, sizeof(ev[k]));
		ev[k].kind = PROTO_EV_UPDATE;
		ev[k].af = 4;
		ev[k].proto = 6;
		ev[k].cli[0] = 10;
		ev[k].cli[1] = 77;
		ev[k].cli[2] = (uint8_t)((k + 1) >> 8);
		ev[k].cli[3] = (uint8_t)(k + 1);
		ev[k].srv[0] = 192;
		ev[k].srv[2] = 2;
		ev[k].srv[3] = 10;
		ev[k].cli_port = (uint16_t)(40000 + k);
		ev[k].srv_port = 80;
		ev[k].start_ns = base + k * MS;
		ev[k].last_ns = ev[k].start_ns + MS;
		counters(&ev[k], k);
	}
	bodies_add(&bs, ev, n);
	for (k = 0; k < n; k++) {
		struct proto_event c = ev[k];

		c.kind = PROTO_EV_CLOSE;
		c.status = 1;
		c.reason = 1;
		c.last_ns = c.start_ns + 2 * MS;
		bodies_add(&bs, &c, 1);
	}
	qc_open(&qc, o->qep);
	pump_init(p, o->ep, 1, "fin", &bs, 1000, &qc);
	p->ag[0].limit = 1;
	t0 = sa_mono_ns();
	while (!pump_all_acked(p) && sa_mono_ns() - t0 < 10 * NS)
		pump_step(p, 5);
	printf("fin: %u sessions opened; each CLOSE sent alone at random "
	    "times, history polled every %llu ms\n", n,
	    (unsigned long long)(POLL_NS / MS));
	next_close = sa_wall_ns() + 100 * MS;
	next_poll = sa_wall_ns();
	t0 = sa_mono_ns();
	while (seen_n < n && sa_mono_ns() - t0 < 120 * NS) {
		uint64_t now = sa_wall_ns(), wake;

		if (closed < n && now >= next_close) {
			p->ag[0].limit = closed + 2;
			pump_step(p, 0);
			sent_at[closed++] = sa_wall_ns();
			/* 60 to 400 ms apart: every phase of the commit. */
			next_close = sa_wall_ns() + 60 * MS + rng() % (340 * MS);
		}
		if (now >= next_poll) {
			char *body = qc_ask(&qc, "history", hp, 1);

			now = sa_wall_ns();
			for (k = 0; k < closed; k++)
				if (seen_at[k] == 0 && history_has(body, k)) {
					seen_at[k] = now;
					seen_n++;
				}
			free(body);
			next_poll += POLL_NS;
			if (next_poll < now)
				next_poll = now + POLL_NS;
		}
		for (k = 0; k < closed; k++)
			if (acked_at[k] == 0 && p->ag[0].acked >= k + 2)
				acked_at[k] = sa_wall_ns();
		wake = next_poll;
		if (closed < n && next_close < wake)
			wake = next_close;
		now = sa_wall_ns();
		pump_step(p, wake > now ? (int)((wake - now) / MS) : 0);
	}
	for (k = 0; k < closed; k++)
		if (acked_at[k] != 0)
			d[nd++] = acked_at[k] - sent_at[k];
	print_delays("CLOSE sent -> ack", d, nd);
	nd = 0;
	for (k = 0; k < closed; k++)
		if (seen_at[k] != 0)
			d[nd++] = seen_at[k] - sent_at[k];
	if (nd < n)
		printf("  %zu of %u sessions never seen in history\n", n - nd,
		    n);
	print_delays("CLOSE sent -> in history", d, nd);
	pump_close(p);
	zmq_close(qc.sock);
	bodies_free(&bs);
	free(p);
	free(ev);
	free(sent_at);
	free(seen_at);
	free(acked_at);
	free(d);
	return 0;
}

/* ---- replay: a capture of FIN-closed sessions for the real agent ---- */

struct pkt {
	uint64_t	 ts;
	uint32_t	 order;
	uint16_t	 len;
	uint8_t		 data[1100];
};

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/*
 * One Ethernet + IPv4 frame, TCP (proto 6: seq, ack, flags) or UDP, with
 * payload zero bytes, checksums right.
 */
static void
mk_frame(struct pkt *k, uint64_t ts, uint8_t proto, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, uint32_t seq,
    uint32_t ack, uint8_t flags, uint16_t payload)
{
	uint8_t *ip = k->data + 14, *l4 = ip + 20, ph[12];
	uint16_t l4len = (uint16_t)((proto == 6 ? 20 : 8) + payload);
	uint32_t s;

	memset(k->data, 0, sizeof(k->data));
	k->ts = ts;
	memcpy(k->data, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, (uint16_t)(k->order & 0xffff));
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(l4, sport);
	put16(l4 + 2, dport);
	if (proto == 6) {
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16(l4 + 14, 65535);
	} else
		put16(l4 + 4, l4len);
	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, l4len);
	s = csum_add(csum_add(0, ph, 12), l4, l4len);
	put16(l4 + (proto == 6 ? 16 : 6), csum_fold(s));
	k->len = (uint16_t)(14 + 20 + l4len);
}

static int
pkt_cmp(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Writes n TCP sessions, one every gap_ms from 1 s in, each a handshake,
 * a request and its answer, then FIN both ways and the last ACK; plus a
 * UDP flow, a packet every 100 ms, from the start to tail_s after the last
 * FIN, so the agent's packet clock keeps moving. fin_off[k] gets the
 * offset of session k's second FIN from the first packet. ts0 is the
 * first packet's time.
 */
static void
write_pcap(const char *path, uint32_t n, uint64_t gap_ms, double tail_s,
    uint64_t ts0, uint64_t *fin_off)
{
	static const uint8_t srv[4] = { 192, 0, 2, 10 }, usrv[4] =
	    { 192, 0, 2, 20 }, ucli[4] = { 10, 77, 255, 1 };
	uint64_t last_fin = 1 * NS + (uint64_t)(n - 1) * gap_ms * MS + 51 * MS;
	uint64_t tail = last_fin + (uint64_t)(tail_s * 1e9), t;
	size_t cap = (size_t)n * 9 + (size_t)(tail / (100 * MS)) + 16, np = 0, i;
	struct pkt *pk = xcalloc(cap, sizeof(*pk));
	/* Classic pcap, little-endian, nanosecond stamps, 65535, Ethernet. */
	static const uint8_t pcap_hdr[24] = { 0x4d, 0x3c, 0xb2, 0xa1, 2, 0,
	    4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	uint8_t rh[16], cli[4];
	uint32_t k;
	FILE *fp;

	for (t = 0; t <= tail; t += 100 * MS) {
		pk[np].order = (uint32_t)np;
		mk_frame(&pk[np], ts0 + t, 17, ucli, 5000, usrv, 5000, 0, 0, 0,
		    40);
		np++;
	}
	for (k = 0; k < n; k++) {
		uint64_t s0 = ts0 + 1 * NS + (uint64_t)k * gap_ms * MS;
		uint32_t c = 1000 + k, sv = 5000 + k;
		uint16_t cp = (uint16_t)(40000 + k);
		struct {
			uint64_t	 at;	/* ms after s0 */
			int		 fwd;	/* client to server */
			uint32_t	 seq, ack;
			uint8_t		 flags;
			uint16_t	 len;
		} step[] = {
			{ 0, 1, c, 0, 0x02, 0 },
			{ 1, 0, sv, c + 1, 0x12, 0 },
			{ 2, 1, c + 1, sv + 1, 0x10, 0 },
			{ 3, 1, c + 1, sv + 1, 0x18, 100 },
			{ 20, 0, sv + 1, c + 101, 0x18, 1000 },
			{ 21, 1, c + 101, sv + 1001, 0x10, 0 },
			{ 50, 1, c + 101, sv + 1001, 0x11, 0 },
			{ 51, 0, sv + 1001, c + 102, 0x11, 0 },
			{ 52, 1, c + 102, sv + 1002, 0x10, 0 },
		};
		size_t j;

		cli[0] = 10;
		cli[1] = 77;
		cli[2] = (uint8_t)((k + 1) >> 8);
		cli[3] = (uint8_t)(k + 1);
		for (j = 0; j < sizeof(step) / sizeof(step[0]); j++) {
			pk[np].order = (uint32_t)np;
			if (step[j].fwd)
				mk_frame(&pk[np], s0 + step[j].at * MS, 6, cli,
				    cp, srv, 80, step[j].seq, step[j].ack,
				    step[j].flags, step[j].len);
			else
				mk_frame(&pk[np], s0 + step[j].at * MS, 6, srv,
				    80, cli, cp, step[j].seq, step[j].ack,
				    step[j].flags, step[j].len);
			np++;
		}
		fin_off[k] = s0 + 51 * MS - ts0;
	}
	qsort(pk, np, sizeof(*pk), pkt_cmp);
	if ((fp = fopen(path, "wb")) == NULL)
		die("cannot write %s", path);
	fwrite(pcap_hdr, 1, sizeof(pcap_hdr), fp);
	for (i = 0; i < np; i++) {
		uint32_t v[4];

		v[0] = (uint32_t)(pk[i].ts / NS);
		v[1] = (uint32_t)(pk[i].ts % NS);
		v[2] = v[3] = pk[i].len;
		for (k = 0; k < 4; k++) {
			rh[4 * k] = (uint8_t)v[k];
			rh[4 * k + 1] = (uint8_t)(v[k] >> 8);
			rh[4 * k + 2] = (uint8_t)(v[k] >> 16);
			rh[4 * k + 3] = (uint8_t)(v[k] >> 24);
		}
		fwrite(rh, 1, sizeof(rh), fp);
		fwrite(pk[i].data, 1, pk[i].len, fp);
	}
	if (fclose(fp) != 0)
		die("cannot write %s", path);
	printf("replay: wrote %s: %zu packets, %u TCP sessions closed by FIN "
	    "%llu ms apart, %.1f s long\n", path, np, n,
	    (unsigned long long)gap_ms, (double)tail / 1e9);
	free(pk);
}

static int
mode_replay(const struct opts *o)
{
	static const char *const hp[] = { "limit=1000" };
	uint32_t n = (uint32_t)o->sessions, k, seen_n = 0;
	uint64_t *fin_off = xcalloc(n, sizeof(uint64_t));
	uint64_t *seen_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *d = xcalloc(n, sizeof(uint64_t));
	uint64_t ts0 = sa_wall_ns() / MS * MS, t_exec, next_poll, exited = 0;
	char *argv[8 + 2 * MAX_SETS];
	int argc = 0, i, st = 0;
	struct qc qc;
	size_t nd = 0;
	pid_t pid;

	write_pcap(o->pcap, n, o->gap_ms, o->tail_s, ts0, fin_off);
	qc_open(&qc, o->qep);
	argv[argc++] = (char *)(uintptr_t)o->capture;
	argv[argc++] = "--read";
	argv[argc++] = (char *)(uintptr_t)o->pcap;
	argv[argc++] = "--connect";
	argv[argc++] = (char *)(uintptr_t)o->ep;
	argv[argc++] = "--speed";
	argv[argc++] = "1";
	for (i = 0; i < o->nsets; i++) {
		argv[argc++] = "--set";
		argv[argc++] = (char *)(uintptr_t)o->sets[i];
	}
	argv[argc] = NULL;
	fflush(stdout);
	t_exec = sa_wall_ns();
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(o->log != NULL ? o->log : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(o->capture, argv);
		_exit(127);
	}
	next_poll = sa_wall_ns();
	while (seen_n < n) {
		uint64_t now = sa_wall_ns();
		char *body;

		if (now < next_poll)
			sleep_ns(next_poll - now);
		body = qc_ask(&qc, "history", hp, 1);
		now = sa_wall_ns();
		for (k = 0; k < n; k++)
			if (seen_at[k] == 0 && history_has(body, k)) {
				seen_at[k] = now;
				seen_n++;
			}
		free(body);
		next_poll += POLL_NS;
		if (next_poll < now)
			next_poll = now + POLL_NS;
		if (exited == 0 && waitpid(pid, &st, WNOHANG) == pid)
			exited = now;
		if (exited != 0 && now - exited > 5 * NS)
			break;
		if (now - t_exec > (uint64_t)((o->tail_s + 60) * 1e9) +
		    (uint64_t)n * o->gap_ms * MS) {
			kill(pid, SIGTERM);
			break;
		}
	}
	if (exited == 0)
		waitpid(pid, &st, 0);
	printf("  agent exited with %d after %.1f s\n", WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1, (double)(sa_wall_ns() - t_exec) / 1e9);
	/* The agent's clock: replay start + (packet time - first packet). */
	for (k = 0; k < n; k++)
		if (seen_at[k] != 0)
			d[nd++] = seen_at[k] - (t_exec + fin_off[k]);
	if (nd < n)
		printf("  %zu of %u sessions never seen in history\n", n - nd,
		    n);
	print_delays("FIN -> in history", d, nd);
	zmq_close(qc.sock);
	free(fin_off);
	free(seen_at);
	free(d);
	return 0;
}

/* Reads exactly n bytes (or to EOF). */
static void
read_n(int fd, size_t n)
{
	char buf[2048];
	ssize_t r;

	while (n > 0 && (r = read(fd, buf, n < sizeof(buf) ? n :
	    sizeof(buf))) > 0)
		n -= (size_t)r;
}

/*
 * live: the real agent captures loopback (-i lo, only our listener's
 * port) while n TCP connections, gap_ms apart, each send a request, get
 * an answer and close: the client first, then the server. The FIN time is
 * the wall clock right after the server's close (the second FIN).
 */
static int
mode_live(const struct opts *o)
{
	static const char *const hp[] = { "limit=1000" };
	uint32_t n = (uint32_t)o->sessions, k = 0, seen_n = 0;
	uint64_t *fin_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *seen_at = xcalloc(n, sizeof(uint64_t));
	uint64_t *d = xcalloc(n, sizeof(uint64_t));
	uint16_t *port = xcalloc(n, sizeof(uint16_t));
	char filt[64], agent[80], aggr[300], ready[300];
	char *argv[16 + 2 * MAX_SETS], zero[1000];
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	uint64_t next_conn, next_poll, next_keep, wake, t0;
	int argc = 0, i, ls, kc, ka, st = 0;
	struct qc qc;
	size_t nd = 0;
	pid_t pid;

	memset(zero, 0, sizeof(zero));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
		die("listen: %s", strerror(errno));
	snprintf(filt, sizeof(filt), "tcp port %u", ntohs(sa.sin_port));
	snprintf(agent, sizeof(agent), "capture.agent_id=aggbench-live-%d",
	    (int)getpid());
	snprintf(aggr, sizeof(aggr), "capture.aggregator=%s", o->ep);
	snprintf(ready, sizeof(ready), "%s.ready", o->pcap);
	(void)unlink(ready);
	argv[argc++] = (char *)(uintptr_t)o->capture;
	argv[argc++] = "--interface";
	argv[argc++] = "lo";
	argv[argc++] = "--filter";
	argv[argc++] = filt;
	argv[argc++] = "--set";
	argv[argc++] = aggr;
	argv[argc++] = "--set";
	argv[argc++] = agent;
	argv[argc++] = "--ready-file";
	argv[argc++] = ready;
	for (i = 0; i < o->nsets; i++) {
		argv[argc++] = "--set";
		argv[argc++] = (char *)(uintptr_t)o->sets[i];
	}
	argv[argc] = NULL;
	qc_open(&qc, o->qep);
	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(o->log != NULL ? o->log : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close(ls);
		execv(o->capture, argv);
		_exit(127);
	}
	/* An agent without --ready-file support: give it 2 s. */
	t0 = sa_mono_ns();
	while (access(ready, F_OK) != 0 && sa_mono_ns() - t0 < 2 * NS) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			die("the agent did not start on lo (see %s)",
			    o->log != NULL ? o->log : "its log");
		sleep_ns(10 * MS);
	}
	sleep_ns(300 * MS);	/* the capture is live once ready; margin */
	printf("live: agent capturing lo (%s); %u connections %llu ms "
	    "apart, client closes first\n", filt, n,
	    (unsigned long long)o->gap_ms);
	/*
	 * A connection sending a byte every 50 ms keeps packets coming: on a
	 * quiet link the agent's capture loop does not return, so nothing
	 * would expire (see docs/PERFORMANCE.md "Aggregator").
	 */
	if ((kc = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(kc, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (ka = accept(ls, NULL, NULL)) < 0)
		die("connect: %s", strerror(errno));
	next_conn = next_poll = next_keep = sa_wall_ns();
	t0 = sa_mono_ns();
	while (seen_n < n && sa_mono_ns() - t0 < (uint64_t)n * o->gap_ms * MS +
	    30 * NS) {
		uint64_t now = sa_wall_ns();

		if (now >= next_keep) {
			if (write(kc, zero, 1) != 1)
				die("%s", "write failed");
			read_n(ka, 1);
			next_keep += 50 * MS;
		}

		if (k < n && now >= next_conn) {
			struct sockaddr_in ca;
			socklen_t cl = sizeof(ca);
			int c, a;

			if ((c = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
			    connect(c, (struct sockaddr *)&sa,
			    sizeof(sa)) != 0 || (a = accept(ls, NULL,
			    NULL)) < 0 ||
			    getsockname(c, (struct sockaddr *)&ca, &cl) != 0)
				die("connect: %s", strerror(errno));
			port[k] = ntohs(ca.sin_port);
			if (write(c, zero, 100) != 100)
				die("%s", "write failed");
			read_n(a, 100);
			if (write(a, zero, 1000) != 1000)
				die("%s", "write failed");
			read_n(c, 1000);
			close(c);
			read_n(a, 1);	/* EOF: the client's FIN is in */
			close(a);
			fin_at[k++] = sa_wall_ns();
			next_conn += o->gap_ms * MS;
		}
		if (now >= next_poll) {
			char *body = qc_ask(&qc, "history", hp, 1);
			char pat[64];
			uint32_t j;

			now = sa_wall_ns();
			for (j = 0; j < k; j++) {
				snprintf(pat, sizeof(pat),
				    "\"source_port\":%u,", port[j]);
				if (seen_at[j] == 0 &&
				    history_has_pat(body, pat)) {
					seen_at[j] = now;
					seen_n++;
				}
			}
			free(body);
			next_poll += POLL_NS;
			if (next_poll < now)
				next_poll = now + POLL_NS;
		}
		now = sa_wall_ns();
		wake = next_poll < next_keep ? next_poll : next_keep;
		if (k < n && next_conn < wake)
			wake = next_conn;
		if (wake > now)
			sleep_ns(wake - now);
	}
	close(kc);
	close(ka);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	close(ls);
	for (k = 0; k < n; k++)
		if (seen_at[k] != 0)
			d[nd++] = seen_at[k] - fin_at[k];
	if (nd < n)
		printf("  %zu of %u sessions never seen in history\n", n - nd,
		    n);
	print_delays("FIN -> in history", d, nd);
	zmq_close(qc.sock);
	free(fin_at);
	free(seen_at);
	free(d);
	free(port);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sa_agg_bench updates|closes|steady|open|fin|replay|live "
	    "-e EP -q QEP "
	    "[options]\n"
	    "  -a AGENTS  -p POOL  -n SESSIONS  -b EVENTS_PER_BATCH  "
	    "-w WINDOW\n"
	    "  -W WARM_S  -t SECS  -P PID  -k (open: wait for acks)  "
	    "-S SETTLE_S\n"
	    "  -c CAPTURE_BIN  -o PCAP  -g GAP_MS  -T TAIL_S  -l LOG  "
	    "-s KEY=VAL  -r RATE (steady)\n");
	exit(2);
}

static uint64_t
num(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (sa_parse_u64(s, min, max, &v) != 0)
		die("bad number '%s'", s);
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *mode;
	int ch, rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	memset(&o, 0, sizeof(o));
	o.agents = 2;
	o.pool = 65536;
	o.sessions = 0;
	o.per = 4096;
	o.window = 64;
	o.warm_s = 2;
	o.secs = 10;
	o.settle_s = 1;
	o.gap_ms = 370;
	o.tail_s = 4;
	optind = 2;
	while ((ch = getopt(argc, argv, "e:q:a:p:n:b:w:W:t:P:kS:c:o:g:T:l:s:r:"))
	    != -1) {
		switch (ch) {
		case 'e':
			o.ep = optarg;
			break;
		case 'q':
			o.qep = optarg;
			break;
		case 'a':
			o.agents = (int)num(optarg, 1, MAX_AGENTS);
			break;
		case 'p':
			o.pool = num(optarg, 1, 100000000);
			break;
		case 'n':
			o.sessions = num(optarg, 1, 100000000);
			break;
		case 'b':
			o.per = (uint32_t)num(optarg, 2, PROTO_MAX_EVENTS);
			break;
		case 'w':
			o.window = (uint32_t)num(optarg, 1, 100000);
			break;
		case 'W':
			o.warm_s = (double)num(optarg, 0, 3600);
			break;
		case 't':
			o.secs = (double)num(optarg, 1, 3600);
			break;
		case 'P':
			o.pid = (int)num(optarg, 1, 1u << 30);
			break;
		case 'k':
			o.wait_ack = 1;
			break;
		case 'S':
			o.settle_s = (double)num(optarg, 0, 3600);
			break;
		case 'c':
			o.capture = optarg;
			break;
		case 'o':
			o.pcap = optarg;
			break;
		case 'g':
			o.gap_ms = num(optarg, 60, 100000);
			break;
		case 'T':
			o.tail_s = (double)num(optarg, 0, 3600);
			break;
		case 'l':
			o.log = optarg;
			break;
		case 'r':
			o.rate = num(optarg, 1, 10000000);
			break;
		case 's':
			if (o.nsets == MAX_SETS || strchr(optarg, '=') == NULL)
				usage();
			o.sets[o.nsets++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.ep == NULL || o.qep == NULL)
		usage();
	rng_state ^= sa_wall_ns();
	signal(SIGPIPE, SIG_IGN);
	if ((zctx = zmq_ctx_new()) == NULL)
		die("%s", "zmq_ctx_new failed");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "updates") == 0)
		rc = mode_updates(&o);
	else if (strcmp(mode, "closes") == 0) {
		if (o.sessions == 0)
			o.sessions = 500000;
		rc = mode_closes(&o);
	} else if (strcmp(mode, "steady") == 0) {
		if (o.rate == 0)
			usage();
		rc = mode_steady(&o);
	} else if (strcmp(mode, "open") == 0) {
		if (o.sessions == 0)
			o.sessions = 1000000;
		rc = mode_open(&o);
	} else if (strcmp(mode, "fin") == 0) {
		if (o.sessions == 0)
			o.sessions = 40;
		rc = mode_fin(&o);
	} else if (strcmp(mode, "replay") == 0) {
		if (o.sessions == 0)
			o.sessions = 30;
		if (o.capture == NULL || o.pcap == NULL)
			usage();
		rc = mode_replay(&o);
	} else if (strcmp(mode, "live") == 0) {
		if (o.sessions == 0)
			o.sessions = 30;
		if (o.capture == NULL || o.pcap == NULL)
			usage();
		rc = mode_live(&o);
	} else
		usage();
	zmq_ctx_term(zctx);
	return rc;
}
