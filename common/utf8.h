/*
 * utf8: the one well-formedness check (RFC 3629 section 4, whose table is
 * the Unicode Standard's Table 3-7) behind everything common/ writes that
 * must be UTF-8: log lines and JSON error bodies replace a bad byte with
 * U+FFFD (as Go's encoding/json does), the metrics exposition refuses text
 * that is not UTF-8.  Rejected: stray continuation bytes, the lead bytes
 * C0, C1 and F5..FF, overlong forms, UTF-16 surrogates (U+D800..U+DFFF),
 * code points above U+10FFFF, and a sequence cut by the end of the input.
 *
 * Private to common/ (like metrics_int.h): not part of the API contract.
 * Thread-safety: pure functions of their arguments; nothing is allocated.
 */
#ifndef PRISM_UTF8_H
#define PRISM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (1 to 4) of the well-formed sequence at s, which has left bytes;
 * 0 if s does not start one (or left is 0).  An ASCII byte, NUL included,
 * is a sequence of 1.  Inline because the exposition writer calls it for
 * every non-ASCII character of every label value it scrapes.
 */
static inline size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t n;

	if (left == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;	/* continuation byte or overlong 2-byte lead */
	if (c < 0xe0)
		n = 2;
	else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * utf8_seq_len() inside a NUL-terminated string: the bytes are read in
 * order and the NUL is never a continuation byte, so a sequence cut by the
 * terminator gives 0 there and nothing past it is read.
 */
static inline size_t utf8_seq_len_str(const unsigned char *s)
{
	return utf8_seq_len(s, SIZE_MAX);
}

/* true if all len bytes at s are well-formed UTF-8 (NUL bytes included). */
bool utf8_valid(const void *s, size_t len);

#endif
