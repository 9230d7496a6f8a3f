/*
 * Unit tests of common/json.{h,c}, the one JSON string escaper: every
 * escape RFC 8259 section 7 names, U+FFFD for each byte that does not start
 * well-formed UTF-8 (section 8.1), the bounded form's cut (never inside an
 * escape or a character, the output a prefix of the whole), and a round
 * trip through a decoder written here for random strings.
 *
 * json_check, the RFC 8259 validator: the grammar's corners one by one
 * (with the offset and errno of each refusal), and every text of
 * tests/fixtures/json/ (y_ accepted, n_ refused; n_duplicate_* pass here,
 * orderd refuses them by counting members, see test_order.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "../harness.h"

/* The whole escaped inside of s[0..len) as a NUL-terminated string (static). */
static const char *esc(const char *s, size_t len)
{
	static char out[4096];
	size_t used, n = json_escape(out, sizeof(out) - 1, s, len, &used);

	out[n] = '\0';
	if (used != len)
		return "(short)";
	return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

static void test_rfc8259_escapes(void)
{
	CHECK_STR(ESC("plain text / slash"), "plain text / slash");
	CHECK_STR(ESC("q\"b\\"), "q\\\"b\\\\");
	CHECK_STR(ESC("\b\f\n\r\t"), "\\b\\f\\n\\r\\t");
	CHECK_STR(ESC("\x01\x1f"), "\\u0001\\u001f");
	CHECK_STR(ESC("a\0b"), "a\\u0000b");	/* a NUL inside the length is data */
	CHECK_STR(ESC("\x7f"), "\\u007f");
	CHECK_STR(ESC(" ~"), " ~");
	CHECK_STR(ESC(""), "");
}

static void test_utf8(void)
{
	/* well-formed: copied, 2, 3 and 4 bytes, the last code point */
	CHECK_STR(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"),
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	/* one U+FFFD per byte that starts nothing well-formed */
	CHECK_STR(ESC("\xff"), "\\ufffd");
	CHECK_STR(ESC("a\xc3"), "a\\ufffd");		/* cut by the end */
	CHECK_STR(ESC("\xc3("), "\\ufffd(");
	CHECK_STR(ESC("\xc0\xaf"), "\\ufffd\\ufffd");	/* overlong */
	CHECK_STR(ESC("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");	/* surrogate */
	CHECK_STR(ESC("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");	/* > U+10FFFF */
	CHECK_STR(ESC("\x80"), "\\ufffd");
	/* a bad byte does not eat the good character after it */
	CHECK_STR(ESC("\xe2\x82\xc3\xa9"), "\\ufffd\\ufffd\xc3\xa9");
}

/*
 * Whatever the room, the output is the whole escaping of the consumed input,
 * a prefix of the full output, and the next character would not have fit.
 */
static void test_bounded(void)
{
	static const char s[] = "ab\"\xc3\xa9\n\xff\xf0\x9f\x98\x80z\x01\\";
	size_t len = sizeof(s) - 1, full_used, full;
	char all[256], out[256];
	int bad = 0;

	full = json_escape(all, sizeof(all), s, len, &full_used);
	CHECK_INT(full_used, len);
	CHECK_INT(json_escaped_len(s, len), full);
	for (size_t cap = 0; cap <= full; cap++) {
		size_t used, n = json_escape(out, cap, s, len, &used), next_used;
		char next[16];

		if (n > cap || memcmp(out, all, n) != 0 || json_escaped_len(s, used) != n)
			bad++;
		/* the character at s[used] needs more than the room left */
		if (used < len && json_escape(next, cap - n, s + used, len - used, &next_used) != 0)
			bad++;
		if (used == len && n != full)
			bad++;
	}
	CHECK_INT(bad, 0);
	/* cap 5 after "ab": \" fits (2), é fits (2), \n does not (needs 2, 1 left) */
	{
		size_t used, n = json_escape(out, 7, s, len, &used);

		CHECK_INT(n, 6);
		CHECK_INT(used, 5);
		CHECK(memcmp(out, "ab\\\"\xc3\xa9", 6) == 0);
	}
}

static void test_append(void)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "{\"e\":");
	CHECK_INT(json_append_string(&b, "x\"\xff", 3), 0);
	buf_puts(&b, ",\"n\":");
	CHECK_INT(json_append_string(&b, NULL, 0), 0);
	buf_puts(&b, ",\"z\":");
	CHECK_INT(json_append_string(&b, "", 0), 0);
	buf_putc(&b, '}');
	CHECK_STR(b.data, "{\"e\":\"x\\\"\\ufffd\",\"n\":null,\"z\":\"\"}");
	CHECK_INT(b.len, strlen(b.data));
	buf_done(&b);

	/* the buf's cap applies to the escaped size, and failure sticks */
	buf_init(&b, 8);
	CHECK_INT(json_append_string(&b, "abcdef", 6), 0);	/* "abcdef" is 8 */
	CHECK_STR(b.data, "\"abcdef\"");
	buf_reset(&b);
	CHECK_INT(json_append_string(&b, "abcd\n", 5), 0);	/* "abcd\n" is 8 */
	buf_reset(&b);
	CHECK(json_append_string(&b, "abcde\n", 6) < 0);	/* 9 > 8 */
	CHECK(buf_failed(&b));
	buf_reset(&b);
	CHECK(json_append_string(&b, "\x01\x02", 2) < 0);	/* 14 > 8 */
	CHECK(buf_failed(&b));
	CHECK_INT(b.len, 0);
	buf_done(&b);
}

/* A JSON string decoder for what json_escape writes (test oracle). */
static size_t decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] != '\\') {
			out[o++] = in[i];
			continue;
		}
		switch (in[++i]) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			unsigned v = (unsigned)strtoul((char[]){ in[i + 1], in[i + 2], in[i + 3], in[i + 4], 0 },
						       NULL, 16);

			if (v == 0xfffd) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			} else {
				out[o++] = (char)v;
			}
			i += 4;
			break;
		}
		default: out[o++] = in[i]; break;
		}
	}
	return o;
}

