/*
 * l7_tls: the server name a TLS client asks for, read from its ClientHello
 * (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2) in the server_name
 * extension (RFC 6066 section 3). The ClientHello may span several
 * records (RFC 8446 section 5.1); their fragments are joined in a bounded
 * local buffer. Nothing after the ClientHello is read, nothing decrypted.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "l7.h"

#define TLS_CT_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1
#define TLS_EXT_SERVER_NAME	0
#define TLS_SNI_HOST_NAME	0
#define TLS_REC_HDR		5
#define TLS_REC_MAX		(16384 + 256)	/* TLSCiphertext limit */
#define TLS_HS_HDR		4
#define TLS_HELLO_MAX		65536	/* a larger ClientHello is refused */
#define TLS_BUF			16384	/* what is kept of it */
#define TLS_HELLO_MIN		(2 + 32 + 1 + 2 + 2 + 1 + 1)

/* In tls_hello: the cursor's offset in the body, and whether n more
 * bytes fit in the length the handshake header declared. */
#define TLS_OFF(cur, b)		((size_t)((cur)->p - (b)))
#define TLS_FITS(cur, b, len, n) ((size_t)(n) <= (len) - TLS_OFF(cur, b))

static enum l7_res tls_hello(const uint8_t *, size_t, size_t,
    struct l7_result *);
static enum l7_res tls_sni(const uint8_t *, size_t, struct l7_result *);

/*
 * Record layer (RFC 8446 section 5.1), each record:
 *
 *    0        1        2        3        4
 *   +--------+--------+--------+--------+--------+------------------
 *   |  type  | legacy_version  |     length      | fragment ...
 *   |  (22)  |  3   | 0..4     |  <= 16384 + 256 | (length bytes)
 *   +--------+--------+--------+--------+--------+------------------
 *
 * and the handshake message the fragments make up, once joined:
 *
 *   +--------+--------+--------+--------+-------------------------
 *   | msg    |         length (24)      | ClientHello body ...
 *   | (1)    |                          |
 *   +--------+--------+--------+--------+-------------------------
 */
enum l7_res
l7_tls_parse(const uint8_t *c, size_t nc, struct l7_result *r)
{
	uint8_t buf[TLS_BUF];
	struct cursor cur;
	size_t have, want, n, k, take, hs_len, held;
	uint16_t rlen;
	enum l7_res res;
	int first, known;

	if (nc == 0)
		return L7_MORE;
	cursor_init(&cur, c, nc);
	have = 0;		/* handshake bytes joined so far */
	hs_len = 0;
	known = 0;		/* the handshake header is in */
	for (first = 1;; first = 0) {
		if (known && have == TLS_HS_HDR + hs_len)
			break;
		/* A byte that cannot start the first record means this is
		 * not TLS; a later one breaks the ClientHello. */
		if (!PD_HAVE(&cur, 1))
			break;
		if (PD_AT_U8(&cur, 0) != TLS_CT_HANDSHAKE)
			return first ? L7_NOMATCH : L7_INVALID;
		if (!PD_HAVE(&cur, 2))
			break;
		if (PD_AT_U8(&cur, 1) != 3)
			return first ? L7_NOMATCH : L7_INVALID;
		if (!PD_HAVE(&cur, 3))
			break;
		if (PD_AT_U8(&cur, 2) > 4)
			return first ? L7_NOMATCH : L7_INVALID;
		if (!PD_HAVE(&cur, TLS_REC_HDR))
			break;
		rlen = PD_AT_BE16(&cur, 3);
		/* RFC 8446 section 5.1: no empty handshake fragments. */
		if (rlen == 0 || rlen > TLS_REC_MAX)
			return L7_INVALID;
		cur.p += TLS_REC_HDR;
		take = cursor_left(&cur) < rlen ? cursor_left(&cur) : rlen;
		while (take > 0 && !(known && have == TLS_HS_HDR + hs_len)) {
			want = known ? TLS_HS_HDR + hs_len - have :
			    TLS_HS_HDR - have;
			n = take < want ? take : want;
			if (have < sizeof(buf)) {
				k = sizeof(buf) - have;
				memcpy(buf + have, cur.p, n < k ? n : k);
			}
			have += n;
			cur.p += n;
			take -= n;
			/* A client's first handshake message is its hello. */
			if (buf[0] != TLS_HS_CLIENT_HELLO)
				return L7_INVALID;
			if (!known && have == TLS_HS_HDR) {
				hs_len = (size_t)buf[1] << 16 |
				    (size_t)buf[2] << 8 | buf[3];
				if (hs_len > TLS_HELLO_MAX ||
				    hs_len < TLS_HELLO_MIN)
					return L7_INVALID;
				known = 1;
				r->kind = L7_TLS;
			}
		}
		/* The rest of a record that held the ClientHello's end (a
		 * coalesced next message) is not ours to read; a record cut
		 * short means the bytes so far are all there is. */
		if (known && have == TLS_HS_HDR + hs_len)
			break;
		if (cursor_left(&cur) == 0)
			break;
	}
	if (!known)
		return L7_MORE;
	held = have < sizeof(buf) ? have : sizeof(buf);
	res = tls_hello(buf + TLS_HS_HDR, held - TLS_HS_HDR, hs_len, r);
	if (res == L7_INVALID)
		return L7_INVALID;
	/* A ClientHello longer than buf ends what we can learn with what
	 * it held. */
	return have == TLS_HS_HDR + hs_len ? L7_DONE : L7_MORE;
}

