/*
 * decode_l4: TCP (RFC 9293) and UDP (RFC 768) headers. Only the ports are
 * required: a header cut by the snaplen still yields an observation, with
 * lengths taken from the IP header. The payload length is the segment
 * length minus the header the packet declares, as tshark's tcp.len and
 * udp.length - 8 count it.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode_int.h"

/*
 * TCP header:
 *   Source Port(2) | Destination Port(2) | Sequence(4) | Ack(4)
 *   Data Offset(4) Rsv(4) | Flags CWR ECE URG ACK PSH RST SYN FIN | ...
 * UDP header:
 *   Source Port(2) | Destination Port(2) | Length(2) | Checksum(2)
 */
enum decode_res
decode__l4(struct cursor *c, uint32_t l4len, struct decoded *d,
    enum decode_reason *why)
{
	uint32_t hl;

	/*
	 * A segment shorter than its minimum header is the IP length's
	 * fault whatever was captured; tell it apart from truncation. A
	 * first fragment need only hold the ports.
	 */
	if (l4len < 4) {
		*why = DR_IP_LEN;
		return DEC_INVALID;
	}
	if (d->frag == DEC_FRAG_NONE) {
		if (d->proto == 6 && l4len < 20) {
			*why = DR_TCP_HLEN;
			return DEC_INVALID;
		}
		if (d->proto == 17 && l4len < 8) {
			*why = DR_IP_LEN;
			return DEC_INVALID;
		}
	}
	if (!PD_HAVE(c, 4)) {
		*why = DR_L4_TRUNC;
		return DEC_TRUNC;
	}
	d->sport = PD_AT_BE16(c, 0);
	d->dport = PD_AT_BE16(c, 2);

	if (d->proto == 6) {
		if (PD_HAVE(c, 8))
			d->tcp_seq = PD_AT_BE32(c, 4);
		if (!PD_HAVE(c, 14)) {
			/* Ports only: assume the minimum header. */
			d->payload = l4len > 20 ? l4len - 20 : 0;
			return DEC_OK;
		}
		hl = (uint32_t)(PD_AT_U8(c, 12) >> 4) * 4;
		d->tcp_flags = PD_AT_U8(c, 13) & 0x1f;
		if (hl < 20 || (hl > l4len && d->frag == DEC_FRAG_NONE)) {
			*why = DR_TCP_HLEN;
			return DEC_INVALID;
		}
		d->payload = l4len > hl ? l4len - hl : 0;
	} else {
		hl = 8;
		if (d->frag == DEC_FRAG_FIRST && PD_HAVE(c, 6)) {
			/* The datagram's length, counted once here; the
			 * later fragments add none. */
			uint32_t ulen = PD_AT_BE16(c, 4);

			d->payload = ulen >= 8 ? ulen - 8 : 0;
		} else if (PD_HAVE(c, 6) && PD_AT_BE16(c, 4) >= 8 &&
		    PD_AT_BE16(c, 4) <= l4len)
			d->payload = (uint32_t)PD_AT_BE16(c, 4) - 8;
		else
			d->payload = l4len > 8 ? l4len - 8 : 0;
	}
	if (PD_HAVE(c, hl)) {
		d->l7 = c->p + hl;
		d->l7_caplen = (uint32_t)(cursor_left(c) - hl);
	}
	return DEC_OK;
}
