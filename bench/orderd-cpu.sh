#!/bin/bash
# bench/orderd-cpu.sh [LABEL=BINARY[,ARG...]]...: orderd's own CPU per GET
# (or per POST: BENCH_METHOD=POST; default GET) beside MariaDB's for the
# same requests, for one or more orderd builds or flag sets, interleaved on
# one MariaDB so that they compare (issue 15: orderd <= 1/4 of mariadbd; a
# POST's CPU is throughput lost on a machine that orderd, mariadbd and the
# load generator share).  Without arguments: $BUILD_DIR/orderd as "orderd".
#
# A MariaDB of its own with BENCH_ORDERS generated orders (default 20000);
# each variant is started in turn, warmed up for 2 s, then loaded by wrk
# with random ids at BENCH_CONNS connections (default 50) for
# BENCH_DURATION seconds (default 5); BENCH_ROUNDS rounds (default 3) of
# all variants, A B A B ..., so that a change in the machine's load hits
# every variant alike.  CPU is utime+stime of every thread (proc(5)
# /proc/PID/stat fields 14 and 15) before and after each run; the machine
# may be shared, so the figure is CPU per GET, not throughput.  Prints per
# run: req/s, orderd and mariadbd microseconds of CPU per GET and their
# ratio, context switches per GET; then per variant the median and spread.
# Each round also runs a floor row per client protocol in BENCH_FLOOR_MODES
# (default "binary async"; any of binary, text, wait, async; BENCH_FLOOR=0:
# none): the
# same query from bench/orderd-floor.c, a bare libmariadb client without
# HTTP, its CPU per query beside mariadbd's -- what the client side alone
# costs with that protocol ("floor-binary" is orderd's own; "floor-async"
# the same statement on 8 connections driven by ONE thread with the
# non-blocking API in an epoll loop, the prototype of a GET path that does
# not sleep once per query), with its context switches per query in the
# csw_o column.  Then the variants, and "evloop" among them (BENCH_EVLOOP=0:
# not): bench/orderd-evloop.c, the prototype of a GET path with one event
# loop per thread (libmicrohttpd in external-epoll mode and non-blocking
# reader connections in one epoll set: no hand-off, no sleep per GET),
# without orderd's metrics, logs or limits -- a floor with HTTP.  And after
# each variant's GETs, a LABEL-http row (BENCH_HTTP=0: not): the same orderd
# answering GET /health/liveness, no DB: what its HTTP side alone costs per
# request (the ratio column is then against mariadbd's CPU per order GET
# of the row above, so the rows add up).
# BENCH_METHOD=POST: the seed data only, no generated orders; wrk sends
# bench/post.lua's POSTs, orderd-bench.sh's (1-3 items, random existing
# customers, no Idempotency-Key; BENCH_IDEM=1: every POST with a key of
# its own); the columns are per POST, the summary per variant the median
# [min, max] of orderd's us per POST and of POST/s.  The floor is one row,
# "floor": orderd's transaction (bench/orderd-floor.c post) -- the DB
# client's share of orderd's figure; no evloop and no -http rows.
# BENCH_PERF=1 (POST only): the first variant's first run also under
# `perf record` (cpu-clock, DWARF call graphs; the profiler's cost is then
# in that row), the samples in $BUILD_DIR/bench/orderd-post-cpu.perf.data,
# the report by symbol in orderd-post-cpu.perf.txt and inclusive in
# orderd-post-cpu.children.txt.  What POSTs showed: bench/orderd-bench.sh's
# header (issue 15).  What GETs showed (issue 15, 2026-12-07, load 20-26):
# floor-binary 0.34 of mariadbd, so orderd <= 0.25 is out of reach for a
# blocking libmariadb client of this query; text/wait lower the ratio only
# by costing mariadbd ~30% more.
# Later (load 4-7, 3 rounds): floor-async 19.9 us [19.3, 21.6]
# per query, ratio 0.24 [0.23, 0.27], 0.34 context switches per query,
# against floor-binary 30.9 us [30.6, 31.1], 0.32, 1.01: a thread that
# keeps several queries in flight sleeps about once every three replies,
# and each sleep it skips saves ~15 us here (a context switch on this VM
# plus the poll); so 0.25 is within a libmariadb client's reach, but only
# a non-blocking one.  And orderd-evloop (load 21, 3 rounds, beside the
# orderd of 2026-12-07): 44.2 us [43.4, 44.5] per GET, 0.6 context
# switches, 10.7-12.8k GET/s, against orderd's 69.2 us [48.3, 71.8], 1.1-1.2,
# 5.5-6.2k; its HTTP side alone costs what orderd's does (10.5 against
# 11.2 us).  A second run (load 11-24): evloop 48.8 us [46.5, 53.9], 0.62-0.72
# switches, against orderd's 55.1 [50.2, 66.7], 1.20-1.32; ratio 0.60 against
# 0.70 -- the gain varies with the load, the halved switches do not.
# The loop-thread variant (orderd's MHD threads suspend the GET
# and hand it to one thread multiplexing the DB, which resumes it) bought
# only 62 against 74 us: the two hand-offs cost what the sleeps did.
# orderd's GET (52-67 us) = floor (27 us) + its HTTP side, which costs 12 us
# per request while its thread never sleeps (liveness at 50 connections)
# but 19-29 us when the thread sleeps between requests (liveness at 2
# connections, 0.7-0.8 context switches each) -- as it does on every GET,
# waiting for the DB.  What is left needs a GET that does not block its
# thread (the non-blocking client API multiplexed with the HTTP events).
# That was then built into orderd (2026-12-07, branch evloop, not merged):
# one external-epoll libmicrohttpd daemon per loop thread on a shared
# listen socket, non-blocking readers per loop with a bounded FIFO,
# deadlines, reconnects and drain.  Interleaved against the orderd before
# it (BENCH_ROUNDS=3, 50 connections, load 12-25 and 13-21): 59.6 against
# 58.1 us and 56.8 against 59.8 us per GET (ratio 0.57-0.64 against
# 0.60-0.61), context switches 0.6-0.97 against 1.2 per GET; perf stat
# (load 15): 42.6 against 43.0 us, 9.2 against 6.0 system calls per GET.
# The sleep it saves comes back as libmicrohttpd 0.9.75's suspend/resume
# in external-epoll mode (epoll_ctl out and in, the resume signal and its
# read, an epoll_wait inside every MHD_run): no CPU gain, so not taken.
# The floor for orderd's GET is then the two floors added: a non-blocking
# client (floor-async, 0.24-0.27 of mariadbd) plus the HTTP side alone
# (orderd-http, 10-12 us, 0.12-0.14): 0.36-0.41 of mariadbd, above the
# issue's 0.25 before orderd does anything of its own.
# Not part of `make bench` (bench/orderd-bench.sh prints the same split).
# CC builds the floor and evloop (default cc).
# Exit status: 0 ran, 77 a tool or the binary is missing, 1 harness failure.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/mariadb.sh"

