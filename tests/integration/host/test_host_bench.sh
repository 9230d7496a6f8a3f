#!/bin/bash
# bench/host-exporter-bench.sh stays runnable: a tiny pass (SCRAPES=5)
# prints every row of its table for both columns (the same 16 collectors,
# and both whole default sets), the floor traced from one scrape of each
# exporter (strace), the memory rows and the issue-13 summary line, exits 0,
# measures CPU finely enough that no CPU row of the tiny pass reads 0,
# and leaves no exporter behind.  Speed is `make bench`'s business, not this.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/need.sh"
[ -x "$BUILD_DIR/host-exporter" ] || { echo "SKIP: $BUILD_DIR/host-exporter is not built"; exit 77; }
need prometheus-node-exporter strace cc

d=$(tmpdir_new)
out=$(TMPDIR=$d SCRAPES=5 "$SRC_DIR/bench/host-exporter-bench.sh" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "bench exits 0" test "$rc" = 0
n='[0-9]+(\.[0-9]+)?'
r="($n|inf)x"
for row in "p50 latency, new connection (ms)" "p99 latency, keep-alive (ms)" \
	"CPU s per 1000 scrapes (keep-alive)" "CPU s per 1000 scrapes (gzip)" \
	"8 scrapers: scrapes/s" "PSS after warm-up (MB)" "anonymous, 5 s after the scrapers (MB)" \
	"bytes per scrape, gzip"; do
	esc=$(sed 's/[][().*+?^$|/]/\\&/g' <<<"$row")
	check "row '$row' in both columns" grep -qE "^$esc +$n +$n +$r \| +$n +$n +$r$" <<<"$out"
done
# CPU is read from each process's CPU clock in ns, not in 10 ms ticks: a
# tiny pass of 5 scrapes (~0.5 ms each) counted in ticks reads 0 on most rows
cpu_rows_nonzero() {
	local row
	for row in "CPU s per 1000 scrapes (new conn)" "CPU s per 1000 scrapes (keep-alive)" \
		"CPU s per 1000 scrapes (gzip)"; do
		grep -F "$row " <<<"$out" | tr -d '|' | awk -v n="${#row}" '{
			$0 = substr($0, n + 1)
			if (!($1 > 0 && $2 > 0 && $4 > 0 && $5 > 0)) bad = 1
		} END { exit bad || NR != 1 }' || return 1
	done
}
check "CPU per scrape measured in ns: no zero CPU row for either exporter" cpu_rows_nonzero
check "floor traced from one scrape of each (files/dirs/failed opens/link dumps)" \
	grep -qE "^floor from one traced scrape .*: [1-9][0-9]*/[0-9]+/[0-9]+/[0-9]+ \| [1-9][0-9]*/[0-9]+/[0-9]+/[0-9]+$" <<<"$out"
# the default set's netclass dumps the links once per scrape on a real
# sysfs (netclass.c): the floor replays that dump too
check "the default set's floor replays its one link dump" \
	grep -qE "^floor from one traced scrape .*\| [0-9]+/[0-9]+/[0-9]+/1$" <<<"$out"
check "kept-descriptor floor measured for both columns" \
	grep -qE "^floor CPU ms/scrape, kept fds\+gz +$n +\| +$n$" <<<"$out"
check "default sets compared with the floor" \
	grep -qE "^default sets \(gzip, keep-alive\): host-exporter $n ms CPU/scrape = $n""x the open/read/close floor" <<<"$out"
check "memory floor with host-exporter's libraries" \
	grep -qE "^floor with host-exporter's libraries: anonymous $n MB, PSS $n MB" <<<"$out"
check "the issue-13 summary line" \
	grep -qE "^default sets \(issue 13 targets.*\): CPU $r, p50 $n""x, PSS 1/$n idle \(1/$n right after 8 scrapers\), anonymous 1/$n idle \(1/$n right after 8 scrapers\)$" <<<"$out"
left=""
for f in /proc/[0-9]*/cmdline; do
	{ tr "\0" " " <"$f" | grep -q -- "textfile.directory=$d/"; } 2>/dev/null && left="$left ${f%/cmdline}"
done
check "no exporter left from the bench" test -z "$left"
check "its temp dir is gone" test -z "$(ls -A "$d")"
finish
