/*
 * engine_tokudb_status: SHOW ENGINE TOKUDB STATUS (Type, Name, Status rows;
 * Percona Server 5.6-8.0 with TokuDB), as mysqld_exporter 0.14's
 * collector/engine_tokudb.go: each row whose Status parses as a number
 * (parse_status) becomes the untyped mysql_engine_tokudb_<name>, name lower
 * case with ">", ",", ":", "(", ")" dropped, " " and "-" turned into "_",
 * "+" and "/" into "and".  A name still not valid after that is skipped
 * (0.14's registry rejects it).  MariaDB 10.11 has no TokuDB (removed in
 * 10.6): the server answers ER_UNKNOWN_STORAGE_ENGINE and the collector
 * fails on every scrape, as 0.14 does there.  Off by default, as 0.14.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "scrape.h"

static int tk_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SHOW ENGINE TOKUDB STATUS");
}

#define TK_PREFIX "mysql_engine_tokudb_"

/* 0.14's sanitizeTokudbMetric() after strings.ToLower(); false if it does not fit. */
static bool tk_name(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	for (; *src; src++) {
		const char *rep;
		char one[2] = { 0, 0 };

		switch (*src) {
		case '>': case ',': case ':': case '(': case ')':
			rep = "";
			break;
		case ' ': case '-':
			rep = "_";
			break;
		case '+': case '/':
			rep = "and";
			break;
		default:
			one[0] = (char)tolower((unsigned char)*src);
			rep = one;
		}
		size_t l = strlen(rep);
		if (n + l + 1 > dstlen)
			return false;
		memcpy(dst + n, rep, l);
		n += l;
	}
	dst[n] = '\0';
	return true;
}

static int tk_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	char fam[320] = TK_PREFIX;

	if (r->ncols < 3)
		return -EPROTO;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *name = sqlres_cell(r, i, 1), *val = sqlres_cell(r, i, 2);
		double v;

		if (!name || !val || !parse_status(val, &v))
			continue;
		if (!tk_name(fam + sizeof(TK_PREFIX) - 1, sizeof(fam) - (sizeof(TK_PREFIX) - 1), name))
			continue;
		struct lazy_family lf;
		lazy_init(&lf, w, fam, METRIC_UNTYPED, "Generic metric from SHOW ENGINE TOKUDB STATUS.",
			  NULL);
		lazy_sample(&lf, NULL, v);	/* an invalid or repeated name is skipped */
	}
	return 0;
}

const struct collector collector_engine_tokudb = {
	.name = "engine_tokudb_status",
	.default_on = false,
	.help = "Collect from SHOW ENGINE TOKUDB STATUS",
	.query = tk_query,
	.parse = tk_parse,
};
