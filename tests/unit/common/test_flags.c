/* flags: kingpin-style parsing, defaults, errors naming the flag, --help/--version. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "../harness.h"
#include "flags.h"

static bool a_bool, a_om;
static const char *a_str, *a_level;
static struct flag_list a_list;
static long a_int;
static double a_dur;
static uint64_t a_size;
static const char *const levels[] = { "debug", "info", "warn", "error", NULL };

static const struct flag tab[] = {
	{ "web.listen-address", FLAG_LIST, &a_list, ":9100", "Addresses to listen on.", NULL, 0, 0, NULL, NULL },
	{ "web.telemetry-path", FLAG_STRING, &a_str, "/metrics", "Path of the metrics.", NULL, 0, 0, NULL, NULL },
	{ "collector.cpu", FLAG_BOOL, &a_bool, "true", "CPU collector.", NULL, 0, 0, NULL, NULL },
	{ "web.openmetrics", FLAG_BOOL, &a_om, NULL, "OpenMetrics.", NULL, 0, 0, NULL, NULL },
	{ "web.max-requests", FLAG_INT, &a_int, "40", "Max requests.", NULL, 0, 1000, NULL, NULL },
	{ "scrape.timeout", FLAG_DURATION, &a_dur, "10s", "Timeout.", NULL, 0, 0, NULL, NULL },
	{ "web.max-body", FLAG_SIZE, &a_size, "64KiB", "Body cap.", NULL, 0, 0, NULL, NULL },
	{ "log.level", FLAG_ENUM, &a_level, "info", "Log level.", levels, 0, 0, NULL, NULL },
};
#define NTAB (sizeof(tab) / sizeof(tab[0]))
static const struct flags_program prog = { "testd", "A test daemon.", "1.2.3", "abcdef" };

/* Run flags_parse on a NULL-terminated argument list; capture out/err. */
static int run(char *out, size_t outn, char *err, size_t errn, ...)
{
	char *argv[32] = { "testd" };
	int argc = 1, r;
	va_list ap;
	FILE *o = fmemopen(out, outn, "w"), *e = fmemopen(err, errn, "w");
	const char *a;

	va_start(ap, errn);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	flags_free_lists(tab, NTAB);
	r = flags_parse(tab, NTAB, &prog, argc, argv, o, e);
	fclose(o);
	fclose(e);
	return r;
}

static char out[16384], err[4096];

static void test_defaults(void)
{
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), NULL), 0);
	CHECK_INT(a_list.n, 1);
	CHECK_STR(a_list.v[0], ":9100");
	CHECK_STR(a_str, "/metrics");
	CHECK(a_bool == true);
	CHECK(a_om == false);
	CHECK_INT(a_int, 40);
	CHECK(a_dur == 10.0);
	CHECK_INT(a_size, 65536);
	CHECK_STR(a_level, "info");
}

static void test_values(void)
{
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.listen-address=:1", "--web.listen-address",
		      "[::1]:2", "--web.telemetry-path", "/m", "--no-collector.cpu", "--web.openmetrics",
		      "--web.max-requests=7", "--scrape.timeout=1m30s", "--web.max-body", "10MB",
		      "--log.level=debug", NULL), 0);
	CHECK_INT(a_list.n, 2);	/* the first use replaced the default */
	CHECK_STR(a_list.v[0], ":1");
	CHECK_STR(a_list.v[1], "[::1]:2");
	CHECK_STR(a_str, "/m");
	CHECK(a_bool == false);
	CHECK(a_om == true);
	CHECK_INT(a_int, 7);
	CHECK(a_dur == 90.0);
	CHECK_INT(a_size, 10ull << 20);
	CHECK_STR(a_level, "debug");
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--collector.cpu=false", "--web.openmetrics=true", NULL), 0);
	CHECK(a_bool == false);
	CHECK(a_om == true);
}

