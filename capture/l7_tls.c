/* l7_tls: placeholder until the parser lands. */
#include "l7.h"

enum l7_res
l7_tls_parse(const uint8_t *c, size_t nc, struct l7_result *r)
{
	(void)c; (void)nc; (void)r;
	return L7_NOMATCH;
}
