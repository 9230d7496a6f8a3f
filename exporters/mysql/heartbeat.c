/*
 * heartbeat: the replication heartbeat table pt-heartbeat(1) writes
 * (ts varchar(26), server_id int unsigned), as mysqld_exporter 0.14's
 * collector/heartbeat.go:
 *   mysql_heartbeat_stored_timestamp_seconds{server_id}  UNIX_TIMESTAMP(ts)
 *   mysql_heartbeat_now_timestamp_seconds{server_id}     the server's NOW(6)
 *                                                        (UTC_TIMESTAMP(6) with .utc)
 * The mysqld mixin records mysql_heartbeat_lag_seconds as their difference
 * (MySQLHeartbeatLag).  Both read in the same statement, so the lag is not
 * skewed by the scrape's own latency.  Off by default, as in 0.14; needs
 * SELECT on the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

static int hb_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_printf(sql, "SELECT UNIX_TIMESTAMP(ts), UNIX_TIMESTAMP(%s), server_id FROM `%s`.`%s`",
			  o->heartbeat_utc ? "UTC_TIMESTAMP(6)" : "NOW(6)", o->heartbeat_db,
			  o->heartbeat_table);
}

static bool to_double(const char *s, double *ret)
{
	char *end;

	if (!s || !*s)
		return false;
	*ret = strtod(s, &end);
	return *end == '\0';
}

static int hb_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const l[] = { "server_id", NULL };
	struct lazy_family now, stored;

	if (r->ncols < 3)
		return -EPROTO;
	/* 0.14 fails the scrape on a ts that is not a time (NULL from UNIX_TIMESTAMP) */
	for (size_t i = 0; i < r->nrows; i++) {
		double v;

		if (!to_double(sqlres_cell(r, i, 0), &v) || !to_double(sqlres_cell(r, i, 1), &v))
			return -EINVAL;
	}
	lazy_init(&now, w, "mysql_heartbeat_now_timestamp_seconds", METRIC_GAUGE,
		  "Timestamp of the current server.", l);
	for (size_t i = 0; i < r->nrows; i++) {
		const char *id = sqlres_cell(r, i, 2);
		double v = 0;

		to_double(sqlres_cell(r, i, 1), &v);
		lazy_sample(&now, (const char *const[]){ id ? id : "0", NULL }, v);
	}
	lazy_init(&stored, w, "mysql_heartbeat_stored_timestamp_seconds", METRIC_GAUGE,
		  "Timestamp stored in the heartbeat table.", l);
	for (size_t i = 0; i < r->nrows; i++) {
		const char *id = sqlres_cell(r, i, 2);
		double v = 0;

		to_double(sqlres_cell(r, i, 0), &v);
		lazy_sample(&stored, (const char *const[]){ id ? id : "0", NULL }, v);
	}
	return 0;
}

/* The names go into the SQL text between backquotes. */
static int check_ident(const struct flag *fl, const struct flagset *fs, char *err, size_t errlen)
{
	const char *s = *(const char **)fl->dst;

	if (!*s || strlen(s) > 64 || strpbrk(s, "`\\")) {
		snprintf(err, errlen, "a name of 1 to 64 characters without ` or backslash");
		return -EINVAL;
	}
	return 0;
}

static const struct flag hb_flags[] = {
	{ .name = "collect.heartbeat.database", .type = FLAG_STRING,
	  .dst = &collector_opts.heartbeat_db, .def = "heartbeat",
	  .help = "Database from where to collect heartbeat data", .check = check_ident },
	{ .name = "collect.heartbeat.table", .type = FLAG_STRING,
	  .dst = &collector_opts.heartbeat_table, .def = "heartbeat",
	  .help = "Table from where to collect heartbeat data", .check = check_ident },
	{ .name = "collect.heartbeat.utc", .type = FLAG_BOOL, .dst = &collector_opts.heartbeat_utc,
	  .def = "false", .help = "Use UTC for timestamps of the current server (pt-heartbeat is "
				  "called with --utc)" },
};

const struct collector collector_heartbeat = {
	.name = "heartbeat",
	.default_on = false,
	.help = "Collect from heartbeat",
	.query = hb_query,
	.parse = hb_parse,
	COLLECTOR_FLAGS(hb_flags),
};
