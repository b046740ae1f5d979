/*
 * api_run: civetweb set-up and the request glue. Every request goes to
 * one handler, which matches the route itself (http_routes.c), so
 * unknown routes and methods get the same JSON errors as everything
 * else and every answer is counted by route and status. civetweb's own
 * errors (a request too large or malformed) are turned into the same
 * {"error", "detail"} JSON through its http_error callback. Before any
 * route, the Host header is checked against api.allowed_hosts and, when
 * api.tokens_file is set, the bearer token (api_auth.c); a connection
 * over api.max_connections_per_ip is shut as soon as a worker takes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>
#include <jansson.h>
#include <zmq.h>

#include "../common/cli.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "../common/xmalloc.h"
#include "agg_client.h"
#include "api_auth.h"
#include "api_conn.h"
#include "api_host.h"
#include "api_metrics.h"
#include "api_multi.h"
#include "api_run.h"
#include "api_stats.h"
#include "api_time.h"
#include "http_routes.h"

#ifndef SA_API_STATIC_DIR
#define SA_API_STATIC_DIR	"/usr/local/share/sessacct/static"
#endif

/* What each civetweb worker thread owns: a client per aggregator. */
struct api_thread {
	struct agg_client		*client[API_MULTI_MAX];
	struct http_routes_scratch	*scratch;
};

struct api_ctx {
	const struct cfg	*cfg;
	struct api_metrics_cache *mcache;
	void			*zctx;
	struct mg_context	*mg;
	struct http_routes_cfg	 routes;
	/* api.aggregator: the endpoints, their names (api.aggregator_names,
	 * else the endpoints) and CURVE to each (api.aggregator_cert: one
	 * server key per endpoint, or one for all). */
	size_t			 naggs;
	char			 agg_ep[API_MULTI_MAX][API_MULTI_ITEM_MAX + 1];
	char			 agg_name[API_MULTI_MAX][API_MULTI_ITEM_MAX + 1];
	const char		*agg_ep_p[API_MULTI_MAX];
	const char		*agg_name_p[API_MULTI_MAX];
	struct agg_client_keys	 keys[API_MULTI_MAX];
	struct api_stats	 stats;
	size_t			 max_reply;
	char			 listen_host[64];
	struct api_auth		*auth;		/* NULL: no tokens (open) */
	struct api_host_list	*hosts;
	struct api_conn		*conns;
	unsigned char		 public_route[HTTP_ROUTE_MAX];
	_Atomic uint64_t	 conn_log_ns;	/* last refusal logged */
	_Atomic int		 http_port;	/* once listening */
};

static int	handler(struct mg_connection *, void *cbdata);
static void	send_resp(struct mg_connection *, const struct http_resp *,
		    int head);
static int	on_http_error(struct mg_connection *, int status,
		    const char *msg);
static int	on_log(const struct mg_connection *, const char *msg);
static int	on_conn_init(const struct mg_connection *, void **data);
static int	gate(struct api_ctx *, struct mg_connection *,
		    enum http_route, struct http_resp *);
static int	check_security(struct api_ctx *);
static void	*on_thread_start(const struct mg_context *, int type);
static void	on_thread_stop(const struct mg_context *, int type, void *p);
static int	ask(void *arg, struct proto_query *q, int timeout_ms,
		    uint32_t *status, char **body, size_t *len);
static void	ask_many(void *arg, struct proto_query *const *qs, size_t n,
		    int timeout_ms, struct http_routes_answer *ans);
static int	check_aggregators(struct api_ctx *);
static int	check_cfg(struct api_ctx *);
static int	write_ready(struct api_ctx *, const char *path);

void
api_run_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
api_check_config(const struct cfg *cfg)
{
	struct api_ctx *c = xcalloc(1, sizeof(*c));
	int rc;

	c->cfg = cfg;
	api_stats_init(&c->stats);
	rc = (c->zctx = zmq_ctx_new()) == NULL || check_cfg(c) != 0 ? -1 : 0;
	api_ctx_destroy(c);
	return rc;
}

