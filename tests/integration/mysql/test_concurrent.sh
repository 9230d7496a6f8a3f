#!/bin/bash
# Concurrent scrapes share the one connection safely (run under TSan too):
# parallel scrapes all succeed, each costs one batch on the same server
# connection, and a scrape waiting behind a stuck one gives up at its own
# deadline with HTTP 200.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load --no-seed || exit 1
myexp_start || exit 1

workers=()
c0=$(mariadb_root -N -e "SELECT IFNULL(SUM(TOTAL_CONNECTIONS),0) FROM performance_schema.users WHERE USER='exporter'")
for j in $(seq 1 6); do
	(
		for i in $(seq 1 8); do
			code=$(scrape "$MYEXP_URL/metrics" "$d/p$j-$i.prom")
			echo "$code $(mval "$d/p$j-$i.prom" mysql_up) $(grep -c '^mysql_exporter_collector_success{.*} 1$' "$d/p$j-$i.prom")"
		done
	) >"$d/worker$j.txt" &
	workers+=($!)
done
wait "${workers[@]}"
c1=$(mariadb_root -N -e "SELECT IFNULL(SUM(TOTAL_CONNECTIONS),0) FROM performance_schema.users WHERE USER='exporter'")
ncoll=$(echo $MY_COLLECTORS | wc -w)	# the default set
check "48 parallel scrapes: all 200, mysql_up 1, $ncoll collectors ok" [ "$(cat "$d"/worker*.txt | grep -c "^200 1 $ncoll\$")" = 48 ]
check "one server connection for all of them ($((c1 - c0)))" [ $((c1 - c0)) -le 1 ]
scrape "$MYEXP_URL/metrics" "$d/last.prom" >/dev/null
check "scrapes_total counts them (49)" [ "$(mval "$d/last.prom" mysql_exporter_scrapes_total)" = 49 ]

# one scrape stuck on a frozen server holds the connection; another one with
# a shorter deadline waits for it only until its own deadline
kill -STOP "$MARIADB_PID"
on_exit "kill -CONT $MARIADB_PID 2>/dev/null"
# (bounds in seconds, not ms: under ASan or a loaded CI machine curl and the
# exporter answer several times slower; the stuck scrape's deadline, 9.75 s,
# is far from the waiting one's, 1 s, so 5 s still tells them apart)
scrape "$MYEXP_URL/metrics" "$d/slow.prom" -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' >/dev/null &
slow=$!
sleep 0.3
t0=${EPOCHREALTIME/./}
code=$(scrape "$MYEXP_URL/metrics" "$d/fast.prom" -H 'X-Prometheus-Scrape-Timeout-Seconds: 1.25')
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
check "waiting scrape gives up at its deadline, not the stuck one's: 200 in ${ms} ms" [ "$code" = 200 -a "$ms" -lt 5000 ]
check "... reporting last_scrape_error 1" [ "$(mval "$d/fast.prom" mysql_exporter_last_scrape_error)" = 1 ]
wait "$slow"
slow_up=$(mval "$d/slow.prom" mysql_up)
check "the stuck scrape ended at its own deadline with mysql_up 0 (got '$slow_up')" [ "$slow_up" = 0 ]
[ "$slow_up" = 0 ] || { echo "# slow scrape:"; grep -E '^mysql_(up|exporter_last_scrape)' "$d/slow.prom" | sed 's/^/#   /'; }
kill -CONT "$MARIADB_PID"
scrape "$MYEXP_URL/metrics" "$d/after.prom" >/dev/null
check "then mysql_up 1 again" [ "$(mval "$d/after.prom" mysql_up)" = 1 ]
check "no sanitizer report in the exporter log" bash -c "! grep -q Sanitizer '$MYEXP_LOG'"

finish
