#!/bin/bash
# udp_queues against node_exporter 1.5 on the same procfs trees (odd and
# missing files) and live: node_udp_queues{ip,queue}, HELP/TYPE and
# node_scrape_collector_success must agree.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_udp_
hdr='   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops'
l4a='  123: 0100007F:0035 00000000:0000 07 00000010:00000200 00:00000000 00000000   101        0 21007 2 0000000000000000 0'
l4b='  456: 00000000:0044 00000000:0000 07 000000FF:00000001 00:00000000 00000000     0        0 22000 2 0000000000000000 0'
l6a='  789: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00001000 00:00000000 00000000   101        0 21008 2 0000000000000000 0'
tree() {
	local t=$d/$1
	mkdir -p "$t/net"
	printf '%s\n%s\n%s\n' "$hdr" "$l4a" "$l4b" >"$t/net/udp"
	printf '%s\n%s\n' "$hdr" "$l6a" >"$t/net/udp6"
	case $1 in
	full) ;;
	no6) rm "$t/net/udp6" ;;
	none) rm "$t/net/udp" "$t/net/udp6" ;;
	headeronly) printf '%s\n' "$hdr" >"$t/net/udp" ;;
	badqueue) printf '%s\n%s\n' "$hdr" "${l4a/00000010:00000200/0000001g:00000200}" >"$t/net/udp" ;;
	short) printf '%s\n%s\n' "$hdr" '  1: 0100007F:0035 00000000:0000 07 00000010:00000200' >"$t/net/udp" ;;
	esac
	echo "$t"
}
cases="full no6 none headeronly badqueue short"
for c in $cases; do
	peer_start "$c" "$re" udp_queues --path.procfs="$(tree "$c")"
done
peer_start live "$re" udp_queues --path.procfs=/proc
peer_gather
for c in $cases; do peer_same "$c"; done
peer_same live
check "full: v4 tx summed (0x10 + 0xff)" grep -q '^node_udp_queues{ip="v4",queue="tx"} 271$' "$d/he-full.txt"
check "full: v6 rx" grep -q '^node_udp_queues{ip="v6",queue="rx"} 4096$' "$d/he-full.txt"
check "no6: v4 only" bash -c "grep -q 'ip=\"v4\"' '$d/he-no6.txt' && ! grep -q 'ip=\"v6\"' '$d/he-no6.txt'"
finish