struct api_ctx *
api_ctx_create(const struct cfg *cfg, const char *ready_file, int *exit_code)
{
	struct api_ctx *c = xcalloc(1, sizeof(*c));
	struct mg_callbacks cb;
	char threads[16], timeout[24], reqsize[24], keepalive[24];
	const char *opts[32];
	const char *access_log = cfg_str(cfg, "api", "access_log");
	int n = 0;

	c->cfg = cfg;
	api_stats_init(&c->stats);
	*exit_code = 2;
	if ((c->zctx = zmq_ctx_new()) == NULL || check_cfg(c) != 0)
		goto fail;
	*exit_code = 1;
	snprintf(threads, sizeof(threads), "%llu", (unsigned long long)
	    cfg_u64(cfg, "api", "threads"));
	snprintf(timeout, sizeof(timeout), "%llu", (unsigned long long)
	    cfg_u64(cfg, "api", "request_timeout_ms"));
	snprintf(reqsize, sizeof(reqsize), "%llu", (unsigned long long)
	    cfg_u64(cfg, "api", "max_request_size"));
	snprintf(keepalive, sizeof(keepalive), "%llu", (unsigned long long)
	    cfg_u64(cfg, "api", "keep_alive_timeout_ms"));
	opts[n++] = "listening_ports";
	opts[n++] = cfg_str(cfg, "api", "listen");
	opts[n++] = "num_threads";
	opts[n++] = threads;
	opts[n++] = "request_timeout_ms";
	opts[n++] = timeout;
	opts[n++] = "max_request_size";
	opts[n++] = reqsize;
	opts[n++] = "enable_keep_alive";
	opts[n++] = cfg_bool(cfg, "api", "keep_alive") ? "yes" : "no";
	opts[n++] = "keep_alive_timeout_ms";
	opts[n++] = keepalive;
	/* Without it every response waits for the peer's delayed ACK
	 * (Nagle), about 40 ms on Linux. */
	opts[n++] = "tcp_nodelay";
	opts[n++] = "1";
	opts[n++] = "enable_directory_listing";
	opts[n++] = "no";
	if (access_log[0] != '\0') {
		opts[n++] = "access_log_file";
		opts[n++] = access_log;
	}
	opts[n] = NULL;
	memset(&cb, 0, sizeof(cb));
	cb.log_message = on_log;
	cb.http_error = on_http_error;
	cb.init_thread = on_thread_start;
	cb.exit_thread = on_thread_stop;
	cb.init_connection = on_conn_init;
	mg_init_library(0);
	if ((c->mg = mg_start(&cb, c, opts)) == NULL) {
		log_warnx("cannot listen on %s (api.listen)", opts[1]);
		goto fail;
	}
	mg_set_request_handler(c->mg, "**", handler, c);
	if (write_ready(c, ready_file) != 0)
		goto fail;
	*exit_code = 0;
	return c;
fail:
	api_ctx_destroy(c);
	return NULL;
}

int
api_run(struct api_ctx *c)
{
	sigset_t set;
	int sig = 0;

	(void)c;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while (sigwait(&set, &sig) != 0)
		;
	log_info("signal %d: stopping", sig);
	return 0;
}

void
api_ctx_destroy(struct api_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->mg != NULL) {
		mg_stop(c->mg);
		mg_exit_library();
	}
	if (c->zctx != NULL)
		zmq_ctx_term(c->zctx);
	for (i = 0; i < API_MULTI_MAX; i++)
		agg_client_keys_wipe(&c->keys[i]);
	api_metrics_cache_destroy(c->mcache);
	api_auth_destroy(c->auth);
	api_host_list_free(c->hosts);
	api_conn_destroy(c->conns);
	free(c);
}

/* ---- civetweb callbacks ---------------------------------------------- */

static int
handler(struct mg_connection *conn, void *cbdata)
{
	struct api_ctx *c = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct api_thread *t = mg_get_thread_pointer(conn);
	struct http_routes_cfg rc = c->routes;
	struct http_resp resp;
	enum http_route route;
	uint64_t t0 = api_time_mono_ns();
	int head = strcmp(ri->request_method, "HEAD") == 0;

	route = http_routes_match(ri->local_uri);
	rc.ask_arg = t;
	rc.scratch = t != NULL ? t->scratch : NULL;
	rc.authenticated = gate(c, conn, route, &resp);
	if (rc.authenticated >= 0)
		http_routes_handle(&rc, route, ri->request_method,
		    ri->local_uri, ri->query_string, &resp);
	/* Counted before it is sent: a client that reads /metrics right
	 * after its answer finds it there. */
	api_stats_request(&c->stats, route, resp.status,
	    api_time_mono_ns() - t0);
	send_resp(conn, &resp, head);
	http_resp_free(&resp);
	return resp.status;
}

