/*
 * cap_print: closed sessions as JSON lines (--print). One line at a time,
 * or, for the burst at the end of a capture file, through a writer thread
 * that formats and writes them in order while the table makes the next.
 */
#ifndef SA_CAPTURE_CAP_PRINT_H
#define SA_CAPTURE_CAP_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/cidr.h"
#include "../common/sess_json.h"

/* Longest line cap_print_line writes: the object and its newline. */
#define CAP_PRINT_LINE_MAX	(SESS_JSON_MAX + 1)

/*
 * The [users] label (users NULL for none) of a session without a proxy
 * user, or NULL: it stands in for the user in the line and in what the
 * agent sends.
 */
const char	*cap_print_label(const struct cidr_table *users,
		    const struct sess_rec *rec);

/*
 * rec as one JSON line ending in a newline, into line (CAP_PRINT_LINE_MAX
 * bytes, not NUL-terminated). users (NULL for none) labels a session
 * without a proxy user. Returns the length.
 */
size_t	cap_print_line(const struct sess_rec *rec, const char *agent,
	    const struct cidr_table *users, char *line);

/* Smallest chunk cap_printer_start takes: one record at its largest. */
#define CAP_PRINT_CHUNK_MIN	4096

struct cap_printer;

/*
 * A writer thread printing onto fp (borrowed, written by that thread only
 * until cap_printer_finish) the records handed to cap_printer_add, in
 * order. Records are copied into two chunks of chunk bytes each (at
 * least CAP_PRINT_CHUNK_MIN): one filling while the thread writes the
 * other. agent and users borrowed. NULL if the thread cannot start.
 */
struct cap_printer	*cap_printer_start(FILE *fp, const char *agent,
			    const struct cidr_table *users, size_t chunk);
/* Copies rec (and its enrichment) for printing. */
void			 cap_printer_add(struct cap_printer *,
			    const struct sess_rec *rec);
/*
 * Prints what is left, stops the thread and frees everything. Adds the
 * lines written to *printed. Returns 0, or -EIO if a write failed.
 */
int			 cap_printer_finish(struct cap_printer *,
			    uint64_t *printed);

#endif
