/*
 * perf_schema.file_instances: performance_schema.file_summary_by_instance,
 * as mysqld_exporter 0.14's collector/perf_schema_file_instances.go:
 *   mysql_perf_schema_file_instances_total{file_name,event_name,mode}
 *   mysql_perf_schema_file_instances_bytes{file_name,event_name,mode}
 * (mode read/write) for the files whose FILE_NAME matches the server-side
 * REGEXP --collect.perf_schema.file_instances.filter (default ".*"), with
 * --collect.perf_schema.file_instances.remove_prefix (default
 * "/var/lib/mysql/") removed from the front of file_name.  0.14 binds the
 * filter as a statement parameter; we send it as a hex literal (no quoting
 * to get wrong, whatever sql_mode says).  An invalid regular expression is
 * the server's error on every scrape, as in 0.14.  Off by default, as 0.14.
 */
#include <errno.h>

#include "scrape.h"

static int fi_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	const char *re = o->file_instances_filter ? o->file_instances_filter : ".*";

	buf_puts(sql, "SELECT FILE_NAME, EVENT_NAME, COUNT_READ, COUNT_WRITE, SUM_NUMBER_OF_BYTES_READ, "
		      "SUM_NUMBER_OF_BYTES_WRITE FROM performance_schema.file_summary_by_instance "
		      "WHERE FILE_NAME REGEXP ");
	if (!*re)
		return buf_puts(sql, "''");
	buf_puts(sql, "CONVERT(X'");
	for (const unsigned char *p = (const unsigned char *)re; *p; p++)
		buf_printf(sql, "%02x", *p);
	return buf_puts(sql, "' USING utf8mb4)");
}

static const struct perf_series counts[] = { { 2, "read", NULL, 0 }, { 3, "write", NULL, 0 } };
static const struct perf_series bytes[] = { { 4, "read", NULL, 0 }, { 5, "write", NULL, 0 } };
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_file_instances_total", "The total number of file read/write operations.",
	  METRIC_COUNTER, 1, counts, 2 },
	{ "mysql_perf_schema_file_instances_bytes", "The number of bytes processed by file read/write operations.",
	  METRIC_COUNTER, 1, bytes, 2 },
};

static int fi_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "file_name", "event_name", "mode", NULL };
	const char *prefix = o->file_instances_remove_prefix;

	if (r->ncols < 6)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, fams, 2, prefix && *prefix ? prefix : NULL);
}

static const struct flag fi_flags[] = {
	{ .name = "collect.perf_schema.file_instances.filter", .type = FLAG_STRING,
	  .dst = &collector_opts.file_instances_filter, .def = ".*",
	  .help = "RegEx file_name filter for performance_schema.file_summary_by_instance" },
	{ .name = "collect.perf_schema.file_instances.remove_prefix", .type = FLAG_STRING,
	  .dst = &collector_opts.file_instances_remove_prefix, .def = "/var/lib/mysql/",
	  .help = "Remove path prefix in performance_schema.file_summary_by_instance" },
};

const struct collector collector_perf_file_instances = {
	.name = "perf_schema.file_instances",
	.default_on = false,
	.help = "Collect metrics from performance_schema.file_summary_by_instance",
	.query = fi_query,
	.parse = fi_parse,
	COLLECTOR_FLAGS(fi_flags),
};
