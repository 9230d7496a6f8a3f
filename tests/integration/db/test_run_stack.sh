#!/bin/bash
# scripts/run-stack.sh (`make run`) on free ports in a temp state dir:
# --detach starts every component that exists, each answers on its port,
# Prometheus scrapes them all; a second start is refused; --stop leaves no
# process; the datadir survives a restart; a port in use fails the start
# naming the component and stops the rest; foreground mode stops
# everything on SIGTERM; bad usage exits 2.
. "$SRC_DIR/tests/lib/common.sh"

RS=$SRC_DIR/scripts/run-stack.sh
export PRISM_VAR_DIR
PRISM_VAR_DIR=$(tmpdir_new)/var
for v in MARIADB ORDERD ORDERD_METRICS HOST_EXPORTER MYSQL_EXPORTER PROMETHEUS ALERTMANAGER WEBHOOK; do
	export "PRISM_PORT_$v=$(free_port)"
done
on_exit "'$RS' --stop"
VAR=$PRISM_VAR_DIR

pids() { cat "$VAR"/run/*.pid 2>/dev/null | awk '{print $1}'; }
none_left() {
	local p st
	for p in $1; do
		# One read of stat: a zombie being reaped between two reads is gone.
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		[[ $st == *") Z "* ]] && continue
		echo "# pid $p still runs: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		return 1
	done
	return 0
}
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1"; }
q() { mariadb --defaults-file="$VAR/orderd.cnf" -N -B -e "$1" 2>&1; }

out=$("$RS" --detach 2>&1)
rc=$?
echo "$out"
check "--detach starts" test "$rc" = 0
check "first run loads the schema and seed" grep -q "new database" <<<"$out"
check "prints the MariaDB address" grep -q "127.0.0.1:$PRISM_PORT_MARIADB" <<<"$out"
check "MariaDB answers app_user with orderd.cnf (seed: 6 orders)" test "$(q 'SELECT COUNT(*) FROM orders')" = 6
check "orderd.cnf and exporter.cnf are 0600" test "$(stat -c %a "$VAR/orderd.cnf" "$VAR/exporter.cnf" | sort -u)" = 600
check "the datadir is under the state dir" test -d "$VAR/mariadb/data/orders_db"
started=$(cd "$VAR/run" && ls ./*.pid | sed 's|^\./||; s|\.pid$||' | tr '\n' ' ')
echo "# started: $started"
for n in $started; do
	case $n in
	mariadb) ;;
	orderd)
		check "orderd API answers (GET /api/order/1 = 200)" test "$(code "http://127.0.0.1:$PRISM_PORT_ORDERD/api/order/1")" = 200
		check "orderd metrics answer" test "$(code "http://127.0.0.1:$PRISM_PORT_ORDERD_METRICS/metrics")" = 200
		check "orderd URL printed" grep -q "127.0.0.1:$PRISM_PORT_ORDERD/" <<<"$out" ;;
	host-exporter) check "host-exporter answers" test "$(code "http://127.0.0.1:$PRISM_PORT_HOST_EXPORTER/metrics")" = 200 ;;
	mysql-exporter) check "mysql-exporter answers" test "$(code "http://127.0.0.1:$PRISM_PORT_MYSQL_EXPORTER/metrics")" = 200 ;;
	prometheus) check "Prometheus answers" test "$(code "http://127.0.0.1:$PRISM_PORT_PROMETHEUS/-/ready")" = 200 ;;
	alertmanager) check "Alertmanager answers" test "$(code "http://127.0.0.1:$PRISM_PORT_ALERTMANAGER/-/ready")" = 200 ;;
	webhook) check "the alert webhook listens" wait_port "$PRISM_PORT_WEBHOOK" 5
		check "Alertmanager's config sends to the webhook's port" grep -q "127.0.0.1:$PRISM_PORT_WEBHOOK" "$VAR/prometheus-config/alertmanager.yml" ;;
	*) fail "unknown component $n" ;;
	esac
done
[ -x "$BUILD_DIR/orderd" ] && { [[ " $started " == *" orderd "* ]] || fail "orderd is built but was not started"; }

# Prometheus scrapes what runs, on the overridden ports (its config is
# rendered from prometheus-rules/local/prometheus.yml).
if [[ " $started " == *" prometheus "* ]]; then
	want=0
	for n in orderd host-exporter mysql-exporter prometheus alertmanager; do
		[[ " $started " == *" $n "* ]] && want=$((want + 1))
	done
	up=0
	for ((i = 0; i < 300; i++)); do
		up=$(curl -s --max-time 3 "http://127.0.0.1:$PRISM_PORT_PROMETHEUS/api/v1/targets" |
			/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(t["health"]=="up" for t in d["data"]["activeTargets"]))' 2>/dev/null)
		[ "${up:-0}" -ge "$want" ] && break
		sleep 0.1
	done
	check "Prometheus scrapes every started component ($up of $want up)" test "${up:-0}" -ge "$want"
	check "rendered config uses the overridden orderd metrics port" grep -q "127.0.0.1:$PRISM_PORT_ORDERD_METRICS" "$VAR"/prometheus-config/prometheus.yml
	check "Prometheus keeps 30 days" bash -c "curl -s --max-time 3 'http://127.0.0.1:$PRISM_PORT_PROMETHEUS/api/v1/status/flags' | grep -q '\"storage.tsdb.retention.time\":\"30d\"'"
fi

out=$("$RS" --detach 2>&1)
check "a second start is refused while it runs" test $? = 1
check "... saying what runs" grep -q "already runs" <<<"$out"
check "--status: running" bash -c "'$RS' --status | grep -q 'mariadb: running'"

mariadb --no-defaults -uroot -S "$VAR/mariadb/mysqld.sock" -e \
	"INSERT INTO orders_db.orders (customer_id, total_amount) VALUES (1, 0.00)"
before=$(pids)
out=$("$RS" --stop 2>&1)
check "--stop succeeds" test $? = 0
check "--stop: no process left" none_left "$before"
check "--stop: pid files removed" test -z "$(ls "$VAR/run")"
check "--stop: MariaDB port closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PRISM_PORT_MARIADB) 2>/dev/null"
"$RS" --status >/dev/null
check "--status after stop: exit 1" test $? = 1
check "--stop again is harmless" "$RS" --stop

# The rest needs no Prometheus: fewer components, a faster test.
export PRISM_STACK_ONLY="mariadb orderd host-exporter"

# Second run: same datadir, rows kept, nothing reloaded.
out=$("$RS" --detach 2>&1)
check "restart succeeds" test $? = 0
check "restart does not reload" bash -c "! grep -q 'new database' <<<'$out'"
check "the datadir persisted (7 orders)" test "$(q 'SELECT COUNT(*) FROM orders')" = 7
check "schema up to date after restart" test "$(mariadb --no-defaults -uroot -S "$VAR/mariadb/mysqld.sock" -N -e 'SELECT COUNT(*) FROM orders_db.schema_version')" = 3
before=$(pids)
"$RS" --stop >/dev/null
check "second --stop: no process left" none_left "$before"

# A port in use (the last component's to start): the start fails naming
# the component and stops the rest.
last=mariadb var=PRISM_PORT_MARIADB
for n in $PRISM_STACK_ONLY; do
	[[ " $started " == *" $n "* ]] || continue
	case $n in
	orderd) last=orderd var=PRISM_PORT_ORDERD ;;
	host-exporter) last=host-exporter var=PRISM_PORT_HOST_EXPORTER ;;
	esac
done
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', ${!var})); s.listen(); time.sleep(60)" &
blocker=$!
on_exit "kill $blocker"
wait_port "${!var}" 5
out=$("$RS" --detach 2>&1)
rc=$?
echo "$out" | tail -n 5
check "port of $last in use: start fails" test "$rc" = 1
check "... naming $last and the port" grep -q "FAILED: $last.*${!var}" <<<"$out"
check "... and stops what it had started" test -z "$(ls "$VAR/run")"
kill "$blocker"; wait "$blocker" 2>/dev/null

# Foreground: SIGTERM stops everything; the script exits 0.
"$RS" >"$VAR/fg.out" 2>&1 &
fg=$!
for ((i = 0; i < 600; i++)); do
	grep -q "Ctrl-C stops everything" "$VAR/fg.out" && break
	kill -0 "$fg" 2>/dev/null || break
	sleep 0.1
done
check "foreground start" grep -q "Ctrl-C stops everything" "$VAR/fg.out"
before=$(pids)
if [[ " $started " == *" host-exporter "* ]]; then
	kill "$(awk '{print $1}' "$VAR/run/host-exporter.pid")"
	for ((i = 0; i < 50; i++)); do grep -q "WARNING: host-exporter exited" "$VAR/fg.out" && break; sleep 0.1; done
	check "foreground: a component dying is reported" grep -q "WARNING: host-exporter exited" "$VAR/fg.out"
	check "foreground: the others keep running" test "$(q 'SELECT 1')" = 1
fi
kill -TERM "$fg"
for ((i = 0; i < 300; i++)); do kill -0 "$fg" 2>/dev/null || break; sleep 0.1; done
wait "$fg"
check "foreground: SIGTERM -> exit 0" test $? = 0
check "foreground: no process left" none_left "$before"
check "foreground: stopped mariadb last" test "$(grep -o 'stopped [a-z-]*' "$VAR/fg.out" | tail -n 1)" = "stopped mariadb"

"$RS" --bogus >/dev/null 2>&1
check "bad argument: exit 2" test $? = 2
PRISM_PORT_ORDERD=99999 "$RS" --detach >/dev/null 2>&1
check "bad port: exit 2" test $? = 2
finish
