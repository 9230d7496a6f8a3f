#!/bin/bash
# softnet against node_exporter 1.5 on /proc/net/softnet_stat fixtures: the
# column counts of different kernels (9 on old kernels, 11, 13 since 5.10,
# 15 on this kernel), odd files (too few columns, a non-hex or a >32-bit
# value, a blank line, CRLF, an empty file, a missing file), then live.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

row() {	# $1 processed $2 dropped $3 squeezed $4 total columns
	local i out="$1 $2 $3"
	for ((i = 3; i < $4; i++)); do out+=" 0000000$((i % 10))"; done
	echo "$out"
}

tree() {
	local t=$d/$1
	mkdir -p "$t/net"
	case $1 in
	cols9) { row 0000a000 00000001 00000002 9; row 0000b000 00000003 00000004 9; } ;;
	cols11) { row 0000a000 00000001 00000002 11; row 0000b000 00000003 00000004 11; } ;;
	cols13) for i in 0 1 2 3 4 5 6 7 8 9 a b; do row 00000${i}10 0000000$i 00000002 13; done ;;
	cols15) { row ffffffff 00000001 00000002 15; row 0 1 2 15; } ;;
	cols8) { row 00000001 00000001 00000002 9; row 00000001 00000001 00000002 8; } ;;
	badhex) row 0000g000 00000001 00000002 13 ;;
	big) row 100000000 00000001 00000002 13 ;;
	prefix) row 0x10 00000001 00000002 13 ;;
	blank) { row 00000001 00000001 00000002 13; echo; row 00000001 00000001 00000002 13; } ;;
	crlf) { row 00000001 00000001 00000002 13; row 0000000F 00000001 00000002 13; } | sed 's/$/\r/' ;;
	empty) ;;
	missing) ;;
	esac >"$t/net/softnet_stat"
	[ "$1" = missing ] && rm "$t/net/softnet_stat"
	echo "$t"
}

cases="cols9 cols11 cols13 cols15 cols8 badhex big prefix blank crlf empty missing"
for c in $cases; do
	peer_start "$c" 'node_softnet_' softnet --path.procfs="$(tree "$c")"
done
peer_start live 'node_softnet_' softnet
peer_gather
for c in $cases; do peer_same "$c"; done
check "cols9: processed of cpu 1 (0xb000)" grep -q '^node_softnet_processed_total{cpu="1"} 45056$' "$d/he-cols9.txt"
check "cols13: twelve CPUs, cpu 11 dropped 11" grep -q '^node_softnet_dropped_total{cpu="11"} 11$' "$d/he-cols13.txt"
check "cols15: 32-bit max kept" grep -q '^node_softnet_processed_total{cpu="0"} 4294967295$' "$d/he-cols15.txt"
check "crlf: uppercase hex, CR dropped" grep -q '^node_softnet_processed_total{cpu="1"} 15$' "$d/he-crlf.txt"
for c in cols8 badhex big prefix blank missing; do
	check "$c: success 0 and no series" bash -c "grep -q '^node_scrape_collector_success{collector=\"softnet\"} 0$' '$d/he-$c.txt' && ! grep -q '^node_softnet_' '$d/he-$c.txt'"
done
check "empty: success 1, no series" bash -c "grep -q '^node_scrape_collector_success{collector=\"softnet\"} 1$' '$d/he-empty.txt' && ! grep -q '^node_softnet_' '$d/he-empty.txt'"
peer_same_names live
if [ -f "$d/he-live.txt" ]; then
	check "live: a series per CPU" test "$(grep -c '^node_softnet_dropped_total' "$d/he-live.txt")" = "$(wc -l </proc/net/softnet_stat)"
fi
finish
