/*
 * api_csv: RFC 4180 writer for session rows. Cells are quoted only when
 * they hold a comma, a quote or a line break; quotes inside are doubled.
 * Numbers print as the JSON holds them: integers exactly, duration_secs
 * with 9 decimals (nanoseconds).
 */
#include <errno.h>
#include <string.h>

#include "api_csv.h"

const char *const api_csv_fields[] = { "session_id", "agent", "protocol",
    "source_ip", "source_port", "dest_ip", "dest_port", "user", "target",
    "start_time", "end_time", "duration_secs", "bytes_sent",
    "bytes_received", "packets_sent", "packets_received", "wire_bytes_sent",
    "wire_bytes_received", "status", "close_reason", "origin", "leg",
    "peer_session_id", NULL };

static void	cell_text(struct api_buf *, const char *s);

int
api_csv_sessions(const json_t *sessions, struct api_buf *out)
{
	const json_t *s, *v;
	size_t i;
	int f;

	if (!json_is_array(sessions))
		return -EINVAL;
	for (f = 0; api_csv_fields[f] != NULL; f++) {
		if (f > 0)
			api_buf_add(out, ",", 1);
		api_buf_puts(out, api_csv_fields[f]);
	}
	api_buf_add(out, "\r\n", 2);
	json_array_foreach(sessions, i, s) {
		if (!json_is_object(s))
			return -EINVAL;
		for (f = 0; api_csv_fields[f] != NULL; f++) {
			if (f > 0)
				api_buf_add(out, ",", 1);
			v = json_object_get(s, api_csv_fields[f]);
			if (json_is_string(v))
				cell_text(out, json_string_value(v));
			else if (json_is_integer(v))
				api_buf_printf(out, "%lld", (long long)
				    json_integer_value(v));
			else if (json_is_real(v))
				api_buf_printf(out, "%.9f", json_real_value(v));
			else if (json_is_true(v) || json_is_false(v))
				api_buf_puts(out, json_is_true(v) ? "true" :
				    "false");
			/* null or missing: empty cell */
		}
		api_buf_add(out, "\r\n", 2);
	}
	return out->overflow ? -EMSGSIZE : 0;
}

static void
cell_text(struct api_buf *b, const char *s)
{
	const char *p, *run;
	int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' ||
	    s[0] == '@' || s[0] == '\t' || s[0] == '\r';

	if (strpbrk(s, ",\"\r\n") == NULL) {
		if (formula)
			api_buf_add(b, "'", 1);
		api_buf_puts(b, s);
		return;
	}
	api_buf_add(b, "\"", 1);
	if (formula)
		api_buf_add(b, "'", 1);
	for (p = run = s; *p != '\0'; p++)
		if (*p == '"') {
			api_buf_add(b, run, (size_t)(p - run + 1));
			api_buf_add(b, "\"", 1);
			run = p + 1;
		}
	api_buf_add(b, run, (size_t)(p - run));
	api_buf_add(b, "\"", 1);
}
