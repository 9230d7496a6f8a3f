#!/bin/bash
# exampled's lifecycle: sd_notify over a real unix datagram socket
# (READY=1 with STATUS, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1), SIGHUP
# does not stop it, and SIGTERM stops gracefully: a request in flight
# completes with 200, new connections are refused meanwhile, exit 0.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
d=$(tmpdir_new)

# A stand-in for systemd's notify socket: one line per datagram ('\n' -> '|'),
# and in notify.times the kernel's arrival time (SO_TIMESTAMPNS) of each, so
# the watchdog's rhythm is measured where it was sent, not when a starved
# listener got to read it.
$PY -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMPNS", 35), 1)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
times = open(sys.argv[3], "a", buffering=1)
print("bound", file=out)
while True:
    m, anc, _, _ = s.recvmsg(4096, 64)
    t = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            t = sec + nsec / 1e9
    m = m.decode()
    print(m.replace("\n", "|"), file=out)
    print("%.6f %s" % (t if t is not None else -1, m.replace("\n", "|")), file=times)
' "$d/notify" "$d/notify.log" "$d/notify.times" &
lpid=$!
on_exit "kill $lpid"
for ((i = 0; i < 50; i++)); do [ -S "$d/notify" ] && break; sleep 0.1; done

export NOTIFY_SOCKET=$d/notify WATCHDOG_USEC=200000
unset WATCHDOG_PID
exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --web.threads=2 --web.shutdown-timeout=10s || { cat "$d/ex.log"; fail "exampled did not start"; finish; }
unset NOTIFY_SOCKET WATCHDOG_USEC
pass "exampled started on port $EX_PORT"
wait_notify() { # PATTERN: until a datagram matching PATTERN arrived (5 s)
	for ((i = 0; i < 50; i++)); do grep -q "$1" "$d/notify.log" && return 0; sleep 0.1; done
	return 1
}
check "READY=1 with STATUS" wait_notify '^READY=1|STATUS=serving on 127.0.0.1:0$'
# WATCHDOG_USEC/2 = 100 ms: wait (bounded) for 8 pings, then judge the
# rhythm by the median gap of their send times, which a loaded machine's
# occasional stall does not move (a fixed sleep-and-count did).
for ((i = 0; i < 100; i++)); do [ "$(grep -c '^WATCHDOG=1$' "$d/notify.log")" -ge 8 ] && break; sleep 0.1; done
wd_gaps() {
	$PY -c '
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1:] == ["WATCHDOG=1"]]
g = sorted(b - a for a, b in zip(t, t[1:]))
if len(g) < 7 or min(t) < 0:
    sys.exit("only %d pings" % len(t))
m = g[len(g) // 2]
print("median gap %.3f s over %d gaps" % (m, len(g)))
sys.exit(0 if 0.05 <= m <= 0.15 else 1)
' "$d/notify.times"
}
gaps=$(wd_gaps 2>&1); rc=$?
check "WATCHDOG=1 pings every 100 ms ($gaps)" [ $rc -eq 0 ]
check "no STOPPING=1 yet" bash -c "! grep -q STOPPING '$d/notify.log'"

kill -HUP "$EX_PID"
sleep 0.2
check "SIGHUP does not stop it" kill -0 "$EX_PID"
check "still serving after SIGHUP" wait_http "$EX_URL/-/healthy" 5

# graceful stop with a request in flight.  The request sleeps long enough
# (4 s) that, on a loaded machine (load 10+), the in-flight poll and the
# SIGTERM surely land inside it; a 1.5 s window was missed at load 16.
curl -s -o "$d/slow.body" -w '%{http_code}' --max-time 30 "$EX_URL/work?sleep_ms=4000" >"$d/slow.code" &
cpid=$!
check "the slow request is in flight" exampled_wait_in_flight 1
kill -TERM "$EX_PID"
check "STOPPING=1 sent" wait_notify '^STOPPING=1$'
# STOPPING=1 is sent just before the quiesce: poll (bounded), a starved
# main thread may take a moment to close the listening socket
for ((i = 0; i < 30; i++)); do
	curl -s -o /dev/null --max-time 3 "$EX_URL/-/healthy"; rc=$?
	[ $rc -eq 7 ] && break
	sleep 0.1
done
check "new connections refused after quiesce (curl exit 7)" [ $rc -eq 7 ]
check "still running while the request is in flight" kill -0 "$EX_PID"
wait $cpid
t0=$EPOCHREALTIME	# the answer is in: from here the drain has nothing left
check "in-flight request completed with 200" [ "$(cat "$d/slow.code")" = 200 ]
check "in-flight request body intact" grep -qx '{"slept_ms":4000}' "$d/slow.body"
for ((i = 0; i < 100; i++)); do kill -0 "$EX_PID" 2>/dev/null || break; sleep 0.1; done
wait "$EX_PID"; rc=$?
check "exit status 0" [ $rc -eq 0 ]
el=$($PY -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$EPOCHREALTIME")
check "stopped soon after the request finished (${el}s)" $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2.5 else 1)" "$el"
check "no drain warning" bash -c "! grep -q 'still in flight' '$d/ex.log'"

# a drain timeout shorter than the request: exits 0 anyway, says so
exampled_start "$d/ex2.log" --web.listen-address=127.0.0.1:0 --web.shutdown-timeout=200ms || fail "second exampled"
curl -s -o /dev/null --max-time 20 "$EX_URL/work?sleep_ms=4000" &
cpid=$!
check "the slow request is in flight" exampled_wait_in_flight 1
exampled_stop
check "drain timeout: exit 0" [ "$EX_RC" = 0 ]
check "drain timeout: logged" grep -q 'still in flight' "$d/ex2.log"
wait $cpid 2>/dev/null
finish
