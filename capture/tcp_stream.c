/* tcp_stream: placeholder until the reader lands. */
#include <stdlib.h>

#include "tcp_stream.h"

void
tcp_stream_init(struct tcp_stream *s, uint32_t base, uint32_t budget)
{
	s->buf = NULL;
	s->base = base;
	s->budget = budget;
	s->len = 0;
	s->fin_off = UINT32_MAX;
	s->patience = 0;
	s->state = TCP_STREAM_OPEN;
	s->nranges = 0;
}

void
tcp_stream_free(struct tcp_stream *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	s->buf = NULL;
}

uint32_t
tcp_stream_add(struct tcp_stream *s, uint32_t seq, const uint8_t *data,
    uint32_t caplen, uint32_t paylen, int fin)
{
	(void)s; (void)seq; (void)data; (void)caplen; (void)paylen; (void)fin;
	return 0;
}

void
tcp_stream_close(struct tcp_stream *s)
{
	s->state = TCP_STREAM_GAP;
}
