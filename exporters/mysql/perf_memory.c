/*
 * perf_schema.memory_events: performance_schema.memory_summary_global_by_event_name
 * (MySQL 5.7+, MariaDB 10.5+) as mysqld_exporter 0.14:
 * mysql_perf_schema_memory_events_{alloc_bytes_total,free_bytes_total,used_bytes}
 * {event_name} for instruments that allocated at all, with the "memory/"
 * prefix removed (--collect.perf_schema.memory_events.remove_prefix).
 */
#include <errno.h>

#include "scrape.h"

static int me_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT EVENT_NAME, SUM_NUMBER_OF_BYTES_ALLOC, SUM_NUMBER_OF_BYTES_FREE, "
			     "CURRENT_NUMBER_OF_BYTES_USED "
			     "FROM performance_schema.memory_summary_global_by_event_name WHERE COUNT_ALLOC > 0");
}

static const struct perf_family fams[] = {
	{ "mysql_perf_schema_memory_events_alloc_bytes_total", "The total number of bytes allocated by events.",
	  METRIC_COUNTER, 1, (const struct perf_series[]){ { 1, NULL, NULL, 0 } }, 1 },
	{ "mysql_perf_schema_memory_events_free_bytes_total", "The total number of bytes freed by events.",
	  METRIC_COUNTER, 1, (const struct perf_series[]){ { 2, NULL, NULL, 0 } }, 1 },
	{ "mysql_perf_schema_memory_events_used_bytes", "The number of bytes currently allocated by events.",
	  METRIC_GAUGE, 1, (const struct perf_series[]){ { 3, NULL, NULL, 0 } }, 1 },
};

static int me_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "event_name", NULL };
	if (r->ncols < 4)
		return -EPROTO;
	return perf_emit(w, r, 1, labels, fams, 3, o->memory_remove_prefix);
}

static const struct flag me_flags[] = {
	{ .name = "collect.perf_schema.memory_events.remove_prefix", .type = FLAG_STRING,
	  .dst = &collector_opts.memory_remove_prefix, .def = "memory/",
	  .help = "Remove instrument prefix in performance_schema.memory_summary_global_by_event_name." },
};

const struct collector collector_perf_memory = {
	.name = "perf_schema.memory_events",
	.default_on = true,
	.help = "Collect metrics from performance_schema.memory_summary_global_by_event_name",
	.query = me_query,
	.parse = me_parse,
	COLLECTOR_FLAGS(me_flags),
};
