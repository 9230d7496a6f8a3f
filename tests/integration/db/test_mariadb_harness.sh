#!/bin/bash
# tests/lib/mariadb.sh: start, load, query, stop, restart (data survives),
# kill + restart (crash recovery), two instances side by side, cleanup.
. "$SRC_DIR/tests/lib/mariadb.sh"

d=$(tmpdir_new)

check "mariadb_start on a new dir" mariadb_start "$d/a"
check "socket exists" test -S "$MARIADB_SOCKET"
check "pid is alive" mariadb_alive
check "listens on 127.0.0.1:$MARIADB_PORT" wait_port "$MARIADB_PORT" 5
check "performance_schema is on" \
	test "$(mariadb_root -N -e 'SELECT @@performance_schema')" = 1
check "default durability (innodb_flush_log_at_trx_commit=1)" \
	test "$(mariadb_root -N -e 'SELECT @@innodb_flush_log_at_trx_commit')" = 1
check "mariadb_load" mariadb_load
check "seed: 6 orders" test "$(mariadb_root -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 6
check "orderd.cnf mode 0600" test "$(stat -c %a "$MARIADB_DIR/orderd.cnf")" = 600
check "exporter.cnf mode 0600" test "$(stat -c %a "$MARIADB_DIR/exporter.cnf")" = 600
check "app_user logs in over TCP with orderd.cnf" \
	test "$(mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -N -e 'SELECT COUNT(*) FROM orders')" = 6
check "exporter logs in over TCP with exporter.cnf" \
	test "$(mariadb --defaults-file="$MARIADB_DIR/exporter.cnf" -N -e 'SELECT CURRENT_USER()')" = "exporter@localhost"
check "mariadb_load again keeps rows and cnf" mariadb_load
check "still 6 orders" test "$(mariadb_root -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 6
mariadb_root -e "INSERT INTO orders_db.orders (customer_id, total_amount) VALUES (2, 1.00)"

port=$MARIADB_PORT pid=$MARIADB_PID
check "mariadb_stop" mariadb_stop
# One read of /proc/PID/stat: gone (unreadable) or a zombie.  (kill -0 then
# grep would race with bash reaping the zombie in between.)
gone() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0; [[ $st =~ ^[0-9]+\ \(.*\)\ Z ]]; }
check "stopped: pid gone (or an unreaped zombie)" gone "$pid"
check "stopped: port closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
check "mariadb_restart" mariadb_restart
check "same port after restart" test "$MARIADB_PORT" = "$port"
check "new pid after restart" test "$MARIADB_PID" != "$pid"
check "committed row survived the restart" \
	test "$(mariadb_root -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 7
check "app_user still logs in after restart" \
	test "$(mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -N -e 'SELECT COUNT(*) FROM orders')" = 7

mariadb_root -e "INSERT INTO orders_db.orders (customer_id, total_amount) VALUES (3, 2.00)"
pid=$MARIADB_PID
check "mariadb_kill" mariadb_kill
check "killed: pid gone (or an unreaped zombie)" gone "$pid"
check "restart after a crash" mariadb_restart
check "committed row survived the crash (durable commit)" \
	test "$(mariadb_root -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 8

# A second instance at the same time: own dir, own port, own data.
a_dir=$MARIADB_DIR a_sock=$MARIADB_SOCKET a_port=$MARIADB_PORT a_pid=$MARIADB_PID
unset MARIADB_PORT
check "second instance starts" mariadb_start "$d/b"
check "second instance has another port" test "$MARIADB_PORT" != "$a_port"
check "second instance loads without seed" mariadb_load --no-seed
check "second instance is empty" \
	test "$(mariadb_root -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 0
check "first instance untouched" \
	test "$(mariadb --no-defaults -uroot -S "$a_sock" -N -e 'SELECT COUNT(*) FROM orders_db.orders')" = 8
check "stop the second" mariadb_stop
MARIADB_DIR=$a_dir MARIADB_SOCKET=$a_sock MARIADB_PORT=$a_port MARIADB_PID=$a_pid
check "first still answers" test "$(mariadb_root -N -e 'SELECT 1')" = 1

# A bad start is reported, bounded, with the error log.
unset MARIADB_PORT
MARIADB_PORT=$a_port   # taken by the first instance
out=$(MARIADB_KEEP=1 mariadb_start "$d/c" 2>&1)
rc=$?
check "start on a taken port fails" test "$rc" -ne 0
check "failure shows error.log" grep -q "Address already in use\|Bind on TCP" <<<"$out"

# A remembered pid that now belongs to another process (pids are recycled)
# is left alone.
sleep 30 &
other=$!
_mariadb_stop_pid "$other" "$d/a" 5
check "stop of a recycled pid spares the process now holding it" kill -0 "$other"
kill "$other"; wait "$other" 2>/dev/null

# on_exit cleanup: a child script's server is gone once it exits.
cat >"$d/child.sh" <<'EOS'
. "$SRC_DIR/tests/lib/mariadb.sh"
unset MARIADB_PORT
mariadb_start "$1" >/dev/null || exit 1
echo "$MARIADB_PID"
EOS
cpid=$(bash "$d/child.sh" "$d/e")
check "child's server started" test -n "$cpid"
check "child's server stopped at its exit" gone "$cpid"
finish
