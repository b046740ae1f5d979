/*
 * sess_json: fast, escaping JSON writer for one session. Every string that
 * may come from the outside (agent, user, target) is escaped per RFC 8259;
 * addresses, numbers and enum names are produced here and need none.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "sess_enr.h"
#include "sess_json.h"

struct jbuf {
	char	*p;
	char	*end;
};

/* Appends n bytes, cut at the buffer's end. The check is apart from the
 * copy so that a literal's copy keeps its constant size (inline moves,
 * no call). */
static inline void
put(struct jbuf *b, const char *s, size_t n)
{
	if (__builtin_expect(n > (size_t)(b->end - b->p), 0))
		n = (size_t)(b->end - b->p);
	else {
		memcpy(b->p, s, n);
		b->p += n;
		return;
	}
	memcpy(b->p, s, n);
	b->p += n;
}

#define PUTLIT(b, s)	put((b), (s), sizeof(s) - 1)

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal digits of v into out (no NUL), written from the last one
 * back, two per division. */
static size_t
fmt_u64(uint64_t v, char *out)
{
	static const uint64_t pow10[19] = { 10ULL, 100ULL, 1000ULL, 10000ULL,
	    100000ULL, 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
	    10000000000ULL, 100000000000ULL, 1000000000000ULL,
	    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
	    10000000000000000ULL, 100000000000000000ULL,
	    1000000000000000000ULL, 10000000000000000000ULL };
	size_t len = 1, n;

	while (len < 20 && v >= pow10[len - 1])
		len++;
	n = len;
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		out[--n] = digit_pairs[d + 1];
		out[--n] = digit_pairs[d];
	}
	if (v >= 10) {
		out[--n] = digit_pairs[v * 2 + 1];
		out[--n] = digit_pairs[v * 2];
	} else
		out[--n] = (char)('0' + v);
	return len;
}

static void
put_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];

	if (__builtin_expect((size_t)(b->end - b->p) >= sizeof(tmp), 1))
		b->p += fmt_u64(v, b->p);
	else
		put(b, tmp, fmt_u64(v, tmp));
}

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629: shortest form, no
 * surrogates, nothing above U+10FFFF), or 0 if there is none. s is
 * NUL-terminated; a NUL fails the continuation test before the next byte
 * is read.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;	/* overlong, or a surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;	/* overlong, or above U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * Writes str as a JSON string. The text may come from packets, so it is
 * cut at SESS_JSON_STR_MAX bytes on a character boundary, and a byte that
 * starts no valid UTF-8 sequence is written as U+FFFD: strict parsers
 * reject a line that is not UTF-8.
 */
static void
put_str(struct jbuf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0, l, adv;

	PUTLIT(b, "\"");
	for (; *s != '\0'; s += adv, n += adv) {
		const unsigned char *run = s;
		unsigned char ch;

		/* Printable ASCII but the quote and the backslash, the bulk
		 * of any name, goes in one copy. */
		while (n < SESS_JSON_STR_MAX && *s >= 0x20 && *s < 0x7f &&
		    *s != '"' && *s != '\\') {
			s++;
			n++;
		}
		if (s > run)
			put(b, (const char *)run, (size_t)(s - run));
		if (*s == '\0' || n >= SESS_JSON_STR_MAX)
			break;
		ch = *s;
		l = utf8_len(s);
		adv = l != 0 ? l : 1;
		if (n + adv > SESS_JSON_STR_MAX)
			break;
		if (l == 0)
			PUTLIT(b, "\\ufffd");
		else if (ch == '"' || ch == '\\') {
			char e[2] = { '\\', (char)ch };

			put(b, e, 2);
		} else if (ch < 0x20 || ch == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[ch >> 4],
			    hex[ch & 15] };

			put(b, e, 6);
		} else
			put(b, (const char *)s, l);
	}
	PUTLIT(b, "\"");
}

