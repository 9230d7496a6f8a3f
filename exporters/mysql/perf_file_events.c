/*
 * perf_schema.file_events: performance_schema.file_summary_by_event_name as
 * mysqld_exporter 0.14: mysql_perf_schema_file_events_total{event_name,mode},
 * ..._seconds_total{event_name,mode} (mode read/write/misc) and
 * ..._bytes_total{event_name,mode} (read/write).
 */
#include <errno.h>

#include "scrape.h"

static int fe_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT EVENT_NAME, COUNT_READ, SUM_TIMER_READ, SUM_NUMBER_OF_BYTES_READ, "
			     "COUNT_WRITE, SUM_TIMER_WRITE, SUM_NUMBER_OF_BYTES_WRITE, COUNT_MISC, SUM_TIMER_MISC "
			     "FROM performance_schema.file_summary_by_event_name");
}

static const struct perf_series counts[] = { { 1, "read", NULL, 0 }, { 4, "write", NULL, 0 },
					     { 7, "misc", NULL, 0 } };
static const struct perf_series times[] = { { 2, "read", NULL, 0 }, { 5, "write", NULL, 0 },
					    { 8, "misc", NULL, 0 } };
static const struct perf_series bytes[] = { { 3, "read", NULL, 0 }, { 6, "write", NULL, 0 } };
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_file_events_total", "The total file events by event name/mode.", METRIC_COUNTER,
	  1, counts, 3 },
	{ "mysql_perf_schema_file_events_seconds_total", "The total seconds of file events by event name/mode.",
	  METRIC_COUNTER, PICO, times, 3 },
	{ "mysql_perf_schema_file_events_bytes_total", "The total bytes of file events by event name/mode.",
	  METRIC_COUNTER, 1, bytes, 2 },
};

static int fe_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "event_name", "mode", NULL };
	if (r->ncols < 9)
		return -EPROTO;
	return perf_emit(w, r, 1, labels, fams, 3, NULL);
}

const struct collector collector_perf_file_events = {
	.name = "perf_schema.file_events",
	.default_on = true,
	.help = "Collect metrics from performance_schema.file_summary_by_event_name",
	.query = fe_query,
	.parse = fe_parse,
};
