/*
 * perf_schema.indexiowaits: performance_schema.table_io_waits_summary_by_index_usage
 * as mysqld_exporter 0.14: mysql_perf_schema_index_io_waits_total{schema,name,
 * index,operation} and ..._seconds_total; index "NONE" is the row access
 * without an index, the only one with an insert series (as in 0.14).
 */
#include <errno.h>

#include "scrape.h"

static int ii_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT OBJECT_SCHEMA, OBJECT_NAME, IFNULL(INDEX_NAME, 'NONE'), COUNT_FETCH, "
			     "COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE, SUM_TIMER_FETCH, SUM_TIMER_INSERT, "
			     "SUM_TIMER_UPDATE, SUM_TIMER_DELETE "
			     "FROM performance_schema.table_io_waits_summary_by_index_usage "
			     "WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema', 'sys')");
}

static const struct perf_series counts[] = { { 3, "fetch", NULL, 0 }, { 4, "insert", "NONE", 2 },
					     { 5, "update", NULL, 0 }, { 6, "delete", NULL, 0 } };
static const struct perf_series times[] = { { 7, "fetch", NULL, 0 }, { 8, "insert", "NONE", 2 },
					    { 9, "update", NULL, 0 }, { 10, "delete", NULL, 0 } };
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_index_io_waits_total",
	  "The total number of index I/O wait events for each index and operation.", METRIC_COUNTER, 1, counts,
	  4 },
	{ "mysql_perf_schema_index_io_waits_seconds_total",
	  "The total time of index I/O wait events for each index and operation.", METRIC_COUNTER, PICO, times,
	  4 },
};

static int ii_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "name", "index", "operation", NULL };
	if (r->ncols < 11)
		return -EPROTO;
	return perf_emit(w, r, 3, labels, fams, 2, NULL);
}

const struct collector collector_perf_indexio = {
	.name = "perf_schema.indexiowaits",
	.default_on = true,
	.help = "Collect metrics from performance_schema.table_io_waits_summary_by_index_usage",
	.query = ii_query,
	.parse = ii_parse,
};