METHOD=${BENCH_METHOD:-GET}
D=${BENCH_DURATION:-5}
N=${BENCH_ORDERS:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-50}
HZ=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "orderd-cpu: wrk is missing (make deps)"; exit 77; }
[ $# -gt 0 ] || set -- "orderd=$BUILD_DIR/orderd"
for v in "$@"; do
	bin=${v#*=}
	bin=${bin%%,*}
	[ -x "$bin" ] || { echo "orderd-cpu: $bin is not built"; exit 77; }
done
[[ "$METHOD" =~ ^(GET|POST)$ ]] || { echo "orderd-cpu: BENCH_METHOD must be GET or POST" >&2; exit 1; }
[[ "$D" =~ ^[1-9][0-9]*$ ]] || { echo "orderd-cpu: BENCH_DURATION must be whole seconds" >&2; exit 1; }

dir=$(tmpdir_new)
mariadb_start "$dir/m" >/dev/null || exit 1
mariadb_load >/dev/null || exit 1
# Per method: the wrk script ($dir/load.lua) and its arguments, the floor's
# modes (their rows "floor-MODE"; POST's one row "floor"), the HTTP rows,
# the profile, the summary's columns ($4 orderd_us, $6 ratio, $3 req/s).
if [ "$METHOD" = POST ]; then
	max=$(mariadb_root -N -e 'SELECT MAX(customer_id) FROM orders_db.customer')
	lua_args=("$max" "${BENCH_IDEM:-0}")
	cat "$SRC_DIR/bench/post.lua" - >"$dir/load.lua" <<'LUA'
function init(args)
	math.randomseed(os.time() * 1000 + (id or 0))
	max_customer = tonumber(args[1]) or 10
	idem = args[2] == "1"
	prefix = string.format("%d-%d-", os.time(), id or 0)
	seq = 0
end
function request()
	if not idem then return post() end
	seq = seq + 1
	return post(prefix .. seq)
end
LUA
	FLOOR_MODES=post
	HTTP=0
	PERF=${BENCH_PERF:-0}
	sum_cols="4 3"
	sum_fmt='%-14s orderd us/POST %.1f [%.1f, %.1f]  POST/s %.0f [%.0f, %.0f]\n'
	echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); POST at $CONNS connections, ${D}s per run, $ROUNDS rounds, idempotency keys ${BENCH_IDEM:-0}"
	printf '%-14s %5s %9s %9s %9s %7s %9s %9s\n' variant round post/s orderd_us mariadb_us ratio csw_o csw_m
else
	GENERATE_MARIADB="mariadb --no-defaults -uroot -S $MARIADB_SOCKET" "$SRC_DIR/db/generate.sh" "$N" >/dev/null || exit 1
	max=$(mariadb_root -N -e 'SELECT MAX(order_id) FROM orders_db.orders')
	lua_args=("$max")
	cat >"$dir/load.lua" <<'LUA'
function init(args) math.randomseed(os.time() + math.random(1000)); max_order = tonumber(args[1]) end
function request() return wrk.format("GET", "/api/order/" .. math.random(1, max_order)) end
LUA
	FLOOR_MODES=${BENCH_FLOOR_MODES:-binary async}
	HTTP=${BENCH_HTTP:-1}
	PERF=0
	sum_cols="6 4"
	sum_fmt='%-14s ratio %.3f [%.3f, %.3f]  orderd us/GET %.1f [%.1f, %.1f]\n'
	echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $CONNS connections, ${D}s per run, $ROUNDS rounds"
	printf '%-14s %5s %9s %9s %9s %7s %9s %9s\n' variant round req/s orderd_us mariadb_us ratio csw_o csw_m
fi

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
csw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }
floor_label() { if [ "$1" = post ]; then echo floor; else echo "floor-$1"; fi; }

