/* l7_proxy: placeholder until the parser lands. */
#include "l7.h"

enum l7_res
l7_proxy_parse(const uint8_t *c, size_t nc, struct l7_result *r,
    size_t *hdr_len)
{
	(void)c; (void)nc; (void)r; (void)hdr_len;
	return L7_NOMATCH;
}
