/*
 * The userstat collectors (MariaDB and Percona Server with userstat=1), as
 * mysqld_exporter 0.14's collector/info_schema_{userstats,clientstats,
 * tablestats,schemastats}.go:
 *   info_schema.userstats    information_schema.USER_STATISTICS:
 *       mysql_info_schema_user_statistics_<column>{user}
 *   info_schema.clientstats  information_schema.CLIENT_STATISTICS:
 *       mysql_info_schema_client_statistics_<column>{client}
 *   info_schema.tablestats   information_schema.TABLE_STATISTICS:
 *       mysql_info_schema_table_statistics_{rows_read,rows_changed,
 *       rows_changed_x_indexes}_total{schema,table}
 *   info_schema.schemastats  the same summed per schema:
 *       mysql_info_schema_schema_statistics_..._total{schema}
 * The user and client families are named after the table's columns
 * (0.14's list: counters with units and _total, CONCURRENT_CONNECTIONS a
 * gauge); a column 0.14 does not know (MariaDB's USER_STATISTICS has
 * MAX_STATEMENT_TIME_EXCEEDED) is the untyped ..._<column in lower case>.
 *
 * 0.14 first reads the userstat variable and collects nothing (success)
 * when it is OFF or missing, then reads the table: two statements.  Here
 * the one statement carries the test (WHERE @@GLOBAL.userstat): OFF gives
 * no rows; a server without the variable (Oracle MySQL) answers "unknown
 * system variable", which is success with no series (nodata_sqlerr), and
 * the statement is not sent again on that connection.  Off by default, as
 * in 0.14.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "scrape.h"

/* A column 0.14 knows: its family suffix and type. */
struct stat_col {
	const char *column, *suffix;
	enum metric_type type;
	const char *help;	/* "%s" is "user" or "client" */
};

static const struct stat_col stat_cols[] = {
	{ "TOTAL_CONNECTIONS", "total_connections", METRIC_COUNTER,
	  "The number of connections created for this %s." },
	{ "CONCURRENT_CONNECTIONS", "concurrent_connections", METRIC_GAUGE,
	  "The number of concurrent connections for this %s." },
	{ "CONNECTED_TIME", "connected_time_seconds_total", METRIC_COUNTER,
	  "The cumulative number of seconds elapsed while there were connections from this %s." },
	{ "BUSY_TIME", "busy_seconds_total", METRIC_COUNTER,
	  "The cumulative number of seconds there was activity on connections from this %s." },
	{ "CPU_TIME", "cpu_time_seconds_total", METRIC_COUNTER,
	  "The cumulative CPU time elapsed, in seconds, while servicing this %s's connections." },
	{ "BYTES_RECEIVED", "bytes_received_total", METRIC_COUNTER,
	  "The number of bytes received from this %s's connections." },
	{ "BYTES_SENT", "bytes_sent_total", METRIC_COUNTER,
	  "The number of bytes sent to this %s's connections." },
	{ "BINLOG_BYTES_WRITTEN", "binlog_bytes_written_total", METRIC_COUNTER,
	  "The number of bytes written to the binary log from this %s's connections." },
	{ "ROWS_READ", "rows_read_total", METRIC_COUNTER, "The number of rows read by this %s's connections." },
	{ "ROWS_SENT", "rows_sent_total", METRIC_COUNTER, "The number of rows sent by this %s's connections." },
	{ "ROWS_DELETED", "rows_deleted_total", METRIC_COUNTER,
	  "The number of rows deleted by this %s's connections." },
	{ "ROWS_INSERTED", "rows_inserted_total", METRIC_COUNTER,
	  "The number of rows inserted by this %s's connections." },
	{ "ROWS_FETCHED", "rows_fetched_total", METRIC_COUNTER,
	  "The number of rows fetched by this %s's connections." },
	{ "ROWS_UPDATED", "rows_updated_total", METRIC_COUNTER,
	  "The number of rows updated by this %s's connections." },
	{ "TABLE_ROWS_READ", "table_rows_read_total", METRIC_COUNTER,
	  "The number of rows read from tables by this %s's connections." },
	{ "SELECT_COMMANDS", "select_commands_total", METRIC_COUNTER,
	  "The number of SELECT commands executed from this %s's connections." },
	{ "UPDATE_COMMANDS", "update_commands_total", METRIC_COUNTER,
	  "The number of UPDATE commands executed from this %s's connections." },
	{ "OTHER_COMMANDS", "other_commands_total", METRIC_COUNTER,
	  "The number of other commands executed from this %s's connections." },
	{ "COMMIT_TRANSACTIONS", "commit_transactions_total", METRIC_COUNTER,
	  "The number of COMMIT commands issued by this %s's connections." },
	{ "ROLLBACK_TRANSACTIONS", "rollback_transactions_total", METRIC_COUNTER,
	  "The number of ROLLBACK commands issued by this %s's connections." },
	{ "DENIED_CONNECTIONS", "denied_connections_total", METRIC_COUNTER,
	  "The number of connections denied to this %s." },
	{ "LOST_CONNECTIONS", "lost_connections_total", METRIC_COUNTER,
	  "The number of this %s's connections that were terminated uncleanly." },
	{ "ACCESS_DENIED", "access_denied_total", METRIC_COUNTER,
	  "The number of times this %s's connections issued commands that were denied." },
	{ "EMPTY_QUERIES", "empty_queries_total", METRIC_COUNTER,
	  "The number of times this %s's connections sent empty queries to the server." },
	{ "TOTAL_SSL_CONNECTIONS", "total_ssl_connections_total", METRIC_COUNTER,
	  "The number of times this %s's connections connected using SSL to the server." },
	/* 0.14 knows this one for clients only; for users it is untyped */
	{ "MAX_STATEMENT_TIME_EXCEEDED", "max_statement_time_exceeded_total", METRIC_COUNTER,
	  "The number of times a statement of this %s was aborted for exceeding max_statement_time." },
};
#define NSTAT_COLS (sizeof(stat_cols) / sizeof(stat_cols[0]))

