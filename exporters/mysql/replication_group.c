/*
 * MySQL's Group Replication and multi-threaded applier tables, as
 * mysqld_exporter 0.14's collector/perf_schema_replication_*.go:
 *   perf_schema.replication_group_members: every row of
 *     performance_schema.replication_group_members as
 *     mysql_perf_schema_replication_group_member_info{<every column, lower case>} 1
 *   perf_schema.replication_group_member_stats: this member's row
 *     (MEMBER_ID = @@server_uuid): mysql_perf_schema_transactions_in_queue,
 *     _transactions_checked_total, _conflicts_detected_total,
 *     _transactions_rows_validating_total, _transactions_remote_in_applier_queue,
 *     _transactions_remote_applied_total, _transactions_local_proposed_total,
 *     _transactions_local_rollback_total (the columns the server has)
 *   perf_schema.replication_applier_status_by_worker: per worker,
 *     mysql_perf_schema_{last_applied_transaction_{original_commit,immediate_commit,
 *     start_apply,end_apply},applying_transaction_{original_commit,immediate_commit,
 *     start_apply}}_timestamp_seconds{channel_name,member_id} (Unix seconds
 *     of "YYYY-MM-DD hh:mm:ss.ffffff" read as UTC; 0 for the zero date)
 * MariaDB has neither group table, and its replication_applier_status_by_worker
 * lacks these columns: there each fails on every scrape, as 0.14 does.  All
 * off by default, as in 0.14.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scrape.h"

/* ---- replication_group_members ---- */

static int gm_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT * FROM performance_schema.replication_group_members");
}

static int gm_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	char names[METRICS_MAX_LABELS][64];
	const char *labels[METRICS_MAX_LABELS + 1];
	struct lazy_family f;
	unsigned n = r->ncols < METRICS_MAX_LABELS ? r->ncols : METRICS_MAX_LABELS;

	for (unsigned c = 0; c < n; c++) {
		size_t k;

		for (k = 0; r->names[c][k] && k + 1 < sizeof(names[c]); k++) {
			char ch = r->names[c][k];

			names[c][k] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		}
		names[c][k] = '\0';
		labels[c] = names[c];
	}
	labels[n] = NULL;
	lazy_init(&f, w, "mysql_perf_schema_replication_group_member_info", METRIC_GAUGE,
		  "Information about the replication group member: channel_name, member_id, member_host, "
		  "member_port, member_state. (member_role and member_version where available)", labels);
	for (size_t i = 0; i < r->nrows; i++) {
		const char *values[METRICS_MAX_LABELS + 1];

		for (unsigned c = 0; c < n; c++)
			values[c] = sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "";
		values[n] = NULL;
		lazy_sample(&f, values, 1);
	}
	return f.failed ? -EIO : 0;
}

const struct collector collector_repl_group_members = {
	.name = "perf_schema.replication_group_members",
	.default_on = false,
	.help = "Collect metrics from performance_schema.replication_group_members",
	.query = gm_query,
	.parse = gm_parse,
};

/* ---- replication_group_member_stats ---- */

static const struct {
	const char *col, *name;
	enum metric_type type;
	const char *help;
} gs_cols[] = {
	{ "COUNT_TRANSACTIONS_IN_QUEUE", "mysql_perf_schema_transactions_in_queue", METRIC_GAUGE,
	  "The number of transactions in the queue pending conflict detection checks." },
	{ "COUNT_TRANSACTIONS_CHECKED", "mysql_perf_schema_transactions_checked_total", METRIC_COUNTER,
	  "The number of transactions that have been checked for conflicts." },
	{ "COUNT_CONFLICTS_DETECTED", "mysql_perf_schema_conflicts_detected_total", METRIC_COUNTER,
	  "The number of transactions that have not passed the conflict detection check." },
	{ "COUNT_TRANSACTIONS_ROWS_VALIDATING", "mysql_perf_schema_transactions_rows_validating_total",
	  METRIC_COUNTER,
	  "Number of transaction rows which can be used for certification, but have not been garbage collected." },
	{ "COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE", "mysql_perf_schema_transactions_remote_in_applier_queue",
	  METRIC_GAUGE,
	  "The number of transactions that this member has received from the replication group which are "
	  "waiting to be applied." },
	{ "COUNT_TRANSACTIONS_REMOTE_APPLIED", "mysql_perf_schema_transactions_remote_applied_total",
	  METRIC_COUNTER, "Number of transactions this member has received from the group and applied." },
	{ "COUNT_TRANSACTIONS_LOCAL_PROPOSED", "mysql_perf_schema_transactions_local_proposed_total",
	  METRIC_COUNTER, "Number of transactions which originated on this member and were sent to the group." },
	{ "COUNT_TRANSACTIONS_LOCAL_ROLLBACK", "mysql_perf_schema_transactions_local_rollback_total",
	  METRIC_COUNTER,
	  "Number of transactions which originated on this member and were rolled back by the group." },
};

