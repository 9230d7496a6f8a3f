#!/bin/bash
# The rest of mysqld_exporter 0.14's collectors (issue 13, third part), each
# against a real MariaDB with the state it reports created first, beside
# Debian's prometheus-mysqld-exporter 0.14 running the same collectors:
#  - info_schema.{userstats,clientstats,tablestats,schemastats}: with
#    userstat OFF, success and no series (both), also when turned OFF after
#    the tables filled (0.14 reads the variable first); ON, a table with three
#    indexes gets 3 INSERTs and 1 UPDATE from app_user: rows_changed 4,
#    rows_changed_x_indexes 12 per table and per schema, app_user's
#    USER_STATISTICS row exactly the server's; MAX_STATEMENT_TIME_EXCEEDED
#    is untyped for users and a counter for clients, as in 0.14;
#  - info_schema.innodb_tablespaces: the table's tablespace with the
#    server's SPACE id and FILE_SIZE (space_type "NONE": MariaDB 10.11 has
#    no SPACE_TYPE column, where 0.14 fails on every scrape);
#  - mysql.user (+ .privileges): an account's four limits and Y/N privileges;
#  - perf_schema.eventsstatementssum: COUNT_STAR's sum between the server's
#    sums read before and after the scrape;
#  - perf_schema.file_instances with .filter and .remove_prefix: only the
#    matching files, the data directory removed from their names, the
#    table's .ibd among them;
#  - slave_hosts and the three replication tables on MariaDB, as 0.14:
#    replication_group_* and replication_applier_status_by_worker fail on
#    every scrape (no such table/column); slave_hosts (with REPLICATION
#    MASTER ADMIN) succeeds with no series when no replica is registered;
#  - every series of these families equals mysqld_exporter's (seriescmp.py)
#    and no family of theirs is missing from ours;
#  - with every collector on, on both sides: ours writes every mysql_* family
#    0.14 writes (coverage 100%), series by series the same.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
# all_of 'COND' ...: every test(1) expression holds
all_of() { local c; for c in "$@"; do eval "[ $c ]" || return 1; done; }
# only NEW on, every collector of our default set off
only() {
	local c
	args=()
	for c in $NEW; do args+=("--collect.$c"); done
	for c in $MY_COLLECTORS; do args+=("--no-collect.$c"); done
}
stop_both() {
	kill "$MYEXP_PID" "$MDE_PID" 2>/dev/null
	wait "$MYEXP_PID" "$MDE_PID" 2>/dev/null
}

NEW="info_schema.userstats info_schema.clientstats info_schema.tablestats info_schema.schemastats
info_schema.innodb_tablespaces mysql.user perf_schema.eventsstatementssum perf_schema.file_instances"
only
args+=(--collect.mysql.user.privileges --collect.perf_schema.file_instances.filter='us13|ibdata'
	--collect.perf_schema.file_instances.remove_prefix="$MARIADB_DIR/data/")
myexp_start "${args[@]}" || exit 1
mysqld_exporter_start "${args[@]}" || exit 1

# ---- userstat OFF (the server's default): success, no series, both ----
USERSTAT="info_schema.userstats info_schema.clientstats info_schema.tablestats info_schema.schemastats"
for i in 1 2; do
	scrape "$MYEXP_URL/metrics" "$d/off-ours.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/off-theirs.prom" >/dev/null
done
pat='collector="collect.info_schema.\(userstats\|clientstats\|tablestats\|schemastats\)"'
check "userstat OFF: the four collectors succeed (ours)" [ "$(grep -c "^mysql_exporter_collector_success{$pat} 1$" "$d/off-ours.prom")" = 4 ]
for who in ours theirs; do
	check "userstat OFF: none counted as an error ($who)" bash -c "! grep -q '^mysql_exporter_scrape_errors_total{$pat}' '$d/off-$who.prom'"
done
for who in ours theirs; do
	check "userstat OFF: no statistics series ($who)" \
		bash -c "! grep -q '^mysql_info_schema_[a-z]*_statistics_' '$d/off-$who.prom'"