static void
send_resp(struct mg_connection *conn, const struct http_resp *r, int head)
{
	char len[24];

	if (r->file[0] != '\0') {
		mg_send_mime_file2(conn, r->file, r->ctype,
		    "X-Content-Type-Options: nosniff\r\n");
		return;
	}
	snprintf(len, sizeof(len), "%zu", r->len);
	mg_response_header_start(conn, r->status);
	mg_response_header_add(conn, "Content-Type", r->ctype, -1);
	mg_response_header_add(conn, "Content-Length", len, -1);
	mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
	if (r->cache != NULL)
		mg_response_header_add(conn, "Cache-Control", r->cache, -1);
	if (r->allow != NULL)
		mg_response_header_add(conn, "Allow", r->allow, -1);
	if (r->www_auth != NULL)
		mg_response_header_add(conn, "WWW-Authenticate", r->www_auth,
		    -1);
	if (r->next_cursor[0] != '\0')
		mg_response_header_add(conn, "X-Next-Cursor", r->next_cursor,
		    -1);
	if (r->partial[0] != '\0')
		mg_response_header_add(conn, "X-Sessacct-Partial", r->partial,
		    -1);
	mg_response_header_send(conn);
	if (!head && r->len > 0)
		mg_write(conn, r->body, r->len);
}

/*
 * The checks before routing. Returns -1 with *resp filled when the
 * request is refused (421 foreign Host, 401 missing or wrong token on a
 * route that is not public), else whether a valid token came with it.
 */
static int
gate(struct api_ctx *c, struct mg_connection *conn, enum http_route route,
    struct http_resp *resp)
{
	const char *host = mg_get_header(conn, "Host");
	char detail[256];
	enum api_auth_res a;

	if (!api_host_allowed(c->hosts, host)) {
		snprintf(detail, sizeof(detail), "Host '%.100s' is not in "
		    "api.allowed_hosts", host != NULL ? host : "");
		http_routes_refuse(resp, 421, "misdirected request", detail);
		return -1;
	}
	if (c->auth == NULL)
		return 0;
	a = api_auth_check(c->auth, mg_get_header(conn, "Authorization"),
	    api_time_mono_ns());
	if (a == API_AUTH_OK || c->public_route[route])
		return a == API_AUTH_OK;
	http_routes_refuse(resp, 401, "unauthorized", a == API_AUTH_MISSING ?
	    "this route needs a token: Authorization: Bearer TOKEN" :
	    "the bearer token is not accepted");
	resp->www_auth = a == API_AUTH_MISSING ? "Bearer realm=\"sessacct\"" :
	    "Bearer realm=\"sessacct\", error=\"invalid_token\"";
	return -1;
}

static int
on_http_error(struct mg_connection *conn, int status, const char *msg)
{
	struct http_resp r;
	json_t *o = json_object();
	const char *err = status == 413 ? "request too large" :
	    status == 400 ? "bad request" : status == 404 ? "not found" :
	    status == 405 ? "method not allowed" : "http error";

	memset(&r, 0, sizeof(r));
	json_object_set_new(o, "error", json_string(err));
	json_object_set_new(o, "detail", json_string(msg ? msg : ""));
	r.status = status;
	r.ctype = "application/json";
	r.cache = "no-store";
	r.body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (r.body == NULL)
		return 1;
	r.len = strlen(r.body);
	send_resp(conn, &r, 0);
	free(r.body);
	return 0;
}

static int
on_log(const struct mg_connection *conn, const char *msg)
{
	(void)conn;
	log_warnx("http: %s", msg);
	return 1;
}

/*
 * A worker takes a new connection: shut the connections of any address
 * over api.max_connections_per_ip (civetweb cannot tell this callback the
 * new connection's address, so api_conn looks at them all), freeing the
 * workers that were reading them.
 */
static int
on_conn_init(const struct mg_connection *conn, void **data)
{
	struct api_ctx *c = mg_get_user_data(mg_get_context(conn));
	int port = atomic_load(&c->http_port), n;
	uint64_t now, last;

	*data = NULL;
	if (port == 0 || (n = api_conn_enforce(c->conns, port)) <= 0)
		return 0;
	now = api_time_mono_ns();
	last = atomic_load(&c->conn_log_ns);
	if ((last == 0 || now - last >= 60 * 1000000000ULL) &&
	    atomic_compare_exchange_strong(&c->conn_log_ns, &last, now))
		log_warnx("http: closed %d connections over "
		    "api.max_connections_per_ip (%llu so far; logged once a "
		    "minute)", n, (unsigned long long)
		    api_conn_refused(c->conns));
	return 0;
}

