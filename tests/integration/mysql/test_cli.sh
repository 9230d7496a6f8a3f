#!/bin/bash
# mysql-exporter's command line and HTTP surface, no server needed:
# bad flags and a missing or user-less option file are clear errors (exit 2),
# --help/--version, mysqld_exporter 0.14's flag names, the routes, and an
# unreachable server answered as mysql_up 0 (HTTP 200), quickly.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
B=$MYEXP_BIN

"$B" --no-such-flag >"$d/out" 2>&1; rc=$?
check "unknown flag: exit 2 ($rc)" [ $rc = 2 ]
check "unknown flag: named in the error" grep -q 'no-such-flag' "$d/out"
"$B" --collect.global_status=maybe >"$d/out" 2>&1; rc=$?
check "bad boolean: exit 2" [ $rc = 2 ]
"$B" --exporter.lock_wait_timeout=0 >"$d/out" 2>&1; rc=$?
check "lock_wait_timeout out of range: exit 2" [ $rc = 2 ]
"$B" --timeout-offset=abc --config.my-cnf=/dev/null >"$d/out" 2>&1; rc=$?
check "bad --timeout-offset: exit 2" [ $rc = 2 ]
"$B" extra-positional >"$d/out" 2>&1; rc=$?
check "positional argument: exit 2" [ $rc = 2 ]

"$B" --config.my-cnf="$d/missing.cnf" >"$d/out" 2>&1; rc=$?
check "missing my.cnf: exit 2 ($rc)" [ $rc = 2 ]
check "missing my.cnf: clear message" grep -q "invalid value \"$d/missing.cnf\" for flag '--config.my-cnf': cannot read it: No such file or directory" "$d/out"
check "missing my.cnf: said once" [ "$(grep -c . "$d/out")" = 1 ]
printf '[client]\npassword=secret-xyz\n' >"$d/nouser.cnf"
"$B" --config.my-cnf="$d/nouser.cnf" >"$d/out" 2>&1; rc=$?
check "my.cnf without user: exit 2" [ $rc = 2 ]
check "my.cnf without user: says so" grep -q "no user specified under \[client\]" "$d/out"
check "my.cnf without user: password not echoed" bash -c "! grep -q secret-xyz '$d/out'"

"$B" --help >"$d/help" 2>&1; rc=$?
check "--help exits 0" [ $rc = 0 ]
for f in web.listen-address web.telemetry-path config.my-cnf timeout-offset exporter.lock_wait_timeout \
	exporter.log_slow_filter collect.global_status collect.global_variables collect.slave_status \
	collect.info_schema.innodb_metrics collect.info_schema.processlist collect.perf_schema.eventsstatements \
	collect.perf_schema.eventsstatements.limit collect.perf_schema.eventsstatements.timelimit \
	collect.perf_schema.eventsstatements.digest_text_limit collect.perf_schema.eventswaits \
	collect.perf_schema.file_events collect.perf_schema.tableiowaits collect.perf_schema.indexiowaits \
	collect.perf_schema.tablelocks collect.perf_schema.memory_events probe.target log.level log.format; do
	check "--help lists --$f" grep -q -- "$f" "$d/help"
done
check "--help shows the :9104 default" grep -q ':9104' "$d/help"
check "--help shows the my.cnf default" grep -q '/etc/mysql-exporter/my.cnf' "$d/help"
"$B" --version >"$d/version" 2>&1; rc=$?
check "--version exits 0 and names the version" [ $rc = 0 ] && grep -q '0\.' "$d/version"

