/*
 * mysql-exporter's collectors fed canned rows through the sqlres seam (in
 * addition to the real-MariaDB tests in tests/integration/mysql/): the
 * mysqld_exporter 0.14 mapping rules, including the ones MariaDB 10.11
 * cannot show (Innodb_rows_*, Galera, several replication channels, the
 * INNODB_METRICS ENABLED column).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "scrape.h"

static struct buf out;
static struct metrics_writer *w;

static void begin(void)
{
	buf_init(&out, 0);
	w = metrics_writer_new(&out, METRICS_FORMAT_TEXT);
}

static const char *end(void)
{
	metrics_writer_finish(w);
	metrics_writer_free(w);
	w = NULL;
	return out.data ? out.data : "";
}

static bool has(const char *s, const char *needle)
{
	bool ok = strstr(s, needle) != NULL;
	if (!ok)
		printf("# missing: %s\n", needle);
	return ok;
}

#define RES(cols, ...)                                                                         \
	(struct sqlres)                                                                       \
	{                                                                                     \
		.ncols = sizeof(cols) / sizeof(cols[0]), .names = cols,                       \
		.cells = (const char *const[]){ __VA_ARGS__ },                                \
		.nrows = sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *) / \
			 (sizeof(cols) / sizeof(cols[0])),                                    \
	}

static const struct scrape_opts opts = {
	.statements_limit = 250, .statements_timelimit = 86400, .digest_text_limit = 120,
	.memory_remove_prefix = "memory/", .processes_by_user = true, .processes_by_host = true,
};

static void test_parse_status(void)
{
	double v = -1;
	CHECK(parse_status("ON", &v) && v == 1);
	CHECK(parse_status("off", &v) && v == 0);
	CHECK(parse_status("Yes", &v) && v == 1);
	CHECK(parse_status("DISABLED", &v) && v == 0);
	CHECK(parse_status("Connecting", &v) && v == 0);
	CHECK(parse_status("Primary", &v) && v == 1);
	CHECK(parse_status("non-Primary", &v) && v == 0);
	CHECK(parse_status("12345", &v) && v == 12345);
	CHECK(parse_status("-3.5", &v) && v == -3.5);
	CHECK(parse_status("1e3", &v) && v == 1000);
	CHECK(parse_status("18446744073709551615", &v) && v > 1.8e19);
	CHECK(parse_status("2026-01-02 03:04:05", &v) && v == 1767323045);
	CHECK(parse_status("Jan 02 03:04:05 2026 GMT", &v) && v == 1767323045);
	CHECK(!parse_status("", &v));
	CHECK(!parse_status("mysql-bin.000001", &v));
	CHECK(!parse_status("10.11.5-MariaDB", &v));
	CHECK(!parse_status("0x10", &v));
	CHECK(!parse_status(" 1", &v));
	CHECK(!parse_status("1 ", &v));
	CHECK(!parse_status("REPEATABLE-READ", &v));
	CHECK(!parse_status(NULL, &v));
}

static void test_prom_name(void)
{
	char b[64];
	prom_name(b, sizeof(b), "Com_ALTER_db");
	CHECK_STR(b, "com_alter_db");
	prom_name(b, sizeof(b), "Innodb_buffer_pool_pages_LRU-flushed.x");
	CHECK_STR(b, "innodb_buffer_pool_pages_lru_flushed_x");
	prom_name(b, 5, "abcdefgh");
	CHECK_STR(b, "abcd");
}

static void test_global_status(void)
{
	static const char *const cols[] = { "Variable_name", "Value" };
	struct sqlres r = RES(cols, "Aborted_clients", "3", "Com_select", "10", "Com_insert", "2",
			      "Handler_read_key", "7", "Connection_errors_max_connections", "1",
			      "Innodb_buffer_pool_pages_data", "100", "Innodb_buffer_pool_pages_dirty", "4",
			      "Innodb_buffer_pool_pages_flushed", "9", "Innodb_buffer_pool_pages_total", "8191",
			      "Innodb_buffer_pool_pages_free", "50", "Innodb_rows_read", "77",
			      "Performance_schema_digest_lost", "0", "Rpl_status", "AUTH_MASTER",
			      "Ssl_cipher", "", "Innodb_have_lz4", "OFF", "Uptime", "42",
			      "wsrep_local_state_uuid", "abc-uuid", "wsrep_provider_version", "26.4.14(r1234)",
			      "wsrep_cluster_status", "Primary", "Slave_running", NULL);
	begin();
	CHECK_INT(collector_global_status.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_global_status_commands_total counter\n"));
	CHECK(has(s, "mysql_global_status_commands_total{command=\"select\"} 10\n"));
	CHECK(has(s, "mysql_global_status_commands_total{command=\"insert\"} 2\n"));
	CHECK(has(s, "mysql_global_status_handlers_total{handler=\"read_key\"} 7\n"));
	CHECK(has(s, "mysql_global_status_connection_errors_total{error=\"max_connections\"} 1\n"));
	CHECK(has(s, "# TYPE mysql_global_status_buffer_pool_pages gauge\n"));
	CHECK(has(s, "mysql_global_status_buffer_pool_pages{state=\"data\"} 100\n"));
	CHECK(has(s, "mysql_global_status_buffer_pool_pages{state=\"free\"} 50\n"));
	CHECK(has(s, "mysql_global_status_buffer_pool_dirty_pages 4\n"));
	CHECK(has(s, "mysql_global_status_buffer_pool_page_changes_total{operation=\"flushed\"} 9\n"));
	CHECK(!strstr(s, "8191"));
	CHECK(has(s, "mysql_global_status_innodb_row_ops_total{operation=\"read\"} 77\n"));
	CHECK(has(s, "mysql_global_status_performance_schema_lost_total{instrumentation=\"digest_lost\"} 0\n"));
	CHECK(has(s, "# TYPE mysql_global_status_aborted_clients untyped\n"));
	CHECK(has(s, "mysql_global_status_uptime 42\n"));
	CHECK(has(s, "mysql_global_status_innodb_have_lz4 0\n"));
	CHECK(has(s, "mysql_global_status_wsrep_cluster_status 1\n"));
	CHECK(!strstr(s, "rpl_status"));
	CHECK(!strstr(s, "ssl_cipher"));
	CHECK(!strstr(s, "slave_running"));
	CHECK(has(s, "mysql_galera_status_info{wsrep_local_state_uuid=\"abc-uuid\",wsrep_cluster_state_uuid=\"\",wsrep_provider_version=\"26.4.14(r1234)\"} 1\n"));
	buf_done(&out);
}

static void test_global_variables(void)
{
	static const char *const cols[] = { "Variable_name", "Value" };
	struct sqlres r = RES(cols, "max_connections", "151", "version", "10.11.5-MariaDB", "version_comment",
			      "Debian 12", "innodb_version", "10.11.5", "tx_isolation", "READ-COMMITTED",
			      "performance_schema", "ON", "wsrep_cluster_name", "my_wsrep_cluster",
			      "wsrep_provider_options", "base_port = 4567; gcache.size = 128M; x = 1;",
			      "datadir", "/var/lib/mysql/");
	begin();
	CHECK_INT(collector_global_variables.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_global_variables_max_connections gauge\nmysql_global_variables_max_connections 151\n"));
	CHECK(has(s, "mysql_global_variables_performance_schema 1\n"));
	CHECK(has(s, "mysql_version_info{innodb_version=\"10.11.5\",version=\"10.11.5-MariaDB\",version_comment=\"Debian 12\"} 1\n"));
	CHECK(has(s, "mysql_transaction_isolation{level=\"READ-COMMITTED\"} 1\n"));
	CHECK(has(s, "mysql_galera_variables_info{wsrep_cluster_name=\"my_wsrep_cluster\"} 1\n"));
	CHECK(has(s, "mysql_galera_gcache_size_bytes 134217728\n"));
	CHECK(!strstr(s, "datadir"));
	buf_done(&out);
}

static void test_slave_status(void)
{
	static const char *const cols[] = { "Connection_name", "Slave_IO_Running", "Slave_SQL_Running",
					    "Master_Host", "Seconds_Behind_Master", "Master_Log_File" };
	struct sqlres r = RES(cols, "", "Yes", "Yes", "db1", "3", "bin.000001", "east", "Connecting", "No",
			      "db2", NULL, "bin.000002");
	begin();
	CHECK_INT(collector_slave_status.parse(&opts, &r, w), 0);
	const char *s = end();
	/* one family per column, the channels' samples together */
	CHECK(has(s, "# TYPE mysql_slave_status_slave_io_running untyped\n"
		     "mysql_slave_status_slave_io_running{master_host=\"db1\",master_uuid=\"\",channel_name=\"\",connection_name=\"\"} 1\n"
		     "mysql_slave_status_slave_io_running{master_host=\"db2\",master_uuid=\"\",channel_name=\"\",connection_name=\"east\"} 0\n"));
	CHECK(has(s, "mysql_slave_status_seconds_behind_master{master_host=\"db1\",master_uuid=\"\",channel_name=\"\",connection_name=\"\"} 3\n"));
	CHECK(!strstr(s, "seconds_behind_master{master_host=\"db2\""));
	CHECK(!strstr(s, "master_log_file"));
	buf_done(&out);

	struct sqlres empty = { .ncols = 6, .names = cols, .nrows = 0, .cells = NULL };
	begin();
	CHECK_INT(collector_slave_status.parse(&opts, &empty, w), 0);
	CHECK_STR(end(), "");
	buf_done(&out);

	struct server_info mdb = { SERVER_MARIADB, 101105 }, my80 = { SERVER_MYSQL, 80036 }, my84 = { SERVER_MYSQL, 80400 };
	struct buf q;
	buf_init(&q, 0);
	collector_slave_status.query(&opts, &mdb, 0, &q);
	CHECK_STR(q.data, "SHOW ALL SLAVES STATUS");
	buf_reset(&q);
	collector_slave_status.query(&opts, &my80, 0, &q);
	CHECK_STR(q.data, "SHOW SLAVE STATUS");
	buf_reset(&q);
	collector_slave_status.query(&opts, &my84, 0, &q);
	CHECK_STR(q.data, "SHOW REPLICA STATUS");
	buf_done(&q);
}

