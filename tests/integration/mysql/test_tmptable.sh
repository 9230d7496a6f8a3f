#!/bin/bash
# mysql-exporter's cheaper SHOW GLOBAL STATUS / VARIABLES on MariaDB
# (global_status.c): "SET STATEMENT tmp_memory_table_size=0 FOR SHOW ..."
#  - is off by default (plain statements, no Created_tmp_disk_tables);
#  - with --exporter.disk_tmp_tables is what the server runs (slow log with
#    long_query_time=0);
#  - with --exporter.log_slow_filter the scrapes still stay out of the slow
#    log although their temporary table is now on disk;
#  - it adds 2 to Created_tmp_disk_tables per scrape, which
#    --no-exporter.disk_tmp_tables avoids (plain statements);
#  - when the server refuses it (here: its tmpdir is gone, so no on-disk
#    temporary table can be made) the collectors fall back to the plain
#    statements in the same scrape and succeed, with the same metrics.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mkdir -p "$d/tmp"
MARIADB_EXTRA_ARGS="--tmpdir=$d/tmp" mariadb_start "$d/db" || exit 1
mariadb_load --no-seed || exit 1
status_only=(--collect.global_status --collect.global_variables --collect.slave_status
	--no-collect.info_schema.innodb_metrics --no-collect.info_schema.processlist
	--no-collect.perf_schema.eventsstatements --no-collect.perf_schema.eventswaits
	--no-collect.perf_schema.file_events --no-collect.perf_schema.tableiowaits
	--no-collect.perf_schema.indexiowaits --no-collect.perf_schema.tablelocks
	--no-collect.perf_schema.memory_events)

mariadb_root -e "SET GLOBAL slow_query_log_file='$d/slow.log', long_query_time=0, log_slow_filter=DEFAULT, slow_query_log=ON"

# ---- the cheaper form is what runs when asked for ----
myexp_start "${status_only[@]}" --exporter.disk_tmp_tables || exit 1
scrape "$MYEXP_URL/metrics" "$d/a.prom" >/dev/null
check "scrape ok: mysql_up 1" [ "$(mval "$d/a.prom" mysql_up)" = 1 ]
check "slow log shows SET STATEMENT tmp_memory_table_size=0 FOR SHOW GLOBAL STATUS" \
	grep -q "SET STATEMENT tmp_memory_table_size=0 FOR SHOW GLOBAL STATUS" "$d/slow.log"
check "slow log shows SET STATEMENT tmp_memory_table_size=0 FOR SHOW GLOBAL VARIABLES" \
	grep -q "SET STATEMENT tmp_memory_table_size=0 FOR SHOW GLOBAL VARIABLES" "$d/slow.log"
check "global_status and global_variables succeed" \
	[ "$(mval "$d/a.prom" mysql_exporter_collector_success collector=collect.global_status)$(mval "$d/a.prom" mysql_exporter_collector_success collector=collect.global_variables)" = 11 ]
