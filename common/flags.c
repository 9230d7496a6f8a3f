/*
 * flags: kingpin-style long flags (the parser Prometheus and its exporters
 * use), so prism's daemons take the same command lines as their Go peers.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flags.h"

int flags_parse_bool(const char *s, bool *ret)
{
	/* Go's strconv.ParseBool, which kingpin uses */
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

	if (!s)
		return -EINVAL;
	for (int i = 0; t[i]; i++) {
		if (strcmp(s, t[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Prometheus durations (common/model.ParseDuration): integer amounts with
 * units y, w, d, h, m, s, ms, each at most once and in that order, e.g.
 * "1m30s"; "0" alone is zero.
 */
int flags_parse_duration(const char *s, double *ret_seconds)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {
		{ "y", 365 * 86400.0 }, { "w", 7 * 86400.0 }, { "d", 86400.0 }, { "h", 3600.0 },
		{ "m", 60.0 }, { "s", 1.0 }, { "ms", 0.001 },
	};
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	size_t next = 0;
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*ret_seconds = 0;
		return 0;
	}
	while (*p) {
		unsigned long long v = 0;
		const char *num = p;
		size_t ul, i;

		while (*p >= '0' && *p <= '9') {
			if (v > (ULLONG_MAX - 9) / 10)
				return -EINVAL;
			v = v * 10 + (unsigned long long)(*p - '0');
			p++;
		}
		if (p == num)
			return -EINVAL;
		/* the unit: letters up to the next digit; "ms" must not read as "m" */
		for (ul = 0; p[ul] && !(p[ul] >= '0' && p[ul] <= '9'); ul++)
			;
		for (i = next; i < nunits; i++)
			if (strlen(units[i].unit) == ul && strncmp(units[i].unit, p, ul) == 0)
				break;
		if (i == nunits)
			return -EINVAL;
		total += (double)v * units[i].secs;
		next = i + 1;
		p += ul;
	}
	if (!isfinite(total))
		return -EINVAL;
	*ret_seconds = total;
	return 0;
}

/*
 * Sizes as kingpin's Bytes (alecthomas/units Base2Bytes, used for
 * Prometheus's --storage.tsdb.retention.size): "KB" and "KiB" both mean
 * 1024, "MB"/"MiB" 1024^2 and so on; a bare number is bytes; "B" allowed.
 */
int flags_parse_size(const char *s, uint64_t *ret_bytes)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {
		{ "", 0 }, { "B", 0 },
		{ "KB", 10 }, { "KiB", 10 }, { "MB", 20 }, { "MiB", 20 }, { "GB", 30 }, { "GiB", 30 },
		{ "TB", 40 }, { "TiB", 40 }, { "PB", 50 }, { "PiB", 50 },
	};
	unsigned long long v = 0;
	const char *p = s;

	if (!s || !(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*ret_bytes = (uint64_t)v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

static int parse_int(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return -EINVAL;
	if ((min || max) && (v < min || v > max))
		return -ERANGE;
	*ret = v;
	return 0;
}

static int list_append(struct flag_list *l, const char *v)
{
	const char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[l->n++] = v;
	l->v = nv;
	return 0;
}

/* Set one flag from text.  "replace" restarts a list (first use on the command line). */
static int flag_set(const struct flag *f, const char *val, bool replace)
{
	switch (f->type) {
	case FLAG_BOOL:
		return flags_parse_bool(val, f->dst);
	case FLAG_STRING:
		*(const char **)f->dst = val;
		return 0;
	case FLAG_LIST: {
		struct flag_list *l = f->dst;

		if (replace)
			l->n = 0;
		return list_append(l, val);
	}
	case FLAG_INT:
		return parse_int(val, f->min, f->max, f->dst);
	case FLAG_DURATION:
		return flags_parse_duration(val, f->dst);
	case FLAG_SIZE:
		return flags_parse_size(val, f->dst);
	case FLAG_ENUM:
		for (size_t i = 0; f->choices && f->choices[i]; i++) {
			if (strcmp(f->choices[i], val) == 0) {
				*(const char **)f->dst = f->choices[i];
				return 0;
			}
		}
		return -EINVAL;
	}
	return -EINVAL;
}

static void flag_zero(const struct flag *f)
{
	switch (f->type) {
	case FLAG_BOOL: *(bool *)f->dst = false; break;
	case FLAG_STRING:
	case FLAG_ENUM: *(const char **)f->dst = ""; break;
	case FLAG_LIST: ((struct flag_list *)f->dst)->n = 0; break;
	case FLAG_INT: *(long *)f->dst = 0; break;
	case FLAG_DURATION: *(double *)f->dst = 0; break;
	case FLAG_SIZE: *(uint64_t *)f->dst = 0; break;
	}
}

static const char *type_placeholder(enum flag_type t)
{
	switch (t) {
	case FLAG_INT: return "<int>";
	case FLAG_DURATION: return "<duration>";
	case FLAG_SIZE: return "<bytes>";
	default: return "<string>";
	}
}

void flags_usage(const struct flag *flags, size_t nflags, const struct flags_program *prog,
		 FILE *out)
{
	fprintf(out, "usage: %s [<flags>]\n\n", prog->name);
	if (prog->summary && *prog->summary)
		fprintf(out, "%s\n\n", prog->summary);
	fprintf(out, "Flags:\n");
	fprintf(out, "  -h, --help\n        Show context-sensitive help.\n");
	fprintf(out, "      --version\n        Show application version.\n");
	for (size_t i = 0; i < nflags; i++) {
		const struct flag *f = &flags[i];

		/* kingpin shows the default in the flag's spec: --name="default";
		 * the help line adds only what the help text cannot know (the
		 * choices, a boolean's default, the rule), each once */
		if (f->type == FLAG_BOOL)
			fprintf(out, "      --[no-]%s", f->name);
		else if (f->def)
			fprintf(out, "      --%s=\"%s\"", f->name, f->def);
		else
			fprintf(out, "      --%s=%s", f->name, type_placeholder(f->type));
		if (f->type == FLAG_LIST)
			fprintf(out, " ...");
		fprintf(out, "\n        %s", f->help ? f->help : "");
		if (f->type == FLAG_ENUM && f->choices) {
			fprintf(out, " One of: [");
			for (size_t c = 0; f->choices[c]; c++)
				fprintf(out, "%s%s", c ? ", " : "", f->choices[c]);
			fprintf(out, "]");
		}
		if (f->rule)
			fprintf(out, " Must be %s.", f->rule);
		if (f->type == FLAG_BOOL)
			fprintf(out, " (default: %s)", f->def ? f->def : "false");
		else if (!f->def)
			fprintf(out, " (default: none)");
		fprintf(out, "\n");
	}
}

void flags_free_lists(const struct flag *flags, size_t nflags)
{
	for (size_t i = 0; i < nflags; i++) {
		if (flags[i].type == FLAG_LIST) {
			struct flag_list *l = flags[i].dst;

			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}

static const struct flag *find_flag(const struct flag *flags, size_t nflags, const char *name,
				    size_t len)
{
	for (size_t i = 0; i < nflags; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

/* Everything flags_parse and flagset_parse share: seen[] and text[] (nflags
 * each) say which flags argv gave and the text each value came from. */
static int parse_core(const struct flag *flags, size_t nflags, const struct flagset *fs,
		      bool *seen, const char **text, const struct flags_program *prog, int argc,
		      char **argv, FILE *out, FILE *err)
{
	/* Defaults first, parsed like command-line values (a bad default is a bug: say so). */
	for (size_t i = 0; i < nflags; i++) {
		const struct flag *f = &flags[i];

		seen[i] = false;
		text[i] = f->def;
		flag_zero(f);
		if (f->def && flag_set(f, f->def, true) < 0) {
			fprintf(err, "%s: error: invalid default \"%s\" for flag --%s\n", prog->name,
				f->def, f->name);
			return -EINVAL;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *val, *eq;
		const struct flag *f;
		size_t nlen;
		bool neg = false;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			flags_usage(flags, nflags, prog, out);
			return FLAGS_EXIT;
		}
		if (strcmp(a, "--version") == 0) {
			fprintf(out, "%s, version %s (revision %s)\n", prog->name,
				prog->version ? prog->version : "unknown",
				prog->revision ? prog->revision : "unknown");
			return FLAGS_EXIT;
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (a[0] == '-' && a[1] != '\0' && a[1] != '-')
				fprintf(err, "%s: error: unknown short flag '%s', try --help\n",
					prog->name, a);
			else
				fprintf(err, "%s: error: unexpected %s, try --help\n", prog->name, a);
			return -EINVAL;
		}
		name = a + 2;
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		val = eq ? eq + 1 : NULL;
		f = find_flag(flags, nflags, name, nlen);
		if (!f && nlen > 3 && strncmp(name, "no-", 3) == 0) {
			f = find_flag(flags, nflags, name + 3, nlen - 3);
			if (f && f->type == FLAG_BOOL && !val)
				neg = true;
			else
				f = NULL;
		}
		if (!f) {
			fprintf(err, "%s: error: unknown long flag '--%.*s', try --help\n", prog->name,
				(int)nlen, name);
			return -EINVAL;
		}
		if (f->type == FLAG_BOOL && !val) {
			*(bool *)f->dst = !neg;
			seen[f - flags] = true;
			text[f - flags] = neg ? "false" : "true";
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(err, "%s: error: expected argument for flag '--%s', try --help\n",
					prog->name, f->name);
				return -EINVAL;
			}
			val = argv[++i];
		}
		if (flag_set(f, val, !seen[f - flags]) < 0) {
			fprintf(err, "%s: error: invalid value \"%s\" for flag '--%s'", prog->name,
				val, f->name);
			if (f->type == FLAG_ENUM && f->choices) {
				fprintf(err, ": expected one of [");
				for (size_t c = 0; f->choices[c]; c++)
					fprintf(err, "%s%s", c ? ", " : "", f->choices[c]);
				fprintf(err, "]");
			} else if (f->type == FLAG_INT && (f->min || f->max)) {
				fprintf(err, ": expected an integer in [%ld, %ld]", f->min, f->max);
			} else if (f->type == FLAG_DURATION) {
				fprintf(err, ": expected a duration such as 250ms, 5s, 1m30s");
			} else if (f->type == FLAG_SIZE) {
				fprintf(err, ": expected a size such as 1024, 64KiB, 10MB");
			} else if (f->type == FLAG_BOOL) {
				fprintf(err, ": expected true or false");
			}
			fprintf(err, ", try --help\n");
			return -EINVAL;
		}
		seen[f - flags] = true;
		text[f - flags] = val;
	}
	/* Each flag's own rule: every failure gets its own line, naming only
	 * that flag, its value and what it must be. */
	int r = 0;

	for (size_t i = 0; i < nflags; i++) {
		const struct flag *f = &flags[i];
		char why[512] = "";

		if (!f->check || f->check(f, fs, why, sizeof(why)) >= 0)
			continue;
		fprintf(err, "%s: error: invalid value \"%s\" for flag '--%s': %s%s\n", prog->name,
			text[i] ? text[i] : "", f->name, why[0] || !f->rule ? "" : "must be ",
			why[0] ? why : f->rule ? f->rule : "refused");
		r = -EINVAL;
	}
	return r;
}

int flags_parse(const struct flag *flags, size_t nflags, const struct flags_program *prog,
		int argc, char **argv, FILE *out, FILE *err)
{
	bool *seen = calloc(nflags ? nflags : 1, sizeof(*seen));
	const char **text = calloc(nflags ? nflags : 1, sizeof(*text));
	int r = -ENOMEM;

	if (seen && text)
		r = parse_core(flags, nflags, NULL, seen, text, prog, argc, argv, out, err);
	free(seen);
	free(text);
	return r;
}

/* ---- flag sets ---- */

struct flagset {
	const struct flags_program *prog;
	struct flag *flags;
	bool *seen;
	const char **text;
	size_t n, cap;
	char **strs;		/* flagset_printf's */
	size_t nstrs;
};

struct flagset *flagset_new(const struct flags_program *prog)
{
	struct flagset *fs = calloc(1, sizeof(*fs));

	if (fs)
		fs->prog = prog;
	return fs;
}

void flagset_free(struct flagset *fs)
{
	if (!fs)
		return;
	flags_free_lists(fs->flags, fs->n);
	for (size_t i = 0; i < fs->nstrs; i++)
		free(fs->strs[i]);
	free(fs->strs);
	free(fs->flags);
	free(fs->seen);
	free(fs->text);
	free(fs);
}

int flagset_add(struct flagset *fs, const struct flag *flags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct flag *f = &flags[i];

		if (!f->name || !f->dst ||
		    find_flag(fs->flags, fs->n, f->name, strlen(f->name)) ||
		    strcmp(f->name, "help") == 0 || strcmp(f->name, "version") == 0)
			return f->name && f->dst ? -EEXIST : -EINVAL;
		if (fs->n == fs->cap) {
			size_t cap = fs->cap ? fs->cap * 2 : 32;
			struct flag *nf = realloc(fs->flags, cap * sizeof(*nf));
			bool *ns;
			const char **nt;

			if (!nf)
				return -ENOMEM;
			fs->flags = nf;
			ns = realloc(fs->seen, cap * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			fs->seen = ns;
			nt = realloc(fs->text, cap * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			fs->text = nt;
			fs->cap = cap;
		}
		fs->flags[fs->n] = *f;
		fs->seen[fs->n] = false;
		fs->text[fs->n] = NULL;
		fs->n++;
	}
	return 0;
}

const char *flagset_printf(struct flagset *fs, const char *fmt, ...)
{
	char **ns = realloc(fs->strs, (fs->nstrs + 1) * sizeof(*ns));
	va_list ap;
	char *s;
	int r;

	if (!ns)
		return NULL;
	fs->strs = ns;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	fs->strs[fs->nstrs++] = s;
	return s;
}

int flagset_parse(struct flagset *fs, int argc, char **argv, FILE *out, FILE *err)
{
	return parse_core(fs->flags, fs->n, fs, fs->seen, fs->text, fs->prog, argc, argv, out, err);
}

void flagset_usage(const struct flagset *fs, FILE *out)
{
	flags_usage(fs->flags, fs->n, fs->prog, out);
}

static ssize_t index_of(const struct flagset *fs, const void *dst)
{
	for (size_t i = 0; fs && i < fs->n; i++)
		if (fs->flags[i].dst == dst)
			return (ssize_t)i;
	return -1;
}

bool flagset_given(const struct flagset *fs, const void *dst)
{
	ssize_t i = index_of(fs, dst);

	return i >= 0 && fs->seen[i];
}

const char *flagset_text(const struct flagset *fs, const void *dst)
{
	ssize_t i = index_of(fs, dst);

	return i >= 0 ? fs->text[i] : NULL;
}

const char *flagset_name(const struct flagset *fs, const void *dst)
{
	ssize_t i = index_of(fs, dst);

	return i >= 0 ? fs->flags[i].name : NULL;
}

const struct flag *flagset_find(const struct flagset *fs, const char *name, size_t len)
{
	return fs && name ? find_flag(fs->flags, fs->n, name, len) : NULL;
}

size_t flagset_count(const struct flagset *fs)
{
	return fs->n;
}

int flag_check_positive(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	(void)fs;
	(void)err;
	(void)errlen;
	switch (f->type) {
	case FLAG_DURATION: return *(double *)f->dst > 0 ? 0 : -EINVAL;
	case FLAG_SIZE: return *(uint64_t *)f->dst > 0 ? 0 : -EINVAL;
	case FLAG_INT: return *(long *)f->dst > 0 ? 0 : -EINVAL;
	default: return 0;
	}
}
