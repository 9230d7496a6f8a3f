#!/bin/bash
# mysql-exporter with the packaged my.cnf still holding CHANGE_ME (issue 11):
# it keeps running and serving, /metrics answers 200 with mysql_up 0, the
# placeholders are said once at error level at start (not at every scrape),
# no login is tried with them (MariaDB's Aborted_connects does not move),
# SIGHUP logs Reloading and the outcome, and once the file is filled in the
# next scrape reports mysql_up 1 from the same process.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load --no-seed || exit 1
cnf=$d/my.cnf
sed 's/^password *=.*/password = CHANGE_ME/' "$MARIADB_DIR/exporter.cnf" >"$cnf"
grep -q '^password = CHANGE_ME$' "$cnf" || { fail "placeholder my.cnf written"; finish; }
aborted() { mariadb_root -N -e "SHOW GLOBAL STATUS LIKE 'Aborted_connects'" | cut -f2; }
a0=$(aborted)

myexp_start --config.my-cnf="$cnf" || exit 1
for i in 1 2 3; do
	code=$(scrape "$MYEXP_URL/metrics" "$d/m$i.prom")
	check "scrape $i: 200" [ "$code" = 200 ]
	check "scrape $i: mysql_up 0" [ "$(mval "$d/m$i.prom" mysql_up)" = 0 ]
done
check "still running" kill -0 "$MYEXP_PID"
check "the placeholder line, once, at error" \
	[ "$(grep -c "level=error msg=\"database credentials are placeholders (CHANGE_ME): edit them, then systemctl reload mysql-exporter; mysql_up is 0 until then\" file=$cnf option=password" "$MYEXP_LOG")" = 1 ]
check "no per-scrape connection error" bash -c "! grep -q 'Error connecting to mysqld' '$MYEXP_LOG'"
check "no login tried with the placeholders (Aborted_connects $a0 -> $(aborted))" [ "$(aborted)" = "$a0" ]

kill -HUP "$MYEXP_PID"
for ((i = 0; i < 50; i++)); do grep -q 'Reload failed' "$MYEXP_LOG" && break; sleep 0.1; done
check "SIGHUP: Reloading" grep -q 'level=info msg=Reloading name=mysql-exporter signal=SIGHUP' "$MYEXP_LOG"
check "SIGHUP: Reload failed, with the reason" \
	grep -q "level=error msg=\"Reload failed\" name=mysql-exporter err=\"database credentials in $cnf are still placeholders (CHANGE_ME)\"" "$MYEXP_LOG"

# filled in: the next scrape connects (the file is read at every connect)
cp "$MARIADB_DIR/exporter.cnf" "$cnf"
code=$(scrape "$MYEXP_URL/metrics" "$d/ok.prom")
check "after the edit: 200" [ "$code" = 200 ]
check "after the edit: mysql_up 1" [ "$(mval "$d/ok.prom" mysql_up)" = 1 ]
kill -HUP "$MYEXP_PID"
for ((i = 0; i < 50; i++)); do grep -q 'msg=Reloaded' "$MYEXP_LOG" && break; sleep 0.1; done
check "SIGHUP: Reloaded" grep -q 'level=info msg=Reloaded name=mysql-exporter' "$MYEXP_LOG"
check "same process" kill -0 "$MYEXP_PID"
kill -TERM "$MYEXP_PID"; wait "$MYEXP_PID"; rc=$?
check "exits 0 at SIGTERM" [ "$rc" = 0 ]
finish
