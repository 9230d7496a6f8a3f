# Shared helpers for orderd's black-box tests.  Source after mariadb.sh.
#   orderd_start [FLAGS...]   start $BUILD_DIR/orderd on free loopback ports
#                             against $MARIADB_DIR/orderd.cnf; waits for
#                             liveness; exports ORDERD_URL ORDERD_METRICS_URL
#                             ORDERD_PID ORDERD_LOG.  Stopped at exit.
#   orderd_stop               SIGTERM and wait (bounded); returns its status.
#   http METHOD PATH [BODY] [CURL ARGS...]
#                             prints "STATUS BODY"; Content-Type JSON for bodies.
#   json EXPR                 evaluates a Python expression over stdin's JSON (j)
#   sql QUERY                 root query on orders_db, tab-separated, no header.
#   db_conns                  orderd's connections (user app_user) MariaDB sees,
#                             KILLed ones not counted.
#   wait_db_conns N           until db_conns is N (bounded: 30 s); else says
#                             how many and returns 1.
#   lock_customer ID SECONDS TAG
#                             a root session holds customer ID's row FOR
#                             UPDATE for SECONDS (an orders INSERT for that
#                             customer waits on its foreign key's check);
#                             sets LOCKER_PID (the client, killed at exit)
#                             and LOCKER_ID (its connection: KILL QUERY it to
#                             let go); returns 1 if MariaDB never shows it
#                             (bounded: 30 s).  TAG names the SLEEP's column.
ORDERD=${ORDERD:-$BUILD_DIR/orderd}

orderd_start() {
	local api mport i
	api=$(free_port)
	mport=$(free_port)
	ORDERD_LOG=${ORDERD_LOG:-$(tmpdir_new)/orderd.log}
	"$ORDERD" --config.my-cnf="$MARIADB_DIR/orderd.cnf" \
		--web.listen-address="127.0.0.1:$api" \
		--metrics.listen-address="127.0.0.1:$mport" "$@" >>"$ORDERD_LOG" 2>&1 &
	ORDERD_PID=$!
	ORDERD_URL="http://127.0.0.1:$api"
	ORDERD_METRICS_URL="http://127.0.0.1:$mport"
	export ORDERD_PID ORDERD_URL ORDERD_METRICS_URL ORDERD_LOG
	on_exit "kill -KILL $ORDERD_PID"
	if ! wait_http "$ORDERD_URL/health/liveness" 20; then
		echo "orderd did not come up; log:" >&2
		tail -n 30 "$ORDERD_LOG" >&2
		return 1
	fi
}

orderd_stop() {
	local i
	kill -TERM "$ORDERD_PID" 2>/dev/null || return 1
	for ((i = 0; i < 200; i++)); do
		kill -0 "$ORDERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$ORDERD_PID"
	local rc=$?
	if [ "$rc" != 0 ]; then
		# e.g. a sanitizer report (ASan/LSan/TSan exit non-zero): show it
		echo "# orderd exited $rc; last lines of $ORDERD_LOG:"
		tail -n 40 "$ORDERD_LOG" | sed 's/^/# /'
	fi
	return "$rc"
}

http() {
	local method=$1 path=$2 body=${3-} out code
	shift 3 2>/dev/null || shift $#
	out=$(mktemp)
	if [ -n "$body" ]; then
		code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 -X "$method" \
			-H 'Content-Type: application/json' --data-binary "$body" "$@" "$ORDERD_URL$path")
	else
		code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 -X "$method" "$@" "$ORDERD_URL$path")
	fi
	echo "$code $(cat "$out")"
	rm -f "$out"
}

json() {
	$PY -c 'import json,sys; j=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"
}

sql() {
	mariadb_root -N -B orders_db -e "$1"
}

db_conns() {
	sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app_user' AND command <> 'Killed'"
}

wait_db_conns() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(db_conns)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "# orderd has $(db_conns) DB connections, not $1"
	return 1
}

lock_customer() {
	local id=$1 secs=$2 tag=$3 i
	mariadb_root orders_db -e "BEGIN; SELECT customer_id FROM customer WHERE customer_id=$id FOR UPDATE; SELECT SLEEP($secs) AS $tag; COMMIT;" >/dev/null 2>&1 &
	LOCKER_PID=$!
	on_exit "kill $LOCKER_PID 2>/dev/null"
	LOCKER_ID=
	for ((i = 0; i < 300; i++)); do
		LOCKER_ID=$(sql "SELECT id FROM information_schema.processlist WHERE info LIKE '%AS $tag%' AND info NOT LIKE '%processlist%'")
		[ -n "$LOCKER_ID" ] && return 0
		sleep 0.1
	done
	return 1
}
