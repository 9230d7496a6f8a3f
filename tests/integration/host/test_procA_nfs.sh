#!/bin/bash
# nfs against node_exporter 1.5 on /proc/net/rpc/nfs fixtures (a 5.x kernel's
# file, an old kernel's short proc4, odd files: a wrong count, a short proc2,
# an unknown key, a key alone, a non-number, a repeated line, CRLF, empty,
# missing = no data) and live (no NFS client here: both no data).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

seqs() { local i out=; for ((i = $1; i < $1 + $2; i++)); do out+=" $i"; done; echo "${out# }"; }

tree() {
	local t=$d/$1
	mkdir -p "$t/net/rpc"
	{
		echo 'net 70 70 69 45'
		echo 'rpc 1218785755 374636 1218815394'
		echo "proc2 18 $(seqs 100 18)"
		echo "proc3 22 $(seqs 200 22)"
		case $1 in
		oldv4) echo "proc4 35 $(seqs 300 35)" ;;
		widev4) echo "proc4 69 $(seqs 300 69)" ;;
		badcount) echo "proc4 60 $(seqs 300 59)" ;;
		shortv2) echo "proc2 17 $(seqs 100 17)" ;;
		unknown) echo 'proc9 1 1' ;;
		keyonly) echo 'net' ;;
		notnum) echo 'net 1 2 x 4' ;;
		repeat) echo "proc4 59 $(seqs 300 59)"; echo 'net 1 2 3 4' ;;
		*) echo "proc4 59 $(seqs 300 59)" ;;
		esac
	} >"$t/net/rpc/nfs"
	case $1 in
	crlf) sed -i 's/$/\r/' "$t/net/rpc/nfs" ;;
	empty) : >"$t/net/rpc/nfs" ;;
	missing) rm "$t/net/rpc/nfs" ;;
	esac
	echo "$t"
}

cases="full oldv4 widev4 badcount shortv2 unknown keyonly notnum repeat crlf empty missing"
for c in $cases; do
	peer_start "$c" 'node_nfs_' nfs --path.procfs="$(tree "$c")"
done
peer_start live 'node_nfs_' nfs
peer_gather
for c in $cases live; do peer_same "$c"; done
check "full: 99 procedures" test "$(grep -c '^node_nfs_requests_total' "$d/he-full.txt")" = 99
check "full: v4 Clone is the 59th" grep -q '^node_nfs_requests_total{method="Clone",proto="4"} 358$' "$d/he-full.txt"
check "full: tcp packets" grep -q '^node_nfs_packets_total{protocol="tcp"} 69$' "$d/he-full.txt"
check "oldv4: padded with zeros" grep -q '^node_nfs_requests_total{method="Clone",proto="4"} 0$' "$d/he-oldv4.txt"
check "repeat: the last net line wins" grep -q '^node_nfs_connections_total 4$' "$d/he-repeat.txt"
for c in badcount shortv2 unknown keyonly notnum; do
	check "$c: success 0, no series" bash -c "grep -q '^node_scrape_collector_success{collector=\"nfs\"} 0$' '$d/he-$c.txt' && ! grep -q '^node_nfs' '$d/he-$c.txt'"
done
check "empty: zeros, success 1" bash -c "grep -q '^node_scrape_collector_success{collector=\"nfs\"} 1$' '$d/he-empty.txt' && grep -q '^node_nfs_rpcs_total 0$' '$d/he-empty.txt'"
finish
