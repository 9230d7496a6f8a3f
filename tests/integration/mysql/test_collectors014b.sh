#!/bin/bash
# More of mysqld_exporter 0.14's collectors (issue 13, second part), against
# a real MariaDB with the state each one reports created first, beside
# Debian's prometheus-mysqld-exporter 0.14 running the same collectors:
#  - info_schema.query_response_time (on by default, as 0.14): without the
#    plugin, success 1 and no series; with INSTALL SONAME
#    'query_response_time' and query_response_time_stats ON, three 0.3 s
#    sleeps land in the (0.1, 1] bucket exactly as the server's table says,
#    and _count lies between the server's totals read before and after the
#    scrape; stats OFF again: success, no series;
#  - auto_increment.columns: tables with TINYINT UNSIGNED, INT and BIGINT
#    UNSIGNED AUTO_INCREMENT columns give the server's AUTO_INCREMENT and
#    the types' maxima (255, 2^31-1, 2^64-1); an INSERT moves the value;
#  - engine_innodb_status: a transaction holding a consistent snapshot
#    opens a read view; read_views_open_inside_innodb equals the count in
#    SHOW ENGINE INNODB STATUS (MariaDB 10.11 prints no "queries inside
#    InnoDB" line, so, as 0.14, no queries_* series);
#  - info_schema.replica_host (Aurora's table) and engine_tokudb_status
#    (TokuDB) on MariaDB 10.11, as 0.14 there: replica_host succeeds with
#    no series, tokudb fails on every scrape (no such engine) with the
#    server's error logged;
#  - every series of these families equals mysqld_exporter's (seriescmp.py).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1

# ---- info_schema.query_response_time without the plugin: the default set ----
myexp_start || exit 1
for i in 1 2; do scrape "$MYEXP_URL/metrics" "$d/noplugin-$i.prom" >/dev/null; done
check "no plugin: collect.info_schema.query_response_time succeeds (on by default)" \
	[ "$(mval "$d/noplugin-2.prom" mysql_exporter_collector_success collector=collect.info_schema.query_response_time)" = 1 ]
check "no plugin: no query_response_time series" bash -c "! grep -q '^mysql_info_schema_query_response_time' '$d/noplugin-2.prom'"
check "no plugin: last_scrape_error 0" [ "$(mval "$d/noplugin-2.prom" mysql_exporter_last_scrape_error)" = 0 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

# ---- the state: the plugin with its statistics on, AUTO_INCREMENT columns ----
mariadb_root -e "INSTALL SONAME 'query_response_time'; SET GLOBAL query_response_time_stats=ON" || exit 1
mariadb_root -e "CREATE DATABASE ai13;
CREATE TABLE ai13.tiny (id TINYINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT);
INSERT INTO ai13.tiny (v) VALUES (1), (2), (3);
CREATE TABLE ai13.signed (id INT AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=2147483600;
CREATE TABLE ai13.big (n INT, id BIGINT UNSIGNED AUTO_INCREMENT, KEY (id)) AUTO_INCREMENT=1000;
GRANT SELECT ON ai13.* TO 'exporter'@'localhost';
GRANT SELECT ON ai13.* TO 'exporter'@'127.0.0.1';" || exit 1
for i in 1 2 3; do mariadb_root -e 'SELECT SLEEP(0.3)' >/dev/null; done

NEW="info_schema.query_response_time auto_increment.columns engine_innodb_status"
args=()
for c in $NEW; do args+=("--collect.$c"); done
margs=("${args[@]}")
for c in $MY_COLLECTORS; do
	case " $NEW " in *" $c "*) ;; *) args+=("--no-collect.$c") margs+=("--no-collect.$c") ;; esac
done
myexp_start "${args[@]}" || exit 1
mysqld_exporter_start "${margs[@]}" || exit 1

# A read view held open: a consistent snapshot in a transaction left waiting.
mariadb_root -e "START TRANSACTION WITH CONSISTENT SNAPSHOT; SELECT COUNT(*) FROM ai13.tiny; SELECT SLEEP(300)" >/dev/null 2>&1 &
holder=$!
on_exit "kill $holder 2>/dev/null"
views() { mariadb_root -N -e 'SHOW ENGINE INNODB STATUS' | sed 's/\\n/\n/g' | sed -n 's/^\([0-9]*\) read views open inside InnoDB.*/\1/p' | head -n 1; }
for ((i = 0; i < 200; i++)); do
	[ "$(views)" -ge 1 ] 2>/dev/null && break
	sleep 0.1
