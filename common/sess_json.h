/*
 * sess_json: the session object of DESIGN.md as one line of JSON, the same
 * in offline output, the active list and history. Field names follow
 * RustSocks' sessions schema. Formatting is hand-rolled (no printf on the
 * hot path) because offline mode prints one object per session.
 */
#ifndef SA_COMMON_SESS_JSON_H
#define SA_COMMON_SESS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "sess_table.h"

/*
 * Longest agent, user or target string accepted, in bytes; longer ones
 * are cut, never inside a UTF-8 sequence.
 */
#define SESS_JSON_STR_MAX	255
/*
 * Longest object sess_json_format can write, with its NUL: under 1 KiB
 * of names, numbers and addresses, plus the three strings each escaped
 * at worst to six bytes per input byte ("\u0001") and quoted.
 */
#define SESS_JSON_MAX	(1024 + 4 * (2 + 6 * SESS_JSON_STR_MAX))

/*
 * Writes rec as a JSON object (no newline) into buf of size len (at least
 * SESS_JSON_MAX; a smaller buffer gets a cut, NUL-terminated object).
 * agent, user and target borrowed; user NULL means rec's enrichment
 * user, else the client IP; target NULL means rec's enrichment target,
 * else null. origin, leg and peer_session_id come from rec->enr (null
 * without). Strings are escaped per RFC 8259 and bytes that are
 * not valid UTF-8 become U+FFFD. Returns the length written.
 */
size_t	sess_json_format(const struct sess_rec *rec, const char *agent,
	    const char *user, const char *target, char *buf, size_t len);

/*
 * Longest text sess_json_utf8 writes, with its NUL: every byte of a
 * string of SESS_JSON_STR_MAX replaced by U+FFFD (3 bytes).
 */
#define SESS_JSON_UTF8_MAX	(3 * SESS_JSON_STR_MAX + 1)

/*
 * Copies str (borrowed) into out (len bytes) as the text a JSON reader
 * gets back from sess_json_format's string: cut at SESS_JSON_STR_MAX
 * bytes on a character boundary, and each byte that starts no valid
 * UTF-8 sequence replaced by U+FFFD; cut earlier, on a boundary, if out
 * is shorter than SESS_JSON_UTF8_MAX. NUL-terminated (len > 0). Returns
 * the length written.
 */
size_t	sess_json_utf8(const char *str, char *out, size_t len);

/* Writes an address (af 4 or 6) as text; buf of at least 46 bytes. */
size_t	sess_json_addr(uint8_t af, const uint8_t *addr, char *buf);

/* RFC 3339 UTC with nanoseconds, e.g. 2024-01-02T03:04:05.000000006Z.
 * buf of at least 32 bytes. Returns the length. */
size_t	sess_json_time(uint64_t ns, char *buf);

#endif
