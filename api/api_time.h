/*
 * api_time: the times the HTTP API accepts in query parameters: RFC 3339
 * (any offset, converted to UTC) or whole or fractional seconds since the
 * epoch, turned into nanoseconds since the epoch as the aggregator's
 * queries take them. Output times come from the aggregator already in
 * RFC 3339 UTC (common/sess_json.h); nothing here consults the time zone
 * database or the locale.
 */
#ifndef SA_API_API_TIME_H
#define SA_API_API_TIME_H

#include <stdint.h>

/*
 * Parses s (borrowed) as one of
 *   2024-01-02T03:04:05Z, 2024-01-02T03:04:05.123456789+02:00
 *     (RFC 3339 section 5.6; 't', 'z' and a space for 'T' accepted,
 *     up to 9 fraction digits, leap second 60 refused),
 *   1704164645, 1704164645.5   (seconds since the epoch, up to 9
 *     fraction digits),
 * into nanoseconds since the epoch. Times before 1970 or after what a
 * uint64_t of nanoseconds holds (year 2554) are out of range.
 * Returns 0, -EINVAL (not a time) or -ERANGE.
 */
int	api_time_parse(const char *s, uint64_t *ns)
	    __attribute__((warn_unused_result));

/*
 * Parses a decimal number of seconds with up to 9 fraction digits
 * ("1.5", "30", "0.001") into nanoseconds, refusing signs, exponents
 * and more than max_ns. Returns 0, -EINVAL or -ERANGE.
 */
int	api_time_parse_secs(const char *s, uint64_t max_ns, uint64_t *ns)
	    __attribute__((warn_unused_result));

/* Nanoseconds since the epoch, from the wall clock. */
uint64_t api_time_now_ns(void);
/* Nanoseconds from a monotonic clock, for durations. */
uint64_t api_time_mono_ns(void);

#endif
