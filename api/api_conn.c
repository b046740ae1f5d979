/*
 * api_conn: connections per client address, counted from the open file
 * descriptors (/proc/self/fd, or every descriptor up to the limit when
 * /proc is not mounted) rather than from civetweb's callbacks, which do
 * not know a connection's address until its request is read. Nothing is
 * kept between passes, so nothing can leak or drift.
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
	int			fd;
};

struct api_conn {
	pthread_mutex_t	 mu;		/* one pass at a time; guards below */
	struct seen	*v;
	size_t		 n, cap;
	size_t		 per_ip;
	uint64_t	 refused;
};

static void	look(struct api_conn *, int fd, int lport);
static int	accepted_on(int fd, int lport, struct sockaddr_storage *peer,
		    ino_t *ino);
static int	by_peer_ino(const void *, const void *);

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
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), by_peer_ino);
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

static int
by_peer_ino(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int r = memcmp(&x->peer, &y->peer, sizeof(x->peer));

	if (r != 0)
		return r;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}
