/*
 * perf_schema.tablelocks: performance_schema.table_lock_waits_summary_by_table
 * as mysqld_exporter 0.14: mysql_perf_schema_sql_lock_waits_total{schema,name,
 * operation} (read_normal ... write_low_priority), ..._external_lock_waits_total
 * (read, write) and their _seconds_total twins.
 */
#include <errno.h>

#include "scrape.h"

static int tl_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT OBJECT_SCHEMA, OBJECT_NAME, COUNT_READ_NORMAL, COUNT_READ_WITH_SHARED_LOCKS, "
			     "COUNT_READ_HIGH_PRIORITY, COUNT_READ_NO_INSERT, COUNT_READ_EXTERNAL, "
			     "COUNT_WRITE_ALLOW_WRITE, COUNT_WRITE_CONCURRENT_INSERT, COUNT_WRITE_LOW_PRIORITY, "
			     "COUNT_WRITE_NORMAL, COUNT_WRITE_EXTERNAL, SUM_TIMER_READ_NORMAL, "
			     "SUM_TIMER_READ_WITH_SHARED_LOCKS, SUM_TIMER_READ_HIGH_PRIORITY, SUM_TIMER_READ_NO_INSERT, "
			     "SUM_TIMER_READ_EXTERNAL, SUM_TIMER_WRITE_ALLOW_WRITE, SUM_TIMER_WRITE_CONCURRENT_INSERT, "
			     "SUM_TIMER_WRITE_LOW_PRIORITY, SUM_TIMER_WRITE_NORMAL, SUM_TIMER_WRITE_EXTERNAL "
			     "FROM performance_schema.table_lock_waits_summary_by_table "
			     "WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema', 'sys')");
}

#define SQL_SERIES(o)                                                                                  \
	{ 2 + (o), "read_normal", NULL, 0 }, { 3 + (o), "read_with_shared_locks", NULL, 0 },           \
		{ 4 + (o), "read_high_priority", NULL, 0 }, { 5 + (o), "read_no_insert", NULL, 0 },    \
		{ 10 + (o), "write_normal", NULL, 0 }, { 7 + (o), "write_allow_write", NULL, 0 },      \
		{ 8 + (o), "write_concurrent_insert", NULL, 0 }, { 9 + (o), "write_low_priority", NULL, 0 }
static const struct perf_series sql_counts[] = { SQL_SERIES(0) };
static const struct perf_series sql_times[] = { SQL_SERIES(10) };
static const struct perf_series ext_counts[] = { { 6, "read", NULL, 0 }, { 11, "write", NULL, 0 } };
static const struct perf_series ext_times[] = { { 16, "read", NULL, 0 }, { 21, "write", NULL, 0 } };
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_sql_lock_waits_total",
	  "The total number of SQL lock wait events for each table and operation.", METRIC_COUNTER, 1,
	  sql_counts, 8 },
	{ "mysql_perf_schema_external_lock_waits_total",
	  "The total number of external lock wait events for each table and operation.", METRIC_COUNTER, 1,
	  ext_counts, 2 },
	{ "mysql_perf_schema_sql_lock_waits_seconds_total",
	  "The total time of SQL lock wait events for each table and operation.", METRIC_COUNTER, PICO,
	  sql_times, 8 },
	{ "mysql_perf_schema_external_lock_waits_seconds_total",
	  "The total time of external lock wait events for each table and operation.", METRIC_COUNTER, PICO,
	  ext_times, 2 },
};

static int tl_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "name", "operation", NULL };
	if (r->ncols < 22)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, fams, 4, NULL);
}

const struct collector collector_perf_tablelocks = {
	.name = "perf_schema.tablelocks",
	.default_on = true,
	.help = "Collect metrics from performance_schema.table_lock_waits_summary_by_table",
	.query = tl_query,
	.parse = tl_parse,
};
