#!/bin/bash
# netclass against node_exporter 1.5 on the same sysfs trees, odd and missing
# files included: per case both exporters run with --path.sysfs=TREE and only
# this collector; the node_network_* series, HELP/TYPE and
# node_scrape_collector_success must agree.  Then the flags
# (ignored-devices, ignore-invalid-speed), then both live on this host's
# /sys (lo, eth0, whatever is there), and node-mixin's query of
# NodeNetworkInterfaceFlapping finds node_network_up.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)

dev() {	# $1 tree, $2 name, then attr=value ...: a device directory, linked as class/net does
	local t=$1 n=$2 dir
	shift 2
	dir=$t/devices/virtual/net/$n
	mkdir -p "$dir" "$t/class/net"
	ln -s "../../devices/virtual/net/$n" "$t/class/net/$n"
	for kv in "$@"; do printf '%s\n' "${kv#*=}" >"$dir/${kv%%=*}"; done
}

full_eth() {	# $1 tree $2 name: every attribute of a real NIC
	dev "$1" "$2" addr_assign_type=0 addr_len=6 address=52:54:00:12:34:56 broadcast=ff:ff:ff:ff:ff:ff \
		carrier=1 carrier_changes=3 carrier_up_count=2 carrier_down_count=1 dev_id=0x0 dev_port=0 \
		dormant=0 duplex=full flags=0x1003 ifalias= ifindex=2 iflink=2 link_mode=0 mtu=1500 \
		name_assign_type=4 netdev_group=0 operstate=up proto_down=0 speed=10000 tx_queue_len=1000 \
		type=1 uevent='INTERFACE=eth0'
	mkdir -p "$1/devices/virtual/net/$2/statistics" "$1/devices/virtual/net/$2/queues/rx-0"
	printf '123\n' >"$1/devices/virtual/net/$2/statistics/rx_bytes"
}

tree() {	# $1 case
	local t=$d/$1
	mkdir -p "$t/class/net"
	printf 'bond0\n' >"$t/class/net/bonding_masters"	# a regular file: no device
	full_eth "$t" eth0
	dev "$t" lo addr_assign_type=0 address=00:00:00:00:00:00 broadcast=00:00:00:00:00:00 carrier=1 \
		flags=0x9 ifindex=1 iflink=1 mtu=65536 operstate=unknown type=772 tx_queue_len=1000
	case $1 in
	full) ;;
	mixed)	# device-level oddities side by side: each device its own case
		# a link that is down: no speed, duplex or carrier; speed -1 on another
		dev "$t" ifb0 address=6e:59:0a:fc:05:47 flags=0x82 ifindex=3 mtu=1500 operstate=down type=1
		dev "$t" veth1 address=aa:bb:cc:dd:ee:ff operstate=lowerlayerdown speed=-1 duplex=unknown \
			ifalias='uplink to sw1 port 7' mtu=9000
		# values that do not parse (sent as 0) and Go's integer syntaxes
		dev "$t" bad0 mtu=lots flags=0xZZ speed=1e3 carrier= ifindex=99999999999999999999 \
			tx_queue_len=' 42 ' iflink=-7 dev_id=0o17 link_mode=0b1 netdev_group=1_000 \
			dormant=010 type=+5 operstate='up'
		dev "$t" fast0 speed=100000000000000 operstate=up
		dev "$t" al0 operstate=up ifalias="$(printf 'x%.0s' {1..200})"	# read: 128 bytes
		# attributes that are directories or symlinks are not read
		dev "$t" odd0 operstate=up; mkdir "$t/devices/virtual/net/odd0/mtu"
		ln -s ../lo/flags "$t/devices/virtual/net/odd0/flags" ;;
	flap) ;;
	emptydir) rm -r "$t/class/net"; mkdir -p "$t/class/net" ;;
	noclass) rm -r "$t/class" ;;
	dangling) ln -s ../../devices/virtual/net/gone "$t/class/net/gone0" ;;
	filelink) printf 'x\n' >"$t/devices/notadir"; ln -s ../../devices/notadir "$t/class/net/file0" ;;
	esac
	echo "$t"
}

FILTER='^(# (HELP|TYPE) )?node_network_|^node_scrape_collector_success'
COLLECTOR=netclass
. "$SRC_DIR/tests/integration/host/sysfs_compare.sh"