done

qrt() { mariadb_root -N -e "SELECT $1 FROM INFORMATION_SCHEMA.QUERY_RESPONSE_TIME ${2:-}"; }
# all_of 'COND' ...: every test(1) expression holds
all_of() { local c; for c in "$@"; do eval "[ $c ]" || return 1; done; }
before=$(qrt 'SUM(COUNT)')
check "scrape answers 200" [ "$(scrape "$MYEXP_URL/metrics" "$d/ours.prom")" = 200 ]
after=$(qrt 'SUM(COUNT)')
for c in $NEW; do
	check "collect.$c succeeds" [ "$(mval "$d/ours.prom" mysql_exporter_collector_success collector="collect.$c")" = 1 ]
done
check "no error logged" bash -c "! grep -qi 'denied\|level=error' '$MYEXP_LOG'"
H=mysql_info_schema_query_response_time_seconds
check "query_response_time_seconds is a histogram" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" $H --type)" = histogram ]
n1=$(mval "$d/ours.prom" ${H}_bucket le=1)
n01=$(mval "$d/ours.prom" ${H}_bucket le=0.1)
srv=$(qrt COUNT "WHERE TRIM(TIME) = '1.000000'")
check "the three 0.3 s sleeps: bucket le=1 minus le=0.1 = the server's 1.000000 row ($n1 - $n01 = $srv)" \
	all_of "-n '$n1'" "$((n1 - n01)) = '$srv'" "'$srv' -ge 3"
nb=$(grep -c "^${H}_bucket{" "$d/ours.prom")
srvb=$(qrt 'COUNT(*)' "WHERE TIME <> 'TOO LONG'")
check "one bucket per row but TOO LONG, and +Inf ($nb = $srvb + 1)" [ "$nb" = $((srvb + 1)) ]
cnt=$(mval "$d/ours.prom" ${H}_count)
check "_count between the server's totals before and after ($before <= $cnt <= $after)" \
	all_of "'$before' -le '${cnt:-0}'" "'${cnt:-0}' -le '$after'"
inf=$(mval "$d/ours.prom" ${H}_bucket le=+Inf)
check "+Inf bucket = _count ($inf)" [ "$inf" = "$cnt" ]
sum=$(mval "$d/ours.prom" ${H}_sum)
check "_sum >= 0.9 s (the sleeps) ($sum)" "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.9 else 1)' "$sum"

# ---- auto_increment.columns: the server's AUTO_INCREMENT, the types' maxima ----
A=mysql_info_schema_auto_increment_column
for t in tiny signed big; do
	want=$(mariadb_root -N -e "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA='ai13' AND TABLE_NAME='$t'")
	check "auto_increment_column{ai13.$t} = the server's $want" [ "$(mval "$d/ours.prom" $A schema=ai13 table=$t column=id)" = "$want" ]
done
check "ai13.tiny: next value 4" [ "$(mval "$d/ours.prom" $A schema=ai13 table=tiny column=id)" = 4 ]
check "TINYINT UNSIGNED max 255" [ "$(mval "$d/ours.prom" ${A}_max schema=ai13 table=tiny column=id)" = 255 ]
check "INT max 2147483647" [ "$(mval "$d/ours.prom" ${A}_max schema=ai13 table=signed column=id)" = 2147483647 ]
check "BIGINT UNSIGNED max 2^64-1 (as a double)" \
	float_eq "$(mval "$d/ours.prom" ${A}_max schema=ai13 table=big column=id)" 18446744073709551615 0
check "the exporter sees only tables it has a privilege on (no orders_db)" \
	[ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" $A schema=orders_db --count)" = 0 ]
mariadb_root -e "INSERT INTO ai13.signed VALUES (); INSERT INTO ai13.signed VALUES ()" || exit 1
scrape "$MYEXP_URL/metrics" "$d/ours-ai.prom" >/dev/null
check "two INSERTs: ai13.signed at 2147483602" [ "$(mval "$d/ours-ai.prom" $A schema=ai13 table=signed column=id)" = 2147483602 ]

# ---- engine_innodb_status: the snapshot's read view ----
v0=$(views)
scrape "$MYEXP_URL/metrics" "$d/ours-ei.prom" >/dev/null
v1=$(views)
E=mysql_engine_innodb_read_views_open_inside_innodb
v=$(mval "$d/ours-ei.prom" $E)
check "read views: the held snapshot is counted ($v0 >= 1)" [ "${v0:-0}" -ge 1 ]
check "read_views_open_inside_innodb = SHOW ENGINE INNODB STATUS's ($v = $v0 = $v1)" all_of "'$v' = '$v0'" "'$v0' = '$v1'"
check "no queries_inside_innodb on MariaDB 10.11 (no such line)" bash -c "! grep -q '^mysql_engine_innodb_queries' '$d/ours-ei.prom'"

