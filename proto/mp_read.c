/*
 * mp_read: MessagePack readers (https://github.com/msgpack/msgpack spec).
 * Type bytes used here:
 *   0x00-0x7f fixint | 0xcc-0xcf uint8..64 | 0xd0-0xd3 int8..64
 *   0xa0-0xbf fixstr | 0xd9-0xdb str8..32  | 0xc4-0xc6 bin8..32
 *   0x90-0x9f fixarray | 0xdc-0xdd array16/32
 *   0x80-0x8f fixmap   | 0xde-0xdf map16/32 | 0xc0 nil | 0xc2/0xc3 bool
 */
#include <errno.h>

#include "mp_read.h"

static int
read_len(struct cursor *c, int width, uint32_t *n)
{
	switch (width) {
	case 1:
		PD_U8(c, *n);
		return 0;
	case 2:
		PD_BE16(c, *n);
		return 0;
	case 4:
		PD_BE32(c, *n);
		return 0;
	}
trunc:
	return -EBADMSG;
}

static int
read_container(struct cursor *c, uint32_t max, uint32_t *n, uint8_t fixbase,
    uint8_t t16)
{
	uint8_t t;
	int rc = 0;

	PD_U8(c, t);
	if ((t & 0xf0) == fixbase)
		*n = t & 0x0f;
	else if (t == t16)
		rc = read_len(c, 2, n);
	else if (t == t16 + 1)
		rc = read_len(c, 4, n);
	else
		return -EBADMSG;
	if (rc != 0 || *n > max)
		return -EBADMSG;
	/* Every element takes at least one byte: a count larger than what
	 * is left is a lie, whatever the cap. */
	if (*n > cursor_left(c))
		return -EBADMSG;
	return 0;
trunc:
	return -EBADMSG;
}

int
mp_read_array(struct cursor *c, uint32_t max, uint32_t *n)
{
	return read_container(c, max, n, 0x90, 0xdc);
}

int
mp_read_map(struct cursor *c, uint32_t max, uint32_t *n)
{
	return read_container(c, max, n, 0x80, 0xde);
}

int
mp_read_uint(struct cursor *c, uint64_t max, uint64_t *v)
{
	uint8_t t;
	uint64_t x;
	int64_t sx;

	PD_U8(c, t);
	if (t <= 0x7f)
		x = t;
	else switch (t) {
	case 0xcc:
		PD_U8(c, x);
		break;
	case 0xcd:
		PD_BE16(c, x);
		break;
	case 0xce:
		PD_BE32(c, x);
		break;
	case 0xcf: {
		uint32_t hi, lo;

		PD_BE32(c, hi);
		PD_BE32(c, lo);
		x = (uint64_t)hi << 32 | lo;
		break;
	}
	case 0xd0: {
		uint8_t b;

		PD_U8(c, b);
		sx = (int8_t)b;
		goto signed_;
	}
	case 0xd1: {
		uint16_t b;

		PD_BE16(c, b);
		sx = (int16_t)b;
		goto signed_;
	}
	case 0xd2: {
		uint32_t b;

		PD_BE32(c, b);
		sx = (int32_t)b;
		goto signed_;
	}
	case 0xd3: {
		uint32_t hi, lo;

		PD_BE32(c, hi);
		PD_BE32(c, lo);
		sx = (int64_t)((uint64_t)hi << 32 | lo);
		goto signed_;
	}
	default:
		return -EBADMSG;
	}
	if (x > max)
		return -EBADMSG;
	*v = x;
	return 0;
signed_:
	if (sx < 0 || (uint64_t)sx > max)
		return -EBADMSG;
	*v = (uint64_t)sx;
	return 0;
trunc:
	return -EBADMSG;
}

static int
read_raw(struct cursor *c, uint32_t max, const uint8_t **p, uint32_t *len,
    int is_str)
{
	uint8_t t;
	int rc;

	PD_U8(c, t);
	if (is_str && (t & 0xe0) == 0xa0) {
		*len = t & 0x1f;
		rc = 0;
	} else if (t == (is_str ? 0xd9 : 0xc4))
		rc = read_len(c, 1, len);
	else if (t == (is_str ? 0xda : 0xc5))
		rc = read_len(c, 2, len);
	else if (t == (is_str ? 0xdb : 0xc6))
		rc = read_len(c, 4, len);
	else
		return -EBADMSG;
	if (rc != 0 || *len > max || !PD_HAVE(c, *len))
		return -EBADMSG;
	*p = c->p;
	c->p += *len;
	return 0;
trunc:
	return -EBADMSG;
}

int
mp_read_str(struct cursor *c, uint32_t max, const char **s, uint32_t *len)
{
	const uint8_t *p;
	int rc = read_raw(c, max, &p, len, 1);

	if (rc == 0)
		*s = (const char *)p;
	return rc;
}

int
mp_read_str_or_nil(struct cursor *c, uint32_t max, const char **s,
    uint32_t *len)
{
	if (mp_peek_nil(c)) {
		c->p++;
		*s = NULL;
		*len = 0;
		return 0;
	}
	return mp_read_str(c, max, s, len);
}

int
mp_read_bin(struct cursor *c, uint32_t max, const uint8_t **b, uint32_t *len)
{
	return read_raw(c, max, b, len, 0);
}

int
mp_read_bool(struct cursor *c, int *v)
{
	uint8_t t;

	PD_U8(c, t);
	if (t != 0xc2 && t != 0xc3)
		return -EBADMSG;
	*v = t == 0xc3;
	return 0;
trunc:
	return -EBADMSG;
}

int
mp_peek_nil(const struct cursor *c)
{
	return PD_HAVE(c, 1) && c->p[0] == 0xc0;
}
