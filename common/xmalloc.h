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
/*
 * Like xmalloc for big tables that are accessed at random: its own
 * mapping (never carved from the heap, so freeing it gives the memory
 * back), aligned to 2 MiB and marked for transparent huge pages where
 * the kernel offers them, which spares a TLB miss on most accesses.
 * Below 1 MiB it is the heap's (xmalloc). Free with xfree_huge and the
 * same size.
 */
void	*xmalloc_huge(size_t);
void	 xfree_huge(void *, size_t);

#endif
