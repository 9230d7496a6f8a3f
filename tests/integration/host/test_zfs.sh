#!/bin/bash
# zfs against node_exporter 1.5 on the same procfs tree (spl/kstat/zfs,
# rebuilt between scrapes).  Cases: kstat files (arcstats with non-uint64
# types and a '-' in a name, dmu_tx, zil, an unknown file that is ignored),
# two pools with io, objset-* and state (upper case, as the kernel writes
# it); ZFS not loaded (no spl/kstat/zfs: no data, success 0); an empty
# spl/kstat/zfs (success, no series); a pool without state.  On a failure
# both keep the series written before it (node_exporter in random file
# order), so the kstat error cases (a value that is no integer, a file
# without its header) have only the failing file; an objset without header
# compares node_scrape_collector_success (host-exporter writes pool series
# only once all pools were read).  An io value line shorter than its header
# kills node_exporter 1.5 (index out of range): host-exporter alone there.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_zfs_
P=$d/proc

s='node_scrape_collector_success{collector="zfs"}'
compare_failed() {
	peer_scrape fx "$1"
	check "$1: success 0 in both, no pool series here" bash -c "grep -qxF '$s 0' '$d/ne-$1.txt' &&
		grep -qxF '$s 0' '$d/he-$1.txt' && ! grep -q '^node_zfs_zpool' '$d/he-$1.txt'"
}
kstat() {	# $1 file, then "name type value" lines
	local f=$1
	shift
	mkdir -p "${f%/*}"
	{
		echo "6 1 0x01 91 4368 5266997922 97951858082072"
		printf '%-24s %-4s %s\n' name type data
		for l in "$@"; do
			printf '%-24s %-4s %s\n' $l
		done
	} >"$f"
}
io() {	# $1 pool dir, 12 values
	mkdir -p "$1"
	shift_dir=$1
	shift
	printf '%s\n' "12 3 0x00 1 80 2052457 1234" \
		"nread    nwritten reads    writes   wtime    wlentime wupdate  rtime    rlentime rupdate  wcnt     rcnt" \
		"$*" >"$shift_dir/io"
}
tree() {
	local z=$P/spl/kstat/zfs
	rm -rf "$P"
	kstat "$z/arcstats" "hits 4 8123456" "misses 4 4567" "c_min 4 33554432" "weird-name 4 3" "arc_meta_used 4 18446744073709551615" "signed 3 -5" "text 7 abc"
	kstat "$z/dmu_tx" "dmu_tx_assigned 4 12345" "dmu_tx_delay 4 0"
	kstat "$z/zil" "zil_commit_count 4 77"
	kstat "$z/unknownstats" "foo 4 1"
	io "$z/tank" 1 2 3 4 5 6 7 8 9 10 11 12
	kstat "$z/tank/objset-0x36" "dataset_name 7 tank/home" "writes 4 31" "nwritten 4 91327" "reads 4 3"
	kstat "$z/tank/objset-0x82" "dataset_name 7 tank" "writes 4 1" "nwritten 4 2" "reads 4 0"
	echo ONLINE >"$z/tank/state"
	io "$z/rpool" 100 200 300 400 500 600 700 800 900 1000 0 0
	echo DEGRADED >"$z/rpool/state"
	case $1 in
	full) ;;
	nozfs) rm -r "$P/spl" ;;
	emptydir) rm -r "${z:?}"/* ;;
	nostate) rm "$z/rpool/state" ;;
	badvalue) rm -r "${z:?}"/* && kstat "$z/zil" "zil_commit_count 4 77" "zil_itx_count 4 many" ;;
	noheader) rm -r "${z:?}"/* && echo "hits 4 1" >"$z/dmu_tx" ;;
	badobjset) echo "writes 4 1" >"$z/tank/objset-0x82" ;;
	shortio) io "$z/rpool" 1 2 3 ;;
	esac
}

tree full
peer_start fx "$re" zfs --path.procfs="$P"
peer_keep fx
peer_start live "$re" zfs --path.procfs=/proc
peer_wait fx || { echo "exporters did not start"; exit 1; }
for c in full nozfs emptydir nostate; do
	tree "$c"
	peer_compare fx "$c"
done
for c in badvalue noheader; do
	tree "$c"
	peer_compare fx "$c"
done
check "badvalue: success 0, the line before the bad one kept (as node_exporter)" bash -c "grep -qxF '$s 0' '$d/he-badvalue.txt' &&
	grep -qx 'node_zfs_zil_zil_commit_count 77' '$d/he-badvalue.txt' && ! grep -q zil_itx_count '$d/he-badvalue.txt'"
check "noheader: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-noheader.txt' && ! grep -q '^node_zfs' '$d/he-noheader.txt'"
tree badobjset
compare_failed badobjset
h=$d/he-full.txt
check "full: kstats, pools, datasets and states" bash -c "
	grep -qx 'node_zfs_arc_hits 8123456' '$h' && grep -qx 'node_zfs_arc_weird_name 3' '$h' && ! grep -q 'node_zfs_arc_signed' '$h' &&
	grep -qx 'node_zfs_zpool_nread{zpool=\"tank\"} 1' '$h' &&
	grep -qx 'node_zfs_zpool_dataset_nwritten{dataset=\"tank/home\",zpool=\"tank\"} 91327' '$h' &&
	grep -qx 'node_zfs_zpool_state{state=\"degraded\",zpool=\"rpool\"} 1' '$h' && ! grep -q unknownstats '$h'"
check "nozfs: no data (success 0), no series" bash -c "grep -qxF '$s 0' '$d/he-nozfs.txt' && ! grep -q '^node_zfs' '$d/he-nozfs.txt'"
check "emptydir: success 1, no series" bash -c "grep -qxF '$s 1' '$d/he-emptydir.txt' && ! grep -q '^node_zfs' '$d/he-emptydir.txt'"
tree shortio
peer_scrape_he fx shortio
check "shortio: success 0, no pool series" bash -c "grep -qxF '$s 0' '$d/he-shortio.txt' && ! grep -q '^node_zfs_zpool' '$d/he-shortio.txt'"
peer_stop fx
peer_gather
peer_same live
finish
