/*
 * perf_schema.eventswaits: performance_schema.events_waits_summary_global_by_event_name
 * as mysqld_exporter 0.14: mysql_perf_schema_events_waits_total{event_name}
 * and ..._seconds_total{event_name} (SUM_TIMER_WAIT is picoseconds).
 */
#include <errno.h>

#include "scrape.h"

static int ew_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT EVENT_NAME, COUNT_STAR, SUM_TIMER_WAIT "
			     "FROM performance_schema.events_waits_summary_global_by_event_name");
}

static const struct perf_family fams[] = {
	{ "mysql_perf_schema_events_waits_total", "The total events waits by event name.", METRIC_COUNTER, 1,
	  (const struct perf_series[]){ { 1, NULL, NULL, 0 } }, 1 },
	{ "mysql_perf_schema_events_waits_seconds_total", "The total seconds of events waits by event name.",
	  METRIC_COUNTER, PICO, (const struct perf_series[]){ { 2, NULL, NULL, 0 } }, 1 },
};

static int ew_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "event_name", NULL };
	if (r->ncols < 3)
		return -EPROTO;
	return perf_emit(w, r, 1, labels, fams, 2, NULL);
}

const struct collector collector_perf_waits = {
	.name = "perf_schema.eventswaits",
	.default_on = true,
	.help = "Collect metrics from performance_schema.events_waits_summary_global_by_event_name",
	.query = ew_query,
	.parse = ew_parse,
};
