/*
 * api_buf: bounded growable text buffer. Growth doubles up to max; an
 * allocation failure aborts through xreallocarray like every allocation
 * in sessacct (STYLE.md section 5).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "api_buf.h"

static int	reserve(struct api_buf *, size_t n);

void
api_buf_init(struct api_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
api_buf_free(struct api_buf *b)
{
	free(b->data);
	api_buf_init(b, b->max);
}

char *
api_buf_steal(struct api_buf *b, size_t *len)
{
	char *d = b->data;

	if (d == NULL)
		d = xstrdup("");
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void
api_buf_add(struct api_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
api_buf_puts(struct api_buf *b, const char *s)
{
	api_buf_add(b, s, strlen(s));
}

void
api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->overflow = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		api_buf_add(b, small, (size_t)n);
		return;
	}
	if (reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Room for n more bytes and a NUL, or overflow. */
static int
reserve(struct api_buf *b, size_t n)
{
	size_t ncap;

	if (b->overflow || n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 1024;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
	return 0;
}
