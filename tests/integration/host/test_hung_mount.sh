#!/bin/bash
# A hung mount (issue 4): statfs on a FUSE mount whose daemon never answers
# blocks forever, like a stale NFS mount.  The filesystem collector must give
# up on it after --collector.filesystem.mount-timeout, report
# node_filesystem_device_error 1 for it, still report the healthy mounts, and
# later scrapes must not wait on it again.  Runs in a private mount namespace
# (tests/integration/host/fuse_hang.c; root and /dev/fuse).
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FH=$BUILD_DIR/tests/integration/host/fuse_hang
FX=$SRC_DIR/tests/fixtures/host
[ "$(id -u)" = 0 ] && [ -c /dev/fuse ] || { echo "needs root and /dev/fuse"; exit 77; }
d=$(tmpdir_new)
mkdir "$d/mnt"
cp -r "$FX/proc" "$d/proc"
printf '/dev/root / ext4 rw,relatime 0 0\nfuse_hang %s fuse rw,nosuid,nodev 0 0\n' "$d/mnt" >"$d/proc/1/mounts"

port=$(free_port)
"$FH" "$d/mnt" "$HE" --web.listen-address="127.0.0.1:$port" --path.procfs="$d/proc" \
	--collector.disable-defaults --collector.filesystem --collector.loadavg \
	--collector.filesystem.mount-timeout=2s --collector.timeout=5s >"$d/he.log" 2>&1 &
fh=$!
on_exit "kill $fh; wait $fh"
sleep 0.2
if ! kill -0 $fh 2>/dev/null; then
	wait $fh
	rc=$?
	cat "$d/he.log"
	[ $rc = 77 ] && { echo "FUSE mount not possible here"; exit 77; }
	echo "fuse_hang failed ($rc)"
	exit 1
fi
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20

t0=$EPOCHREALTIME
curl -sf --max-time 10 -o "$d/1.txt" "http://127.0.0.1:$port/metrics"
t1=$EPOCHREALTIME
cat "$d/1.txt" | grep filesystem
check "first scrape answers after about the mount timeout (2 s), not the collector's (5 s)" $PY -c "import sys; sys.exit(0 if 1.9 < $t1 - $t0 < 4 else 1)"
check "hung mount: device_error 1" grep -q "^node_filesystem_device_error{device=\"fuse_hang\",fstype=\"fuse\",mountpoint=\"$d/mnt\"} 1$" "$d/1.txt"
check "healthy mount: device_error 0" grep -q '^node_filesystem_device_error{device="/dev/root",fstype="ext4",mountpoint="/"} 0$' "$d/1.txt"
check "healthy mount: size reported" grep -q '^node_filesystem_size_bytes{device="/dev/root",fstype="ext4",mountpoint="/"} [1-9]' "$d/1.txt"
check "hung mount: no size" bash -c "! grep -q 'node_filesystem_size_bytes{device=\"fuse_hang\"' '$d/1.txt'"
check "filesystem collector itself succeeds" grep -q '^node_scrape_collector_success{collector="filesystem"} 1$' "$d/1.txt"
check "loadavg unaffected" grep -q '^node_scrape_collector_success{collector="loadavg"} 1$' "$d/1.txt"

t0=$EPOCHREALTIME
curl -sf --max-time 10 -o "$d/2.txt" "http://127.0.0.1:$port/metrics"
t1=$EPOCHREALTIME
check "second scrape does not wait on the stuck mount again (< 1.5 s)" $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 1.5 else 1)"
check "second scrape: still device_error 1" grep -q "^node_filesystem_device_error{device=\"fuse_hang\",fstype=\"fuse\",mountpoint=\"$d/mnt\"} 1$" "$d/2.txt"
curl -sf --max-time 10 -H 'X-Prometheus-Scrape-Timeout-Seconds: 0.5' -o "$d/3.txt" "http://127.0.0.1:$port/metrics"
check "short scrape deadline: healthy mount not flagged" grep -q '^node_filesystem_device_error{device="/dev/root",fstype="ext4",mountpoint="/"} 0$' "$d/3.txt"
# SIGTERM to fuse_hang aborts the FUSE connection, then stops the exporter:
# it must exit 0 even with a helper thread that was stuck in statfs.
kill -TERM $fh
rc=124
for i in $(seq 1 100); do
	if ! kill -0 $fh 2>/dev/null; then wait $fh; rc=$?; break; fi
	sleep 0.1
done
check "exporter exits 0 after the stuck statfs is released" [ $rc = 0 ]
finish
