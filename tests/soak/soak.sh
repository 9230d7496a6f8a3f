#!/bin/bash
# make soak (issue 14; not in CI): SOAK_SECONDS (default 1800) of mixed load
# on orderd (tests/soak/load.py, SOAK_RATE requests/s, default 100: GETs,
# POSTs with fresh idempotency keys, some 400s and 404s) while Prometheus-like
# scrapes hit all three daemons every SOAK_SCRAPE seconds (default 2; each
# /metrics, orderd's also gzip), against a real MariaDB in a temp datadir.
# Every 10 s it samples each daemon's RSS (VmRSS), open fds
# (/proc/PID/fd), threads and the server's Threads_connected and
# connections per user (processlist).  After the warm-up (SOAK_WARMUP, default
# a fifth of the run, at least 30 s) nothing may grow beyond its bound
# (tests/soak/verdict.py: first vs last third, and the slope); the table
# is printed.  Needs BUILD_DIR and SRC_DIR (the Makefile passes them).
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"
secs=${SOAK_SECONDS:-1800}
rate=${SOAK_RATE:-100}
every=${SOAK_SCRAPE:-2}
warm=${SOAK_WARMUP:-$((secs / 5 > 30 ? secs / 5 : 30))}
d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
ORDERD_LOG=$d/orderd.log
orderd_start || exit 1
wait_http "$ORDERD_URL/health/readiness" 60 || { echo "orderd not ready" >&2; exit 1; }
myexp_start || exit 1
hport=$(free_port)
"$BUILD_DIR/host-exporter" --web.listen-address="127.0.0.1:$hport" >"$d/host-exporter.log" 2>&1 &
hpid=$!
on_exit "kill $hpid"
wait_http "http://127.0.0.1:$hport/metrics" 30 || { echo "host-exporter did not start" >&2; exit 1; }

echo "soak: ${secs}s, ${rate} req/s on orderd, scrapes every ${every}s, samples every 10s, warm-up ${warm}s"
"$PY" "$SRC_DIR/tests/soak/load.py" "$ORDERD_URL" "$secs" "$rate" >"$d/load.out" 2>&1 &
lpid=$!
on_exit "kill $lpid"
(
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		curl -s --max-time 10 -o /dev/null "$ORDERD_METRICS_URL/metrics"
		curl -s --max-time 10 --compressed -o /dev/null "$ORDERD_METRICS_URL/metrics"
		curl -s --max-time 10 -o /dev/null "$MYEXP_URL/metrics"
		curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$hport/metrics"
		sleep "$every"
	done
) &
spid=$!
on_exit "kill $spid"

procval() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
users="app_user exporter"
tsv=$d/samples.tsv
{
	printf 't'
	for n in orderd mysql-exporter host-exporter; do printf '\t%s.rss_kb\t%s.fds\t%s.threads' "$n" "$n" "$n"; done
	printf '\tdb.threads_connected'
	for u in $users; do printf '\tdb.conn.%s' "$u"; done
	echo
} >"$tsv"
t0=$SECONDS
next=0
while kill -0 "$lpid" 2>/dev/null; do
	{
		printf '%d' $((SECONDS - t0))
		for p in "$ORDERD_PID" "$MYEXP_PID" "$hpid"; do
			printf '\t%s\t%s\t%s' "$(procval "$p" VmRSS)" "$(fds "$p")" "$(procval "$p" Threads)"
		done
		printf '\t%s' "$(mariadb_root -N -B -e "SHOW GLOBAL STATUS LIKE 'Threads_connected'" | cut -f2)"
		for u in $users; do
			printf '\t%s' "$(mariadb_root -N -B -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '$u'")"
		done
		echo
	} >>"$tsv"
	# the next sample 10 s after this one started (not after it ended)
	next=$((next + 10))
	while [ $((SECONDS - t0)) -lt "$next" ] && kill -0 "$lpid" 2>/dev/null; do
		sleep 0.5
	done
done
wait "$lpid"
lrc=$?
cat "$d/load.out"
alive=0
for p in "$ORDERD_PID" "$MYEXP_PID" "$hpid"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
"$PY" "$SRC_DIR/tests/soak/verdict.py" "$tsv" "$warm"
vrc=$?
[ -n "${SOAK_KEEP:-}" ] && cp "$tsv" "$SOAK_KEEP"
echo "soak: load exit $lrc, $alive of 3 daemons alive, verdict exit $vrc"
[ "$lrc" = 0 ] && [ "$alive" = 3 ] && [ "$vrc" = 0 ]
