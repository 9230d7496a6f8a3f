#!/bin/bash
# btrfs's ioctl part against node_exporter 1.5 on real, loop-mounted btrfs
# filesystems, in a private mount and PID namespace (so <procfs>/1/mounts is
# this test's own mount table):
#  - R: RAID1 over two loop devices, with one corruption error on the second
#    device (a block overwritten behind btrfs's back, found by a scrub), mounted
#    twice (the second mount must not add series) and once more at a path with
#    a space (\040 in the mount table);
#  - S: one device, mounted and then covered by a tmpfs on the same mount point,
#    so the ioctls cannot reach it: node_exporter falls back to the sysfs
#    device sizes for S only, and node_btrfs_device_size_bytes carries two
#    label sets in one family.
# Every node_btrfs_* series of these two filesystems (names, labels, values),
# HELP/TYPE and node_scrape_collector_success must be the same on both
# exporters; the corruption count must be 1 (btrfs device stats says so too).
# Skips (77) only where loop devices or btrfs are not available.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter

if [ "${PRISM_BTRFS_INNER:-}" != 1 ]; then
	. "$SRC_DIR/tests/lib/need.sh"
	need "$NE" mkfs.btrfs btrfs losetup unshare
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices, mount)"; exit 77; }
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null ||
		{ echo "SKIP: no btrfs in this kernel"; exit 77; }
	losetup -f >/dev/null 2>&1 || { echo "SKIP: no free loop device"; exit 77; }
	unshare -m -p -f --mount-proc --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot make a mount and PID namespace"; exit 77; }
	PRISM_BTRFS_INNER=1 exec unshare -m -p -f --mount-proc --propagation private "$BASH" "$0" "$@"
fi

d=$(tmpdir_new)
loops=()
on_exit 'for l in "${loops[@]}"; do losetup -d "$l"; done'
on_exit "umount -l '$d/s'; umount -l '$d/s'; umount -l '$d/r 3'; umount -l '$d/r2'; umount -l '$d/r1'"
for i in a b c; do
	truncate -s 160M "$d/$i.img"
	l=$(losetup -f --show "$d/$i.img") || { echo "SKIP: cannot attach loop devices"; exit 77; }
	loops+=("$l")
done
la=${loops[0]} lb=${loops[1]} lc=${loops[2]}
mkfs.btrfs -q -f -L raid -d raid1 -m raid1 "$la" "$lb" >"$d/mkfs.log" 2>&1 &&
	mkfs.btrfs -q -f -L "one dev" "$lc" >>"$d/mkfs.log" 2>&1 ||
	{ cat "$d/mkfs.log"; echo "mkfs.btrfs failed"; exit 1; }
mkdir -p "$d/r1" "$d/r2" "$d/r 3" "$d/s"
btrfs device scan "$la" "$lb" >/dev/null 2>&1
mount -t btrfs -o "device=$la,device=$lb" "$la" "$d/r1" 2>"$d/mount.log" ||
	{ cat "$d/mount.log"; echo "SKIP: cannot mount a btrfs here"; exit 77; }
# a block of R's file, overwritten on the second device only
$PY -c "import sys; sys.stdout.write('PRISMBTRFS' * 200000)" >"$d/r1/f"
sync
umount "$d/r1"
off=$(grep -oba -m1 PRISMBTRFSPRISMBTRFS "$lb" | head -1 | cut -d: -f1)
[ -n "$off" ] || { echo "file data not found on $lb"; exit 1; }
printf 'XXXXXXXXXXXXXXXX' | dd of="$lb" bs=1 seek="$off" conv=notrunc,fsync status=none
mount -t btrfs -o "device=$la,device=$lb" "$la" "$d/r1" || exit 1
btrfs scrub start -B "$d/r1" >"$d/scrub.log" 2>&1
btrfs device stats "$d/r1" >"$d/stats.txt"
check "scrub found the corruption on $lb" grep -q "^\[$lb\].corruption_errs *1$" "$d/stats.txt"
mount -t btrfs -o "device=$la,device=$lb" "$la" "$d/r2" || exit 1
mount --bind "$d/r1" "$d/r 3" || exit 1
mount -t btrfs "$lc" "$d/s" || exit 1
echo data >"$d/s/f"
sync
ur=$(btrfs filesystem show "$d/r1" | sed -n 's/.*uuid: *//p')
us=$(btrfs filesystem show "$d/s" | sed -n 's/.*uuid: *//p')
mount -t tmpfs none "$d/s" || exit 1
[ -n "$ur" ] && [ -n "$us" ] || { echo "no uuids ($ur/$us)"; exit 1; }
check "the mount table lists R under a path with a space" grep -q ' btrfs ' /proc/1/mounts
check "  ... as \\040" grep -q "r\\\\0403 btrfs" /proc/1/mounts

