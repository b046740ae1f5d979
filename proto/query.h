/*
 * query: the request/reply messages between sessacct-api (or the
 * aggregator's own --query client) and the aggregator's query socket
 * (docs/PROTOCOL.md "Queries"). A QUERY names a kind ("history",
 * "active", ...) and carries string parameters; a REPLY carries an HTTP-
 * like status and a JSON body. Same strictness as wire.h.
 */
#ifndef SA_PROTO_QUERY_H
#define SA_PROTO_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define PROTO_MSG_QUERY		10
#define PROTO_MSG_REPLY		11
#define PROTO_QUERY_MAX_PARAMS	32
#define PROTO_QUERY_MAX_KEY	64
#define PROTO_QUERY_MAX_VAL	1024
#define PROTO_QUERY_MAX_KIND	32
#define PROTO_REPLY_MAX		(64u << 20)

struct proto_query_param {
	char	key[PROTO_QUERY_MAX_KEY + 1];
	char	val[PROTO_QUERY_MAX_VAL + 1];
};

struct proto_query {
	uint64_t		 id;
	char			 kind[PROTO_QUERY_MAX_KIND + 1];
	uint32_t		 nparams;
	struct proto_query_param params[PROTO_QUERY_MAX_PARAMS];
};

struct proto_reply {
	uint64_t	 id;
	uint32_t	 status;	/* 200, 400, 404, 500, 503 */
	const char	*body;		/* borrowed from the message */
	uint32_t	 body_len;
};

int	proto_query_encode(struct proto_buf *, const struct proto_query *);
int	proto_query_decode(const uint8_t *buf, size_t len,
	    struct proto_query *q) __attribute__((warn_unused_result));
/* Value of a parameter, or NULL. */
const char *proto_query_get(const struct proto_query *, const char *key);

int	proto_reply_encode(struct proto_buf *, uint64_t id, uint32_t status,
	    const char *body, size_t body_len);
int	proto_reply_decode(const uint8_t *buf, size_t len,
	    struct proto_reply *r) __attribute__((warn_unused_result));

#endif
