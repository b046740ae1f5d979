/*
 * api_host: the Host allow-list. It checks names, not addresses: the
 * point is that a browser sends the name it resolved, and a rebinding
 * attacker's name is not ours. It is not access control by itself (any
 * non-browser client can send any Host); the tokens are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/xmalloc.h"
#include "api_host.h"

struct api_host_list {
	char	**names;	/* lower case */
	size_t	  n;
	int	  any;		/* "*" */
};

static int	name_ok(const char *s, size_t n);
static void	add(struct api_host_list *, const char *s, size_t n);

int
api_host_list_parse(const char *spec, const char *extra,
    struct api_host_list **out, char *err, size_t errlen)
{
	struct api_host_list *l = xcalloc(1, sizeof(*l));
	const char *p = spec, *e;
	size_t n;

	*out = NULL;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			l->any = 1;
		else if (!name_ok(p, n)) {
			snprintf(err, errlen, "api.allowed_hosts: '%.*s' is not "
			    "a host name, IPv4 address or [IPv6] literal "
			    "(comma separated, no port; \"*\" allows any Host)",
			    (int)(n > 64 ? 64 : n), p);
			api_host_list_free(l);
			return -EINVAL;
		} else
			add(l, p, n);
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (extra != NULL && name_ok(extra, strlen(extra)))
		add(l, extra, strlen(extra));
	*out = l;
	return 0;
}

void
api_host_list_free(struct api_host_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l);
}

int
api_host_allowed(const struct api_host_list *l, const char *h)
{
	const char *port, *e;
	size_t n, i;

	if (h == NULL)
		return 0;
	if (h[0] == '[') {
		if ((e = strchr(h, ']')) == NULL)
			return 0;
		n = (size_t)(e - h) + 1;
		port = h[n] == ':' ? h + n + 1 : h[n] == '\0' ? NULL : "";
	} else {
		e = strchr(h, ':');
		n = e != NULL ? (size_t)(e - h) : strlen(h);
		port = e != NULL ? e + 1 : NULL;
	}
	if (port != NULL) {
		for (i = 0; port[i] >= '0' && port[i] <= '9'; i++)
			;
		if (i == 0 || i > 5 || port[i] != '\0')
			return 0;
	}
	if (!name_ok(h, n))
		return 0;
	if (l->any)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == n &&
		    strncasecmp(l->names[i], h, n) == 0)
			return 1;
	return 0;
}

/* ---- helpers --------------------------------------------------------- */

/* A host name or IPv4 address, or a bracketed IPv6 literal. */
static int
name_ok(const char *s, size_t n)
{
	size_t i;
	int c;

	if (n == 0 || n > API_HOST_NAME_MAX)
		return 0;
	if (s[0] == '[') {
		if (n < 4 || s[n - 1] != ']')
			return 0;
		for (i = 1; i < n - 1; i++) {
			c = (unsigned char)s[i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return 0;
		}
		return 1;
	}
	if (s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static void
add(struct api_host_list *l, const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	d[n] = '\0';
	l->names = xreallocarray(l->names, l->n + 1, sizeof(*l->names));
	l->names[l->n++] = d;
}
