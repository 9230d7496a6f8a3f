/*
 * Unit tests of common/utf8.{h,c}: the boundaries of RFC 3629 section 4
 * (first and last code point of each length, overlongs, surrogates,
 * U+10FFFF, cut sequences), an exhaustive comparison with an independent
 * decoder, and the same boundaries through the three callers: log lines and
 * metrics refusal here, JSON error bodies in test_http.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "utf8.h"
#include "../harness.h"

struct utf8_case {
	const char *bytes;
	size_t len;
	size_t seq;		/* expected utf8_seq_len(bytes, len) */
	const char *json;	/* how a log line's JSON writes it (Go's encoding/json) */
};

#define C(s, seq, json) { s, sizeof(s) - 1, seq, json }

static const struct utf8_case cases[] = {
	C("\x7f", 1, "\\u007f"),
	C("\x80", 0, "\\ufffd"),			/* stray continuation */
	C("\xbf", 0, "\\ufffd"),
	C("\xc0\x80", 0, "\\ufffd\\ufffd"),		/* overlong U+0000 */
	C("\xc1\xbf", 0, "\\ufffd\\ufffd"),		/* overlong U+007F */
	C("\xc2\x80", 2, "\xc2\x80"),			/* U+0080 */
	C("\xdf\xbf", 2, "\xdf\xbf"),			/* U+07FF */
	C("\xc3\x28", 0, "\\ufffd("),			/* bad continuation */
	C("\xc3\xc3", 0, "\\ufffd\\ufffd"),
	C("\xe0\x9f\xbf", 0, "\\ufffd\\ufffd\\ufffd"),	/* overlong U+07FF */
	C("\xe0\xa0\x80", 3, "\xe0\xa0\x80"),		/* U+0800 */
	C("\xed\x9f\xbf", 3, "\xed\x9f\xbf"),		/* U+D7FF */
	C("\xed\xa0\x80", 0, "\\ufffd\\ufffd\\ufffd"),	/* U+D800, a surrogate */
	C("\xed\xbf\xbf", 0, "\\ufffd\\ufffd\\ufffd"),	/* U+DFFF */
	C("\xee\x80\x80", 3, "\xee\x80\x80"),		/* U+E000 */
	C("\xef\xbf\xbd", 3, "\xef\xbf\xbd"),		/* U+FFFD */
	C("\xef\xbf\xbf", 3, "\xef\xbf\xbf"),		/* U+FFFF */
	C("\xe2\x28\xa1", 0, "\\ufffd(\\ufffd"),
	C("\xe2\x82\x28", 0, "\\ufffd\\ufffd("),
	C("\xf0\x8f\xbf\xbf", 0, "\\ufffd\\ufffd\\ufffd\\ufffd"),	/* overlong U+FFFF */
	C("\xf0\x90\x80\x80", 4, "\xf0\x90\x80\x80"),	/* U+10000 */
	C("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf"),	/* U+10FFFF */
	C("\xf4\x90\x80\x80", 0, "\\ufffd\\ufffd\\ufffd\\ufffd"),	/* U+110000 */
	C("\xf0\x90\x28\xbc", 0, "\\ufffd\\ufffd(\\ufffd"),
	C("\xf5\x80\x80\x80", 0, "\\ufffd\\ufffd\\ufffd\\ufffd"),	/* F5..FF never lead */
	C("\xf8\x88\x80\x80\x80", 0, "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"),
	C("\xfe", 0, "\\ufffd"),
	C("\xff", 0, "\\ufffd"),
	/* cut by the end */
	C("\xc2", 0, "\\ufffd"),
	C("\xe0\xa0", 0, "\\ufffd\\ufffd"),
	C("\xf0\x90\x80", 0, "\\ufffd\\ufffd\\ufffd"),
	C("\xf4\x8f\xbf", 0, "\\ufffd\\ufffd\\ufffd"),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/*
 * RFC 3629 restated the long way: decode by the bit patterns of section 3,
 * then refuse what section 4 forbids (overlongs, surrogates, > U+10FFFF).
 */
static size_t oracle_len(const unsigned char *s, size_t left)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t n;

	if (!left)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void test_boundaries(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct utf8_case *c = &cases[i];
		const unsigned char *s = (const unsigned char *)c->bytes;

		CHECK_INT(utf8_seq_len(s, c->len), c->seq);
		CHECK_INT(oracle_len(s, c->len), c->seq);
		CHECK_INT(utf8_seq_len_str(s), c->seq);
		CHECK(utf8_valid(s, c->len) == (c->seq == c->len));
		/* a whole sequence cut short by left is not one */
		for (size_t k = 0; k < c->seq; k++)
			CHECK_INT(utf8_seq_len(s, k), 0);
	}
	CHECK_INT(utf8_seq_len((const unsigned char *)"", 0), 0);
	CHECK_INT(utf8_seq_len((const unsigned char *)"", 1), 1);	/* NUL is ASCII */
	CHECK_INT(utf8_seq_len((const unsigned char *)"a\xff", 2), 1);
}

/*
 * A sequence cut at the very end of an allocation (ASan catches a read past
 * it): the range form stops at left, the string form at the NUL.
 */
static void test_no_overread(void)
{
	static const char *const cut[] = { "\xc2", "\xe0\xa0", "\xf0\x90\x80", "\xf4\x8f\xbf" };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		size_t n = strlen(cut[i]);
		unsigned char *p = malloc(n + 1);

		CHECK(p != NULL);
		if (!p)
			return;
		memcpy(p, cut[i], n + 1);
		CHECK_INT(utf8_seq_len(p, n), 0);
		CHECK(!utf8_valid(p, n));
		CHECK_INT(utf8_seq_len_str(p), 0);
		free(p);
	}
}