size_t
sess_json_utf8(const char *str, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0, o = 0, l, adv;

	for (; *s != '\0'; s += adv, n += adv) {
		l = utf8_len(s);
		adv = l != 0 ? l : 1;
		if (n + adv > SESS_JSON_STR_MAX || o + (l != 0 ? l : 3) >= len)
			break;
		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
		} else {
			memcpy(out + o, s, l);
			o += l;
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * IPv6 text per RFC 5952: lowercase hex without leading zeros, the
 * longest run of two or more zero groups (the first if tied) as "::",
 * and IPv4-mapped addresses as ::ffff:a.b.c.d, the same as inet_ntop
 * but without its sprintf per group.
 */
static size_t
fmt_ipv6(const uint8_t *a, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int i, best = -1, bestlen = 0, cur = -1, curlen = 0;
	size_t n = 0;

	for (i = 0; i < 8; i++) {
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (g[i] == 0) {
			if (cur < 0)
				cur = i;
			if (++curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
		} else {
			cur = -1;
			curlen = 0;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		int shift, started = 0;

		if (i == best) {
			buf[n++] = ':';
			if (i == 0)
				buf[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 &&
		    g[5] == 0xffff))) {
			/* ::a.b.c.d and ::ffff:a.b.c.d */
			int k;

			for (k = 12; k < 16; k++) {
				n += fmt_u64(a[k], buf + n);
				if (k < 15)
					buf[n++] = '.';
			}
			break;
		}
		for (shift = 12; shift >= 0; shift -= 4) {
			unsigned d = (g[i] >> shift) & 0xf;

			if (d != 0 || started || shift == 0) {
				buf[n++] = hex[d];
				started = 1;
			}
		}
		if (i < 7)
			buf[n++] = ':';
	}
	buf[n] = '\0';
	return n;
}

size_t
sess_json_addr(uint8_t af, const uint8_t *a, char *buf)
{
	size_t n = 0;
	int i;

	if (af == 4) {
		for (i = 0; i < 4; i++) {
			if (i > 0)
				buf[n++] = '.';
			n += fmt_u64(a[i], buf + n);
		}
		buf[n] = '\0';
		return n;
	}
	return fmt_ipv6(a, buf);
}

/* The nine digits of f (below 10^9), zero-padded, two per division. */
static void
frac9(uint32_t f, char *out)
{
	int i;

	for (i = 7; i >= 1; i -= 2) {
		unsigned d = f % 100 * 2;

		f /= 100;
		out[i] = digit_pairs[d];
		out[i + 1] = digit_pairs[d + 1];
	}
	out[0] = (char)('0' + f);
}

static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

size_t
sess_json_time(uint64_t ns, char *buf)
{
	/* A session's start and end, and sessions closing together, fall
	 * on the same day nearly always: the calendar work of the last day
	 * is reused (per thread), the time of day is a few digits. */
	static _Thread_local int64_t last_days = -1;
	static _Thread_local char last_date[11];
	uint64_t sec = ns / 1000000000ULL;
	uint32_t frac = (uint32_t)(ns % 1000000000ULL);
	int64_t days = (int64_t)(sec / 86400);
	unsigned sod = (unsigned)(sec % 86400);

	if (days != last_days) {
		/* Days since the epoch to a civil date (H. Hinnant's
		 * algorithm): no time zone lookup, no lock. */
		int64_t z, era, doe, yoe, doy;
		unsigned y, m, d, mp;

		z = days + 719468;
		era = z / 146097;
		doe = z - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (unsigned)((5 * doy + 2) / 153);
		d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
		m = mp < 10 ? mp + 3 : mp - 9;
		y = (unsigned)(yoe + era * 400) + (m <= 2);
		last_date[0] = (char)('0' + y / 1000 % 10);
		last_date[1] = (char)('0' + y / 100 % 10);
		put2(last_date + 2, y % 100);
		last_date[4] = '-';
		put2(last_date + 5, m);
		last_date[7] = '-';
		put2(last_date + 8, d);
		last_date[10] = 'T';
		last_days = days;
	}
	memcpy(buf, last_date, 11);
	put2(buf + 11, sod / 3600);
	buf[13] = ':';
	put2(buf + 14, sod / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, sod % 60);
	buf[19] = '.';
	frac9(frac, buf + 20);
	buf[29] = 'Z';
	buf[30] = '\0';
	return 30;
}

static void
put_time(struct jbuf *b, uint64_t ns)
{
	char t[32];

	PUTLIT(b, "\"");
	put(b, t, sess_json_time(ns, t));
	PUTLIT(b, "\"");
}

static void
put_hex64(struct jbuf *b, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char t[16];
	int i;

	for (i = 15; i >= 0; i--) {
		t[i] = hex[v & 15];
		v >>= 4;
	}
	put(b, t, 16);
}

size_t
sess_json_format(const struct sess_rec *r, const char *agent,
    const char *user, const char *target, char *buf, size_t len)
{
	struct jbuf b = { buf, buf + len - 1 };
	char cli[46], srv[46];
	uint64_t d = r->end_ns >= r->start_ns ? r->end_ns - r->start_ns : 0;
	size_t cn = sess_json_addr(r->af, r->cli, cli);
	size_t sn = sess_json_addr(r->af, r->srv, srv);
	const char *reason = sess_close_name(r->reason);
	char frac[9];
	uint32_t f;

	PUTLIT(&b, "{\"session_id\":\"");
	put_hex64(&b, r->key_hash);
	put_hex64(&b, r->start_ns);
	PUTLIT(&b, "\",\"agent\":");
	put_str(&b, agent);
	if (r->proto == 6)
		PUTLIT(&b, ",\"protocol\":\"tcp\",\"source_ip\":\"");
	else
		PUTLIT(&b, ",\"protocol\":\"udp\",\"source_ip\":\"");
	put(&b, cli, cn);
	PUTLIT(&b, "\",\"source_port\":");
	put_u64(&b, r->cli_port);
	PUTLIT(&b, ",\"dest_ip\":\"");
	put(&b, srv, sn);
	PUTLIT(&b, "\",\"dest_port\":");
	put_u64(&b, r->srv_port);
	if (user == NULL && sess_enr_user(r->enr)[0] != '\0')
		user = sess_enr_user(r->enr);
	if (target == NULL && sess_enr_target(r->enr)[0] != '\0')
		target = sess_enr_target(r->enr);
	PUTLIT(&b, ",\"user\":");
	if (user != NULL)
		put_str(&b, user);
	else {
		PUTLIT(&b, "\"");
		put(&b, cli, cn);
		PUTLIT(&b, "\"");
	}
	PUTLIT(&b, ",\"target\":");
	if (target != NULL)
		put_str(&b, target);
	else
		PUTLIT(&b, "null");
	PUTLIT(&b, ",\"start_time\":");
	put_time(&b, r->start_ns);
	PUTLIT(&b, ",\"end_time\":");
	if (r->status == SESS_ACTIVE)
		PUTLIT(&b, "null");
	else
		put_time(&b, r->end_ns);
	PUTLIT(&b, ",\"duration_secs\":");
	put_u64(&b, d / 1000000000ULL);
	f = (uint32_t)(d % 1000000000ULL);
	frac9(f, frac);
	PUTLIT(&b, ".");
	put(&b, frac, 9);
	PUTLIT(&b, ",\"bytes_sent\":");
	put_u64(&b, r->bytes[0]);
	PUTLIT(&b, ",\"bytes_received\":");
	put_u64(&b, r->bytes[1]);
	PUTLIT(&b, ",\"packets_sent\":");
	put_u64(&b, r->packets[0]);
	PUTLIT(&b, ",\"packets_received\":");
	put_u64(&b, r->packets[1]);
	PUTLIT(&b, ",\"wire_bytes_sent\":");
	put_u64(&b, r->wire_bytes[0]);
	PUTLIT(&b, ",\"wire_bytes_received\":");
	put_u64(&b, r->wire_bytes[1]);
	PUTLIT(&b, ",\"status\":\"");
	put(&b, sess_status_name(r->status), strlen(sess_status_name(r->status)));
	PUTLIT(&b, "\",\"close_reason\":");
	if (reason == NULL)
		PUTLIT(&b, "null");
	else {
		PUTLIT(&b, "\"");
		put(&b, reason, strlen(reason));
		PUTLIT(&b, "\"");
	}
	PUTLIT(&b, ",\"origin\":");
	if (sess_enr_origin(r->enr)[0] != '\0')
		put_str(&b, sess_enr_origin(r->enr));
	else
		PUTLIT(&b, "null");
	PUTLIT(&b, ",\"leg\":");
	if (r->enr != NULL && sess_leg_name(r->enr->leg) != NULL) {
		PUTLIT(&b, "\"");
		put(&b, sess_leg_name(r->enr->leg),
		    strlen(sess_leg_name(r->enr->leg)));
		PUTLIT(&b, "\"");
	} else
		PUTLIT(&b, "null");
	PUTLIT(&b, ",\"peer_session_id\":");
	if (r->enr != NULL && (r->enr->peer_hash | r->enr->peer_start) != 0) {
		PUTLIT(&b, "\"");
		put_hex64(&b, r->enr->peer_hash);
		put_hex64(&b, r->enr->peer_start);
		PUTLIT(&b, "\"");
	} else
		PUTLIT(&b, "null");
	PUTLIT(&b, "}");
	*b.p = '\0';
	return (size_t)(b.p - buf);
}