static void test_innodb_metrics(void)
{
	static const char *const cols[] = { "NAME", "SUBSYSTEM", "TYPE", "COMMENT", "COUNT" };
	struct sqlres r = RES(cols, "buffer_page_read_index_leaf", "buffer_page_io", "counter", "c", "5",
			      "buffer_page_written_undo_log", "buffer_page_io", "counter", "c", "6",
			      "buffer_pool_pages_data", "buffer", "value", "c", "100",
			      "buffer_pool_pages_dirty", "buffer", "value", "c", "2",
			      "buffer_pool_pages_total", "buffer", "value", "c", "8191",
			      "buffer_pool_reads", "buffer", "status_counter", "Reads from disk", "11",
			      "lock_deadlocks", "lock", "value", "Deadlocks", "0",
			      "trx_rseg_history_len", "transaction", "counter", "History", "-1");
	begin();
	CHECK_INT(collector_innodb_metrics.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "mysql_info_schema_innodb_metrics_buffer_page_read_total{type=\"index_leaf\"} 5\n"));
	CHECK(has(s, "mysql_info_schema_innodb_metrics_buffer_page_written_total{type=\"undo_log\"} 6\n"));
	CHECK(has(s, "mysql_info_schema_innodb_metrics_buffer_pool_pages{state=\"data\"} 100\n"));
	CHECK(has(s, "mysql_info_schema_innodb_metrics_buffer_pool_dirty_pages 2\n"));
	CHECK(!strstr(s, "8191"));
	CHECK(has(s, "# HELP mysql_info_schema_innodb_metrics_buffer_buffer_pool_reads_total Reads from disk\n"
		     "# TYPE mysql_info_schema_innodb_metrics_buffer_buffer_pool_reads_total counter\n"));
	CHECK(has(s, "# TYPE mysql_info_schema_innodb_metrics_lock_lock_deadlocks gauge\n"));
	/* a negative counter is a gauge without _total (0.14) */
	CHECK(has(s, "# TYPE mysql_info_schema_innodb_metrics_transaction_trx_rseg_history_len gauge\n"));
	buf_done(&out);

	struct server_info mdb = { SERVER_MARIADB, 101105 }, my80 = { SERVER_MYSQL, 80036 };
	struct buf q;
	buf_init(&q, 0);
	/* MariaDB 10.5+: ENABLED; MySQL: STATUS; variant 1 is the other one */
	collector_innodb_metrics.query(&opts, &mdb, 0, &q);
	CHECK(strstr(q.data, "WHERE ENABLED = 1") != NULL);
	buf_reset(&q);
	collector_innodb_metrics.query(&opts, &mdb, 1, &q);
	CHECK(strstr(q.data, "WHERE STATUS = 'enabled'") != NULL);
	buf_reset(&q);
	collector_innodb_metrics.query(&opts, &my80, 0, &q);
	CHECK(strstr(q.data, "WHERE STATUS = 'enabled'") != NULL);
	buf_reset(&q);
	collector_innodb_metrics.query(&opts, &my80, 1, &q);
	CHECK(strstr(q.data, "WHERE ENABLED = 1") != NULL);
	CHECK_INT(collector_innodb_metrics.variants, 2);
	buf_done(&q);
}

