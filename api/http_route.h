/*
 * http_route: the routes of the HTTP API as a table: which decoded path is
 * which route, and each route's label in metrics. http_routes.c answers
 * the routes; api_stats.c and api_metrics.c count them through this header
 * alone, so that the dependencies point one way: routes use metrics, and
 * both use this table.
 */
#ifndef SA_API_HTTP_ROUTE_H
#define SA_API_HTTP_ROUTE_H

#include <stddef.h>

/* The prefix of /api/sessions/{id}. */
#define HTTP_ROUTE_SESSIONS_PREFIX	"/api/sessions/"

enum http_route {
	HTTP_ROUTE_INDEX,		/* / and /index.html */
	HTTP_ROUTE_STATIC,		/* /static/{file} */
	HTTP_ROUTE_HEALTH,
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_ACTIVE,
	HTTP_ROUTE_HISTORY,
	HTTP_ROUTE_SESSION,		/* /api/sessions/{id} */
	HTTP_ROUTE_STATS,
	HTTP_ROUTE_TIMESERIES,
	HTTP_ROUTE_AGENTS,
	HTTP_ROUTE_EVENTS,
	HTTP_ROUTE_UNMATCHED,		/* 404 */
	HTTP_ROUTE_MAX
};

/* The route of a decoded path (borrowed). */
enum http_route	 http_routes_match(const char *path);
/* Its label in metrics, e.g. "/api/sessions/{id}". */
const char	*http_routes_name(enum http_route);
/*
 * The route whose label is name (borrowed, len bytes, e.g. "/health" or
 * "/static/{file}"), or HTTP_ROUTE_UNMATCHED ("unmatched" is no route).
 */
enum http_route	 http_routes_by_name(const char *name, size_t len);

#endif
