#!/bin/bash
# bonding against node_exporter 1.5 on the same sysfs trees (this host has no
# bonding module, so the fixtures carry the bonds): masters with up, down and
# missing slaves, the slave_ prefix of older kernels, an empty
# bonding_masters, a master listed twice, a master or slave that went away,
# no bonding at all; node_bonding_* series, HELP/TYPE and
# node_scrape_collector_success must agree.  Then both live on /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_bonding_

bond() {	# $1 tree $2 master, then slave=state ... (state "-": no mii_status; prefix old: slave_)
	local t=$1 m=$2 dir s
	shift 2
	dir=$t/class/net/$m
	mkdir -p "$dir/bonding"
	: >"$dir/bonding/slaves"
	for kv in "$@"; do
		s=${kv%%=*}
		printf '%s ' "$s" >>"$dir/bonding/slaves"
		case ${kv#*=} in
		-) ;;
		old:*) mkdir -p "$dir/slave_$s/bonding_slave"; printf '%s\n' "${kv#*=old:}" >"$dir/slave_$s/bonding_slave/mii_status" ;;
		*) mkdir -p "$dir/lower_$s/bonding_slave"; printf '%s\n' "${kv#*=}" >"$dir/lower_$s/bonding_slave/mii_status" ;;
		esac
	done
	printf '\n' >>"$dir/bonding/slaves"
}

tree() {	# $1 case
	local t=$d/$1
	mkdir -p "$t/class/net"
	printf 'bond0 bond1 bond2\n' >"$t/class/net/bonding_masters"
	bond "$t" bond0 eth0=up eth1=down eth2=up
	bond "$t" bond1 eth3=old:up eth4=old:going\ back	# older kernels' slave_ directories
	bond "$t" bond2					# no slaves
	case $1 in
	full) ;;
	twice) printf 'bond0  bond1\tbond0\n\n' >"$t/class/net/bonding_masters" ;;
	empty) : >"$t/class/net/bonding_masters" ;;
	nomodule) rm "$t/class/net/bonding_masters" ;;
	gonemaster) printf 'bond0 bond9\n' >"$t/class/net/bonding_masters" ;;
	goneslave) bond "$t" bond2 eth7=up eth8=- ;;
	updown) printf '  up  \n' >"$t/class/net/bond0/lower_eth1/bonding_slave/mii_status"
		printf 'UP\n' >"$t/class/net/bond0/lower_eth2/bonding_slave/mii_status" ;;
	notadir) rm -r "$t/class/net/bond0/lower_eth1"; printf 'x\n' >"$t/class/net/bond0/lower_eth1" ;;
	esac
	echo "$t"
}

cases="full twice empty nomodule gonemaster goneslave updown notadir"
for c in $cases; do
	peer_start "$c" "$re" bonding --path.sysfs="$(tree "$c")"
done
peer_start live "$re" bonding --path.sysfs=/sys
peer_gather
for c in $cases; do peer_same "$c"; done
peer_same_names live	# carrier counts may move: names, labels and success

# the cases must have shown something (two empty outputs would agree)
h=$d/he-full.txt
check "full: bond0 3 slaves, 2 active" bash -c "grep -qx 'node_bonding_slaves{master=\"bond0\"} 3' '$h' && grep -qx 'node_bonding_active{master=\"bond0\"} 2' '$h'"
check "full: slave_ prefix read (bond1 1 of 2 active)" grep -qx 'node_bonding_active{master="bond1"} 1' "$h"
check "full: bond2 without slaves: 0" grep -qx 'node_bonding_slaves{master="bond2"} 0' "$h"
check "full: success 1" grep -qx 'node_scrape_collector_success{collector="bonding"} 1' "$h"
check "twice: one series per master" bash -c "[ \$(grep -c '^node_bonding_slaves{master=\"bond0\"}' '$d/he-twice.txt') = 1 ]"
check "updown: trimmed 'up' counts, 'UP' does not" grep -qx 'node_bonding_active{master="bond0"} 2' "$d/he-updown.txt"
check "nomodule: success 0, no series" bash -c "grep -qx 'node_scrape_collector_success{collector=\"bonding\"} 0' '$d/he-nomodule.txt' && ! grep -q '^node_bonding' '$d/he-nomodule.txt'"
check "goneslave: nothing sent" bash -c "! grep -q '^node_bonding' '$d/he-goneslave.txt'"
finish
