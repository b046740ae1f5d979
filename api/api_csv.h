/*
 * api_csv: sessions as CSV (RFC 4180) for GET /api/sessions/history?
 * format=csv: a header row with the fields of DESIGN.md's session object
 * in their order, then one row per session, CRLF line ends. null is an
 * empty cell. A text cell that a spreadsheet would run as a formula
 * (first byte = + - @ tab or CR) gets a leading apostrophe, since user
 * and target come from captured packets.
 */
#ifndef SA_API_API_CSV_H
#define SA_API_API_CSV_H

#include <jansson.h>

#include "api_buf.h"

/* The session fields, NULL-terminated, in output order. */
extern const char *const api_csv_fields[];

/*
 * Appends the header and one row per object of sessions (borrowed JSON
 * array) to out. Returns 0, -EINVAL if sessions is not an array of
 * objects, or -EMSGSIZE when out overflowed.
 */
int	api_csv_sessions(const json_t *sessions, struct api_buf *out)
	    __attribute__((warn_unused_result));

#endif