static void test_processlist(void)
{
	static const char *const cols[] = { "USER", "HOST", "COMMAND", "STATE", "COUNT(*)", "SUM(TIME)" };
	struct sqlres r = RES(cols, "app", "10.0.0.5", "Query", "Sending data", "2", "4",
			      "app", "10.0.0.6", "Query", "Sending-data", "1", "1",
			      "root", "", "Sleep", "", "3", "30",
			      "app", "10.0.0.5", "Query", "Waiting for table metadata lock", "1", "9");
	begin();
	CHECK_INT(collector_processlist.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "mysql_info_schema_processlist_threads{command=\"query\",state=\"sending_data\"} 3\n"));
	CHECK(has(s, "mysql_info_schema_processlist_seconds{command=\"query\",state=\"sending_data\"} 5\n"));
	CHECK(has(s, "mysql_info_schema_processlist_threads{command=\"sleep\",state=\"unknown\"} 3\n"));
	CHECK(has(s, "mysql_info_schema_processlist_threads{command=\"query\",state=\"waiting_for_table_metadata_lock\"} 1\n"));
	CHECK(has(s, "mysql_info_schema_processlist_processes_by_host{client_host=\"10.0.0.5\"} 3\n"));
	CHECK(has(s, "mysql_info_schema_processlist_processes_by_host{client_host=\"unknown\"} 3\n"));
	CHECK(has(s, "mysql_info_schema_processlist_processes_by_user{mysql_user=\"app\"} 4\n"));
	/* sorted as 0.14: command, then state */
	CHECK(strstr(s, "state=\"sending_data\"} 3") < strstr(s, "state=\"waiting_for_table_metadata_lock\"} 1"));
	buf_done(&out);
}

