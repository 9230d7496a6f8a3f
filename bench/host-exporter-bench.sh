#!/bin/bash
# host-exporter vs Debian's prometheus-node-exporter 1.5, restricted to the
# same 16 collectors, in one run (issue 4): scrape latency p50/p99 over 300
# scrapes with a new connection each and kept alive, 8 concurrent scrapers
# (throughput), CPU seconds per 1000 scrapes (the process CPU clock, in ns,
# of all threads; also gzip-encoded, as Prometheus asks), the latency of a trivial page (the
# client's and HTTP's share of the latency),
# RSS after warm-up, bytes per scrape (plain, gzip), and the floor of each
# column: what one scrape of that exporter does to the file system (traced
# with strace at bench time: every file read, directory listed, open that
# failed, stat and statfs; bench/host-trace-list.py), replayed in one process
# by bench/host-floor.c (CPU time): open/read/close each and list each
# directory, and pread/re-list on descriptors kept for every procfs and sysfs
# path, each plus the gzip (level 1) of the same body.  Also, in the same
# run: both exporters with their whole default sets (what a user compares;
# issue 13: CPU, p50, PSS, anonymous memory) and the RSS floor of the dependencies
# (bench/rss-floor.c, a minimal libmicrohttpd server; again linked with
# every library host-exporter loads), and memory again 5 s after the
# scrapers stopped.  Prints ratios.
# The "8 scrapers" rows end with the memory read as the last answer arrives
# ("RSS/PSS after warm-up": right after the burst), and again 0.5 s later;
# host-exporter lets at most --collector.max-concurrent scrapes (default: the
# CPUs) collect at once and gives back what a burst made when its last scrape
# is over (exporters/host/main.c, "The end of a burst").
# Never fails on speed.  SCRAPES (default 300) sets the sequential count;
# HOST_EXPORTER=PATH benchmarks another build (A/B: run two builds in turn).
set -u
: "${SRC_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD_DIR:=$SRC_DIR/build}"
. "$SRC_DIR/tests/lib/common.sh"
HE=${HOST_EXPORTER:-$BUILD_DIR/host-exporter}
NE=/usr/bin/prometheus-node-exporter
N=${SCRAPES:-300}
d=$(tmpdir_new)
mkdir "$d/tf"
cc -O2 -o "$d/floor" "$SRC_DIR/bench/host-floor.c" -ldeflate || exit 1
cc -O2 -o "$d/rss-floor" "$SRC_DIR/bench/rss-floor.c" -lmicrohttpd -lpthread || exit 1
# The same server loading every library host-exporter loads (libsystemd,
# libpcre2, libyaml, libdeflate...): their relocated data and start-up
# allocations are anonymous memory no exporter linked with them avoids.
cc -O2 -o "$d/rss-floor-all" "$SRC_DIR/bench/rss-floor.c" -Wl,--no-as-needed -lmicrohttpd \
	-lsystemd -ldeflate -lyaml -lcrypt -lgnutls -lm -lprotobuf-c -lpcre2-8 -lpthread || exit 1

colls=(cpu meminfo loadavg stat vmstat diskstats netdev filesystem uname time pressure filefd sockstat netstat os textfile)
args=(--collector.disable-defaults --collector.textfile.directory="$d/tf")
for c in "${colls[@]}"; do args+=("--collector.$c"); done
hp=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$hp" "${args[@]}" --log.level=warn >"$d/he.log" 2>&1 &
hpid=$!
on_exit "kill $hpid"
np=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$np" "${args[@]}" --log.level=warn >"$d/ne.log" 2>&1 &
npid=$!
on_exit "kill $npid"
# Both with their whole default sets (no --collector flags): what a user
# compares when swapping one for the other (issue 13).
gp=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$gp" --collector.textfile.directory="$d/tf" --log.level=warn >"$d/hefull.log" 2>&1 &
gpid=$!
on_exit "kill $gpid"
fp=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$fp" --collector.textfile.directory="$d/tf" --log.level=warn >"$d/nefull.log" 2>&1 &
fpid=$!
on_exit "kill $fpid"
rp=$(free_port)
"$d/rss-floor" "$rp" >"$d/rf.log" 2>&1 &
rpid=$!
on_exit "kill $rpid"
ap=$(free_port)
"$d/rss-floor-all" "$ap" >"$d/rfa.log" 2>&1 &
apid=$!
on_exit "kill $apid"
for u in "$hp/metrics" "$np/metrics" "$gp/metrics" "$fp/metrics" "$rp/" "$ap/"; do
	wait_http "http://127.0.0.1:$u" 20 || { echo "server on $u did not start"; exit 1; }