/* Worker threads (type 1) each get their own aggregator client. */
static void *
on_thread_start(const struct mg_context *mg, int type)
{
	struct api_ctx *c = mg_get_user_data(mg);
	struct api_thread *t;
	size_t i;

	if (type != 1)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	for (i = 0; i < c->naggs; i++)
		t->client[i] = agg_client_create(c->zctx, c->agg_ep[i],
		    c->max_reply, &c->keys[i]);
	t->scratch = http_routes_scratch_create();
	return t;
}

static void
on_thread_stop(const struct mg_context *mg, int type, void *p)
{
	struct api_thread *t = p;
	size_t i;

	(void)mg;
	if (type != 1 || t == NULL)
		return;
	for (i = 0; i < API_MULTI_MAX; i++)
		agg_client_destroy(t->client[i]);
	http_routes_scratch_destroy(t->scratch);
	free(t);
}

static int
ask(void *arg, struct proto_query *q, int timeout_ms, uint32_t *status,
    char **body, size_t *len)
{
	struct api_thread *t = arg;

	if (t == NULL || t->client[0] == NULL)
		return -ENOTCONN;
	return agg_client_ask(t->client[0], q, timeout_ms, status, body, len);
}

/* The thread's clients, one per aggregator, asked together. */
static void
ask_many(void *arg, struct proto_query *const *qs, size_t n, int timeout_ms,
    struct http_routes_answer *ans)
{
	struct api_thread *t = arg;
	struct agg_client_answer a[API_MULTI_MAX];
	struct proto_query *none[API_MULTI_MAX] = { NULL };
	size_t i;

	if (n > API_MULTI_MAX)
		n = API_MULTI_MAX;
	agg_client_ask_many(t != NULL ? t->client : NULL, n, t != NULL ? qs :
	    none, timeout_ms, a);
	for (i = 0; i < n; i++) {
		ans[i].rc = t != NULL ? a[i].rc : -ENOTCONN;
		ans[i].status = a[i].status;
		ans[i].body = a[i].body;
		ans[i].len = a[i].len;
	}
}

/* ---- start-up -------------------------------------------------------- */

static int
check_cfg(struct api_ctx *c)
{
	const struct cfg *cfg = c->cfg;
	const char *listen = cfg_str(cfg, "api", "listen"), *colon, *sdir;
	struct http_routes_cfg *r = &c->routes;
	uint64_t port;
	size_t hl;

	colon = strrchr(listen, ':');
	if (listen[0] == '[' || colon == NULL || colon == listen ||
	    (hl = (size_t)(colon - listen)) >= sizeof(c->listen_host) ||
	    memchr(listen, ',', strlen(listen)) != NULL ||
	    sa_parse_u64(colon + 1, 0, 65535, &port) != 0) {
		log_warnx("api.listen: '%s' is not IPV4:PORT (civetweb 1.15 "
		    "listens on IPv4 only; port 0 lets the system choose)",
		    listen);
		return -EINVAL;
	}
	memcpy(c->listen_host, listen, hl);
	c->listen_host[hl] = '\0';
	if (check_aggregators(c) != 0)
		return -EINVAL;
	sdir = cfg_str(cfg, "api", "static_dir");
	r->ask = ask;
	r->aggregator = c->agg_ep[0];
	r->naggs = c->naggs;
	r->agg_names = c->agg_name_p;
	r->agg_endpoints = c->agg_ep_p;
	r->agg_list_id = api_multi_list_id(c->agg_name_p, c->naggs);
	if (c->naggs > 1)
		r->ask_many = ask_many;
	r->static_dir = sdir[0] != '\0' ? sdir : SA_API_STATIC_DIR;
	r->timeout_ms = (int)cfg_u64(cfg, "api", "aggregator_timeout_ms");
	r->health_timeout_ms = (int)cfg_u64(cfg, "api", "health_timeout_ms");
	r->max_limit = cfg_u64(cfg, "api", "max_limit");
	r->default_limit = r->max_limit < 100 ? r->max_limit : 100;
	r->multi_fetch_margin = cfg_u64(cfg, "api", "multi_fetch_margin");
	r->top_users = cfg_u64(cfg, "api", "metrics_top_users");
	r->top_destinations = cfg_u64(cfg, "api", "metrics_top_destinations");
	r->max_body = cfg_u64(cfg, "api", "max_response_size");
	r->started_ns = api_time_now_ns();
	r->stats = &c->stats;
	c->mcache = api_metrics_cache_create();
	r->metrics_cache = c->mcache;
	r->metrics_cache_ms = cfg_u64(cfg, "api", "metrics_cache_ms");
	c->max_reply = cfg_u64(cfg, "api", "max_reply_size");
	return check_security(c);
}

