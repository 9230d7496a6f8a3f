#!/bin/bash
# netclass on a real sysfs takes 14 of its 22 attributes per device from one
# RTM_GETLINK dump (netclass.c NL_SLOTS) for each device the dump describes
# (name, ifindex and hardware address equal in --path.sysfs and in the
# dump) once one device with a non-zero address proved the sysfs to be of
# our namespace, and reads the rest from sysfs.  In a network and mount
# namespace of its own (unshare; root):
#  - its sysfs with only lo (nothing proves it): all 22 reads for lo;
#  - then with devices: every node_network_* sample as node_exporter 1.5's
#    (which reads sysfs only) for devices down, up, renamed, with an alias,
#    an mtu, a group and a txqueuelen set, before and after changes; and the
#    system calls of one scrape: one link dump, and 8 attribute reads per
#    device (lo included) instead of 22;
#  - a foreign --path.sysfs (the host's /sys, still mounted in the new
#    mount namespace): a device of this namespace made with the name and
#    the ifindex of a host device, its mtu, alias and state set apart, must
#    not lend its values to the host's: the output equals node_exporter's
#    reading the same /sys, and the dump's values appear nowhere.
. "$SRC_DIR/tests/lib/netns.sh"
netns_enter "$@"
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
# the host's devices, read before anything of ours exists: name ifindex
# address of the first with a non-zero address
hostdev=""
for f in /sys/class/net/*; do
	n=${f##*/}
	[ -r "$f/address" ] && [ -r "$f/ifindex" ] || continue
	a=$(cat "$f/address" 2>/dev/null)
	case $a in "" | 00:00:00:00:00:00) continue ;; esac
	hostdev="$n $(cat "$f/ifindex") $a"
	break
done
netns_sysfs "$d"
kind=$NETNS_KIND

netns_pair netclass "$d"

series() { # PORT: the node_network_* samples, sorted
	curl -sf --max-time 30 "http://127.0.0.1:$1/metrics" | grep '^node_network_' | sort
}
step() { # NAME: scrape both, compare, keep host-exporter's as $d/NAME
	series "$hp" >"$d/$1"
	series "$np" >"$d/$1.ne"
	check "$1: node_network_* as node_exporter's ($(wc -l <"$d/$1") samples)" diff -u "$d/$1.ne" "$d/$1"
}
sample() { # FILE FAMILY DEVICE: the value
	sed -n "s/^node_network_$2{device=\"$3\"} //p" "$1"
}

# the system calls of one scrape
trace_scrape() { # NAME
	local spid
	strace -f -qq -y -e trace=pread64,sendto,sendmsg -o "$d/$1.tr" -p "$hpid" 2>/dev/null &
	spid=$!
	wait_for 10 all_traced "$hpid"
	series "$hp" >"$d/$1.prom"
	kill -INT $spid
	wait $spid 2>/dev/null
}
reads() { # TRACE DEVICE: attribute reads of DEVICE
	grep -c "^[0-9]* *pread64([0-9]*<$d/sys/devices/virtual/net/$2/" "$d/$1.tr"
}
step lo_only
trace_scrape lo
check "lo only: nothing proves the namespace, lo's 22 attributes read ($(reads lo lo))" [ "$(reads lo lo)" = 22 ]

ip link add r0 type $kind && ip link add r1 type $kind && ip link add r2 type $kind ||
	{ fail "could not create $kind devices"; finish; }
ip link set r0 mtu 1400 && ip link set r0 alias "the r0 link" && ip link set r0 group 7 &&
	ip link set r0 txqueuelen 333 && ip link set r1 up ||
	{ fail "could not set up the devices"; finish; }
step first
check "first: r0's mtu, group and queue length (1400 7 333)" \
	[ "$(sample "$d/first" mtu_bytes r0) $(sample "$d/first" net_dev_group r0) $(sample "$d/first" transmit_queue_length r0)" = "1400 7 333" ]