static void test_errors(void)
{
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--nope", NULL), -EINVAL);
	CHECK(strstr(err, "testd: error: unknown long flag '--nope'") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-requests=abc", NULL), -EINVAL);
	CHECK(strstr(err, "--web.max-requests") != NULL && strstr(err, "\"abc\"") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-requests=1001", NULL), -EINVAL);
	CHECK(strstr(err, "--web.max-requests") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.telemetry-path", NULL), -EINVAL);
	CHECK(strstr(err, "expected argument for flag '--web.telemetry-path'") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "positional", NULL), -EINVAL);
	CHECK(strstr(err, "unexpected positional") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "-x", NULL), -EINVAL);
	CHECK(strstr(err, "'-x'") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--log.level=loud", NULL), -EINVAL);
	CHECK(strstr(err, "--log.level") != NULL && strstr(err, "debug, info, warn, error") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--scrape.timeout=5", NULL), -EINVAL);
	CHECK(strstr(err, "--scrape.timeout") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--collector.cpu=maybe", NULL), -EINVAL);
	CHECK(strstr(err, "--collector.cpu") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--no-web.telemetry-path", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-body=12XB", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--", NULL), -EINVAL);
}

/* Odd argv pieces the review went through: each either works as kingpin's
 * or is an error naming what was wrong, and never reads past argv. */
static void test_odd_argv(void)
{
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "-", NULL), -EINVAL);
	CHECK(strstr(err, "unexpected -,") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--=x", NULL), -EINVAL);
	CHECK(strstr(err, "unknown long flag '--'") != NULL);
	/* an empty value is a value: fine for strings, an error for the rest */
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.telemetry-path=", NULL), 0);
	CHECK_STR(a_str, "");
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--collector.cpu=", NULL), -EINVAL);
	CHECK(strstr(err, "'--collector.cpu'") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-requests=", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--scrape.timeout=", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-body=", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--log.level=", NULL), -EINVAL);
	/* --no- only negates booleans, and takes no value */
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--no-web.max-requests", NULL), -EINVAL);
	CHECK(strstr(err, "unknown long flag '--no-web.max-requests'") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--no-collector.cpu=true", NULL), -EINVAL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--no-", NULL), -EINVAL);
	/* a value-taking flag last on the line, with nothing after it */
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.listen-address=:1",
		      "--web.listen-address", NULL), -EINVAL);
	CHECK(strstr(err, "expected argument for flag '--web.listen-address'") != NULL);
	/* a list given twice keeps both, in order, and drops the default */
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.listen-address", ":1",
		      "--web.listen-address=[::1]:2", NULL), 0);
	CHECK(a_list.n == 2 && !strcmp(a_list.v[0], ":1") && !strcmp(a_list.v[1], "[::1]:2"));
	flags_free_lists(tab, NTAB);
}

static void test_help_version(void)
{
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--version", NULL), FLAGS_EXIT);
	CHECK_STR(out, "testd, version 1.2.3 (revision abcdef)\n");
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "--web.max-requests=3", "--help", NULL), FLAGS_EXIT);
	CHECK(strstr(out, "usage: testd [<flags>]") != NULL);
	CHECK(strstr(out, "A test daemon.") != NULL);
	/* every flag, with its default */
	CHECK(strstr(out, "--web.listen-address=\":9100\" ...") != NULL);
	CHECK(strstr(out, "--web.telemetry-path=\"/metrics\"") != NULL);
	CHECK(strstr(out, "--[no-]collector.cpu") != NULL && strstr(out, "(default: true)") != NULL);
	CHECK(strstr(out, "--[no-]web.openmetrics") != NULL && strstr(out, "(default: false)") != NULL);
	CHECK(strstr(out, "--web.max-requests=\"40\"") != NULL);
	CHECK(strstr(out, "--scrape.timeout=\"10s\"") != NULL);
	CHECK(strstr(out, "--web.max-body=\"64KiB\"") != NULL);
	CHECK(strstr(out, "--log.level=\"info\"") != NULL && strstr(out, "One of: [debug, info, warn, error]") != NULL);
	CHECK_INT(run(out, sizeof(out), err, sizeof(err), "-h", NULL), FLAGS_EXIT);
}