/*
 * api.aggregator: one endpoint, or several comma separated (one API
 * over several aggregators), each checked; api.aggregator_names labels
 * them (as many, or empty for the endpoints themselves); and
 * api.aggregator_cert names each one's CURVE public key, or one key for
 * all of them.
 */
static int
check_aggregators(struct api_ctx *c)
{
	const struct cfg *cfg = c->cfg;
	char certs[API_MULTI_MAX][API_MULTI_ITEM_MAX + 1], err[600];
	const char *names = cfg_str(cfg, "api", "aggregator_names"),
	    *cl = cfg_str(cfg, "api", "aggregator_cert");
	size_t i, j, nn, nc = 0;
	void *s;

	if (api_multi_split(cfg_str(cfg, "api", "aggregator"), c->agg_ep,
	    API_MULTI_MAX, &c->naggs, err, sizeof(err)) != 0) {
		log_warnx("api.aggregator: %s (one or more query endpoints, "
		    "comma separated, at most %d)", err, API_MULTI_MAX);
		return -EINVAL;
	}
	for (i = 0; i < c->naggs; i++) {
		/* A malformed endpoint fails zmq_connect; an absent
		 * aggregator does not (connections are made in the
		 * background). */
		s = zmq_socket(c->zctx, ZMQ_DEALER);
		if (s == NULL || zmq_connect(s, c->agg_ep[i]) != 0) {
			log_warnx("api.aggregator: '%s' is not a ZeroMQ "
			    "endpoint (tcp://HOST:PORT): %s", c->agg_ep[i],
			    zmq_strerror(zmq_errno()));
			if (s != NULL)
				zmq_close(s);
			return -EINVAL;
		}
		zmq_close(s);
		for (j = 0; j < i; j++)
			if (strcmp(c->agg_ep[i], c->agg_ep[j]) == 0) {
				log_warnx("api.aggregator: '%s' is listed "
				    "twice", c->agg_ep[i]);
				return -EINVAL;
			}
	}
	if (names[0] == '\0') {
		memcpy(c->agg_name, c->agg_ep, sizeof(c->agg_name));
	} else if (api_multi_split(names, c->agg_name, API_MULTI_MAX, &nn,
	    err, sizeof(err)) != 0) {
		log_warnx("api.aggregator_names: %s", err);
		return -EINVAL;
	} else if (nn != c->naggs) {
		log_warnx("api.aggregator_names: %zu names for %zu "
		    "api.aggregator endpoints (one name each)", nn, c->naggs);
		return -EINVAL;
	}
	for (i = 0; i < c->naggs; i++) {
		for (j = 0; c->agg_name[i][j] != '\0'; j++)
			if (c->agg_name[i][j] == '"' ||
			    c->agg_name[i][j] == '\\' ||
			    (unsigned char)c->agg_name[i][j] < 0x20) {
				log_warnx("api.aggregator_names: '%s' has a "
				    "quote, backslash or control character",
				    c->agg_name[i]);
				return -EINVAL;
			}
		for (j = 0; j < i; j++)
			if (strcmp(c->agg_name[i], c->agg_name[j]) == 0) {
				log_warnx("api.aggregator_names: '%s' is "
				    "listed twice", c->agg_name[i]);
				return -EINVAL;
			}
		c->agg_ep_p[i] = c->agg_ep[i];
		c->agg_name_p[i] = c->agg_name[i];
	}
	if (cl[0] != '\0' && api_multi_split(cl, certs, API_MULTI_MAX, &nc,
	    err, sizeof(err)) != 0) {
		log_warnx("api.aggregator_cert: %s", err);
		return -EINVAL;
	}
	if (nc > 1 && nc != c->naggs) {
		log_warnx("api.aggregator_cert: %zu certificates for %zu "
		    "api.aggregator endpoints (one for all, or one each)", nc,
		    c->naggs);
		return -EINVAL;
	}
	for (i = 0; i < c->naggs; i++)
		if (agg_client_keys_load(&c->keys[i], cfg_str(cfg, "api",
		    "curve_cert"), nc == 0 ? "" : certs[nc == 1 ? 0 : i], err,
		    sizeof(err)) != 0) {
			log_warnx("%s", err);
			return -EINVAL;
		}
	return 0;
}

