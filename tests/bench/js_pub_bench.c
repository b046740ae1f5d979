/*
 * js_pub_bench: the ceiling of export to JetStream on this machine
 * (docs/PERFORMANCE.md "Export to JetStream"). It publishes N copies of
 * a real session's JSON (its session_id made unique per message) to a
 * stream it creates, the way the exporter does: libnats' asynchronous
 * JetStream publish with a bound on acks outstanding, and a Nats-Msg-Id
 * header. Options turn the header off, keep the stream in memory, wait
 * for every ack each ROUND messages, or publish with core NATS (no ack).
 * Not a test.
 *
 *   sa_js_pub_bench -s URL [-n N] [-w MAX_IN_FLIGHT] [-r ROUND] [-H]
 *	[-M] [-c] [-L] [-C CONNECTIONS] [-k SESSIONS_PER_MSG] [-S STREAM]
 *
 * -L publishes the lean way instead of js_PublishMsgAsync: a core
 * publish with a reply subject under one inbox of the connection's own,
 * one subscription on the inbox takes every ack (no pending map, no
 * per-message reply subscription state in libnats). -p sets libnats'
 * lock spin count (nats_Open; libnats' default otherwise).
 * -C publishes on several connections at once (N / C each, own thread);
 * -k puts K sessions, one JSON per line, in each message (what the
 * server's per-message cost would be with bigger messages). It prints
 * one line "RESULT msgs=N sessions_per_s=R ..." with the process's own
 * CPU seconds, and exits 1 if any message went unacknowledged (or, with
 * -c, unstored).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nats/nats.h>

#include "clock.h"
#include "parse.h"
#include "xmalloc.h"

/*
 * A session as the exporter publishes it (sessacct-capture --read of
 * sa_gen_pcap's capture, -s 7, agent "bench" as in export_bench.sh):
 * 552 bytes; that capture's sessions are 520-583, mean 557. The first
 * 16 of the session_id's hex digits are replaced per message.
 */
static const char js_pub_bench_body[] =
    "{\"session_id\":\"8c096adb0d73e0fb17979cfe3d21a830\",\"agent\":\"bench\","
    "\"protocol\":\"tcp\",\"source_ip\":\"10.52.151.163\",\"source_port\":36440,"
    "\"dest_ip\":\"198.18.0.31\",\"dest_port\":8080,\"user\":\"user19\","
    "\"target\":\"host379.example.net:80\","
    "\"start_time\":\"2023-11-14T22:13:20.025315736Z\","
    "\"end_time\":\"2023-11-14T22:13:20.150346173Z\","
    "\"duration_secs\":0.125030437,\"bytes_sent\":202,"
    "\"bytes_received\":2896,\"packets_sent\":4,\"packets_received\":3,"
    "\"wire_bytes_sent\":406,\"wire_bytes_received\":3060,"
    "\"status\":\"closed\",\"close_reason\":\"rst\",\"origin\":null,"
    "\"leg\":null,\"peer_session_id\":null}";

#define ID_OFF	15	/* where the session_id's digits begin */
#define MAX_CONN	16
#define MAX_K		1000

/* One publishing connection. */
struct js_pub_bench_conn {
	pthread_t	 thread;
	const char	*url;
	uint64_t	 first, n;	/* its messages */
	uint64_t	 win, round;
	size_t		 k;
	int		 hdr, core, lean;
	natsStatus	 s;
	/* -L: acks outstanding, and the publisher's wait for room. */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int64_t		 inflight;
};

static _Atomic uint64_t	js_pub_bench_acks, js_pub_bench_errs;

static void
on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	(void)js;
	(void)arg;
	if (pa != NULL && pae == NULL)
		atomic_fetch_add(&js_pub_bench_acks, 1);
	else
		atomic_fetch_add(&js_pub_bench_errs, 1);
	natsMsg_Destroy(m);
}