/*
 * Random strings of ASCII, controls and well-formed UTF-8 come back the
 * same; with bad bytes mixed in they come back with U+FFFD for each, and
 * the escaped text never has a raw control byte or a lone '"'.
 */
static void test_roundtrip(void)
{
	static const char *const atoms[] = { "a", "\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9",
					     "\xe2\x82\xac", "\xf0\x9f\x98\x80", "/", "\0", " " };
	int bad = 0;

	srand(42);
	for (int iter = 0; iter < 2000; iter++) {
		char s[512], e[4096], d[4096], want[1024];
		size_t len = 0, wl = 0, used, n, dl;
		int k = rand() % 60;

		for (int j = 0; j < k; j++) {
			if (rand() % 8 == 0) {	/* a bad byte */
				static const char lone[] = "\xff\xfe\xc0\xc3\xe2\xf0\xf5";

				/* no atom (nor lone byte) is a continuation byte: one U+FFFD */
				s[len++] = lone[rand() % 7];
				memcpy(want + wl, "\xef\xbf\xbd", 3);
				wl += 3;
				continue;
			}
			const char *a = atoms[rand() % 12];
			size_t al = *a ? strlen(a) : 1;

			memcpy(s + len, a, al);
			memcpy(want + wl, a, al);
			len += al;
			wl += al;
		}
		n = json_escape(e, sizeof(e), s, len, &used);
		if (used != len)
			bad++;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)e[i] < 0x20 || e[i] == 0x7f ||
			    (e[i] == '"' && (i == 0 || e[i - 1] != '\\')))
				bad++;
		dl = decode(e, n, d);
		if (dl != wl || memcmp(d, want, wl) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
}

static int check(const char *s, size_t *members)
{
	return json_check(s, strlen(s), JSON_CHECK_MAX_DEPTH, members, NULL);
}

