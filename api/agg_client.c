/*
 * agg_client: a DEALER per worker thread. ZMQ_IMMEDIATE keeps requests
 * off connections that are not up, so an unreachable aggregator shows
 * as a send timeout (-ENOTCONN) rather than a queued request answered
 * minutes later; replies are matched by id and the socket is dropped
 * after any timeout. Several clients (one per aggregator) are asked at
 * once by polling their sockets together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "../common/clock.h"
#include "../common/xmalloc.h"
#include "agg_client.h"

#define SEND_RETRY_MS	5	/* retry of a send that found no connection */

struct agg_client {
	void			*zctx;
	void			*sock;
	char			*endpoint;
	size_t			 max_reply;
	const struct agg_client_keys *keys;
	uint64_t		 next_id;
	uint64_t		 want_id;	/* the request in flight */
	struct proto_buf	 out;
};

static int	open_sock(struct agg_client *);
static int	take_reply(struct agg_client *, struct agg_client_answer *);
static void	close_sock(struct agg_client *);
static int64_t	mono_ms(void);

int
agg_client_keys_load(struct agg_client_keys *k, const char *cert,
    const char *server_cert, char *err, size_t errlen)
{
	char why[512];

	memset(k, 0, sizeof(*k));
	if (cert[0] == '\0' && server_cert[0] == '\0')
		return 0;
	if (cert[0] == '\0' || server_cert[0] == '\0') {
		snprintf(err, errlen, "[api] %s: needed with %s",
		    cert[0] == '\0' ? "curve_cert" : "aggregator_cert",
		    cert[0] == '\0' ? "aggregator_cert" : "curve_cert");
		return -EINVAL;
	}
	if (!curve_available()) {
		snprintf(err, errlen, "[api] curve_cert: this libzmq has no "
		    "CURVE");
		return -EINVAL;
	}
	if (curve_cert_load(cert, 1, &k->key, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[api] curve_cert: %s", why);
		return -EINVAL;
	}
	if (curve_cert_load(server_cert, 0, &k->server, why,
	    sizeof(why)) != 0) {
		curve_cert_wipe(&k->key);
		snprintf(err, errlen, "[api] aggregator_cert: %s", why);
		return -EINVAL;
	}
	k->on = 1;
	return 0;
}

void
agg_client_keys_wipe(struct agg_client_keys *k)
{
	curve_cert_wipe(&k->key);
	k->on = 0;
}

struct agg_client *
agg_client_create(void *zctx, const char *endpoint, size_t max_reply,
    const struct agg_client_keys *keys)
{
	struct agg_client *c = xcalloc(1, sizeof(*c));

	c->zctx = zctx;
	c->keys = keys != NULL && keys->on ? keys : NULL;
	c->endpoint = xstrdup(endpoint);
	c->max_reply = max_reply;
	/* Ids start somewhere random-ish so two clients' ids rarely meet
	 * in logs; correctness does not depend on it. */
	c->next_id = ((uint64_t)(uintptr_t)c << 16) ^ (uint64_t)mono_ms();
	proto_buf_init(&c->out, PROTO_MAX_MSG_DEFAULT);
	return c;
}

void
agg_client_destroy(struct agg_client *c)
{
	if (c == NULL)
		return;
	close_sock(c);
	proto_buf_free(&c->out);
	free(c->endpoint);
	free(c);
}

int
agg_client_ask(struct agg_client *c, struct proto_query *q, int timeout_ms,
    uint32_t *status, char **body, size_t *len)
{
	struct agg_client_answer a;

	agg_client_ask_many(&c, 1, &q, timeout_ms, &a);
	if (a.rc != 0)
		return a.rc;
	*status = a.status;
	*body = a.body;
	*len = a.len;
	return 0;
}

/*
 * Every request is sent without blocking; one that finds no connection
 * up (ZMQ_IMMEDIATE) is sent again when the socket polls writable, or at
 * the latest every SEND_RETRY_MS, until the common deadline. Replies are
 * read as they come, each matched to its client's request id.
 */
void
agg_client_ask_many(struct agg_client *const *cs, size_t n,
    struct proto_query *const *qs, int timeout_ms,
    struct agg_client_answer *ans)
{
	enum { ST_IDLE, ST_SEND, ST_WAIT } st[AGG_CLIENT_MANY_MAX];
	zmq_pollitem_t pi[AGG_CLIENT_MANY_MAX];
	size_t who[AGG_CLIENT_MANY_MAX], i, k, np, pending = 0;
	int64_t deadline = mono_ms() + timeout_ms, left;
	struct agg_client *c;
	int rc, sending;

	for (i = 0; i < n; i++) {
		memset(&ans[i], 0, sizeof(ans[i]));
		ans[i].rc = -ENOENT;
		if (i < AGG_CLIENT_MANY_MAX)
			st[i] = ST_IDLE;
		if (qs[i] == NULL)
			continue;
		if (i >= AGG_CLIENT_MANY_MAX) {
			ans[i].rc = -E2BIG;
			continue;
		}
		c = cs[i];
		if (c->sock == NULL && open_sock(c) != 0) {
			ans[i].rc = -ENOTCONN;
			continue;
		}
		/* Several entries of qs may be one query (the same question
		 * to every aggregator): the id each client awaits is kept in
		 * the client, never read back from the query. */
		qs[i]->id = ++c->next_id;
		c->want_id = qs[i]->id;
		proto_buf_reset(&c->out);
		if (proto_query_encode(&c->out, qs[i]) != 0) {
			ans[i].rc = -EMSGSIZE;
			continue;
		}
		st[i] = ST_SEND;
		pending++;
	}
	if (n > AGG_CLIENT_MANY_MAX)
		n = AGG_CLIENT_MANY_MAX;
	while (pending > 0) {
		sending = 0;
		for (i = 0; i < n; i++) {
			if (st[i] != ST_SEND)
				continue;
			c = cs[i];
			if (zmq_send(c->sock, c->out.data, c->out.len,
			    ZMQ_DONTWAIT) >= 0) {
				st[i] = ST_WAIT;
				continue;
			}
			if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) {
				sending = 1;
				continue;
			}
			close_sock(c);
			ans[i].rc = -ENOTCONN;
			st[i] = ST_IDLE;
			pending--;
		}
		if (pending == 0 || (left = deadline - mono_ms()) <= 0)
			break;
		for (i = 0, np = 0; i < n; i++) {
			if (st[i] == ST_IDLE)
				continue;
			pi[np].socket = cs[i]->sock;
			pi[np].fd = 0;
			pi[np].events = st[i] == ST_WAIT ? ZMQ_POLLIN :
			    ZMQ_POLLOUT;
			pi[np].revents = 0;
			who[np++] = i;
		}
		if (sending && left > SEND_RETRY_MS)
			left = SEND_RETRY_MS;
		rc = zmq_poll(pi, (int)np, (long)left);
		if (rc < 0 && zmq_errno() != EINTR)
			break;
		for (k = 0; rc > 0 && k < np; k++) {
			i = who[k];
			if (st[i] == ST_WAIT && (pi[k].revents & ZMQ_POLLIN) &&
			    take_reply(cs[i], &ans[i]) != 0) {
				st[i] = ST_IDLE;
				pending--;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (st[i] == ST_IDLE)
			continue;
		/* Nothing stale may be read later: drop the socket. */
		close_sock(cs[i]);
		ans[i].rc = st[i] == ST_SEND ? -ENOTCONN : -ETIMEDOUT;
	}
}

/*
 * Reads what c's socket holds. Returns 1 when *a is final (the matching
 * reply, or -EBADMSG), 0 while the reply is still to come.
 */
static int
take_reply(struct agg_client *c, struct agg_client_answer *a)
{
	struct proto_reply r;
	zmq_msg_t m;

	for (;;) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return 0;
		}
		if (proto_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m),
		    &r) != 0) {
			zmq_msg_close(&m);
			close_sock(c);
			a->rc = -EBADMSG;
			return 1;
		}
		if (r.id != c->want_id) {
			/* The answer to an earlier request that timed out. */
			zmq_msg_close(&m);
			continue;
		}
		a->rc = 0;
		a->status = r.status;
		a->body = xmalloc((size_t)r.body_len + 1);
		memcpy(a->body, r.body, r.body_len);
		a->body[r.body_len] = '\0';
		a->len = r.body_len;
		zmq_msg_close(&m);
		return 1;
	}
}

static int
open_sock(struct agg_client *c)
{
	int zero = 0, one = 1, hwm = 16;
	int64_t maxmsg = (int64_t)c->max_reply;

	if ((c->sock = zmq_socket(c->zctx, ZMQ_DEALER)) == NULL)
		return -1;
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(c->sock, ZMQ_IMMEDIATE, &one, sizeof(one));
	zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	/* A reply past the cap closes the connection instead of
	 * allocating: the request then times out. */
	zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if ((c->keys != NULL && curve_client_apply(c->sock, &c->keys->key,
	    &c->keys->server) != 0) ||
	    zmq_connect(c->sock, c->endpoint) != 0) {
		close_sock(c);
		return -1;
	}
	return 0;
}

static void
close_sock(struct agg_client *c)
{
	if (c->sock != NULL)
		zmq_close(c->sock);
	c->sock = NULL;
}

static int64_t
mono_ms(void)
{
	return (int64_t)(sa_mono_ns() / 1000000);
}
