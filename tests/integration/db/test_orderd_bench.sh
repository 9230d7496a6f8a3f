#!/bin/bash
# bench/orderd-bench.sh stays runnable: a 1-second-per-run pass over 2,000
# orders prints every row of the table (orderd's and the seed design's,
# with the ratio and the CPU split) and the summary, and leaves no process
# or temp dir behind.  (Speed is `make bench`'s business, not this.)
. "$SRC_DIR/tests/lib/common.sh"
[ -x "$BUILD_DIR/orderd" ] || { echo "SKIP: $BUILD_DIR/orderd is not built"; exit 77; }

d=$(tmpdir_new)
out=$(TMPDIR=$d BENCH_DURATION=1 BENCH_ORDERS=2000 "$SRC_DIR/bench/orderd-bench.sh" 2>&1)
rc=$?
echo "$out"
check "bench exits 0" test "$rc" = 0
# Rows: work conns server req/s p50 p99 non-2xx sock [o/seed] then the CPU
# split (server, mariadbd, wrk: CPU s per 1000 requests), stmts, conns.
num='[0-9]+\.[0-9]{3}'
ms='[0-9]+\.[0-9]{2}'
for w in "get 10 orderd" "get 50 orderd" "get 200 orderd" "post 10 orderd" "post 50 orderd" \
	"post 200 orderd" "mix 10 orderd" "mix 50 orderd" "mix 200 orderd" "mix 1000 orderd" \
	"get 10 seed" "get 50 seed" "get 200 seed" "post 10 seed" "post 50 seed" "post 200 seed" \
	"get 50 seed, conn/wkr" "post 50 seed, conn/wkr"; do
	read -r wk c srv <<<"$w"
	line=$(grep -E "^$wk +$c +$srv +[0-9]" <<<"$out")
	rps=$(sed -E "s#^$wk +$c +$srv +([0-9]+) .*#\1#" <<<"$line")
	check "row '$w' served requests (${rps:-none} req/s)" test "${rps:-0}" -gt 0
	check "row '$w' has the CPU split" grep -qE " $num +$num +$num +[0-9.]+ +[0-9.]+$" <<<"$line"
	case $srv in seed*) check "row '$w' has the ratio orderd/seed" grep -qE " [0-9]+\.[0-9]x " <<<"$line" ;; esac
done
# The POST floor (bench/orderd-floor.c post) beside orderd and the seed,
# in the same run, at each concurrency: commits, the ratio orderd/floor,
# its p99, and the seed/floor and floor/seed ratios in the summary.
for c in 10 50 200; do
	line=$(grep -E "^post +$c +floor, no HTTP +[0-9]" <<<"$out")
	tx=$(sed -E "s#^post +$c +floor, no HTTP +([0-9]+) .*#\1#" <<<"$line")
	check "POST floor row at $c conns committed (${tx:-none}/s)" test "${tx:-0}" -gt 0
	check "POST floor row at $c conns has p99 and orderd/floor" \
		grep -qE "^post +$c +floor, no HTTP +[0-9]+ +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} .* [0-9]+\.[0-9]x +$num" <<<"$line"
	# the very same transaction: at least the 4 statements per commit that
	# orderd sends per POST (customer, order, items, COMMIT), and no more
	# than orderd's count (both also count the run's fixed costs -- new
	# connections' set-up, pings -- which weigh more in a short run, and
	# more for orderd under ASan: only the upper side is compared; and
	# only at 10 connections, where 10 connections' set-up is little beside
	# the commits of even a slow 1 s run)
	fs=$(awk '{ print $(NF - 1) }' <<<"$line")
	os=$(grep -E "^post +$c +orderd +[0-9]" <<<"$out" | awk '{ print $(NF - 1) }')
	[ "$c" = 10 ] && check "POST floor at $c conns: $fs statements per commit, orderd $os per POST" \
		awk -v f="${fs:-0}" -v o="${os:-0}" 'BEGIN { d = f - o; exit !(f >= 3.95 && o >= 3.95 && d < 0.5) }'
	# the 2-round-trip shapes beside it (measured, not taken): CALL +
	# COMMIT is 2 Questions per commit (a procedure's statements do not
	# count), the multi-statement query 4 + COMMIT
	for m in "CALL 1.95 2.5" "multi 4.95 5.5"; do
		read -r shape lo hi <<<"$m"
		line=$(grep -E "^post +$c +floor, $shape +[0-9]" <<<"$out")
		tx=$(sed -E "s#^post +$c +floor, $shape +([0-9]+) .*#\1#" <<<"$line")
		# (not at 200: 200 threads of a shape orderd does not use may
		# time out on a loaded machine, and then the row is 0)
		[ "$c" = 200 ] || check "POST floor ($shape) row at $c conns committed (${tx:-none}/s)" test "${tx:-0}" -gt 0
		fs=$(awk '{ print $(NF - 1) }' <<<"$line")
		[ "$c" = 10 ] && check "POST floor ($shape) at $c conns: $fs statements per commit" \
			awk -v f="${fs:-0}" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(f >= lo && f < hi) }'
	done
	check "POST floor in 2 round trips at $c conns summarised" grep -qE "^ +$c conns: 4 statements [0-9]+ commits/s \([0-9.]+, [0-9.]+\); CALL [0-9.]+x \([0-9.-]+, [0-9.-]+\); multi-statement [0-9.]+x \([0-9.-]+, [0-9.-]+\)$" <<<"$out"
	check "POST floor summary at $c conns" grep -qE "^ +$c conns: floor [0-9]+, orderd [0-9]+, seed [0-9]+ commits/s; orderd/floor [0-9.]+, seed/floor [0-9.]+, floor/seed [0-9.]+x \(5x (possible|out of reach)\); p99 ms floor [0-9.]+, orderd [0-9.]+, seed [0-9.]+$" <<<"$out"
