#!/bin/bash
# bench/orderd-profile.sh [perf|callgrind|strace]: where orderd's CPU per GET
# goes.
# A MariaDB of its own with BENCH_ORDERS generated orders (default 100000),
# orderd with the bench's settings, wrk GETs with random ids at 50
# connections for BENCH_DURATION seconds (default 10), and orderd profiled
# meanwhile:
#   perf       perf record -e cpu-clock (a timer: works where the hardware
#              counters are not exposed) with DWARF call graphs, then
#              perf report by shared object, and by symbol with children;
#   strace     strace -c -f on orderd: system calls per GET by name (strace
#              slows every call down; the counts hold, the times do not);
#   callgrind  orderd under valgrind --tool=callgrind for a bounded run
#              (10 connections; valgrind serialises the threads and runs
#              ~50x slower, so the shares hold, the speed does not).
# Not run by `make bench` (it changes what it measures); reports go to
# $BUILD_DIR/bench/orderd-profile.* and the summary to stdout; the perf
# samples are put into buckets by bench/orderd-profile-cats.py.
# Exit status: 0 ran, 77 a tool is missing, 1 the harness failed.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/mariadb.sh"

MODE=${1:-perf}
D=${BENCH_DURATION:-10}
N=${BENCH_ORDERS:-100000}
ORDERD=$BUILD_DIR/orderd
OUT=$BUILD_DIR/bench/orderd-profile
[ -x "$ORDERD" ] || { echo "orderd-profile: $ORDERD is not built"; exit 77; }
case $MODE in
perf) tools="perf wrk" ;;
callgrind) tools="valgrind callgrind_annotate wrk" ;;
strace) tools="strace wrk" ;;
*) echo "usage: $0 [perf|callgrind|strace]" >&2; exit 2 ;;
esac
for t in $tools; do
	command -v "$t" >/dev/null || { echo "orderd-profile: $t is missing"; exit 77; }
done
mkdir -p "$BUILD_DIR/bench"

dir=$(tmpdir_new)
mariadb_start "$dir/m" >/dev/null || exit 1
mariadb_load >/dev/null || exit 1
GENERATE_MARIADB="mariadb --no-defaults -uroot -S $MARIADB_SOCKET" "$SRC_DIR/db/generate.sh" "$N" >/dev/null || exit 1
max_order=$(mariadb_root -N -e 'SELECT MAX(order_id) FROM orders_db.orders')
cat >"$dir/get.lua" <<'LUA'
function init(args) math.randomseed(os.time()); max_order = tonumber(args[1]) end
function request() return wrk.format("GET", "/api/order/" .. math.random(1, max_order)) end
LUA

api_port=$(free_port)
orderd_args=(--web.listen-address="127.0.0.1:$api_port" --metrics.listen-address="127.0.0.1:$(free_port)"
	--config.my-cnf="$MARIADB_DIR/orderd.cnf" --db.pool-size=8 --log.requests=none)
conns=50
if [ "$MODE" = callgrind ]; then
	conns=10
	valgrind --tool=callgrind --callgrind-out-file="$OUT.callgrind" --separate-threads=no \
		"$ORDERD" "${orderd_args[@]}" >"$dir/orderd.log" 2>&1 &
else
	"$ORDERD" "${orderd_args[@]}" >"$dir/orderd.log" 2>&1 &
fi
pid=$!
on_exit "kill $pid"
wait_http "http://127.0.0.1:$api_port/health/readiness" 120 || { echo "orderd-profile: orderd not ready"; cat "$dir/orderd.log"; exit 1; }
wrk -t2 -c"$conns" -d2s -s "$dir/get.lua" "http://127.0.0.1:$api_port" -- "$max_order" >/dev/null

# csw PID: voluntary and involuntary context switches of all its threads.
csw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }
t0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
c0=$(csw "$pid") m0=$(csw "$MARIADB_PID")
if [ "$MODE" = strace ]; then
	timeout -s INT "$D" strace -c -f -p "$pid" -o "$OUT.strace.txt" 2>/dev/null &
	perf_pid=$!
	sleep 0.5
fi
if [ "$MODE" = perf ]; then
	perf record -e cpu-clock -F 499 --call-graph dwarf,8192 -p "$pid" -o "$OUT.perf.data" \
		-- sleep "$D" >"$dir/perf.log" 2>&1 &
	perf_pid=$!
fi
out=$(wrk -t2 -c"$conns" -d"${D}s" -s "$dir/get.lua" "http://127.0.0.1:$api_port" -- "$max_order")
[ -n "${perf_pid:-}" ] && wait "$perf_pid"
t1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
c1=$(csw "$pid") m1=$(csw "$MARIADB_PID")
req=$(awk '/requests in/ { print $1 }' <<<"$out")
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); mode $MODE, $conns connections, ${D}s"
grep -E 'Requests/sec|Latency' <<<"$out"
us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$req" 'BEGIN { printf "%.1f", t / hz / r * 1e6 }')
echo "orderd CPU: $((t1 - t0)) ticks for $req GETs = $us us per GET (profiler overhead included)"
awk -v o=$((c1 - c0)) -v m=$((m1 - m0)) -v r="$req" \
	'BEGIN { printf "context switches per GET: orderd %.2f, mariadbd %.2f\n", o / r, m / r }'

kill -TERM "$pid"; wait "$pid" 2>/dev/null
if [ "$MODE" = perf ]; then
	echo "where it goes (share of samples, and of the $us us):"
	perf script -i "$OUT.perf.data" -F comm,tid,ip,sym,dso 2>/dev/null |
		/usr/bin/python3 "$SRC_DIR/bench/orderd-profile-cats.py" "$us" | tee "$OUT.buckets.txt"
	perf report -i "$OUT.perf.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 12 | tee "$OUT.dso.txt"
	perf report -i "$OUT.perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' >"$OUT.symbols.txt"
	head -n 25 "$OUT.symbols.txt"
	perf report -i "$OUT.perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' >"$OUT.children.txt"
	echo "(by symbol: $OUT.symbols.txt; inclusive: $OUT.children.txt)"
elif [ "$MODE" = strace ]; then
	# Per GET: each GET is answered by one sendmsg (the response), so its
	# count is the GETs traced (strace attaches late and slows them).
	awk 'NR > 2 && $NF != "total" && $4 ~ /^[0-9]+$/ { c[$NF] = $4; e[$NF] = ($5 ~ /^[0-9]+$/) ? $5 : 0 }
	END { g = c["sendmsg"]; if (!g) exit
		printf "%d GETs traced (sendmsg calls); system calls per GET (of which failed, e.g. EAGAIN):\n", g
		for (k in c) printf "%8.2f  %-12s (%.2f failed)\n", c[k] / g, k, e[k] / g }' "$OUT.strace.txt" | sort -rn | head -n 16
else
	callgrind_annotate --inclusive=yes "$OUT.callgrind" 2>/dev/null | head -n 60 | tee "$OUT.callgrind.txt"
fi
exit 0
