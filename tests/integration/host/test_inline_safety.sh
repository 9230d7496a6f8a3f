#!/bin/bash
# Which collectors run on the scraping thread (no thread hand-off) and which
# stay on the deadline-guarded pool (collector_classify(), collector.c):
#  - on the real /proc and /sys with local directories, every collector of
#    this test runs inline and a scrape wakes no other thread;
#  - a textfile directory on a hung FUSE mount (a stale NFS stand-in) is
#    classified from the mount table without touching it (start-up does not
#    hang), stays on the pool, and a scrape answers within the deadline;
#  - a symlinked .prom file makes the inline textfile collector decline and
#    hand itself to the pool for that scrape, with the same output;
#  - the filesystem collector statfs()es local mounts itself (no helper
#    thread runs); hung mounts stay with its helper (test_hung_mount.sh);
#  - with more mounts than the classifier keeps (256), an unseen one could
#    be NFS under a path it would call safe: nothing beyond procfs runs
#    inline (private mount namespace with 260 extra tmpfs mounts).
# The hung mount lives in a private mount namespace (fuse_hang; root and
# /dev/fuse).
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FH=$BUILD_DIR/tests/integration/host/fuse_hang
[ "$(id -u)" = 0 ] && [ -c /dev/fuse ] || { echo "needs root and /dev/fuse"; exit 77; }
grep -q ' /proc proc ' /proc/self/mounts && grep -q ' /sys sysfs ' /proc/self/mounts ||
	{ echo "needs procfs on /proc and sysfs on /sys"; exit 77; }
d=$(tmpdir_new)
mkdir "$d/tf" "$d/mnt" "$d/elsewhere"
colls=(--collector.disable-defaults --collector.loadavg --collector.meminfo --collector.cpu
	--collector.time --collector.netdev --collector.filesystem --collector.textfile)

# ---- 1. the real /proc and /sys, a local textfile directory ----
local_types="ext2/ext3 xfs btrfs tmpfs f2fs ramfs"
all_local=1
for p in "$d" /etc /usr/lib /run; do
	t=$(stat -f -c %T "$p" 2>/dev/null)
	case " $local_types " in *" $t "*) ;; *) all_local=0 ;; esac
done
printf '# TYPE inline_probe gauge\ninline_probe 1\n' >"$d/tf/a.prom"
p1=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$p1" "${colls[@]}" \
	--collector.textfile.directory="$d/tf" --log.level=debug >"$d/he1.log" 2>&1 &
pid1=$!
on_exit "kill $pid1; wait $pid1"
check "exporter 1 answers" wait_http "http://127.0.0.1:$p1/-/healthy" 20
for c in loadavg meminfo cpu time netdev filesystem; do
	check "$c runs inline" grep -q "collector=$c runs=inline" "$d/he1.log"
done
curl -sf --max-time 10 -o "$d/1.txt" "http://127.0.0.1:$p1/metrics"
check "textfile read" grep -q '^inline_probe 1$' "$d/1.txt"
check "textfile success 1" grep -q '^node_scrape_collector_success{collector="textfile"} 1$' "$d/1.txt"
check "root mount statfs'd: device_error 0" \
	grep -q '^node_filesystem_device_error{[^}]*mountpoint="/"} 0$' "$d/1.txt"
