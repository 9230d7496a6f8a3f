#!/bin/bash
# mysql-exporter vs Debian's prometheus-mysqld-exporter 0.14, side by side in
# one run against the same MariaDB (performance_schema on, orders_db with
# some load run first), each with the same collectors, in two configs:
#   status:  global_status, global_variables, slave_status
#   default: our default set (14 collectors incl. performance_schema and innodb_cmp/cmpmem)
#   all:     the default set plus the 11 collectors 0.14 has off by default that run on MariaDB
# For each: scrape latency p50/p99, exporter CPU seconds per 1000 scrapes,
# RSS, bytes per scrape, statements and new connections the server sees per
# scrape (performance_schema per-user counters of the `exporter` account,
# so other clients do not blur them), server CPU per scrape (mariadbd's
# /proc/PID/stat), and the floor: our SQL batch run directly in one
# connection (build/mysql-exporter-floor).  Prints ratios.
#
# Server CPU is mariadbd's utime+stime over the run MINUS an idle window of
# the same length measured right after it (background threads: InnoDB's
# master/purge threads, the timer thread), after the load has settled, so
# only the scrapes' own work is counted.  Clock ticks are 10 ms: BENCH_SCRAPES
# is large enough that a run spans hundreds of ticks.
#
# The RSS floor row is bench/rss-floor.c built with -DWITH_MYSQL: a bare
# libmicrohttpd server holding one libmariadb connection made from the same
# my.cnf, sent the same number of requests — no exporter on these libraries
# can be smaller.
#
# BENCH_SCRAPES (default 300) scrapes per exporter and config, sequential,
# in BENCH_ROUNDS (default 3) interleaved rounds; the table shows medians.
# BENCH_EACH (default 1000): runs per statement for the per-statement costs.
# BENCH_DISK_TMP=1 runs ours (and the floor) with --exporter.disk_tmp_tables
# (off by default: it adds 2 Created_tmp_disk_tables per scrape).
# BENCH_GZIP=1 asks for gzip as Prometheus does (Accept-Encoding: gzip);
# "bytes" is then the compressed size.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

N=${BENCH_SCRAPES:-300}
ROUNDS=${BENCH_ROUNDS:-3}
EACH_N=${BENCH_EACH:-1000}
FLOOR=$BUILD_DIR/mysql-exporter-floor
for b in "$MYEXP_BIN" "$FLOOR" "$MDE_BIN"; do
	[ -x "$b" ] || { echo "missing $b (make bench builds it)"; exit 1; }
done
CLK=$(getconf CLK_TCK)

d=$(tmpdir_new)
# shellcheck disable=SC2046 # pkg-config output is words
cc -O2 -DWITH_MYSQL $(pkg-config --cflags libmariadb) -o "$d/rss-floor" "$SRC_DIR/bench/rss-floor.c" \
	-lmicrohttpd -lmariadb -lpthread || exit 1
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
# let the load's background work (purge, flushing) finish before measuring
sleep 2
echo "load: $(mariadb_root -N -e "SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest") digests, $(mariadb_root -N -e "SELECT COUNT(*) FROM performance_schema.table_io_waits_summary_by_table") tables in performance_schema"

STATUS_SET="global_status global_variables slave_status"
# (without query_response_time, on by default since issue 13: with no plugin
# ours sends nothing for it after the first scrape, the floor's batch would
# fail on it; left out of all three, as before)
DEFAULT_SET=$(echo $MY_COLLECTORS | tr ' ' '\n' | grep -vx info_schema.query_response_time | tr '\n' ' ')
# "all": the default set plus every collector 0.14 has that is off by default
# and runs on MariaDB (issue 13: the ratios must hold with the added
# collectors).  Left out on both sides: heartbeat (needs its table),
# engine_tokudb_status, info_schema.replica_host, binlog_size (the bench's
# server has no binary log: SHOW BINARY LOGS fails), info_schema.innodb_tablespaces
# (MariaDB 10.11 has no SPACE_TYPE column) and the replication_group /
# applier tables (no such tables on MariaDB: they fail every scrape, and the
# floor's batch would stop at them).
EXTRA_SET="info_schema.tables mysql.user auto_increment.columns
perf_schema.eventsstatementssum perf_schema.file_instances info_schema.userstats info_schema.clientstats
info_schema.tablestats info_schema.schemastats engine_innodb_status slave_hosts"
ALL_SET="$DEFAULT_SET $(echo $EXTRA_SET)"
# slave_hosts and mysql.user need what db/grants.sql does not give the exporter account
# (the man page says so): granted here, for this bench only.
for h in localhost 127.0.0.1; do
	mariadb_root -e "GRANT REPLICATION MASTER ADMIN ON *.* TO 'exporter'@'$h'; GRANT SELECT ON mysql.user TO 'exporter'@'$h'" || exit 1
