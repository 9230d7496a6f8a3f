/*
 * perf_schema.eventsstatements: performance_schema.events_statements_summary_by_digest,
 * the top N digests by total time seen in the last timelimit seconds, as
 * mysqld_exporter 0.14's collector/perf_schema_events_statements.go
 * (mysql_perf_schema_events_statements_*{schema,digest,digest_text}; timers
 * are picoseconds).
 *
 * Cheaper SQL than 0.14's for the same rows: 0.14 sorts the whole table by
 * LAST_SEEN in a derived table and GROUPs BY every column; (SCHEMA_NAME,
 * DIGEST) is already unique in this table, so that grouping changes nothing
 * and we read the table once with ORDER BY ... LIMIT.  System schemas are
 * skipped as in 0.14 (a NULL schema fails NOT IN, so 0.14's 'NONE' never
 * shows; we keep the IFNULL for the same text).
 */
#include <errno.h>

#include "scrape.h"

static int st_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_printf(sql,
			  "SELECT IFNULL(SCHEMA_NAME, 'NONE'), DIGEST, LEFT(DIGEST_TEXT, %ld), COUNT_STAR, "
			  "SUM_TIMER_WAIT, SUM_ERRORS, SUM_WARNINGS, SUM_ROWS_AFFECTED, SUM_ROWS_SENT, "
			  "SUM_ROWS_EXAMINED, SUM_CREATED_TMP_DISK_TABLES, SUM_CREATED_TMP_TABLES, "
			  "SUM_SORT_MERGE_PASSES, SUM_SORT_ROWS, SUM_NO_INDEX_USED "
			  "FROM performance_schema.events_statements_summary_by_digest "
			  "WHERE SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema') "
			  "AND LAST_SEEN > DATE_SUB(NOW(), INTERVAL %ld SECOND) "
			  "ORDER BY SUM_TIMER_WAIT DESC LIMIT %ld",
			  o->digest_text_limit, o->statements_timelimit, o->statements_limit);
}

#define S(c) (const struct perf_series[]){ { c, NULL, NULL, 0 } }, 1
static const struct perf_family fams[] = {
	{ "mysql_perf_schema_events_statements_total", "The total count of events statements by digest.",
	  METRIC_COUNTER, 1, S(3) },
	{ "mysql_perf_schema_events_statements_seconds_total", "The total time of events statements by digest.",
	  METRIC_COUNTER, PICO, S(4) },
	{ "mysql_perf_schema_events_statements_errors_total", "The errors of events statements by digest.",
	  METRIC_COUNTER, 1, S(5) },
	{ "mysql_perf_schema_events_statements_warnings_total", "The warnings of events statements by digest.",
	  METRIC_COUNTER, 1, S(6) },
	{ "mysql_perf_schema_events_statements_rows_affected_total",
	  "The total rows affected of events statements by digest.", METRIC_COUNTER, 1, S(7) },
	{ "mysql_perf_schema_events_statements_rows_sent_total",
	  "The total rows sent of events statements by digest.", METRIC_COUNTER, 1, S(8) },
	{ "mysql_perf_schema_events_statements_rows_examined_total",
	  "The total rows examined of events statements by digest.", METRIC_COUNTER, 1, S(9) },
	{ "mysql_perf_schema_events_statements_tmp_disk_tables_total",
	  "The total tmp disk tables of events statements by digest.", METRIC_COUNTER, 1, S(10) },
	{ "mysql_perf_schema_events_statements_tmp_tables_total",
	  "The total tmp tables of events statements by digest.", METRIC_COUNTER, 1, S(11) },
	{ "mysql_perf_schema_events_statements_sort_merge_passes_total",
	  "The total number of merge passes by the sort algorithm performed by digest.", METRIC_COUNTER, 1,
	  S(12) },
	{ "mysql_perf_schema_events_statements_sort_rows_total", "The total number of sorted rows by digest.",
	  METRIC_COUNTER, 1, S(13) },
	{ "mysql_perf_schema_events_statements_no_index_used_total",
	  "The total number of statements that used full table scans by digest.", METRIC_COUNTER, 1, S(14) },
};

static int st_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "digest", "digest_text", NULL };
	if (r->ncols < 15)
		return -EPROTO;
	return perf_emit(w, r, 3, labels, fams, sizeof(fams) / sizeof(fams[0]), NULL);
}

static const struct flag st_flags[] = {
	{ .name = "collect.perf_schema.eventsstatements.limit", .type = FLAG_INT,
	  .dst = &collector_opts.statements_limit, .def = "250",
	  .help = "Limit the number of events statements digests by response time.", .min = 1,
	  .max = 100000 },
	{ .name = "collect.perf_schema.eventsstatements.timelimit", .type = FLAG_INT,
	  .dst = &collector_opts.statements_timelimit, .def = "86400",
	  .help = "Limit how old the 'last_seen' events statements can be, in seconds.", .min = 1,
	  .max = 31536000 },
	{ .name = "collect.perf_schema.eventsstatements.digest_text_limit", .type = FLAG_INT,
	  .dst = &collector_opts.digest_text_limit, .def = "120",
	  .help = "Maximum length of the normalized statement text.", .min = 1, .max = 65536 },
};

const struct collector collector_perf_statements = {
	.name = "perf_schema.eventsstatements",
	.default_on = true,
	.help = "Collect metrics from performance_schema.events_statements_summary_by_digest",
	.query = st_query,
	.parse = st_parse,
	COLLECTOR_FLAGS(st_flags),
};
