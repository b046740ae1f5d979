/*
 * api_multi_bench: latency of one sessacct-api over one aggregator
 * against one over several (tests/bench/api_multi_bench.sh, docs/
 * PERFORMANCE.md "API over two aggregators"). Two keep-alive HTTP/1.1
 * clients, one per API, send the same requests in turn, so that load
 * from elsewhere hits both alike; only the request and the reading of the
 * whole answer are timed. Prints p50/p99 per route and their ratio. Not a
 * test: it exits 0 whatever the figures are.
 *
 * usage: api_multi_bench -s HOST:PORT -m HOST:PORT [-r requests]
 *                        [-k deep_pages] [-t token] [-o route_prefix]
 *
 * -o runs only the routes whose name begins with route_prefix (to
 * profile one of them).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define BODY_MAX	(64u << 20)	/* the largest answer read */
#define PATH_MAX_LEN	2048
#define CUR_MAX		1100	/* a cursor, URL-encoded */
#define TARGET_RATIO	2.0	/* the goal: multi p99 within 2x */

/* One keep-alive connection to one API. */
struct conn {
	const char	*name;
	char		 host[64];
	uint16_t	 port;
	int		 fd;
	char		*body;		/* the last answer's body, NUL ended */
	size_t		 body_len;
	char		*in;		/* bytes read and not yet used */
	size_t		 in_len, in_cap;
	unsigned	 reconnects;
};

/* One route's latencies, one array per API. */
struct lat {
	double		*ms[2];
	size_t		 n[2];
};

/* A route's pages walked by cursor, one walk per API. */
struct walk {
	char		 cursor[2][CUR_MAX];
	uint64_t	 ids[2];	/* hash of the session ids seen */
	size_t		 rows[2];
};

static const char *token, *only;
static size_t	 nreq = 200, deep = 1000;
static int	 mismatch;

static int	conn_open(struct conn *);
static int	conn_get(struct conn *, const char *, double *);
static int	read_more(struct conn *);
static double	now_ms(void);
static int	cmp_double(const void *, const void *);
static double	pct(double *, size_t, double);
static void	lat_add(struct lat *, int, double);
static void	row(const char *, struct lat *);
static int	json_str(const char *, const char *, char *, size_t);
static int	json_u64(const char *, const char *, uint64_t *);
static void	url_quote(const char *, char *, size_t);
static uint64_t	ids_hash(const char *, uint64_t, size_t *);
static int	fixed(struct conn *, const char *, const char *, size_t);
static int	walk(struct conn *, const char *, const char *, size_t,
		    size_t, int);
static int	varied(struct conn *, const char *, const char *, size_t);
static int	parse_hostport(const char *, struct conn *);
static int	skipped(const char *);

