#!/bin/bash
# mysql-exporter vs Debian's prometheus-mysqld-exporter 0.14, side by side in
# one run against the same MariaDB (performance_schema on, orders_db with
# some load run first), each with the same collectors, in two configs:
#   status:  global_status, global_variables, slave_status
#   default: our default set (12 collectors incl. performance_schema)
# For each: scrape latency p50/p99, exporter CPU seconds per 1000 scrapes,
# RSS, bytes per scrape, statements and new connections the server sees per
# scrape (performance_schema per-user counters of the `exporter` account,
# so other clients do not blur them), server CPU per scrape (mariadbd's
# /proc/PID/stat), and the floor: our SQL batch run directly in one
# connection (build/mysql-exporter-floor).  Prints ratios.
#
# BENCH_SCRAPES (default 300) scrapes per exporter and config, sequential.
# BENCH_GZIP=1 asks for gzip as Prometheus does (Accept-Encoding: gzip);
# "bytes" is then the compressed size.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

N=${BENCH_SCRAPES:-300}
FLOOR=$BUILD_DIR/mysql-exporter-floor
for b in "$MYEXP_BIN" "$FLOOR" "$MDE_BIN"; do
	[ -x "$b" ] || { echo "missing $b (make bench builds it)"; exit 1; }
done
CLK=$(getconf CLK_TCK)

d=$(tmpdir_new)
mariadb_start "$d/db" >/dev/null || exit 1
mariadb_load || exit 1

# Some load: a few hundred reads and writes of different shapes, so the
# digest, table and index I/O, lock and file summaries have rows.
app="mariadb --defaults-file=$MARIADB_DIR/orderd.cnf orders_db"
{
	for i in $(seq 1 300); do
		echo "SELECT o.order_id, o.total_amount, c.name FROM orders o JOIN customer c USING (customer_id) WHERE o.order_id = $((i % 6 + 1));"
		echo "SELECT product_id, quantity FROM order_items WHERE order_id = $((i % 6 + 1));"
		echo "SELECT COUNT(*) FROM orders WHERE customer_id = $((i % 5 + 1));"
	done
} | $app >/dev/null
echo "load: $(mariadb_root -N -e "SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest") digests, $(mariadb_root -N -e "SELECT COUNT(*) FROM performance_schema.table_io_waits_summary_by_table") tables in performance_schema"

STATUS_SET="global_status global_variables slave_status"
DEFAULT_SET=$MY_COLLECTORS

# per-user statement and connection totals of the exporter account
user_counters() {
	mariadb_root -N -e "SELECT (SELECT IFNULL(SUM(COUNT_STAR),0) FROM performance_schema.events_statements_summary_by_user_by_event_name WHERE USER='exporter'), (SELECT IFNULL(SUM(TOTAL_CONNECTIONS),0) FROM performance_schema.users WHERE USER='exporter')"
}
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proc_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
proc_anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

# measure NAME PID URL: N sequential scrapes; prints one result line
measure() {
	local name=$1 pid=$2 url=$3 s0 c0 m0 s1 c1 m1 e0 e1 out
	# warm up (first connect, caches)
	for i in 1 2 3; do curl -s -o /dev/null "$url"; done
	read -r s0 c0 < <(user_counters)
	m0=$(proc_cpu_ticks "$MARIADB_PID")
	e0=$(proc_cpu_ticks "$pid")
	out=$("$PY" - "$url" "$N" "${BENCH_GZIP:-0}" <<'EOF'
import http.client, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2])
hdrs = {'X-Prometheus-Scrape-Timeout-Seconds': '10'}
if sys.argv[3] == '1':
    hdrs['Accept-Encoding'] = 'gzip'

c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
lat, size = [], 0
path = u.path + ('?' + u.query if u.query else '')
for _ in range(n):
    t = time.perf_counter()
    c.request('GET', path, headers=hdrs)
    r = c.getresponse(); body = r.read()
    lat.append(time.perf_counter() - t)
    size += len(body)
    assert r.status == 200