done

# ---- the state (the exporters keep running: nothing is cached between scrapes) ----
mariadb_root -e "SET GLOBAL userstat=1;
CREATE DATABASE us13;
GRANT ALL ON us13.* TO 'app_user'@'%';
GRANT ALL ON us13.* TO 'app_user'@'localhost';
GRANT SELECT ON us13.* TO 'exporter'@'localhost';
GRANT SELECT ON us13.* TO 'exporter'@'127.0.0.1';
GRANT SELECT ON mysql.user TO 'exporter'@'localhost';
GRANT SELECT ON mysql.user TO 'exporter'@'127.0.0.1';
GRANT REPLICATION MASTER ADMIN ON *.* TO 'exporter'@'localhost';
GRANT REPLICATION MASTER ADMIN ON *.* TO 'exporter'@'127.0.0.1';
CREATE USER 'lim13'@'10.%' WITH MAX_QUERIES_PER_HOUR 11 MAX_UPDATES_PER_HOUR 12
  MAX_CONNECTIONS_PER_HOUR 13 MAX_USER_CONNECTIONS 14;
GRANT SELECT ON *.* TO 'lim13'@'10.%';" || exit 1
app() { mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" us13 "$@"; }
app -e "CREATE TABLE t (id INT PRIMARY KEY, v INT, w INT, KEY (v), KEY (w));
INSERT INTO t VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);
UPDATE t SET v = 9 WHERE id = 2;
SELECT * FROM t;" >/dev/null || exit 1

srv() { mariadb_root -N -e "$1"; }
logn=$(wc -l <"$MYEXP_LOG")
before=$(srv 'SELECT SUM(COUNT_STAR) FROM performance_schema.events_statements_summary_by_digest')
check "scrape answers 200" [ "$(scrape "$MYEXP_URL/metrics" "$d/ours.prom")" = 200 ]
after=$(srv 'SELECT SUM(COUNT_STAR) FROM performance_schema.events_statements_summary_by_digest')
for c in $NEW; do
	check "collect.$c succeeds" [ "$(mval "$d/ours.prom" mysql_exporter_collector_success collector="collect.$c")" = 1 ]
done
check "no error logged since the grants" bash -c "! tail -n +$((logn + 1)) '$MYEXP_LOG' | grep -qi 'denied\|level=error'"

