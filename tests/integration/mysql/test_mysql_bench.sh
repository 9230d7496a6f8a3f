#!/bin/bash
# bench/mysql-exporter-bench.sh stays runnable (it broke once unnoticed,
# when a collector joined MY_COLLECTORS and mysqld_exporter 0.14 refused a
# doubled flag): a tiny pass (5 scrapes, 1 round) prints every row of the
# table for the three configurations (ours, mysqld_exporter 0.14, the
# floor; status, default, all), the ratio lines and the per-statement
# costs, and leaves no process or temp dir behind.  Speed is `make bench`'s
# business, not this.
. "$SRC_DIR/tests/lib/common.sh"
for b in mysql-exporter mysql-exporter-floor; do
	[ -x "$BUILD_DIR/$b" ] || { echo "SKIP: $BUILD_DIR/$b is not built"; exit 77; }
done
. "$SRC_DIR/tests/lib/need.sh"
need prometheus-mysqld-exporter mariadbd

d=$(tmpdir_new)
out=$(TMPDIR=$d BENCH_SCRAPES=5 BENCH_ROUNDS=1 BENCH_EACH=5 "$SRC_DIR/bench/mysql-exporter-bench.sh" 2>&1)
rc=$?
echo "$out"
check "bench exits 0" test "$rc" = 0
num='[0-9]+\.[0-9]+'
for cfg in status default all; do
	check "row ours/$cfg: p50, p99, CPU, RSS, anon, bytes, statements, connections, server CPU" \
		grep -qE "^ours/$cfg +$num +$num +$num +[0-9]+ +[0-9]+ +[0-9]+ +$num +$num +$num$" <<<"$out"
	check "row mysqld_exporter/$cfg" \
		grep -qE "^mysqld_exporter/$cfg +$num +$num +$num +[0-9]+ +[0-9]+ +[0-9]+ +$num +$num +$num$" <<<"$out"
	check "row floor/$cfg" grep -qE "^floor/$cfg +$num +$num +$num +- +- +- +$num +$num +$num$" <<<"$out"
	# Five scrapes of ours can fit in one 10 ms clock tick: CPU 0.000 and its
	# ratio "n/a" are then the honest output (not a broken bench).
	cpu=$(awk -v r="ours/$cfg" '$1 == r {print $4}' <<<"$out")
	if [ "$cpu" = "0.000" ]; then cre="($num""x|n/a)"; else cre="$num""x"; fi
	check "ratios for $cfg" grep -qE "^$cfg +latency p50 $num""x +p99 $num""x +exporter CPU $cre" <<<"$out"
	check "no new connection per scrape from ours ($cfg)" \
		grep -qE "^$cfg .*new connections/scrape $num vs 0\.000 " <<<"$out"
done
check "CPU is measured: mysqld_exporter's 5 'all' scrapes take at least one clock tick" \
	"$PY" -c 'import re,sys; s=sys.stdin.read(); sys.exit(0 if float(re.search(r"^mysqld_exporter/all +\S+ +\S+ +(\S+)", s, re.M).group(1)) > 0 else 1)' <<<"$out"
check "the 'all' configuration runs more statements than the default one" \
	"$PY" -c 'import re,sys; s=sys.stdin.read(); f=lambda c: float(re.search(r"^ours/"+c+r"(?: +\S+){6} +(\S+)", s, re.M).group(1)); sys.exit(0 if f("all") > f("default") else 1)' <<<"$out"
check "per-statement server costs printed" grep -qE "^global_status +$num +SHOW GLOBAL STATUS" <<<"$out"
left=""
for f in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "--datadir=$d/\|--config.my-cnf=$d/" && left="$left ${f%/cmdline}"
done
check "no process left from the bench" test -z "$left"
check "its temp dir is gone" test -z "$(ls -A "$d")"
finish
