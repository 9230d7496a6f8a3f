#!/bin/bash
# The systemd collector where there is no systemd to ask (this host, CI's
# make check): as node_exporter 1.5, an error -- node_scrape_collector_success
# 0, no node_systemd_* series, one "collector failed" log line per scrape --
# never a hang: a bus that accepts and never answers is bounded by
# --collector.timeout.  Bad include/exclude regexes exit 2 naming the flag.
# Both exporters run in a private mount namespace with empty /run/dbus and
# /run/systemd, so a host booted with systemd gives the same answer.
# The comparison on a booted systemd is make test-systemd
# (tests/integration/host/container/test_systemd.sh).
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (a private mount namespace)"; exit 77; }
d=${KEEP_D:-$(tmpdir_new)}

# nobus CMD...: CMD with empty /run/dbus and /run/systemd (its own mounts).
# It execs, so `nobus CMD &` gives CMD's pid in $! (unshare and sh exec
# too): without the exec $! was the function's subshell, and killing it
# left CMD running after the test.
nobus() {
	exec unshare -m --propagation private /bin/sh -c \
		'mkdir -p /run/dbus /run/systemd && mount -t tmpfs none /run/dbus &&
		 mount -t tmpfs none /run/systemd && exec "$@"' nobus "$@"
}

scrape_pair() {	# $1 label, then extra flags for both
	local tag=$1 p1 p2 pid1 pid2
	shift
	p1=$(free_port)
	nobus "$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults \
		--collector.systemd "$@" >"$d/ne-$tag.log" 2>&1 &
	pid1=$!
	p2=$(free_port)
	nobus "$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults \
		--collector.systemd "$@" >"$d/he-$tag.log" 2>&1 &
	pid2=$!
	on_exit "stop_pids $pid1 $pid2"
	wait_http "http://127.0.0.1:$p1/metrics" 30 && wait_http "http://127.0.0.1:$p2/metrics" 30 ||
		{ fail "$tag: exporters did not start"; return; }
	# wait_http scraped each once: count the log lines of one more scrape
	: >"$d/ne-$tag.log.mark"
	curl -s --max-time 30 "http://127.0.0.1:$p1/metrics" >"$d/ne-$tag.prom"
	curl -s --max-time 30 "http://127.0.0.1:$p2/metrics" >"$d/he-$tag.prom"
	stop_pids $pid1 $pid2
	for x in ne he; do
		grep -E '^(# (HELP|TYPE) )?node_systemd_|^node_scrape_collector_success' "$d/$x-$tag.prom" |
			sort >"$d/$x-$tag.txt"
	done
}

scrape_pair plain
check "no bus: same series as node_exporter (success 0, no node_systemd_*)" \
	diff -u "$d/ne-plain.txt" "$d/he-plain.txt"