/*
 * SELECT * FROM the table: column 0 is the label (user or client), every
 * other column a family of its own.  what: "user" or "client".
 */
static int stats_parse(const struct sqlres *r, struct metrics_writer *w, const char *what)
{
	const char *const labels[] = { what, NULL };
	char name[160], help[200], lower[96];
	struct lazy_family f;
	bool failed = false;

	if (r->ncols < 2)
		return -EPROTO;
	for (unsigned c = 1; c < r->ncols; c++) {
		const char *col = r->names[c];
		const struct stat_col *sc = NULL;

		for (size_t k = 0; k < NSTAT_COLS; k++)
			if (!strcmp(stat_cols[k].column, col)) {
				sc = &stat_cols[k];
				break;
			}
		if (sc && !strcmp(what, "user") && !strcmp(sc->column, "MAX_STATEMENT_TIME_EXCEEDED"))
			sc = NULL;
		if (sc) {
			snprintf(name, sizeof(name), "mysql_info_schema_%s_statistics_%s", what, sc->suffix);
			snprintf(help, sizeof(help), sc->help, what);
			lazy_init(&f, w, name, sc->type, help, labels);
		} else {
			size_t i;

			for (i = 0; col[i] && i + 1 < sizeof(lower); i++)
				lower[i] = (char)(col[i] >= 'A' && col[i] <= 'Z' ? col[i] - 'A' + 'a' : col[i]);
			lower[i] = '\0';
			snprintf(name, sizeof(name), "mysql_info_schema_%s_statistics_%s", what, lower);
			snprintf(help, sizeof(help), "Unsupported metric from column %s", col);
			lazy_init(&f, w, name, METRIC_UNTYPED, help, labels);
		}
		for (size_t i = 0; i < r->nrows; i++) {
			const char *key = sqlres_cell(r, i, 0), *v = sqlres_cell(r, i, c);

			lazy_sample(&f, (const char *const[]){ key ? key : "", NULL }, v ? strtod(v, NULL) : 0);
		}
		failed |= f.failed;
	}
	return failed ? -EIO : 0;
}