static void test_check_grammar(void)
{
	struct json_check_error e = { 0, NULL };
	size_t m = 99;

	CHECK_INT(check("{\"a\":1,\"b\":{\"c\":[{\"d\":2}]}}", &m), 0);
	CHECK_INT(m, 4);
	CHECK_INT(check("[1,2]", &m), 0);
	CHECK_INT(m, 0);
	/* each refusal names the first byte that is not allowed */
	CHECK_INT(json_check("{\"a\":\"x\x01\"}", 9, 32, NULL, &e), -EINVAL);
	CHECK_INT(e.offset, 7);
	CHECK_STR(e.msg, "malformed JSON: control character in string");
	CHECK_INT(json_check("[1,NaN]", 7, 32, NULL, &e), -EINVAL);
	CHECK_INT(e.offset, 3);
	CHECK_INT(json_check("[1] x", 5, 32, NULL, &e), -EINVAL);
	CHECK_INT(e.offset, 4);
	CHECK_STR(e.msg, "malformed JSON: trailing characters after the JSON value");
	CHECK_INT(json_check("[\"\\ud800\"]", 10, 32, NULL, &e), -EINVAL);
	CHECK_INT(e.offset, 2);
	CHECK_STR(e.msg, "malformed JSON: lone surrogate escape in string");
	CHECK_INT(json_check("[\"a\xff\"]", 6, 32, NULL, &e), -EILSEQ);
	CHECK_INT(e.offset, 3);
	CHECK_INT(json_check("[[[]]]", 6, 2, NULL, &e), -ELOOP);
	CHECK_INT(e.offset, 2);
	CHECK_INT(json_check("[[[]]]", 6, 3, NULL, NULL), 0);
	/* the length counts, not a NUL: a NUL after the value is garbage */
	CHECK_INT(json_check("{}\0", 3, 32, NULL, &e), -EINVAL);
	CHECK_INT(json_check("{}\0", 2, 32, NULL, NULL), 0);
	CHECK_INT(json_check("", 0, 32, NULL, &e), -EINVAL);
	/* \u0000 and raw DEL are JSON; 1e999 and 30 digits are numbers */
	CHECK_INT(check("[\"\\u0000\x7f\"]", NULL), 0);
	CHECK_INT(check("[1e999,123456789012345678901234567890,-0.0e-0]", NULL), 0);
	CHECK_INT(check("[\"\\uD83D\\uDE00\"]", NULL), 0);
	CHECK_INT(check("[\"\\uDE00\\uD83D\"]", NULL), -EINVAL);
	/* every prefix of a valid text is refused (nothing is auto-closed) */
	{
		const char *t = "{\"k\":[1.5e+3,true,null,\"\\u00e9\"]}";

		for (size_t n = 0; n < strlen(t); n++)
			CHECK(json_check(t, n, 32, NULL, NULL) < 0);
	}
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	static char data[65536];
	size_t n;

	if (!f)
		return NULL;
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	*ret_len = n;
	return data;
}

static void test_check_fixtures(void)
{
	const char *src = getenv("SRC_DIR");
	char dir[4096], path[8192];
	struct dirent *de;
	int ny = 0, nn = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/json", src ? src : ".");
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct json_check_error e = { 0, NULL };
		size_t len = 0;
		char *t;
		int r;

		if (de->d_name[1] != '_' || (de->d_name[0] != 'y' && de->d_name[0] != 'n'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		t = slurp(path, &len);
		CHECK(t != NULL);
		if (!t)
			continue;
		r = json_check(t, len, JSON_CHECK_MAX_DEPTH, NULL, &e);
		if (de->d_name[0] == 'y') {
			ny++;
			if (r != 0)
				printf("# %s refused: %s at %zu\n", de->d_name, e.msg, e.offset);
			CHECK(r == 0);
		} else if (strncmp(de->d_name, "n_duplicate_", 12) == 0) {
			nn++;
			CHECK(r == 0);	/* grammatical: refused by the member count */
		} else {
			nn++;
			if (r == 0)
				printf("# %s accepted\n", de->d_name);
			CHECK(r == -EINVAL || r == -EILSEQ || r == -ELOOP);
			CHECK(r == 0 || (e.msg && e.offset <= len));
		}
	}
	closedir(d);
	printf("# %d y_ and %d n_ texts\n", ny, nn);
	CHECK(ny >= 30);
	CHECK(nn >= 60);
}

int main(void)
{
	RUN(test_rfc8259_escapes);
	RUN(test_utf8);
	RUN(test_bounded);
	RUN(test_append);
	RUN(test_roundtrip);
	RUN(test_check_grammar);
	RUN(test_check_fixtures);
	return harness_done();
}
