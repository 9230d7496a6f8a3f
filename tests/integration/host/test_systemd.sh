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

# nobus CMD...: CMD with empty /run/dbus and /run/systemd (its own mounts)
nobus() {
	unshare -m --propagation private /bin/sh -c \
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
	on_exit "kill $pid1 $pid2 2>/dev/null"
	wait_http "http://127.0.0.1:$p1/metrics" 30 && wait_http "http://127.0.0.1:$p2/metrics" 30 ||
		{ fail "$tag: exporters did not start"; return; }
	# wait_http scraped each once: count the log lines of one more scrape
	: >"$d/ne-$tag.log.mark"
	curl -s --max-time 30 "http://127.0.0.1:$p1/metrics" >"$d/ne-$tag.prom"
	curl -s --max-time 30 "http://127.0.0.1:$p2/metrics" >"$d/he-$tag.prom"
	kill $pid1 $pid2
	wait $pid1 $pid2 2>/dev/null
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
on_exit "kill $mute 2>/dev/null"
for ((i = 0; i < 300; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
p=$(free_port)
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock "$HE" --web.listen-address="127.0.0.1:$p" \
	--collector.disable-defaults --collector.systemd --collector.timeout=1s >"$d/he-mute.log" 2>&1 &
hp=$!
on_exit "kill $hp 2>/dev/null"
wait_http "http://127.0.0.1:$p/metrics" 60 || fail "mute bus: host-exporter did not answer"
t0=$(date +%s%N)
curl -s --max-time 60 "http://127.0.0.1:$p/metrics" >"$d/he-mute.prom"
t1=$(date +%s%N)
check "mute bus: success 0" grep -qx 'node_scrape_collector_success{collector="systemd"} 0' "$d/he-mute.prom"
check "mute bus: the scrape ended near the 1 s collector timeout (took $(((t1 - t0) / 1000000)) ms, bound 20 s)" \
	[ $(((t1 - t0) / 1000000)) -lt 20000 ]
check "mute bus: still serving" curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$p/metrics"
kill $hp

# Bad regexes: exit 2 naming the flag (as node_exporter refuses to start).
for fl in unit-include unit-exclude; do
	timeout 30 "$HE" --web.listen-address=127.0.0.1:0 --collector.systemd."$fl"='(' >"$d/bad.log" 2>&1
	rc=$?
	check "bad --collector.systemd.$fl: exit 2" [ "$rc" = 2 ]
	check "bad --collector.systemd.$fl: the message names it" grep -q "collector.systemd.$fl" "$d/bad.log"
done
finish
