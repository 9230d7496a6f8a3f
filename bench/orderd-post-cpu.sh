#!/bin/bash
# bench/orderd-post-cpu.sh [LABEL=BINARY[,ARG...]]...: orderd's own CPU per
# POST beside MariaDB's for the same POSTs, for one or more orderd builds or
# flag sets, interleaved on one MariaDB so that they compare (issue 15: a
# POST's CPU is throughput lost on a machine that orderd, mariadbd and the
# load generator share).  Without arguments: $BUILD_DIR/orderd as "orderd".
#
# A MariaDB of its own (tests/lib/mariadb.sh, MariaDB's default
# durability) with the seed data; each variant is started in turn, warmed
# up for 2 s, then loaded by wrk with bench/orderd-bench.sh's POSTs (1-3
# items, random existing customers, no Idempotency-Key; BENCH_IDEM=1: every
# POST with a key of its own) at BENCH_CONNS connections (default 50) for
# BENCH_DURATION seconds (default 5); BENCH_ROUNDS rounds (default 3) of all
# variants, A B A B ..., so that a change in the machine's load hits every
# variant alike.  CPU is utime+stime of every thread (proc(5) /proc/PID/stat
# fields 14 and 15) before and after each run; the machine may be shared,
# so the figure is CPU per POST, not throughput.  Prints per run: POST/s,
# orderd and mariadbd microseconds of CPU per POST, their ratio, context
# switches per POST of each; then per variant the median [min, max] of
# orderd's microseconds per POST and of POST/s.  BENCH_PERF=1: the first
# variant's first run also under `perf record` (cpu-clock, DWARF call
# graphs; the profiler's cost is then in that row), the samples in
# $BUILD_DIR/bench/orderd-post-cpu.perf.data, the report by symbol in
# orderd-post-cpu.perf.txt and inclusive in orderd-post-cpu.children.txt.
# What it showed: bench/orderd-bench.sh's header (issue 15).
# Each round first runs the POST floor (BENCH_FLOOR=0: not): the same
# transaction from bench/orderd-floor.c (mode post), a bare libmariadb
# client with 8 threads and no HTTP, its CPU per transaction beside
# mariadbd's -- the DB client's share of orderd's figure.
# Not part of `make bench` (bench/orderd-bench.sh prints the same split).
# Exit status: 0 ran, 77 a tool or the binary is missing, 1 harness failure.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/mariadb.sh"

