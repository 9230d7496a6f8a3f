/*
 * fuzz_flags_values: the flag value parsers (durations, sizes, booleans),
 * also used for config files, and flags_parse() itself over an argv made of
 * the input's NUL-separated pieces (odd argv: "--", "-", "--x=", repeats,
 * "--no-" on non-booleans, missing values).
 * Invariants: a parsed duration is finite and >= 0; a parsed size
 * re-parses to itself when printed as plain bytes; a bool is only set on
 * success; flags_parse returns 0, FLAGS_EXIT or -EINVAL and never crashes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "fuzz.h"

static struct flag_list arg_list;
static const char *arg_str, *arg_enum;
static bool arg_bool;
static long arg_int;
static double arg_dur;
static uint64_t arg_size;
static const char *const choices[] = { "a", "bb", NULL };

static const struct flag table[] = {
	{ "l", FLAG_LIST, &arg_list, ":1", "list", NULL, 0, 0, NULL, NULL },
	{ "s", FLAG_STRING, &arg_str, "x", "string", NULL, 0, 0, NULL, NULL },
	{ "b", FLAG_BOOL, &arg_bool, "false", "bool", NULL, 0, 0, NULL, NULL },
	{ "i", FLAG_INT, &arg_int, "3", "int", NULL, 1, 10, NULL, NULL },
	{ "d", FLAG_DURATION, &arg_dur, "5s", "duration", NULL, 0, 0, NULL, NULL },
	{ "z", FLAG_SIZE, &arg_size, "1KiB", "size", NULL, 0, 0, NULL, NULL },
	{ "e", FLAG_ENUM, &arg_enum, "a", "enum", choices, 0, 0, NULL, NULL },
};
static const struct flags_program prog = { "fuzz", "fuzzing", "0", "0" };

static void values(const char *s)
{
	double d = -1;
	uint64_t z = 0, z2 = 0;
	bool b = false, b2 = true;
	char tmp[32];

	if (flags_parse_duration(s, &d) == 0 && (!isfinite(d) || d < 0))
		abort();
	if (flags_parse_size(s, &z) == 0) {
		snprintf(tmp, sizeof(tmp), "%" PRIu64, z);
		if (flags_parse_size(tmp, &z2) != 0 || z2 != z)
			abort();
	}
	/* a failed parse leaves the output alone */
	if (flags_parse_bool(s, &b) != 0) {
		if (b || flags_parse_bool(s, &b2) == 0 || !b2)
			abort();
	}
}

static void argv_parse(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size), *argv[34];
	int argc = 0, r;
	FILE *null = fopen("/dev/null", "we");

	if (!null)
		abort();
	argv[argc++] = (char *)"fuzz";
	for (size_t i = 0, start = 0; i <= size && argc < 33; i++) {
		if (i == size || buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	r = flags_parse(table, sizeof(table) / sizeof(table[0]), &prog, argc, argv, null, null);
	if (r != 0 && r != FLAGS_EXIT && r != -EINVAL)
		abort();
	if (r == 0) {
		/* what was parsed obeys the table */
		if (arg_int < 1 || arg_int > 10 || !isfinite(arg_dur) || arg_dur < 0 || !arg_str ||
		    !arg_enum || arg_list.n < 1)
			abort();
		if (strcmp(arg_enum, "a") != 0 && strcmp(arg_enum, "bb") != 0)
			abort();
	}
	flags_free_lists(table, sizeof(table) / sizeof(table[0]));
	fclose(null);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	/* first byte: which entry point, so one corpus covers them all */
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		argv_parse(data + 1, size - 1);
		return 0;
	}
	s = fuzz_cstr(data + 1, size - 1);
	values(s);
	free(s);
	return 0;
}