int
main(int argc, char **argv)
{
	struct conn c[2];
	uint64_t v, tot[2];
	int ch, i;

	memset(c, 0, sizeof(c));
	c[0].name = "single";
	c[1].name = "multi";
	while ((ch = getopt(argc, argv, "s:m:r:k:t:o:")) != -1) {
		switch (ch) {
		case 's':
			if (parse_hostport(optarg, &c[0]) != 0)
				goto usage;
			break;
		case 'm':
			if (parse_hostport(optarg, &c[1]) != 0)
				goto usage;
			break;
		case 'r':
			if (sa_parse_u64(optarg, 1, 100000, &v) != 0)
				goto usage;
			nreq = (size_t)v;
			break;
		case 'k':
			if (sa_parse_u64(optarg, 0, 1000000, &v) != 0)
				goto usage;
			deep = (size_t)v;
			break;
		case 't':
			token = optarg;
			break;
		case 'o':
			only = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (c[0].port == 0 || c[1].port == 0)
		goto usage;
	for (i = 0; i < 2; i++) {
		c[i].fd = -1;
		if (conn_open(&c[i]) != 0) {
			fprintf(stderr, "api_multi_bench: cannot connect to "
			    "%s:%u\n", c[i].host, c[i].port);
			return 1;
		}
	}

	/* The same data on both sides: the totals must agree. */
	for (i = 0; i < 2; i++) {
		if (conn_get(&c[i], "/api/sessions/stats?window_hours=24",
		    NULL) != 0 || json_u64(c[i].body, "total_sessions",
		    &tot[i]) != 0) {
			fprintf(stderr, "api_multi_bench: %s: no stats\n",
			    c[i].name);
			return 1;
		}
	}
	printf("stats 24 h total_sessions: single %" PRIu64 ", multi %"
	    PRIu64 " (%s)\n", tot[0], tot[1], tot[0] == tot[1] ? "equal" :
	    "DIFFER");
	if (tot[0] != tot[1])
		mismatch = 1;
	printf("%-36s %5s | %9s %9s | %9s %9s | %5s %5s\n", "route", "n",
	    "single50", "single99", "multi50", "multi99", "x p50", "x p99");
	if (fixed(c, "stats window_hours=1",
	    "/api/sessions/stats?window_hours=1", nreq) != 0 ||
	    fixed(c, "stats window_hours=24",
	    "/api/sessions/stats?window_hours=24", nreq) != 0 ||
	    fixed(c, "history first page", "/api/sessions/history?limit=100",
	    nreq) != 0 ||
	    walk(c, "history cursor walk, pages 2..",
	    "/api/sessions/history?limit=100", 0, nreq, 1) != 0 ||
	    walk(c, "history deep pages (after -k)",
	    "/api/sessions/history?limit=100", deep, nreq, 1) != 0 ||
	    varied(c, "history user= first page", "user", nreq) != 0 ||
	    walk(c, "history user=user0007 walk",
	    "/api/sessions/history?limit=100&user=user0007", 0, nreq, 1) != 0 ||
	    varied(c, "history dest_ip= first page", "dest_ip", nreq) != 0 ||
	    walk(c, "history dest_ip=198.18.0.7 walk",
	    "/api/sessions/history?limit=100&dest_ip=198.18.0.7", 0, nreq,
	    1) != 0)
		return 1;
	printf("reconnects: single %u, multi %u; same answers on both: %s\n",
	    c[0].reconnects, c[1].reconnects, mismatch ? "NO" : "yes");
	return 0;
usage:
	fprintf(stderr, "usage: api_multi_bench -s HOST:PORT -m HOST:PORT "
	    "[-r requests] [-k deep_pages] [-t token] [-o route_prefix]\n");
	return 2;
}

/* The same path, n times on each side, sides in turn. */
static int
fixed(struct conn *c, const char *name, const char *path, size_t n)
{
	struct lat l;
	double ms;
	size_t j;
	int i, s;

	if (skipped(name))
		return 0;
	memset(&l, 0, sizeof(l));
	/* Warm both (caches, connections). */
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			if (conn_get(&c[i], path, NULL) != 0)
				return -EIO;
	for (j = 0; j < n; j++)
		for (s = 0; s < 2; s++) {
			i = (int)(j + (size_t)s) % 2;
			if (conn_get(&c[i], path, &ms) != 0)
				return -EIO;
			lat_add(&l, i, ms);
		}
	row(name, &l);
	return 0;
}

/*
 * A filter whose value changes with each request (first pages only):
 * user0000.. or one of the 5,000 destinations of api_fill.c.
 */
static int
varied(struct conn *c, const char *name, const char *key, size_t n)
{
	char path[PATH_MAX_LEN];
	struct lat l;
	unsigned d;
	double ms;
	size_t j;
	int i, s;

	if (skipped(name))
		return 0;
	memset(&l, 0, sizeof(l));
	for (j = 0; j < n; j++) {
		d = (unsigned)((j * 7) % 5000);
		if (strcmp(key, "user") == 0)
			snprintf(path, sizeof(path), "/api/sessions/history?"
			    "limit=100&user=user%04u", (unsigned)(j % 2000));
		else
			snprintf(path, sizeof(path), "/api/sessions/history?"
			    "limit=100&dest_ip=198.18.%u.%u", d >> 8, d & 255);
		for (s = 0; s < 2; s++) {
			i = (int)(j + (size_t)s) % 2;
			if (conn_get(&c[i], path, &ms) != 0)
				return -EIO;
			lat_add(&l, i, ms);
		}
	}
	row(name, &l);
	return 0;
}

/*
 * Pages of base walked by next_cursor: skip pages untimed, then n timed
 * (a walk that ends starts again from the first page). Both sides must
 * visit the same sessions in the same order when check is set.
 */
static int
walk(struct conn *c, const char *name, const char *base, size_t skip,
    size_t n, int check)
{
	char path[PATH_MAX_LEN], raw[CUR_MAX];
	struct walk w;
	struct lat l;
	double ms, *pm;
	size_t j, rows;
	int i, s, restarts = 0;

	if (skipped(name))
		return 0;
	memset(&l, 0, sizeof(l));
	memset(&w, 0, sizeof(w));
	/* The first page is that of "history first page": not timed. */
	for (j = 0; j < skip + 1 + n; j++) {
		for (s = 0; s < 2; s++) {
			i = (int)(j + (size_t)s) % 2;
			if (w.cursor[i][0] != '\0')
				snprintf(path, sizeof(path), "%s&cursor=%s",
				    base, w.cursor[i]);
			else
				snprintf(path, sizeof(path), "%s", base);
			pm = j > skip ? &ms : NULL;
			if (conn_get(&c[i], path, pm) != 0)
				return -EIO;
			if (pm != NULL)
				lat_add(&l, i, ms);
			w.ids[i] = ids_hash(c[i].body, w.ids[i], &rows);
			w.rows[i] += rows;
			if (json_str(c[i].body, "next_cursor", raw,
			    sizeof(raw)) == 0)
				url_quote(raw, w.cursor[i],
				    sizeof(w.cursor[i]));
			else {
				w.cursor[i][0] = '\0';
				if (i == 0)
					restarts++;
			}
		}
	}
	if (check && (w.ids[0] != w.ids[1] || w.rows[0] != w.rows[1])) {
		fprintf(stderr, "api_multi_bench: %s: the two walks saw "
		    "different sessions (%zu and %zu rows)\n", name, w.rows[0],
		    w.rows[1]);
		mismatch = 1;
	}
	row(name, &l);
	if (restarts > 0)
		printf("    (%zu rows a side; the walk reached the end %d "
		    "times and started again)\n", w.rows[0], restarts);
	return 0;
}

static int
skipped(const char *name)
{
	return only != NULL && strncmp(name, only, strlen(only)) != 0;
}

static void
row(const char *name, struct lat *l)
{
	double s50 = pct(l->ms[0], l->n[0], 0.5), s99 = pct(l->ms[0],
	    l->n[0], 0.99), m50 = pct(l->ms[1], l->n[1], 0.5),
	    m99 = pct(l->ms[1], l->n[1], 0.99);

	printf("%-36s %5zu | %6.2f ms %6.2f ms | %6.2f ms %6.2f ms | %5.2f "
	    "%5.2f %s\n", name, l->n[0], s50, s99, m50, m99, m50 / s50,
	    m99 / s99, m99 / s99 <= TARGET_RATIO ? "ok" : "OVER 2x");
	free(l->ms[0]);
	free(l->ms[1]);
	fflush(stdout);
}

static void
lat_add(struct lat *l, int i, double ms)
{
	double *p;

	if ((p = reallocarray(l->ms[i], l->n[i] + 1, sizeof(*p))) == NULL) {
		fprintf(stderr, "api_multi_bench: out of memory\n");
		exit(1);
	}
	l->ms[i] = p;
	p[l->n[i]++] = ms;
}

static double
pct(double *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)(q * (double)n);
	return v[k < n ? k : n - 1];
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- HTTP ------------------------------------------------------------ */

static int
parse_hostport(const char *s, struct conn *c)
{
	const char *colon = strrchr(s, ':');
	uint64_t p;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(c->host) ||
	    sa_parse_u64(colon + 1, 1, 65535, &p) != 0)
		return -EINVAL;
	memcpy(c->host, s, (size_t)(colon - s));
	c->host[colon - s] = '\0';
	c->port = (uint16_t)p;
	return 0;
}

static int
conn_open(struct conn *c)
{
	struct sockaddr_in sin;
	int one = 1;

	if (c->fd >= 0)
		close(c->fd);
	c->in_len = 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(c->port);
	if (inet_pton(AF_INET, c->host, &sin.sin_addr) != 1)
		return -EINVAL;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -errno;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return -errno;
	return 0;
}

/* More bytes into c->in; 0, or a negative errno at the end or on an error. */
static int
read_more(struct conn *c)
{
	ssize_t r;
	char *p;

	if (c->in_cap - c->in_len < 65536) {
		if (c->in_cap > BODY_MAX)
			return -E2BIG;
		c->in_cap = c->in_cap * 2 + 131072;
		if ((p = realloc(c->in, c->in_cap + 1)) == NULL)
			return -ENOMEM;
		c->in = p;
	}
	do
		r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -EIO;
	c->in_len += (size_t)r;
	return 0;
}

/*
 * GET path; the body is left in c->body. *ms (NULL: not timed) gets the
 * time from the first byte written to the last byte of the body read. A
 * status other than 200 is an error (the benchmark asks nothing else).
 */
static int
conn_get(struct conn *c, const char *path, double *ms)
{
	char req[PATH_MAX_LEN + 512], num[24], *hend, *p, *line;
	size_t len, hlen, clen = 0, off, k;
	uint64_t v;
	ssize_t w;
	double t0;
	int status, tries, cl = 0;

	len = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
	    "Host: %s:%u\r\n%s%s%s\r\n", path, c->host, c->port,
	    token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "");
	if (len >= sizeof(req))
		return -EINVAL;
	for (tries = 0; tries < 2; tries++) {
		if (tries > 0) {
			c->reconnects++;
			if (conn_open(c) != 0)
				return -ECONNREFUSED;
		}
		t0 = now_ms();
		for (off = 0; off < len; ) {
			w = write(c->fd, req + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (off < len)
			continue;
		c->in_len = 0;
		hend = NULL;
		for (;;) {
			if (c->in != NULL) {
				c->in[c->in_len] = '\0';
				if ((hend = strstr(c->in, "\r\n\r\n")) != NULL)
					break;
			}
			if (read_more(c) != 0)
				break;
		}
		if (hend == NULL)
			continue;	/* closed under us: once again */
		hlen = (size_t)(hend - c->in) + 4;
		if (strncmp(c->in, "HTTP/1.1 ", 9) != 0)
			return -EPROTO;
		status = (c->in[9] - '0') * 100 + (c->in[10] - '0') * 10 +
		    (c->in[11] - '0');
		for (line = strstr(c->in, "\r\n"); line != NULL &&
		    line < hend; line = strstr(line + 2, "\r\n")) {
			if (strncasecmp(line + 2, "Content-Length:", 15) != 0)
				continue;
			for (p = line + 17, k = 0; *p == ' '; p++)
				;
			while (k + 1 < sizeof(num) && *p >= '0' && *p <= '9')
				num[k++] = *p++;
			num[k] = '\0';
			if (sa_parse_u64(num, 0, BODY_MAX, &v) != 0)
				return -EPROTO;
			clen = (size_t)v;
			cl = 1;
		}
		if (!cl)
			return -EPROTO;
		while (c->in_len < hlen + clen)
			if (read_more(c) != 0)
				return -EIO;
		if (ms != NULL)
			*ms = now_ms() - t0;
		c->body = c->in + hlen;
		c->body_len = clen;
		c->body[clen] = '\0';	/* the one extra byte of c->in */
		if (status != 200) {
			fprintf(stderr, "api_multi_bench: %s: GET %s: %d "
			    "%.200s\n", c->name, path, status, c->body);
			return -EPROTO;
		}
		return 0;
	}
	return -EIO;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the few JSON fields read ---------------------------------------- */

/* The value of "key" when it is a string without escapes; -ENOENT if not. */
static int
json_str(const char *body, const char *key, char *out, size_t outlen)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(body, pat)) == NULL)
		return -ENOENT;
	for (p += strlen(pat); *p == ' '; p++)
		;
	if (*p != '"' || (e = strchr(p + 1, '"')) == NULL ||
	    (size_t)(e - p - 1) >= outlen)
		return -ENOENT;
	memcpy(out, p + 1, (size_t)(e - p - 1));
	out[e - p - 1] = '\0';
	return 0;
}

