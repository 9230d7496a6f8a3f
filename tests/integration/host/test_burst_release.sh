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
# before this change +664/+772.  The 8 requests go out back to back from one
# thread before any answer is read, so they overlap in the exporter; a
# burst it still did not see as one (a loaded machine; its debug log says
# which), or stragglers not well within their second, proves nothing and
# is tried again, up to 5 times.  (Eight client threads behind a barrier
# were not enough: their requests arrived one by one under load, the
# exporter kept lone scrapes' spares, and CI's make check failed.)  Not
# under sanitizers (their allocator is not what is measured): there the
# bursts run and must answer completely.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
LIMIT=100
d=$(tmpdir_new)

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" --no-collector.systemd --log.level=debug \
	--collector.textfile.directory="$FX/textfile" >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20

$PY - "$port" "$pid" "${SAN:-}" "$LIMIT" "$d/he.log" >"$d/out" 2>&1 <<'PY'
import http.client, sys, time
port, pid, san, limit = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
log = sys.argv[5]

def releases():
    """The exporter's own word (debug log) on what it took for a burst:
    (bursts over, straggler scrapes over), each followed by a release."""
    text = open(log, errors="replace").read()
    return (text.count("burst of scrapes over"), text.count("scrape after a burst over"))
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

# Eight connections, kept open from before the idle level is read until
# after the burst: their libmicrohttpd memory (32 KiB each, zeroed after
# every request) and the stacks of the threads that hold them (touched by
# a first burst on them) are in both readings.  A new set for every try:
# libmicrohttpd's pool threads keep the connections they accept, and when
# one thread holds all eight it answers their scrapes one by one, which is
# no burst (the likely cause of CI's failure: every try on the same set
# kept +672/+700 kB, 10 of 10 here once under load).
conns = []
def new_conns():
    for c in conns:
        c.close()
    conns[:] = []
    for _ in range(8):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        get(c, "/-/healthy")
        conns.append(c)

def burst(stragglers):
    """8 gzip scrapes at once, one per connection: the 8 requests are sent
    back to back from one thread (well under a millisecond, less than one
    scrape collects) and only then are the answers read; then /-/healthy
    on each connection.  With stragglers, connection 0 scrapes that many
    times more once every burst scrape is answered."""
    for c in conns:
        c.request("GET", "/metrics", headers=GZ)
    for c in conns:
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
    t1 = time.monotonic()
    for _ in range(stragglers):
        get(conns[0], "/metrics", GZ)
    late = time.monotonic() - t1
    for c in conns:
        get(c, "/-/healthy")
    return anon(), late

new_conns()
for _ in range(20):
    get(conns[0], "/metrics", GZ)
    get(conns[0], "/metrics")
burst(10)	# every thread used once (its stack touched)
ok = True
for name, strag in (("burst", 0), ("burst and a straggler's 10 scrapes", 10)):
    for attempt in range(5):
        new_conns()
        burst(0)	# the stacks of the threads that hold them touched
        idle = 0 if san else idle_level()
        r0 = releases()
        a, late = burst(strag)
        r1 = releases()
        # A burst the exporter saw as one (its scrapes collecting at
        # once: its debug log says so), and the stragglers well within
        # their second: else the memory kept is what lone scrapes keep by
        # design (their spares), and this attempt proves nothing.  (The
        # first straggler scrape may still count in the burst: it can
        # start before the last burst scrape's on_done.)
        seen = r1[0] > r0[0]
        if san or (seen and late < 0.5):
            break	# (under sanitizers only the answers count)
        print("# attempt %d: burst seen by the exporter %s, %d of %d straggler scrapes "
              "released after it, stragglers took %.2f s: again"
              % (attempt + 1, seen, r1[1] - r0[1], strag, late))
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
