#!/bin/bash
# host-exporter behaviour (issue 4): flags and exit codes, collector failure
# isolation with log-once, collect[], textfile rejection per file, the
# per-collector deadline on a hung read (a FIFO with no writer), max-requests,
# SIGHUP keeps serving, SIGTERM exits 0.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)

# ---- flags ----
out=$("$HE" --collector.diskstats.device-exclude='([a-z' 2>&1); rc=$?
check "bad regex exits 2" [ $rc = 2 ]
check "bad regex message names the flag" grep -q -- "--collector.diskstats.device-exclude" <<<"$out"
out=$("$HE" --collector.netstat.fields='(?P<x' 2>&1); rc=$?
check "bad netstat regex exits 2" [ $rc = 2 ]
out=$("$HE" --collector.netdev.device-include=eth --collector.netdev.device-exclude=lo 2>&1); rc=$?
check "include+exclude exits 2" [ $rc = 2 ]
check "include+exclude says mutually exclusive" grep -q "mutually exclusive" <<<"$out"
"$HE" --no-such-flag >/dev/null 2>&1; rc=$?
check "unknown flag exits 2" [ $rc = 2 ]
"$HE" --collector.timeout=banana >/dev/null 2>&1; rc=$?
check "bad duration exits 2" [ $rc = 2 ]
out=$("$HE" --help 2>&1); rc=$?
check "--help exits 0" [ $rc = 0 ]
for f in collector.cpu collector.textfile.directory collector.filesystem.mount-points-exclude \
	collector.disable-defaults path.procfs web.max-requests collector.timeout; do
	check "--help lists --$f" grep -q -- "$f" <<<"$out"
done
check "--version exits 0" "$HE" --version

start() {	# start NAME ARGS...: host-exporter on a free port; sets port_NAME, pid_NAME
	local name=$1 port
	shift
	port=$(free_port)
	"$HE" --web.listen-address="127.0.0.1:$port" --no-collector.systemd "$@" >"$d/$name.log" 2>&1 &
	eval "pid_$name=$!; port_$name=$port"
	on_exit "kill -9 $! 2>/dev/null"
	wait_http "http://127.0.0.1:$port/-/healthy" 20
}

# ---- failure isolation: a fixture copy without loadavg ----
cp -r "$FX/proc" "$d/proc"
rm "$d/proc/loadavg"
start iso --path.procfs="$d/proc" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs" \
	--collector.textfile.directory="$FX/textfile"
for i in 1 2 3; do curl -sf "http://127.0.0.1:$port_iso/metrics" >"$d/iso.txt"; done
check "missing file: loadavg success 0" grep -q '^node_scrape_collector_success{collector="loadavg"} 0$' "$d/iso.txt"
others=$(($(grep -c 'msg="Enabled collector"' "$d/iso.log") - 1))	# the default set but loadavg
check "missing file: the other $others collectors succeed" \
	[ "$(grep -c '^node_scrape_collector_success{collector="[a-z_]*"} 1$' "$d/iso.txt")" = "$others" ]
check "missing file: no node_load1" bash -c "! grep -q '^node_load1 ' '$d/iso.txt'"
check "missing file: logged once over 3 scrapes" \
	[ "$(grep -c 'msg="collector failed" collector=loadavg' "$d/iso.log")" = 1 ]
check "the log names the file" grep -q "loadavg: No such file" "$d/iso.log"

# ---- collect[] ----
code=$(curl -s -o "$d/c.txt" -w '%{http_code}' "http://127.0.0.1:$port_iso/metrics?collect[]=cpu&collect[]=stat")
check "collect[]: 200" [ "$code" = 200 ]
check "collect[]: exactly 2 collectors ran" [ "$(grep -c '^node_scrape_collector_success' "$d/c.txt")" = 2 ]
check "collect[]: cpu present" grep -q '^node_cpu_seconds_total' "$d/c.txt"
check "collect[]: meminfo absent" bash -c "! grep -q '^node_memory_' '$d/c.txt'"
code=$(curl -s -o "$d/c.txt" -w '%{http_code}' "http://127.0.0.1:$port_iso/metrics?collect[]=nosuch")
check "collect[] unknown: 400" [ "$code" = 400 ]
check "collect[] unknown: message" grep -q "missing collector: nosuch" "$d/c.txt"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_iso/")
check "landing page 200" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port_iso/metrics")
check "POST /metrics: 405" [ "$code" = 405 ]

