/*
 * A tiny unit-test harness (h2o's t/00unit spirit): TAP output, one binary
 * per module.  A test file may #include the .c under test to reach statics.
 *
 *   static void test_parse(void) { CHECK(parse("1") == 1); CHECK_STR(s, "x"); }
 *   int main(void) { RUN(test_parse); return harness_done(); }
 *
 * A case that cannot run here says why and returns:
 *   if (!have_sysfs) { SKIP("no sysfs clocksource"); return; }
 * It prints "# SKIP <case>: <why>", which tests/run.sh counts in its summary.
 *
 * Nothing passes by doing nothing: a RUN case that made no check and did not
 * SKIP fails, and so does a binary that made no check at all.  A binary whose
 * every case skipped exits 77 (the runner's "skipped").
 */
#ifndef PRISM_TEST_HARNESS_H
#define PRISM_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_checks, harness_failed, harness_skipped, harness_empty;
static const char *harness_case = "main";

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

/* SKIP(fmt, ...): this case cannot run here (the caller returns after it). */
#define SKIP(...)                                                                        \
	do {                                                                             \
		harness_skipped++;                                                       \
		printf("# SKIP %s: ", harness_case);                                     \
		printf(__VA_ARGS__);                                                     \
		printf("\n");                                                            \
	} while (0)

#define RUN(fn)                                                                          \
	do {                                                                             \
		int failed_ = harness_failed, checks_ = harness_checks;                  \
		int skipped_ = harness_skipped;                                          \
		harness_case = #fn;                                                      \
		fn();                                                                    \
		harness_case = "main";                                                   \
		if (harness_failed != failed_) {                                         \
			printf("# FAIL %s\n", #fn);                                      \
		} else if (harness_skipped != skipped_) {                                \
			printf("# skip %s\n", #fn);                                      \
		} else if (harness_checks == checks_) {                                  \
			harness_empty++;                                                 \
			printf("# FAIL %s: made no check and did not SKIP\n", #fn);      \
		} else {                                                                 \
			printf("# pass %s\n", #fn);                                      \
		}                                                                        \
	} while (0)

/* main's return value: 0 pass, 1 fail, 77 every case skipped. */
static inline int harness_done(void)
{
	(void)harness_case;	/* used by SKIP and RUN only */
	printf("1..%d\n", harness_checks);
	if (harness_failed)
		printf("# %d of %d checks failed\n", harness_failed, harness_checks);
	if (harness_empty)
		printf("# %d case(s) made no check\n", harness_empty);
	if (harness_failed || harness_empty)
		return 1;
	if (harness_checks == 0 && harness_skipped) {
		printf("# every case skipped\n");
		return 77;
	}
	if (harness_checks == 0) {
		printf("# no check ran: a test that checks nothing fails\n");
		return 1;
	}
	if (harness_skipped)
		printf("# %d case(s) skipped\n", harness_skipped);
	return 0;
}

#endif