check "no bus: success 0" grep -qx 'node_scrape_collector_success{collector="systemd"} 0' "$d/he-plain.txt"
check "no bus: no node_systemd_ series" bash -c "! grep -q '^node_systemd_' '$d/he-plain.txt'"
# wait_http's scrape and ours: the same failure twice is logged once
check "no bus: one error line naming the cause (two scrapes)" \
	[ "$(grep -c 'level=error msg="collector failed" collector=systemd err="couldn.t get dbus connection: ' "$d/he-plain.log")" = 1 ]
check "no bus: the log has nothing else at error level" \
	[ "$(grep -c 'level=error' "$d/he-plain.log")" = 1 ]

scrape_pair private --collector.systemd.private
check "no bus, --collector.systemd.private: same series as node_exporter" \
	diff -u "$d/ne-private.txt" "$d/he-private.txt"
check "private: the error names systemd's private socket" grep -q 'err="couldn.t get dbus connection: .*/run/systemd/private' "$d/he-private.log"

# A bus that accepts and never answers: the scrape ends within the
# collector timeout (1 s here) with success 0 and the daemon keeps serving.
sock=$d/mute.sock
$PY - "$sock" >"$d/mute.log" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
EOF
mute=$!
on_exit "stop_pids $mute"
for ((i = 0; i < 300; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
p=$(free_port)
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock "$HE" --web.listen-address="127.0.0.1:$p" \
	--collector.disable-defaults --collector.systemd --collector.timeout=1s >"$d/he-mute.log" 2>&1 &
hp=$!
on_exit "stop_pids $hp"
wait_http "http://127.0.0.1:$p/metrics" 60 || fail "mute bus: host-exporter did not answer"
t0=$(date +%s%N)
curl -s --max-time 60 "http://127.0.0.1:$p/metrics" >"$d/he-mute.prom"
t1=$(date +%s%N)
check "mute bus: success 0" grep -qx 'node_scrape_collector_success{collector="systemd"} 0' "$d/he-mute.prom"
check "mute bus: the scrape ended near the 1 s collector timeout (took $(((t1 - t0) / 1000000)) ms, bound 20 s)" \
	[ $(((t1 - t0) / 1000000)) -lt 20000 ]
check "mute bus: still serving" curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$p/metrics"
stop_pids $hp

# A bus that answers the manager (Hello, Version, SystemState, ListUnits:
# two services and a socket) and never a unit's Get: the pipelined Gets are
# bounded by the collector timeout too (success 0, the daemon keeps serving,
# and the collector closes its connection rather than waiting on).
# The peer speaks D-Bus's wire format itself (a systemd that stalls halfway
# is not something we can run); it logs each unit Get left unanswered.
sock2=$d/stall.sock
cat >"$d/stall.py" <<'PYEOF'
# A D-Bus peer that answers the manager (Hello, Version, SystemState,
# ListUnits with three loaded services) and never a per-unit Get.
import socket, struct, sys, threading

def pad(b, n):
    b.extend(b'\0' * (-len(b) % n))

def m_u(b, v): pad(b, 4); b.extend(struct.pack('<I', v))
def m_s(b, v):
    e = v.encode(); m_u(b, len(e)); b.extend(e + b'\0')
def m_g(b, v):
    e = v.encode(); b.append(len(e)); b.extend(e + b'\0')

def message(mtype, serial, fields, sig, body):
    h = bytearray(b'l' + bytes([mtype, 1, 1]))
    h.extend(struct.pack('<II', len(body), serial))
    f = bytearray()
    for code, fsig, val in fields + ([(8, 'g', sig)] if sig else []):
        pad(f, 8)
        # the array's offset in the message is 16: keep alignment absolute
        f.append(code); m_g(f, fsig)
        {'s': m_s, 'o': m_s, 'u': m_u, 'g': m_g}[fsig](f, val)
    m_u(h, len(f)); h.extend(f); pad(h, 8)
    return bytes(h) + bytes(body)

def reply(serial, rs, sig, body):
    return message(2, serial, [(5, 'u', rs), (7, 's', ':1.0'), (6, 's', ':1.1')], sig, body)

def parse(buf):
    if len(buf) < 16: return None
    blen, serial, flen = struct.unpack_from('<III', buf, 4)
    hend = 16 + flen + (-(16 + flen) % 8)
    if len(buf) < hend + blen: return None
    f, i = {}, 16
    while i < 16 + flen:
        i += -i % 8
        code = buf[i]; sl = buf[i + 1]; sig = buf[i + 2:i + 2 + sl].decode(); i += 3 + sl
        if sig in ('s', 'o'):
            i += -i % 4; n, = struct.unpack_from('<I', buf, i); f[code] = buf[i + 4:i + 4 + n].decode(); i += 5 + n
        elif sig == 'u':
            i += -i % 4; f[code], = struct.unpack_from('<I', buf, i); i += 4
        elif sig == 'g':
            n = buf[i]; f[code] = buf[i + 1:i + 1 + n].decode(); i += 2 + n
    body = buf[hend:hend + blen]
    args, j = [], 0
    while j < len(body) and f.get(8, '').startswith('s'):
        j += -j % 4; n, = struct.unpack_from('<I', body, j); args.append(body[j + 4:j + 4 + n].decode()); j += 5 + n
    return serial, f, args, buf[hend + blen:]

def variant_s(v):
    b = bytearray(); m_g(b, 's'); m_s(b, v); return b

def list_units():
    b = bytearray(); m_u(b, 0); pad(b, 8); start = len(b)
    for n in ('a.service', 'b.service', 'c.socket'):
        pad(b, 8)
        for v in (n, 'd', 'loaded', 'active', 'running', ''): m_s(b, v)
        m_s(b, '/org/freedesktop/systemd1/unit/' + n.replace('.', '_2e')); m_u(b, 0); m_s(b, ''); m_s(b, '/')
    struct.pack_into('<I', b, 0, len(b) - start)
    return b

def serve(c):
    print('connected', file=sys.stderr, flush=True)
    serve1(c)
    c.close()
    print('closed', file=sys.stderr, flush=True)

def serve1(c):
    buf, out = b'', 100
    while b'BEGIN\r\n' not in buf:
        d = c.recv(4096)
        if not d: return
        buf += d
        while b'\r\n' in buf and not buf.startswith(b'BEGIN'):
            line, buf = buf.split(b'\r\n', 1)
            line = line.lstrip(b'\0')
            if line.startswith(b'AUTH'):
                c.sendall(b'OK 0123456789abcdef0123456789abcdef\r\n' if b' ' in line[5:] else b'DATA\r\n')
            elif line.startswith(b'DATA'):
                c.sendall(b'OK 0123456789abcdef0123456789abcdef\r\n')
            elif line.startswith(b'NEGOTIATE_UNIX_FD'):
                c.sendall(b'AGREE_UNIX_FD\r\n')
    buf = buf.split(b'BEGIN\r\n', 1)[1]
    while True:
        p = parse(buf)
        while p is None:
            d = c.recv(65536)
            if not d: return
            buf += d; p = parse(buf)
        serial, f, args, buf = p
        member, path = f.get(3), f.get(1)
        out += 1
        if member == 'Hello':
            b = bytearray(); m_s(b, ':1.1'); c.sendall(reply(out, serial, 's', b))
        elif member == 'ListUnits':
            c.sendall(reply(out, serial, 'a(ssssssouso)', list_units()))
        elif member == 'Get' and path == '/org/freedesktop/systemd1':
            c.sendall(reply(out, serial, 'v', variant_s('252' if args[1:] == ['Version'] else 'running')))
        else:  # a unit's Get: never answered
            print('unanswered', member, path, args, file=sys.stderr, flush=True)

s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
$PY "$d/stall.py" "$sock2" 2>"$d/stall.log" &
stallp=$!
on_exit "stop_pids $stallp"
for ((i = 0; i < 300; i++)); do [ -S "$sock2" ] && break; sleep 0.1; done
p=$(free_port)
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock2 "$HE" --web.listen-address="127.0.0.1:$p" \
	--collector.disable-defaults --collector.systemd --collector.timeout=1s >"$d/he-stall.log" 2>&1 &
hp=$!
on_exit "stop_pids $hp"
wait_http "http://127.0.0.1:$p/metrics" 60 || fail "stalled Gets: host-exporter did not answer"
t0=$(date +%s%N)
curl -s --max-time 60 "http://127.0.0.1:$p/metrics" >"$d/he-stall.prom"
t1=$(date +%s%N)
check "stalled Gets: the peer got unit Gets (ListUnits was answered)" grep -q "^unanswered Get /org/freedesktop/systemd1/unit/" "$d/stall.log"
check "stalled Gets: success 0" grep -qx 'node_scrape_collector_success{collector="systemd"} 0' "$d/he-stall.prom"
check "stalled Gets: the scrape ended near the 1 s collector timeout (took $(((t1 - t0) / 1000000)) ms, bound 20 s)" \
	[ $(((t1 - t0) / 1000000)) -lt 20000 ]
check "stalled Gets: still serving" curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$p/metrics"
# The collector itself gives up at the deadline (not only the scrape around
# it): it closes its connection, so the peer sees every one closed.
for ((i = 0; i < 300; i++)); do
	nc=$(grep -c '^connected' "$d/stall.log") ncl=$(grep -c '^closed' "$d/stall.log")
	[ "$nc" -ge 3 ] && [ "$nc" = "$ncl" ] && break
	sleep 0.1
done
check "stalled Gets: the collector closed all its $nc connections ($ncl closed)" [ "$nc" -ge 3 -a "$nc" = "$ncl" ]
stop_pids $hp

# A missing bus socket fails fast (one stat, no sd-bus object, no socket:
# they were ~7% of a default scrape's CPU on a host without D-Bus) and is
# looked for again on every scrape: a bus that comes up between two scrapes
# is connected to on the next one.  Under strace from the start, in the
# no-bus namespace (so systemd's private socket is missing too).  $hp is
# strace (nobus execs): stop_traced stops the exporter, strace's child, as
# a SIGTERM to strace would only detach it.
late=$d/late.sock
p=$(free_port)
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$late nobus strace -f -qq -e trace=socket,connect \
	-o "$d/late.tr" "$HE" --web.listen-address="127.0.0.1:$p" --collector.disable-defaults \
	--collector.systemd --collector.timeout=1s >"$d/he-late.log" 2>&1 &
hp=$!
on_exit "stop_traced $hp"
wait_http "http://127.0.0.1:$p/metrics" 60 || fail "late bus: host-exporter did not answer"
for i in 1 2 3; do curl -s --max-time 30 -o "$d/he-late0.prom" "http://127.0.0.1:$p/metrics"; done
check "no bus socket: success 0" grep -qx 'node_scrape_collector_success{collector="systemd"} 0' "$d/he-late0.prom"
check "no bus socket: the error is the private socket's ENOENT, as before" \
	grep -q 'err="couldn.t get dbus connection: unix:path=/run/systemd/private: No such file or directory"' "$d/he-late.log"
nunix=$(grep -c 'socket(AF_UNIX' "$d/late.tr")
check "no bus socket: four scrapes made no AF_UNIX socket ($nunix made)" [ "$nunix" = 0 ]
$PY "$d/stall.py" "$late" 2>"$d/late-peer.log" &
latep=$!
on_exit "stop_pids $latep"
for ((i = 0; i < 300; i++)); do [ -S "$late" ] && break; sleep 0.1; done
curl -s --max-time 60 -o "$d/he-late1.prom" "http://127.0.0.1:$p/metrics"
check "a bus socket that appeared between scrapes is used by the next scrape" \
	grep -q '^connected' "$d/late-peer.log"
check "the scrape against it asked for units (ListUnits answered)" \
	grep -q '^unanswered Get /org/freedesktop/systemd1/unit/' "$d/late-peer.log"
stop_traced $hp
stop_pids $latep

# Bad regexes: exit 2 naming the flag (as node_exporter refuses to start).
for fl in unit-include unit-exclude; do
	timeout 30 "$HE" --web.listen-address=127.0.0.1:0 --collector.systemd."$fl"='(' >"$d/bad.log" 2>&1
	rc=$?
	check "bad --collector.systemd.$fl: exit 2" [ "$rc" = 2 ]
	check "bad --collector.systemd.$fl: the message names it" grep -q "collector.systemd.$fl" "$d/bad.log"
done
finish
