/*
 * js_consume: reads a JetStream stream through a durable pull consumer,
 * independently of the aggregator's exporter, for tests/e2e/test_export.py
 * and as the C example of docs/SCALING.md. Prints one line per message,
 * "<Nats-Msg-Id> <subject> <body length>", acks it, and stops once a
 * fetch stays empty for the idle time, or after --max messages (a stream
 * that is still being written). The last line is "# N messages".
 * --sessions prints a line per session instead, "<session_id> <subject>
 * <Nats-Msg-Id>": a message of export.sessions_per_message above 1 holds
 * several, one JSON object per line (header Sessacct-Sessions: count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

/* Each JSON line's session_id, with the message's subject and id. */
static void
print_sessions(natsMsg *m, const char *id)
{
	const char *p = natsMsg_GetData(m), *end, *nl, *s, *q;
	static const char key[] = "{\"session_id\":\"";

	end = p + natsMsg_GetDataLength(m);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		s = (size_t)(nl - p) > sizeof(key) - 1 &&
		    memcmp(p, key, sizeof(key) - 1) == 0 ?
		    p + sizeof(key) - 1 : NULL;
		q = s != NULL ? memchr(s, '"', (size_t)(nl - s)) : NULL;
		if (q == NULL)
			printf("? %s %s\n", natsMsg_GetSubject(m), id);
		else
			printf("%.*s %s %s\n", (int)(q - s), s,
			    natsMsg_GetSubject(m), id);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: js_consume SERVERS STREAM SUBJECT DURABLE "
	    "[IDLE_MS] [--body] [--sessions] [--max N]\n"
	    "  SERVERS  comma-separated nats:// URLs\n"
	    "  SUBJECT  filter, e.g. sessacct.sessions.>\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	natsOptions *o = NULL;
	natsMsgList list;
	jsCtx *js = NULL;
	jsSubOptions so;
	jsErrCode je = 0;
	natsStatus s;
	const char *id;
	long idle_ms = 2000;
	unsigned long long n = 0, max = 0;
	const char *srv[16];
	char *p, *e;
	int i, batch, nsrv = 0, body = 0, sessions = 0;

	if (argc < 5)
		usage();
	if (argc > 5)
		idle_ms = strtol(argv[5], NULL, 10);
	for (i = 6; i < argc; i++) {
		if (strcmp(argv[i], "--body") == 0)
			body = 1;
		else if (strcmp(argv[i], "--sessions") == 0)
			sessions = 1;
		else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
			max = strtoull(argv[++i], &e, 10);
			if (*e != '\0' || max == 0)
				usage();
		} else
			usage();
	}
	/* SERVERS: split at the commas, in place. */
	for (p = argv[1]; nsrv < 16 && p != NULL; p = e) {
		if ((e = strchr(p, ',')) != NULL)
			*e++ = '\0';
		if (*p != '\0')
			srv[nsrv++] = p;
	}
	if (nsrv == 0)
		usage();
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetServers(o, srv, nsrv);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 5000);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, o);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK) {
		fprintf(stderr, "js_consume: connect to %s: %s\n", argv[1],
		    natsStatus_GetText(s));
		natsOptions_Destroy(o);
		nats_CloseAndWait(2000);
		return 1;
	}
	jsSubOptions_Init(&so);
	so.Stream = argv[2];
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	s = js_PullSubscribe(&sub, js, argv[3], argv[4], NULL, &so, &je);
	if (s != NATS_OK) {
		fprintf(stderr, "js_consume: pull subscribe: %s (%d)\n",
		    natsStatus_GetText(s), (int)je);
		return 1;
	}
	while (max == 0 || n < max) {
		batch = max == 0 || max - n > 256 ? 256 : (int)(max - n);
		s = natsSubscription_Fetch(&list, sub, batch, idle_ms, &je);
		if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0))
			break;
		if (s != NATS_OK) {
			fprintf(stderr, "js_consume: fetch: %s (%d)\n",
			    natsStatus_GetText(s), (int)je);
			return 1;
		}
		for (i = 0; i < list.Count; i++) {
			natsMsg *m = list.Msgs[i];

			if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) !=
			    NATS_OK)
				id = "-";
			if (sessions)
				print_sessions(m, id);
			else
				printf("%s %s %d\n", id, natsMsg_GetSubject(m),
				    natsMsg_GetDataLength(m));
			if (body)
				printf("%.*s\n", natsMsg_GetDataLength(m),
				    natsMsg_GetData(m));
			if ((s = natsMsg_AckSync(m, NULL, &je)) != NATS_OK) {
				fprintf(stderr, "js_consume: ack: %s\n",
				    natsStatus_GetText(s));
				return 1;
			}
			n++;
		}
		natsMsgList_Destroy(&list);
	}
	printf("# %llu messages\n", n);
	fflush(stdout);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	nats_CloseAndWait(2000);
	return 0;
}
