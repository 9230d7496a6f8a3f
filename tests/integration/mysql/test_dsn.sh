#!/bin/bash
# DATA_SOURCE_NAME, the way Debian 12's /etc/default/prometheus-mysqld-exporter
# configures mysqld_exporter 0.14 (a Go MySQL driver DSN), against a real
# MariaDB:
#  - tcp(host:port) and unix(/socket) DSNs log in (mysql_up 1), also
#    tcp(localhost:port), which stays TCP as in Go's driver;
#  - a non-empty DATA_SOURCE_NAME wins over --config.my-cnf (the file is not
#    read, may be missing or wrong) -- as Debian's mysqld_exporter 0.14 does,
#    checked side by side; an empty one leaves --config.my-cnf in charge;
#  - a malformed DSN: exit 2 and a message naming DATA_SOURCE_NAME and the
#    expected form;
#  - the password is in no log line (debug level too, wrong password too),
#    not in argv, and wiped from /proc/PID/environ after start.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load --no-seed || exit 1
pw=$MARIADB_EXPORTER_PASSWORD
# an option file that would fail: wrong password
printf '[client]\nuser=exporter\npassword=wrong-%s\nhost=127.0.0.1\nport=%s\n' "$RANDOM" "$MARIADB_PORT" >"$d/wrong.cnf"

up_with() {	# up_with DSN [ARGS...]: v=mysql_up of one scrape (exporter left running)
	local dsn=$1
	shift
	v=	# (a start that fails leaves no mysql_up for the check to see)
	DATA_SOURCE_NAME=$dsn
	export DATA_SOURCE_NAME
	myexp_start "$@" || { unset DATA_SOURCE_NAME; return 1; }
	unset DATA_SOURCE_NAME
	scrape "$MYEXP_URL/metrics" "$d/s.prom" >/dev/null
	v=$(mval "$d/s.prom" mysql_up)
}

up_with "exporter:$pw@tcp(127.0.0.1:$MARIADB_PORT)/" --config.my-cnf="$d/wrong.cnf" --log.level=debug
check "tcp DSN logs in, over a wrong --config.my-cnf (mysql_up $v)" [ "$v" = 1 ]
check "the log says the credentials come from DATA_SOURCE_NAME" grep -q 'DATA_SOURCE_NAME' "$MYEXP_LOG"
check "password in no log line (debug level)" bash -c "! grep -qF -- '$pw' '$MYEXP_LOG'"
check "password not in argv" bash -c "! tr '\0' '\n' </proc/$MYEXP_PID/cmdline | grep -qF -- '$pw'"
# (the test's own MARIADB_EXPORTER_PASSWORD is inherited: look at DATA_SOURCE_NAME only)
check "password wiped from DATA_SOURCE_NAME in /proc/PID/environ" bash -c "! tr '\0' '\n' </proc/$MYEXP_PID/environ | grep '^DATA_SOURCE_NAME=' | grep -qF -- '$pw'"
check "DATA_SOURCE_NAME still names user and address in environ" bash -c "tr '\0' '\n' </proc/$MYEXP_PID/environ | grep -q '^DATA_SOURCE_NAME=exporter:\*\**@tcp(127.0.0.1:$MARIADB_PORT)/$'"
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

up_with "exporter:$pw@tcp(127.0.0.1:$MARIADB_PORT)/" --config.my-cnf="$d/missing.cnf"
check "tcp DSN with a missing --config.my-cnf starts and logs in ($v)" [ "$v" = 1 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

up_with "exporter:$pw@unix($MARIADB_SOCKET)/" --config.my-cnf="$d/wrong.cnf"
check "unix(socket) DSN logs in ($v)" [ "$v" = 1 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

up_with "exporter:$pw@tcp(localhost:$MARIADB_PORT)/?timeout=5s" --config.my-cnf="$d/wrong.cnf"
check "tcp(localhost:port) DSN logs in over TCP, parameters accepted ($v)" [ "$v" = 1 ]
check "an unused DSN parameter is named in a warning" grep -q 'timeout' "$MYEXP_LOG"
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

up_with "exporter:bad-$pw@tcp(127.0.0.1:$MARIADB_PORT)/" --config.my-cnf="$MARIADB_DIR/exporter.cnf"
check "a wrong DSN password: mysql_up 0, even with a good --config.my-cnf ($v)" [ "$v" = 0 ]
check "... and the wrong password is not logged" bash -c "! grep -qF -- 'bad-$pw' '$MYEXP_LOG'"
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

up_with "" --config.my-cnf="$MARIADB_DIR/exporter.cnf"
check "an empty DATA_SOURCE_NAME: --config.my-cnf is used ($v)" [ "$v" = 1 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

# The same precedence in Debian's mysqld_exporter 0.14 (what a drop-in must match).
port=$(free_port)
DATA_SOURCE_NAME="exporter:$pw@tcp(127.0.0.1:$MARIADB_PORT)/" "$MDE_BIN" --config.my-cnf="$d/wrong.cnf" \
	--web.listen-address="127.0.0.1:$port" >"$d/mde.log" 2>&1 &
mde=$!
on_exit "kill $mde 2>/dev/null"
wait_http "http://127.0.0.1:$port/" 20
scrape "http://127.0.0.1:$port/metrics" "$d/mde.prom" >/dev/null
check "mysqld_exporter 0.14 too: DATA_SOURCE_NAME wins over a wrong --config.my-cnf" [ "$(mval "$d/mde.prom" mysql_up)" = 1 ]
kill "$mde"; wait "$mde" 2>/dev/null

# ---- malformed: exit 2, a message naming the variable, never the password ----
for bad in "exporter:$pw@tcp(127.0.0.1:$MARIADB_PORT)" "exporter:$pw@tcp(127.0.0.1:$MARIADB_PORT/" \
	"exporter:$pw@tcp(127.0.0.1:notaport)/" "exporter:$pw@tcpx(127.0.0.1)/"; do
	DATA_SOURCE_NAME=$bad "$MYEXP_BIN" --web.listen-address=127.0.0.1:0 >"$d/bad.log" 2>&1
	rc=$?
	shown=${bad//$pw/PASSWORD}
	check "malformed DSN $shown: exit 2 ($rc)" [ $rc = 2 ]
	check "... the message names DATA_SOURCE_NAME and the expected form" \
		bash -c "grep -q 'DATA_SOURCE_NAME' '$d/bad.log' && grep -qF 'user:password@tcp(host:port)/' '$d/bad.log'"
	check "... and does not show the password" bash -c "! grep -qF -- '$pw' '$d/bad.log'"
done

finish
