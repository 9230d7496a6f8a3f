#!/bin/bash
# netclass's netlink mode (--collector.netclass.netlink) against node_exporter
# 1.5, live, in a network namespace of the test's own (unshare -n): lo, a
# veth pair (va with an alias and MTU 1400, vb), a second pair whose peer
# stays down (vc/vd: lowerlayerdown, carrier 0), a bridge without ports (the
# kernel's SPEED_UNKNOWN and duplex "Unknown") and a dummy device where the
# kernel has them.  Both exporters run side by side; every node_network_*
# series (names, labels, values), HELP/TYPE and the collector's success must
# agree, then again after va is set down, and after it is up again (carrier
# and operstate changes).  --collector.netclass.ignored-devices leaves a
# device out of both dumps; --collector.netclass_rtnl.with-stats adds the
# IFLA_STATS64 gauges (traffic counters of lo and va move between the two
# scrapes, so only their presence is compared there).  No warning about an
# unimplemented mode any more.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
if [ "${PRISM_NL_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a network namespace)"; exit 77; }
	unshare -n true 2>/dev/null || { echo "SKIP: cannot make a network namespace"; exit 77; }
	PRISM_NL_INNER=1 exec unshare -n "$BASH" "$0" "$@"
fi
d=$(tmpdir_new)

ip link set lo up
ip link add va type veth peer name vb || { echo "cannot make a veth pair"; exit 1; }
ip link set va mtu 1400
ip link set va alias "an alias"
ip link set va up
ip link set vb up
ip link add vc type veth peer name vd
ip link set vc up
ip link add br0 type bridge 2>/dev/null && ip link set br0 up
ip link add dummy0 type dummy 2>/dev/null && ip link set dummy0 up
ip -o link show >"$d/links.txt"

# state DEV STATE: until ip link shows it (operstate changes go through the
# kernel's linkwatch, up to a second later)
state() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip -o link show "$1" | grep -q "state $2 " && return 0
		sleep 0.1
	done
	return 1
}
check "va up" state va UP
check "vb up" state vb UP

read -r p1 p2 p3 p4 < <(free_ports 4 | tr '\n' ' ')
start() {	# $1 binary, $2 port, then flags
	local bin=$1 port=$2
	shift 2
	"$bin" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.netclass --collector.netclass.netlink "$@" >"$d/$port.log" 2>&1 &
	on_exit "kill $!; wait $!"
}
start "$NE" "$p1" --collector.netclass.ignored-devices='^vd$'
start "$HE" "$p2" --collector.netclass.ignored-devices='^vd$'
start "$NE" "$p3" --collector.netclass_rtnl.with-stats
start "$HE" "$p4" --collector.netclass_rtnl.with-stats
for p in $p1 $p2 $p3 $p4; do
	check "exporter on $p answers" wait_http "http://127.0.0.1:$p/metrics" 60
done

scrape() {	# $1 port
	curl -s --max-time 30 "http://127.0.0.1:$1/metrics" |
		grep -E '^(# (HELP|TYPE) )?node_network_|^node_scrape_collector_success' |
		awk '/^#/ { print; next } { $NF = sprintf("%.17g", $NF); print }' | sort
}
compare() {	# $1 case
	scrape "$p1" >"$d/ne-$1.txt"
	scrape "$p2" >"$d/he-$1.txt"
	check "$1: same node_network_* as node_exporter" diff -u "$d/ne-$1.txt" "$d/he-$1.txt"
}
has() {	# $1 case, $2 line
	check "$1: has '$2'" grep -qxF -- "$2" "$d/he-$1.txt"
}

compare up
has up 'node_network_info{address="'"$(ip -o link show va | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')"'",broadcast="ff:ff:ff:ff:ff:ff",device="va",duplex="Full",ifalias="an alias",operstate="up"} 1'
has up 'node_network_mtu_bytes{device="va"} 1400'
has up 'node_network_up{device="va"} 1'
has up 'node_network_speed_bytes{device="va"} 1250000000'
has up 'node_network_carrier{device="vc"} 0'
has up 'node_scrape_collector_success{collector="netclass"} 1'
check "up: the ignored device is left out" bash -c "! grep -q 'device=\"vd\"' '$d/he-up.txt'"
if grep -q ' br0: ' "$d/links.txt"; then
	has up 'node_network_speed_bytes{device="br0"} 536870911875000'
fi

ip link set va down
check "va down" state va DOWN
check "vb lowerlayerdown" state vb LOWERLAYERDOWN
compare down
has down 'node_network_up{device="va"} 0'
has down 'node_network_carrier{device="vb"} 0'

ip link set va up
check "va up again" state va UP
check "vb up again" state vb UP
compare upagain
has upagain 'node_network_carrier_down_changes_total{device="vb"} 2'

# with-stats: traffic counters of lo and va/vb move between the scrapes
scrape "$p3" | sed -E 's/^(node_network_(receive|transmit)_(bytes|packets)_total\{[^}]*\}) .*/\1 N/' >"$d/ne-stats.txt"
scrape "$p4" | sed -E 's/^(node_network_(receive|transmit)_(bytes|packets)_total\{[^}]*\}) .*/\1 N/' >"$d/he-stats.txt"
check "with-stats: same node_network_* as node_exporter" diff -u "$d/ne-stats.txt" "$d/he-stats.txt"
check "with-stats: 24 statistics families" \
	test "$(grep -c '^# TYPE node_network_.*_total gauge$' "$d/he-stats.txt")" = 24
check "with-stats: the ignored device is there without the flag" grep -q 'device="vd"' "$d/he-stats.txt"
check "no 'not implemented' warning" bash -c "! grep -qi 'not implemented' '$d/$p2.log' '$d/$p4.log'"
finish
