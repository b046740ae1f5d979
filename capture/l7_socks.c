/* l7_socks: placeholder until the parser lands. */
#include "l7.h"

enum l7_res
l7_socks_parse(const uint8_t *c, size_t nc, const uint8_t *s, size_t ns,
    struct l7_result *r)
{
	(void)c; (void)nc; (void)s; (void)ns; (void)r;
	return L7_NOMATCH;
}
