/*
 * info_schema.replica_host: Aurora MySQL's information_schema.
 * REPLICA_HOST_STATUS, one row per instance of the cluster, as
 * mysqld_exporter 0.14's collector/info_schema_replica_host.go:
 *   mysql_info_schema_replica_host_cpu_percent{server_id,role}
 *   mysql_info_schema_replica_host_replica_latency_seconds (from microseconds)
 *   mysql_info_schema_replica_host_lag_seconds (from milliseconds)
 *   mysql_info_schema_replica_host_log_stream_speed (KiB/s)
 *   mysql_info_schema_replica_host_replay_latency_seconds (from microseconds)
 * role is "writer" for the MASTER_SESSION_ID row, else "reader".  MariaDB
 * and MySQL have no such table: ER_UNKNOWN_TABLE is success with no series
 * (0.14 returns nil on error 1109), and the statement is not sent again on
 * this connection.  Off by default, as 0.14.
 */
#include <errno.h>
#include <mysqld_error.h>

#include "scrape.h"

static int rh_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT SERVER_ID, IF(SESSION_ID = 'MASTER_SESSION_ID', 'writer', 'reader'), "
			     "CPU, MASTER_SLAVE_LATENCY_IN_MICROSECONDS, REPLICA_LAG_IN_MILLISECONDS, "
			     "LOG_STREAM_SPEED_IN_KiB_PER_SECOND, CURRENT_REPLAY_LATENCY_IN_MICROSECONDS "
			     "FROM information_schema.REPLICA_HOST_STATUS");
}

#define S(c) (const struct perf_series[]){ { c, NULL, NULL, 0 } }, 1
static const struct perf_family rh_fams[] = {
	{ "mysql_info_schema_replica_host_cpu_percent", "The CPU usage as a percentage.", METRIC_GAUGE,
	  1, S(2) },
	{ "mysql_info_schema_replica_host_replica_latency_seconds",
	  "The source-replica latency in seconds.", METRIC_GAUGE, 1e6, S(3) },
	{ "mysql_info_schema_replica_host_lag_seconds", "The replica lag in seconds.", METRIC_GAUGE, 1e3,
	  S(4) },
	{ "mysql_info_schema_replica_host_log_stream_speed",
	  "The log stream speed in kilobytes per second.", METRIC_GAUGE, 1, S(5) },
	{ "mysql_info_schema_replica_host_replay_latency_seconds",
	  "The current replay latency in seconds.", METRIC_GAUGE, 1e6, S(6) },
};

static int rh_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "server_id", "role", NULL };

	if (r->ncols < 7)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, rh_fams, sizeof(rh_fams) / sizeof(rh_fams[0]), NULL);
}

const struct collector collector_replica_host = {
	.name = "info_schema.replica_host",
	.default_on = false,
	.help = "Collect metrics from information_schema.replica_host_status",
	.query = rh_query,
	.parse = rh_parse,
	.nodata_sqlerr = ER_UNKNOWN_TABLE,
};
