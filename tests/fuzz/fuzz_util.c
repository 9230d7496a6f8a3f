/* fuzz_util: helpers shared by the harnesses (see fuzz.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* RFC 3629 restated from the bit patterns of its section 3, independently
 * of common/utf8.h, so a harness checks that code instead of repeating it. */
size_t fuzz_utf8_len(const unsigned char *s)
{
	unsigned c = s[0], n, cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		n = 1, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 2, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 3, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (unsigned i = 1; i <= n; i++) {	/* stops at the NUL: not 10xxxxxx */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, above U+10FFFF, or a UTF-16 surrogate (section 4) */
	return n + 1;
}

bool fuzz_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = fuzz_utf8_len(s);

		if (!n)
			return false;
		s += n;
	}
	return true;
}