done
# p99 of orderd and of the seed at every concurrency, GET and POST.
check "p99 against the seed at every concurrency" grep -qE "p99 lower than the seed design at every concurrency: (met|NOT met)  \(ms, orderd<seed: get/10 $ms<$ms get/50 $ms<$ms get/200 $ms<$ms post/10 $ms<$ms post/50 $ms<$ms post/200 $ms<$ms\)" <<<"$out"
check "the seed's design answers like orderd (smoke)" grep -q "^smoke: orderd and the seed's design give the same" <<<"$out"
check "GET ratio against the seed reported" grep -qE "GET  at 50 conns: orderd [0-9]+ req/s, the seed design [0-9]+: [0-9.]+x" <<<"$out"
check "POST ratio against the seed reported" grep -qE "POST at 50 conns: orderd [0-9]+ req/s, the seed design [0-9]+: [0-9.]+x" <<<"$out"
check "orderd/mariadbd CPU per GET reported" grep -qE "CPU per GET: orderd [0-9.]+ us, mariadbd [0-9.]+ us; orderd/mariadbd = [0-9.]+" <<<"$out"
check "CPU per request against the seed reported" grep -qE "CPU per request at 50 conns, server \+ mariadbd \(ms\): GET orderd [0-9.]+, seed [0-9.]+ \([0-9.]+x\); POST orderd [0-9.]+, seed [0-9.]+ \([0-9.]+x\)" <<<"$out"
check "no quoted figure of the seed is left" test -z "$(grep -n 'SEED_GET=\|1300' "$SRC_DIR/bench/orderd-bench.sh")"
check "floor measured" grep -qE "floor: sysbench oltp_point_select threads=8: [0-9.]+ queries/s" <<<"$out"
check "statements per GET measured" grep -qE "statements per GET .* [0-9]+\.[0-9]+$" <<<"$out"
check "fraction of the floor reported" grep -q "as a fraction of that floor" <<<"$out"
# judged on orderd's CPU per GET, medians of 4 interleaved pairs
check "metrics on vs off reported as CPU per GET and req/s" \
	grep -qE "request metrics on vs off \(GET, 50 conns, 4 rounds interleaved, medians\): orderd CPU per GET [0-9]+\.[0-9] vs [0-9]+\.[0-9] us, on/off = [0-9]+\.[0-9]{3}; [0-9]+ vs [0-9]+ req/s \([0-9.]+\) +target within 3%: (met|NOT met)" <<<"$out"
check "1000-connection check reported" grep -q "1000 conns (mix): socket errors" <<<"$out"
check "generated the requested orders" grep -q "data: 2006 orders" <<<"$out"
# Processes whose command line names the bench's temp dir (mariadbd's
# --datadir, orderd's --config.my-cnf), or whose environment does (the
# seed's gunicorn: PROMETHEUS_MULTIPROC_DIR); the pattern is split so
# this grep does not find itself.
left=""
for f in /proc/[0-9]*/cmdline; do
	{ tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "--datadir=$d/\|--config.my-cnf=$d/" ||
		{ tr '\0' '\n' <"${f%cmdline}environ"; } 2>/dev/null | grep -q "^PROMETHEUS_MULTIPROC_DIR=$d/"; } &&
		left="$left ${f%/cmdline}"
done
check "no process left from the bench" test -z "$left"
[ -z "$left" ] || for p in $left; do echo "# left: $(tr '\0' ' ' <"$p/cmdline")"; done
check "its temp dir is gone" test -z "$(ls -A "$d")"
ls -la "$d"/* 2>/dev/null | head
finish