/*
 * The ClientHello body, len bytes of which the first have are in b:
 *
 *   legacy_version(2) random(32)
 *   legacy_session_id<0..32>            (1-byte length)
 *   cipher_suites<2..2^16-2>            (2-byte length, even)
 *   legacy_compression_methods<1..2^8-1> (1-byte length)
 *   extensions<8..2^16-1>               (2-byte length; absent in old
 *                                        SSLv3/TLS 1.0 hellos)
 *   each extension: type(2) length(2) data
 *
 * Every length is checked against len (L7_INVALID if it overruns the
 * message); a read past have is the trunc case (L7_MORE). L7_DONE when
 * the whole body was walked.
 */
static enum l7_res
tls_hello(const uint8_t *b, size_t have, size_t len, struct l7_result *r)
{
	struct cursor cur;
	size_t off, ext_end;
	uint16_t n16, type, elen;
	uint8_t n8;
	int sni_done;

	cursor_init(&cur, b, have);
	PD_SKIP(&cur, 2 + 32);
	PD_U8(&cur, n8);
	if (n8 > 32 || !TLS_FITS(&cur, b, len, n8))
		return L7_INVALID;
	PD_SKIP(&cur, n8);
	if (!TLS_FITS(&cur, b, len, 2))
		return L7_INVALID;
	PD_BE16(&cur, n16);
	if (n16 < 2 || n16 % 2 != 0 || !TLS_FITS(&cur, b, len, n16))
		return L7_INVALID;
	PD_SKIP(&cur, n16);
	if (!TLS_FITS(&cur, b, len, 1))
		return L7_INVALID;
	PD_U8(&cur, n8);
	if (n8 < 1 || !TLS_FITS(&cur, b, len, n8))
		return L7_INVALID;
	PD_SKIP(&cur, n8);
	if (TLS_OFF(&cur, b) == len)
		return L7_DONE;
	if (!TLS_FITS(&cur, b, len, 2))
		return L7_INVALID;
	PD_BE16(&cur, n16);
	/* The extensions end the message exactly (RFC 8446 section 4.1.2;
	 * OpenSSL refuses trailing bytes too). */
	if (n16 != len - TLS_OFF(&cur, b))
		return L7_INVALID;
	ext_end = len;
	sni_done = 0;
	while (TLS_OFF(&cur, b) < ext_end) {
		off = TLS_OFF(&cur, b);
		if (ext_end - off < 4)
			return L7_INVALID;
		PD_BE16(&cur, type);
		PD_BE16(&cur, elen);
		if (elen > ext_end - off - 4)
			return L7_INVALID;
		if (type == TLS_EXT_SERVER_NAME && !sni_done) {
			/* RFC 8446 section 4.2: one extension of a type;
			 * the first is the one read. */
			sni_done = 1;
			PD_NEED(&cur, elen);
			if (tls_sni(cur.p, elen, r) != L7_DONE)
				return L7_INVALID;
		}
		PD_SKIP(&cur, elen);
	}
	return L7_DONE;
trunc:
	return L7_MORE;
}

/*
 * server_name extension data (RFC 6066 section 3), all of it in b:
 *
 *   +--------+--------+--------+--------+--------+----------------
 *   |  server_name_list length | type=0 |  name length    | name ...
 *   +--------+--------+--------+--------+--------+----------------
 *
 * The first host_name goes to r->sni. A DNS name is 1..255 bytes of
 * letters, digits, '-', '.' and '_' in practice; other printable bytes
 * are kept as sent and the rest shown as '?' (l7__copy_text).
 */
static enum l7_res
tls_sni(const uint8_t *b, size_t n, struct l7_result *r)
{
	struct cursor cur;
	uint16_t list, nlen;
	uint8_t nt;

	cursor_init(&cur, b, n);
	/* A server's empty server_name extension has no list; a client's
	 * must (RFC 6066 section 3). */
	PD_BE16(&cur, list);
	if (list != cursor_left(&cur) || list == 0)
		return L7_INVALID;
	while (cursor_left(&cur) > 0) {
		PD_U8(&cur, nt);
		PD_BE16(&cur, nlen);
		PD_NEED(&cur, nlen);
		if (nt == TLS_SNI_HOST_NAME) {
			if (nlen == 0 || nlen > L7_STR_MAX)
				return L7_INVALID;
			l7__copy_text(r->sni, cur.p, nlen);
			return L7_DONE;
		}
		cur.p += nlen;
	}
	return L7_DONE;
trunc:
	return L7_INVALID;
}
