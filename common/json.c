/* json: see json.h. */
#include <errno.h>
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

/* ---- json_check: RFC 8259 section 2-7 grammar, I-JSON surrogates ---- */

struct jc {
	const unsigned char *p;
	size_t len, i, members;
	unsigned depth, max_depth;
	int r;
	const char *msg;
	size_t at;
};

static int jc_fail(struct jc *c, int r, const char *msg)
{
	if (c->r == 0) {
		c->r = r;
		c->msg = msg;
		c->at = c->i;
	}
	return r;
}

/* ws = *( %x20 / %x09 / %x0A / %x0D ) (section 2) */
static void jc_ws(struct jc *c)
{
	while (c->i < c->len) {
		unsigned char b = c->p[c->i];

		if (b != ' ' && b != '\t' && b != '\n' && b != '\r')
			break;
		c->i++;
	}
}

static bool jc_digit(struct jc *c)
{
	return c->i < c->len && c->p[c->i] >= '0' && c->p[c->i] <= '9';
}

/* number = [ minus ] int [ frac ] [ exp ] (section 6) */
static int jc_number(struct jc *c)
{
	if (c->p[c->i] == '-')
		c->i++;
	if (!jc_digit(c))
		return jc_fail(c, -EINVAL, "malformed JSON: invalid number");
	if (c->p[c->i] == '0') {
		c->i++;
		if (jc_digit(c))
			return jc_fail(c, -EINVAL, "malformed JSON: leading zero in number");
	} else {
		while (jc_digit(c))
			c->i++;
	}
	if (c->i < c->len && c->p[c->i] == '.') {
		c->i++;
		if (!jc_digit(c))
			return jc_fail(c, -EINVAL, "malformed JSON: invalid number");
		while (jc_digit(c))
			c->i++;
	}
	if (c->i < c->len && (c->p[c->i] == 'e' || c->p[c->i] == 'E')) {
		c->i++;
		if (c->i < c->len && (c->p[c->i] == '+' || c->p[c->i] == '-'))
			c->i++;
		if (!jc_digit(c))
			return jc_fail(c, -EINVAL, "malformed JSON: invalid number");
		while (jc_digit(c))
			c->i++;
	}
	return 0;
}

static int jc_hex4(struct jc *c, unsigned *ret)
{
	unsigned v = 0;

	if (c->len - c->i < 4)
		return jc_fail(c, -EINVAL, "malformed JSON: invalid \\u escape");
	for (int k = 0; k < 4; k++) {
		unsigned char b = c->p[c->i];

		v <<= 4;
		if (b >= '0' && b <= '9')
			v |= b - '0';
		else if (b >= 'a' && b <= 'f')
			v |= b - 'a' + 10;
		else if (b >= 'A' && b <= 'F')
			v |= b - 'A' + 10;
		else
			return jc_fail(c, -EINVAL, "malformed JSON: invalid \\u escape");
		c->i++;
	}
	*ret = v;
	return 0;
}

/* string = quotation-mark *char quotation-mark (section 7); at the '"' */
static int jc_string(struct jc *c)
{
	c->i++;
	for (;;) {
		unsigned char b;
		size_t n;

		if (c->i >= c->len)
			return jc_fail(c, -EINVAL, "malformed JSON: unterminated string");
		b = c->p[c->i];
		if (b == '"') {
			c->i++;
			return 0;
		}
		if (b < 0x20)
			return jc_fail(c, -EINVAL, "malformed JSON: control character in string");
		if (b == '\\') {
			unsigned u, lo;

			c->i++;
			if (c->i >= c->len)
				return jc_fail(c, -EINVAL, "malformed JSON: unterminated string");
			switch (c->p[c->i]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				c->i++;
				continue;
			case 'u':
				break;
			default:
				return jc_fail(c, -EINVAL, "malformed JSON: invalid escape in string");
			}
			c->i++;
			if (jc_hex4(c, &u) < 0)
				return c->r;
			if (u >= 0xdc00 && u <= 0xdfff) {
				c->i -= 6;
				return jc_fail(c, -EINVAL, "malformed JSON: lone surrogate escape in string");
			}
			if (u < 0xd800 || u > 0xdbff)
				continue;
			/* a high surrogate: a low one must follow (RFC 8259 section 7) */
			if (c->len - c->i < 6 || c->p[c->i] != '\\' || c->p[c->i + 1] != 'u') {
				c->i -= 6;
				return jc_fail(c, -EINVAL, "malformed JSON: lone surrogate escape in string");
			}
			c->i += 2;
			if (jc_hex4(c, &lo) < 0)
				return c->r;
			if (lo < 0xdc00 || lo > 0xdfff) {
				c->i -= 12;
				return jc_fail(c, -EINVAL, "malformed JSON: lone surrogate escape in string");
			}
			continue;
		}
		if (b < 0x80) {
			c->i++;
			continue;
		}
		n = utf8_seq_len(c->p + c->i, c->len - c->i);
		if (n == 0)
			return jc_fail(c, -EILSEQ, "malformed JSON: invalid UTF-8");
		c->i += n;
	}
}

