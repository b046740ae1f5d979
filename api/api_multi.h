/*
 * api_multi: what one API over several aggregators needs besides asking
 * them (docs/API.md, "Several aggregators"): the endpoint and name
 * lists of the configuration, the merged history cursor that carries
 * each aggregator's own position, the order sessions and events merge
 * in, top lists summed by name, and the Prometheus texts of several
 * aggregators joined under an aggregator label. Pure functions, no I/O.
 */
#ifndef SA_API_API_MULTI_H
#define SA_API_API_MULTI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api_buf.h"

#define API_MULTI_MAX		8	/* aggregators behind one API */
#define API_MULTI_ITEM_MAX	255	/* bytes of one list item */
#define API_MULTI_POS_MAX	80	/* bytes of one aggregator's cursor */
#define API_MULTI_CURSOR_MAX	1024	/* merged cursor text, with NUL */

/*
 * Splits a comma-separated list (borrowed) into items (spaces around
 * each trimmed), at most max of them. 0 with *n set, or -EINVAL with a
 * reason in err (an empty item, one longer than API_MULTI_ITEM_MAX, more
 * than max).
 */
int	api_multi_split(const char *list, char items[][API_MULTI_ITEM_MAX + 1],
	    size_t max, size_t *n, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* What one aggregator's position in the merged history is. */
enum api_multi_pos_state {
	API_MULTI_POS_START,	/* nothing read from it yet */
	API_MULTI_POS_AT,	/* go on from cursor */
	API_MULTI_POS_DONE	/* nothing more */
};

struct api_multi_pos {
	enum api_multi_pos_state state;
	char		 cursor[API_MULTI_POS_MAX + 1];	/* its own cursor */
};

struct api_multi_cursor {
	size_t			n;		/* aggregators */
	uint32_t		list_id;	/* api_multi_list_id */
	struct api_multi_pos	pos[API_MULTI_MAX];
};

/* A short hash of the aggregator names (borrowed), in order. */
uint32_t api_multi_list_id(const char *const *names, size_t n);
/*
 * The merged cursor as text: base64url (no padding) of a version byte,
 * the aggregator count, list_id, each position (state, length, the
 * aggregator's own cursor) and a check over all of it. out gets at most
 * API_MULTI_CURSOR_MAX bytes with the NUL. 0, or -EINVAL (a position's
 * cursor too long, more than API_MULTI_MAX positions).
 */
int	api_multi_cursor_encode(const struct api_multi_cursor *, char *out)
	    __attribute__((warn_unused_result));
/*
 * Parses text (borrowed) made by api_multi_cursor_encode for n
 * aggregators with list_id. 0 with *c filled, or -EINVAL with a reason
 * (for a 400) in detail.
 */
int	api_multi_cursor_decode(const char *text, size_t n, uint32_t list_id,
	    struct api_multi_cursor *c, char *detail, size_t detaillen)
	    __attribute__((warn_unused_result));

/*
 * History order of two session objects (borrowed): by end_time, then
 * session_id, as the aggregator's store orders them. Positive when a
 * comes first (is newer), negative when b does, 0 when equal.
 */
int	api_multi_session_cmp(const json_t *a, const json_t *b);

/*
 * Checks an aggregator's history answer before it is merged (answers are
 * trusted less than local state): sessions (borrowed) an array of
 * objects, each with string end_time and session_id, and cursors
 * (borrowed; its "row_cursors") an array as long, each a string of 1 to
 * API_MULTI_POS_MAX printable ASCII bytes. 0 or -EBADMSG.
 */
int	api_multi_rows_check(const json_t *sessions, const json_t *cursors)
	    __attribute__((warn_unused_result));

/* One aggregator's rows in the merge of a history page. */
struct api_multi_src {
	json_t		*rows;	/* borrowed array of sessions; NULL: none */
	size_t		 taken;	/* its first taken rows are in the page */
	int		 more;	/* it has rows after its last one */
};

/*
 * Appends sessions of the sources (n of them) to page (borrowed array;
 * each appended with a new reference), newest first by
 * api_multi_session_cmp, ties to the lower index, advancing each
 * source's taken, until page holds limit sessions or every source is used
 * up. It stops early when a source with more has had all its rows taken:
 * its next rows, not fetched yet, may be newer than the others' next.
 * need (n entries) gets 1 for each such source, 0 for the others.
 * Returns how many need more rows (0: the page is complete).
 */
size_t	api_multi_merge(struct api_multi_src *src, size_t n, json_t *page,
	    size_t limit, int *need);

/*
 * Sums top lists (lists[i] borrowed arrays of {name_key, sessions,
 * bytes}; NULL entries skipped) by name, orders them as the aggregator
 * does (bytes, then sessions, descending; then name) and keeps cap.
 * Returns a new array (owned).
 */
json_t	*api_multi_top_merge(json_t *const *lists, size_t n,
	    const char *name_key, size_t cap);

/*
 * Joins n Prometheus texts (texts[i] borrowed; NULL skipped), each
 * rendered from one aggregator, into out: every family once with its
 * HELP and TYPE, then the samples of every text with the label
 * aggregator="names[i]" added. 0 or -EMSGSIZE (out overflowed).
 */
int	api_multi_metrics_merge(const char *const *texts,
	    const char *const *names, size_t n, struct api_buf *out)
	    __attribute__((warn_unused_result));

#endif