read -r p1 p2 < <(free_ports 2 | tr '\n' ' ')
"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults --collector.btrfs \
	>"$d/ne.log" 2>&1 &
pid1=$!
"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults --collector.btrfs \
	>"$d/he.log" 2>&1 &
pid2=$!
on_exit "kill $pid1 $pid2; wait $pid1 $pid2"
check "node_exporter answers" wait_http "http://127.0.0.1:$p1/metrics" 60
check "host-exporter answers" wait_http "http://127.0.0.1:$p2/metrics" 60

# Other tests may have btrfs filesystems of their own in /sys/fs/btrfs: only
# this test's two are compared.
scrape() {
	curl -s --max-time 30 "http://127.0.0.1:$1/metrics" |
		grep -E "^# (HELP|TYPE) node_btrfs_|^node_btrfs_.*uuid=\"($ur|$us)\"|^node_scrape_collector_success" |
		awk '/^#/ { print; next } { $NF = sprintf("%.17g", $NF); print }' | sort
}
scrape "$p1" >"$d/ne.txt"
scrape "$p2" >"$d/he.txt"
check "same btrfs series as node_exporter" diff -u "$d/ne.txt" "$d/he.txt"
check "R: both devices' ioctl sizes (btrfs_dev_uuid label)" \
	test "$(grep -c "^node_btrfs_device_size_bytes{btrfs_dev_uuid=.*uuid=\"$ur\"}" "$d/he.txt")" = 2
check "R: the corruption error counted on ${lb##*/}" \
	grep -q "^node_btrfs_device_errors_total{btrfs_dev_uuid=\"[0-9a-f-]*\",device=\"${lb##*/}\",type=\"corruption\",uuid=\"$ur\"} 1$" "$d/he.txt"
check "R: 2 devices x 5 error types, not more for its 3 mounts" \
	test "$(grep -c "^node_btrfs_device_errors_total{.*uuid=\"$ur\"}" "$d/he.txt")" = 10
check "R: unused bytes below the size" \
	grep -q "^node_btrfs_device_unused_bytes{btrfs_dev_uuid=.*device=\"${la##*/}\",uuid=\"$ur\"} [1-9]" "$d/he.txt"
check "S (ioctls out of reach): the sysfs device size" \
	grep -q "^node_btrfs_device_size_bytes{device=\"${lc##*/}\",uuid=\"$us\"} 167772160$" "$d/he.txt"
check "S: no ioctl families" bash -c "! grep -q 'node_btrfs_device_errors_total{.*uuid=\"$us\"}' '$d/he.txt'"
check "collector succeeds" grep -q '^node_scrape_collector_success{collector="btrfs"} 1$' "$d/he.txt"

# Uncovered, S answers the ioctls as well.
umount "$d/s"
scrape "$p1" >"$d/ne2.txt"
scrape "$p2" >"$d/he2.txt"
check "S uncovered: same btrfs series as node_exporter" diff -u "$d/ne2.txt" "$d/he2.txt"
check "S uncovered: its ioctl device families" \
	test "$(grep -c "^node_btrfs_device_errors_total{.*uuid=\"$us\"}" "$d/he2.txt")" = 5
finish
