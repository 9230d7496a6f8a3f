#!/bin/bash
# The exporter account of db/grants.sql is the least set that lets every
# collector succeed on MariaDB 10.11: each of its privileges is needed by
# some collector (removing it fails exactly those collectors, and the scrape
# still serves the others: the batch goes on after a failed statement), the
# account has a bounded MAX_USER_CONNECTIONS and cannot read orders_db.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
gen_load

grants=$(mariadb_root -N -e "SHOW GRANTS FOR 'exporter'@'localhost'")
echo "$grants"
check "db/grants.sql gives exactly PROCESS, SLAVE MONITOR globally" bash -c "echo \"\$1\" | grep -q 'GRANT PROCESS, SLAVE MONITOR ON \*\.\* TO'" _ "$grants"
check "db/grants.sql gives SELECT on performance_schema only" bash -c "[ \"\$(echo \"\$1\" | grep -c '^GRANT')\" = 2 ] && echo \"\$1\" | grep -q 'GRANT SELECT ON .performance_schema.\.\*'" _ "$grants"
check "exporter has a bounded MAX_USER_CONNECTIONS" bash -c "echo \"\$1\" | grep -q 'MAX_USER_CONNECTIONS [1-9]'" _ "$grants"
check "exporter has no privilege on orders_db" bash -c "! echo \"\$1\" | grep -qi 'orders_db'" _ "$grants"
check "exporter cannot read orders" bash -c "! mariadb --defaults-file='$MARIADB_DIR/exporter.cnf' -e 'SELECT * FROM orders_db.orders' 2>/dev/null"

# successes FILE -> "collector=0/1 ..." sorted
successes() {
	grep '^mysql_exporter_collector_success{' "$1" | sed 's/.*collector="collect\.\([^"]*\)"} \(.*\)/\1=\2/' | sort | tr '\n' ' '
}

# variant USER PRIVS...: an account with exactly these grants, scraped once
variant() {
	local user=$1 g
	shift
	mariadb_root -e "DROP USER IF EXISTS '$user'@'localhost'; CREATE USER '$user'@'localhost' IDENTIFIED BY 'pw-$user' WITH MAX_USER_CONNECTIONS 3;"
	for g in "$@"; do mariadb_root -e "GRANT $g TO '$user'@'localhost'"; done
	printf '[client]\nuser=%s\npassword=pw-%s\nhost=127.0.0.1\nport=%s\n' "$user" "$user" "$MARIADB_PORT" >"$d/$user.cnf"
	myexp_start --config.my-cnf="$d/$user.cnf" || return 1
	scrape "$MYEXP_URL/metrics" "$d/$user.prom" >/dev/null
	kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
	successes "$d/$user.prom"
}

all_ok=$(variant x_all "PROCESS, SLAVE MONITOR ON *.*" "SELECT ON performance_schema.*")
echo "# PROCESS, SLAVE MONITOR, SELECT ON performance_schema.*: $all_ok"
check "PROCESS + SLAVE MONITOR + SELECT ON performance_schema.* suffice" bash -c "! echo '$all_ok' | grep -q '=0'"
check "... for all $(echo $MY_COLLECTORS | wc -w) collectors" [ "$(echo "$all_ok" | wc -w)" = "$(echo $MY_COLLECTORS | wc -w)" ]

s=$(variant x_noslave "PROCESS ON *.*" "SELECT ON performance_schema.*")
echo "# without SLAVE MONITOR: $s"
check "without SLAVE MONITOR (REPLICATION CLIENT is not enough) slave_status fails" bash -c "echo '$s' | grep -q 'slave_status=0'"
check "without SLAVE MONITOR the other collectors still succeed" [ "$(echo "$s" | tr ' ' '\n' | grep -c '=1$')" = $(($(echo $MY_COLLECTORS | wc -w) - 1)) ]
s=$(variant x_replclient "PROCESS, REPLICATION CLIENT ON *.*" "SELECT ON performance_schema.*")
check "REPLICATION CLIENT instead of SLAVE MONITOR: slave_status still fails" bash -c "echo '$s' | grep -q 'slave_status=0'"

s=$(variant x_noprocess "SLAVE MONITOR ON *.*" "SELECT ON performance_schema.*")
echo "# without PROCESS: $s"
check "without PROCESS innodb_metrics fails" bash -c "echo '$s' | grep -q 'info_schema.innodb_metrics=0'"
check "without PROCESS innodb_cmp and innodb_cmpmem fail" bash -c "echo '$s' | grep -q 'info_schema.innodb_cmp=0' && echo '$s' | grep -q 'info_schema.innodb_cmpmem=0'"
check "without PROCESS the rest succeed" [ "$(echo "$s" | tr ' ' '\n' | grep -c '=1$')" = $(($(echo $MY_COLLECTORS | wc -w) - 3)) ]

s=$(variant x_nops "PROCESS, SLAVE MONITOR ON *.*")
echo "# without SELECT ON performance_schema: $s"
check "without SELECT ON performance_schema.* the 7 perf_schema collectors fail" [ "$(echo "$s" | tr ' ' '\n' | grep -c '^perf_schema.*=0$')" = 7 ]
check "... and the others succeed" [ "$(echo "$s" | tr ' ' '\n' | grep -c '=1$')" = $(($(echo $MY_COLLECTORS | wc -w) - 7)) ]
check "... and the scrape says so" [ "$(mval "$d/x_nops.prom" mysql_exporter_last_scrape_error)" = 1 -a "$(mval "$d/x_nops.prom" mysql_up)" = 1 ]
check "... and counts the errors per collector" [ "$(mval "$d/x_nops.prom" mysql_exporter_scrape_errors_total collector=collect.perf_schema.memory_events)" = 1 ]

finish