for c in full mixed emptydir noclass dangling filelink; do
	start "$c" "$(tree "$c")"
done
start ignored "$d/full" --collector.netclass.ignored-devices='^e'
start ignore-invalid-speed "$d/mixed" --collector.netclass.ignore-invalid-speed
start live /sys
collect

# the cases must have shown something (two empty outputs would agree)
h=$d/he-full.txt
check "full: flags 0x1003 read as hex" grep -qx 'node_network_flags{device="eth0"} 4099' "$h"
check "full: speed 10000 Mbit/s in bytes" grep -qx 'node_network_speed_bytes{device="eth0"} 1250000000' "$h"
check "full: info labels" grep -qx 'node_network_info{address="52:54:00:12:34:56",broadcast="ff:ff:ff:ff:ff:ff",device="eth0",duplex="full",ifalias="",operstate="up"} 1' "$h"
check "full: bonding_masters is no device" bash -c "! grep -q bonding_masters '$h'"
check "full: up 1 / 0" bash -c "grep -qx 'node_network_up{device=\"eth0\"} 1' '$h' && grep -qx 'node_network_up{device=\"lo\"} 0' '$h'"
check "full: counter types" grep -qx '# TYPE node_network_carrier_changes_total counter' "$h"
check "down: speed -1 sent as -125000" grep -qx 'node_network_speed_bytes{device="veth1"} -125000' "$d/he-mixed.txt"
check "ignore-invalid-speed: no -125000" bash -c "! grep -q 'speed_bytes{device=\"veth1\"}' '$d/he-ignore-invalid-speed.txt'"
check "garbage: mtu sent as 0, octal/binary/underscore parsed" bash -c "grep -qx 'node_network_mtu_bytes{device=\"bad0\"} 0' '$d/he-mixed.txt' && grep -qx 'node_network_net_dev_group{device=\"bad0\"} 1000' '$d/he-mixed.txt' && grep -qx 'node_network_dormant{device=\"bad0\"} 8' '$d/he-mixed.txt'"
check "ignored: eth0 gone, lo kept" bash -c "! grep -q 'device=\"eth0\"' '$d/he-ignored.txt' && grep -q 'device=\"lo\"' '$d/he-ignored.txt'"
check "noclass: success 0, no series" bash -c "grep -qx 'node_scrape_collector_success{collector=\"netclass\"} 0' '$d/he-noclass.txt' && ! grep -q '^node_network' '$d/he-noclass.txt'"

check "live: node_network_up present" grep -q '^node_network_up{' "$d/he-live.txt"

# node-mixin's NodeNetworkInterfaceFlapping on a real Prometheus scraping us:
#   changes(node_network_up{job="node",device!~"veth.+"}[2m]) > 2
# finds our series, and fires while eth0's operstate flaps.
. "$SRC_DIR/tests/lib/prometheus.sh"
t=$(tree flap)
p=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$p" --collector.disable-defaults --collector.netclass \
	--path.sysfs="$t" >"$d/he-flap.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$p/metrics" 60 || fail "flap: host-exporter did not start"
prom_config "$d/p.yml" 1s node=127.0.0.1:$p
prom_start "$d" "$d/p.yml" || { fail "prometheus did not start"; finish; }
prom_wait_healthy node 60 || fail "flap: target never up"
check "NodeNetworkInterfaceFlapping's selector finds node_network_up (eth0 and lo)" \
	prom_wait_value 'count(changes(node_network_up{job="node",device!~"veth.+"}[2m]))' 2 60
# flap eth0 until the alert's expression holds (bounded: 120 s)
op=$(readlink -f "$t/class/net/eth0")/operstate
fired=
for i in $(seq 1 240); do
	if [ $((i % 2)) = 0 ]; then echo up >"$op"; else echo down >"$op"; fi
	if [ -n "$(prom_query_value 'changes(node_network_up{job="node",device!~"veth.+"}[2m]) > 2')" ]; then
		fired=1
		break
	fi
	sleep 0.5
done
check "NodeNetworkInterfaceFlapping's expression fires while eth0 flaps" [ -n "$fired" ]
check "... for eth0 only" [ "$(prom_query_count 'changes(node_network_up{job="node",device!~"veth.+"}[2m]) > 2')" = 1 ]
finish