done

# The floor of each column: trace one scrape (after warm-up, so kept
# descriptors show as reads), replay it.  Needs strace (the floor rows are
# left out without it).
trace_floor() { # PORT PID NAME -> "ORC KEPT GZIP NFILES NDIRS NFAIL NDUMPS" (best of 5 runs)
	local port=$1 pid=$2 name=$3 spid ok i
	command -v strace >/dev/null || { echo "0 0 0 0 0 0 0"; return; }
	for i in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
	curl -s -o "$d/$name.body" "http://127.0.0.1:$port/metrics"
	strace -f -qq -y -ff -o "$d/$name.tr" -p "$pid" -e trace=%file,%desc,sendto 2>/dev/null &
	spid=$!
	# every thread traced before the scrape (seconds, not a fixed sleep)
	for i in $(seq 1 100); do
		ok=1
		for t in /proc/"$pid"/task/*/status; do
			grep -q '^TracerPid:[[:space:]]*0$' "$t" 2>/dev/null && ok=0
		done
		[ $ok = 1 ] && break
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
	kill -INT $spid 2>/dev/null
	wait $spid 2>/dev/null
	$PY "$SRC_DIR/bench/host-trace-list.py" "$pid" "$d/$name".tr.* >"$d/$name.list"
	# noisy on a shared machine: the best of 5 runs (each field)
	for i in 1 2 3 4 5; do "$d/floor" "$d/$name.list" "$d/$name.body" 300; done |
		sort -n -k2 | head -1
}
floor16=$(trace_floor "$hp" "$hpid" he16)
floorall=$(trace_floor "$gp" "$gpid" hefull)
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $N scrapes per series"
$PY - "$hp" "$hpid" "$np" "$npid" "$N" "$floor16" "$floorall" "$fp" "$fpid" "$rp" "$rpid" "$gp" "$gpid" "$ap" "$apid" <<'PY'
import http.client, os, socket, statistics, sys, threading, time

hp, hpid, np_, npid, N = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
# floors in ms per scrape: orc, kept, gzip, then counts of files, dirs, failed opens
fl16 = [float(x) for x in sys.argv[6].split()]
flall = [float(x) for x in sys.argv[7].split()]
fp, fpid, rp, rpid = int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
gp, gpid = int(sys.argv[12]), int(sys.argv[13])
ap, apid = int(sys.argv[14]), int(sys.argv[15])
HZ = os.sysconf("SC_CLK_TCK")

# CPU time of a whole process in ns: its CPUCLOCK_SCHED process clock, the
# id glibc's clock_getcpuclockid(pid) returns, ((~pid) << 3) | 2
# (include/linux/posix-timers.h): the scheduler's sum of every thread's
# runtime, exited threads included (host-exporter retires idle collector
# threads), read the same way for both exporters.  utime+stime in
# /proc/PID/stat count 10 ms ticks: ~3% over 300 scrapes, 0 for a tiny pass.
def cpu(pid):
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9
    except (OSError, AttributeError):
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / HZ

def rss(pid, key="VmRSS:", f="status"):
    for l in open("/proc/%d/%s" % (pid, f)):
        if l.startswith(key):
            return int(l.split()[1]) * 1024

def scrape(conn, gz=False, path="/metrics"):
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gz else {})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200
    return len(body)

def series(port, pid, keepalive, gz=False, path="/metrics"):
    lat = []
    c0 = cpu(pid)
    conn = http.client.HTTPConnection("127.0.0.1", port) if keepalive else None
    for _ in range(N):
        t = time.perf_counter()
        if keepalive:
            scrape(conn, gz, path)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port)
            scrape(c)
            c.close()
        lat.append(time.perf_counter() - t)
    c1 = cpu(pid)
    lat.sort()
    return lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99) - 1] * 1e3, (c1 - c0) / N * 1000

def concurrent(port, pid, workers=8, per=None):
    per = per or max(25, N // 4)
    lat, lock = [], threading.Lock()
    def w():
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        for _ in range(per):
            t = time.perf_counter(); scrape(conn); mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)
    c0 = cpu(pid)
    t0 = time.perf_counter()
    ts = [threading.Thread(target=w) for _ in range(workers)]
    for t in ts: t.start()
    for t in ts: t.join()
    wall = time.perf_counter() - t0
    c1 = cpu(pid)
    lat.sort()
    return workers * per / wall, lat[len(lat) // 2] * 1e3, (c1 - c0) / wall

res = {}
for name, port, pid in (("host-exporter", hp, hpid), ("node_exporter", np_, npid),
                        ("host-exporter-full", gp, gpid), ("node_exporter-full", fp, fpid)):
    warm = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(30):
        scrape(warm)
    plain, gz = scrape(warm), scrape(warm, True)
    r = {}
    r["p50_new"], r["p99_new"], r["cpu_new"] = series(port, pid, False)
    r["p50_ka"], r["p99_ka"], r["cpu_ka"] = series(port, pid, True)
    # What Prometheus does: Accept-Encoding: gzip, kept alive.
    r["p50_gz"], r["p99_gz"], r["cpu_gz"] = series(port, pid, True, True)
    # This client's own cost plus the HTTP round trip: a trivial page.
    r["p50_triv"] = series(port, pid, True, False, "/-/healthy" if name.startswith("host-exporter") else "/")[0]
    r["tput8"], r["p50_8"], r["cores8"] = concurrent(port, pid)
    r["rss"] = rss(pid)
    r["rssanon"] = rss(pid, "RssAnon:")
    r["pss"] = rss(pid, "Pss:", "smaps_rollup")
    # and half a second later (labelled): what a release still under way
    # as the last answer arrived would give back
    time.sleep(0.5)
    r["anon05"] = rss(pid, "RssAnon:")
    r["pss05"] = rss(pid, "Pss:", "smaps_rollup")
    r["plain"], r["gzip"] = plain, gz
    res[name] = r

# The dependencies' RSS floor: a minimal libmicrohttpd server, same requests.
conn = http.client.HTTPConnection("127.0.0.1", rp)
for _ in range(30 + 4 * N):
    scrape(conn, path="/")
rf_rss, rf_anon = rss(rpid), rss(rpid, "RssAnon:")
conn = http.client.HTTPConnection("127.0.0.1", ap)
for _ in range(30 + 4 * N):
    scrape(conn, path="/")
rfa_anon, rfa_pss = rss(apid, "RssAnon:"), rss(apid, "Pss:", "smaps_rollup")
# Memory once the scrapers stopped: the rows above are read right after the
# 8-scraper burst; a scraped exporter spends nearly all its time idle
# between scrapes.  Both sides get the same 5 s (host-exporter hands a
# burst's surplus back after 1 s quiet, the extra collector threads retire
# after 3 s idle; Go's scavenger works in the background).
time.sleep(5)
for name, pid in (("host-exporter", hpid), ("node_exporter", npid),
                  ("host-exporter-full", gpid), ("node_exporter-full", fpid)):
    res[name]["anonq"] = rss(pid, "RssAnon:")
    res[name]["pssq"] = rss(pid, "Pss:", "smaps_rollup")

h, n, hfull, full = (res["host-exporter"], res["node_exporter"], res["host-exporter-full"],
                     res["node_exporter-full"])
rows = [
    ("p50 latency, new connection (ms)", "p50_new", "%.3f"),
    ("p99 latency, new connection (ms)", "p99_new", "%.3f"),
    ("p50 latency, keep-alive (ms)", "p50_ka", "%.3f"),
    ("p99 latency, keep-alive (ms)", "p99_ka", "%.3f"),
    ("CPU s per 1000 scrapes (new conn)", "cpu_new", "%.3f"),
    ("CPU s per 1000 scrapes (keep-alive)", "cpu_ka", "%.3f"),
    ("p50 latency, keep-alive, gzip (ms)", "p50_gz", "%.3f"),
    ("CPU s per 1000 scrapes (gzip)", "cpu_gz", "%.3f"),
    ("p50 of a trivial page (client+HTTP)", "p50_triv", "%.3f"),
    ("8 scrapers: scrapes/s", "tput8", "%.0f"),
    ("8 scrapers: p50 latency (ms)", "p50_8", "%.3f"),
    ("8 scrapers: cores busy", "cores8", "%.2f"),
    ("RSS after warm-up (MB)", "rss", None),
    ("  of which anonymous (MB)", "rssanon", None),
    ("PSS after warm-up (MB)", "pss", None),
    ("anonymous 0.5 s after last answer (MB)", "anon05", None),
    ("PSS 0.5 s after last answer (MB)", "pss05", None),
    ("anonymous, 5 s after the scrapers (MB)", "anonq", None),
    ("PSS, 5 s after the scrapers (MB)", "pssq", None),
    ("bytes per scrape, plain", "plain", "%d"),
    ("bytes per scrape, gzip", "gzip", "%d"),
]
def ratio(k, a, b):
    # > 1 means host-exporter is better (throughput: higher is better)
    return (a / b if k == "tput8" else b / a) if a and b else float("inf")
print("%-38s %11s %11s %7s | %11s %11s %7s" % ("", "host-exp", "node_exp", "adv.",
                                               "host-exp", "node_exp", "adv."))
print("%-38s %11s %11s %7s | %11s %11s %7s" % ("collectors", "16", "same 16", "",
                                               "defaults", "defaults", ""))
for label, k, fmt in rows:
    a, b, c, e = h[k], n[k], hfull[k], full[k]
    if k in ("rss", "rssanon", "pss", "anon05", "pss05", "anonq", "pssq"):
        sa, sb, sc, se = ("%.1f" % (x / 1e6) for x in (a, b, c, e))
    else:
        sa, sb, sc, se = (fmt % x for x in (a, b, c, e))
    print("%-38s %11s %11s %6.1fx | %11s %11s %6.1fx" % (label, sa, sb, ratio(k, a, b), sc, se,
                                                        ratio(k, c, e)))
print("%-38s %11s %11.1f" % ("RSS floor (minimal libmicrohttpd server)", "", rf_rss / 1e6))
print("%-38s %11s %11.1f" % ("  of which anonymous (MB)", "", rf_anon / 1e6))
print("host-exporter RSS above that floor: %.1f MB (anon %.1f MB)" % ((h["rss"] - rf_rss) / 1e6, (h["rssanon"] - rf_anon) / 1e6))
print("floor with host-exporter's libraries: anonymous %.2f MB, PSS %.2f MB; default set above it, "
      "5 s after the scrapers: anonymous %.2f MB, PSS %.2f MB"
      % (rfa_anon / 1e6, rfa_pss / 1e6, (hfull["anonq"] - rfa_anon) / 1e6, (hfull["pssq"] - rfa_pss) / 1e6))
print("default sets 5 s after the scrapers: anonymous 1/%.1f, PSS 1/%.1f; targets 1/5, 1/4 would "
      "need <= %.2f and <= %.2f MB (the floor above: %.2f, %.2f)"
      % (full["anonq"] / hfull["anonq"], full["pssq"] / hfull["pssq"], full["anonq"] / 5e6,
         full["pssq"] / 4e6, rfa_anon / 1e6, rfa_pss / 1e6))
def floor_rows(fl):
    return (fl[0] + fl[2]) / 1e3, (fl[1] + fl[2]) / 1e3
o16, k16 = floor_rows(fl16)
oall, kall = floor_rows(flall)
print("floor from one traced scrape (files read, dirs listed, failed opens, link dumps): "
      "%d/%d/%d/%d | %d/%d/%d/%d" % (fl16[3], fl16[4], fl16[5], fl16[6], flall[3], flall[4],
                                     flall[5], flall[6]))
print("%-38s %11.3f %11s %7s | %11.3f" % ("floor CPU ms/scrape, open/read/close+gz", o16, "", "", oall))
print("%-38s %11.3f %11s %7s | %11.3f" % ("floor CPU ms/scrape, kept fds+gz", k16, "", "", kall))
if o16 and oall:
    for label, hh, nn, o, k in (("16 collectors", h, n, o16, k16), ("default sets", hfull, full, oall, kall)):
        print("%s (gzip, keep-alive): host-exporter %.3f ms CPU/scrape = %.2fx the open/read/close "
              "floor, %.2fx the kept-descriptor floor; node_exporter %.3f ms = %.1fx the kept floor "
              "(10x lower needs <= %.3f ms)" % (label, hh["cpu_gz"], hh["cpu_gz"] / o, hh["cpu_gz"] / k,
                                               nn["cpu_gz"], nn["cpu_gz"] / k, nn["cpu_gz"] / 10))
else:
    print("floor: strace not installed, not measured")
print("default sets (issue 13 targets: CPU/scrape and p50 >=10x lower, PSS <=1/4, anonymous <=1/5):"
      " CPU %.1fx, p50 %.1fx, PSS 1/%.1f idle (1/%.1f right after 8 scrapers),"
      " anonymous 1/%.1f idle (1/%.1f right after 8 scrapers)"
      % (ratio("cpu_gz", hfull["cpu_gz"], full["cpu_gz"]), ratio("p50_gz", hfull["p50_gz"], full["p50_gz"]),
         ratio("pssq", hfull["pssq"], full["pssq"]), ratio("pss", hfull["pss"], full["pss"]),
         ratio("anonq", hfull["anonq"], full["anonq"]), ratio("rssanon", hfull["rssanon"], full["rssanon"])))
print("targets: >=10x lower p50 and CPU/scrape, within 2x of the floor")
PY