# ---- --collector.disable-defaults, --no-collector ----
start dd --collector.disable-defaults --collector.loadavg --path.procfs="$FX/proc"
curl -sf "http://127.0.0.1:$port_dd/metrics" >"$d/dd.txt"
check "disable-defaults: only loadavg" [ "$(grep -c '^node_scrape_collector_success' "$d/dd.txt")" = 1 ]
code=$(curl -s -o "$d/c.txt" -w '%{http_code}' "http://127.0.0.1:$port_dd/metrics?collect[]=cpu")
check "collect[] of a disabled collector: 400" [ "$code" = 400 ]
start nc --no-collector.cpu --path.procfs="$FX/proc" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs"
curl -sf "http://127.0.0.1:$port_nc/metrics" >"$d/nc.txt"
check "--no-collector.cpu" bash -c "! grep -q 'collector=\"cpu\"' '$d/nc.txt'"

# ---- textfile: bad files rejected one by one ----
tf=$d/tf
mkdir "$tf"
printf '# HELP good_total Good.\n# TYPE good_total counter\ngood_total{a="1"} 1\ngood_total{a="2"} 2\n' >"$tf/a_good.prom"
printf 'bad_syntax{a="1" 1\n' >"$tf/b_syntax.prom"
printf 'dup_metric{a="1"} 1\ndup_metric{a="1"} 2\n' >"$tf/c_dup.prom"
printf '# HELP node_load1 Hijack.\n# TYPE node_load1 counter\nnode_load1 5\n' >"$tf/d_conflict_collector.prom"
printf '# TYPE good_total gauge\ngood_total{a="3"} 3\n' >"$tf/e_conflict_file.prom"
printf 'with_ts 1 1700000000000\n' >"$tf/f_timestamp.prom"
printf '# TYPE x counter\n# TYPE x gauge\nx 1\n' >"$tf/g_two_types.prom"
printf 'bad_value abc\n' >"$tf/h_value.prom"
mkfifo "$tf/i_fifo.prom"
printf 'also_good 7\n' >"$tf/j_good.prom"
printf 'ignored 1\n' >"$tf/k_not_prom.txt"
start tf --collector.disable-defaults --collector.textfile --collector.loadavg \
	--path.procfs="$FX/proc" --collector.textfile.directory="$tf" --collector.timeout=3s
t0=$EPOCHREALTIME
curl -sf --max-time 10 "http://127.0.0.1:$port_tf/metrics" >"$d/tf.txt"
t1=$EPOCHREALTIME
check "textfile: a FIFO does not hang the scrape" $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 2 else 1)"
check "textfile: scrape_error 1" grep -q '^node_textfile_scrape_error 1$' "$d/tf.txt"
check "textfile: good file kept" grep -q '^good_total{a="2"} 2$' "$d/tf.txt"
check "textfile: second good file kept" grep -q '^also_good 7$' "$d/tf.txt"
for bad in bad_syntax dup_metric 'node_load1 5' 'good_total{a="3"}' with_ts '^x ' bad_value ignored; do
	check "textfile: rejected content absent: $bad" bash -c "! grep -q -- '$bad' '$d/tf.txt'"
done
check "textfile: node_load1 still from loadavg" grep -q '^node_load1 0.21$' "$d/tf.txt"
# a later file giving good_total another type: its samples are dropped as
# node_exporter 1.5's registry drops them, and the file counts as read
check "textfile: mtime only for the 2 good files and e_conflict_file" \
	[ "$(grep -c '^node_textfile_mtime_seconds{' "$d/tf.txt")" = 3 ]
check "textfile: e_conflict_file not logged as an error" bash -c "! grep -q 'file=e_conflict_file.prom' '$d/tf.log'"
$PY - "$d/tf.txt" <<'PY' && pass "textfile: every family has one HELP/TYPE and contiguous samples" || fail "textfile: exposition well-formed"
import sys, re
seen, cur = set(), None
for line in open(sys.argv[1]):
    if line.startswith("# TYPE "):
        name = line.split()[2]
        assert name not in seen, name
        seen.add(name); cur = name
    elif not line.startswith("#"):
        n = re.match(r'[a-zA-Z_:][a-zA-Z0-9_:]*', line).group(0)
        assert n == cur or re.sub(r'_(bucket|sum|count)$', '', n) == cur, (n, cur)
PY
for f in b_syntax c_dup d_conflict_collector f_timestamp g_two_types h_value i_fifo; do
	check "textfile: $f logged" grep -q "file=$f.prom" "$d/tf.log"
done
curl -sf "http://127.0.0.1:$port_tf/metrics" >/dev/null
check "textfile: errors logged once, not every scrape" [ "$(grep -c 'file=b_syntax.prom' "$d/tf.log")" = 1 ]

# ---- the per-collector deadline: loadavg is a FIFO nobody writes ----
cp -r "$FX/proc" "$d/hang"
rm "$d/hang/loadavg"
mkfifo "$d/hang/loadavg"
start hang --path.procfs="$d/hang" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs" \
	--collector.textfile.directory="$FX/textfile" --collector.timeout=1s --web.max-requests=1