static int
json_u64(const char *body, const char *key, uint64_t *v)
{
	char pat[64], num[24];
	const char *p;
	size_t k = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(body, pat)) == NULL)
		return -ENOENT;
	for (p += strlen(pat); *p == ' '; p++)
		;
	while (k + 1 < sizeof(num) && *p >= '0' && *p <= '9')
		num[k++] = *p++;
	num[k] = '\0';
	return sa_parse_u64(num, 0, UINT64_MAX, v);
}

/* Percent-encodes all but RFC 3986's unreserved characters. */
static void
url_quote(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (; *s != '\0' && k + 4 < outlen; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
			out[k++] = *s;
		else {
			out[k++] = '%';
			out[k++] = hex[(unsigned char)*s >> 4];
			out[k++] = hex[*s & 15];
		}
	}
	out[k] = '\0';
}

/*
 * Folds every "session_id" of a history page, in order, into h (FNV-1a);
 * *rows gets how many there were.
 */
static uint64_t
ids_hash(const char *body, uint64_t h, size_t *rows)
{
	const char *p = body, *e;

	if (h == 0)
		h = 0xcbf29ce484222325ULL;
	*rows = 0;
	while ((p = strstr(p, "\"session_id\":")) != NULL) {
		for (p += 13; *p == ' '; p++)
			;
		if (*p != '"' || (e = strchr(p + 1, '"')) == NULL)
			break;
		for (p++; p < e; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		h = (h ^ ',') * 0x100000001b3ULL;
		(*rows)++;
	}
	return h;
}
