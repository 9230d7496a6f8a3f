#!/bin/bash
# Multi-target mode (mysqld_exporter 0.15's /probe): two MariaDB servers,
# one exporter; credentials per target from the option file ([client], then
# [client.NAME] for auth_module=client.NAME); only --probe.target targets are
# accepted; each target keeps its own persistent connection.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/a" || exit 1
mariadb_load --no-seed || exit 1
A_PORT=$MARIADB_PORT A_SOCK=$MARIADB_SOCKET A_PW=$MARIADB_EXPORTER_PASSWORD
unset MARIADB_PORT
mariadb_start "$d/b" || exit 1
mariadb_load --no-seed || exit 1
B_PORT=$MARIADB_PORT B_PW=$MARIADB_EXPORTER_PASSWORD
check "the two servers have different exporter passwords" [ "$A_PW" != "$B_PW" ]
(umask 077; printf '[client]\nuser=exporter\npassword=%s\nhost=127.0.0.1\nport=%s\n\n[client.b]\npassword=%s\n' \
	"$A_PW" "$A_PORT" "$B_PW" >"$d/probe.cnf")

myexp_start --config.my-cnf="$d/probe.cnf" --probe.target="127.0.0.1:$A_PORT" --probe.target="127.0.0.1:$B_PORT" || exit 1

code=$(scrape "$MYEXP_URL/probe?target=127.0.0.1:$A_PORT" "$d/a.prom")
check "probe A: 200, mysql_up 1" [ "$code" = 200 -a "$(mval "$d/a.prom" mysql_up)" = 1 ]
check "probe A: it is server A (port variable $A_PORT)" [ "$(mval "$d/a.prom" mysql_global_variables_port)" = "$A_PORT" ]
check "probe A: every collector succeeds" [ "$(grep -c '^mysql_exporter_collector_success{.*} 1$' "$d/a.prom")" = "$(echo $MY_COLLECTORS | wc -w)" ]
check "probe output is the target's only (no process_ metrics)" [ -z "$(mval "$d/a.prom" process_resident_memory_bytes)" ]

code=$(scrape "$MYEXP_URL/probe?target=127.0.0.1:$B_PORT" "$d/b0.prom")
check "probe B with [client]'s password: 200, mysql_up 0" [ "$code" = 200 -a "$(mval "$d/b0.prom" mysql_up)" = 0 ]
code=$(scrape "$MYEXP_URL/probe?target=127.0.0.1:$B_PORT&auth_module=client.b" "$d/b.prom")
check "probe B with auth_module=client.b: mysql_up 1" [ "$code" = 200 -a "$(mval "$d/b.prom" mysql_up)" = 1 ]
check "probe B: it is server B (port $B_PORT)" [ "$(mval "$d/b.prom" mysql_global_variables_port)" = "$B_PORT" ]
code=$(scrape "$MYEXP_URL/probe?target=127.0.0.1:$B_PORT&auth_module=client.b&collect[]=global_status" "$d/b1.prom")
check "probe honours collect[]" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/b1.prom" mysql_exporter_collector_success --count)" = 1 ]

scrape "$MYEXP_URL/metrics" "$d/m.prom" >/dev/null
check "/metrics still scrapes [client]'s server (A)" [ "$(mval "$d/m.prom" mysql_global_variables_port)" = "$A_PORT" ]

c0=$(mariadb --no-defaults -uroot -S "$A_SOCK" -N -e "SELECT SUM(TOTAL_CONNECTIONS) FROM performance_schema.users WHERE USER='exporter'")
for i in 1 2 3 4 5; do scrape "$MYEXP_URL/probe?target=127.0.0.1:$A_PORT" "$d/x.prom" >/dev/null; done
c1=$(mariadb --no-defaults -uroot -S "$A_SOCK" -N -e "SELECT SUM(TOTAL_CONNECTIONS) FROM performance_schema.users WHERE USER='exporter'")
check "5 more probes of A: no new connection ($((c1 - c0)))" [ $((c1 - c0)) = 0 ]

check "target not in --probe.target: 403" [ "$(scrape "$MYEXP_URL/probe?target=127.0.0.1:1" "$d/e.json")" = 403 ]
check "... with a JSON error" grep -q '"error"' "$d/e.json"
check "no target: 400" [ "$(scrape "$MYEXP_URL/probe" "$d/e.json")" = 400 ]
check "target without port: 400" [ "$(scrape "$MYEXP_URL/probe?target=localhost" "$d/e.json")" = 400 ]
check "bad auth_module: 400" [ "$(scrape "$MYEXP_URL/probe?target=127.0.0.1:$A_PORT&auth_module=../x" "$d/e.json")" = 400 ]
check "passwords never logged" bash -c "! grep -q -e '$A_PW' -e '$B_PW' '$MYEXP_LOG'"

finish
