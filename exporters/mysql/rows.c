/*
 * rows: what the collectors share to turn result rows into samples (see
 * scrape.h): status-value parsing, Prometheus names, label-keyed families
 * begun on their first sample, the performance_schema emitter, and the
 * options the collectors' flags fill.  Collectors call in here, never into
 * scrape.c, which holds the table of collectors: calls run one way
 * (main -> scrape -> each collector -> rows, conn).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "scrape.h"

struct scrape_opts collector_opts;

static bool parse_time(const char *s, double *ret)
{
	struct tm tm;
	const char *end;

	/* "Jan 02 15:04:05 2006 MST" (SSL certificate dates); the zone is taken as UTC */
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%b %d %H:%M:%S %Y ", &tm);
	if (end && *end && strspn(end, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(end) && strlen(end) >= 3) {
		*ret = (double)timegm(&tm);
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end && !*end && strlen(s) == 19) {
		*ret = (double)timegm(&tm);
		return true;
	}
	return false;
}

/* Go's strconv.ParseFloat on the whole string: no surrounding space, no
 * hex without a binary exponent (strtod accepts both, so refuse them). */
static bool parse_float(const char *s, double *ret)
{
	if (s[0] == ' ' || s[0] == '\t' || strpbrk(s, "xX"))
		return false;
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end)
		return false;
	*ret = v;
	return true;
}

bool parse_status(const char *s, double *ret)
{
	static const struct {
		const char *word;
		double v;
	} words[] = {
		{ "yes", 1 }, { "on", 1 }, { "no", 0 }, { "off", 0 }, { "disabled", 0 },
		/* Slave_IO_Running "Connecting" is not running */
		{ "connecting", 0 },
		/* wsrep_cluster_status */
		{ "primary", 1 }, { "non-primary", 0 }, { "disconnected", 0 },
	};
	if (!s || !*s)
		return false;
	/*
	 * Most values are plain numbers: try that first (this runs for every
	 * status and variable row, ~1500 per scrape; strptime's month-name
	 * matching is far too slow to try on each).
	 */
	if ((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.') {
		if (parse_float(s, ret))
			return true;
		return s[0] >= '0' && s[0] <= '9' && strlen(s) == 19 && s[4] == '-' && parse_time(s, ret);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(s, words[i].word)) {
			*ret = words[i].v;
			return true;
		}
	}
	if (((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) && strlen(s) >= 20 && s[3] == ' ' &&
	    parse_time(s, ret))
		return true;
	return parse_float(s, ret);	/* "inf", "NaN" as Go accepts them */
}

double cell_u64(const char *s)
{
	if (!s)
		return 0;
	char *end;
	double v = strtod(s, &end);
	return end == s ? 0 : v;
}

void prom_name(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;
	if (!dstlen)
		return;
	for (; *src && n + 1 < dstlen; src++) {
		char c = *src;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		dst[n++] = c;
	}
	dst[n] = '\0';
}

int aria_tmp_prefix(const struct scrape_opts *o, const struct server_info *s, struct buf *sql)
{
	/* tmp_memory_table_size: MariaDB 10.2.7; SET STATEMENT: 10.1.2 */
	if (!o->disk_tmp || s->flavor != SERVER_MARIADB || s->version < 100207)
		return 0;
	if (o->log_slow_filter)
		return buf_puts(sql, "SET STATEMENT tmp_memory_table_size=0, log_slow_filter='filesort_on_disk' FOR ");
	return buf_puts(sql, "SET STATEMENT tmp_memory_table_size=0 FOR ");
}

void lazy_init(struct lazy_family *f, struct metrics_writer *w, const char *name, enum metric_type type,
	       const char *help, const char *const *labels)
{
	*f = (struct lazy_family){ .w = w, .name = name, .help = help, .type = type, .labels = labels };
}

int lazy_sample(struct lazy_family *f, const char *const *values, double v)
{
	if (f->failed)
		return -EINVAL;
	if (!f->begun) {
		int r = writer_family(f->w, f->name, f->type, f->help, f->labels);
		if (r < 0) {
			/* a duplicate or invalid name: skip this family, keep the scrape */
			f->failed = true;
			log_debug("family skipped", "family", f->name, NULL);
			return r;
		}
		f->begun = true;
	}
	return writer_sample(f->w, values, v);
}

int perf_emit(struct metrics_writer *w, const struct sqlres *r, unsigned nkeys, const char *const *labels,
	      const struct perf_family *fams, size_t nfams, const char *trim_prefix)
{
	size_t trim = trim_prefix ? strlen(trim_prefix) : 0;
	for (size_t f = 0; f < nfams; f++) {
		struct lazy_family lf;
		lazy_init(&lf, w, fams[f].name, fams[f].type, fams[f].help, labels);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *values[METRICS_MAX_LABELS + 1];
			unsigned k;
			for (k = 0; k < nkeys && k < METRICS_MAX_LABELS - 1; k++) {
				const char *v = sqlres_cell(r, i, k);
				values[k] = v ? v : "";
			}
			if (trim && !strncmp(values[0], trim_prefix, trim))
				values[0] += trim;
			for (size_t s = 0; s < fams[f].nseries; s++) {
				const struct perf_series *ps = &fams[f].series[s];
				if (ps->only_if) {
					const char *c = sqlres_cell(r, i, ps->only_col);
					if (!c || strcmp(c, ps->only_if))
						continue;
				}
				unsigned n = k;
				if (ps->extra)
					values[n++] = ps->extra;
				values[n] = NULL;
				lazy_sample(&lf, values, cell_u64(sqlres_cell(r, i, ps->col)) / fams[f].div);
			}
		}
	}
	return 0;
}