# userstats: app_user (not connected now) exactly as USER_STATISTICS says
U=mysql_info_schema_user_statistics
for col in SELECT_COMMANDS:select_commands_total ROWS_INSERTED:rows_inserted_total \
	ROWS_UPDATED:rows_updated_total TOTAL_CONNECTIONS:total_connections BYTES_RECEIVED:bytes_received_total; do
	want=$(srv "SELECT ${col%%:*} FROM information_schema.USER_STATISTICS WHERE USER='app_user'")
	check "user_statistics_${col#*:}{app_user} = the server's $want" \
		[ "$(mval "$d/ours.prom" "${U}_${col#*:}" user=app_user)" = "$want" ]
done
check "app_user inserted 3 rows" [ "$(mval "$d/ours.prom" ${U}_rows_inserted_total user=app_user)" = 3 ]
typ() { "$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" "$1" --type; }
check "user concurrent_connections is a gauge" [ "$(typ ${U}_concurrent_connections)" = gauge ]
check "user max_statement_time_exceeded is untyped (0.14 does not know it for users)" \
	[ "$(typ ${U}_max_statement_time_exceeded)" = untyped ]
C=mysql_info_schema_client_statistics
check "client max_statement_time_exceeded_total is a counter" [ "$(typ ${C}_max_statement_time_exceeded_total)" = counter ]
n=$(srv 'SELECT COUNT(*) FROM information_schema.CLIENT_STATISTICS')
check "one client_statistics series per client row ($n)" \
	[ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" ${C}_total_connections --count)" = "$n" ]
# tablestats / schemastats: 3 INSERTs + 1 UPDATE on a table with 3 indexes
T=mysql_info_schema_table_statistics
S=mysql_info_schema_schema_statistics
check "table rows_changed 4" [ "$(mval "$d/ours.prom" ${T}_rows_changed_total schema=us13 table=t)" = 4 ]
check "table rows_changed_x_indexes 12" [ "$(mval "$d/ours.prom" ${T}_rows_changed_x_indexes_total schema=us13 table=t)" = 12 ]
want=$(srv "SELECT ROWS_READ FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA='us13'")
check "table rows_read = the server's $want" [ "$(mval "$d/ours.prom" ${T}_rows_read_total schema=us13 table=t)" = "$want" ]
check "schema rows_changed 4, x_indexes 12" all_of \
	"'$(mval "$d/ours.prom" ${S}_rows_changed_total schema=us13)' = 4" \
	"'$(mval "$d/ours.prom" ${S}_rows_changed_x_indexes_total schema=us13)' = 12"
# innodb_tablespaces
I=mysql_info_schema_innodb_tablespace
read -r space fsize asize < <(srv "SELECT SPACE, FILE_SIZE, ALLOCATED_SIZE FROM information_schema.INNODB_SYS_TABLESPACES WHERE NAME='us13/t'")
check "tablespace us13/t: space_info = SPACE $space (space_type NONE)" \
	[ "$(mval "$d/ours.prom" ${I}_space_info tablespace_name=us13/t space_type=NONE file_format=NONE)" = "$space" ]
check "tablespace us13/t: file_size_bytes = $fsize, allocated_size_bytes = $asize" all_of \
	"'$(mval "$d/ours.prom" ${I}_file_size_bytes tablespace_name=us13/t)' = '$fsize'" \
	"'$(mval "$d/ours.prom" ${I}_allocated_size_bytes tablespace_name=us13/t)' = '$asize'"
n=$(srv 'SELECT COUNT(*) FROM information_schema.INNODB_SYS_TABLESPACES')
check "one space_info per tablespace ($n)" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" ${I}_space_info --count)" = "$n" ]
# mysql.user
M=mysql_mysql
check "lim13@10.%: max_questions 11, max_updates 12, max_connections 13, max_user_connections 14" all_of \
	"'$(mval "$d/ours.prom" ${M}_max_questions mysql_user=lim13 hostmask=10.%)' = 11" \
	"'$(mval "$d/ours.prom" ${M}_max_updates mysql_user=lim13 hostmask=10.%)' = 12" \
	"'$(mval "$d/ours.prom" ${M}_max_connections mysql_user=lim13 hostmask=10.%)' = 13" \
	"'$(mval "$d/ours.prom" ${M}_max_user_connections mysql_user=lim13 hostmask=10.%)' = 14"
check "lim13@10.%: select_priv 1, insert_priv 0" all_of \
	"'$(mval "$d/ours.prom" ${M}_select_priv mysql_user=lim13 hostmask=10.%)' = 1" \
	"'$(mval "$d/ours.prom" ${M}_insert_priv mysql_user=lim13 hostmask=10.%)' = 0"
# eventsstatementssum
v=$(mval "$d/ours.prom" mysql_perf_schema_events_statements_sum_total)
check "events_statements_sum_total between the server's sums ($before <= $v <= $after)" \
	all_of "-n '$v'" "'$before' -le '$v'" "'$v' -le '$after'"
check "events_statements_sum_timer_wait > 0 seconds" "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' \
	"$(mval "$d/ours.prom" mysql_perf_schema_events_statements_sum_timer_wait)"
# file_instances with the filter and the prefix
F=mysql_perf_schema_file_instances_total
grep "^$F{" "$d/ours.prom" | sed 's/.*file_name="\([^"]*\)".*/\1/' | sort -u >"$d/files.txt"
check "file_instances: us13/t.ibd with the data directory removed" grep -qx 'us13/t.ibd' "$d/files.txt"
check "file_instances: only files matching the filter ($(wc -l <"$d/files.txt"))" \
	bash -c "[ -s '$d/files.txt' ] && ! grep -qv 'us13\|ibdata' '$d/files.txt'"
check "file_instances: no name keeps the prefix" bash -c "! grep -q '^$MARIADB_DIR' '$d/files.txt'"

# ---- series by series against mysqld_exporter 0.14 (after both warmed up:
# each one's own reads create TABLE_STATISTICS and file rows) ----
scrape "$MDE_URL/metrics" "$d/warm.prom" >/dev/null
for i in a b; do
	scrape "$MYEXP_URL/metrics" "$d/ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/theirs-$i.prom" >/dev/null
done
check "mysqld_exporter up" [ "$(mval "$d/theirs-a.prom" mysql_up)" = 1 ]
"$PY" "$MYTEST_DIR/seriescmp.py" "$d/ours-a.prom" "$d/theirs-a.prom" "$d/ours-b.prom" "$d/theirs-b.prom" >"$d/series.txt"
rc=$?
check "same series and pinned values as mysqld_exporter ($(tail -n 1 "$d/series.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/series.txt" | head -n 20
"$PY" "$MYTEST_DIR/promcompare.py" "$d/ours-a.prom" "$d/theirs-a.prom" >"$d/types.txt"
rc=$?
check "same types and label names ($(tail -n 1 "$d/types.txt"))" [ $rc = 0 ]
"$PY" "$MYTEST_DIR/promcompare.py" "$d/ours-a.prom" "$d/theirs-a.prom" --report >"$d/fams.txt"
sed -n 's/^only theirs: //p' "$d/fams.txt" | grep '^mysql_' | grep -v '^mysqld_exporter_\|^mysql_exporter_scrape_errors_total' >"$d/missing.txt"
check "no family of theirs missing from ours ($(tr '\n' ' ' <"$d/missing.txt"))" [ ! -s "$d/missing.txt" ]
for f in ${U}_select_commands_total ${U}_max_statement_time_exceeded ${C}_bytes_sent_total ${T}_rows_read_total \
	${S}_rows_changed_total ${M}_max_questions ${M}_select_priv mysql_perf_schema_events_statements_sum_total $F; do
	check "mysqld_exporter has $f too (the comparison saw it)" grep -q "^$f" "$d/theirs-a.prom"
done
check "0.14 fails innodb_tablespaces on MariaDB 10.11 (no SPACE_TYPE column), every scrape" \
	[ "$(mval "$d/theirs-b.prom" mysql_exporter_scrape_errors_total collector=collect.info_schema.innodb_tablespaces)" -ge 3 ]
check "... and has no tablespace series there" bash -c "! grep -q '^${I}_' '$d/theirs-b.prom'"
# userstat OFF again: the tables keep their rows, but 0.14 reads the
# variable first and reports nothing
mariadb_root -N -e "SET GLOBAL userstat=0; SELECT COUNT(*) FROM information_schema.USER_STATISTICS" >"$d/rows.txt" || exit 1
check "userstat OFF again: USER_STATISTICS still has rows ($(cat "$d/rows.txt"))" [ "$(cat "$d/rows.txt")" -gt 0 ]
scrape "$MYEXP_URL/metrics" "$d/off2-ours.prom" >/dev/null
scrape "$MDE_URL/metrics" "$d/off2-theirs.prom" >/dev/null
for who in ours theirs; do
	check "userstat OFF again: no statistics series ($who)" \
		bash -c "! grep -q '^mysql_info_schema_[a-z]*_statistics_' '$d/off2-$who.prom'"
done
check "userstat OFF again: the four collectors succeed (ours)" [ "$(grep -c "^mysql_exporter_collector_success{$pat} 1$" "$d/off2-ours.prom")" = 4 ]
stop_both

# ---- every collector of 0.14 on both sides: coverage of its families ----
# (the issue's measure: of the mysql_* families mysqld_exporter 0.14 writes
# with every collector on, how many ours writes too; a client sleeping so
# that the processlist families have a row on both sides)
"$MYEXP_BIN" --help 2>&1 | grep -oE -- '--\[no-\]collect\.[a-z0-9_.]+' | sed 's/--\[no-\]//' | sort -u >"$d/all.txt"
check "our --help has 0.14's 34 collectors (and 4 boolean options)" [ "$(wc -l <"$d/all.txt")" = 38 ]
args=()
for c in $(cat "$d/all.txt"); do args+=("--$c"); done
myexp_start "${args[@]}" || exit 1
mysqld_exporter_start "${args[@]}" || exit 1
mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -e 'SELECT SLEEP(300)' >/dev/null 2>&1 &
sleeper=$!
on_exit "kill $sleeper 2>/dev/null"
for ((i = 0; i < 300; i++)); do
	[ "$(srv "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='app_user'")" -ge 1 ] && break
	sleep 0.1
done
for i in 1 2; do
	scrape "$MYEXP_URL/metrics" "$d/nx-ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/nx-theirs-$i.prom" >/dev/null
done
fams() { grep -v '^#' "$1" | sed 's/[{ ].*//' | grep '^mysql_' | grep -v '^mysql_exporter_\|^mysqld_exporter_' |
	sed 's/_bucket$\|_sum$\|_count$//' | sort -u; }
fams "$d/nx-theirs-2.prom" >"$d/fams-theirs.txt"
fams "$d/nx-ours-2.prom" >"$d/fams-ours.txt"
nt=$(wc -l <"$d/fams-theirs.txt")
nc=$(comm -12 "$d/fams-theirs.txt" "$d/fams-ours.txt" | wc -l)
echo "# coverage of 0.14's families, every collector on both sides: $nc of $nt"
check "coverage of 0.14's families with every collector on: 100% ($nc of $nt; missing: $(comm -23 "$d/fams-theirs.txt" "$d/fams-ours.txt" | tr '\n' ' '))" \
	all_of "$nt -ge 900" "$nc = $nt"
"$PY" "$MYTEST_DIR/seriescmp.py" "$d/nx-ours-1.prom" "$d/nx-theirs-1.prom" "$d/nx-ours-2.prom" "$d/nx-theirs-2.prom" >"$d/series-all.txt"
rc=$?
check "every collector on: same series and pinned values ($(tail -n 1 "$d/series-all.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/series-all.txt" | head -n 20

# slave_hosts and the replication tables on MariaDB, as 0.14
REPL="perf_schema.replication_group_members perf_schema.replication_group_member_stats
perf_schema.replication_applier_status_by_worker"
f=$d/nx-ours-2.prom
check "ours: the three replication collectors fail" [ "$(grep -c '^mysql_exporter_collector_success{.*replication.*} 0$' "$f")" = 3 ]
check "ours: slave_hosts succeeds (REPLICATION MASTER ADMIN granted, no replica)" \
	[ "$(mval "$f" mysql_exporter_collector_success collector=collect.slave_hosts)" = 1 ]
for who in ours theirs; do
	f=$d/nx-$who-2.prom
	for c in $REPL; do
		check "$who: $c fails on every scrape (scrape_errors_total 2)" \
			[ "$(mval "$f" mysql_exporter_scrape_errors_total collector="collect.$c")" = 2 ]
	done
	check "$who: slave_hosts never counted as an error" \
		[ -z "$(mval "$f" mysql_exporter_scrape_errors_total collector=collect.slave_hosts)" ]
	check "$who: no series from any of them" \
		bash -c "! grep -q '^mysql_perf_schema_replication\|^mysql_perf_schema_transactions_\|^mysql_perf_schema_conflicts\|^mysql_perf_schema_[a-z_]*_transaction_\|^mysql_heartbeat_mysql_slave_hosts' '$f'"
done
check "ours logs why (missing table, missing column)" all_of \
	"$(grep -c "replication_group_members.*doesn't exist" "$MYEXP_LOG") -ge 1" \
	"$(grep -c 'replication_applier_status_by_worker.*Unknown column' "$MYEXP_LOG") -ge 1"

finish
