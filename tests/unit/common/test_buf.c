/* Unit tests of common/buf.c: growth, cap, sticky failure, printf, steal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../harness.h"

static void test_append_and_nul(void)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK(b.data == NULL && b.len == 0);
	CHECK_INT(buf_puts(&b, "hello"), 0);
	CHECK_INT(buf_putc(&b, ' '), 0);
	CHECK_INT(buf_append(&b, "world!!", 5), 0);
	CHECK_INT(b.len, 11);
	CHECK_STR(b.data, "hello world");
	CHECK(b.data[b.len] == '\0');
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK_INT(b.len, 11);
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK(b.cap > 0);	/* allocation kept */
	buf_done(&b);
	CHECK(b.data == NULL);
	buf_done(&b);	/* twice is fine */
}

static void test_growth(void)
{
	struct buf b;
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 0);
	for (int i = 0; i < 1000; i++)
		CHECK_INT(buf_append(&b, chunk, sizeof(chunk)), 0);
	CHECK_INT(b.len, 1000000);
	CHECK(b.cap > b.len);
	CHECK(b.data[b.len] == '\0');
	CHECK(!buf_failed(&b));
	size_t n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += b.data[i] == 'x';
	CHECK_INT(n, 1000000);
	buf_done(&b);
}

static void test_cap_and_sticky(void)
{
	struct buf b;

	buf_init(&b, 10);
	CHECK_INT(buf_puts(&b, "0123456789"), 0);	/* exactly max */
	CHECK_INT(b.len, 10);
	CHECK(!buf_failed(&b));
	CHECK_INT(buf_putc(&b, 'x'), -E2BIG);
	CHECK(buf_failed(&b));
	CHECK_INT(b.len, 10);
	CHECK_STR(b.data, "0123456789");
	/* sticky: even an append that would fit is refused */
	CHECK_INT(buf_append(&b, "", 0), -ENOBUFS);
	CHECK_INT(buf_printf(&b, "%d", 1), -ENOBUFS);
	buf_reset(&b);
	CHECK(!buf_failed(&b));
	CHECK_INT(buf_puts(&b, "abc"), 0);
	CHECK_STR(b.data, "abc");
	CHECK_INT(buf_reserve(&b, 8), -E2BIG);
	CHECK(buf_failed(&b));
	buf_done(&b);
}

static void test_printf(void)
{
	struct buf b;
	char big[3000];

	buf_init(&b, 0);
	CHECK_INT(buf_printf(&b, "%s=%d", "a", 42), 0);
	CHECK_STR(b.data, "a=42");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(buf_printf(&b, "[%s]", big), 0);	/* forces a second pass */
	CHECK_INT(b.len, 4 + 2 + 2999);
	CHECK(b.data[4] == '[' && b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
	buf_done(&b);

	buf_init(&b, 8);
	CHECK_INT(buf_printf(&b, "%s", "12345"), 0);
	CHECK_INT(buf_printf(&b, "%s", "6789"), -E2BIG);
	CHECK_STR(b.data, "12345");	/* nothing partial left behind */
	CHECK(buf_failed(&b));
	buf_done(&b);
}

static void test_steal(void)
{
	struct buf b;
	size_t len = 99;
	char *p;

	buf_init(&b, 0);
	p = buf_steal(&b, &len);	/* empty buffer: an empty string */
	CHECK(p != NULL && len == 0 && p[0] == '\0');
	free(p);
	buf_puts(&b, "data");
	p = buf_steal(&b, &len);
	CHECK_STR(p, "data");
	CHECK_INT(len, 4);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(p);
	CHECK_INT(buf_puts(&b, "again"), 0);	/* reusable */
	CHECK_STR(b.data, "again");
	buf_done(&b);
}

int main(void)
{
	RUN(test_append_and_nul);
	RUN(test_growth);
	RUN(test_cap_and_sticky);
	RUN(test_printf);
	RUN(test_steal);
	return harness_done();
}