# ---- series by series against mysqld_exporter 0.14 ----
for i in a b; do
	scrape "$MYEXP_URL/metrics" "$d/ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/theirs-$i.prom" >/dev/null
done
check "mysqld_exporter up" [ "$(mval "$d/theirs-a.prom" mysql_up)" = 1 ]
"$PY" "$MYTEST_DIR/seriescmp.py" "$d/ours-a.prom" "$d/theirs-a.prom" "$d/ours-b.prom" "$d/theirs-b.prom" >"$d/series.txt"
rc=$?
check "same series and pinned values as mysqld_exporter ($(tail -n 1 "$d/series.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/series.txt" | head -n 20
"$PY" "$MYTEST_DIR/promcompare.py" "$d/ours-a.prom" "$d/theirs-a.prom" --report >"$d/fams.txt"
sed -n 's/^only theirs: //p' "$d/fams.txt" | grep '^mysql_' | grep -v '^mysqld_exporter_\|^mysql_exporter_scrape_errors_total' >"$d/missing.txt"
check "no family of theirs missing from ours ($(tr '\n' ' ' <"$d/missing.txt"))" [ ! -s "$d/missing.txt" ]
for f in ${H}_bucket $A ${A}_max $E; do
	check "mysqld_exporter has $f too (the comparison saw it)" grep -q "^$f" "$d/theirs-a.prom"
done

# ---- statistics off again: success, no series (0.14 reads the variable first) ----
mariadb_root -e 'SET GLOBAL query_response_time_stats=OFF' || exit 1
scrape "$MYEXP_URL/metrics" "$d/off.prom" >/dev/null
scrape "$MDE_URL/metrics" "$d/off-theirs.prom" >/dev/null
check "stats OFF: success 1" [ "$(mval "$d/off.prom" mysql_exporter_collector_success collector=collect.info_schema.query_response_time)" = 1 ]
check "stats OFF: no series (ours)" bash -c "! grep -q '^$H' '$d/off.prom'"
check "stats OFF: no series (mysqld_exporter's either)" bash -c "! grep -q '^$H' '$d/off-theirs.prom'"

# ---- info_schema.replica_host and engine_tokudb_status on MariaDB, as 0.14 ----
NEW="info_schema.replica_host engine_tokudb_status"
args=()
for c in $NEW; do args+=("--collect.$c"); done
for c in $MY_COLLECTORS; do args+=("--no-collect.$c"); done
myexp_start "${args[@]}" || exit 1
mysqld_exporter_start "${args[@]}" || exit 1
for i in 1 2; do
	scrape "$MYEXP_URL/metrics" "$d/nx-ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/nx-theirs-$i.prom" >/dev/null
done
# (0.14 has no mysql_exporter_collector_success: its scrape_errors_total tells)
f=$d/nx-ours-2.prom
check "ours: replica_host succeeds (no such table: nothing to report)" \
	[ "$(mval "$f" mysql_exporter_collector_success collector=collect.info_schema.replica_host)" = 1 ]
check "ours: engine_tokudb_status fails (no TokuDB)" \
	[ "$(mval "$f" mysql_exporter_collector_success collector=collect.engine_tokudb_status)" = 0 ]
for who in ours theirs; do
	f=$d/nx-$who-2.prom
	check "$who: replica_host never counted as an error" \
		[ -z "$(mval "$f" mysql_exporter_scrape_errors_total collector=collect.info_schema.replica_host)" ]
	check "$who: no replica_host series" bash -c "! grep -q '^mysql_info_schema_replica_host' '$f'"
	check "$who: engine_tokudb_status fails on every scrape (scrape_errors_total 2)" \
		[ "$(mval "$f" mysql_exporter_scrape_errors_total collector=collect.engine_tokudb_status)" = 2 ]
	check "$who: last_scrape_error 1" [ "$(mval "$f" mysql_exporter_last_scrape_error)" = 1 ]
done
check "ours logs the server's error naming the scraper" \
	grep -q 'scraper="\{0,1\}engine_tokudb_status.*Unknown storage engine' "$MYEXP_LOG"

finish
