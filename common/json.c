/* json: see json.h. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

/* Printable ASCII that needs no escape: copied in runs. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * The escaped form of the character at p (left > 0 bytes): writes it to
 * tmp (JSON_ESCAPE_MAX bytes) or points *ret_out at the input itself;
 * returns its output length and sets *ret_in to the input it stands for.
 */
static size_t escape_one(const unsigned char *p, size_t left, char *tmp, const char **ret_out,
			 size_t *ret_in)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = *p;
	char e = 0;
	size_t n;

	*ret_in = 1;
	*ret_out = tmp;
	switch (c) {
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case '\b': e = 'b'; break;
	case '\f': e = 'f'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	default:
		break;
	}
	if (e) {
		tmp[0] = '\\';
		tmp[1] = e;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[c >> 4];
		tmp[5] = hex[c & 15];
		return 6;
	}
	n = utf8_seq_len(p, left);
	if (n == 0) {
		memcpy(tmp, "\\ufffd", 6);
		return 6;
	}
	*ret_in = n;
	*ret_out = (const char *)p;
	return n;
}

size_t json_escape(char *out, size_t cap, const char *s, size_t len, size_t *ret_used)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		char tmp[JSON_ESCAPE_MAX];
		const char *e;
		size_t in, n;

		if (plain(p[i])) {
			size_t run = 1;

			while (i + run < len && plain(p[i + run]))
				run++;
			if (run > cap - o)
				run = cap - o;
			memcpy(out + o, p + i, run);
			o += run;
			i += run;
			if (o == cap)
				break;
			continue;
		}
		n = escape_one(p + i, len - i, tmp, &e, &in);
		if (n > cap - o)
			break;
		memcpy(out + o, e, n);
		o += n;
		i += in;
	}
	*ret_used = i;
	return o;
}

size_t json_escaped_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		char tmp[JSON_ESCAPE_MAX];
		const char *e;
		size_t in;

		if (plain(p[i])) {
			i++;
			o++;
			continue;
		}
		o += escape_one(p + i, len - i, tmp, &e, &in);
		i += in;
	}
	return o;
}

int json_append_string(struct buf *b, const char *s, size_t len)
{
	size_t n, used;
	int r;

	if (!s)
		return buf_append(b, "null", 4);
	n = json_escaped_len(s, len);
	if (n > SIZE_MAX - 2)
		return buf_reserve(b, SIZE_MAX);	/* fails, and marks b failed */
	r = buf_reserve(b, n + 2);
	if (r < 0)
		return r;
	b->data[b->len++] = '"';
	b->len += json_escape(b->data + b->len, n, s, len, &used);
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
	return 0;
}