check "first: r0's alias in node_network_info" grep -q 'device="r0",.*ifalias="the r0 link"' "$d/first"
check "first: r1 up has carrier and dormant, r0 down has neither" \
	[ "$(grep -c '^node_network_\(carrier\|dormant\){device="r1"}' "$d/first") $(grep -c '^node_network_\(carrier\|dormant\){device="r0"}' "$d/first")" = "2 0" ]

ip link set r0 up && ip link set r1 down && ip link set r0 mtu 1280 && ip link set r0 alias "" &&
	ip link set r2 name r9
step changed
check "changed: r0's new mtu 1280, r2 now r9" \
	[ "$(sample "$d/changed" mtu_bytes r0) $(grep -c 'device="r2"' "$d/changed") $(sample "$d/changed" iface_id r9)" = "1280 0 $(cat /sys/class/net/r9/ifindex 2>/dev/null || cat "$d/sys/class/net/r9/ifindex")" ]

# one dump, 8 reads per device: r0, r1, r9 prove the namespace by their
# addresses, and lo is then ours too
trace_scrape tr
dumps=$(grep -c 'sendto(.*RTM_GETLINK' "$d/tr.tr")
check "one link dump per scrape ($dumps)" [ "$dumps" = 1 ]
check "8 sysfs reads for each of r0 r1 r9 lo ($(reads tr r0) $(reads tr r1) $(reads tr r9) $(reads tr lo))" \
	[ "$(reads tr r0) $(reads tr r1) $(reads tr r9) $(reads tr lo)" = "8 8 8 8" ]
check "host-exporter logged no error" [ -z "$(grep -i 'level=error' "$d/he.log")" ]

# A foreign --path.sysfs: the host's /sys from this namespace
if [ -z "$hostdev" ]; then
	echo "# no host device with a hardware address: the foreign-sysfs part needs one"
	finish
fi
read -r hname hidx haddr <<<"$hostdev"
# our twin: the host device's name and ifindex, another address, an mtu,
# alias and state of its own
ip link del r0 && ip link del r1 && ip link del r9 || { fail "could not remove the devices"; finish; }
if ! ip link add "$hname" index "$hidx" type $kind; then
	fail "could not make a $kind device $hname with index $hidx"
	finish
fi
ip link set "$hname" mtu 1111 && ip link set "$hname" alias "netns twin" ||
	{ fail "could not set up the twin"; finish; }
check "twin: $hname has index $hidx here too" [ "$(cat "$d/sys/class/net/$hname/ifindex")" = "$hidx" ]
check "twin: its address differs from the host's $haddr" [ "$(cat "$d/sys/class/net/$hname/address")" != "$haddr" ]
read -r fp fq < <(free_ports 2 | tr '\n' ' ')
"$HE" --web.listen-address="127.0.0.1:$fp" --collector.disable-defaults --collector.netclass \
	--path.sysfs=/sys --log.level=warn >"$d/fhe.log" 2>&1 &
on_exit "kill $!"
"$NE" --web.listen-address="127.0.0.1:$fq" --collector.disable-defaults --collector.netclass \
	--path.sysfs=/sys --log.level=warn >"$d/fne.log" 2>&1 &
on_exit "kill $!"
wait_http "http://127.0.0.1:$fp/metrics" 60 || { fail "host-exporter (host /sys) did not start"; finish; }
wait_http "http://127.0.0.1:$fq/metrics" 60 || { fail "node_exporter (host /sys) did not start"; finish; }
# counters of a live host device may move between the two scrapes
stable() { grep -v '_total{' "$1"; }
series "$fp" >"$d/foreign"
series "$fq" >"$d/foreign.ne"
check "foreign sysfs: node_network_* as node_exporter's (counters aside)" \
	diff -u <(stable "$d/foreign.ne") <(stable "$d/foreign")
check "foreign sysfs: the host's $hname, not our twin (mtu $(sample "$d/foreign" mtu_bytes "$hname"), no 'netns twin')" \
	[ "$(sample "$d/foreign" mtu_bytes "$hname")" != 1111 ] && ! grep -q 'netns twin' "$d/foreign"
finish