static void test_duration(void)
{
	double d = -1;

	CHECK_INT(flags_parse_duration("250ms", &d), 0);
	CHECK(d == 0.25);
	CHECK_INT(flags_parse_duration("5s", &d), 0);
	CHECK(d == 5);
	CHECK_INT(flags_parse_duration("1m30s", &d), 0);
	CHECK(d == 90);
	CHECK_INT(flags_parse_duration("2h", &d), 0);
	CHECK(d == 7200);
	CHECK_INT(flags_parse_duration("1d", &d), 0);
	CHECK(d == 86400);
	CHECK_INT(flags_parse_duration("1w", &d), 0);
	CHECK(d == 7 * 86400);
	CHECK_INT(flags_parse_duration("1y", &d), 0);
	CHECK(d == 365 * 86400.0);
	CHECK_INT(flags_parse_duration("1h1m1s1ms", &d), 0);
	CHECK(d > 3661.0009 && d < 3661.0011);
	CHECK_INT(flags_parse_duration("0", &d), 0);
	CHECK(d == 0);
	CHECK_INT(flags_parse_duration("0s", &d), 0);
	CHECK_INT(flags_parse_duration("", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("5", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("s", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("1s1m", &d), -EINVAL);	/* units out of order */
	CHECK_INT(flags_parse_duration("1m1m", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("1.5s", &d), -EINVAL);	/* Prometheus: integers only */
	CHECK_INT(flags_parse_duration("-1s", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("5sec", &d), -EINVAL);
	CHECK_INT(flags_parse_duration("99999999999999999999999s", &d), -EINVAL);
}

static void test_size(void)
{
	uint64_t b = 0;

	CHECK_INT(flags_parse_size("1024", &b), 0);
	CHECK_INT(b, 1024);
	CHECK_INT(flags_parse_size("64KiB", &b), 0);
	CHECK_INT(b, 65536);
	CHECK_INT(flags_parse_size("64KB", &b), 0);
	CHECK_INT(b, 65536);
	CHECK_INT(flags_parse_size("10MB", &b), 0);
	CHECK_INT(b, 10ull << 20);
	CHECK_INT(flags_parse_size("1GiB", &b), 0);
	CHECK_INT(b, 1ull << 30);
	CHECK_INT(flags_parse_size("2TB", &b), 0);
	CHECK_INT(b, 2ull << 40);
	CHECK_INT(flags_parse_size("7B", &b), 0);
	CHECK_INT(b, 7);
	CHECK_INT(flags_parse_size("", &b), -EINVAL);
	CHECK_INT(flags_parse_size("KiB", &b), -EINVAL);
	CHECK_INT(flags_parse_size("1 KiB", &b), -EINVAL);
	CHECK_INT(flags_parse_size("-1", &b), -EINVAL);
	CHECK_INT(flags_parse_size("1XB", &b), -EINVAL);
	CHECK_INT(flags_parse_size("99999999PiB", &b), -EINVAL);	/* overflow */
}

static void test_bool(void)
{
	bool v = false;

	CHECK_INT(flags_parse_bool("true", &v), 0);
	CHECK(v);
	CHECK_INT(flags_parse_bool("0", &v), 0);
	CHECK(!v);
	CHECK_INT(flags_parse_bool("T", &v), 0);
	CHECK(v);
	CHECK_INT(flags_parse_bool("no", &v), -EINVAL);
	CHECK_INT(flags_parse_bool("", &v), -EINVAL);
}

/* ---- flag sets ---- */

static long fs_small;
static double fs_pos;
static bool fs_many[200];

static int check_small(const struct flag *f, const struct flagset *fs, char *why, size_t n)
{
	(void)fs;
	if (*(long *)f->dst <= 10)
		return 0;
	snprintf(why, n, "at most 10 (got %ld)", *(long *)f->dst);
	return -EINVAL;
}

static const struct flag fs_tab[] = {
	{ .name = "small", .type = FLAG_INT, .dst = &fs_small, .def = "1", .help = "Small.",
	  .check = check_small },
	{ .name = "pos", .type = FLAG_DURATION, .dst = &fs_pos, .def = "1s", .help = "Positive.",
	  .check = flag_check_positive, .rule = "a duration > 0" },
};

/* flagset_parse over a NULL-terminated list; out/err captured */
static int fs_run(struct flagset *fs, ...)
{
	char *argv[32] = { "testd" };
	int argc = 1, r;
	va_list ap;
	FILE *o = fmemopen(out, sizeof(out), "w"), *e = fmemopen(err, sizeof(err), "w");
	const char *a;

	va_start(ap, fs);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	r = flagset_parse(fs, argc, argv, o, e);
	fclose(o);
	fclose(e);
	return r;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_flagset_tables(void)
{
	struct flagset *fs = flagset_new(&prog);

	CHECK(fs != NULL);
	CHECK_INT(flagset_add(fs, tab, NTAB), 0);
	CHECK_INT(flagset_add(fs, fs_tab, 2), 0);
	/* a name declared twice is an error, not a silent shadow */
	CHECK_INT(flagset_add(fs, &tab[1], 1), -EEXIST);
	CHECK_INT(flagset_add(fs, &(struct flag){ .name = "help", .type = FLAG_BOOL, .dst = &a_om }, 1),
		  -EEXIST);
	/* no cap: 200 generated flags (the old tables stopped at 32/64/96) */
	for (int i = 0; i < 200; i++) {
		struct flag f = { .name = flagset_printf(fs, "collector.c%d", i), .type = FLAG_BOOL,
				  .dst = &fs_many[i], .def = i % 2 ? "true" : "false",
				  .help = flagset_printf(fs, "Enable c%d.", i) };

		CHECK_INT(flagset_add(fs, &f, 1), 0);
	}
	CHECK_INT(flagset_count(fs), NTAB + 2 + 200);
	CHECK_INT(fs_run(fs, "--collector.c199=false", "--no-collector.c7", "--collector.c150", NULL), 0);
	CHECK(!fs_many[199] && !fs_many[7] && fs_many[150] && fs_many[3] && !fs_many[4]);
	/* "was this flag given" comes from the parser, not from scanning argv */
	CHECK(flagset_given(fs, &fs_many[199]));
	CHECK(flagset_given(fs, &fs_many[7]));
	CHECK(flagset_given(fs, &fs_many[150]));
	CHECK(!flagset_given(fs, &fs_many[3]));
	CHECK(!flagset_given(fs, &a_list));
	CHECK_STR(flagset_text(fs, &fs_many[7]), "false");
	CHECK_STR(flagset_text(fs, &a_str), "/metrics");	/* the default's text */
	CHECK_STR(flagset_name(fs, &fs_many[150]), "collector.c150");
	/* a second parse starts afresh */
	CHECK_INT(fs_run(fs, NULL), 0);
	CHECK(!flagset_given(fs, &fs_many[199]) && fs_many[199]);	/* its default again */
	/* --help lists each flag once */
	CHECK_INT(fs_run(fs, "--help", NULL), FLAGS_EXIT);
	CHECK(strstr(out, "--[no-]collector.c199\n        Enable c199. (default: true)\n") != NULL);
	CHECK(strstr(out, "--pos=\"1s\"\n        Positive. Must be a duration > 0.\n") != NULL);
	flagset_free(fs);
	flagset_free(NULL);
}

static void test_flagset_checks(void)
{
	struct flagset *fs = flagset_new(&prog);

	CHECK_INT(flagset_add(fs, tab, NTAB), 0);
	CHECK_INT(flagset_add(fs, fs_tab, 2), 0);
	/* one bad value: one line naming only that flag, its value and rule */
	CHECK_INT(fs_run(fs, "--small=11", NULL), -EINVAL);
	CHECK_STR(err, "testd: error: invalid value \"11\" for flag '--small': at most 10 (got 11)\n");
	CHECK_INT(fs_run(fs, "--pos=0s", NULL), -EINVAL);
	CHECK_STR(err, "testd: error: invalid value \"0s\" for flag '--pos': must be a duration > 0\n");
	/* two bad values: one line each */
	CHECK_INT(fs_run(fs, "--pos=0s", "--small=12", NULL), -EINVAL);
	CHECK_INT(lines(err), 2);
	CHECK(strstr(err, "'--small': at most 10 (got 12)\n") != NULL);
	CHECK(strstr(err, "'--pos': must be a duration > 0\n") != NULL);
	/* good values pass the checks */
	CHECK_INT(fs_run(fs, "--pos=250ms", "--small=10", NULL), 0);
	CHECK(fs_pos == 0.25 && fs_small == 10);
	flagset_free(fs);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_errors);
	RUN(test_odd_argv);
	RUN(test_help_version);
	RUN(test_duration);
	RUN(test_size);
	RUN(test_bool);
	RUN(test_flagset_tables);
	RUN(test_flagset_checks);
	flags_free_lists(tab, NTAB);
	return harness_done();
}
