/*
 * agg_zap: a ZAP handler of our own rather than czmq's zauth. zauth
 * ignores the ZAP domain (one allow-list for every socket of a context),
 * and copies certificate metadata into a fixed 512-byte buffer without a
 * bound; we need per-socket lists and certificates naming many agent ids.
 * The reply's User-Id is the client's public key in Z85, which libzmq
 * then attaches to every message of that connection ("User-Id").
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../proto/curve.h"
#include "agg_zap.h"

#define ZAP_ENDPOINT	"inproc://zeromq.zap.01"
#define ZAP_FRAMES_MAX	8
#define ZAP_POLL_MS	250

struct agg_zap {
	zsock_t			*sock;
	void			*zs;
	struct agg_keys		*keys[2];	/* ingest, query */
	pthread_t		 thread;
	atomic_int		 stop;
	atomic_ullong		 allowed[2], denied[2];
};

static void	*zap_main(void *);
static void	 serve(struct agg_zap *);

struct agg_zap *
agg_zap_start(struct agg_keys *ingest, struct agg_keys *query, char *err,
    size_t errlen)
{
	struct agg_zap *z = xcalloc(1, sizeof(*z));

	z->keys[0] = ingest;
	z->keys[1] = query;
	if ((z->sock = zsock_new(ZMQ_REP)) == NULL) {
		snprintf(err, errlen, "cannot create the ZAP socket");
		free(z);
		return NULL;
	}
	zsock_set_linger(z->sock, 0);
	z->zs = zsock_resolve(z->sock);
	/* Bound before any CURVE socket binds: libzmq finds it there. */
	if (zmq_bind(z->zs, ZAP_ENDPOINT) != 0) {
		snprintf(err, errlen, "cannot bind the ZAP handler (%s): %s",
		    ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
		zsock_destroy(&z->sock);
		free(z);
		return NULL;
	}
	if (pthread_create(&z->thread, NULL, zap_main, z) != 0) {
		snprintf(err, errlen, "cannot start the ZAP thread");
		zsock_destroy(&z->sock);
		free(z);
		return NULL;
	}
	return z;
}

void
agg_zap_stop(struct agg_zap *z)
{
	if (z == NULL)
		return;
	atomic_store(&z->stop, 1);
	pthread_join(z->thread, NULL);
	zsock_destroy(&z->sock);
	free(z);
}

void
agg_zap_get_stats(struct agg_zap *z, struct agg_zap_stats *out)
{
	int i;

	for (i = 0; i < 2; i++) {
		out->allowed[i] = atomic_load(&z->allowed[i]);
		out->denied[i] = atomic_load(&z->denied[i]);
	}
}

static void *
zap_main(void *arg)
{
	struct agg_zap *z = arg;
	zmq_pollitem_t pi = { z->zs, 0, ZMQ_POLLIN, 0 };

	while (!atomic_load(&z->stop)) {
		if (zmq_poll(&pi, 1, ZAP_POLL_MS) < 0 && zmq_errno() != EINTR)
			break;
		/* A file added, changed or removed counts from now on:
		 * before each handshake and a few times a second, so that
		 * the ingest thread's checks of open connections follow. */
		(void)agg_keys_refresh(z->keys[0]);
		if (z->keys[1] != z->keys[0])
			(void)agg_keys_refresh(z->keys[1]);
		if (pi.revents & ZMQ_POLLIN)
			serve(z);
	}
	return NULL;
}

static int
frame_is(zmq_msg_t *m, const char *s)
{
	size_t n = strlen(s);

	return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

static void
send_str(void *zs, const void *p, size_t n, int more)
{
	(void)zmq_send(zs, p, n, more ? ZMQ_SNDMORE : 0);
}

/* One request: [version, request id, domain, address, identity,
 * mechanism, credentials...]; one reply, always. */
static void
serve(struct agg_zap *z)
{
	zmq_msg_t f[ZAP_FRAMES_MAX];
	char key[CURVE_Z85_LEN + 1] = "";
	const char *code = "400", *text = "No access";
	int nf = 0, more = 1, dom = -1, i;

	while (more) {
		zmq_msg_t junk, *m = nf < ZAP_FRAMES_MAX ? &f[nf] : &junk;

		zmq_msg_init(m);
		if (zmq_msg_recv(m, z->zs, 0) < 0) {
			zmq_msg_close(m);
			break;
		}
		more = zmq_msg_more(m);
		if (m == &junk)
			zmq_msg_close(m);
		else
			nf++;
	}
	if (nf >= 7 && frame_is(&f[0], "1.0")) {
		if (frame_is(&f[2], AGG_ZAP_INGEST))
			dom = 0;
		else if (frame_is(&f[2], AGG_ZAP_QUERY))
			dom = 1;
	}
	if (dom >= 0 && frame_is(&f[5], "CURVE") &&
	    zmq_msg_size(&f[6]) == CURVE_KEY_LEN &&
	    zmq_z85_encode(key, zmq_msg_data(&f[6]), CURVE_KEY_LEN) != NULL &&
	    agg_keys_check(z->keys[dom], key, NULL, 0) == AGG_KEYS_OK) {
		code = "200";
		text = "OK";
		atomic_fetch_add(&z->allowed[dom], 1);
	} else {
		if (dom >= 0)
			atomic_fetch_add(&z->denied[dom], 1);
		log_debug("zap: refused a handshake (domain %s, key %s)",
		    dom == 0 ? AGG_ZAP_INGEST : dom == 1 ? AGG_ZAP_QUERY :
		    "?", key[0] != '\0' ? key : "-");
		key[0] = '\0';
	}
	send_str(z->zs, "1.0", 3, 1);
	if (nf >= 2)
		send_str(z->zs, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), 1);
	else
		send_str(z->zs, "", 0, 1);
	send_str(z->zs, code, 3, 1);
	send_str(z->zs, text, strlen(text), 1);
	send_str(z->zs, key, strlen(key), 1);
	send_str(z->zs, "", 0, 0);		/* no metadata */
	for (i = 0; i < nf; i++)
		zmq_msg_close(&f[i]);
}
