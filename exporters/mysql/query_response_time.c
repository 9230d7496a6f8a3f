/*
 * info_schema.query_response_time: the QUERY_RESPONSE_TIME plugin's
 * distribution of query durations (MariaDB: INSTALL SONAME
 * 'query_response_time'; SET GLOBAL query_response_time_stats=ON), as
 * mysqld_exporter 0.14's collector/info_schema_query_response_time.go:
 *   mysql_info_schema_query_response_time_seconds (histogram)
 * Each row of information_schema.QUERY_RESPONSE_TIME is a bucket: TIME its
 * upper bound in seconds (a right-aligned string), COUNT the queries in it
 * (not cumulative), TOTAL their summed time; the last row's TIME is
 * "TOO LONG", which counts into _count (and its TOTAL, also "TOO LONG",
 * adds 0 to _sum) but is no bucket -- 0.14's rules, kept for a drop-in.
 *
 * 0.14 first reads @@query_response_time_stats: an error (no plugin) or 0
 * means success with no series.  One statement does both here: the WHERE
 * gives no row while the variable is OFF, and a server without the plugin
 * answers ER_UNKNOWN_SYSTEM_VARIABLE, the collector's "nothing to report"
 * error (not sent again on this connection: installing the plugin is seen
 * after the next reconnect).  0.14 also reads QUERY_RESPONSE_TIME_READ and
 * _WRITE, which only Percona Server 5.6/5.7 has (not MariaDB 10.11): their
 * read_/write_ histograms are not exported.  Needs no privilege.
 */
#include <errno.h>
#include <mysqld_error.h>
#include <stdint.h>
#include <stdlib.h>

#include "scrape.h"

/* range_base 2 over 1e-6..1e6 s gives 41 rows, the most the plugin makes */
#define QRT_MAX_BUCKETS 64

static int qrt_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		     struct buf *sql)
{
	return buf_puts(sql, "SELECT TIME, COUNT, TOTAL FROM INFORMATION_SCHEMA.QUERY_RESPONSE_TIME "
			     "WHERE @@query_response_time_stats");
}

/* Go's strconv.ParseFloat after strings.TrimSpace, 0 when it fails ("TOO LONG"). */
static double cell_float(const char *s)
{
	if (!s)
		return 0;
	char *end;
	double v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	return end == s || *end ? 0 : v;
}

static int qrt_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	double bounds[QRT_MAX_BUCKETS], sum = 0;
	uint64_t cum[QRT_MAX_BUCKETS], count = 0;
	size_t n = 0;

	if (r->ncols < 3)
		return -EPROTO;
	if (!r->nrows)
		return 0;	/* query_response_time_stats is OFF */
	for (size_t i = 0; i < r->nrows; i++) {
		double len = cell_float(sqlres_cell(r, i, 0));

		count += (uint64_t)cell_u64(sqlres_cell(r, i, 1));
		sum += cell_float(sqlres_cell(r, i, 2));
		if (len == 0)
			continue;	/* "TOO LONG": in _count only */
		if (n && len <= bounds[n - 1]) {
			if (len == bounds[n - 1]) {
				cum[n - 1] = count;	/* same bound twice: the later row wins */
				continue;
			}
			return -EPROTO;	/* the plugin lists bounds in increasing order */
		}
		if (n == QRT_MAX_BUCKETS)
			return -E2BIG;
		bounds[n] = len;
		cum[n++] = count;
	}
	int rc = writer_family(w, "mysql_info_schema_query_response_time_seconds", METRIC_HISTOGRAM,
			       "The number of all queries by duration they took to execute.", NULL);
	if (rc < 0)
		return rc;
	return writer_histogram(w, NULL, bounds, cum, n, count, sum);
}

const struct collector collector_query_response_time = {
	.name = "info_schema.query_response_time",
	.default_on = true,
	.help = "Collect query response time distribution if query_response_time_stats is ON",
	.query = qrt_query,
	.parse = qrt_parse,
	.nodata_sqlerr = ER_UNKNOWN_SYSTEM_VARIABLE,
};