static int us_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT * FROM information_schema.USER_STATISTICS WHERE @@GLOBAL.userstat");
}

static int us_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	return stats_parse(r, w, "user");
}

static int cs_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT * FROM information_schema.CLIENT_STATISTICS WHERE @@GLOBAL.userstat");
}

static int cs_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	return stats_parse(r, w, "client");
}

static int ts_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT TABLE_SCHEMA, TABLE_NAME, ROWS_READ, ROWS_CHANGED, ROWS_CHANGED_X_INDEXES "
			     "FROM information_schema.TABLE_STATISTICS WHERE @@GLOBAL.userstat");
}

#define S(c) (const struct perf_series[]){ { c, NULL, NULL, 0 } }, 1
static const struct perf_family ts_fams[] = {
	{ "mysql_info_schema_table_statistics_rows_read_total", "The number of rows read from the table.",
	  METRIC_COUNTER, 1, S(2) },
	{ "mysql_info_schema_table_statistics_rows_changed_total", "The number of rows changed in the table.",
	  METRIC_COUNTER, 1, S(3) },
	{ "mysql_info_schema_table_statistics_rows_changed_x_indexes_total",
	  "The number of rows changed in the table, multiplied by the number of indexes changed.",
	  METRIC_COUNTER, 1, S(4) },
};

static int ts_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "table", NULL };

	if (r->ncols < 5)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, ts_fams, sizeof(ts_fams) / sizeof(ts_fams[0]), NULL);
}

static int ss_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT TABLE_SCHEMA, SUM(ROWS_READ), SUM(ROWS_CHANGED), SUM(ROWS_CHANGED_X_INDEXES) "
			     "FROM information_schema.TABLE_STATISTICS WHERE @@GLOBAL.userstat "
			     "GROUP BY TABLE_SCHEMA");
}

static const struct perf_family ss_fams[] = {
	{ "mysql_info_schema_schema_statistics_rows_read_total", "The number of rows read from the schema.",
	  METRIC_COUNTER, 1, S(1) },
	{ "mysql_info_schema_schema_statistics_rows_changed_total", "The number of rows changed in the schema.",
	  METRIC_COUNTER, 1, S(2) },
	{ "mysql_info_schema_schema_statistics_rows_changed_x_indexes_total",
	  "The number of rows changed in the schema, multiplied by the number of indexes changed.",
	  METRIC_COUNTER, 1, S(3) },
};

static int ss_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", NULL };

	if (r->ncols < 4)
		return -EPROTO;
	return perf_emit(w, r, 1, labels, ss_fams, sizeof(ss_fams) / sizeof(ss_fams[0]), NULL);
}

const struct collector collector_userstats = {
	.name = "info_schema.userstats",
	.default_on = false,
	.help = "If running with userstat=1, set to true to collect user statistics",
	.query = us_query,
	.parse = us_parse,
	.nodata_sqlerr = ER_UNKNOWN_SYSTEM_VARIABLE,
};

const struct collector collector_clientstats = {
	.name = "info_schema.clientstats",
	.default_on = false,
	.help = "If running with userstat=1, set to true to collect client statistics",
	.query = cs_query,
	.parse = cs_parse,
	.nodata_sqlerr = ER_UNKNOWN_SYSTEM_VARIABLE,
};

const struct collector collector_tablestats = {
	.name = "info_schema.tablestats",
	.default_on = false,
	.help = "If running with userstat=1, set to true to collect table statistics",
	.query = ts_query,
	.parse = ts_parse,
	.nodata_sqlerr = ER_UNKNOWN_SYSTEM_VARIABLE,
};

const struct collector collector_schemastats = {
	.name = "info_schema.schemastats",
	.default_on = false,
	.help = "If running with userstat=1, set to true to collect schema statistics",
	.query = ss_query,
	.parse = ss_parse,
	.nodata_sqlerr = ER_UNKNOWN_SYSTEM_VARIABLE,
};
