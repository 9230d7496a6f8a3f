#!/bin/bash
# Memory right after a burst of scrapes (issue 13: PSS and anonymous memory
# "right after 8 scrapers" in bench/host-exporter-bench.sh).  When the last
# of overlapping scrapes is over, host-exporter gives back what the burst
# made (exporters/host/main.c, "The end of a burst"): the answers' buffers
# (released once every answer is sent: http_config.on_done), the spares,
# the collector workers' read buffers and stack pages (pool_release), and
# the heap is trimmed.  The scrapes of a straggler that goes on alone right
# after the burst release too instead of building the spares again.
#
# Checked by order, not by timing: every scraper asks for /-/healthy on its
# connection after its scrape, which libmicrohttpd answers only after the
# scrape's request is over (its on_done has run, the release with it).
# Then anonymous memory must be within LIMIT kB of the level the idle
# release reached before the burst, on the same eight open connections
# after a first burst on them (so their libmicrohttpd memory and the HTTP
# threads' stacks are in both).  Measured on a 2-core VM: +0 and +8 kB;
# without the release after the answers are sent +236/+248, without the
# workers' part +200/+204, without the stragglers' release +660/+700, as
# before this change +664/+772.  A burst whose scrapes did not overlap (a
# straggler of the barrier on a loaded machine), or a straggler held up for
# half a second (its window is a second), proves nothing and is tried
# again, up to 5 times.  Not under sanitizers (their allocator is not what
# is measured): there the bursts run and must answer completely.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
LIMIT=100
d=$(tmpdir_new)

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" --no-collector.systemd \
	--collector.textfile.directory="$FX/textfile" >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20

$PY - "$port" "$pid" "${SAN:-}" "$LIMIT" >"$d/out" 2>&1 <<'PY'
import http.client, sys, threading, time
port, pid, san, limit = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
GZ = {"Accept-Encoding": "gzip"}

def anon():
    for l in open("/proc/%d/smaps_rollup" % pid):
        if l.startswith("Anonymous:"):
            return int(l.split()[1])

def get(c, path, hdrs={}):
    c.request("GET", path, headers=hdrs)
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status)
    return body

def idle_level():
    # the idle release: a quiet second, then the housekeeping's 500 ms
    # tick; the lowest level seen over 3 s
    low = anon()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:
        time.sleep(0.2)
        low = min(low, anon())
    return low

# Eight connections kept open throughout: their libmicrohttpd memory (32
# KiB each, zeroed after every request) and the HTTP threads' stacks are in
# the idle level as well once a first burst has run on them.
conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=120) for _ in range(8)]
for c in conns:
    c.connect()

def burst(stragglers):
    """8 gzip scrapes at once, one per connection, then /-/healthy on each.
    With stragglers, connection 0 scrapes that many times more once every
    burst scrape is answered."""
    go, answered, lock = threading.Barrier(8), threading.Barrier(8), threading.Lock()
    spans, tail = [], []
    def one(k):
        c = conns[k]
        go.wait()
        t0 = time.monotonic()
        get(c, "/metrics", GZ)
        with lock:
            spans.append((t0, time.monotonic()))
        answered.wait()
        if k == 0:
            t1 = time.monotonic()
            for _ in range(stragglers):
                get(c, "/metrics", GZ)
            tail.append(time.monotonic() - t1)
        get(c, "/-/healthy")
    ts = [threading.Thread(target=one, args=(k,)) for k in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    assert len(spans) == 8, "not every scrape answered 200"
    spans.sort(key=lambda s: s[1])
    overlapped = any(e > spans[-1][0] for _, e in spans[:-1])
    return anon(), overlapped, tail[0] if tail else 0.0

for _ in range(20):
    get(conns[0], "/metrics", GZ)
    get(conns[0], "/metrics")
burst(10)	# every connection and thread used once
ok = True
for name, strag in (("burst", 0), ("burst and a straggler's 10 scrapes", 10)):
    for attempt in range(5):
        idle = 0 if san else idle_level()
        a, ov, late = burst(strag)
        if san or (ov and late < 0.5):
            break	# (under sanitizers only the answers count)
        print("# attempt %d: overlapped %s, stragglers took %.2f s: again" % (attempt + 1, ov, late))
    else:
        print("FAIL %s: no overlapping burst in 5 attempts" % name)
        ok = False
        continue
    if san:
        print("%s: answered (memory not measured under sanitizers)" % name)
        continue
    print("%s: anonymous %d kB right after, %d kB once idle before it: +%d kB (limit +%d)"
          % (name, a, idle, a - idle, limit))
    if a - idle > limit:
        print("FAIL %s: kept +%d kB" % (name, a - idle))
        ok = False
sys.exit(0 if ok else 1)
PY
rc=$?
sed 's/^/# /' "$d/out"
check "burst: memory given back as the last answer is sent" [ $rc = 0 ]
check "no sanitizer report" bash -c "! grep -qE 'AddressSanitizer|runtime error' '$d/he.log'"
finish