# a server that is not there: 127.0.0.1 on a port nobody listens on
port=$(free_port)
printf '[client]\nuser=nobody\npassword=pw\nhost=127.0.0.1\nport=%s\n' "$port" >"$d/down.cnf"
myexp_start --config.my-cnf="$d/down.cnf" --log.format=json || exit 1
t0=${EPOCHREALTIME/./}
code=$(scrape "$MYEXP_URL/metrics" "$d/down.prom")
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
check "server unreachable: HTTP 200 ($code)" [ "$code" = 200 ]
check "server unreachable: mysql_up 0" [ "$(mval "$d/down.prom" mysql_up)" = 0 ]
# (refused at once, not at the 10 s default deadline; seconds, not ms: ASan and
# loaded machines answer several times slower)
check "server unreachable: fast (${ms} ms < 5000)" [ "$ms" -lt 5000 ]
check "server unreachable: process metrics still served" [ -n "$(mval "$d/down.prom" process_resident_memory_bytes)" ]
check "log is JSON" bash -c "grep -q '^{.*\"msg\":\"Error connecting to mysqld\"' '$MYEXP_LOG'"
check "POST /metrics: 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$MYEXP_URL/metrics")" = 405 ]
check "GET /: landing page links the metrics" bash -c "curl -s '$MYEXP_URL/' | grep -q '/metrics'"
check "GET /nope: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$MYEXP_URL/nope")" = 404 ]
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

myexp_start --config.my-cnf="$d/down.cnf" --web.telemetry-path=/stats || exit 1
check "--web.telemetry-path=/stats serves there" [ "$(curl -s -o /dev/null -w '%{http_code}' "$MYEXP_URL/stats")" = 200 ]
check "... and not on /metrics" [ "$(curl -s -o /dev/null -w '%{http_code}' "$MYEXP_URL/metrics")" = 404 ]

# the listen address already taken: a clear error, exit non-zero
"$B" --config.my-cnf="$d/down.cnf" --web.listen-address="127.0.0.1:$MYEXP_PORT" >"$d/out" 2>&1; rc=$?
check "address in use: fails ($rc)" [ $rc != 0 ]
check "address in use: names the address" grep -q "127.0.0.1:$MYEXP_PORT" "$d/out"

# ---- an ARGS= line written for mysqld_exporter 0.14 keeps working ----
# Every flag of 0.14's --help is accepted, and every 0.14 collector is
# implemented now: enabling one logs no "not implemented" warning and gives
# its collector outcome; a flag 0.14 does not have is still an error.
"$MDE_BIN" --help 2>&1 | grep -oE '^ +--(\[no-\])?[a-z][a-z0-9._-]*' | sed 's/^ *--//; s/^\[no-\]//' |
	grep -v '^web\.\|^tls\.\|^log\.\|^version$\|^help' | sort -u >"$d/mde-flags.txt"
check "0.14's --help lists its collector flags ($(wc -l <"$d/mde-flags.txt"))" [ "$(wc -l <"$d/mde-flags.txt")" -ge 50 ]
missing=
for f in $(cat "$d/mde-flags.txt"); do grep -q -- "--\(\[no-\]\)\?$f\b" "$d/help" || missing="$missing $f"; done
check "our --help has every 0.14 collector and option flag (missing:$missing)" [ -z "$missing" ]
check "... and calls none of them not implemented" bash -c "! grep -qi 'not implemented' '$d/help'"
myexp_start --config.my-cnf="$d/down.cnf" --collect.perf_schema.replication_group_members \
	--collect.mysql.user --collect.mysql.user.privileges --no-collect.slave_hosts \
	--collect.perf_schema.file_instances.filter='^/data' || exit 1
check "0.14's ARGS= for collectors off by default: the exporter starts and serves" [ "$(scrape "$MYEXP_URL/metrics" "$d/compat.prom")" = 200 ]
check "... no 'not implemented' warning" bash -c "! grep -qi 'not implemented' '$MYEXP_LOG'"
for c in perf_schema.replication_group_members mysql.user; do
	check "... --collect.$c runs (an outcome: success 0, the server is down)" \
		[ "$(mval "$d/compat.prom" mysql_exporter_collector_success collector=collect.$c)" = 0 ]
done
check "... --no-collect.slave_hosts: no outcome for it" bash -c "! grep -q 'collect.slave_hosts' '$d/compat.prom'"
"$B" --collect.no_such_collector >"$d/out" 2>&1; rc=$?
check "a collector flag no 0.14 has: still exit 2 ($rc)" [ $rc = 2 ]

finish