/* -L: one JetStream ack (or error, or no-responders status). */
static void
on_lean_ack(natsConnection *nc, natsSubscription *sub, natsMsg *m,
    void *arg)
{
	struct js_pub_bench_conn *c = arg;
	const char *d = natsMsg_GetData(m);
	int len = natsMsg_GetDataLength(m);

	(void)nc;
	(void)sub;
	if (len > 10 && memcmp(d, "{\"stream\":", 10) == 0)
		atomic_fetch_add(&js_pub_bench_acks, 1);
	else
		atomic_fetch_add(&js_pub_bench_errs, 1);
	natsMsg_Destroy(m);
	pthread_mutex_lock(&c->mu);
	if (c->inflight-- == (int64_t)c->win || c->inflight == 0)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
hex16(char *p, uint64_t v)
{
	static const char dig[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--) {
		p[i] = dig[v & 15];
		v >>= 4;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: sa_js_pub_bench -s URL [-n N] "
	    "[-w MAX_IN_FLIGHT] [-r ROUND] [-H] [-M] [-c] [-L] [-C CONNECTIONS] "
	    "[-k SESSIONS_PER_MSG] [-S STREAM] [-p SPIN]\n");
	exit(2);
}

static uint64_t
num(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (sa_parse_u64(s, min, max, &v) < 0)
		usage();
	return v;
}

/* Messages the stream holds, or -1. */
static int64_t
stored(jsCtx *js, const char *stream)
{
	jsStreamInfo *si = NULL;
	int64_t n;

	if (js_GetStreamInfo(&si, js, stream, NULL, NULL) != NATS_OK)
		return -1;
	n = (int64_t)si->State.Msgs;
	jsStreamInfo_Destroy(si);
	return n;
}

static natsStatus
conn_open(const char *url, uint64_t win, natsConnection **nc, jsCtx **js)
{
	natsOptions *o = NULL;
	jsOptions jo;
	natsStatus s;

	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, url);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, o);
	natsOptions_Destroy(o);
	jsOptions_Init(&jo);
	jo.Wait = 10000;
	jo.PublishAsync.MaxPending = (int64_t)win;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.StallWait = 10000;
	if (s == NATS_OK)
		s = natsConnection_JetStream(js, *nc, &jo);
	return s;
}

