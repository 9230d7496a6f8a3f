#!/bin/bash
# nfsd against node_exporter 1.5 on /proc/net/rpc/nfsd fixtures (an old
# kernel's file with the th histogram and ra line, a 5.x file without ra
# and th's floats, odd files: proc4 with 3 values, short proc4ops, an
# unknown line as newer kernels add, th with one value, a non-number,
# CRLF, empty, missing = no data) and live (no nfsd here: both no data).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

seqs() { local i out=; for ((i = $1; i < $1 + $2; i++)); do out+=" $i"; done; echo "${out# }"; }

tree() {
	local t=$d/$1
	mkdir -p "$t/net/rpc"
	{
		echo 'rc 0 6 18622'
		echo 'fh 3 0 0 0 0'
		echo 'io 157286400 72864'
		case $1 in
		new) echo 'th 8 0' ;;
		thshort) echo 'th 8' ;;
		*) echo 'th 8 0 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000'
		   echo 'ra 32 0 0 0 0 0 0 0 0 0 0 7' ;;
		esac
		echo 'net 18628 0 18628 6'
		echo 'rpc 18628 1 2 3 4'
		echo "proc2 18 $(seqs 100 18)"
		echo "proc3 22 $(seqs 200 22)"
		case $1 in
		proc4three) echo 'proc4 3 2 10853 1' ;;
		*) echo 'proc4 2 2 10853' ;;
		esac
		case $1 in
		shortops) echo "proc4ops 38 $(seqs 400 38)" ;;
		new) echo "proc4ops 72 $(seqs 400 72)" ;;
		*) echo "proc4ops 40 $(seqs 400 40)" ;;
		esac
		case $1 in
		unknown) echo 'wdeleg_getattr 0' ;;
		notnum) echo 'io 1 -2' ;;
		esac
	} >"$t/net/rpc/nfsd"
	case $1 in
	crlf) sed -i 's/$/\r/' "$t/net/rpc/nfsd" ;;
	empty) : >"$t/net/rpc/nfsd" ;;
	missing) rm "$t/net/rpc/nfsd" ;;
	esac
	echo "$t"
}

cases="old new proc4three shortops unknown thshort notnum crlf empty missing"
for c in $cases; do
	peer_start "$c" 'node_nfsd_' nfsd --path.procfs="$(tree "$c")"
done
peer_start live 'node_nfsd_' nfsd
peer_gather
for c in $cases live; do peer_same "$c"; done
check "old: 71 requests series (17 + 21 + 33)" test "$(grep -c '^node_nfsd_requests_total' "$d/he-old.txt")" = 71
check "old: v4 RelLockOwner is op 37" grep -q '^node_nfsd_requests_total{method="RelLockOwner",proto="4"} 437$' "$d/he-old.txt"
check "old: v4 Read is op 25 (the PutPubFH/PutRootFH slots skipped)" grep -q '^node_nfsd_requests_total{method="Read",proto="4"} 425$' "$d/he-old.txt"
check "old: read-ahead not found" grep -q '^node_nfsd_read_ahead_cache_not_found_total 7$' "$d/he-old.txt"
check "old: rpc errors by type" grep -q '^node_nfsd_rpc_errors_total{error="cInt"} 4$' "$d/he-old.txt"
check "new: threads from 'th 8 0'" grep -q '^node_nfsd_server_threads 8$' "$d/he-new.txt"
for c in proc4three shortops unknown thshort notnum; do
	check "$c: success 0, no series" bash -c "grep -q '^node_scrape_collector_success{collector=\"nfsd\"} 0$' '$d/he-$c.txt' && ! grep -q '^node_nfsd' '$d/he-$c.txt'"
done
finish