/*
 * Every first and second byte, with third and fourth bytes from the values
 * where the ranges change, and every left from 0 to 4: the table-driven
 * check agrees with the decoder, and the string form with the range form.
 */
static void test_exhaustive(void)
{
	static const unsigned char edge[] = { 0x00, 0x28, 0x7f, 0x80, 0x8f, 0x90,
					      0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	size_t ne = sizeof(edge), bad = 0, bad_str = 0, valid = 0;
	unsigned char b[5];

	for (unsigned b0 = 0; b0 < 256; b0++)
		for (unsigned b1 = 0; b1 < 256; b1++)
			for (size_t i2 = 0; i2 < ne; i2++)
				for (size_t i3 = 0; i3 < ne; i3++) {
					b[0] = (unsigned char)b0;
					b[1] = (unsigned char)b1;
					b[2] = edge[i2];
					b[3] = edge[i3];
					for (size_t left = 0; left <= 4; left++) {
						size_t n = utf8_seq_len(b, left);

						bad += n != oracle_len(b, left);
						valid += n != 0;
					}
					b[4] = 0;
					bad_str += utf8_seq_len_str(b) != utf8_seq_len(b, 4);
				}
	CHECK_INT(bad, 0);
	CHECK_INT(bad_str, 0);
	CHECK(valid > 0);
}

/* Every code point, encoded by hand: all but the surrogates are valid. */
static void test_all_code_points(void)
{
	size_t bad = 0;

	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		unsigned char b[4];
		size_t n;

		if (cp < 0x80)
			b[0] = (unsigned char)cp, n = 1;
		else if (cp < 0x800)
			b[0] = (unsigned char)(0xc0 | cp >> 6), n = 2;
		else if (cp < 0x10000)
			b[0] = (unsigned char)(0xe0 | cp >> 12), n = 3;
		else
			b[0] = (unsigned char)(0xf0 | cp >> 18), n = 4;
		for (size_t i = 1; i < n; i++)
			b[i] = (unsigned char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
		bool surrogate = cp >= 0xd800 && cp <= 0xdfff;

		bad += utf8_seq_len(b, n) != (surrogate ? 0 : n);
		bad += utf8_valid(b, n) == surrogate;
	}
	CHECK_INT(bad, 0);
}

static void test_valid_range(void)
{
	CHECK(utf8_valid("", 0));
	CHECK(utf8_valid(NULL, 0));
	CHECK(utf8_valid("a\0b", 3));	/* NUL is a character */
	CHECK(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	CHECK(!utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 13));	/* cut */
	CHECK(!utf8_valid("ok \xff ok", 7));
	CHECK(!utf8_valid("\xed\xa0\x80\xed\xb0\x80", 6));	/* CESU-8 pair */
}

/* The boundaries through log.c: a log line's JSON replaces each byte that
 * starts no valid sequence with \ufffd and keeps valid characters as is. */
static void test_log_lines(void)
{
	int p[2];
	char want[256], got[4096];

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK_INT(log_setup("info", "json"), 0);
	log_set_journal(false);
	log_set_fd(p[1]);
	for (size_t i = 0; i < NCASES; i++) {
		ssize_t n;

		log_info("m", "v", cases[i].bytes, NULL);
		n = read(p[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		snprintf(want, sizeof(want), "\"v\":\"%s\"}\n", cases[i].json);
		CHECK(strstr(got, want) != NULL);
		if (!strstr(got, want))
			printf("#   case %zu: %s\n", i, got);
	}
	/* logfmt quotes a value with invalid UTF-8, not one with valid */
	CHECK_INT(log_setup("info", "logfmt"), 0);
	log_info("m", "v", "\xf4\x8f\xbf\xbf", "w", "\xf4\x90\x80\x80", NULL);
	ssize_t n = read(p[0], got, sizeof(got) - 1);

	got[n > 0 ? n : 0] = '\0';
	CHECK(strstr(got, " v=\xf4\x8f\xbf\xbf w=\"\\ufffd\\ufffd\\ufffd\\ufffd\"\n") != NULL);
	log_set_fd(2);
	close(p[0]);
	close(p[1]);
}

/* The boundaries through metrics: a label value or HELP text that is not
 * UTF-8 is refused (EINVAL), a valid one accepted. */
static void test_metrics_refusal(void)
{
	struct metrics_registry *r = metrics_registry_new();
	struct metric_family *f = metrics_counter_new(r, "c", "C.", (const char *const[]){ "l", NULL });

	CHECK(r && f);
	for (size_t i = 0; i < NCASES; i++) {
		bool valid = cases[i].seq == cases[i].len;
		char name[16];

		errno = 0;
		CHECK((counter_labels(f, (const char *const[]){ cases[i].bytes }) != NULL) == valid);
		CHECK(valid || errno == EINVAL);
		snprintf(name, sizeof(name), "g%zu", i);
		errno = 0;
		CHECK((metrics_gauge_new(r, name, cases[i].bytes, NULL) != NULL) == valid);
		CHECK(valid || errno == EINVAL);
	}
	metrics_registry_free(r);
}

int main(void)
{
	RUN(test_boundaries);
	RUN(test_no_overread);
	RUN(test_exhaustive);
	RUN(test_all_code_points);
	RUN(test_valid_range);
	RUN(test_log_lines);
	RUN(test_metrics_refusal);
	return harness_done();
}
