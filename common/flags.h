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
 *
 * A daemon builds its flags as a struct flagset (below): tables from
 * several places (common's standard flags, the daemon's own, one per
 * collector) are added to one growable set -- no fixed cap, and a name
 * declared twice is an error, not a silent shadow.  The set remembers which
 * flags the command line gave (flagset_given), and runs each flag's own
 * check after parsing, so a bad value is reported naming only that flag and
 * its rule.
 */
#ifndef PRISM_FLAGS_H
#define PRISM_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flag;
struct flagset;

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
	/*
	 * Optional rule beyond the type, checked after the whole command line
	 * was parsed (defaults too): 0, or negative errno with the reason in
	 * err (empty: `rule` is printed).  fs may be NULL (flags_parse).
	 * "invalid value \"V\" for flag '--NAME': REASON" names only this flag.
	 */
	int (*check)(const struct flag *f, const struct flagset *fs, char *err, size_t errlen);
	const char *rule;		/* "a size in (0, 64MiB]": the reason, and shown in --help */
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

/* ---- flag sets ---- */

/* prog is borrowed and must outlive the set.  NULL on ENOMEM. */
struct flagset *flagset_new(const struct flags_program *prog);
/* Frees the set, its copies of strings and the lists it filled.  NULL is fine. */
void flagset_free(struct flagset *fs);
/* Append flags (copied; names, help and defaults are borrowed unless made by
 * flagset_printf).  -EEXIST when a name is taken (a programming error: the
 * caller fails loudly), -ENOMEM. */
int flagset_add(struct flagset *fs, const struct flag *flags, size_t n);
/* A string owned by the set (generated flag names and help). NULL on ENOMEM. */
const char *flagset_printf(struct flagset *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Defaults, then argv, then every flag's check: as flags_parse. */
int flagset_parse(struct flagset *fs, int argc, char **argv, FILE *out, FILE *err);
void flagset_usage(const struct flagset *fs, FILE *out);
/* Was the flag whose destination is dst given on the command line? */
bool flagset_given(const struct flagset *fs, const void *dst);
/* The value text the flag whose destination is dst got (argv or default), or NULL. */
const char *flagset_text(const struct flagset *fs, const void *dst);
/* The name of the flag whose destination is dst, or NULL. */
const char *flagset_name(const struct flagset *fs, const void *dst);
size_t flagset_count(const struct flagset *fs);
/* The flag called name[0..len) (without dashes), or NULL; valid while fs lives. */
const struct flag *flagset_find(const struct flagset *fs, const char *name, size_t len);

/* Stock checks: a duration > 0; "rule" gives the message. */
int flag_check_positive(const struct flag *f, const struct flagset *fs, char *err, size_t errlen);

/* Value parsers, also for config files.  0 or -EINVAL. */
int flags_parse_duration(const char *s, double *ret_seconds);
int flags_parse_size(const char *s, uint64_t *ret_bytes);
int flags_parse_bool(const char *s, bool *ret);

#endif
