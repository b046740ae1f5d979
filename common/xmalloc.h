/*
 * xmalloc: allocation wrappers that abort on failure (OpenBSD xmalloc,
 * redis zmalloc). The only sanctioned way for a module to "exit".
 */
#ifndef SA_COMMON_XMALLOC_H
#define SA_COMMON_XMALLOC_H

#include <stddef.h>

/* Each returns owned memory (free with free()); never NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);	/* checks nmemb*size */
char	*xstrdup(const char *);

#endif