D=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-50}
HZ=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "orderd-post-cpu: wrk is missing (make deps)"; exit 77; }
[ $# -gt 0 ] || set -- "orderd=$BUILD_DIR/orderd"
for v in "$@"; do
	bin=${v#*=}
	bin=${bin%%,*}
	[ -x "$bin" ] || { echo "orderd-post-cpu: $bin is not built"; exit 77; }
done
[[ "$D" =~ ^[1-9][0-9]*$ ]] || { echo "orderd-post-cpu: BENCH_DURATION must be whole seconds" >&2; exit 1; }

dir=$(tmpdir_new)
mariadb_start "$dir/m" >/dev/null || exit 1
mariadb_load >/dev/null || exit 1
max_customer=$(mariadb_root -N -e 'SELECT MAX(customer_id) FROM orders_db.customer')
cat >"$dir/post.lua" <<'LUA'
local counter = 1
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
function init(args)
	math.randomseed(os.time() * 1000 + (id or 0))
	max_customer = tonumber(args[1]) or 10
	idem = args[2] == "1"
	prefix = string.format("%d-%d-", os.time(), id or 0)
	seq = 0
end
function request()
	local n = math.random(1, 3)
	local items = {}
	for i = 1, n do
		items[i] = string.format('{"product_id":%d,"quantity":%d,"unit_price":%d.%02d}',
			math.random(100, 999), math.random(1, 5), math.random(0, 99), math.random(0, 99))
	end
	local body = string.format('{"customer_id":%d,"items":[%s]}',
		math.random(1, max_customer), table.concat(items, ","))
	local h = { ["Content-Type"] = "application/json" }
	if idem then
		seq = seq + 1
		h["Idempotency-Key"] = prefix .. seq
	end
	return wrk.format("POST", "/api/order", h, body)
end
LUA

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
csw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); POST at $CONNS connections, ${D}s per run, $ROUNDS rounds, idempotency keys ${BENCH_IDEM:-0}"
printf '%-14s %5s %9s %9s %9s %7s %9s %9s\n' variant round post/s orderd_us mariadb_us ratio csw_o csw_m
# The POST floor (bench/orderd-floor.c post): orderd's transaction by a
# bare libmariadb client, 8 threads like --db.pool-size=8, no HTTP, no
# hand-off: its CPU per transaction is what the DB client side alone costs.
floor=
if [ "${BENCH_FLOOR:-1}" != 0 ] && "${CC:-cc}" -O2 -o "$dir/floor" "$SRC_DIR/bench/orderd-floor.c" \
	-I/usr/include/mariadb -lmariadb -lpthread; then
	floor=1
	set -- "floor=x" "$@"
fi
floor_run() {
	local m0 m1 cm0 cm1 q t co
	m0=$(ticks "$MARIADB_PID") cm0=$(csw "$MARIADB_PID")
	{ TIMEFORMAT='%U %S'; time "$dir/floor" "$MARIADB_DIR/orderd.cnf" "$max_customer" 8 "$D" post >"$dir/floor.out"; } 2>"$dir/floor.time"
	m1=$(ticks "$MARIADB_PID") cm1=$(csw "$MARIADB_PID")
	q=$(awk '/^transactions/ { print $2 }' "$dir/floor.out")
	t=$(awk '{ print $1 + $2 }' "$dir/floor.time")
	co=$(awk '/^csw/ { print $2 }' "$dir/floor.out")
	[ "${q:-0}" -gt 0 ] 2>/dev/null || q=1	# the floor failed: no division by zero
	awk -v rd="$1" -v r="$q" -v d="$D" -v hz="$HZ" -v t="$t" -v m=$((m1 - m0)) -v cm=$((cm1 - cm0)) -v co="${co:-0}" 'BEGIN {
		printf "%-14s %5d %9.0f %9.1f %9.1f %7.3f %9.2f %9.2f\n", "floor", rd, r / d,
			t / r * 1e6, m / hz / r * 1e6, (m > 0 ? t * hz / m : 0), co / r, cm / r }' | tee -a "$dir/rows"
}
perf_done=
for round in $(seq "$ROUNDS"); do
	[ -n "$floor" ] && floor_run "$round"
	for v in "$@"; do
		label=${v%%=*}
		[ "$label" = floor ] && continue
		IFS=, read -r -a spec <<<"${v#*=}"
		port=$(free_port)
		"${spec[0]}" --web.listen-address="127.0.0.1:$port" --metrics.listen-address="127.0.0.1:$(free_port)" \
			--config.my-cnf="$MARIADB_DIR/orderd.cnf" --db.pool-size=8 --log.requests=none \
			"${spec[@]:1}" >"$dir/orderd.log" 2>&1 &
		pid=$!
		if ! wait_http "http://127.0.0.1:$port/health/readiness" 120; then
			echo "orderd-post-cpu: $label not ready"; cat "$dir/orderd.log"; kill "$pid"; exit 1
		fi
		wrk -t2 -c"$CONNS" -d2s -s "$dir/post.lua" "http://127.0.0.1:$port" -- "$max_customer" "${BENCH_IDEM:-0}" >/dev/null
		perf_pid=
		if [ "${BENCH_PERF:-0}" = 1 ] && [ -z "$perf_done" ] && command -v perf >/dev/null; then
			mkdir -p "$BUILD_DIR/bench"
			perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$pid" -o "$BUILD_DIR/bench/orderd-post-cpu.perf.data" -- sleep "$D" >/dev/null 2>&1 &
			perf_pid=$!
			perf_done=1
		fi
		o0=$(ticks "$pid") m0=$(ticks "$MARIADB_PID") co0=$(csw "$pid") cm0=$(csw "$MARIADB_PID")
		out=$(wrk -t2 -c"$CONNS" -d"${D}s" -s "$dir/post.lua" "http://127.0.0.1:$port" -- "$max_customer" "${BENCH_IDEM:-0}")
		o1=$(ticks "$pid") m1=$(ticks "$MARIADB_PID") co1=$(csw "$pid") cm1=$(csw "$MARIADB_PID")
		if [ -n "$perf_pid" ]; then
			wait "$perf_pid"
			perf report -i "$BUILD_DIR/bench/orderd-post-cpu.perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' >"$BUILD_DIR/bench/orderd-post-cpu.perf.txt"
			perf report -i "$BUILD_DIR/bench/orderd-post-cpu.perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' >"$BUILD_DIR/bench/orderd-post-cpu.children.txt"
		fi
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
		req=$(awk '/requests in/ { print $1 }' <<<"$out")
		non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
		[ -n "$non2xx" ] && echo "# $label: $non2xx non-2xx answers"
		awk -v l="$label" -v rd="$round" -v r="${req:-0}" -v d="$D" -v hz="$HZ" -v o=$((o1 - o0)) \
			-v m=$((m1 - m0)) -v co=$((co1 - co0)) -v cm=$((cm1 - cm0)) 'BEGIN {
			if (r < 1) r = 1	# wrk failed: no division by zero
			printf "%-14s %5d %9.0f %9.1f %9.1f %7.3f %9.2f %9.2f\n", l, rd, r / d,
				o / hz / r * 1e6, m / hz / r * 1e6, (m > 0 ? o / m : 0), co / r, cm / r }' | tee -a "$dir/rows"
	done
done
echo "# per variant: median [min, max] of orderd's us of CPU per POST, and of POST/s"
for v in "$@"; do
	label=${v%%=*}
	u=$(awk -v l="$label" '$1 == l { print $4 }' "$dir/rows" | sort -n | tr '\n' ' ')
	t=$(awk -v l="$label" '$1 == l { print $3 }' "$dir/rows" | sort -n | tr '\n' ' ')
	awk -v l="$label" -v u="$u" -v t="$t" 'BEGIN { n = split(u, a, " "); split(t, b, " ")
		m = int((n + 1) / 2)
		printf "%-14s orderd us/POST %.1f [%.1f, %.1f]  POST/s %.0f [%.0f, %.0f]\n",
			l, a[m], a[1], a[n], b[m], b[1], b[n] }'
done
exit 0
