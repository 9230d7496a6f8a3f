#!/bin/bash
# netclass keeps its sysfs attribute descriptors open between scrapes
# (sysdir.h sd_keep), and the class/net directory's (sd_kdir, rewound for
# each listing): on a real sysfs, devices appearing, disappearing,
# renamed or replaced under the same name between two scrapes must show at
# the next scrape exactly as node_exporter 1.5 shows them.  Runs in its own
# network and mount namespace (unshare; root) with a sysfs mounted there,
# so the devices are the test's own (ifb, else bridge devices); both
# exporters read it with --path.sysfs and only netclass.
. "$SRC_DIR/tests/lib/netns.sh"
netns_enter "$@"
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
netns_sysfs "$d"
kind=$NETNS_KIND
mkdev() { ip link add "$1" type $kind && ip link set "$1" mtu "$2"; }

netns_pair netclass "$d"

series() { # PORT: the node_network_* samples, sorted
	curl -sf --max-time 30 "http://127.0.0.1:$1/metrics" | grep '^node_network_' | sort
}
value() { # FILE DEVICE: node_network_mtu_bytes of DEVICE
	sed -n "s/^node_network_mtu_bytes{device=\"$2\"} //p" "$1"
}
# descriptors host-exporter holds on attributes of DEVICE's node (any
# device without an argument)
kept_fds() {
	local n=0 f
	for f in /proc/$hpid/fd/*; do
		case $(readlink "$f" 2>/dev/null) in "$d/sys/devices/virtual/net/${1:-}"*) n=$((n + 1)) ;; esac
	done
	echo $n
}
step() { # NAME: scrape both, compare, keep host-exporter's as $d/NAME
	series "$hp" >"$d/$1"
	series "$np" >"$d/$1.ne"
	check "$1: node_network_* as node_exporter's" diff -u "$d/$1.ne" "$d/$1"
}

mkdev a0 1400 && mkdev b0 1500 || { fail "could not create $kind devices"; finish; }
step first
check "first: a0 and b0 read (mtu 1400, 1500)" [ "$(value "$d/first" a0) $(value "$d/first" b0)" = "1400 1500" ]
series "$hp" >/dev/null
check "descriptors kept between scrapes (8 attributes of each of a0, b0, the rest from the link dump; 22 of lo)" [ "$(kept_fds)" -ge 36 ]
# class/net itself is rewound, not reopened (sysdir.h sd_kdir): every step
# below (devices added, renamed, removed, replaced) is listed through it
dir_fds() {
	local n=0 f
	for f in /proc/$hpid/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$d/sys/class/net" ] && n=$((n + 1))
	done
	echo $n
}
check "the class/net directory descriptor is kept between scrapes ($(dir_fds))" [ "$(dir_fds)" = 1 ]

ip link set a0 mtu 1234
step changed
check "changed: a0's new mtu read" [ "$(value "$d/changed" a0)" = 1234 ]

# a0 renamed to a9 and a new a0 created: the kept descriptors of "a0" now
# belong to a9's node; the listing's d_ino tells them apart
ip link set a0 name a9 && mkdev a0 1300
step renamed
check "renamed: a9 keeps 1234, the new a0 has 1300" \
	[ "$(value "$d/renamed" a9) $(value "$d/renamed" a0)" = "1234 1300" ]

ip link del b0
step removed
check "removed: no b0 series" [ -z "$(grep 'device="b0"' "$d/removed")" ]
check "removed: b0's descriptors closed" [ "$(kept_fds b0/)" = 0 ]

mkdev b0 1280
step readded
check "re-added: b0 with its new mtu 1280" [ "$(value "$d/readded" b0)" = 1280 ]

# a device removed and one created under its name between two scrapes,
# the listing's entry otherwise alike
ip link del a9 && ip link del a0 && mkdev a0 1111
step replaced
check "replaced: a0 is the new device (1111), a9 gone" \
	[ "$(value "$d/replaced" a0) $(grep -c 'device="a9"' "$d/replaced")" = "1111 0" ]
check "host-exporter logged no error" [ -z "$(grep -i 'level=error' "$d/he.log")" ]
check "still one class/net descriptor after all the steps ($(dir_fds))" [ "$(dir_fds)" = 1 ]

# The kept listing takes one getdents64 when the directory fits in its
# buffer (kernfs fills it to the brim: room left means the end) ...
getdents_per_scrape() {
	local spid
	strace -f -qq -y -e trace=getdents64,statfs -o "$d/gd.tr" -p "$hpid" 2>/dev/null &
	spid=$!
	wait_for 10 all_traced "$hpid"
	series "$hp" >"$d/gd.prom"
	kill -INT $spid
	wait $spid 2>/dev/null
	grep -c "getdents64([0-9]*<$d/sys/class/net>" "$d/gd.tr"
}
if command -v strace >/dev/null; then
	g=$(getdents_per_scrape)
	check "one getdents64 of class/net per scrape ($g)" [ "$g" = 1 ]
	# the kept listing's descriptor vouches for sysfs: no statfs(2) of it
	check "no statfs of class/net per scrape ($(grep -c 'statfs(' "$d/gd.tr"))" [ "$(grep -c 'statfs(' "$d/gd.tr")" = 0 ]
fi
# ... and as many as it takes when it does not: 60 more devices (~2.4 kB
# of entries for a 2 kB buffer), all listed, as node_exporter lists them
for ((i = 10; i < 70; i++)); do ip link add "many_devices_$i" type $kind || break; done
step many
check "many: all 60 devices listed" [ "$(grep -c '^node_network_info{.*device="many_devices_' "$d/many")" = 60 ]
if command -v strace >/dev/null; then
	g=$(getdents_per_scrape)
	check "many: class/net listed over more than one getdents64 ($g)" [ "$g" -ge 2 ]
fi
finish
