/*
 * perf_schema.eventsstatementssum: the grand sums of
 * performance_schema.events_statements_summary_by_digest over every digest,
 * as mysqld_exporter 0.14's collector/perf_schema_events_statements_sum.go:
 * 21 unlabelled counters mysql_perf_schema_events_statements_sum_*
 * (_total is COUNT_STAR; _timer_wait is in seconds, the others are the
 * table's units: lock_time stays in picoseconds, as 0.14 leaves it).  An
 * empty digest table sums to NULL: 0 here (0.14 fails to scan the NULLs).
 * Off by default, as in 0.14.
 */
#include <errno.h>
#include <stdio.h>

#include "scrape.h"

/* column, family suffix, help */
static const struct {
	const char *col, *suffix, *help;
} sums[] = {
	{ "COUNT_STAR", "total", "The total count of events statements." },
	{ "SUM_CREATED_TMP_DISK_TABLES", "created_tmp_disk_tables", "The number of on-disk temporary tables created." },
	{ "SUM_CREATED_TMP_TABLES", "created_tmp_tables", "The number of temporary tables created." },
	{ "SUM_ERRORS", "errors", "Number of errors." },
	{ "SUM_LOCK_TIME", "lock_time", "Time in picoseconds spent waiting for locks." },
	{ "SUM_NO_GOOD_INDEX_USED", "no_good_index_used", "Number of times no good index was found." },
	{ "SUM_NO_INDEX_USED", "no_index_used", "Number of times no index was found." },
	{ "SUM_ROWS_AFFECTED", "rows_affected", "Number of rows affected by statements." },
	{ "SUM_ROWS_EXAMINED", "rows_examined", "Number of rows read during statements' execution." },
	{ "SUM_ROWS_SENT", "rows_sent", "Number of rows returned." },
	{ "SUM_SELECT_FULL_JOIN", "select_full_join",
	  "Number of joins performed by statements which did not use an index." },
	{ "SUM_SELECT_FULL_RANGE_JOIN", "select_full_range_join",
	  "Number of joins performed by statements which used a range search of the first table." },
	{ "SUM_SELECT_RANGE", "select_range",
	  "Number of joins performed by statements which used a range of the first table." },
	{ "SUM_SELECT_RANGE_CHECK", "select_range_check",
	  "Number of joins without keys performed by statements that check for key usage after each row." },
	{ "SUM_SELECT_SCAN", "select_scan",
	  "Number of joins performed by statements which used a full scan of the first table." },
	{ "SUM_SORT_MERGE_PASSES", "sort_merge_passes",
	  "Number of merge passes by the sort algorithm performed by statements." },
	{ "SUM_SORT_RANGE", "sort_range", "Number of sorts performed by statements which used a range." },
	{ "SUM_SORT_ROWS", "sort_rows", "Number of rows sorted." },
	{ "SUM_SORT_SCAN", "sort_scan", "Number of sorts performed by statements which used a full table scan." },
	{ "SUM_TIMER_WAIT", "timer_wait", "Total wait time of the summarized events that are timed." },
	{ "SUM_WARNINGS", "warnings", "Number of warnings." },
};
#define NSUMS (sizeof(sums) / sizeof(sums[0]))
#define TIMER_WAIT 19	/* sums[] index divided by PICO */

static int ss_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	buf_puts(sql, "SELECT ");
	for (size_t i = 0; i < NSUMS; i++)
		buf_printf(sql, "%sSUM(%s)", i ? ", " : "", sums[i].col);
	return buf_puts(sql, " FROM performance_schema.events_statements_summary_by_digest");
}

static int ss_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	char name[128];

	if (r->ncols < NSUMS)
		return -EPROTO;
	for (size_t row = 0; row < r->nrows; row++)
		for (unsigned c = 0; c < NSUMS; c++) {
			double v = cell_u64(sqlres_cell(r, row, c));

			snprintf(name, sizeof(name), "mysql_perf_schema_events_statements_sum_%s", sums[c].suffix);
			if (writer_family(w, name, METRIC_COUNTER, sums[c].help, NULL) < 0 ||
			    writer_sample(w, NULL, c == TIMER_WAIT ? v / PICO : v) < 0)
				return -EIO;
		}
	return 0;
}

_Static_assert(TIMER_WAIT < NSUMS, "timer_wait index");

const struct collector collector_perf_statements_sum = {
	.name = "perf_schema.eventsstatementssum",
	.default_on = false,
	.help = "Collect metrics of grand sums from performance_schema.events_statements_summary_by_digest",
	.query = ss_query,
	.parse = ss_parse,
};
