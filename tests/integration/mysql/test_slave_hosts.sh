#!/bin/bash
# slave_hosts (issue 13) with a real replica: a second MariaDB replicates
# from the first (binary log on, server_id 1); once SHOW SLAVE HOSTS on the
# primary lists it, both mysql-exporter and Debian's mysqld_exporter 0.14
# report it as
#   mysql_heartbeat_mysql_slave_hosts_info{server_id="2",slave_host="replica13",
#     port="<its report_port>",master_id="1",slave_uuid=""} 1
# (MariaDB's four columns: no UUID), series by series the same.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
MARIADB_EXTRA_ARGS="--log-bin=mysql-bin --server-id=1" mariadb_start "$d/primary" || exit 1
mariadb_load || exit 1
mariadb_root -e "CREATE USER 'repl13'@'127.0.0.1' IDENTIFIED BY 'repl13pw';
GRANT REPLICATION SLAVE ON *.* TO 'repl13'@'127.0.0.1';
GRANT REPLICATION MASTER ADMIN ON *.* TO 'exporter'@'localhost';
GRANT REPLICATION MASTER ADMIN ON *.* TO 'exporter'@'127.0.0.1';" || exit 1
P_DIR=$MARIADB_DIR P_SOCKET=$MARIADB_SOCKET P_PORT=$MARIADB_PORT P_PID=$MARIADB_PID

# the replica: its own instance, reporting host and port to the primary
rport=$(free_port)
unset MARIADB_PORT
MARIADB_EXTRA_ARGS="--server-id=2 --report-host=replica13 --report-port=$rport" mariadb_start "$d/replica" || exit 1
mariadb_root -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P_PORT,
  MASTER_USER='repl13', MASTER_PASSWORD='repl13pw', MASTER_USE_GTID=no; START SLAVE;" || exit 1
R_DIR=$MARIADB_DIR
MARIADB_DIR=$P_DIR MARIADB_SOCKET=$P_SOCKET MARIADB_PORT=$P_PORT MARIADB_PID=$P_PID
hosts() { mariadb_root -N -e 'SHOW SLAVE HOSTS'; }
for ((i = 0; i < 600; i++)); do
	[ -n "$(hosts)" ] && break
	sleep 0.1
done
check "the primary lists the replica ($(hosts | tr '\t' ' '))" [ -n "$(hosts)" ]

args=(--collect.slave_hosts)
for c in $MY_COLLECTORS; do args+=("--no-collect.$c"); done
myexp_start "${args[@]}" || exit 1
mysqld_exporter_start "${args[@]}" || exit 1
for i in a b; do
	scrape "$MYEXP_URL/metrics" "$d/ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/theirs-$i.prom" >/dev/null
done
H=mysql_heartbeat_mysql_slave_hosts_info
check "slave_hosts succeeds" [ "$(mval "$d/ours-a.prom" mysql_exporter_collector_success collector=collect.slave_hosts)" = 1 ]
check "the replica: server_id 2, replica13:$rport, master_id 1, no UUID on MariaDB" \
	[ "$(mval "$d/ours-a.prom" $H server_id=2 slave_host=replica13 port=$rport master_id=1 slave_uuid=)" = 1 ]
check "one series per replica (1)" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours-a.prom" $H --count)" = 1 ]
check "mysqld_exporter reports it too" grep -q "^$H{" "$d/theirs-a.prom"
"$PY" "$MYTEST_DIR/seriescmp.py" "$d/ours-a.prom" "$d/theirs-a.prom" "$d/ours-b.prom" "$d/theirs-b.prom" >"$d/series.txt"
rc=$?
check "same series as mysqld_exporter ($(tail -n 1 "$d/series.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/series.txt" | head -n 5
finish
