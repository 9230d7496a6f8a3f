#!/bin/bash
# process_* (common/metrics_process.c) read /proc/self/stat and
# /proc/self/limits with one pread each per scrape from their kept
# descriptors: both are single_open seq_files whose first read returns the
# whole file, so the short read is the end (no second pread for the 0 of
# EOF).  The values stay whole: process_max_fds is the soft limit the
# exporter was started with, the stat fields are read (CPU seconds, start
# time), and the max address space comes from the last rows of limits.
. "$SRC_DIR/tests/lib/common.sh"
HE=$BUILD_DIR/host-exporter
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
port=$(free_port)
(ulimit -n 4321 && exec "$HE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.loadavg --log.level=warn) >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill $pid"
wait_http "http://127.0.0.1:$port/metrics" 60 || { fail "host-exporter did not start"; finish; }
curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"
strace -f -qq -y -e trace=pread64,read -o "$d/tr" -p "$pid" 2>/dev/null &
spid=$!
wait_for 10 all_traced "$pid"
curl -sf "http://127.0.0.1:$port/metrics" >"$d/m"
kill -INT $spid
wait $spid 2>/dev/null
n_stat=$(grep -c "</proc/$pid/stat>" "$d/tr")
n_lim=$(grep -c "</proc/$pid/limits>" "$d/tr")
check "one read of /proc/self/stat per scrape ($n_stat)" [ "$n_stat" = 1 ]
check "one read of /proc/self/limits per scrape ($n_lim)" [ "$n_lim" = 1 ]
val() { sed -n "s/^$1 //p" "$d/m"; }
check "process_max_fds is the soft limit it started with ($(val process_max_fds))" [ "$(val process_max_fds)" = 4321 ]
check "process_virtual_memory_max_bytes from the limits' last rows ($(val process_virtual_memory_max_bytes))" \
	[ -n "$(val process_virtual_memory_max_bytes)" ]
check "process_start_time_seconds read from stat ($(val process_start_time_seconds))" \
	awk -v t="$(val process_start_time_seconds)" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 600 && t <= now + 1) }'
check "process_resident_memory_bytes read from stat" awk -v v="$(val process_resident_memory_bytes)" 'BEGIN { exit !(v > 1000000) }'
finish
