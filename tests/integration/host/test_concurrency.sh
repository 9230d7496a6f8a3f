#!/bin/bash
# Concurrent scrapes (issue 4): 8 parallel curl loops against one
# host-exporter (fixture tree plus the live /proc through collect[]); every
# answer must be a complete, well-formed exposition with every collector
# successful and the same families as a lone scrape.  Also run under
# ThreadSanitizer by `make tsan`.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)
n=${HOST_CONC_SCRAPES:-25}

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" --no-collector.systemd --path.procfs="$FX/proc" --path.sysfs="$FX/sys" \
	--path.rootfs="$FX/rootfs" --path.udev.data="$FX/udev" \
	--collector.textfile.directory="$FX/textfile" >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20
curl -sf "http://127.0.0.1:$port/metrics" -o "$d/ref.txt"
# every exporter here runs the default set: its size, from the start-up log
export NCOLL=$(grep -c 'msg="Enabled collector"' "$d/he.log")
check "the default set has over 15 collectors ($NCOLL)" [ "$NCOLL" -gt 15 ]

loops=()
for w in $(seq 1 8); do
	(
		for i in $(seq 1 "$n"); do
			if [ $((i % 2)) = 0 ]; then
				curl -sf --compressed "http://127.0.0.1:$port/metrics" -o "$d/w$w.$i.txt" || echo fail >"$d/w$w.$i.err"
			else
				curl -sf "http://127.0.0.1:$port/metrics" -o "$d/w$w.$i.txt" || echo fail >"$d/w$w.$i.err"
			fi
		done
	) &
	loops+=($!)
done
wait "${loops[@]}"
check "all scrapes returned 200" bash -c "! ls '$d'/*.err 2>/dev/null | grep -q ."
$PY - "$d" "$n" <<'PY'
import glob, os, re, sys
d, n = sys.argv[1], int(sys.argv[2])

def families(path):
    fams, cur, seen = [], None, set()
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in seen, "%s: %s twice" % (path, name)
            seen.add(name)
            fams.append(name)
            cur = name
        elif line and not line.startswith("#"):
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
            assert m, "%s: bad line %r" % (path, line)
            float(m.group(3))
            base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
            assert m.group(1) == cur or base == cur, "%s: %s outside its family" % (path, line)
    return fams

ref = families(d + "/ref.txt")
files = glob.glob(d + "/w*.txt")
assert len(files) == 8 * n, "expected %d outputs, got %d" % (8 * n, len(files))
for f in files:
    fams = families(f)
    assert fams == ref, "%s: families differ from a lone scrape" % f
    text = open(f).read()
    assert text.count('node_scrape_collector_success{') == int(os.environ["NCOLL"]), f
    assert ' 0\n' not in "".join(l + "\n" for l in text.splitlines() if l.startswith("node_scrape_collector_success")), f
print("%d outputs valid" % len(files))
PY
check "every concurrent output is complete and well-formed" [ $? = 0 ]
check "exporter still alive" kill -0 $pid

# The same with abandoned collectors: loadavg is a FIFO nobody writes, the
# deadline is 3 s (generous: other collectors must not miss it under
# ASan on a loaded machine), 8 scrapers at once; late workers are released at the end.
cp -r "$FX/proc" "$d/proc"
rm "$d/proc/loadavg"
mkfifo "$d/proc/loadavg"
port2=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port2" --no-collector.systemd --path.procfs="$d/proc" --path.sysfs="$FX/sys" \
	--path.rootfs="$FX/rootfs" --collector.textfile.directory="$FX/textfile" \
	--collector.timeout=3s >"$d/he2.log" 2>&1 &
pid2=$!
on_exit "kill -9 $pid2"
check "second exporter answers" wait_http "http://127.0.0.1:$port2/-/healthy" 20
loops=()
for w in $(seq 1 8); do
	( for i in 1 2 3; do curl -sf --max-time 30 "http://127.0.0.1:$port2/metrics" -o "$d/t$w.$i.txt" || echo fail >"$d/t$w.$i.err"; done ) &
	loops+=($!)
done
wait "${loops[@]}"
check "timeouts under concurrency: all 200" bash -c "! ls '$d'/t*.err 2>/dev/null | grep -q ."
check "timeouts under concurrency: loadavg success 0 everywhere" \
	[ "$(grep -l '^node_scrape_collector_success{collector="loadavg"} 0$' "$d"/t*.txt | wc -l)" = 24 ]
check "timeouts under concurrency: the $((NCOLL - 1)) others succeed everywhere" \
	[ "$(grep -c '^node_scrape_collector_success{collector="[a-z_]*"} 1$' "$d"/t*.txt | grep -vc ":$((NCOLL - 1))\$")" = 0 ]
