/*
 * agg_client: a DEALER per worker thread. ZMQ_IMMEDIATE keeps requests
 * off connections that are not up, so an unreachable aggregator shows
 * as a send timeout (-ENOTCONN) rather than a queued request answered
 * minutes later; replies are matched by id and the socket is dropped
 * after any timeout.
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

struct agg_client {
	void			*zctx;
	void			*sock;
	char			*endpoint;
	size_t			 max_reply;
	const struct agg_client_keys *keys;
	uint64_t		 next_id;
	struct proto_buf	 out;
};

static int	open_sock(struct agg_client *);
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
	struct proto_reply r;
	zmq_pollitem_t pi;
	zmq_msg_t m;
	int64_t deadline = mono_ms() + timeout_ms, left;
	int rc;

	if (c->sock == NULL && open_sock(c) != 0)
		return -ENOTCONN;
	q->id = ++c->next_id;
	proto_buf_reset(&c->out);
	if (proto_query_encode(&c->out, q) != 0)
		return -EMSGSIZE;
	/* Blocks until the connection is up (ZMQ_IMMEDIATE), at most the
	 * send timeout set on the socket. */
	zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	if (zmq_send(c->sock, c->out.data, c->out.len, 0) < 0) {
		close_sock(c);
		return -ENOTCONN;
	}
	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			close_sock(c);
			return -ETIMEDOUT;
		}
		pi.socket = c->sock;
		pi.fd = 0;
		pi.events = ZMQ_POLLIN;
		pi.revents = 0;
		rc = zmq_poll(&pi, 1, (long)left);
		if (rc < 0 && zmq_errno() != EINTR) {
			close_sock(c);
			return -ENOTCONN;
		}
		if (rc <= 0)
			continue;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			continue;
		}
		if (proto_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m),
		    &r) != 0) {
			zmq_msg_close(&m);
			close_sock(c);
			return -EBADMSG;
		}
		if (r.id != q->id) {
			/* The answer to an earlier request that timed out. */
			zmq_msg_close(&m);
			continue;
		}
		*status = r.status;
		*body = xmalloc((size_t)r.body_len + 1);
		memcpy(*body, r.body, r.body_len);
		(*body)[r.body_len] = '\0';
		*len = r.body_len;
		zmq_msg_close(&m);
		return 0;
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
