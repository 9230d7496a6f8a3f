#!/bin/bash
# --collector.max-concurrent (issue 13): at most N scrapes collect at once;
# a further scrape waits for a slot, at most half the time to its deadline,
# then collects anyway (over the limit) and still answers 200 in time (the
# wait shows in how long its hung collector ran); a scrape waiting with a
# long deadline gets the slot when its holder ends, and answers.
# The collection that holds the slot is made to hang on a FIFO standing in
# for /proc/loadavg (its open blocks until the test opens the writing end),
# so nothing here depends on timing: every wait is on a condition, bounded
# by seconds.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)

"$HE" --collector.max-concurrent=-1 >/dev/null 2>&1; rc=$?
check "--collector.max-concurrent=-1 exits 2" [ $rc = 2 ]
check "--help lists --collector.max-concurrent" bash -c "'$HE' --help 2>&1 | grep -q -- collector.max-concurrent"

cp -r "$FX/proc" "$d/proc"
rm "$d/proc/loadavg"
mkfifo "$d/proc/loadavg"
port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.loadavg \
	--collector.cpu --path.procfs="$d/proc" --collector.timeout=60s \
	--collector.max-concurrent=1 >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20

HE_PID=$pid $PY - "$port" "$d/proc/loadavg" <<'PY'
import errno, http.client, os, re, sys, threading, time
port, fifo = int(sys.argv[1]), sys.argv[2]
res = {}

def scrape(key, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
    c.request("GET", "/metrics", headers=headers)
    r = c.getresponse()
    res[key] = (r.status, r.read().decode())

def start(key, headers={}):
    t = threading.Thread(target=scrape, args=(key, headers))
    t.start()
    return t

def release(bound=30):
    """Let a collector blocked opening the FIFO (nobody writes) go on: open
    the writing end once a reader waits (O_NONBLOCK: ENXIO until then) and
    close it; the collector's read then fails and its scrape answers."""
    end = time.monotonic() + bound
    while time.monotonic() < end:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError as e:
            assert e.errno == errno.ENXIO, e
            time.sleep(0.05)
    raise AssertionError("no collector opened the FIFO within %d s (answered: %s)"
                         % (bound, {k: v[0] for k, v in res.items()}))

def waiting_in_open(bound=30):
    end = time.monotonic() + bound
    while time.monotonic() < end:
        for t in os.listdir("/proc/%d/task" % int(os.environ["HE_PID"])):
            try:
                if open("/proc/%s/task/%s/wchan" % (os.environ["HE_PID"], t)).read() == "wait_for_partner":
                    return
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("no collector blocked in the FIFO's open within %d s" % bound)

# A takes the only slot and hangs opening loadavg.
ta = start("a")
waiting_in_open()
# B's deadline is 3.6 s (90% of its header); it waits half of that for the
# slot A holds, then collects over the limit: 200 in time, its loadavg
# abandoned at the deadline after ~1.8 s of collecting (3.6 s if it had
# not waited).
t0 = time.monotonic()
tb = start("b", {"X-Prometheus-Scrape-Timeout-Seconds": "4"})
tb.join(60)
assert not tb.is_alive(), "B not answered within 60 s"
status, body = res["b"]
took = time.monotonic() - t0
assert status == 200, (status, body[:300])
assert 'node_scrape_collector_success{collector="loadavg"} 0' in body, body
assert 'node_scrape_collector_success{collector="cpu"} 1' in body, body
m = re.search(r'^node_scrape_collector_duration_seconds\{collector="loadavg"\} (\S+)$', body, re.M)
dur = float(m.group(1))
print("B: 200 after %.2f s, loadavg abandoned after %.2f s of collecting" % (took, dur))
assert dur < 2.7, "B collected for %.2f s: it did not wait for the slot" % dur
assert ta.is_alive() and "a" not in res, "A answered while its collector hung"
# C waits (60 s deadline) while A holds the slot.
tc = start("c")
release()
ta.join(60)
assert not ta.is_alive(), "A not answered within 60 s of its release"
assert res["a"][0] == 200, res["a"]
# C got the slot once A was done and collects its own values: its
# collector opens the FIFO afresh (let go like A's).
end = time.monotonic() + 60
while "c" not in res and time.monotonic() < end:
    try:
        release(1)
    except AssertionError:
        pass	# not opened yet, or C already answered
tc.join(60)
assert not tc.is_alive(), "C not answered within 60 s of A"
assert res["c"][0] == 200, res["c"]
assert 'node_scrape_collector_success{collector="cpu"} 1' in res["c"][1], res["c"]
print("A answered, then C got the slot and answered")
PY
check "one slot: a second scrape waits half its deadline then collects over the limit; a third waits for the slot" [ $? = 0 ]
check "still alive" kill -0 "$pid"
check "no sanitizer report" bash -c "! grep -qE 'ThreadSanitizer|AddressSanitizer|runtime error' '$d/he.log'"
finish
