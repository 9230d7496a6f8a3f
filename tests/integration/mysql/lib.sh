# Helpers for mysql-exporter's integration tests.  Source after
# tests/lib/common.sh and tests/lib/mariadb.sh.
#
#   myexp_start [ARGS...]     start build/mysql-exporter on 127.0.0.1:0 with
#                             --config.my-cnf=$MARIADB_DIR/exporter.cnf (unless
#                             ARGS give one); exports MYEXP_PID MYEXP_PORT MYEXP_URL
#                             MYEXP_LOG; stopped at exit
#   mysqld_exporter_start [ARGS...]  Debian's prometheus-mysqld-exporter 0.14
#                             on a free port; exports MDE_PID MDE_URL
#   scrape URL FILE [CURL ARGS...]   GET into FILE, prints the HTTP status
#   mval FILE NAME [L=V ...]  the first value of a series ("" if none)
#   server_status NAME        SHOW GLOBAL STATUS value, via root
#   gen_load                  some reads and writes on orders_db as app_user
MYEXP_BIN=${MYEXP_BIN:-$BUILD_DIR/mysql-exporter}
MDE_BIN=${MDE_BIN:-/usr/bin/prometheus-mysqld-exporter}
MYTEST_DIR=$SRC_DIR/tests/integration/mysql

# The collectors of our default set, as mysqld_exporter 0.14 flags.
MY_COLLECTORS="global_status global_variables slave_status info_schema.innodb_metrics
info_schema.processlist perf_schema.eventsstatements perf_schema.eventswaits
perf_schema.file_events perf_schema.tableiowaits perf_schema.indexiowaits
perf_schema.tablelocks perf_schema.memory_events info_schema.innodb_cmp
info_schema.innodb_cmpmem info_schema.query_response_time"

myexp_start() {
	local i args=("$@") have_cnf=0 a
	for a in "${args[@]}"; do [[ $a == --config.my-cnf* ]] && have_cnf=1; done
	[ $have_cnf = 1 ] || args+=("--config.my-cnf=$MARIADB_DIR/exporter.cnf")
	MYEXP_LOG=$(mktemp "${TMPDIR:-/tmp}/myexp-log.XXXXXX")
	on_exit "rm -f '$MYEXP_LOG'"
	"$MYEXP_BIN" --web.listen-address=127.0.0.1:0 "${args[@]}" >"$MYEXP_LOG" 2>&1 &
	MYEXP_PID=$!
	on_exit "kill $MYEXP_PID 2>/dev/null; wait $MYEXP_PID 2>/dev/null"
	MYEXP_PORT=
	for ((i = 0; i < 100; i++)); do
		MYEXP_PORT=$(grep 'Listening on' "$MYEXP_LOG" | sed -n 's/.*"\{0,1\}port"\{0,1\}[=:]"\{0,1\}\([0-9][0-9]*\).*/\1/p' | head -n 1)
		[ -n "$MYEXP_PORT" ] && break
		kill -0 "$MYEXP_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$MYEXP_PORT" ]; then
		echo "mysql-exporter did not start:" >&2
		cat "$MYEXP_LOG" >&2
		return 1
	fi
	MYEXP_URL=http://127.0.0.1:$MYEXP_PORT
	export MYEXP_PID MYEXP_PORT MYEXP_URL MYEXP_LOG
}

mysqld_exporter_start() {
	local port
	port=$(free_port)
	MDE_LOG=$(mktemp "${TMPDIR:-/tmp}/mde-log.XXXXXX")
	on_exit "rm -f '$MDE_LOG'"
	"$MDE_BIN" --config.my-cnf="$MARIADB_DIR/exporter.cnf" --web.listen-address="127.0.0.1:$port" \
		"$@" >"$MDE_LOG" 2>&1 &
	MDE_PID=$!
	on_exit "kill $MDE_PID 2>/dev/null; wait $MDE_PID 2>/dev/null"
	MDE_URL=http://127.0.0.1:$port
	wait_http "$MDE_URL/" 20 || { cat "$MDE_LOG" >&2; return 1; }
	export MDE_PID MDE_URL
}

# mysqld_exporter flags for exactly our collectors (its other defaults off).
mde_same_collectors() {
	local c
	for c in $MY_COLLECTORS; do echo "--collect.$c"; done
}

scrape() {
	local url=$1 file=$2
	shift 2
	curl -s --max-time 30 -o "$file" -w '%{http_code}' "$@" "$url"
}

mval() {
	"$PY" "$MYTEST_DIR/promget.py" "$@" | head -n 1
}

server_status() {
	mariadb_root -N -e "SHOW GLOBAL STATUS LIKE '$1'" | awk '{print $2}'
}

gen_load() {
	local app="mariadb --defaults-file=$MARIADB_DIR/orderd.cnf orders_db" i
	for i in 1 2 3 4 5; do
		$app -e "SELECT o.order_id, c.name FROM orders o JOIN customer c USING (customer_id) WHERE o.order_id = $i" >/dev/null
		$app -e "SELECT COUNT(*) FROM order_items WHERE order_id = $i" >/dev/null
	done
}

# float_eq A B [TOL]: |A-B| <= TOL (default 0)
float_eq() {
	"$PY" -c 'import sys; a,b,t=float(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); sys.exit(0 if abs(a-b)<=t else 1)' "$1" "$2" "${3:-0}"
}
