/*
 * textfile: metrics from *.prom files in --collector.textfile.directory, in
 * the Prometheus text format 0.0.4 (exposition_formats.md), as node_exporter
 * 1.5's textfile.go: node_textfile_mtime_seconds{file} per file read,
 * node_textfile_scrape_error 1 if any file or the directory failed.
 *
 * The directory flag may be a glob (glob(3), as Go's filepath.Glob; a
 * pattern matching nothing is read as a directory name, so its error is
 * reported).  Each file is parsed here (bounded by
 * --collector.textfile.max-bytes) and validated alone; a file with a syntax
 * error, client-side timestamps (refused by node_exporter too), a duplicate
 * series or an inconsistent HELP/TYPE is rejected whole.  Then families are
 * merged over the accepted files as client_golang's registry merges what
 * node_exporter's textfile collector sends it: the first file (in path
 * order) giving a family fixes its HELP and type; the samples of later files
 * with the same HELP and type join it (a series already given is dropped),
 * those with another HELP or type are dropped without an error (the Go
 * registry drops them under ContinueOnError).  A family without HELP gets
 * "Metric read from <every file giving it>".  The per-file outputs are
 * merged into the scrape by merge_textfile() after every other collector, so
 * a file whose family another collector already wrote is rejected instead
 * of breaking the exposition.  Files are opened O_NONBLOCK and must be
 * regular files: a FIFO cannot hang the collector.
 *
 * Limits: families carry at most METRICS_MAX_LABELS labels; a family merged
 * over files with different label names is written with their union (a
 * label missing in a series is written empty, which Prometheus reads as
 * absent), where node_exporter writes each series with its own file's names.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "util.h"

struct tf_label {
	char *name, *value;
};

enum { K_PLAIN, K_BUCKET, K_SUM, K_COUNT };

struct tf_sample {
	size_t fam;
	int kind;
	size_t lab, nlab;	/* into labels[] */
	double v;
};

struct tf_family {
	char *name, *help;
	enum metric_type type;
	bool typed, has_samples;
};

struct tf_parse {
	struct tf_family *fams;
	size_t nfams, capfams;
	struct tf_sample *samples;
	size_t nsamples, capsamples;
	struct tf_label *labels;
	size_t nlabels, caplabels;
	char err[200];
};

/* One file's result, kept until the merge. */
struct tf_file {
	char name[256];
	char path[4096];	/* node_textfile_mtime_seconds{file}: dir/name */
	double mtime;
	bool ok;
	char err[240];
	char *data;		/* the file's text; p points into it */
	struct tf_parse p;
	struct buf out;		/* families this file gives first, merged */
	struct metrics_writer *w;
};