lat.sort()
print(f"{lat[n // 2] * 1e3:.3f} {lat[min(n - 1, n * 99 // 100)] * 1e3:.3f} {size // n}")
EOF
)
	e1=$(proc_cpu_ticks "$pid")
	m1=$(proc_cpu_ticks "$MARIADB_PID")
	read -r s1 c1 < <(user_counters)
	# the user_counters query itself runs as root: not counted
	read -r p50 p99 bytes <<<"$out"
	echo "$name $p50 $p99 $(awk "BEGIN{printf \"%.3f\", ($e1-$e0)/$CLK*1000/$N}") $(proc_rss_kb "$pid") $(proc_anon_kb "$pid") $bytes $(awk "BEGIN{printf \"%.2f\", ($s1-$s0)/$N}") $(awk "BEGIN{printf \"%.3f\", ($c1-$c0)/$N}") $(awk "BEGIN{printf \"%.3f\", ($m1-$m0)/$CLK*1000/$N}")"
}

row() {	# print a result line as a table row
	printf '%-26s %8s %8s %10s %8s %8s %9s %7s %7s %10s\n' "$@"
}

results=()
for cfg in status default; do
	if [ $cfg = status ]; then set=$(echo $STATUS_SET); else set=$(echo $DEFAULT_SET); fi
	ours=() theirs=()
	for c in $MY_COLLECTORS; do
		if [[ " $set " == *" $c "* ]]; then ours+=("--collect.$c"); theirs+=("--collect.$c"); else ours+=("--no-collect.$c"); theirs+=("--no-collect.$c"); fi
	done
	theirs+=(--no-collect.info_schema.innodb_cmp --no-collect.info_schema.innodb_cmpmem --no-collect.info_schema.query_response_time)

	myexp_start "${ours[@]}" >/dev/null || exit 1
	results+=("$(measure "ours/$cfg" "$MYEXP_PID" "$MYEXP_URL/metrics")")
	kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null

	mysqld_exporter_start "${theirs[@]}" || exit 1
	results+=("$(measure "mysqld_exporter/$cfg" "$MDE_PID" "$MDE_URL/metrics")")
	kill "$MDE_PID"; wait "$MDE_PID" 2>/dev/null

	# the floor: our SQL, one connection, nothing else
	m0=$(proc_cpu_ticks "$MARIADB_PID")
	# shellcheck disable=SC2086
	f=$("$FLOOR" "$MARIADB_DIR/exporter.cnf" "$N" $set) || exit 1
	m1=$(proc_cpu_ticks "$MARIADB_PID")
	read -r _ fst _ fp50 _ fp99 _ fcpu <<<"$f"
	results+=("floor/$cfg $fp50 $fp99 $fcpu - - - $fst 0 $(awk "BEGIN{printf \"%.3f\", ($m1-$m0)/$CLK*1000/$N}")")
done

echo
echo "$N scrapes each, sequential, one keep-alive HTTP connection, gzip ${BENCH_GZIP:-0}; MariaDB $(mariadb_root -N -e 'SELECT VERSION()'), performance_schema ON"
row "exporter/config" "p50 ms" "p99 ms" "cpu s/1k" "RSS kB" "anon kB" "bytes" "stmts" "conns" "srv cpu ms"
for r in "${results[@]}"; do
	# shellcheck disable=SC2086
	row $r
done

echo
echo "ratios (mysqld_exporter / ours; floor: ours / floor):"
"$PY" - "${results[@]}" <<'EOF'
import sys
r = {}
for line in sys.argv[1:]:
    f = line.split()
    r[f[0]] = f[1:]
def num(x):
    try: return float(x)
    except ValueError: return None
for cfg in ('status', 'default'):
    o, t, fl = r[f'ours/{cfg}'], r[f'mysqld_exporter/{cfg}'], r[f'floor/{cfg}']
    def ratio(i, a=t, b=o):
        x, y = num(a[i]), num(b[i])
        return f'{x / y:.1f}x' if x and y else 'n/a'
    print(f'{cfg:8s} latency p50 {ratio(0)}  p99 {ratio(1)}  exporter CPU {ratio(2)}  RSS {ratio(3)}  '
          f'anon RSS {ratio(4)}  statements {t[6]} vs {o[6]}  new connections/scrape {t[7]} vs {o[7]}  server CPU {ratio(8)}  '
          f'| ours/floor p50 {num(o[0]) / num(fl[0]):.2f}x')
EOF