for i in 1 2 3; do
	t0=$EPOCHREALTIME
	code=$(curl -s --max-time 10 -o "$d/hang.txt" -w '%{http_code}' "http://127.0.0.1:$port_hang/metrics")
	t1=$EPOCHREALTIME
	check "hung read, scrape $i: answered 200" [ "$code" = 200 ]
	check "hung read, scrape $i: within 2.5 s" $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 2.5 else 1)"
	check "hung read, scrape $i: loadavg success 0" grep -q '^node_scrape_collector_success{collector="loadavg"} 0$' "$d/hang.txt"
	check "hung read, scrape $i: $others others succeed" \
		[ "$(grep -c '^node_scrape_collector_success{collector="[a-z_]*"} 1$' "$d/hang.txt")" = "$others" ]
done
# The header against a 20 s --collector.timeout: a 0.4 s deadline answers in
# well under 10 s even under ASan on a loaded machine, the flag's would not
# (the margin is what keeps this from being a timing test).
start hang20 --path.procfs="$d/hang" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs" \
	--collector.textfile.directory="$FX/textfile" --collector.timeout=20s --web.max-requests=1
t0=$EPOCHREALTIME
curl -s --max-time 30 -o "$d/hdr.txt" -H 'X-Prometheus-Scrape-Timeout-Seconds: 0.4' "http://127.0.0.1:$port_hang20/metrics"
t1=$EPOCHREALTIME
check "X-Prometheus-Scrape-Timeout-Seconds shortens the 20 s deadline (answer < 10 s)" \
	$PY -c "import sys; sys.exit(0 if $t1 - $t0 < 10 else 1)"
kill -9 "$pid_hang20" 2>/dev/null
check "short deadline: loadavg success 0" grep -q '^node_scrape_collector_success{collector="loadavg"} 0$' "$d/hdr.txt"
check "hung read: timeout logged" grep -q 'collector=loadavg err="collector timed out' "$d/hang.log"
# The hung workers finish late when the FIFO gets a writer: nothing breaks.
for i in 1 2 3; do echo "1.00 2.00 3.00 1/1 1" >"$d/hang/loadavg"; done &
sleep 0.5
curl -sf -o "$d/hang2.txt" "http://127.0.0.1:$port_hang/metrics"
check "after the late finish the exporter still answers" grep -q '^node_scrape_collector_success{collector="cpu"} 1$' "$d/hang2.txt"
check "still alive" kill -0 "$pid_hang"

# ---- --web.max-requests=1: 8 slow scrapes at once, some must get 503 ----
rm -f "$d/hang/loadavg"; mkfifo "$d/hang/loadavg"
cpids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "http://127.0.0.1:$port_hang/metrics" >"$d/mr.$i" &
	cpids+=($!)
done
wait "${cpids[@]}"
check "max-requests: some of 8 concurrent scrapes get 503" grep -q 503 "$d"/mr.*
check "max-requests: the others get 200" grep -q 200 "$d"/mr.*

# ---- sd_notify: READY=1 once listening, STOPPING=1 on SIGTERM ----
$PY - "$d/notify.sock" >"$d/notify.txt" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
end = time.time() + 20
try:
    while time.time() < end:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
except socket.timeout:
    pass
PY
notify_pid=$!
on_exit "kill $notify_pid"
for i in $(seq 1 50); do [ -S "$d/notify.sock" ] && break; sleep 0.1; done
nport=$(free_port)
NOTIFY_SOCKET="$d/notify.sock" "$HE" --web.listen-address="127.0.0.1:$nport" --collector.disable-defaults \
	--collector.loadavg --path.procfs="$FX/proc" >"$d/notify-he.log" 2>&1 &
npid=$!
on_exit "kill -9 $npid"
wait_http "http://127.0.0.1:$nport/metrics" 20
for i in $(seq 1 50); do grep -q "READY=1" "$d/notify.txt" && break; sleep 0.1; done
check "sd_notify READY=1 sent" grep -q "READY=1" "$d/notify.txt"
kill -TERM $npid
wait $npid
for i in $(seq 1 50); do grep -q "STOPPING=1" "$d/notify.txt" && break; sleep 0.1; done
check "sd_notify STOPPING=1 sent on SIGTERM" grep -q "STOPPING=1" "$d/notify.txt"

# ---- signals ----
kill -HUP "$pid_iso"
sleep 0.3
check "SIGHUP: still running" kill -0 "$pid_iso"
check "SIGHUP: still serving" wait_http "http://127.0.0.1:$port_iso/metrics" 5
check "SIGHUP: logged" grep -q "SIGHUP" "$d/iso.log"
kill -TERM "$pid_iso"
rc=124
for i in $(seq 1 50); do
	if ! kill -0 "$pid_iso" 2>/dev/null; then wait "$pid_iso"; rc=$?; break; fi
	sleep 0.1
done
check "SIGTERM: exits 0 within 5 s" [ "$rc" = 0 ]
finish
