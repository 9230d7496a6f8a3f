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

# Most of the release runs before the last answer is sent (main.c,
# burst_release_early): the bench reads memory as that answer arrives, and
# a release run only after the send sometimes came after that reading.
# Checked by order under strace (per-thread files, timestamps): the thread
# that sends the last answer trims the heap (madvise on [heap]) after it
# read that request and before it sends the answer.  Without the early
# release nothing is trimmed there: the releases come after answers are
# sent (or on the housekeeping thread after a quiet second).  It
# runs early only if the other scrapes' requests were all over when the
# last one finished collecting, which a loaded machine may delay: up to 5
# bursts.  Not under sanitizers (no glibc heap to trim).
if [ -z "${SAN:-}" ] && command -v strace >/dev/null; then
	heap=$(awk '/\[heap\]$/ { print $1 }' "/proc/$pid/maps")
	early=0
	for attempt in 1 2 3 4 5; do
		rm -rf "$d/tr"
		mkdir "$d/tr"
		strace -f -ff -qq -ttt -e trace=madvise,sendmsg,sendto,write,writev,recvfrom,read \
			-o "$d/tr/t" -p "$pid" 2>/dev/null &
		spid=$!
		wait_for 200 all_traced "$pid"
		$PY - "$port" <<'PY'
import http.client, sys, threading
port = int(sys.argv[1])
go = threading.Barrier(8)
def one():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.connect()
    go.wait()
    c.request("GET", "/metrics")
    r = c.getresponse()
    r.read()
    assert r.status == 200
    c.close()
ts = [threading.Thread(target=one) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
PY
		kill -INT $spid 2>/dev/null
		wait $spid 2>/dev/null
		if $PY - "$heap" "$d"/tr/t.* >"$d/order" <<'PY'
import re, sys
lo, hi = (int(x, 16) for x in sys.argv[1].split("-"))
hi = lo + (1 << 32)	# the heap grows up from its start
ev = []	# (time, kind, fd or thread)
for f in sys.argv[2:]:
    tid = f.rsplit(".", 1)[1]
    for l in open(f):
        m = re.match(r"(\d+\.\d+) (\w+)\((\w+).*= (-?\d+)", l)
        if not m:
            continue
        t, call, a0, ret = float(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        if call == "madvise" and lo <= int(a0, 16) < hi:
            ev.append((t, "trim", tid))
        elif call in ("recvfrom", "read") and ret > 0 and a0.isdigit():
            ev.append((t, "request", int(a0), tid))
        elif call != "madvise" and ret >= 10000:
            ev.append((t, "answer", int(a0), tid))
ev.sort()
sends = [e for e in ev if e[1] == "answer"]
fds = {e[2] for e in sends}
if len(fds) < 2:
    print("fewer than 2 answers traced"); sys.exit(1)
last_fd = sends[-1][2]
i = len(sends) - 1
while i > 0 and sends[i - 1][2] == last_fd:
    i -= 1
t_last, tid_last = sends[i][0], sends[i][3]
reads = [e[0] for e in ev if e[1] == "request" and e[2] == last_fd and e[0] < t_last]
if not reads:
    print("the last answer's request was not traced"); sys.exit(1)
t_req = max(reads)
between = [e for e in ev if e[1] == "trim" and t_req < e[0] < t_last and e[2] == tid_last]
print("%d heap trims by the last answer's thread between its request and its answer"
      % len(between))
sys.exit(0 if between else 1)
PY
		then
			early=1
			break
		fi
		echo "# attempt $attempt: $(cat "$d/order")"
	done
	sed 's/^/# /' "$d/order"
	check "burst end: the heap trimmed before the last answer is sent" [ $early = 1 ]
fi
check "no sanitizer report" bash -c "! grep -qE 'AddressSanitizer|runtime error' '$d/he.log'"
finish