# The live /proc and /sys: procfs-only collectors run on the scraping
# threads, /proc and /sys descriptors stay open and are re-read, regex
# answers are memoised -- all shared by 8 concurrent scrapers.  Every output
# complete, every collector that succeeds alone succeeds here, and the data
# is fresh: counters the scrapes themselves move (TCP passive opens from
# /proc/net/snmp, context switches from /proc/stat) grow from one scrape to
# the next although both are read through the same kept descriptor.
port3=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port3" --no-collector.systemd --collector.textfile.directory="$FX/textfile" \
	>"$d/he3.log" 2>&1 &
pid3=$!
on_exit "kill -9 $pid3"
check "live exporter answers" wait_http "http://127.0.0.1:$port3/-/healthy" 20
curl -sf "http://127.0.0.1:$port3/metrics" -o "$d/live-ref.txt"
anon_kb() { awk '/^Anonymous:/ { print $2 }' "/proc/$1/smaps_rollup"; }
anon0=$(anon_kb $pid3)
loops=()
for w in $(seq 1 8); do
	( for i in $(seq 1 "$n"); do curl -sf "http://127.0.0.1:$port3/metrics" -o "$d/l$w.$i.txt" || echo fail >"$d/l$w.$i.err"; done ) &
	loops+=($!)
done
wait "${loops[@]}"
check "live concurrent scrapes: all 200" bash -c "! ls '$d'/l*.err 2>/dev/null | grep -q ."
# Memory after the burst (issue 13): what it made beyond the kept spares is
# freed and handed back (mem_trim_*) within a second or two: measured
# 1.5-1.7x the figure after the first scrape (2.6-2.9 MB for 1.7 MB), up to
# 2.4x at the burst's peak, 2.0-2.2x for good before that was done.  A guard
# against gross regressions only (a buffer per thread, a leak per scrape):
# 2.5x, polled for up to 20 s; not under sanitizers (their allocators and
# shadow memory are not what is measured).
if [ -z "${SAN:-}" ] && [ -n "$anon0" ]; then
	limit=$((anon0 * 5 / 2))
	anon1=$(anon_kb $pid3)
	for i in $(seq 1 40); do
		[ "$anon1" -le "$limit" ] && break
		sleep 0.5
		anon1=$(anon_kb $pid3)
	done
	check "anonymous memory after the burst: $anon1 kB <= 2.5 x $anon0 kB" [ "$anon1" -le "$limit" ]
fi
$PY - "$d" "$port3" <<'PY'
import glob, os, re, sys, time, urllib.request
d, port = sys.argv[1], sys.argv[2]
def ok_set(text):
    return {m.group(1) for m in re.finditer(r'^node_scrape_collector_success\{collector="([a-z_]+)"\} 1$', text, re.M)}
ref = open(d + "/live-ref.txt").read()
want = ok_set(ref)
assert len(want) >= 12, "only %s succeed on the live host" % sorted(want)
files = glob.glob(d + "/l*.txt")
assert files
for f in files:
    text = open(f).read()
    assert text.count("node_scrape_collector_success{") == int(os.environ["NCOLL"]), f
    assert ok_set(text) == want, "%s: %s" % (f, sorted(want ^ ok_set(text)))
def scrape():
    return urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
def val(text, series):
    m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
    assert m, series
    return float(m.group(1))
prev = scrape()
for i in range(5):
    time.sleep(0.05)
    cur = scrape()
    for s in ("node_netstat_Tcp_PassiveOpens", "node_context_switches_total"):
        assert val(cur, s) > val(prev, s), "%s did not grow: %s -> %s" % (s, val(prev, s), val(cur, s))
    prev = cur
print("%d live outputs valid, counters fresh" % len(files))
PY
check "live: concurrent outputs complete, counters fresh across scrapes" [ $? = 0 ]

# Release the stuck workers (each open() of the FIFO waits for a writer).
( for i in $(seq 1 40); do echo "1 2 3 1/1 1" >"$d/proc/loadavg"; done ) &
feeder=$!
sleep 1
kill $feeder 2>/dev/null
for p in $pid $pid2 $pid3; do
	kill -TERM $p
	rc=124
	for i in $(seq 1 100); do
		if ! kill -0 $p 2>/dev/null; then wait $p; rc=$?; break; fi
		sleep 0.1
	done
	check "exporter $p exits 0 on SIGTERM (no sanitizer report)" [ "$rc" = 0 ]
done
check "no ThreadSanitizer report" bash -c "! grep -q ThreadSanitizer '$d'/he*.log"
finish
