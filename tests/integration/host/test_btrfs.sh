#!/bin/bash
# btrfs (its sysfs part) against node_exporter 1.5 on the same sysfs tree:
# both exporters run on one --path.sysfs and fs/btrfs is rebuilt between
# scrapes.  Cases: two filesystems (one without metadata_uuid, so its uuid is
# the directory name, and an empty label; single/dup/raid1/raid5/raid6
# layouts with their ratios from the device count; a garbage value, an
# overflowing one; the "features" entry the glob skips; a file in an
# allocation directory that is no layout); no fs/btrfs; no allocation/system
# (fails); no allocation/data (succeeds without it); no devices directory and
# an unreadable label (later values 0, success); a directory where an
# allocation/system value belongs (fails); a raid5 with one device (+Inf).
# node_btrfs_*, HELP/TYPE and node_scrape_collector_success must agree.
# node_exporter 1.5 also reads mounted btrfs filesystems with ioctls; this
# host-exporter does not, so the live comparison runs only where no btrfs is
# mounted.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
S=$d/sys

start() {	# $1 sysfs, then extra flags; sets p1 p2
	local sys=$1
	shift
	p1=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults --collector.btrfs \
		--path.sysfs="$sys" "$@" >"$d/ne.log" 2>&1 &
	pid1=$!
	p2=$(free_port)
	"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults --collector.btrfs \
		--path.sysfs="$sys" "$@" >"$d/he.log" 2>&1 &
	pid2=$!
	on_exit "kill $pid1 $pid2 2>/dev/null"
	wait_http "http://127.0.0.1:$p1/metrics" 30 && wait_http "http://127.0.0.1:$p2/metrics" 30
}
scrape() {
	curl -s --max-time 20 "http://127.0.0.1:$1/metrics" |
		grep -E '^(# (HELP|TYPE) )?node_btrfs_|^node_scrape_collector_success' |
		awk '/^#/ { print; next } { $NF = sprintf("%.17g", $NF); print }' | sort
}
compare() {
	scrape "$p1" >"$d/ne-$1.txt"
	scrape "$p2" >"$d/he-$1.txt"
	check "$1: same output as node_exporter" diff -u "$d/ne-$1.txt" "$d/he-$1.txt"
}
put() {	# $1 file, $2 value (a newline is added)
	[ -d "${1%/*}" ] || mkdir -p "${1%/*}"
	printf '%s\n' "$2" >"$1"
}
alloc() {	# $1 fs dir, $2 type, $3 bytes_reserved, then mode:total:used...
	local a=$1/allocation/$2 f m
	shift 2
	for f in bytes_may_use bytes_pinned bytes_readonly bytes_used disk_used disk_total flags total_bytes total_bytes_pinned; do
		put "$a/$f" 4096
	done
	put "$a/bytes_reserved" "$1"
	shift
	for m in "$@"; do
		f=${m#*:}
		put "$a/${m%%:*}/total_bytes" "${f%%:*}"
		put "$a/${m%%:*}/used_bytes" "${m##*:}"
	done
}
fsys() {	# $1 dir: the files every filesystem has
	local f
	mkdir -p "$1/features"
	: >"$1/features/extended_iref"
	for f in clone_alignment nodesize quota_override sectorsize; do
		put "$1/$f" 4096
	done
	put "$1/allocation/global_rsv_reserved" 0
}
tree() {
	local b=$S/fs/btrfs u1 u2
	rm -rf "$S"
	u1=$b/0a1b2c3d-1111-2222-3333-444455556666
	u2=$b/feed-beef
	mkdir -p "$b/features"
	: >"$b/features/raid1c34"
	fsys "$u1"
	put "$u1/label" root
	put "$u1/metadata_uuid" 0a1b2c3d-1111-2222-3333-444455556666
	put "$u1/devices/sda2/size" 41940992
	put "$u1/allocation/global_rsv_size" 16777216
	alloc "$u1" data 65536 single:8589934592:5368709120
	alloc "$u1" metadata 0 dup:1073741824:123456789
	alloc "$u1" system 0 dup:8388608:16384
	put "$u1/allocation/data/not_a_layout" 7
	fsys "$u2"
	put "$u2/label" ''
	put "$u2/devices/vdb/size" 2097152
	put "$u2/devices/vdc/size" 12abc
	put "$u2/devices/vdd/size" 99999999999999999999
	put "$u2/allocation/global_rsv_size" 3670016
	alloc "$u2" data 0 raid5:3:2 raid6:5:4 raid10:1:1
	alloc "$u2" metadata 0 raid1:2:1 raid0:1:0 weird:9:9
	alloc "$u2" system 0 raid1:1:1
	case $1 in
	full) ;;
	nodir) rm -r "$b" ;;
	nosystem) rm -r "$u2/allocation/system" ;;
	nodata) rm -r "$u2/allocation/data" ;;
	nodevices) rm -r "$u2/devices" ;;
	labeldir) rm "$u1/label" && mkdir "$u1/label" ;;
	systemdir) rm "$u1/allocation/system/flags" && mkdir "$u1/allocation/system/flags" ;;
	onedev) rm -r "$u2/devices/vdc" "$u2/devices/vdd" ;;
	esac
}

tree full
start "$S" || { cat "$d/ne.log" "$d/he.log"; echo "exporters did not start"; exit 1; }
cases="full nodir nosystem nodata nodevices labeldir systemdir onedev"
for c in $cases; do
	tree "$c"
	compare "$c"
done
s='node_scrape_collector_success{collector="btrfs"}'
h=$d/he-full.txt
check "full: both filesystems, uuid from the directory name, ratios" bash -c "
	grep -qx 'node_btrfs_info{label=\"root\",uuid=\"0a1b2c3d-1111-2222-3333-444455556666\"} 1' '$h' &&
	grep -q '^node_btrfs_info{label=\"\",uuid=\"feed-beef\"} 1' '$h' &&
	grep -qx 'node_btrfs_allocation_ratio{block_group_type=\"data\",mode=\"raid6\",uuid=\"feed-beef\"} 3' '$h' &&
	grep -qx 'node_btrfs_device_size_bytes{device=\"sda2\",uuid=\"0a1b2c3d-1111-2222-3333-444455556666\"} 21473787904' '$h'"
for c in nosystem systemdir; do
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_btrfs' '$d/he-$c.txt'"
done
for c in nodir nodata nodevices labeldir onedev; do
	check "$c: success 1" grep -qxF "$s 1" "$d/he-$c.txt"
done
check "nodevices: global reserve read after the error is 0" grep -qx 'node_btrfs_global_rsv_size_bytes{uuid="feed-beef"} 0' "$d/he-nodevices.txt"
kill "$pid1" "$pid2" 2>/dev/null
wait "$pid1" "$pid2" 2>/dev/null
if awk '$3 == "btrfs" { f = 1 } END { exit !f }' /proc/self/mounts; then
	echo "# a btrfs is mounted here: node_exporter reads it with ioctls, no live comparison"
else
	start /sys || { fail "live: exporters did not start"; finish; }
	compare live
fi
finish