static void test_perf_collectors(void)
{
	static const char *const ii_cols[] = { "S", "N", "I", "CF", "CI", "CU", "CD", "TF", "TI", "TU", "TD" };
	struct sqlres ii = RES(ii_cols, "shop", "orders", "PRIMARY", "5", "0", "1", "0", "5000000", "0", "1000000", "0",
			       "shop", "orders", "NONE", "1", "7", "0", "0", "2000000000000", "3000000", "0", "0");
	begin();
	CHECK_INT(collector_perf_indexio.parse(&opts, &ii, w), 0);
	const char *s = end();
	CHECK(has(s, "mysql_perf_schema_index_io_waits_total{schema=\"shop\",name=\"orders\",index=\"PRIMARY\",operation=\"fetch\"} 5\n"));
	CHECK(!strstr(s, "index=\"PRIMARY\",operation=\"insert\""));
	CHECK(has(s, "mysql_perf_schema_index_io_waits_total{schema=\"shop\",name=\"orders\",index=\"NONE\",operation=\"insert\"} 7\n"));
	CHECK(has(s, "mysql_perf_schema_index_io_waits_seconds_total{schema=\"shop\",name=\"orders\",index=\"NONE\",operation=\"fetch\"} 2\n"));
	CHECK(has(s, "mysql_perf_schema_index_io_waits_seconds_total{schema=\"shop\",name=\"orders\",index=\"PRIMARY\",operation=\"fetch\"} 5e-06\n") ||
	      has(s, "mysql_perf_schema_index_io_waits_seconds_total{schema=\"shop\",name=\"orders\",index=\"PRIMARY\",operation=\"fetch\"} 0.000005\n"));
	buf_done(&out);

	static const char *const me_cols[] = { "E", "A", "F", "U" };
	struct sqlres me = RES(me_cols, "memory/sql/THD::main_mem_root", "100", "40", "60",
			       "memory/innodb/other", "10", "20", "-10");
	begin();
	CHECK_INT(collector_perf_memory.parse(&opts, &me, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_memory_events_alloc_bytes_total{event_name=\"sql/THD::main_mem_root\"} 100\n"));
	CHECK(has(s, "mysql_perf_schema_memory_events_used_bytes{event_name=\"innodb/other\"} -10\n"));
	CHECK(has(s, "# TYPE mysql_perf_schema_memory_events_used_bytes gauge\n"));
	buf_done(&out);

	static const char *const fe_cols[] = { "E", "CR", "TR", "BR", "CW", "TW", "BW", "CM", "TM" };
	struct sqlres fe = RES(fe_cols, "wait/io/file/innodb/innodb_data_file", "1", "2", "3", "4", "5", "6", "7", "8");
	begin();
	CHECK_INT(collector_perf_file_events.parse(&opts, &fe, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_file_events_total{event_name=\"wait/io/file/innodb/innodb_data_file\",mode=\"misc\"} 7\n"));
	CHECK(has(s, "mysql_perf_schema_file_events_bytes_total{event_name=\"wait/io/file/innodb/innodb_data_file\",mode=\"write\"} 6\n"));
	CHECK(!strstr(s, "bytes_total{event_name=\"wait/io/file/innodb/innodb_data_file\",mode=\"misc\""));
	buf_done(&out);

	/* digest text with a quote, a backslash and a newline is escaped */
	static const char *const st_cols[] = { "S", "D", "T", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12" };
	struct sqlres st = RES(st_cols, "shop", "abc", "SELECT \"x\\\n", "3", "1000000000000", "0", "0", "0", "3", "9",
			       "0", "0", "0", "0", "1");
	begin();
	CHECK_INT(collector_perf_statements.parse(&opts, &st, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_events_statements_total{schema=\"shop\",digest=\"abc\",digest_text=\"SELECT \\\"x\\\\\\n\"} 3\n"));
	CHECK(has(s, "mysql_perf_schema_events_statements_seconds_total{schema=\"shop\",digest=\"abc\",digest_text=\"SELECT \\\"x\\\\\\n\"} 1\n"));
	CHECK(has(s, "mysql_perf_schema_events_statements_rows_examined_total{schema=\"shop\",digest=\"abc\",digest_text=\"SELECT \\\"x\\\\\\n\"} 9\n"));
	buf_done(&out);

	struct server_info mdb = { SERVER_MARIADB, 101105 };
	struct buf q;
	buf_init(&q, 0);
	struct scrape_opts o2 = opts;
	o2.statements_limit = 7;
	o2.digest_text_limit = 33;
	o2.statements_timelimit = 60;
	collector_perf_statements.query(&o2, &mdb, 0, &q);
	CHECK(strstr(q.data, "LEFT(DIGEST_TEXT, 33)") && strstr(q.data, "INTERVAL 60 SECOND") && strstr(q.data, "LIMIT 7"));
	buf_done(&q);
}

/* info_schema.query_response_time: 0.14's histogram rules on canned rows. */
static void test_query_response_time(void)
{
	static const char *const cols[] = { "TIME", "COUNT", "TOTAL" };
	struct sqlres r = RES(cols, "      0.000001", "2", "      0.500000",
			      "      0.000010", "3", "      0.250000",
			      "      1.000000", "0", "      0.000000",
			      "     10.000000", "4", "     12.000000",
			      "TOO LONG", "5", "TOO LONG");
	begin();
	CHECK_INT(collector_query_response_time.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_info_schema_query_response_time_seconds histogram\n"));
	/* cumulative per bound; "TOO LONG" only in _count, its TOTAL adds nothing */
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_bucket{le=\"1e-06\"} 2\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_bucket{le=\"1e-05\"} 5\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_bucket{le=\"1\"} 5\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_bucket{le=\"10\"} 9\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_bucket{le=\"+Inf\"} 14\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_sum 12.75\n"));
	CHECK(has(s, "mysql_info_schema_query_response_time_seconds_count 14\n"));
	buf_done(&out);

	/* query_response_time_stats OFF: the WHERE gives no row, no family */
	struct sqlres none = { .ncols = 3, .names = cols, .nrows = 0 };
	begin();
	CHECK_INT(collector_query_response_time.parse(&opts, &none, w), 0);
	CHECK(!strstr(end(), "query_response_time"));
	buf_done(&out);

	/* more bounds than the plugin can make: refused, nothing written */
	static const char *cells[2 * 3 * 70];
	char times[70][16];
	for (int i = 0; i < 70; i++) {
		snprintf(times[i], sizeof(times[i]), "%d", i + 1);
		cells[3 * i] = times[i];
		cells[3 * i + 1] = "1";
		cells[3 * i + 2] = "1";
	}
	struct sqlres big = { .ncols = 3, .names = cols, .nrows = 70, .cells = cells };
	begin();
	CHECK(collector_query_response_time.parse(&opts, &big, w) < 0);
	CHECK(!strstr(end(), "query_response_time"));
	buf_done(&out);
	CHECK_INT(collector_query_response_time.nodata_sqlerr, 1193);	/* no plugin: nothing to report */
}

/* auto_increment.columns: a FLOAT/DOUBLE column (NULL max) has no _max series. */
static void test_auto_increment(void)
{
	static const char *const cols[] = { "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "AUTO_INCREMENT", "max" };
	struct sqlres r = RES(cols, "shop", "t1", "id", "4", "255",
			      "shop", "t2", "id", "1000", "1.8446744073709552e19",
			      "shop", "t3", "id", "7", NULL);
	begin();
	CHECK_INT(collector_auto_increment.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_info_schema_auto_increment_column gauge\n"));
	CHECK(has(s, "mysql_info_schema_auto_increment_column{schema=\"shop\",table=\"t1\",column=\"id\"} 4\n"));
	CHECK(has(s, "mysql_info_schema_auto_increment_column_max{schema=\"shop\",table=\"t1\",column=\"id\"} 255\n"));
	CHECK(has(s, "mysql_info_schema_auto_increment_column_max{schema=\"shop\",table=\"t2\",column=\"id\"} 1.8446744073709552e+19\n"));
	CHECK(has(s, "mysql_info_schema_auto_increment_column{schema=\"shop\",table=\"t3\",column=\"id\"} 7\n"));
	CHECK(!strstr(s, "mysql_info_schema_auto_increment_column_max{schema=\"shop\",table=\"t3\""));
	buf_done(&out);
}

/* engine_innodb_status: 0.14's two line patterns in InnoDB's monitor text. */
static void test_engine_innodb(void)
{
	static const char *const cols[] = { "Type", "Name", "Status" };
	struct sqlres r = RES(cols, "InnoDB", "",
			      "\n=====\nTRANSACTIONS\n------------\nTrx id counter 75\n"
			      "--------------\nROW OPERATIONS\n--------------\n"
			      "12 queries inside InnoDB, 345 queries in queue\n"
			      "6 read views open inside InnoDB\n"
			      "Process ID=1, Main thread ID=2, state: sleeping\n"
			      "9 read views open inside InnoDB\n");
	begin();
	CHECK_INT(collector_engine_innodb.parse(&opts, &r, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_engine_innodb_queries_inside_innodb gauge\nmysql_engine_innodb_queries_inside_innodb 12\n"));
	CHECK(has(s, "mysql_engine_innodb_queries_in_queue 345\n"));
	CHECK(has(s, "mysql_engine_innodb_read_views_open_inside_innodb 6\n"));	/* the first */
	CHECK(!strstr(s, "open_inside_innodb 9"));
	buf_done(&out);

	/* MariaDB 10.6+: no queries line; a malformed one is no match */
	struct sqlres m = RES(cols, "InnoDB", "",
			      "x queries inside InnoDB, 3 queries in queue\n"
			      "7 queries inside InnoDB, queries in queue\n"
			      "0 read views open inside InnoDB");
	begin();
	CHECK_INT(collector_engine_innodb.parse(&opts, &m, w), 0);
	s = end();
	CHECK(!strstr(s, "queries_in"));
	CHECK(has(s, "mysql_engine_innodb_read_views_open_inside_innodb 0\n"));
	buf_done(&out);
}

/* engine_tokudb_status: 0.14's name sanitizing; info_schema.replica_host's units. */
static void test_tokudb_replica_host(void)
{
	static const char *const tcols[] = { "Type", "Name", "Status" };
	struct sqlres t = RES(tcols, "TokuDB", "cachetable: miss time", "1234",
			      "TokuDB", "le_max_provdel_xr (Commits/Aborts)", "7",
			      "TokuDB", "ft: Promotion: leaf roots split+injected", "3",
			      "TokuDB", "time of engine startup", "Jan 02 03:04:05 2026 GMT",
			      "TokuDB", "db opens", "n/a",
			      "TokuDB", "loader: 99.9% done", "5");
	begin();
	CHECK_INT(collector_engine_tokudb.parse(&opts, &t, w), 0);
	const char *s = end();
	CHECK(has(s, "# TYPE mysql_engine_tokudb_cachetable_miss_time untyped\nmysql_engine_tokudb_cachetable_miss_time 1234\n"));
	CHECK(has(s, "mysql_engine_tokudb_le_max_provdel_xr_commitsandaborts 7\n"));
	CHECK(has(s, "mysql_engine_tokudb_ft_promotion_leaf_roots_splitandinjected 3\n"));
	CHECK(has(s, "mysql_engine_tokudb_time_of_engine_startup 1767323045\n"));
	CHECK(!strstr(s, "db_opens"));		/* not a number */
	CHECK(!strstr(s, "loader"));		/* "99.9%": still no valid name */
	buf_done(&out);

	static const char *const rcols[] = { "SERVER_ID", "ROLE", "CPU", "L", "LAG", "SPEED", "REPLAY" };
	struct sqlres r = RES(rcols, "db-1", "writer", "12.5", "0", "0", "0", "0",
			      "db-2", "reader", "3", "25000", "20", "1.5", "7000");
	begin();
	CHECK_INT(collector_replica_host.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_info_schema_replica_host_cpu_percent{server_id=\"db-1\",role=\"writer\"} 12.5\n"));
	CHECK(has(s, "mysql_info_schema_replica_host_replica_latency_seconds{server_id=\"db-2\",role=\"reader\"} 0.025\n"));
	CHECK(has(s, "mysql_info_schema_replica_host_lag_seconds{server_id=\"db-2\",role=\"reader\"} 0.02\n"));
	CHECK(has(s, "mysql_info_schema_replica_host_log_stream_speed{server_id=\"db-2\",role=\"reader\"} 1.5\n"));
	CHECK(has(s, "mysql_info_schema_replica_host_replay_latency_seconds{server_id=\"db-2\",role=\"reader\"} 0.007\n"));
	buf_done(&out);
	CHECK_INT(collector_replica_host.nodata_sqlerr, 1109);	/* no such table: nothing to report */
	CHECK_INT(collector_engine_tokudb.nodata_sqlerr, 0);	/* no such engine: an error, as 0.14 */
}

/* The rest of 0.14's collectors (issue 13): userstat, tablespaces, mysql.user,
 * statement sums, file instances, slave hosts, the replication tables. */
static void test_collectors014c(void)
{
	static const char *const ucols[] = { "USER", "TOTAL_CONNECTIONS", "CONCURRENT_CONNECTIONS", "BUSY_TIME",
					     "MAX_STATEMENT_TIME_EXCEEDED", "NEW_COLUMN" };
	struct sqlres r = RES(ucols, "app", "7", "2", "0.25", "1", "9", "root", "1", "1", "0.5", "0", "0");
	const char *s;

	begin();
	CHECK_INT(collector_userstats.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "# TYPE mysql_info_schema_user_statistics_total_connections counter\n"));
	CHECK(has(s, "mysql_info_schema_user_statistics_total_connections{user=\"app\"} 7\n"));
	CHECK(has(s, "# TYPE mysql_info_schema_user_statistics_concurrent_connections gauge\n"));
	CHECK(has(s, "mysql_info_schema_user_statistics_busy_seconds_total{user=\"root\"} 0.5\n"));
	/* 0.14 knows MAX_STATEMENT_TIME_EXCEEDED for clients only */
	CHECK(has(s, "# TYPE mysql_info_schema_user_statistics_max_statement_time_exceeded untyped\n"));
	CHECK(has(s, "mysql_info_schema_user_statistics_max_statement_time_exceeded{user=\"app\"} 1\n"));
	CHECK(has(s, "mysql_info_schema_user_statistics_new_column{user=\"root\"} 0\n"));
	buf_done(&out);
	static const char *const ccols[] = { "CLIENT", "MAX_STATEMENT_TIME_EXCEEDED" };
	r = RES(ccols, "localhost", "3");
	begin();
	CHECK_INT(collector_clientstats.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "# TYPE mysql_info_schema_client_statistics_max_statement_time_exceeded_total counter\n"));
	CHECK(has(s, "mysql_info_schema_client_statistics_max_statement_time_exceeded_total{client=\"localhost\"} 3\n"));
	buf_done(&out);
	CHECK_INT(collector_userstats.nodata_sqlerr, 1193);	/* no userstat variable (MySQL): nothing */

	/* slave_hosts: MariaDB's four columns, MySQL's five (UUID or not, as 0.14) */
	static const char *const h4[] = { "Server_id", "Host", "Port", "Master_id" };
	r = RES(h4, "2", "replica1", "3306", "1");
	begin();
	CHECK_INT(collector_slave_hosts.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_heartbeat_mysql_slave_hosts_info{server_id=\"2\",slave_host=\"replica1\",port=\"3306\","
		     "master_id=\"1\",slave_uuid=\"\"} 1\n"));
	buf_done(&out);
	static const char *const h5[] = { "Server_id", "Host", "Port", "Source_id", "Replica_UUID" };
	r = RES(h5, "3", "r3", "3307", "1", "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4", "r4", "3308", "0", "7");
	begin();
	CHECK_INT(collector_slave_hosts.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "{server_id=\"3\",slave_host=\"r3\",port=\"3307\",master_id=\"1\","
		     "slave_uuid=\"3e11fa47-71ca-11e1-9e33-c80aa9429562\"} 1\n"));
	CHECK(has(s, "{server_id=\"4\",slave_host=\"r4\",port=\"3308\",master_id=\"7\",slave_uuid=\"\"} 1\n"));
	buf_done(&out);
	CHECK(slave_hosts_is_uuid("3E11FA47-71CA-11E1-9E33-C80AA9429562"));
	CHECK(slave_hosts_is_uuid("{3e11fa47-71ca-11e1-9e33-c80aa9429562}"));
	CHECK(slave_hosts_is_uuid("urn:uuid:3e11fa47-71ca-11e1-9e33-c80aa9429562"));
	CHECK(slave_hosts_is_uuid("3e11fa4771ca11e19e33c80aa9429562"));
	CHECK(!slave_hosts_is_uuid("3e11fa47-71ca-11e1-9e33-c80aa942956"));
	CHECK(!slave_hosts_is_uuid("3e11fa47x71ca-11e1-9e33-c80aa9429562"));
	CHECK(!slave_hosts_is_uuid("7"));
	CHECK(!slave_hosts_is_uuid(""));

	/* timestamps of replication_applier_status_by_worker */
	CHECK(repl_timestamp("2026-01-02 03:04:05.250000") == 1767323045.25);
	CHECK(repl_timestamp("0000-00-00 00:00:00.000000") == 0);
	CHECK(repl_timestamp("2026-02-30 00:00:00.000000") == 0);
	CHECK(repl_timestamp("2026-01-02 03:04:05") == 0);
	CHECK(repl_timestamp(NULL) == 0);
	static const char *const aw[] = { "CHANNEL_NAME", "WORKER_ID", "a", "b", "c", "d", "e", "f", "g" };
	r = RES(aw, "", "1", "2026-01-02 03:04:05.000000", "0000-00-00 00:00:00.000000", "x", "x", "x", "x",
		"2026-01-02 03:04:06.500000");
	begin();
	CHECK_INT(collector_repl_applier_by_worker.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_last_applied_transaction_original_commit_timestamp_seconds"
		     "{channel_name=\"\",member_id=\"1\"} 1767323045\n"));
	CHECK(has(s, "mysql_perf_schema_last_applied_transaction_immediate_commit_timestamp_seconds"
		     "{channel_name=\"\",member_id=\"1\"} 0\n"));
	CHECK(has(s, "mysql_perf_schema_applying_transaction_start_apply_timestamp_seconds"
		     "{channel_name=\"\",member_id=\"1\"} 1.7673230465e+09\n"));
	buf_done(&out);

	/* group members: every column a label, lower case */
	static const char *const gm[] = { "CHANNEL_NAME", "MEMBER_ID", "MEMBER_STATE" };
	r = RES(gm, "group_replication_applier", "abc", "ONLINE");
	begin();
	CHECK_INT(collector_repl_group_members.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_replication_group_member_info{channel_name=\"group_replication_applier\","
		     "member_id=\"abc\",member_state=\"ONLINE\"} 1\n"));
	buf_done(&out);
	static const char *const gs[] = { "MEMBER_ID", "COUNT_TRANSACTIONS_IN_QUEUE", "COUNT_CONFLICTS_DETECTED" };
	r = RES(gs, "abc", "4", "2");
	begin();
	CHECK_INT(collector_repl_group_member_stats.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "# TYPE mysql_perf_schema_transactions_in_queue gauge\nmysql_perf_schema_transactions_in_queue 4\n"));
	CHECK(has(s, "mysql_perf_schema_conflicts_detected_total 2\n"));
	buf_done(&out);
	r = RES(gs, "abc", "junk", "2");
	begin();
	CHECK_INT(collector_repl_group_member_stats.parse(&opts, &r, w), -EPROTO);	/* as 0.14: an error */
	end();
	buf_done(&out);

	/* mysql.user: limits always, privileges (Y/N only) with the flag */
	static const char *const mu[35] = { "user", "host" };
	const char *row[35];
	row[0] = "app";
	row[1] = "10.%";
	for (int i = 2; i < 31; i++)
		row[i] = i == 2 ? "Y" : i == 3 ? "N" : "?";
	row[31] = "11";
	row[32] = "12";
	row[33] = "13";
	row[34] = "14";
	r = (struct sqlres){ .ncols = 35, .nrows = 1, .names = mu, .cells = row };
	struct scrape_opts po = opts;
	po.user_privileges = true;
	begin();
	CHECK_INT(collector_mysql_user.parse(&po, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_mysql_select_priv{mysql_user=\"app\",hostmask=\"10.%\"} 1\n"));
	CHECK(has(s, "mysql_mysql_insert_priv{mysql_user=\"app\",hostmask=\"10.%\"} 0\n"));
	CHECK(!strstr(s, "mysql_mysql_update_priv"));	/* "?" is skipped, as 0.14 */
	CHECK(has(s, "mysql_mysql_max_questions{mysql_user=\"app\",hostmask=\"10.%\"} 11\n"));
	CHECK(has(s, "mysql_mysql_max_user_connections{mysql_user=\"app\",hostmask=\"10.%\"} 14\n"));
	buf_done(&out);
	begin();
	CHECK_INT(collector_mysql_user.parse(&opts, &r, w), 0);
	s = end();
	CHECK(!strstr(s, "_priv"));
	CHECK(has(s, "mysql_mysql_max_updates{mysql_user=\"app\",hostmask=\"10.%\"} 12\n"));
	buf_done(&out);

	/* file_instances: the filter as a hex literal, the prefix removed */
	struct buf q;
	struct server_info mdb = { SERVER_MARIADB, 101105 };
	po.file_instances_filter = "a'b";
	po.file_instances_remove_prefix = "/var/lib/mysql/";
	buf_init(&q, 0);
	CHECK_INT(collector_perf_file_instances.query(&po, &mdb, 0, &q), 0);
	CHECK(strstr(q.data, "REGEXP CONVERT(X'612762' USING utf8mb4)") != NULL);
	buf_done(&q);
	static const char *const fi[] = { "FILE_NAME", "EVENT_NAME", "CR", "CW", "BR", "BW" };
	r = RES(fi, "/var/lib/mysql/db/t.ibd", "wait/io/file/innodb/innodb_data_file", "1", "2", "16384", "32768",
		"/other/x", "wait/io/file/sql/x", "3", "4", "5", "6");
	begin();
	CHECK_INT(collector_perf_file_instances.parse(&po, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_file_instances_total{file_name=\"db/t.ibd\","
		     "event_name=\"wait/io/file/innodb/innodb_data_file\",mode=\"write\"} 2\n"));
	CHECK(has(s, "mysql_perf_schema_file_instances_bytes{file_name=\"db/t.ibd\","
		     "event_name=\"wait/io/file/innodb/innodb_data_file\",mode=\"read\"} 16384\n"));
	CHECK(has(s, "{file_name=\"/other/x\",event_name=\"wait/io/file/sql/x\",mode=\"read\"} 3\n"));
	buf_done(&out);

	/* statement sums: timer_wait in seconds, lock_time left in picoseconds (as 0.14) */
	static const char *const ss[21] = { "a" };
	const char *sv[21];
	for (int i = 0; i < 21; i++)
		sv[i] = "5";
	sv[4] = "3000000000000";
	sv[19] = "2500000000000";
	r = (struct sqlres){ .ncols = 21, .nrows = 1, .names = ss, .cells = sv };
	begin();
	CHECK_INT(collector_perf_statements_sum.parse(&opts, &r, w), 0);
	s = end();
	CHECK(has(s, "mysql_perf_schema_events_statements_sum_timer_wait 2.5\n"));
	CHECK(has(s, "mysql_perf_schema_events_statements_sum_lock_time 3000000000000\n"));
	CHECK(has(s, "mysql_perf_schema_events_statements_sum_total 5\n"));
	buf_done(&out);

	/* innodb_tablespaces: MariaDB 10.5+ has no SPACE_TYPE: variant 1 reports NONE */
	buf_init(&q, 0);
	CHECK_INT(collector_innodb_tablespaces.query(&opts, &mdb, 1, &q), 0);
	CHECK(strstr(q.data, "'NONE', FILE_SIZE") && strstr(q.data, "`INNODB_SYS_TABLESPACES`"));
	buf_reset(&q);
	struct server_info my8 = { SERVER_MYSQL, 80036 };
	CHECK_INT(collector_innodb_tablespaces.query(&opts, &my8, 0, &q), 0);
	CHECK(strstr(q.data, "IFNULL(SPACE_TYPE, 'NONE')") && strstr(q.data, "`INNODB_TABLESPACES`"));
	buf_done(&q);
}

/* Every collector's SQL is one statement (batched with ';' by the scrape). */
static void test_one_statement_each(void)
{
	struct server_info mdb = { SERVER_MARIADB, 101105 };
	struct buf q;
	buf_init(&q, 0);
	/* 0.14's whole set; on by default: 0.14's six and our nine more (see the man page) */
	static const char *const on[] = {
		"global_status", "global_variables", "slave_status", "info_schema.innodb_metrics",
		"info_schema.processlist", "perf_schema.eventsstatements", "perf_schema.eventswaits",
		"perf_schema.file_events", "perf_schema.tableiowaits", "perf_schema.indexiowaits",
		"perf_schema.tablelocks", "perf_schema.memory_events", "info_schema.innodb_cmp",
		"info_schema.innodb_cmpmem", "info_schema.query_response_time",
	};
	CHECK_INT(collectors_count, 34);
	for (size_t i = 0; i < collectors_count; i++) {
		buf_reset(&q);
		CHECK_INT(collectors[i]->query(&opts, &mdb, 0, &q), 0);
		CHECK(q.len > 0 && !strchr(q.data, ';'));
		bool off = true;
		for (size_t k = 0; k < sizeof(on) / sizeof(on[0]); k++)
			if (!strcmp(collectors[i]->name, on[k]))
				off = false;
		CHECK(collectors[i]->default_on == !off);
	}
	buf_done(&q);
}

static void test_deadline(void)
{
	struct exporter_config cfg = { .conn = { .my_cnf = "/dev/null" }, .timeout_offset = 0.25, .default_timeout = 10 };
	struct exporter *e = exporter_new(&cfg);
	CHECK(e != NULL);
	CHECK_INT(exporter_deadline(e, "5", 1000), 1000 + 4750000000ull);
	CHECK_INT(exporter_deadline(e, NULL, 0), 10000000000ull);
	CHECK_INT(exporter_deadline(e, "junk", 0), 10000000000ull);
	CHECK_INT(exporter_deadline(e, "-1", 0), 10000000000ull);
	/* an offset that would leave nothing is ignored, as in mysqld_exporter */
	CHECK_INT(exporter_deadline(e, "0.2", 0), 200000000ull);
	exporter_free(e);
	exporter_free(NULL);
}

int main(void)
{
	RUN(test_parse_status);
	RUN(test_prom_name);
	RUN(test_global_status);
	RUN(test_global_variables);
	RUN(test_slave_status);
	RUN(test_innodb_metrics);
	RUN(test_processlist);
	RUN(test_perf_collectors);
	RUN(test_query_response_time);
	RUN(test_auto_increment);
	RUN(test_engine_innodb);
	RUN(test_tokudb_replica_host);
	RUN(test_collectors014c);
	RUN(test_one_statement_each);
	RUN(test_deadline);
	return harness_done();
}