/*
 * Tokens, public routes, Host names and the connection cap. Without a
 * tokens file the API is open, which is only allowed on a loopback
 * address unless api.allow_insecure says otherwise (as the aggregator
 * does for CURVE).
 */
static int
check_security(struct api_ctx *c)
{
	const struct cfg *cfg = c->cfg;
	const char *tf = cfg_str(cfg, "api", "tokens_file"),
	    *pr = cfg_str(cfg, "api", "public_routes"), *p, *e;
	struct in_addr in;
	enum http_route r;
	char err[512];
	size_t n;
	int loopback;

	loopback = inet_pton(AF_INET, c->listen_host, &in) == 1 &&
	    (ntohl(in.s_addr) >> 24) == 127;
	if (tf[0] != '\0' && (c->auth = api_auth_create(tf, cfg_u64(cfg,
	    "api", "max_tokens"), err, sizeof(err))) == NULL) {
		log_warnx("api.tokens_file: %s", err);
		return -EINVAL;
	}
	if (c->auth == NULL && !loopback) {
		if (!cfg_bool(cfg, "api", "allow_insecure")) {
			log_warnx("api.listen: %s is not a loopback address and "
			    "api.tokens_file is not set: refusing to serve "
			    "without tokens (set api.allow_insecure = yes to "
			    "do it anyway)", c->listen_host);
			return -EINVAL;
		}
		log_warnx("api: serving %s without tokens (api.allow_insecure):"
		    " anyone who reaches it reads every session",
		    c->listen_host);
	}
	for (p = pr; *pr != '\0'; p = e + 1) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if ((r = http_routes_by_name(p, n)) == HTTP_ROUTE_UNMATCHED) {
			log_warnx("api.public_routes: '%.*s' is not a route "
			    "(routes as in docs/API.md, e.g. /health, "
			    "/static/{file}, /api/agents; comma separated)",
			    (int)(n > 64 ? 64 : n), p);
			return -EINVAL;
		}
		c->public_route[r] = 1;
		if (e == NULL)
			break;
	}
	/* The listen address itself is a name no rebinding can borrow. */
	if (api_host_list_parse(cfg_str(cfg, "api", "allowed_hosts"),
	    strcmp(c->listen_host, "0.0.0.0") != 0 ? c->listen_host : NULL,
	    &c->hosts, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -EINVAL;
	}
	c->conns = api_conn_create(cfg_u64(cfg, "api",
	    "max_connections_per_ip"));
	c->routes.auth_mode = c->auth != NULL ? "bearer" : "none";
	log_info("api: %s, public routes '%s', hosts '%s'", c->auth != NULL ?
	    "bearer tokens" : "open (no api.tokens_file)", pr,
	    cfg_str(cfg, "api", "allowed_hosts"));
	return 0;
}

static int
write_ready(struct api_ctx *c, const char *path)
{
	struct mg_server_port ports[4];
	char addr[96], *text;
	json_t *o;
	int n, rc;

	n = mg_get_server_ports(c->mg, 4, ports);
	if (n < 1) {
		log_warnx("civetweb reports no listening port");
		return -EIO;
	}
	snprintf(addr, sizeof(addr), "%s:%d", c->listen_host, ports[0].port);
	atomic_store(&c->http_port, ports[0].port);
	log_info("listening on http://%s, aggregator%s %s", addr,
	    c->naggs > 1 ? "s" : "", cfg_str(c->cfg, "api", "aggregator"));
	if (path == NULL)
		return 0;
	o = json_object();
	json_object_set_new(o, "http", json_string(addr));
	text = json_dumps(o, 0);
	json_decref(o);
	rc = cli_write_ready(path, text);
	free(text);
	if (rc != 0)
		log_warnx("ready file %s: %s", path, sa_strerror(rc));
	return rc;
}
