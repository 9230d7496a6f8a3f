/*
 * A tiny unit-test harness (h2o's t/00unit spirit): TAP output, one binary
 * per module.  A test file may #include the .c under test to reach statics.
 *
 *   static void test_parse(void) { CHECK(parse("1") == 1); CHECK_STR(s, "x"); }
 *   int main(void) { RUN(test_parse); return harness_done(); }
 */
#ifndef PRISM_TEST_HARNESS_H
#define PRISM_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_checks, harness_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		harness_checks++;                                                        \
		if (!(cond)) {                                                           \
			harness_failed++;                                                \
			printf("not ok %d - %s:%d: %s\n", harness_checks, __FILE__, __LINE__, \
			       #cond);                                                   \
		}                                                                        \
	} while (0)

#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *ha_ = (a), *hb_ = (b);                                       \
		harness_checks++;                                                        \
		if (!ha_ || !hb_ || strcmp(ha_, hb_) != 0) {                             \
			harness_failed++;                                                \
			printf("not ok %d - %s:%d: %s == %s\n#   got:      \"%s\"\n#   expected: \"%s\"\n", \
			       harness_checks, __FILE__, __LINE__, #a, #b, ha_ ? ha_ : "(null)", \
			       hb_ ? hb_ : "(null)");                                    \
		}                                                                        \
	} while (0)

#define CHECK_INT(a, b)                                                                  \
	do {                                                                             \
		long long ha_ = (long long)(a), hb_ = (long long)(b);                    \
		harness_checks++;                                                        \
		if (ha_ != hb_) {                                                        \
			harness_failed++;                                                \
			printf("not ok %d - %s:%d: %s == %s (got %lld, expected %lld)\n",    \
			       harness_checks, __FILE__, __LINE__, #a, #b, ha_, hb_);    \
		}                                                                        \
	} while (0)

#define RUN(fn)                                                                          \
	do {                                                                             \
		int before_ = harness_failed;                                            \
		fn();                                                                    \
		printf("%s %s\n", harness_failed == before_ ? "# pass" : "# FAIL", #fn); \
	} while (0)

static inline int harness_done(void)
{
	printf("1..%d\n", harness_checks);
	if (harness_failed)
		printf("# %d of %d checks failed\n", harness_failed, harness_checks);
	return harness_failed ? 1 : 0;
}

#endif