static int gs_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT * FROM performance_schema.replication_group_member_stats "
			     "WHERE MEMBER_ID = @@server_uuid");
}

static int gs_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	for (size_t i = 0; i < r->nrows; i++)
		for (unsigned c = 0; c < r->ncols; c++)
			for (size_t k = 0; k < sizeof(gs_cols) / sizeof(gs_cols[0]); k++) {
				const char *v = sqlres_cell(r, i, c);
				char *end;
				double d;

				if (strcmp(r->names[c], gs_cols[k].col))
					continue;
				/* as 0.14: a value that is not a number fails the collector */
				if (!v || (d = strtod(v, &end), end == v || *end))
					return -EPROTO;
				if (writer_family(w, gs_cols[k].name, gs_cols[k].type, gs_cols[k].help, NULL) < 0 ||
				    writer_sample(w, NULL, d) < 0)
					return -EIO;
			}
	return 0;
}

const struct collector collector_repl_group_member_stats = {
	.name = "perf_schema.replication_group_member_stats",
	.default_on = false,
	.help = "Collect metrics from performance_schema.replication_group_member_stats",
	.query = gs_query,
	.parse = gs_parse,
};

/* ---- replication_applier_status_by_worker ---- */

/* Go's time.Parse("2006-01-02 15:04:05.000000", s) as Unix seconds in UTC;
 * 0 when it does not parse (as 0.14 uses the zero time then). */
double repl_timestamp(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, us, len = 0;
	struct tm tm = { 0 };

	if (!s || strlen(s) != 26 ||
	    sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d.%6d%n", &y, &mo, &d, &h, &mi, &se, &us, &len) != 7 ||
	    len != 26 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[19] != '.')
		return 0;
	for (int i = 0; i < 26; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19 && (s[i] < '0' || s[i] > '9'))
			return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return 0;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (double)timegm(&tm) + us / 1e6;
}

static const struct {
	const char *name, *help;
} aw_fams[] = {
	{ "mysql_perf_schema_last_applied_transaction_original_commit_timestamp_seconds",
	  "A timestamp shows when the last transaction applied by this worker was committed on the original master." },
	{ "mysql_perf_schema_last_applied_transaction_immediate_commit_timestamp_seconds",
	  "A timestamp shows when the last transaction applied by this worker was committed on the immediate master." },
	{ "mysql_perf_schema_last_applied_transaction_start_apply_timestamp_seconds",
	  "A timestamp shows when this worker started applying the last applied transaction." },
	{ "mysql_perf_schema_last_applied_transaction_end_apply_timestamp_seconds",
	  "A shows when this worker finished applying the last applied transaction." },
	{ "mysql_perf_schema_applying_transaction_original_commit_timestamp_seconds",
	  "A timestamp that shows when the transaction this worker is currently applying was committed on the original master." },
	{ "mysql_perf_schema_applying_transaction_immediate_commit_timestamp_seconds",
	  "A timestamp shows when the transaction this worker is currently applying was committed on the immediate master." },
	{ "mysql_perf_schema_applying_transaction_start_apply_timestamp_seconds",
	  "A timestamp shows when this worker started its first attempt to apply the transaction that is currently being applied." },
};

static int aw_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT CHANNEL_NAME, WORKER_ID, "
			     "LAST_APPLIED_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP, "
			     "LAST_APPLIED_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP, "
			     "LAST_APPLIED_TRANSACTION_START_APPLY_TIMESTAMP, "
			     "LAST_APPLIED_TRANSACTION_END_APPLY_TIMESTAMP, "
			     "APPLYING_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP, "
			     "APPLYING_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP, "
			     "APPLYING_TRANSACTION_START_APPLY_TIMESTAMP "
			     "FROM performance_schema.replication_applier_status_by_worker");
}

static int aw_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "channel_name", "member_id", NULL };
	struct lazy_family f;
	bool failed = false;

	if (r->ncols < 9)
		return -EPROTO;
	for (unsigned k = 0; k < 7; k++) {
		lazy_init(&f, w, aw_fams[k].name, METRIC_GAUGE, aw_fams[k].help, labels);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *ch = sqlres_cell(r, i, 0), *id = sqlres_cell(r, i, 1);

			lazy_sample(&f, (const char *const[]){ ch ? ch : "", id ? id : "", NULL },
				    repl_timestamp(sqlres_cell(r, i, 2 + k)));
		}
		failed |= f.failed;
	}
	return failed ? -EIO : 0;
}

const struct collector collector_repl_applier_by_worker = {
	.name = "perf_schema.replication_applier_status_by_worker",
	.default_on = false,
	.help = "Collect metrics from performance_schema.replication_applier_status_by_worker",
	.query = aw_query,
	.parse = aw_parse,
};
