#!/bin/bash
# netdev reads statistics/rx_nohandler through descriptors kept between
# scrapes (sysdir.h sd_keep, tied to class/net's listing: name and d_ino),
# not with an open of class/net/<dev>/statistics/rx_nohandler per device
# and scrape; devices renamed, replaced under the same name and removed
# between two scrapes are read through their own node, and the series stay
# node_exporter 1.5's.  Runs in its own network and mount namespace
# (unshare; root) with a sysfs mounted there, so the devices are the
# test's own (ifb, else bridge devices).
. "$SRC_DIR/tests/lib/netns.sh"
netns_enter "$@"
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
netns_sysfs "$d"
kind=$NETNS_KIND
mkdev() { ip link add "$1" type $kind; }

netns_pair netdev "$d"

nohandler() { # PORT: the node_network_receive_nohandler_total samples, sorted
	curl -sf --max-time 30 "http://127.0.0.1:$1/metrics" | grep '^node_network_receive_nohandler_total' | sort
}
# the devices whose rx_nohandler host-exporter holds a descriptor of, sorted
kept_devs() {
	local f
	for f in /proc/$hpid/fd/*; do
		readlink "$f" 2>/dev/null
	done | sed -n "s#^$d/sys/devices/virtual/net/\([^/]*\)/statistics/rx_nohandler\$#\1#p" | sort | tr '\n' ' '
}
step() { # NAME: scrape both, compare
	nohandler "$hp" >"$d/$1"
	nohandler "$np" >"$d/$1.ne"
	check "$1: node_network_receive_nohandler_total as node_exporter's" diff -u "$d/$1.ne" "$d/$1"
}

mkdev a0 && mkdev b0 || { fail "could not create $kind devices"; finish; }
step first
check "first: a0 and b0 there" [ "$(grep -c 'device="[ab]0"' "$d/first")" = 2 ]
check "rx_nohandler descriptors of a0 and b0 kept ($(kept_devs))" [ "$(kept_devs)" = "a0 b0 " ]

strace -f -qq -y -e trace=openat,pread64 -o "$d/tr" -p "$hpid" 2>/dev/null &
spid=$!
wait_for 10 all_traced "$hpid"
for i in 1 2 3; do nohandler "$hp" >/dev/null; done
kill -INT $spid
wait $spid 2>/dev/null
o=$(grep -c 'openat(.*rx_nohandler' "$d/tr")
p=$(grep -c 'pread64([0-9]*<[^>]*/rx_nohandler>' "$d/tr")
check "three scrapes: no open of rx_nohandler ($o), 6 preads of it ($p)" [ "$o" = 0 ] && [ "$p" = 6 ]

# a0 renamed to a9 and a new a0 made: each read through its own node
ip link set a0 name a9 && mkdev a0
step renamed
check "renamed: a0, a9, b0 there" [ "$(grep -c 'device="\(a0\|a9\|b0\)"' "$d/renamed")" = 3 ]
check "renamed: descriptors of a0 (new), a9 (the old a0) and b0 ($(kept_devs))" [ "$(kept_devs)" = "a0 a9 b0 " ]
ip link del b0 && ip link del a0 && mkdev a0
step replaced
check "replaced: b0 gone, a0 and a9 there" \
	[ "$(grep -c 'device="b0"' "$d/replaced") $(grep -c 'device="a[09]"' "$d/replaced")" = "0 2" ]
check "replaced: b0's descriptor closed, a0's is the new device's ($(kept_devs))" [ "$(kept_devs)" = "a0 a9 " ]
check "host-exporter logged no error" [ -z "$(grep -i 'level=error' "$d/he.log")" ]
finish
