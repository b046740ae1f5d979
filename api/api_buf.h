/*
 * api_buf: a growable text buffer with a hard maximum fixed at init (curl
 * dynbuf's "toobig"), for response bodies built piecewise: the Prometheus
 * exposition and CSV export. Once an append would pass the maximum the
 * buffer is marked overflowed, later appends do nothing, and the caller
 * answers an error instead of a cut body.
 */
#ifndef SA_API_API_BUF_H
#define SA_API_API_BUF_H

#include <stddef.h>

struct api_buf {
	char	*data;		/* NUL-terminated; NULL until the first byte */
	size_t	 len, cap, max;
	int	 overflow;
};

/* max: the most bytes the buffer may hold, without the NUL. */
void	api_buf_init(struct api_buf *, size_t max);
/* Frees the data; the buffer may be initialised again. */
void	api_buf_free(struct api_buf *);
/* Hands the data to the caller (free()); the buffer is left empty. */
char	*api_buf_steal(struct api_buf *, size_t *len);

void	api_buf_add(struct api_buf *, const char *s, size_t n);
void	api_buf_puts(struct api_buf *, const char *s);
void	api_buf_printf(struct api_buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
