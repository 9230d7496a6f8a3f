#!/bin/bash
# xfs against node_exporter 1.5 on the same sysfs tree: both exporters run
# once on one --path.sysfs and fs/xfs is rebuilt between scrapes (read
# fresh).  Cases: two filesystems from tests/fixtures/host/xfs/stats (a
# kernel 6.1 file: push_ail, xstrat, the v2 btree lines, xpc with a uint64,
# a uint32 at its maximum) beside the global fs/xfs/stats/stats and a
# directory without stats (neither is a filesystem); no fs/xfs; an old vnodes
# line of 7 values; a line of one field; then errors: a value that is no
# number, beyond uint32, negative, a known line with the wrong count, xpc with
# two values, an unknown line with a word, stats/stats a directory.  The
# node_xfs_* series, HELP/TYPE and node_scrape_collector_success must agree
# (values compared as numbers).  Then both live on /sys.
. "$SRC_DIR/tests/lib/common.sh"
FX=$SRC_DIR/tests/fixtures/host/xfs
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_xfs_
S=$d/sys

tree() {
	local x=$S/fs/xfs
	rm -rf "$S"
	mkdir -p "$x/sda1/stats" "$x/dm-0/stats" "$x/stats" "$x/extra"
	cp "$FX/stats" "$x/sda1/stats/stats"
	sed 's/^rw .*/rw 3 4/; s/^ig .*/ig 1 2 3 4 5 6 7/' "$FX/stats" >"$x/dm-0/stats/stats"
	cp "$FX/stats" "$x/stats/stats"	# the global file, not a filesystem
	local f=$x/dm-0/stats/stats
	case $1 in
	full) ;;
	noxfs) rm -rf "$S/fs/xfs" ;;
	vnodes7) sed -i 's/^vnodes .*/vnodes 1 2 3 4 5 6 7/' "$f" ;;
	onefield) printf 'debug\n\n   \n' >>"$f" ;;
	garbage) sed -i 's/^dir .*/dir 1 2 x 4/' "$f" ;;
	toobig) sed -i 's/^abt .*/abt 0 4294967296 0 0/' "$f" ;;
	negative) sed -i 's/^bmbt .*/bmbt 0 -1 0 0/' "$f" ;;
	count) sed -i 's/^ig .*/ig 1 2 3 4 5 6/' "$f" ;;
	counttrans) sed -i 's/^trans .*/trans 1 2/' "$f" ;;
	xpc2) sed -i 's/^xpc .*/xpc 1 2/' "$f" ;;
	unknown) printf 'newline 1 two\n' >>"$f" ;;
	statsdir) rm "$f"; mkdir "$f" ;;
	esac
}

tree full
peer_start fx "$re" xfs --path.sysfs="$S"
peer_keep fx
peer_start live "$re" xfs --path.sysfs=/sys
peer_wait fx || { echo "exporters did not start"; exit 1; }
cases=(full noxfs vnodes7 onefield garbage toobig negative count counttrans xpc2 unknown statsdir)
for c in "${cases[@]}"; do
	tree "$c"
	peer_compare fx "$c"
done
s='node_scrape_collector_success{collector="xfs"}'
h=$d/he-full.txt
check "full: 39 families for 2 filesystems" bash -c "[ \$(grep -c '^# TYPE node_xfs_.* counter$' '$h') = 39 ] &&
	[ \$(grep -c '^node_xfs_read_calls_total{' '$h') = 2 ]"
check "full: values by position" bash -c "grep -qx 'node_xfs_write_calls_total{device=\"sda1\"} 4294967295' '$h' &&
	grep -qx 'node_xfs_inode_operation_attribute_changes_total{device=\"dm-0\"} 7' '$h' &&
	grep -qx 'node_xfs_vnode_remove_total{device=\"sda1\"} 12219' '$h'"
check "full: success 1" grep -qxF "$s 1" "$h"
check "noxfs: success 1, no series" bash -c "grep -qxF '$s 1' '$d/he-noxfs.txt' && ! grep -q '^node_xfs' '$d/he-noxfs.txt'"
for c in garbage toobig negative count counttrans xpc2 unknown statsdir; do
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_xfs' '$d/he-$c.txt'"
done
peer_stop fx
peer_gather
peer_same live
finish
