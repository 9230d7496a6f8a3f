/*
 * flags: Prometheus/kingpin-style long flags.
 *
 *   --web.listen-address=:9100  --web.listen-address :9100   (repeatable lists)
 *   --collector.cpu / --no-collector.cpu / --collector.cpu=false (booleans)
 *   --help (every flag with its default), --version
 *
 * Defaults are given as text and parsed like command-line values, so --help
 * shows exactly what applies.  An unknown flag, a missing or bad value, or a
 * positional argument is an error naming the flag; the caller exits 2.
 * Not thread-safe (start-up only).  Parsed strings point into argv or the
 * default text (never freed); string lists are owned by the flag table user
 * (flags_free_lists, also after an error or FLAGS_EXIT).
 */
#ifndef PRISM_FLAGS_H
#define PRISM_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flag_type {
	FLAG_BOOL,	/* bool* */
	FLAG_STRING,	/* const char** */
	FLAG_LIST,	/* struct flag_list*: repeatable; the first use replaces the default */
	FLAG_INT,	/* long*, within [min, max] */
	FLAG_DURATION,	/* double* seconds: "250ms", "5s", "1m30s", "2h", "1d" (Prometheus units) */
	FLAG_SIZE,	/* uint64_t* bytes: "1024", "64KiB", "10MB", "1GiB" */
	FLAG_ENUM,	/* const char**, one of choices */
};

struct flag_list {
	const char **v;
	size_t n;
};

struct flag {
	const char *name;		/* without dashes: "web.listen-address" */
	enum flag_type type;
	void *dst;
	const char *def;		/* default as text; NULL = none (""/false/0) */
	const char *help;
	const char *const *choices;	/* FLAG_ENUM, NULL-terminated */
	long min, max;			/* FLAG_INT; both 0 = unbounded */
};

struct flags_program {
	const char *name;		/* "host-exporter" */
	const char *summary;		/* one line for --help */
	const char *version;		/* printed by --version with the revision */
	const char *revision;
};

/* The result when --help or --version was printed: the caller exits 0. */
#define FLAGS_EXIT 1

/*
 * Apply defaults, then argv.  Returns 0, FLAGS_EXIT, or -EINVAL after
 * printing "NAME: error: ..." naming the flag to err (and a hint to --help).
 * --help/--version print to out.
 */
int flags_parse(const struct flag *flags, size_t nflags, const struct flags_program *prog,
		int argc, char **argv, FILE *out, FILE *err);
void flags_usage(const struct flag *flags, size_t nflags, const struct flags_program *prog, FILE *out);
void flags_free_lists(const struct flag *flags, size_t nflags);

/* Value parsers, also for config files.  0 or -EINVAL. */
int flags_parse_duration(const char *s, double *ret_seconds);
int flags_parse_size(const char *s, uint64_t *ret_bytes);
int flags_parse_bool(const char *s, bool *ret);

#endif
