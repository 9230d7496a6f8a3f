#!/bin/bash
# Memory between scrapes (issue 13): once no scrape came for a second,
# host-exporter drops what it keeps for the next one -- the gzip compressor
# (196 kB), the spare scrape object (per-collector buffers and writers), the
# big request's body and gzip copy, the workers' read buffers -- and trims
# the heap (common/buf.h, mem_idle_hook_add).  The scrapes after that build
# them again: their answers must be as complete as before (gzip and plain,
# also under the sanitizers, which see any use of what was freed).
# The memory check: anonymous memory right after 20 gzip and 20 plain
# scrapes in a row (no burst, so no surplus to free) must fall by at least
# 350 kB within 20 s (measured: 560-680 kB, in ~2 s; without the hooks
# (workers' read buffers only) 240 kB).  Not under sanitizers (their allocator
# and shadow memory are not what is measured).
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" --no-collector.systemd \
	--collector.textfile.directory="$FX/textfile" >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "exporter answers" wait_http "http://127.0.0.1:$port/-/healthy" 20

$PY - "$port" "$pid" "${SAN:-}" <<'PY'
import gzip, http.client, re, sys, time
port, pid, san = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def anon():
    for l in open("/proc/%d/smaps_rollup" % pid):
        if l.startswith("Anonymous:"):
            return int(l.split()[1])

def scrape(gz):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"} if gz else {})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, r.status
    if gz:
        assert r.getheader("Content-Encoding") == "gzip"
        body = gzip.decompress(body)
    c.close()
    return body.decode()

def families(text):
    return set(re.findall(r"^# TYPE (\S+)", text, re.M))

ref = scrape(False)
want = families(ref)
ncoll = ref.count("node_scrape_collector_success{")
assert len(want) > 100 and ncoll > 15, (len(want), ncoll)
for i in range(20):
    scrape(True)
    scrape(False)
if not san:
    a0 = anon()
    a1, t0 = a0, time.monotonic()
    while time.monotonic() - t0 < 20 and a0 - a1 < 350:
        time.sleep(0.25)
        a1 = anon()
    print("anonymous %d kB after the scrapes, %d kB %.1f s later" % (a0, a1, time.monotonic() - t0))
    assert a0 - a1 >= 350, "kept %d of %d kB while idle" % (a1, a0)
else:
    # no figure to wait for: quiet long enough for a release (1 s + the
    # housekeeping's 0.5 s tick), with room for a slow sanitized process
    time.sleep(4)
# The scrapes after the release rebuild everything: complete answers.
for gz in (True, False, True):
    text = scrape(gz)
    assert families(text) == want, sorted(families(text) ^ want)
    assert text.count("node_scrape_collector_success{") == ncoll
    time.sleep(2)
print("answers complete after the idle release")
PY
check "idle release: memory handed back, answers complete afterwards" [ $? = 0 ]
# The release runs on the housekeeping thread beside the HTTP and collector
# threads: run by hand under ThreadSanitizer (SAN=thread BUILD_DIR=build-tsan)
# a report lands in the log without failing a scrape.
check "no sanitizer report" bash -c "! grep -qE 'ThreadSanitizer|AddressSanitizer|runtime error' '$d/he.log'"
finish
