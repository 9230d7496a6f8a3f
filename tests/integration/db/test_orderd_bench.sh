#!/bin/bash
# bench/orderd-bench.sh stays runnable: a 1-second-per-run pass over 2,000
# orders prints every row of the table and the summary, and leaves no
# process or temp dir behind.  (Speed is `make bench`'s business, not this.)
. "$SRC_DIR/tests/lib/common.sh"
[ -x "$BUILD_DIR/orderd" ] || { echo "SKIP: $BUILD_DIR/orderd is not built"; exit 77; }

d=$(tmpdir_new)
out=$(TMPDIR=$d BENCH_DURATION=1 BENCH_ORDERS=2000 "$SRC_DIR/bench/orderd-bench.sh" 2>&1)
rc=$?
echo "$out"
check "bench exits 0" test "$rc" = 0
for w in "get 10" "get 50" "get 200" "post 10" "post 50" "post 200" "mix 10" "mix 50" "mix 200" "mix 1000"; do
	line=$(grep -E "^${w% *} +${w#* } " <<<"$out")
	rps=$(awk '{print $3}' <<<"$line")
	check "row '$w' served requests ($rps req/s)" test "${rps:-0}" -gt 0
done
check "floor measured" grep -qE "floor: sysbench oltp_point_select threads=8: [0-9.]+ queries/s" <<<"$out"
check "statements per GET measured" grep -qE "statements per GET .* [0-9]+\.[0-9]+$" <<<"$out"
check "fraction of the floor reported" grep -q "as a fraction of that floor" <<<"$out"
check "metrics on vs off reported" grep -q "request metrics on vs off" <<<"$out"
check "1000-connection check reported" grep -q "1000 conns (mix): socket errors" <<<"$out"
check "generated the requested orders" grep -q "data: 2006 orders" <<<"$out"
# Processes whose command line names the bench's temp dir (mariadbd's
# --datadir, orderd's --config.my-cnf); the pattern is split so this
# grep does not find itself.
left=""
for f in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "--datadir=$d/\|--config.my-cnf=$d/" && left="$left ${f%/cmdline}"
done
check "no process left from the bench" test -z "$left"
[ -z "$left" ] || for p in $left; do echo "# left: $(tr '\0' ' ' <"$p/cmdline")"; done
check "its temp dir is gone" test -z "$(ls -A "$d")"
ls -la "$d"/* 2>/dev/null | head
finish
