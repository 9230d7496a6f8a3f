#!/bin/bash
# Files the kernel hands out whole in one read (procfile.c one_read():
# /proc/sys, single_open procfs files, sysfs attributes under class/ and
# devices/, kept or opened afresh) are
# read with one pread per scrape, not two (the second only said EOF);
# record-by-record seq_files with short records (diskstats, net/udp) end at
# a short read well under a page (ONE_REC), vmstat at a short read ending in
# its last item (ONE_TAIL); the mount tables are still read until a read
# returns 0.
# Directory listings of sysattr.c make no fstat(2) (scandir(3) did).
# The values stay node_exporter 1.5's (the stable ones compared here).
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
[ -r /proc/sys/kernel/random/poolsize ] && [ -r /proc/loadavg ] && [ -r /proc/diskstats ] ||
	{ echo "needs /proc/sys/kernel/random/poolsize, /proc/loadavg, /proc/diskstats"; exit 77; }
d=$(tmpdir_new)
cols=(--collector.disable-defaults --collector.loadavg --collector.meminfo --collector.entropy
	--collector.diskstats --collector.time --collector.netdev --collector.thermal_zone
	--collector.vmstat --collector.udp_queues --collector.filesystem)
read -r hp np < <(free_ports 2 | tr '\n' ' ')
"$HE" --web.listen-address="127.0.0.1:$hp" "${cols[@]}" >"$d/he.log" 2>&1 &
hpid=$!
on_exit "kill $hpid 2>/dev/null"
"$NE" --web.listen-address="127.0.0.1:$np" "${cols[@]}" >"$d/ne.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$hp/metrics" 60 && wait_http "http://127.0.0.1:$np/metrics" 60 ||
	{ fail "exporters did not start"; finish; }
curl -s --max-time 30 -o /dev/null "http://127.0.0.1:$hp/metrics"	# descriptors kept now

strace -f -qq -y -e trace=pread64,newfstatat,fstat,getdents64 -o "$d/he.tr" -p "$hpid" 2>/dev/null &
spid=$!
wait_for 10 all_traced "$hpid"
for i in 1 2 3; do curl -s --max-time 30 -o "$d/he.prom" "http://127.0.0.1:$hp/metrics"; done
kill -INT $spid
wait $spid 2>/dev/null
n() { grep -c "pread64([0-9]*<$1>" "$d/he.tr"; }
check "three scrapes: /proc/loadavg read with 3 preads ($(n /proc/loadavg))" [ "$(n /proc/loadavg)" = 3 ]
check "three scrapes: /proc/meminfo read with 3 preads ($(n /proc/meminfo))" [ "$(n /proc/meminfo)" = 3 ]
check "three scrapes: /proc/sys/kernel/random/poolsize read with 3 preads ($(n /proc/sys/kernel/random/poolsize))" \
	[ "$(n /proc/sys/kernel/random/poolsize)" = 3 ]
cs=$(ls /sys/devices/system/clocksource/ 2>/dev/null | grep -m1 '^clocksource')
if [ -n "$cs" ] && [ -r "/sys/devices/system/clocksource/$cs/current_clocksource" ]; then
	f=/sys/devices/system/clocksource/$cs/current_clocksource
	check "three scrapes: $f read with 3 preads ($(n "$f"))" [ "$(n "$f")" = 3 ]
fi
# netdev's rx_nohandler (a sysfs text attribute, through a kept descriptor)
dev=$(sed -n 's/^node_network_receive_nohandler_total{device="\([^"]*\)"}.*/\1/p' "$d/he.prom" | head -1)
if [ -n "$dev" ] && f=$(realpath "/sys/class/net/$dev/statistics/rx_nohandler" 2>/dev/null); then
	check "three scrapes: $f read with 3 preads ($(n "$f"))" [ "$(n "$f")" = 3 ]
fi
# sysattr.c's listings (thermal_zone's class/thermal here) are getdents64
# on an open descriptor, without the fstat(2) scandir(3) makes
if [ -d /sys/class/thermal ]; then
	nl=$(grep -c "getdents64([0-9]*</sys/class/thermal>" "$d/he.tr")
	nf=$(grep -cE "fstat(at)?\([0-9]*</sys/class/thermal>" "$d/he.tr")
	check "three scrapes listed /sys/class/thermal ($nl getdents64) without an fstat of it ($nf)" \
		[ "$nl" -ge 3 -a "$nf" = 0 ]
fi
# one pread per scrape where the text is at most a page less 512 bytes
# (procfile.c REC_EOF), else until a read returns 0
one_rec() { # PATH-PATTERN SIZE WHAT
	if [ "$2" -le 3584 ]; then
		check "three scrapes: $3 ($2 bytes) read with 3 preads ($(n "$1"))" [ "$(n "$1")" = 3 ]
	else
		check "three scrapes: $3 ($2 bytes) read to the end (6 preads or more: $(n "$1"))" [ "$(n "$1")" -ge 6 ]
	fi
}
one_rec /proc/diskstats "$(wc -c </proc/diskstats)" /proc/diskstats
[ -r /proc/net/udp ] && one_rec "/proc/[0-9]*/net/udp" "$(wc -c </proc/net/udp)" /proc/net/udp
# vmstat (~4 kB, ONE_TAIL): read to the end at the first scrape (before the
# traced ones), then ends at the short read that holds its last item
check "three scrapes: /proc/vmstat read with 3 preads ($(n /proc/vmstat))" [ "$(n /proc/vmstat)" = 3 ]
# a mount table's lines have no bound: read until a read returns 0
check "three scrapes: /proc/1/mounts still read to the end (6 preads or more: $(n /proc/1/mounts))" \
	[ "$(n /proc/1/mounts)" -ge 6 ]
curl -s --max-time 30 -o "$d/ne.prom" "http://127.0.0.1:$np/metrics"
stable='^node_(entropy_pool_size_bits|memory_MemTotal_bytes|memory_SwapTotal_bytes|time_clocksource_current_info|time_clocksource_available_info)[{ ]'
num() { grep -E "$stable" "$1" | awk '{ printf "%s %.17g\n", $1, $2 }' | sort; }
check "the stable values equal node_exporter's (as numbers)" diff -u <(num "$d/ne.prom") <(num "$d/he.prom")
# a read ended too early would lose the last records: vmstat's oom_kill,
# the last disks, the last sockets
names() { grep -E '^node_(vmstat|udp_queues|disk_(reads|writes)_completed)' "$1" | sed 's/ .*//' | sort; }
check "node_vmstat_*, node_udp_queues, node_disk_*_completed_total: the series node_exporter has" \
	diff -u <(names "$d/ne.prom") <(names "$d/he.prom")
check "node_vmstat_oom_kill is there" grep -q '^node_vmstat_oom_kill ' "$d/he.prom"
check "the stable values are there (3 series or more)" [ "$(grep -cE "$stable" "$d/he.prom")" -ge 3 ]
finish
