/*
 * perf_schema.tableiowaits: performance_schema.table_io_waits_summary_by_table
 * as mysqld_exporter 0.14: mysql_perf_schema_table_io_waits_total{schema,name,
 * operation} and ..._seconds_total (operation fetch/insert/update/delete).
 * This is the Database dashboard's per-table statistics (rows and latency per
 * table): readable with SELECT on performance_schema alone, unlike
 * information_schema.TABLES, which shows a user only the tables it has
 * privileges on.  System schemas are skipped ('information_schema' and 'sys'
 * hold no base tables, so adding them to 0.14's list changes no row).
 */
#include <errno.h>

#include "scrape.h"

static int ti_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT OBJECT_SCHEMA, OBJECT_NAME, COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, "
			     "COUNT_DELETE, SUM_TIMER_FETCH, SUM_TIMER_INSERT, SUM_TIMER_UPDATE, SUM_TIMER_DELETE "
			     "FROM performance_schema.table_io_waits_summary_by_table "
			     "WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema', 'sys')");
}

static const struct perf_series counts[] = { { 2, "fetch", NULL, 0 }, { 3, "insert", NULL, 0 },
					     { 4, "update", NULL, 0 }, { 5, "delete", NULL, 0 } };
static const struct perf_series times[] = { { 6, "fetch", NULL, 0 }, { 7, "insert", NULL, 0 },
					    { 8, "update", NULL, 0 }, { 9, "delete", NULL, 0 } };
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_table_io_waits_total",
	  "The total number of table I/O wait events for each table and operation.", METRIC_COUNTER, 1, counts,
	  4 },
	{ "mysql_perf_schema_table_io_waits_seconds_total",
	  "The total time of table I/O wait events for each table and operation.", METRIC_COUNTER, PICO, times,
	  4 },
};

static int ti_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "name", "operation", NULL };
	if (r->ncols < 10)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, fams, 2, NULL);
}

const struct collector collector_perf_tableio = {
	.name = "perf_schema.tableiowaits",
	.default_on = true,
	.help = "Collect metrics from performance_schema.table_io_waits_summary_by_table",
	.query = ti_query,
	.parse = ti_parse,
};