# The floor (bench/orderd-floor.c): orderd's order query by a bare
# libmariadb client, 8 threads (POST: its transaction, as many threads as
# orderd's default --db.pool-size, 16), no HTTP, no hand-off: what the DB
# client side alone costs.
floor=
if [ "${BENCH_FLOOR:-1}" != 0 ] && "${CC:-cc}" -O2 -o "$dir/floor" "$SRC_DIR/bench/orderd-floor.c" \
	-I/usr/include/mariadb -lmariadb -lpthread; then
	floor=1
fi
# The event-loop prototype (bench/orderd-evloop.c) as one more variant,
# "evloop", started and loaded like orderd (BENCH_EVLOOP=0: not; GET only).
if [ "$METHOD" = GET ] && [ "${BENCH_EVLOOP:-1}" != 0 ] &&
	"${CC:-cc}" -std=gnu17 -O2 -o "$dir/evloop" "$SRC_DIR/bench/orderd-evloop.c" \
	-I/usr/include/mariadb -lmariadb -lmicrohttpd -lpthread; then
	set -- "$@" "evloop=$dir/evloop"
fi
floor_run() {
	local m0 m1 cm0 cm1 q t co
	m0=$(ticks "$MARIADB_PID") cm0=$(csw "$MARIADB_PID")
	{ TIMEFORMAT='%U %S'; time "$dir/floor" "$MARIADB_DIR/orderd.cnf" "$max" "$([ "$2" = post ] && echo 16 || echo 8)" "$D" "$2" >"$dir/floor.out"; } 2>"$dir/floor.time"
	m1=$(ticks "$MARIADB_PID") cm1=$(csw "$MARIADB_PID")
	q=$(awk '/^(queries|transactions) / { print $2 }' "$dir/floor.out")
	t=$(awk '{ print $1 + $2 }' "$dir/floor.time")
	co=$(awk '/^csw/ { print $2 }' "$dir/floor.out")
	[ "${q:-0}" -gt 0 ] 2>/dev/null || q=1	# the floor failed: no division by zero
	awk -v l="$(floor_label "$2")" -v rd="$1" -v r="$q" -v d="$D" -v hz="$HZ" -v t="$t" -v m=$((m1 - m0)) -v cm=$((cm1 - cm0)) -v co="${co:-0}" 'BEGIN {
		printf "%-14s %5d %9.0f %9.1f %9.1f %7.3f %9.2f %9.2f\n", l, rd, r / d,
			t / r * 1e6, m / hz / r * 1e6, (m > 0 ? t * hz / m : 0), co / r, cm / r }' | tee -a "$dir/rows"
}
perf_done=
for round in $(seq "$ROUNDS"); do
	if [ -n "$floor" ]; then
		for fm in $FLOOR_MODES; do floor_run "$round" "$fm"; done
	fi
	for v in "$@"; do
		label=${v%%=*}
		IFS=, read -r -a spec <<<"${v#*=}"
		port=$(free_port)
		"${spec[0]}" --web.listen-address="127.0.0.1:$port" --metrics.listen-address="127.0.0.1:$(free_port)" \
			--config.my-cnf="$MARIADB_DIR/orderd.cnf" --log.requests=none \
			"${spec[@]:1}" >"$dir/orderd.log" 2>&1 &
		pid=$!
		if ! wait_http "http://127.0.0.1:$port/health/readiness" 120; then
			echo "orderd-cpu: $label not ready"; cat "$dir/orderd.log"; kill "$pid"; exit 1
		fi
		wrk -t2 -c"$CONNS" -d2s -s "$dir/load.lua" "http://127.0.0.1:$port" -- "${lua_args[@]}" >/dev/null
		perf_pid=
		if [ "$PERF" = 1 ] && [ -z "$perf_done" ] && command -v perf >/dev/null; then
			mkdir -p "$BUILD_DIR/bench"
			perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$pid" -o "$BUILD_DIR/bench/orderd-post-cpu.perf.data" -- sleep "$D" >/dev/null 2>&1 &
			perf_pid=$!
			perf_done=1
		fi
		o0=$(ticks "$pid") m0=$(ticks "$MARIADB_PID") co0=$(csw "$pid") cm0=$(csw "$MARIADB_PID")
		out=$(wrk -t2 -c"$CONNS" -d"${D}s" -s "$dir/load.lua" "http://127.0.0.1:$port" -- "${lua_args[@]}")
		o1=$(ticks "$pid") m1=$(ticks "$MARIADB_PID") co1=$(csw "$pid") cm1=$(csw "$MARIADB_PID")
		if [ -n "$perf_pid" ]; then
			wait "$perf_pid"
			perf report -i "$BUILD_DIR/bench/orderd-post-cpu.perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' >"$BUILD_DIR/bench/orderd-post-cpu.perf.txt"
			perf report -i "$BUILD_DIR/bench/orderd-post-cpu.perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' >"$BUILD_DIR/bench/orderd-post-cpu.children.txt"
		fi
		if [ "$HTTP" != 0 ]; then
			h0=$(ticks "$pid") ch0=$(csw "$pid")
			hout=$(wrk -t2 -c"$CONNS" -d"${D}s" "http://127.0.0.1:$port/health/liveness")
			h1=$(ticks "$pid") ch1=$(csw "$pid")
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
		[ "$HTTP" != 0 ] || continue
		hreq=$(awk '/requests in/ { print $1 }' <<<"$hout")
		awk -v l="$label-http" -v rd="$round" -v r="$hreq" -v d="$D" -v hz="$HZ" -v o=$((h1 - h0)) \
			-v mg=$((m1 - m0)) -v rg="$req" -v co=$((ch1 - ch0)) 'BEGIN {
			if (r < 1) r = 1
			if (rg < 1) rg = 1
			printf "%-14s %5d %9.0f %9.1f %9s %7.3f %9.2f %9s\n", l, rd, r / d,
				o / hz / r * 1e6, "-", (mg > 0 ? (o / r) / (mg / rg) : 0), co / r, "-" }' | tee -a "$dir/rows"
	done
done
if [ "$METHOD" = POST ]; then
	echo "# per variant: median [min, max] of orderd's us of CPU per POST, and of POST/s"
else
	echo "# per variant: median [min, max] of the ratio orderd/mariadbd CPU, and of orderd's us per GET"
fi
if [ "$HTTP" != 0 ]; then
	for v in "$@"; do set -- "$@" "${v%%=*}-http=x"; done
fi
if [ -n "$floor" ]; then
	for fm in $FLOOR_MODES; do set -- "$(floor_label "$fm")=x" "$@"; done
fi
read -r c1 c2 <<<"$sum_cols"
for v in "$@"; do
	label=${v%%=*}
	a=$(awk -v l="$label" -v c="$c1" '$1 == l { print $c }' "$dir/rows" | sort -n | tr '\n' ' ')
	b=$(awk -v l="$label" -v c="$c2" '$1 == l { print $c }' "$dir/rows" | sort -n | tr '\n' ' ')
	awk -v l="$label" -v a="$a" -v b="$b" -v fmt="$sum_fmt" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		m = int((n + 1) / 2)
		printf fmt, l, x[m], x[1], x[n], y[m], y[1], y[n] }'
done
exit 0