static int jc_literal(struct jc *c, const char *lit, size_t n)
{
	if (c->len - c->i < n || memcmp(c->p + c->i, lit, n) != 0)
		return jc_fail(c, -EINVAL, "malformed JSON: invalid literal");
	c->i += n;
	return 0;
}

static int jc_value(struct jc *c);

/* object / array (section 4, 5); at the '{' or '[' */
static int jc_container(struct jc *c)
{
	bool obj = c->p[c->i] == '{';
	unsigned char close = obj ? '}' : ']';

	if (++c->depth > c->max_depth)
		return jc_fail(c, -ELOOP, "malformed JSON: nested too deeply");
	c->i++;
	jc_ws(c);
	if (c->i < c->len && c->p[c->i] == close) {
		c->i++;
		c->depth--;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (c->i >= c->len || c->p[c->i] != '"')
				return jc_fail(c, -EINVAL, "malformed JSON: expected a member name");
			if (jc_string(c) < 0)
				return c->r;
			jc_ws(c);
			if (c->i >= c->len || c->p[c->i] != ':')
				return jc_fail(c, -EINVAL, "malformed JSON: expected ':'");
			c->i++;
			c->members++;
		}
		if (jc_value(c) < 0)
			return c->r;
		if (c->i >= c->len)
			return jc_fail(c, -EINVAL, obj ? "malformed JSON: unterminated object" : "malformed JSON: unterminated array");
		if (c->p[c->i] == close) {
			c->i++;
			c->depth--;
			return 0;
		}
		if (c->p[c->i] != ',')
			return jc_fail(c, -EINVAL, obj ? "malformed JSON: expected ',' or '}'" : "malformed JSON: expected ',' or ']'");
		c->i++;
		jc_ws(c);
	}
}

/* ws value ws */
static int jc_value(struct jc *c)
{
	int r;

	jc_ws(c);
	if (c->i >= c->len)
		return jc_fail(c, -EINVAL, "malformed JSON: expected a value");
	switch (c->p[c->i]) {
	case '{':
	case '[':
		r = jc_container(c);
		break;
	case '"':
		r = jc_string(c);
		break;
	case 't':
		r = jc_literal(c, "true", 4);
		break;
	case 'f':
		r = jc_literal(c, "false", 5);
		break;
	case 'n':
		r = jc_literal(c, "null", 4);
		break;
	default:
		if (c->p[c->i] == '-' || (c->p[c->i] >= '0' && c->p[c->i] <= '9'))
			r = jc_number(c);
		else if (c->p[c->i] >= 0x80 && !utf8_seq_len(c->p + c->i, c->len - c->i))
			r = jc_fail(c, -EILSEQ, "malformed JSON: invalid UTF-8");
		else
			r = jc_fail(c, -EINVAL, "malformed JSON: expected a value");
		break;
	}
	if (r < 0)
		return r;
	jc_ws(c);
	return 0;
}

int json_check(const char *s, size_t len, unsigned max_depth, size_t *ret_members,
	       struct json_check_error *err)
{
	struct jc c = { .p = (const unsigned char *)s, .len = len, .max_depth = max_depth };

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		jc_fail(&c, -EINVAL, "malformed JSON: byte order mark");
	else if (jc_value(&c) == 0 && c.i != len)
		jc_fail(&c, -EINVAL, "malformed JSON: trailing characters after the JSON value");
	/* outside strings only ASCII is allowed: so any bad UTF-8 there is
	 * already refused, as a syntax error at its first byte */
	if (c.r < 0) {
		if (err) {
			err->offset = c.at;
			err->msg = c.msg;
		}
		return c.r;
	}
	if (ret_members)
		*ret_members = c.members;
	return 0;
}