struct tf_priv {
	struct tf_file *files;
	size_t nfiles;
	bool dir_error;
	char dir_err[240];
	enum metrics_format fmt;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *np;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	np = realloc(*p, nc * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

static int perr(struct tf_parse *p, int line, const char *msg)
{
	xsnprintf(p->err, sizeof(p->err), "text format parsing error in line %d: %s", line, msg);
	return -EINVAL;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static char *skip_blank(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Reads a metric/label name at *s; NUL-terminates it lazily via ret_end. */
static char *read_name(char **s, char **ret_end, bool label)
{
	char *b = *s, *e = b;

	if (!name_start(*e) || (label && *e == ':'))
		return NULL;
	while (name_char(*e) && !(label && *e == ':'))
		e++;
	*s = e;
	*ret_end = e;
	return b;
}

static ssize_t fam_find(const struct tf_parse *p, const char *name)
{
	for (size_t i = p->nfams; i-- > 0;)
		if (strcmp(p->fams[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t fam_get(struct tf_parse *p, char *name)
{
	ssize_t i = fam_find(p, name);

	if (i >= 0)
		return i;
	if (grow((void **)&p->fams, &p->capfams, p->nfams, sizeof(*p->fams)) < 0)
		return -1;
	p->fams[p->nfams] = (struct tf_family){ .name = name, .type = METRIC_UNTYPED };
	return (ssize_t)p->nfams++;
}

/* HELP text escapes: \\ and \n (exposition_formats.md). */
static void unescape_help(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1] == '\\') {
			*o++ = '\\';
			s++;
		} else if (*s == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int parse_comment(struct tf_parse *p, char *s, int ln)
{
	char *kw, *name, *end, *rest;
	ssize_t fi;
	bool help;

	s = skip_blank(s + 1);
	kw = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (!((s - kw == 4 && strncmp(kw, "HELP", 4) == 0) ||
	      (s - kw == 4 && strncmp(kw, "TYPE", 4) == 0)))
		return 0;	/* an ordinary comment */
	help = kw[0] == 'H';
	s = skip_blank(s);
	name = read_name(&s, &end, false);
	if (!name)
		return perr(p, ln, "invalid metric name in comment");
	if (*s && *s != ' ' && *s != '\t')
		return perr(p, ln, "invalid metric name in comment");
	rest = *s ? skip_blank(s + 1) : s;
	*end = '\0';
	fi = fam_get(p, name);
	if (fi < 0)
		return -ENOMEM;
	if (help) {
		if (p->fams[fi].help)
			return perr(p, ln, "second HELP line for metric name");
		unescape_help(rest);
		p->fams[fi].help = rest;
		return 0;
	}
	if (p->fams[fi].typed)
		return perr(p, ln, "second TYPE line for metric name");
	if (p->fams[fi].has_samples)
		return perr(p, ln, "TYPE reported after samples");
	{
		size_t l = strlen(rest);

		while (l && (rest[l - 1] == ' ' || rest[l - 1] == '\t'))
			rest[--l] = '\0';
	}
	if (strcmp(rest, "counter") == 0)
		p->fams[fi].type = METRIC_COUNTER;
	else if (strcmp(rest, "gauge") == 0)
		p->fams[fi].type = METRIC_GAUGE;
	else if (strcmp(rest, "histogram") == 0)
		p->fams[fi].type = METRIC_HISTOGRAM;
	else if (strcmp(rest, "untyped") == 0)
		p->fams[fi].type = METRIC_UNTYPED;
	else if (strcmp(rest, "summary") == 0)
		p->fams[fi].type = METRIC_SUMMARY;
	else
		return perr(p, ln, "unknown metric type");
	p->fams[fi].typed = true;
	return 0;
}

/* Label value escapes: \\, \" and \n. */
static char *read_label_value(char **s)
{
	char *in = *s, *o, *v;

	if (*in != '"')
		return NULL;
	v = o = ++in;
	for (; *in && *in != '"'; in++) {
		if (*in == '\\') {
			in++;
			if (*in == '\\' || *in == '"')
				*o++ = *in;
			else if (*in == 'n')
				*o++ = '\n';
			else
				return NULL;
		} else {
			*o++ = *in;
		}
	}
	if (*in != '"')
		return NULL;
	*s = in + 1;
	*o = '\0';
	return v;
}

static bool ends_with(const char *s, const char *suf, size_t *ret_base)
{
	size_t l = strlen(s), sl = strlen(suf);

	if (l <= sl || strcmp(s + l - sl, suf) != 0)
		return false;
	*ret_base = l - sl;
	return true;
}

static int parse_sample(struct tf_parse *p, char *s, int ln)
{
	char *name, *end, *vs, *ve;
	struct tf_sample smp = { 0 };
	ssize_t fi = -1;
	size_t base;
	int kind = K_PLAIN;

	name = read_name(&s, &end, false);
	if (!name)
		return perr(p, ln, "invalid metric name");
	smp.lab = p->nlabels;
	if (*s == '{') {
		s++;
		for (;;) {
			char *ln_, *lend, *val;

			s = skip_blank(s);
			if (*s == '}') {
				s++;
				break;
			}
			ln_ = read_name(&s, &lend, true);
			if (!ln_)
				return perr(p, ln, "invalid label name");
			s = skip_blank(s);
			if (*s != '=')
				return perr(p, ln, "expected '=' after label name");
			s = skip_blank(s + 1);
			*lend = '\0';
			val = read_label_value(&s);
			if (!val)
				return perr(p, ln, "invalid label value");
			for (size_t i = smp.lab; i < p->nlabels; i++)
				if (strcmp(p->labels[i].name, ln_) == 0)
					return perr(p, ln, "duplicate label name");
			if (grow((void **)&p->labels, &p->caplabels, p->nlabels, sizeof(*p->labels)) < 0)
				return -ENOMEM;
			p->labels[p->nlabels++] = (struct tf_label){ ln_, val };
			s = skip_blank(s);
			if (*s == ',') {
				s++;
				continue;
			}
			if (*s == '}') {
				s++;
				break;
			}
			return perr(p, ln, "expected ',' or '}' after label value");
		}
	}
	smp.nlab = p->nlabels - smp.lab;
	if (*s != ' ' && *s != '\t')
		return perr(p, ln, "expected a value after the metric");
	s = skip_blank(s + 1);
	*end = '\0';	/* after the blank was passed: end may point at it */
	vs = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	ve = s;
	if (*s) {
		/* A blank after the value announces a timestamp (Go's parser
		 * wants an integer there), and node_exporter refuses
		 * client-side timestamps anyway. */
		s = skip_blank(s);
		return perr(p, ln, *s ? "contains unsupported client-side timestamps"
				      : "expected integer as timestamp, got \"\"");
	}
	*ve = '\0';
	/* Go's ParseFloat: no hex without exponent, overflow is an error. */
	if (pf_double(vs, &smp.v) < 0 || strncasecmp(vs, "0x", 2) == 0 ||
	    strncasecmp(vs + (*vs == '-' || *vs == '+'), "0x", 2) == 0 ||
	    (isinf(smp.v) && !strcasestr(vs, "inf")))
		return perr(p, ln, "invalid sample value");

	/* Histogram/summary parts belong to the base family when it is typed so. */
	{
		static const struct {
			const char *suf;
			int kind;
		} sufs[] = { { "_bucket", K_BUCKET }, { "_sum", K_SUM }, { "_count", K_COUNT } };

		for (size_t i = 0; i < 3 && fi < 0; i++) {
			if (!ends_with(name, sufs[i].suf, &base))
				continue;
			char save = name[base];
			ssize_t bf;

			name[base] = '\0';
			bf = fam_find(p, name);
			name[base] = save;
			if (bf >= 0 && (p->fams[bf].type == METRIC_HISTOGRAM || p->fams[bf].type == METRIC_SUMMARY)) {
				if (sufs[i].kind == K_BUCKET && p->fams[bf].type == METRIC_SUMMARY)
					continue;
				fi = bf;
				kind = sufs[i].kind;
			}
		}
	}
	if (fi < 0) {
		fi = fam_get(p, name);
		if (fi < 0)
			return -ENOMEM;
		if (p->fams[fi].type == METRIC_HISTOGRAM)
			return perr(p, ln, "histogram sample without _bucket/_sum/_count suffix");
	}
	if (p->fams[fi].type == METRIC_SUMMARY && kind == K_PLAIN) {
		for (size_t i = smp.lab; i < p->nlabels; i++) {
			double q;

			if (strcmp(p->labels[i].name, "quantile") == 0 &&
			    pf_double(p->labels[i].value, &q) < 0)
				return perr(p, ln, "expected float as value for 'quantile' label");
		}
	}
	p->fams[fi].has_samples = true;
	smp.fam = (size_t)fi;
	smp.kind = kind;
	if (grow((void **)&p->samples, &p->capsamples, p->nsamples, sizeof(*p->samples)) < 0)
		return -ENOMEM;
	p->samples[p->nsamples++] = smp;
	return 0;
}

static int tf_parse_text(struct tf_parse *p, char *data, size_t len)
{
	char *cur = data, *line;
	int ln = 0, r;

	/* A last line without its newline is a file still being written:
	 * Go's parser fails with "unexpected end of input stream". */
	if (len && data[len - 1] != '\n') {
		for (const char *q = data; *q; q++)
			ln += *q == '\n';
		return perr(p, ln + 1, "unexpected end of input stream");
	}

	while ((line = pf_next_line(&cur))) {
		char *s = skip_blank(line);

		ln++;
		if (!*s)
			continue;
		r = *s == '#' ? parse_comment(p, s, ln) : parse_sample(p, s, ln);
		if (r < 0)
			return r;
	}
	return 0;
}

static void tf_parse_done(struct tf_parse *p)
{
	free(p->fams);
	free(p->samples);
	free(p->labels);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *label_of(const struct tf_parse *p, const struct tf_sample *s, const char *n)
{
	for (size_t i = 0; i < s->nlab; i++)
		if (strcmp(p->labels[s->lab + i].name, n) == 0)
			return p->labels[s->lab + i].value;
	return NULL;
}

/* Same labels apart from "le"? */
static bool same_group(const struct tf_parse *p, const struct tf_sample *a, const struct tf_sample *b,
		       const char *const *names, size_t nn)
{
	for (size_t i = 0; i < nn; i++) {
		const char *x = label_of(p, a, names[i]), *y = label_of(p, b, names[i]);

		if (strcmp(x ? x : "", y ? y : "") != 0)
			return false;
	}
	return true;
}

struct bucket {
	double le;
	double count;
};

static int cmp_bucket(const void *a, const void *b)
{
	double x = ((const struct bucket *)a)->le, y = ((const struct bucket *)b)->le;

	return x < y ? -1 : x > y;
}

/* A histogram count (_count, _bucket) becomes a uint64: NaN, negative,
 * infinite or 2^64 and above cannot (a C conversion of them is undefined;
 * found by tests/fuzz/fuzz_textfile). */
static bool count_valid(double v)
{
	return v >= 0 && v < 18446744073709551616.0;
}

static int write_histogram(struct tf_parse *p, size_t fi, struct metrics_writer *w,
			   const char **names, size_t nn, bool strict, char *err, size_t errlen)
{
	size_t i, j;
	bool *done = calloc(p->nsamples, sizeof(bool));
	int r = 0;

	if (!done)
		return -ENOMEM;
	for (i = 0; i < p->nsamples && r == 0; i++) {
		struct bucket bk[METRICS_MAX_BUCKETS + 1];
		size_t nb = 0, nf = 0;
		double sum = 0, count = -1, inf = -1;
		double bounds[METRICS_MAX_BUCKETS];
		uint64_t cum[METRICS_MAX_BUCKETS];
		const char *lv[METRICS_MAX_LABELS];

		if (done[i] || p->samples[i].fam != fi)
			continue;
		for (j = i; j < p->nsamples; j++) {
			struct tf_sample *s = &p->samples[j];

			if (done[j] || s->fam != fi || !same_group(p, &p->samples[i], s, names, nn))
				continue;
			done[j] = true;
			if ((s->kind == K_COUNT || s->kind == K_BUCKET) && !count_valid(s->v)) {
				xsnprintf(err, errlen, "histogram %s: count out of range", p->fams[fi].name);
				r = -EINVAL;
				break;
			}
			if (s->kind == K_SUM) {
				sum = s->v;
			} else if (s->kind == K_COUNT) {
				count = s->v;
			} else if (s->kind == K_BUCKET) {
				const char *le = label_of(p, s, "le");
				double b;

				if (!le || pf_double(le, &b) < 0) {
					xsnprintf(err, errlen, "histogram %s: bucket without a valid le", p->fams[fi].name);
					r = -EINVAL;
					break;
				}
				if (isinf(b) && b > 0) {
					inf = s->v;
					continue;
				}
				if (nb == METRICS_MAX_BUCKETS) {
					xsnprintf(err, errlen, "histogram %s: more than %d buckets", p->fams[fi].name, METRICS_MAX_BUCKETS);
					r = -EINVAL;
					break;
				}
				bk[nb++] = (struct bucket){ b, s->v };
			} else {
				xsnprintf(err, errlen, "histogram %s: unexpected sample", p->fams[fi].name);
				r = -EINVAL;
				break;
			}
		}
		if (r)
			break;
		if (count < 0)
			count = inf;
		if (count < 0) {
			xsnprintf(err, errlen, "histogram %s: no _count and no +Inf bucket", p->fams[fi].name);
			r = -EINVAL;
			break;
		}
		qsort(bk, nb, sizeof(bk[0]), cmp_bucket);
		for (j = 0; j < nb; j++) {
			if (nf && bounds[nf - 1] == bk[j].le) {
				r = -EINVAL;
				xsnprintf(err, errlen, "histogram %s: duplicate bucket", p->fams[fi].name);
				break;
			}
			bounds[nf] = bk[j].le;
			cum[nf++] = (uint64_t)bk[j].count;
		}
		if (r)
			break;
		for (j = 0; j < nn; j++) {
			const char *v = label_of(p, &p->samples[i], names[j]);

			lv[j] = v ? v : "";
		}
		r = writer_histogram(w, lv, bounds, cum, nf, (uint64_t)count, sum);
		if (r < 0 && !strict)
			r = 0;	/* merging: a series an earlier file gave stays */
		if (r < 0)
			xsnprintf(err, errlen, "histogram %s: duplicate or invalid series", p->fams[fi].name);
	}
	free(done);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A summary family's series: quantile samples grouped by their other labels,
 * with _sum and _count (expfmt's parser: a sample without a quantile label
 * is ignored, a missing _count is 0). */
static int write_summary(struct tf_parse *p, size_t fi, struct metrics_writer *w,
			 const char **names, size_t nn, bool strict, char *err, size_t errlen)
{
	bool *done = calloc(p->nsamples, sizeof(bool));
	int r = 0;

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsamples && r == 0; i++) {
		double qv[METRICS_MAX_BUCKETS][2], q[METRICS_MAX_BUCKETS], v[METRICS_MAX_BUCKETS];
		double sum = 0, count = 0;
		size_t nq = 0, k = 0;
		const char *lv[METRICS_MAX_LABELS];

		if (done[i] || p->samples[i].fam != fi)
			continue;
		for (size_t j = i; j < p->nsamples; j++) {
			struct tf_sample *s = &p->samples[j];
			const char *qs;
			double qd;

			if (done[j] || s->fam != fi || !same_group(p, &p->samples[i], s, names, nn))
				continue;
			done[j] = true;
			if (s->kind == K_SUM) {
				sum = s->v;
			} else if (s->kind == K_COUNT) {
				count = s->v;
			} else if ((qs = label_of(p, s, "quantile")) && pf_double(qs, &qd) == 0) {
				size_t x;

				for (x = 0; x < nq && qv[x][0] != qd; x++)
					;
				if (x == nq) {
					if (nq == METRICS_MAX_BUCKETS) {
						xsnprintf(err, errlen, "summary %s: more than %d quantiles",
							  p->fams[fi].name, METRICS_MAX_BUCKETS);
						r = -EINVAL;
						break;
					}
					nq++;
				}
				qv[x][0] = qd;	/* a repeated quantile: the last wins (Go's map) */
				qv[x][1] = s->v;
			}
		}
		if (r)
			break;
		qsort(qv, nq, sizeof(qv[0]), cmp_double);
		for (k = 0; k < nq; k++) {
			q[k] = qv[k][0];
			v[k] = qv[k][1];
		}
		for (k = 0; k < nn; k++) {
			const char *x = label_of(p, &p->samples[i], names[k]);

			lv[k] = x ? x : "";
		}
		r = writer_summary(w, lv, q, v, nq, count >= 0 && count < 1.8e19 ? (uint64_t)count : 0, sum);
		if (r < 0 && !strict)
			r = 0;
		if (r < 0)
			xsnprintf(err, errlen, "summary %s: duplicate or invalid series", p->fams[fi].name);
	}
	free(done);
	return r;
}

/* One file's part of a family. */
struct tf_contrib {
	struct tf_parse *p;
	size_t fi;
};

/*
 * Write one family from the parts cs[0..nc) (the first one's name and
 * type): the union of their label names, then each part's series.  strict
 * (validating one file): any failure is an error; merging: a series a
 * part before gave is dropped.  0 or -EINVAL with err set.
 */
static int write_family(const struct tf_contrib *cs, size_t nc, const char *help,
			struct metrics_writer *w, const char *path, bool strict, char *err,
			size_t errlen)
{
	const struct tf_family *f = &cs[0].p->fams[cs[0].fi];
	const char *names[METRICS_MAX_LABELS + 1];
	size_t nn = 0;
	int r;

	for (size_t c = 0; c < nc; c++) {
		const struct tf_parse *p = cs[c].p;

		for (size_t i = 0; i < p->nsamples; i++) {
			const struct tf_sample *s = &p->samples[i];

			if (s->fam != cs[c].fi)
				continue;
			for (size_t l = 0; l < s->nlab; l++) {
				const char *n = p->labels[s->lab + l].name;
				size_t k;

				if (f->type == METRIC_HISTOGRAM && strcmp(n, "le") == 0)
					continue;
				if (f->type == METRIC_SUMMARY && strcmp(n, "quantile") == 0)
					continue;
				for (k = 0; k < nn; k++)
					if (strcmp(names[k], n) == 0)
						break;
				if (k < nn)
					continue;
				if (nn == METRICS_MAX_LABELS) {
					xsnprintf(err, errlen, "%s: %s has more than %d labels", path,
						  f->name, METRICS_MAX_LABELS);
					return -EINVAL;
				}
				names[nn++] = n;
			}
		}
	}
	qsort(names, nn, sizeof(names[0]), cmp_str);
	names[nn] = NULL;
	r = writer_family(w, f->name, f->type, help, names);
	if (r < 0) {
		xsnprintf(err, errlen, "%s: invalid family %s", path, f->name);
		return -EINVAL;
	}
	for (size_t c = 0; c < nc; c++) {
		struct tf_parse *p = cs[c].p;

		if (f->type == METRIC_HISTOGRAM || f->type == METRIC_SUMMARY) {
			r = (f->type == METRIC_HISTOGRAM ? write_histogram : write_summary)(
				p, cs[c].fi, w, names, nn, strict, err, errlen);
			if (r < 0)
				return -EINVAL;
			continue;
		}
		for (size_t i = 0; i < p->nsamples; i++) {
			struct tf_sample *s = &p->samples[i];
			const char *lv[METRICS_MAX_LABELS];

			if (s->fam != cs[c].fi)
				continue;
			for (size_t k = 0; k < nn; k++) {
				const char *v = label_of(p, s, names[k]);

				lv[k] = v ? v : "";
			}
			if (writer_sample(w, lv, s->v) < 0 && strict) {
				xsnprintf(err, errlen, "%s: duplicate or invalid series of %s", path, f->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Validate one parsed file by writing it alone into w; 0 or -EINVAL with err set. */
static int tf_write(struct tf_parse *p, struct metrics_writer *w, const char *path, char *err,
		    size_t errlen)
{
	for (size_t fi = 0; fi < p->nfams; fi++) {
		struct tf_contrib c = { p, fi };

		if (!p->fams[fi].has_samples)
			continue;	/* HELP/TYPE alone: nothing to expose */
		if (write_family(&c, 1, p->fams[fi].help ? p->fams[fi].help : "", w, path, true, err,
				 errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The family called name with samples in an accepted file, or -1. */
static ssize_t file_family(const struct tf_file *f, const char *name)
{
	ssize_t i;

	if (!f->ok)
		return -1;
	i = fam_find(&f->p, name);
	return i >= 0 && f->p.fams[i].has_samples ? i : -1;
}

/*
 * Merge the accepted files' families (see the comment at the top): file i's
 * writer gets the families it gives first, with the samples of the files
 * after it that agree on HELP and type.
 */
static void tf_merge_files(struct tf_priv *tp, enum metrics_format fmt)
{
	struct tf_contrib *cs = calloc(tp->nfiles ? tp->nfiles : 1, sizeof(*cs));
	struct buf joined;

	buf_init(&joined, 0);
	for (size_t i = 0; cs && i < tp->nfiles; i++) {
		struct tf_file *f = &tp->files[i];

		if (!f->ok)
			continue;
		f->w = metrics_writer_new(&f->out, fmt);
		if (!f->w) {
			f->ok = false;
			xsnprintf(f->err, sizeof(f->err), "%s: out of memory", f->path);
			continue;
		}
		for (size_t fi = 0; fi < f->p.nfams; fi++) {
			const struct tf_family *fam = &f->p.fams[fi];
			const char *help;
			size_t nc = 0, j;
			char err[240];

			if (!fam->has_samples)
				continue;
			for (j = 0; j < i; j++)
				if (file_family(&tp->files[j], fam->name) >= 0)
					break;
			if (j < i)
				continue;	/* an earlier file gave it */
			/* textfile.go: "Metric read from " and every file giving it */
			buf_reset(&joined);
			buf_puts(&joined, "Metric read from ");
			for (j = i, nc = 0; j < tp->nfiles; j++) {
				if (file_family(&tp->files[j], fam->name) < 0)
					continue;
				if (nc++)
					buf_puts(&joined, ", ");
				buf_puts(&joined, tp->files[j].path);
			}
			if (buf_failed(&joined))
				continue;
			help = fam->help ? fam->help : joined.data;
			for (j = i, nc = 0; j < tp->nfiles; j++) {
				ssize_t x = file_family(&tp->files[j], fam->name);
				const struct tf_family *o;

				if (x < 0)
					continue;
				o = &tp->files[j].p.fams[x];
				if (o->type != fam->type ||
				    strcmp(o->help ? o->help : joined.data, help) != 0)
					continue;	/* dropped, as the Go registry does */
				cs[nc++] = (struct tf_contrib){ &tp->files[j].p, (size_t)x };
			}
			(void)write_family(cs, nc, help, f->w, f->path, false, err, sizeof(err));
		}
	}
	buf_done(&joined);
	free(cs);
}

static int read_file(int dfd, const char *name, size_t max, struct rbuf *b, double *mtime,
		     char *err, size_t errlen)
{
	struct stat st;
	size_t off = 0;
	int fd, r = 0;

	fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		xsnprintf(err, errlen, "open %s: %s", name, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		xsnprintf(err, errlen, "%s: not a regular file", name);
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		xsnprintf(err, errlen, "%s: larger than %zu bytes", name, max);
		r = -EFBIG;
		goto out;
	}
	if (b->cap < (size_t)st.st_size + 2) {
		char *p = realloc(b->data, (size_t)st.st_size + 2);

		if (!p) {
			r = -ENOMEM;
			goto out;
		}
		b->data = p;
		b->cap = (size_t)st.st_size + 2;
	}
	while (off < b->cap - 1) {
		ssize_t n = pread(fd, b->data + off, b->cap - 1 - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xsnprintf(err, errlen, "read %s: %s", name, strerror(errno));
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off > (size_t)st.st_size) {
		/* grew while reading: refuse rather than read a torn file */
		xsnprintf(err, errlen, "%s: changed while reading", name);
		r = -EAGAIN;
		goto out;
	}
	if (memchr(b->data, '\0', off)) {
		xsnprintf(err, errlen, "%s: contains NUL bytes", name);
		r = -EINVAL;
		goto out;
	}
	b->data[off] = '\0';
	b->len = off;
	/* textfile.go: float64(UnixNano() / 1e9), whole seconds truncated
	 * toward zero (tv_sec is the floor) */
	*mtime = (double)(st.st_mtim.tv_sec + (st.st_mtim.tv_sec < 0 && st.st_mtim.tv_nsec > 0));
out:
	close(fd);
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_textfile(void *priv)
{
	struct tf_priv *tp = priv;

	if (!tp)
		return;
	for (size_t i = 0; i < tp->nfiles; i++) {
		metrics_writer_free(tp->files[i].w);
		buf_done(&tp->files[i].out);
		tf_parse_done(&tp->files[i].p);
		free(tp->files[i].data);
	}
	free(tp->files);
	free(tp);
}

static bool has_glob_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* Read and validate the *.prom files of one directory into tp->files.
 * 0, or COLLECT_NEEDS_POOL (inline run, a non-regular entry). */
static int read_dir(struct collector_ctx *c, struct tf_priv *tp, size_t *capfiles,
		    const char *dir, struct buf *scratch)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int dfd, ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (!tp->dir_error)
			xsnprintf(tp->dir_err, sizeof(tp->dir_err),
				  "failed to read textfile collector directory %s: %s", dir,
				  strerror(errno));
		tp->dir_error = true;
		return 0;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".prom") != 0)
			continue;
		if (c->inline_run && de->d_type != DT_REG) {
			/* On the scraping thread, only regular files of the
			 * (local) directory are read: a symlink may lead to any
			 * filesystem, so the pool runs this scrape's textfiles. */
			ret = COLLECT_NEEDS_POOL;
			goto out;
		}
		if (grow((void **)&names, &cap, n, sizeof(char *)) < 0 || !(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(char *), cmp_name);
	for (i = 0; i < n; i++) {
		struct tf_file *f;
		struct metrics_writer *vw;
		int r;

		if (grow((void **)&tp->files, capfiles, tp->nfiles, sizeof(*tp->files)) < 0)
			break;
		f = &tp->files[tp->nfiles++];
		memset(f, 0, sizeof(*f));
		xsnprintf(f->name, sizeof(f->name), "%s", names[i]);
		buf_init(&f->out, c->cfg->textfile_max_bytes * 4 + 4096);
		/* filepath.Join cleans a trailing slash of the directory */
		{
			size_t dl = strlen(dir);

			while (dl > 1 && dir[dl - 1] == '/')
				dl--;
			xsnprintf(f->path, sizeof(f->path), "%.*s/%s", (int)dl, dir, names[i]);
		}
		r = read_file(dfd, names[i], c->cfg->textfile_max_bytes, c->rb[0], &f->mtime, f->err,
			      sizeof(f->err));
		if (r < 0)
			continue;
		f->data = malloc(c->rb[0]->len + 1);
		if (!f->data) {
			xsnprintf(f->err, sizeof(f->err), "%s: out of memory", f->path);
			continue;
		}
		memcpy(f->data, c->rb[0]->data, c->rb[0]->len + 1);
		r = tf_parse_text(&f->p, f->data, c->rb[0]->len);
		if (r < 0) {
			xsnprintf(f->err, sizeof(f->err), "failed to parse textfile data from %s: %s", f->path,
				  r == -ENOMEM ? "out of memory" : f->p.err);
			continue;
		}
		buf_reset(scratch);
		vw = metrics_writer_new(scratch, c->fmt);
		if (!vw) {
			xsnprintf(f->err, sizeof(f->err), "%s: out of memory", f->path);
			continue;
		}
		r = tf_write(&f->p, vw, f->path, f->err, sizeof(f->err));
		metrics_writer_free(vw);
		if (r == 0)
			f->ok = true;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

int collect_textfile(struct collector_ctx *c, struct metrics_writer *w)
{
	const char *dir = c->cfg->textfile_dir;
	struct tf_priv *tp;
	struct buf scratch;
	size_t capfiles = 0;
	glob_t g = { 0 };
	bool globbed = false;
	int r = 0;

	(void)w;	/* everything goes out through merge_textfile() */
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return ctx_error(c, -ENOMEM, "out of memory");
	tp->fmt = c->fmt;
	c->priv = tp;
	if (!dir || !*dir)
		return 0;
	if (has_glob_meta(dir)) {
		/* A pattern may reach any filesystem: read it on the pool. */
		if (c->inline_run) {
			r = COLLECT_NEEDS_POOL;
			goto out;
		}
		/* filepath.Glob: no match (or a bad pattern) reads dir itself */
		globbed = glob(dir, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	}
	buf_init(&scratch, c->cfg->textfile_max_bytes * 4 + 4096);
	for (size_t i = 0; i < (globbed ? g.gl_pathc : 1) && r == 0; i++)
		r = read_dir(c, tp, &capfiles, globbed ? g.gl_pathv[i] : dir, &scratch);
	buf_done(&scratch);
	if (globbed)
		globfree(&g);
	if (r == 0)
		tf_merge_files(tp, c->fmt);
out:
	if (r < 0) {
		free_textfile(tp);
		c->priv = NULL;
	}
	return r;
}

/* Hash of this scrape's textfile errors: log them only when they change. */
static _Atomic uint64_t last_err_hash;

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

int merge_textfile(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const fl[] = { "file", NULL };
	struct tf_priv *tp = c->priv;
	uint64_t h = 1469598103934665603u;
	bool errored, any_ok = false, log_now;
	size_t i;
	int r;

	if (!tp)
		return -EINVAL;
	errored = tp->dir_error;
	for (i = 0; i < tp->nfiles; i++) {
		struct tf_file *f = &tp->files[i];

		if (f->ok) {
			r = metrics_writer_merge(w, f->w);
			if (r < 0) {
				f->ok = false;
				xsnprintf(f->err, sizeof(f->err),
					 "%s/%s: a metric family conflicts with another collector or file",
					 c->cfg->textfile_dir, f->name);
			}
		}
		if (!f->ok) {
			errored = true;
			h = fnv(h, f->err);
		} else {
			any_ok = true;
		}
	}
	if (tp->dir_error)
		h = fnv(h, tp->dir_err);
	log_now = atomic_exchange(&last_err_hash, errored ? h : 0) != (errored ? h : 0);
	if (log_now && errored) {
		if (tp->dir_error)
			log_error("failed to read textfile collector directory", "err", tp->dir_err, NULL);
		for (i = 0; i < tp->nfiles; i++)
			if (!tp->files[i].ok)
				log_error("failed to collect textfile data", "file", tp->files[i].name,
					  "err", tp->files[i].err, NULL);
	}
	if (any_ok) {
		r = writer_family(w, "node_textfile_mtime_seconds", METRIC_GAUGE,
				  "Unixtime mtime of textfiles successfully read.", fl);
		if (r < 0)
			return r;
		for (i = 0; i < tp->nfiles; i++) {
			const char *lv[] = { tp->files[i].path };

			if (tp->files[i].ok)
				(void)writer_sample(w, lv, tp->files[i].mtime);
		}
	}
	r = writer_family(w, "node_textfile_scrape_error", METRIC_GAUGE,
			  "1 if there was an error opening or reading a file, 0 otherwise", no_labels);
	if (r >= 0)
		r = writer_sample(w, no_labels, errored ? 1 : 0);
	return r;
}

static uint64_t arg_textfile_max;

static const struct flag textfile_flags[] = {
	{ .name = "collector.textfile.directory", .type = FLAG_STRING, .dst = &host_cfg.textfile_dir,
	  .def = "/var/lib/prometheus/node-exporter",
	  .help = "Directory to read text files with metrics from." },
	{ .name = "collector.textfile.max-bytes", .type = FLAG_SIZE, .dst = &arg_textfile_max,
	  .def = "16MiB", .help = "Largest text file read; a larger one is an error.",
	  .check = flag_check_positive, .rule = "a size > 0" },
};

static int textfile_init(const struct flagset *fs, char *err, size_t errlen)
{
	host_cfg.textfile_max_bytes = (size_t)arg_textfile_max;
	return 0;
}

const struct collector collector_textfile = {
	.name = "textfile", .default_on = true, .collect = collect_textfile,
	.merge = merge_textfile, .free_priv = free_textfile, .src = SRC_TEXTFILE,
	COLLECTOR_FLAGS(textfile_flags), .init = textfile_init,
};
