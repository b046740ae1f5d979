/*
 * api_conn: connections per client address, counted from the open file
 * descriptors (/proc/self/fd, or every descriptor up to the limit when
 * /proc is not mounted) rather than from civetweb's callbacks, which do
 * not know a connection's address until its request is read. Between
 * passes only the age of the connections last seen is kept (the pass
 * that first saw each), replaced whole by every pass, so nothing can
 * leak or drift.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/parse.h"
#include "../common/xmalloc.h"
#include "api_conn.h"

/* Descriptors scanned when /proc is not mounted. */
#define FD_SCAN_MAX	65536

/* One accepted connection seen in a pass. */
struct seen {
	struct sockaddr_storage	peer;	/* port zeroed: the address */
	ino_t			ino;
	uint64_t		pass;	/* the first that saw it */
	int			fd;
};

/* A connection's age: the pass that first saw its socket. */
struct age {
	ino_t		ino;
	uint64_t	pass;
};

struct api_conn {
	pthread_mutex_t	 mu;		/* one pass at a time; guards below */
	struct seen	*v;
	size_t		 n, cap;
	/* The last pass's connections by inode, and its number. */
	struct age	*ages;
	size_t		 nages, capages;
	uint64_t	 pass;
	size_t		 per_ip;
	uint64_t	 refused;
};

static void	look(struct api_conn *, int fd, int lport);
static int	accepted_on(int fd, int lport, struct sockaddr_storage *peer,
		    ino_t *ino);
static int	by_peer_age(const void *, const void *);
static int	by_ino(const void *, const void *);
static void	ages_update(struct api_conn *);

struct api_conn *
api_conn_create(size_t per_ip)
{
	struct api_conn *c = xcalloc(1, sizeof(*c));

	c->per_ip = per_ip;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
api_conn_destroy(struct api_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->v);
	free(c->ages);
	free(c);
}

int
api_conn_enforce(struct api_conn *c, int lport)
{
	struct sockaddr_storage peer;
	struct dirent *de;
	struct rlimit rl;
	uint64_t fd, max;
	size_t i, run = 0;
	ino_t ino;
	int shut = 0;
	DIR *d;

	if (lport <= 0 || lport > 65535)
		return -EINVAL;
	pthread_mutex_lock(&c->mu);
	c->n = 0;
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (sa_parse_u64(de->d_name, 0, INT32_MAX, &fd) == 0 &&
			    (int)fd != dirfd(d))
				look(c, (int)fd, lport);
		closedir(d);
	} else {
		max = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < FD_SCAN_MAX ? rl.rlim_cur : FD_SCAN_MAX;
		for (fd = 0; fd < max; fd++)
			look(c, (int)fd, lport);
	}
	ages_update(c);
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), by_peer_age);
	for (i = 0; i < c->n; i++) {
		if (i > 0 && memcmp(&c->v[i].peer, &c->v[i - 1].peer,
		    sizeof(c->v[i].peer)) == 0)
			run++;
		else
			run = 1;
		if (run <= c->per_ip)
			continue;
		/* The descriptor may have been closed and reused since it
		 * was looked at: shut it only if it is still that socket. */
		if (accepted_on(c->v[i].fd, lport, &peer, &ino) &&
		    ino == c->v[i].ino && memcmp(&peer, &c->v[i].peer,
		    sizeof(peer)) == 0 && shutdown(c->v[i].fd, SHUT_RDWR) == 0)
			shut++;
	}
	c->refused += (uint64_t)shut;
	pthread_mutex_unlock(&c->mu);
	return shut;
}

uint64_t
api_conn_refused(struct api_conn *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->mu);
	n = c->refused;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ---- helpers --------------------------------------------------------- */

static void
look(struct api_conn *c, int fd, int lport)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	if (!accepted_on(fd, lport, &s.peer, &s.ino))
		return;
	s.fd = fd;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = s;
}

/*
 * Whether fd is an open TCP connection accepted on local port lport:
 * then its peer's address (port zeroed, the rest of the structure zero
 * too) and its inode number.
 */
static int
accepted_on(int fd, int lport, struct sockaddr_storage *peer, ino_t *ino)
{
	struct sockaddr_storage self, p;
	socklen_t sl = sizeof(self), pl = sizeof(p);
	struct sockaddr_in *p4 = (struct sockaddr_in *)peer;
	struct sockaddr_in6 *p6 = (struct sockaddr_in6 *)peer;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	struct stat st;
	int port;

	if (getsockname(fd, (struct sockaddr *)&self, &sl) != 0)
		return 0;
	if (self.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&self)->sin_port);
	else if (self.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&self)->sin6_port);
	else
		return 0;
	if (port != lport || getpeername(fd, (struct sockaddr *)&p, &pl) != 0 ||
	    p.ss_family != self.ss_family || fstat(fd, &st) != 0)
		return 0;
	/* One shut down already (FIN_WAIT*, LAST_ACK...) is not counted:
	 * only open ones, also those the client half-closed. */
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0 ||
	    (ti.tcpi_state != TCP_ESTABLISHED &&
	    ti.tcpi_state != TCP_CLOSE_WAIT))
		return 0;
	memset(peer, 0, sizeof(*peer));
	peer->ss_family = p.ss_family;
	if (p.ss_family == AF_INET)
		p4->sin_addr = ((struct sockaddr_in *)&p)->sin_addr;
	else
		p6->sin6_addr = ((struct sockaddr_in6 *)&p)->sin6_addr;
	*ino = st.st_ino;
	return 1;
}

/*
 * Gives each connection of this pass its age: that of the last pass if
 * it was seen then, else this pass's number; then keeps the pass's ages
 * (by inode) for the next. Socket inode numbers alone do not tell the
 * order of arrival: the kernel hands them out in batches per CPU, so a
 * connection accepted on one CPU can have a lower number than older ones
 * accepted on another, and would have been kept while they were shut.
 */
static void
ages_update(struct api_conn *c)
{
	struct age key, *a;
	size_t i;

	c->pass++;
	for (i = 0; i < c->n; i++) {
		key.ino = c->v[i].ino;
		a = c->nages > 0 ? bsearch(&key, c->ages, c->nages,
		    sizeof(*c->ages), by_ino) : NULL;
		c->v[i].pass = a != NULL ? a->pass : c->pass;
	}
	if (c->n > c->capages) {
		c->capages = c->n;
		c->ages = xreallocarray(c->ages, c->capages, sizeof(*c->ages));
	}
	for (i = 0; i < c->n; i++) {
		c->ages[i].ino = c->v[i].ino;
		c->ages[i].pass = c->v[i].pass;
	}
	c->nages = c->n;
	if (c->nages > 1)
		qsort(c->ages, c->nages, sizeof(*c->ages), by_ino);
}

static int
by_ino(const void *a, const void *b)
{
	const struct age *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* By address, then oldest first (ties: by inode). */
static int
by_peer_age(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int r = memcmp(&x->peer, &y->peer, sizeof(x->peer));

	if (r != 0)
		return r;
	if (x->pass != y->pass)
		return x->pass < y->pass ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}