done

# per-user statement and connection totals of the exporter account
user_counters() {
	mariadb_root -N -e "SELECT (SELECT IFNULL(SUM(COUNT_STAR),0) FROM performance_schema.events_statements_summary_by_user_by_event_name WHERE USER='exporter'), (SELECT IFNULL(SUM(TOTAL_CONNECTIONS),0) FROM performance_schema.users WHERE USER='exporter')"
}
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proc_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
proc_anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
now_s() { date +%s.%N; }
# server_net_ms TICKS0 TICKS1 WALL_SECONDS: mariadbd CPU ms per scrape over a
# run, minus what it burns idle over as long (an idle window measured now,
# at most 3 s, scaled to the run's length)
server_net_ms() {
	local m0=$1 m1=$2 wall=$3 i0 i1 iw
	iw=$(awk "BEGIN{print ($wall < 3 ? $wall : 3)}")
	i0=$(proc_cpu_ticks "$MARIADB_PID")
	sleep "$iw"
	i1=$(proc_cpu_ticks "$MARIADB_PID")
	awk "BEGIN{v=(($m1-$m0)-($i1-$i0)*$wall/$iw)/$CLK*1000/$N; printf \"%.3f\", v < 0 ? 0 : v}"
}

# measure NAME PID URL: N sequential scrapes; prints one result line
measure() {
	local name=$1 pid=$2 url=$3 s0 c0 m0 s1 c1 m1 e0 e1 w0 w1 out
	# warm up (first connect, caches)
	for i in 1 2 3; do curl -s -o /dev/null "$url"; done
	read -r s0 c0 < <(user_counters)
	m0=$(proc_cpu_ticks "$MARIADB_PID")
	e0=$(proc_cpu_ticks "$pid")
	w0=$(now_s)
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
	w1=$(now_s)
	read -r s1 c1 < <(user_counters)
	# the user_counters query itself runs as root: not counted
	read -r p50 p99 bytes <<<"$out"
	echo "$name $p50 $p99 $(awk "BEGIN{printf \"%.3f\", ($e1-$e0)/$CLK*1000/$N}") $(proc_rss_kb "$pid") $(proc_anon_kb "$pid") $bytes $(awk "BEGIN{printf \"%.2f\", ($s1-$s0)/$N}") $(awk "BEGIN{printf \"%.3f\", ($c1-$c0)/$N}") $(server_net_ms "$m0" "$m1" "$(awk "BEGIN{print $w1-$w0}")")"
}

results=()
for cfg in status default all; do
	case $cfg in
	status) set=$(echo $STATUS_SET) ;;
	default) set=$(echo $DEFAULT_SET) ;;
	*) set=$(echo $ALL_SET) ;;
	esac
	ours=() theirs=()
	for c in $MY_COLLECTORS $EXTRA_SET; do
		if [[ " $set " == *" $c "* ]]; then ours+=("--collect.$c"); theirs+=("--collect.$c"); else ours+=("--no-collect.$c"); theirs+=("--no-collect.$c"); fi
	done

	[ "${BENCH_DISK_TMP:-0}" = 1 ] && ours+=(--exporter.disk_tmp_tables)
	myexp_start "${ours[@]}" >/dev/null || exit 1
	mysqld_exporter_start "${theirs[@]}" || exit 1
	# ROUNDS interleaved rounds (ours, theirs, floor): a slow spell of the
	# shared machine hits all three; the table shows each column's median.
	for ((round = 0; round < ROUNDS; round++)); do
		results+=("$(measure "ours/$cfg" "$MYEXP_PID" "$MYEXP_URL/metrics")")
		results+=("$(measure "mysqld_exporter/$cfg" "$MDE_PID" "$MDE_URL/metrics")")
		# the floor: our SQL, one connection, nothing else
		m0=$(proc_cpu_ticks "$MARIADB_PID")
		w0=$(now_s)
		# shellcheck disable=SC2086
		f=$(FLOOR_DISK_TMP=${BENCH_DISK_TMP:-0} "$FLOOR" "$MARIADB_DIR/exporter.cnf" "$N" $set) || exit 1
		m1=$(proc_cpu_ticks "$MARIADB_PID")
		w1=$(now_s)
		read -r _ fst _ fp50 _ fp99 _ fcpu <<<"$f"
		results+=("floor/$cfg $fp50 $fp99 $fcpu - - - $fst 0 $(server_net_ms "$m0" "$m1" "$(awk "BEGIN{print $w1-$w0}")")")
	done
	kill "$MYEXP_PID" "$MDE_PID"; wait "$MYEXP_PID" "$MDE_PID" 2>/dev/null
