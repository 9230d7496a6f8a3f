/* utf8: see utf8.h. */
#include "utf8.h"

bool utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;

	while (len) {
		size_t n = utf8_seq_len(p, len);

		if (!n)
			return false;
		p += n;
		len -= n;
	}
	return true;
}
