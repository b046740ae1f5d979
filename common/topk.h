/*
 * topk: the heaviest names of a stream in bounded memory, by the
 * space-saving algorithm (Metwally, Agrawal, El Abbadi 2005). It keeps at
 * most cap names; a new name, when full, takes the place of the lightest
 * one and inherits its weight as error. Any name whose true weight is
 * above total / cap is guaranteed to be kept, and a kept name's weight is
 * over-estimated by at most its error. Used for the hourly top users and
 * destinations of the statistics, whose cost must not grow with traffic.
 */
#ifndef SA_COMMON_TOPK_H
#define SA_COMMON_TOPK_H

#include <stddef.h>
#include <stdint.h>

#define TOPK_NAME_MAX	255

struct topk_item {
	uint64_t	weight;		/* bytes */
	uint64_t	sessions;
	uint64_t	error;		/* weight inherited on replacement */
	uint16_t	len;
	char		name[TOPK_NAME_MAX + 1];
};

struct topk;

/* Returns owned (topk_destroy); cap >= 1. */
struct topk	*topk_create(size_t cap);
void		 topk_destroy(struct topk *);
/* Adds weight and sessions to name (len bytes, cut at TOPK_NAME_MAX). */
void		 topk_add(struct topk *, const char *name, size_t len,
		    uint64_t weight, uint64_t sessions);
/* Puts back an item as stored (no error accounting); for loading. */
void		 topk_load(struct topk *, const struct topk_item *);
size_t		 topk_count(const struct topk *);
/* The i-th kept item, in no particular order (borrowed). */
const struct topk_item *topk_item(const struct topk *, size_t i);

#endif
