#!/bin/bash
# mysql-exporter when the server goes away: stopped, crashed or frozen
# (SIGSTOP) mid-run, a scrape still answers HTTP 200 with mysql_up 0 within
# the scrape timeout (X-Prometheus-Scrape-Timeout-Seconds minus the offset),
# and once the server is back the same exporter process reports mysql_up 1
# again, over one new connection.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load --no-seed || exit 1
myexp_start --timeout-offset=0.25 || exit 1
pid0=$MYEXP_PID

timed_scrape() {	# timed_scrape FILE TIMEOUT_HEADER -> "status seconds"
	local t0 t1 code
	t0=${EPOCHREALTIME/./}
	code=$(scrape "$MYEXP_URL/metrics" "$1" -H "X-Prometheus-Scrape-Timeout-Seconds: $2")
	t1=${EPOCHREALTIME/./}
	echo "$code $(( (t1 - t0) / 1000 ))"
}

read -r code ms < <(timed_scrape "$d/a.prom" 5)
check "server up: 200, mysql_up 1" [ "$code" = 200 -a "$(mval "$d/a.prom" mysql_up)" = 1 ]

# ---- clean stop ----
mariadb_stop
read -r code ms < <(timed_scrape "$d/b.prom" 20)
check "server stopped: HTTP 200 ($code)" [ "$code" = 200 ]
check "server stopped: mysql_up 0" [ "$(mval "$d/b.prom" mysql_up)" = 0 ]
# (refused at once, not at the 19.75 s deadline; bounds in seconds: a loaded
# or ASan machine answers several times slower)
check "server stopped: answered quickly (${ms} ms < 5000)" [ "$ms" -lt 5000 ]
check "server stopped: last_scrape_error 1" [ "$(mval "$d/b.prom" mysql_exporter_last_scrape_error)" = 1 ]
check "server stopped: collectors report success 0" [ "$(mval "$d/b.prom" mysql_exporter_collector_success collector=collect.global_status)" = 0 ]
check "server stopped: no global_status samples" [ -z "$(mval "$d/b.prom" mysql_global_status_uptime)" ]
mariadb_restart || exit 1
read -r code ms < <(timed_scrape "$d/c.prom" 5)
check "after restart: mysql_up 1 without restarting the exporter" [ "$(mval "$d/c.prom" mysql_up)" = 1 -a "$MYEXP_PID" = "$pid0" ]
check "after restart: every collector succeeds" [ "$(grep -c '^mysql_exporter_collector_success{.*} 1$' "$d/c.prom")" = "$(echo $MY_COLLECTORS | wc -w)" ]
check "after restart: uptime restarted" [ "$(mval "$d/c.prom" mysql_global_status_uptime | cut -d. -f1)" -lt 30 ]

# ---- crash (SIGKILL): the old connection is dead ----
mariadb_kill
read -r code ms < <(timed_scrape "$d/d.prom" 5)
check "crashed: 200, mysql_up 0" [ "$code" = 200 -a "$(mval "$d/d.prom" mysql_up)" = 0 ]
mariadb_restart || exit 1
read -r code ms < <(timed_scrape "$d/e.prom" 5)
check "after crash recovery: mysql_up 1" [ "$(mval "$d/e.prom" mysql_up)" = 1 ]

# ---- frozen server: the scrape timeout bounds the scrape ----
kill -STOP "$MARIADB_PID"
on_exit "kill -CONT $MARIADB_PID 2>/dev/null"
read -r code ms < <(timed_scrape "$d/f.prom" 4)
check "frozen (query in flight): HTTP 200 ($code)" [ "$code" = 200 ]
check "frozen: mysql_up 0" [ "$(mval "$d/f.prom" mysql_up)" = 0 ]
check "frozen: answered at the 4 s scrape timeout minus offset, 3.75 s (${ms} ms)" [ "$ms" -ge 3500 -a "$ms" -lt 6750 ]
# now the exporter must reconnect: the handshake hangs too
read -r code ms < <(timed_scrape "$d/g.prom" 3)
check "frozen (connect handshake): 200, mysql_up 0 in ${ms} ms < 5750" [ "$code" = 200 -a "$(mval "$d/g.prom" mysql_up)" = 0 -a "$ms" -lt 5750 ]
kill -CONT "$MARIADB_PID"
read -r code ms < <(timed_scrape "$d/h.prom" 5)
check "thawed: mysql_up 1" [ "$(mval "$d/h.prom" mysql_up)" = 1 ]
check "scrapes_total counted every scrape" [ "$(mval "$d/h.prom" mysql_exporter_scrapes_total)" = 8 ]

# ---- a scrape with no header uses --exporter.scrape_timeout ----
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
myexp_start --exporter.scrape_timeout=3s || exit 1
scrape "$MYEXP_URL/metrics" "$d/i.prom" >/dev/null
kill -STOP "$MARIADB_PID"
t0=${EPOCHREALTIME/./}
code=$(scrape "$MYEXP_URL/metrics" "$d/j.prom")
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
kill -CONT "$MARIADB_PID"
check "no header: --exporter.scrape_timeout=3s bounds the scrape (${ms} ms)" [ "$code" = 200 -a "$ms" -ge 2750 -a "$ms" -lt 6000 -a "$(mval "$d/j.prom" mysql_up)" = 0 ]
check "exporter still alive" kill -0 "$MYEXP_PID"

finish
