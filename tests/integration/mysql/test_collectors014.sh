#!/bin/bash
# The collectors added for mysqld_exporter 0.14 parity (issue 13), against
# a real MariaDB with the state each one reports created first, beside
# Debian's prometheus-mysqld-exporter 0.14 running the same collectors:
#  - info_schema.innodb_cmp / innodb_cmpmem: a ROW_FORMAT=COMPRESSED table
#    is written, so compress_ops counts; values equal the server's rows;
#  - binlog_size: the server runs with log_bin; sizes and file numbers equal
#    SHOW BINARY LOGS, and FLUSH BINARY LOGS adds a file; a server without a
#    binary log gives success 1 and no series (as 0.14);
#  - info_schema.tables: rows and sizes equal information_schema.TABLES;
#    --collect.info_schema.tables.databases filters; a bad list exits 2;
#  - heartbeat: a pt-heartbeat row 7 s old gives stored/now timestamps;
#  - the mysqld mixin's metric names listed in mysql-exporter(8) are exported;
#  - info_schema.processlist: a sleeping connection shows in the by-user,
#    by-host and seconds families;
#  - every series of these families equals mysqld_exporter's (seriescmp.py).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
MARIADB_EXTRA_ARGS="--log-bin=mysql-bin --server-id=1" mariadb_start "$d/db" || exit 1
mariadb_load || exit 1

# The state: a compressed table with rows, visible to the exporter (it has
# no privilege on orders_db), and the binlog privilege 0.14's README asks for.
mariadb_root -e "CREATE DATABASE cmp13;
CREATE TABLE cmp13.z (id INT PRIMARY KEY AUTO_INCREMENT, pad VARCHAR(200)) ENGINE=InnoDB ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=4;
INSERT INTO cmp13.z (pad) SELECT REPEAT('x', 150) FROM mysql.seq_1_to_2000;
CREATE TABLE cmp13.plain (id INT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO cmp13.plain SELECT seq FROM mysql.seq_1_to_10;
ANALYZE TABLE cmp13.z, cmp13.plain;
GRANT SELECT ON cmp13.* TO 'exporter'@'localhost';
GRANT SELECT ON cmp13.* TO 'exporter'@'127.0.0.1';
GRANT BINLOG MONITOR ON *.* TO 'exporter'@'localhost';
GRANT BINLOG MONITOR ON *.* TO 'exporter'@'127.0.0.1';
CREATE DATABASE heartbeat;
CREATE TABLE heartbeat.heartbeat (ts VARCHAR(26) NOT NULL, server_id INT UNSIGNED NOT NULL PRIMARY KEY);
INSERT INTO heartbeat.heartbeat VALUES (DATE_FORMAT(NOW(6) - INTERVAL 7 SECOND, '%Y-%m-%dT%H:%i:%s.%f'), 1);
GRANT SELECT ON heartbeat.* TO 'exporter'@'localhost';
GRANT SELECT ON heartbeat.* TO 'exporter'@'127.0.0.1';" >/dev/null || exit 1

NEW="binlog_size info_schema.innodb_cmp info_schema.innodb_cmpmem info_schema.tables info_schema.processlist heartbeat"
args=()
for c in $NEW; do args+=("--collect.$c"); done
myexp_start "${args[@]}" || exit 1
# Theirs: the same collectors and nothing else.
margs=("${args[@]}")
for c in $MY_COLLECTORS; do
	case " $NEW " in *" $c "*) ;; *) margs+=("--no-collect.$c") ;; esac
done
mysqld_exporter_start "${margs[@]}" || exit 1

# A sleeping connection of app_user for the processlist families.
mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -e 'SELECT SLEEP(300)' >/dev/null 2>&1 &
sleeper=$!
on_exit "kill $sleeper 2>/dev/null"
for ((i = 0; i < 200; i++)); do
	[ "$(mariadb_root -N -e "SELECT COUNT(*) FROM information_schema.processlist WHERE user='app_user' AND TIME >= 1 AND info LIKE 'SELECT SLEEP(300)%'")" -ge 1 ] && break
	sleep 0.1
done

check "scrape answers 200" [ "$(scrape "$MYEXP_URL/metrics" "$d/ours.prom")" = 200 ]
for c in $NEW; do
	check "collect.$c succeeds" [ "$(mval "$d/ours.prom" mysql_exporter_collector_success collector="collect.$c")" = 1 ]
done
check "no error logged" bash -c "! grep -qi 'denied\|level=error' '$MYEXP_LOG'"