if [ $all_local = 1 ]; then
	check "textfile runs inline (local directory)" grep -q "collector=textfile runs=inline" "$d/he1.log"
	check "no hand-off to the pool for regular files" bash -c "! grep -q 'handed to the pool' '$d/he1.log'"
	# Every collector inline and local mounts statfs'd in place: no pool
	# worker and no statfs helper (threads named host-exporter besides
	# the main thread) gains CPU time over 500 scrapes.
	workers_cpu() { local t s=0; for t in /proc/$1/task/*; do
		[ "$(cat "$t/comm")" = host-exporter ] && [ "${t##*/}" != "$1" ] &&
			s=$((s + $(awk '{print $14 + $15}' "$t/stat"))); done; echo $s; }
	w0=$(workers_cpu $pid1)
	for i in $(seq 1 500); do curl -sf -o /dev/null "http://127.0.0.1:$p1/metrics"; done
	w1=$(workers_cpu $pid1)
	check "500 scrapes: no worker or helper thread ran ($w0 -> $w1 ticks)" [ "$w1" -le $((w0 + 1)) ]
	# A symlinked .prom may lead anywhere: the pool reads it, same output.
	printf '# TYPE linked_probe gauge\nlinked_probe 2\n' >"$d/elsewhere/b.prom"
	ln -s "$d/elsewhere/b.prom" "$d/tf/b.prom"
	curl -sf --max-time 10 -o "$d/2.txt" "http://127.0.0.1:$p1/metrics"
	check "symlink: handed to the pool" grep -q 'msg="collector handed to the pool" collector=textfile' "$d/he1.log"
	check "symlink: both files exported" bash -c "grep -q '^inline_probe 1$' '$d/2.txt' && grep -q '^linked_probe 2$' '$d/2.txt'"
	check "symlink: textfile success 1" grep -q '^node_scrape_collector_success{collector="textfile"} 1$' "$d/2.txt"
else
	echo "# $d, /etc, /usr/lib or /run not on a local filesystem: inline textfile checks skipped"
fi

# ---- 2. textfile directory on a hung FUSE mount ----
p2=$(free_port)
"$FH" "$d/mnt" "$HE" --web.listen-address="127.0.0.1:$p2" "${colls[@]}" \
	--collector.textfile.directory="$d/mnt" --collector.timeout=1s \
	--collector.filesystem.mount-timeout=500ms --log.level=debug >"$d/he2.log" 2>&1 &
pid2=$!
on_exit "kill $pid2; wait $pid2"
sleep 0.2
if ! kill -0 $pid2 2>/dev/null; then
	wait $pid2
	[ $? = 77 ] && { echo "FUSE mount not possible here"; exit 77; }
fi
check "exporter 2 starts (classification does not touch the hung mount)" \
	wait_http "http://127.0.0.1:$p2/-/healthy" 20
check "textfile on FUSE runs on the pool" grep -q "collector=textfile runs=pool" "$d/he2.log"
check "loadavg still inline" grep -q "collector=loadavg runs=inline" "$d/he2.log"
t0=$EPOCHREALTIME
curl -sf --max-time 10 -o "$d/3.txt" "http://127.0.0.1:$p2/metrics"
t1=$EPOCHREALTIME
check "scrape answers within the collector timeout (1 s) plus slack" \
	$PY -c "import sys; sys.exit(0 if $t1 - $t0 < 3 else 1)"
check "hung textfile: success 0" grep -q '^node_scrape_collector_success{collector="textfile"} 0$' "$d/3.txt"
check "others unaffected" grep -q '^node_scrape_collector_success{collector="loadavg"} 1$' "$d/3.txt"

# ---- 3. a mount table longer than the classifier keeps ----
mkdir "$d/many"
p3=$(free_port)
unshare -m --propagation private bash -c '
	for i in $(seq 1 260); do mkdir -p "$1/many/$i" && mount -t tmpfs -o size=64k t "$1/many/$i" || exit 1; done
	shift; exec "$@"' _ "$d" "$HE" --web.listen-address="127.0.0.1:$p3" "${colls[@]}" \
	--collector.textfile.directory="$d/tf" --log.level=debug >"$d/he3.log" 2>&1 &
pid3=$!
on_exit "kill $pid3; wait $pid3"
check "exporter 3 answers" wait_http "http://127.0.0.1:$p3/-/healthy" 20
check "its namespace holds > 256 mounts" [ "$(wc -l <"/proc/$pid3/mounts")" -gt 256 ]
for c in textfile time cpu netdev; do
	check "many mounts: $c on the pool" grep -q "collector=$c runs=pool" "$d/he3.log"
done
check "many mounts: loadavg (procfs) still inline" grep -q "collector=loadavg runs=inline" "$d/he3.log"
curl -sf --max-time 10 -o "$d/4.txt" "http://127.0.0.1:$p3/metrics"
check "many mounts: textfile read" grep -q '^inline_probe 1$' "$d/4.txt"
check "many mounts: cpu success 1" grep -q '^node_scrape_collector_success{collector="cpu"} 1$' "$d/4.txt"
finish
