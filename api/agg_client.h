/*
 * agg_client: sessacct-api's side of the query protocol (proto/query.h):
 * one ZeroMQ DEALER connected to the aggregator's ROUTER, used by one
 * thread at a time (civetweb gives each worker thread its own). A request
 * carries a fresh id and only the reply with that id is taken; a reply
 * that arrives after its request timed out is dropped, and the socket is
 * recreated after a timeout so nothing stale is ever read.
 */
#ifndef SA_API_AGG_CLIENT_H
#define SA_API_AGG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/curve.h"
#include "../proto/query.h"

/* CURVE to the query socket: the API's key pair and the aggregator's
 * public key ([api] curve_cert, aggregator_cert). */
struct agg_client_keys {
	int			on;
	struct curve_cert	key, server;
};

struct agg_client;

#define AGG_CLIENT_MANY_MAX	16	/* clients one ask_many serves */

/*
 * Reads the two certificates (paths borrowed): both empty is no CURVE,
 * one alone is an error. 0 or -EINVAL, "[api] key: reason" in err.
 */
int	agg_client_keys_load(struct agg_client_keys *, const char *cert,
	    const char *server_cert, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
void	agg_client_keys_wipe(struct agg_client_keys *);

/*
 * zctx: a libzmq context (borrowed; must outlive the client). endpoint
 * borrowed for the call. max_reply caps a reply's size. keys borrowed
 * for the client's life; NULL or off: no CURVE. Returns owned
 * (agg_client_destroy); no socket is opened until the first ask.
 */
struct agg_client *agg_client_create(void *zctx, const char *endpoint,
	    size_t max_reply, const struct agg_client_keys *keys);
void	agg_client_destroy(struct agg_client *);

/*
 * Sends q (borrowed; its id is set here) and waits at most timeout_ms
 * for the matching reply. Returns 0 with *status and *body (owned,
 * free(); NUL-terminated, *len bytes), or -ENOTCONN (the aggregator
 * could not be reached in time), -ETIMEDOUT (sent, no answer in time),
 * -EBADMSG (malformed reply), -EMSGSIZE (query too large to encode).
 */
int	agg_client_ask(struct agg_client *, struct proto_query *q,
	    int timeout_ms, uint32_t *status, char **body, size_t *len)
	    __attribute__((warn_unused_result));

/* One answer of agg_client_ask_many: rc as agg_client_ask returns it. */
struct agg_client_answer {
	int		 rc;
	uint32_t	 status;
	char		*body;		/* owned (free()) when rc is 0 */
	size_t		 len;
};

/*
 * Asks n clients at once (several aggregators behind one API): qs[i]
 * (borrowed; NULL: client i is not asked, its answer's rc is -ENOENT)
 * goes to cs[i] (entries may be one query, asked of every client; its
 * id is then set for each in turn and is not the reply's to compare),
 * all are sent and then awaited together, so the wait is
 * the slowest answer, bounded by timeout_ms for all. The clients must be
 * distinct and used by the calling thread only. ans[i] (n entries) gets
 * each result as agg_client_ask would return it.
 */
void	agg_client_ask_many(struct agg_client *const *cs, size_t n,
	    struct proto_query *const *qs, int timeout_ms,
	    struct agg_client_answer *ans);

#endif