n_status=$(grep -c '^mysql_global_status_' "$d/a.prom")
n_vars=$(grep -c '^mysql_global_variables_' "$d/a.prom")
scrape "$MYEXP_URL/metrics" "$d/a2.prom" >/dev/null
t1=$(mval "$d/a.prom" mysql_global_status_created_tmp_disk_tables)
t2=$(mval "$d/a2.prom" mysql_global_status_created_tmp_disk_tables)
check "the side effect: a scrape adds 2 Created_tmp_disk_tables ($t1 -> $t2)" [ "$((t2 - t1))" = 2 ]
check "status and variables samples ($n_status, $n_vars)" [ "$n_status" -gt 300 -a "$n_vars" -gt 300 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

# ---- --exporter.log_slow_filter keeps them out of the slow log ----
: >"$d/slow.log"
mariadb_root -e "FLUSH SLOW LOGS"
myexp_start "${status_only[@]}" --exporter.disk_tmp_tables --exporter.log_slow_filter || exit 1
scrape "$MYEXP_URL/metrics" "$d/b.prom" >/dev/null
scrape "$MYEXP_URL/metrics" "$d/b.prom" >/dev/null
check "log_slow_filter: mysql_up 1" [ "$(mval "$d/b.prom" mysql_up)" = 1 ]
check "log_slow_filter: collectors succeed" \
	[ "$(mval "$d/b.prom" mysql_exporter_collector_success collector=collect.global_status)$(mval "$d/b.prom" mysql_exporter_collector_success collector=collect.global_variables)" = 11 ]
check "log_slow_filter: no scrape statement in the slow log" bash -c "! grep -q 'SHOW GLOBAL' '$d/slow.log'"
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

# ---- by default and with --no-exporter.disk_tmp_tables: the plain statements, no disk tables ----
for opt in "" --no-exporter.disk_tmp_tables; do
	what=${opt:-default}
	: >"$d/slow.log"
	mariadb_root -e "FLUSH SLOW LOGS"
	myexp_start "${status_only[@]}" $opt || exit 1
	scrape "$MYEXP_URL/metrics" "$d/n1.prom" >/dev/null
	scrape "$MYEXP_URL/metrics" "$d/n2.prom" >/dev/null
	check "$what: collectors succeed" \
		[ "$(mval "$d/n2.prom" mysql_exporter_collector_success collector=collect.global_status)$(mval "$d/n2.prom" mysql_exporter_collector_success collector=collect.global_variables)" = 11 ]
	check "$what: plain SHOW GLOBAL STATUS in the slow log" grep -q "^SHOW GLOBAL STATUS" "$d/slow.log"
	check "$what: no SET STATEMENT" bash -c "! grep -q 'SET STATEMENT' '$d/slow.log'"
	t1=$(mval "$d/n1.prom" mysql_global_status_created_tmp_disk_tables)
	t2=$(mval "$d/n2.prom" mysql_global_status_created_tmp_disk_tables)
	check "$what: a scrape adds no Created_tmp_disk_tables ($t1 -> $t2)" [ "$t1" = "$t2" ]
	kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
done

# ---- the server refuses the on-disk temporary table: plain statements ----
mariadb_root -e "SET GLOBAL slow_query_log=OFF"
rm -rf "$d/tmp"
check "the server now refuses it" bash -c "! mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' -e 'SET STATEMENT tmp_memory_table_size=0 FOR SHOW GLOBAL STATUS' >/dev/null 2>&1"
myexp_start "${status_only[@]}" --exporter.disk_tmp_tables || exit 1
scrape "$MYEXP_URL/metrics" "$d/c.prom" >/dev/null
check "fallback: mysql_up 1" [ "$(mval "$d/c.prom" mysql_up)" = 1 ]
check "fallback: global_status and global_variables succeed in the same scrape" \
	[ "$(mval "$d/c.prom" mysql_exporter_collector_success collector=collect.global_status)$(mval "$d/c.prom" mysql_exporter_collector_success collector=collect.global_variables)" = 11 ]
check "fallback: no scrape error" [ "$(mval "$d/c.prom" mysql_exporter_last_scrape_error)" = 0 ]
check "fallback: same status families ($(grep -c '^mysql_global_status_' "$d/c.prom") vs $n_status)" \
	[ "$(grep -c '^mysql_global_status_' "$d/c.prom")" = "$n_status" ]
check "fallback: same variables ($(grep -c '^mysql_global_variables_' "$d/c.prom") vs $n_vars)" \
	[ "$(grep -c '^mysql_global_variables_' "$d/c.prom")" = "$n_vars" ]
scrape "$MYEXP_URL/metrics" "$d/c2.prom" >/dev/null
check "fallback: the next scrape too" \
	[ "$(mval "$d/c2.prom" mysql_exporter_collector_success collector=collect.global_status)" = 1 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
check "no sanitizer report" bash -c "! grep -q Sanitizer '$MYEXP_LOG'"

finish