# ---- info_schema.innodb_cmp / cmpmem: equal to the server's rows ----
read -r ops ok <<<"$(mariadb_root -N -e "SELECT compress_ops, compress_ops_ok FROM information_schema.innodb_cmp WHERE page_size=4096")"
check "the compressed table compressed pages (compress_ops $ops)" [ "${ops:-0}" -gt 0 ]
check "innodb_cmp_compress_ops_total{page_size=4096} = $ops" \
	[ "$(mval "$d/ours.prom" mysql_info_schema_innodb_cmp_compress_ops_total page_size=4096)" = "$ops" ]
check "innodb_cmp_compress_ops_ok_total{page_size=4096} = $ok" \
	[ "$(mval "$d/ours.prom" mysql_info_schema_innodb_cmp_compress_ops_ok_total page_size=4096)" = "$ok" ]
check "innodb_cmp: one series per page size (5)" \
	[ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" mysql_info_schema_innodb_cmp_uncompress_ops_total --count)" = 5 ]
read -r used reloc <<<"$(mariadb_root -N -e "SELECT SUM(pages_used), SUM(relocation_time) FROM information_schema.innodb_cmpmem")"
sum=$(grep '^mysql_info_schema_innodb_cmpmem_pages_used_total{' "$d/ours.prom" | awk '{s += $2} END {printf "%d", s}')
check "innodb_cmpmem pages_used sums to the server's ($sum = $used)" [ "$sum" = "$used" ]
check "innodb_cmpmem has page_size and buffer_pool labels" \
	[ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" mysql_info_schema_innodb_cmpmem_pages_free_total --labels)" = buffer_pool,page_size ]

# ---- binlog_size: SHOW BINARY LOGS ----
binlogs() { mariadb_root -N -e 'SHOW BINARY LOGS'; }
bsize=$(binlogs | awk '{s += $2} END {printf "%d", s}')
bfiles=$(binlogs | wc -l)
blast=$(binlogs | tail -n 1 | awk '{print $1}' | sed 's/.*\.0*//')
check "binlog_size_bytes = $bsize" [ "$(mval "$d/ours.prom" mysql_binlog_size_bytes)" = "$bsize" ]
check "binlog_files = $bfiles" [ "$(mval "$d/ours.prom" mysql_binlog_files)" = "$bfiles" ]
check "binlog_file_number = $blast" [ "$(mval "$d/ours.prom" mysql_binlog_file_number)" = "$blast" ]
mariadb_root -e 'FLUSH BINARY LOGS'
scrape "$MYEXP_URL/metrics" "$d/ours-flushed.prom" >/dev/null
check "FLUSH BINARY LOGS: one more file ($((bfiles + 1)))" [ "$(mval "$d/ours-flushed.prom" mysql_binlog_files)" = $((bfiles + 1)) ]
check "FLUSH BINARY LOGS: file number $((blast + 1))" [ "$(mval "$d/ours-flushed.prom" mysql_binlog_file_number)" = $((blast + 1)) ]

# ---- info_schema.tables ----
read -r rows dlen ilen <<<"$(mariadb_root -N -e "SELECT TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA='cmp13' AND TABLE_NAME='z'")"
check "table_rows{cmp13.z} = $rows" [ "$(mval "$d/ours.prom" mysql_info_schema_table_rows schema=cmp13 table=z)" = "$rows" ]
check "table_size{cmp13.z,data_length} = $dlen" [ "$(mval "$d/ours.prom" mysql_info_schema_table_size schema=cmp13 table=z component=data_length)" = "$dlen" ]
check "table_size{cmp13.z,index_length} = $ilen" [ "$(mval "$d/ours.prom" mysql_info_schema_table_size schema=cmp13 table=z component=index_length)" = "$ilen" ]
check "table_version carries row_format Compressed" \
	[ "$(mval "$d/ours.prom" mysql_info_schema_table_version schema=cmp13 table=z row_format=Compressed)" = 10 ]
check "no mysql schema tables" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" mysql_info_schema_table_rows schema=mysql --count)" = 0 ]

