/*
 * xmalloc: abort-on-failure allocators. Running out of memory is not a
 * condition any caller here can recover from sensibly; limits keep it away.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
xmalloc_die(size_t n)
{
	fprintf(stderr, "sessacct: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		xmalloc_die(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = calloc(nmemb, size);
	if (p == NULL)
		xmalloc_die(nmemb * size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size) {
		fprintf(stderr, "sessacct: allocation overflow %zu * %zu\n",
		    nmemb, size);
		abort();
	}
	p = realloc(ptr, nmemb * size == 0 ? 1 : nmemb * size);
	if (p == NULL)
		xmalloc_die(nmemb * size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

#define HUGE_ALIGN	((size_t)2 << 20)

static size_t
huge_round(size_t n)
{
	return (n + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
}

/* Below this, a mapping of its own would mostly be rounding. */
#define HUGE_MIN	(HUGE_ALIGN / 2)

void *
xmalloc_huge(size_t n)
{
	size_t len = huge_round(n == 0 ? 1 : n), extra;
	uint8_t *p, *a;

	/* A small table (tests, fuzz targets make thousands): the heap, not
	 * 2 MiB cleared by the kernel every time. */
	if (n < HUGE_MIN)
		return xmalloc(n == 0 ? 1 : n);

	/* Map one alignment more, then give back the ends. */
	p = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		xmalloc_die(n);
	a = (uint8_t *)(((uintptr_t)p + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	extra = (size_t)(p + len + HUGE_ALIGN - (a + len));
	if (extra > 0)
		munmap(a + len, extra);
#ifdef MADV_HUGEPAGE
	(void)madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

void
xfree_huge(void *p, size_t n)
{
	if (p != NULL && n < HUGE_MIN)
		free(p);
	else if (p != NULL)
		munmap(p, huge_round(n == 0 ? 1 : n));
}