done

# The RSS floor of the dependencies: libmicrohttpd + one libmariadb connection.
rp=$(free_port)
"$d/rss-floor" "$rp" "$MARIADB_DIR/exporter.cnf" >"$d/rf.log" 2>&1 &
rf_pid=$!
on_exit "kill $rf_pid 2>/dev/null; wait $rf_pid 2>/dev/null"
wait_http "http://127.0.0.1:$rp/" 20 || { cat "$d/rf.log"; exit 1; }
rf=$(measure "rss-floor" "$rf_pid" "http://127.0.0.1:$rp/metrics")
read -r _ _ _ _ rf_rss rf_anon _ <<<"$rf"
kill "$rf_pid"; wait "$rf_pid" 2>/dev/null

echo
echo "$N scrapes each x $ROUNDS rounds (median shown), sequential, one keep-alive HTTP connection, gzip ${BENCH_GZIP:-0}, disk_tmp_tables ${BENCH_DISK_TMP:-0}; MariaDB $(mariadb_root -N -e 'SELECT VERSION()'), performance_schema ON"
"$PY" - "${results[@]}" "rssfloor - - - $rf_rss $rf_anon - - - -" <<'EOF'
import statistics, sys
runs = {}
for line in sys.argv[1:]:
    f = line.split()
    runs.setdefault(f[0], []).append(f[1:])
def num(x):
    try: return float(x)
    except ValueError: return None
def med(rows):
    out = []
    for col in zip(*rows):
        v = [num(x) for x in col if num(x) is not None]
        out.append(statistics.median(v) if v else None)
    return out
r = {k: med(v) for k, v in runs.items()}
fmt = '%-28s %8s %8s %10s %8s %8s %9s %7s %7s %10s'
def cell(v, d):
    return '-' if v is None else f'{v:.{d}f}'
print(fmt % ('exporter/config', 'p50 ms', 'p99 ms', 'cpu s/1k', 'RSS kB', 'anon kB', 'bytes', 'stmts', 'conns', 'srv cpu ms'))
for cfg in ('status', 'default', 'all'):
    for who in ('ours', 'mysqld_exporter', 'floor'):
        v = r[f'{who}/{cfg}']
        print(fmt % (f'{who}/{cfg}', cell(v[0], 3), cell(v[1], 3), cell(v[2], 3), cell(v[3], 0), cell(v[4], 0),
                     cell(v[5], 0), cell(v[6], 2), cell(v[7], 3), cell(v[8], 3)))
rf = r['rssfloor']
print(f'RSS floor (libmicrohttpd server + one libmariadb connection): VmRSS {rf[3]:.0f} kB, anon {rf[4]:.0f} kB')
print()
print('server CPU ms per scrape, each round (ours / mysqld_exporter / floor):')
for cfg in ('status', 'default', 'all'):
    cols = [[row[8] for row in runs[f'{w}/{cfg}']] for w in ('ours', 'mysqld_exporter', 'floor')]
    print(f'  {cfg:8s} ' + '   '.join(' / '.join(t) for t in zip(*cols)))
print()
print('ratios (mysqld_exporter / ours; floor: ours / floor):')
for cfg in ('status', 'default', 'all'):
    o, t, fl = r[f'ours/{cfg}'], r[f'mysqld_exporter/{cfg}'], r[f'floor/{cfg}']
    def ratio(i, a=t, b=o):
        x, y = a[i], b[i]
        return f'{x / y:.1f}x' if x and y else 'n/a'
    print(f'{cfg:8s} latency p50 {ratio(0)}  p99 {ratio(1)}  exporter CPU {ratio(2)}  RSS {ratio(3)}  '
          f'anon RSS {ratio(4)}  statements {t[6]:.2f} vs {o[6]:.2f}  new connections/scrape {t[7]:.3f} vs {o[7]:.3f}  '
          f'server CPU {ratio(8)}  | ours/floor p50 {o[0] / fl[0]:.2f}x')
for cfg in ('status', 'default', 'all'):
    o = r[f'ours/{cfg}']
    print(f'{cfg:8s} RSS over the dependencies floor: VmRSS +{o[3] - rf[3]:.0f} kB, anon +{o[4] - rf[4]:.0f} kB')
EOF

echo
echo "server CPU per statement of our batch, each run alone ${EACH_N}x in one connection (ms; mariadbd ticks, idle not subtracted):"
# shellcheck disable=SC2086
"$FLOOR" --each "$MARIADB_PID" "$MARIADB_DIR/exporter.cnf" "$EACH_N" $DEFAULT_SET