# ---- heartbeat: a pt-heartbeat row written 7 s before its time ----
st=$(mariadb_root -N -e "SELECT UNIX_TIMESTAMP(ts) FROM heartbeat.heartbeat WHERE server_id=1")
v=$(mval "$d/ours.prom" mysql_heartbeat_stored_timestamp_seconds server_id=1)
check "heartbeat stored_timestamp = UNIX_TIMESTAMP(ts) ($v = $st)" float_eq "$v" "$st" 0.000001
now=$(mval "$d/ours.prom" mysql_heartbeat_now_timestamp_seconds server_id=1)
check "heartbeat lag (now - stored) >= 7 s and < 10 min ($now - $v)" \
	"$PY" -c 'import sys; l = float(sys.argv[1]) - float(sys.argv[2]); sys.exit(0 if 7 <= l < 600 else 1)' "$now" "$v"

# ---- processlist: the sleeping app_user connection ----
v=$(mval "$d/ours.prom" mysql_info_schema_processlist_processes_by_user mysql_user=app_user)
check "processes_by_user{app_user} = 1 ($v)" [ "$v" = 1 ]
h=$(mariadb_root -N -e "SELECT SUBSTRING_INDEX(HOST, ':', 1) FROM information_schema.processlist WHERE user='app_user' LIMIT 1")
v=$(mval "$d/ours.prom" mysql_info_schema_processlist_processes_by_host client_host="$h")
check "processes_by_host{$h} >= 1 ($v)" [ "${v:-0}" -ge 1 ]
v=$(mval "$d/ours.prom" mysql_info_schema_processlist_seconds command=query state=user_sleep)
check "processlist_seconds{query,user_sleep} >= 1 ($v)" [ "${v:-0}" -ge 1 ]

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
for f in mysql_binlog_size_bytes mysql_info_schema_innodb_cmp_compress_ops_total \
	mysql_info_schema_innodb_cmpmem_pages_used_total mysql_info_schema_table_size; do
	check "mysqld_exporter has $f too (the comparison saw it)" grep -q "^$f" "$d/theirs-a.prom"
done

# ---- the mysqld mixin: every name mysql-exporter(8) says it uses is exported ----
# (the list between the man page's mixin markers; those it says need a
# replica or a Galera node are unit-tested from canned rows)
sed -n '/^\.\\" mixin-exported-begin/,/^\.\\" mixin-exported-end/p' "$SRC_DIR/packaging/man/mysql-exporter.8" |
	grep -o 'mysql_[a-z_]*' | sort -u >"$d/mixin.txt"
check "the man page lists the mixin's names ($(wc -l <"$d/mixin.txt"))" [ "$(wc -l <"$d/mixin.txt")" -ge 8 ]
for n in $(cat "$d/mixin.txt"); do
	check "mixin name $n is exported" grep -q "^$n[{ ]" "$d/ours.prom"
done

# ---- a bad databases list is refused at start ----
"$MYEXP_BIN" --collect.info_schema.tables.databases="a',b" --config.my-cnf="$MARIADB_DIR/exporter.cnf" \
	--web.listen-address=127.0.0.1:0 >"$d/bad.log" 2>&1
rc=$?
check "a quote in --collect.info_schema.tables.databases: exit 2 ($rc)" [ $rc = 2 ]
check "... naming the flag" grep -q 'collect.info_schema.tables.databases' "$d/bad.log"
myexp_start --collect.info_schema.tables --collect.info_schema.tables.databases=orders_db,cmp13 || exit 1
scrape "$MYEXP_URL/metrics" "$d/filtered.prom" >/dev/null
check "databases=orders_db,cmp13: cmp13.plain is there" [ "$(mval "$d/filtered.prom" mysql_info_schema_table_rows schema=cmp13 table=plain)" = 10 ]

# ---- without a binary log: success, no series (0.14 checks @@log_bin first) ----
MARIADB_EXTRA_ARGS="" mariadb_restart || exit 1
check "server restarted without log_bin" [ "$(mariadb_root -N -e 'SELECT @@log_bin')" = 0 ]
myexp_start --collect.binlog_size || exit 1
for i in 1 2; do scrape "$MYEXP_URL/metrics" "$d/nobin-$i.prom" >/dev/null; done
check "no log_bin: binlog_size succeeds" [ "$(mval "$d/nobin-2.prom" mysql_exporter_collector_success collector=collect.binlog_size)" = 1 ]
check "no log_bin: no binlog series" [ -z "$(mval "$d/nobin-2.prom" mysql_binlog_files)" ]
check "no log_bin: the other collectors still succeed" bash -c "! grep -q '^mysql_exporter_collector_success{.*} 0' '$d/nobin-2.prom'"
check "no log_bin: last_scrape_error 0" [ "$(mval "$d/nobin-2.prom" mysql_exporter_last_scrape_error)" = 0 ]

finish
