/*
 * http_route: the route table. A decoded path is matched exactly, or as
 * /static/{file} or /api/sessions/{id} with one path segment; anything
 * else is unmatched (a 404). The names are the route labels of
 * docs/METRICS.md.
 */
#include <stddef.h>
#include <string.h>

#include "http_route.h"

static const char *const route_names[HTTP_ROUTE_MAX] = {
	"/", "/static/{file}", "/health", "/metrics", "/api/sessions/active",
	"/api/sessions/history", "/api/sessions/{id}", "/api/sessions/stats",
	"/api/sessions/timeseries", "/api/agents", "/api/telemetry/events",
	"unmatched",
};

enum http_route
http_routes_match(const char *path)
{
	static const struct {
		const char	*path;
		enum http_route	 route;
	} exact[] = {
		{ "/", HTTP_ROUTE_INDEX },
		{ "/index.html", HTTP_ROUTE_INDEX },
		{ "/health", HTTP_ROUTE_HEALTH },
		{ "/metrics", HTTP_ROUTE_METRICS },
		{ "/api/sessions/active", HTTP_ROUTE_ACTIVE },
		{ "/api/sessions/history", HTTP_ROUTE_HISTORY },
		{ "/api/sessions/stats", HTTP_ROUTE_STATS },
		{ "/api/sessions/timeseries", HTTP_ROUTE_TIMESERIES },
		{ "/api/agents", HTTP_ROUTE_AGENTS },
		{ "/api/telemetry/events", HTTP_ROUTE_EVENTS },
	};
	size_t i, n;

	if (path == NULL)
		return HTTP_ROUTE_UNMATCHED;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(path, exact[i].path) == 0)
			return exact[i].route;
	if (strncmp(path, "/static/", 8) == 0 && path[8] != '\0' &&
	    strchr(path + 8, '/') == NULL)
		return HTTP_ROUTE_STATIC;
	n = strlen(HTTP_ROUTE_SESSIONS_PREFIX);
	if (strncmp(path, HTTP_ROUTE_SESSIONS_PREFIX, n) == 0 &&
	    path[n] != '\0' && strchr(path + n, '/') == NULL)
		return HTTP_ROUTE_SESSION;
	return HTTP_ROUTE_UNMATCHED;
}

const char *
http_routes_name(enum http_route r)
{
	return (unsigned)r < HTTP_ROUTE_MAX ? route_names[r] : "unmatched";
}

enum http_route
http_routes_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < HTTP_ROUTE_UNMATCHED; i++)
		if (strlen(route_names[i]) == len &&
		    strncmp(route_names[i], name, len) == 0)
			return (enum http_route)i;
	return HTTP_ROUTE_UNMATCHED;
}