/* One connection's share: messages first .. first + n - 1. */
static void *
conn_main(void *arg)
{
	struct js_pub_bench_conn *c = arg;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsPubOptions po;
	natsMsg *m;
	natsStatus s;
	size_t one = sizeof(js_pub_bench_body) - 1, len = c->k * (one + 1);
	char *body = xmalloc(len), id[33], reply[96];
	natsSubscription *sub = NULL;
	natsInbox *inbox = NULL;
	uint64_t i;
	size_t j, plen = 0;

	for (j = 0; j < c->k; j++) {
		memcpy(body + j * (one + 1), js_pub_bench_body, one);
		body[j * (one + 1) + one] = '\n';
	}
	s = conn_open(c->url, c->win, &nc, &js);
	if (s == NATS_OK && c->lean) {
		s = natsInbox_Create(&inbox);
		if (s == NATS_OK) {
			plen = (size_t)snprintf(reply, sizeof(reply), "%s.",
			    (const char *)inbox);
			snprintf(reply + plen, sizeof(reply) - plen, "*");
			s = natsConnection_Subscribe(&sub, nc, reply,
			    on_lean_ack, c);
		}
		if (s == NATS_OK)
			s = natsSubscription_SetPendingLimits(sub, -1, -1);
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	for (i = c->first; i < c->first + c->n && s == NATS_OK; i++) {
		for (j = 0; j < c->k; j++)
			hex16(body + j * (one + 1) + ID_OFF, i * c->k + j);
		memcpy(id, body + ID_OFF, 32);
		id[32] = '\0';
		m = NULL;
		if (c->lean) {
			hex16(reply + plen, i);
			reply[plen + 16] = '\0';
			pthread_mutex_lock(&c->mu);
			while (c->inflight >= (int64_t)c->win)
				pthread_cond_wait(&c->cv, &c->mu);
			c->inflight++;
			pthread_mutex_unlock(&c->mu);
		}
		s = natsMsg_Create(&m, "bench.sessions.bench", c->lean ?
		    reply : NULL, body, (int)(c->k == 1 ? one : len));
		if (s == NATS_OK && c->hdr)
			s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		if (s == NATS_OK && (c->core || c->lean))
			s = natsConnection_PublishMsg(nc, m);
		else if (s == NATS_OK)
			s = js_PublishMsgAsync(js, &m, NULL);
		natsMsg_Destroy(m);
		if (s == NATS_OK && !c->core && c->round > 0 &&
		    (i - c->first + 1) % c->round == 0)
			s = js_PublishAsyncComplete(js, &po);
	}
	if (s == NATS_OK && c->core)
		s = natsConnection_FlushTimeout(nc, 60000);
	else if (s == NATS_OK && c->lean) {
		s = natsConnection_Flush(nc);
		pthread_mutex_lock(&c->mu);
		while (c->inflight > 0)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
	} else if (s == NATS_OK)
		s = js_PublishAsyncComplete(js, &po);
	if (s != NATS_OK)
		fprintf(stderr, "js_pub_bench: publish: %s %s\n",
		    natsStatus_GetText(s), nats_GetLastError(NULL));
	c->s = s;
	natsSubscription_Destroy(sub);
	natsInbox_Destroy(inbox);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(body);
	return NULL;
}

/*
 * With -c nothing is acknowledged: asks the stream until it holds every
 * message, or has stopped growing for a second; returns what it holds.
 */
static int64_t
wait_stored(jsCtx *js, const char *stream, uint64_t n)
{
	int64_t have = 0, last = -1;
	uint64_t since = sa_mono_ns();

	while ((have = stored(js, stream)) >= 0 && have < (int64_t)n) {
		if (have != last) {
			last = have;
			since = sa_mono_ns();
		} else if (sa_mono_ns() - since > 1000000000ULL)
			break;
		usleep(2000);
	}
	return have;
}

int
main(int argc, char **argv)
{
	struct js_pub_bench_conn conn[MAX_CONN];
	struct rusage ru;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	natsStatus s;
	const char *url = NULL, *stream = "BENCH";
	const char *subjs[1] = { "bench.sessions.>" };
	uint64_t n = 200000, win = 4096, round = 0, nconn = 1, k = 1, t0, t1;
	uint64_t i, got;
	int64_t spin = -1;
	int hdr = 1, mem = 0, core = 0, lean = 0, c, rc = 0;

	while ((c = getopt(argc, argv, "s:n:w:r:HMcLC:k:S:p:")) != -1) {
		switch (c) {
		case 's': url = optarg; break;
		case 'n': n = num(optarg, 1, 100000000); break;
		case 'w': win = num(optarg, 1, 1000000); break;
		case 'r': round = num(optarg, 0, 100000000); break;
		case 'H': hdr = 0; break;
		case 'M': mem = 1; break;
		case 'c': core = 1; break;
		case 'L': lean = 1; break;
		case 'p': spin = (int64_t)num(optarg, 0, 1000000); break;
		case 'C': nconn = num(optarg, 1, MAX_CONN); break;
		case 'k': k = num(optarg, 1, MAX_K); break;
		case 'S': stream = optarg; break;
		default: usage();
		}
	}
	if (url == NULL)
		usage();
	if (spin >= 0 && nats_Open(spin) != NATS_OK)
		return 1;
	if ((s = conn_open(url, win, &nc, &js)) != NATS_OK) {
		fprintf(stderr, "js_pub_bench: connect: %s\n",
		    natsStatus_GetText(s));
		return 1;
	}
	/* A fresh stream, as the exporter creates it. */
	(void)js_DeleteStream(js, stream, NULL, NULL);
	jsStreamConfig_Init(&sc);
	sc.Name = stream;
	sc.Subjects = subjs;
	sc.SubjectsLen = 1;
	sc.Retention = js_LimitsPolicy;
	sc.Storage = mem ? js_MemoryStorage : js_FileStorage;
	sc.Replicas = 1;
	sc.Duplicates = 600LL * 1000000000LL;
	if ((s = js_AddStream(&si, js, &sc, NULL, NULL)) != NATS_OK) {
		fprintf(stderr, "js_pub_bench: stream: %s %s\n",
		    natsStatus_GetText(s), nats_GetLastError(NULL));
		return 1;
	}
	jsStreamInfo_Destroy(si);
	t0 = sa_mono_ns();
	for (i = 0; i < nconn; i++) {
		conn[i].url = url;
		conn[i].first = n / nconn * i;
		conn[i].n = i + 1 < nconn ? n / nconn : n - n / nconn * i;
		conn[i].win = win;
		conn[i].round = round;
		conn[i].k = (size_t)k;
		conn[i].hdr = hdr;
		conn[i].core = core;
		conn[i].lean = lean;
		conn[i].s = NATS_OK;
		conn[i].inflight = 0;
		pthread_mutex_init(&conn[i].mu, NULL);
		pthread_cond_init(&conn[i].cv, NULL);
		if (pthread_create(&conn[i].thread, NULL, conn_main,
		    &conn[i]) != 0) {
			fprintf(stderr, "js_pub_bench: pthread_create\n");
			return 1;
		}
	}
	for (i = 0; i < nconn; i++) {
		pthread_join(conn[i].thread, NULL);
		if (conn[i].s != NATS_OK)
			rc = 1;
	}
	if (core)
		atomic_store(&js_pub_bench_acks, (uint64_t)wait_stored(js,
		    stream, n));
	t1 = sa_mono_ns();
	got = atomic_load(&js_pub_bench_acks);
	if (got != n)
		rc = 1;
	getrusage(RUSAGE_SELF, &ru);
	printf("RESULT msgs=%llu sessions_per_msg=%llu bytes=%zu "
	    "seconds=%.3f msgs_per_s=%.0f sessions_per_s=%.0f acked=%llu "
	    "errors=%llu header=%d storage=%s mode=%s connections=%llu "
	    "max_in_flight=%llu round=%llu spin=%lld stored=%lld cpu_s=%.2f\n",
	    (unsigned long long)n, (unsigned long long)k,
	    (size_t)k * sizeof(js_pub_bench_body) - (k == 1 ? 1 : 0),
	    (double)(t1 - t0) / 1e9, (double)n * 1e9 / (double)(t1 - t0),
	    (double)(n * k) * 1e9 / (double)(t1 - t0),
	    (unsigned long long)got,
	    (unsigned long long)atomic_load(&js_pub_bench_errs), hdr,
	    mem ? "memory" : "file", core ? "core" : lean ? "lean" : "async",
	    (unsigned long long)nconn, (unsigned long long)win,
	    (unsigned long long)round, (long long)spin,
	    (long long)stored(js, stream),
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
