/*
 * api_conn: the per-address connection cap (api.max_connections_per_ip).
 * civetweb gives each connection a worker thread for its whole life and
 * has no such cap, nor a hook that sees a connection's address before
 * its request has been read (a slow client never gets that far). So the
 * cap is enforced on the kernel's view instead: this process's sockets
 * accepted on the listening port, grouped by peer address; the extras
 * of an address over the cap are shut down, and the worker reading one
 * returns at once.
 */
#ifndef SA_API_API_CONN_H
#define SA_API_API_CONN_H

#include <stddef.h>
#include <stdint.h>

struct api_conn;

/* Returns owned (api_conn_destroy): at most per_ip per address. */
struct api_conn	*api_conn_create(size_t per_ip);
void		 api_conn_destroy(struct api_conn *);

/*
 * One pass: finds this process's TCP connections accepted on local port
 * lport (1..65535) and, for every peer address with more than per_ip of
 * them, shuts down (shutdown(2) both ways; civetweb still closes them)
 * all but the per_ip oldest: first seen by the earliest pass (among
 * those first seen together, the lowest socket inode numbers), so that
 * the same ones survive from pass to pass and a newcomer is the one
 * shut. Returns how many it shut down, or
 * a negative errno. Passes are serialised; safe from any thread.
 */
int		 api_conn_enforce(struct api_conn *, int lport);
/* Connections shut down since the start. */
uint64_t	 api_conn_refused(struct api_conn *);

#endif
