#!/bin/bash
# conntrack and entropy against node_exporter 1.5 on the same procfs trees,
# odd and missing files included: per case both exporters run with
# --path.procfs=TREE and only these two collectors; the node_nf_*,
# node_entropy_* series, HELP/TYPE and node_scrape_collector_success must
# agree.  Then both live on this host's /proc.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re='node_(nf_conntrack|entropy)_'

tree() {	# $1 case: a full tree, then the case's change
	local t=$d/$1
	mkdir -p "$t/sys/net/netfilter" "$t/net/stat" "$t/sys/kernel/random"
	printf '123\n' >"$t/sys/net/netfilter/nf_conntrack_count"
	printf '65536\n' >"$t/sys/net/netfilter/nf_conntrack_max"
	{
		echo 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart'
		echo '00000021  00000000 0000000a 00000000 00000003 0000588a 00000000 00000000 00000001 00000002 00000004 00000005 00000000  00000000 00000000 00000000 0000014b'
		echo '00000021  00000000 0000000B 00000000 0000002f 000056a4 00000000 00000000 00000001 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000001'
	} >"$t/net/stat/nf_conntrack"
	printf '3754\n' >"$t/sys/kernel/random/entropy_avail"
	printf '4096\n' >"$t/sys/kernel/random/poolsize"
	case $1 in
	full) ;;
	wide18) sed -i 's/$/ 000000ff/' "$t/net/stat/nf_conntrack" ;;
	old16)	# Linux < 2.6.35: no search_restart column (node_exporter 1.5 refuses it)
		printf 'h\n%s\n' '00000001 00000002 00000003 00000004 00000005 00000006 00000007 00000008 00000009 0000000a 0000000b 0000000c 0000000d 0000000e 0000000f 00000010' \
			>"$t/net/stat/nf_conntrack" ;;
	nostat) rm "$t/net/stat/nf_conntrack" ;;
	nomodule) rm -r "$t/sys/net/netfilter" "$t/net/stat" ;;
	badhex) printf 'h\n%s\n' '0000000z 00000002 00000003 00000004 00000005 00000006 00000007 00000008 00000009 0000000a 0000000b 0000000c 0000000d 0000000e 0000000f 00000010' \
			>"$t/net/stat/nf_conntrack" ;;
	shortrow) printf 'h\n00000001 00000002\n' >"$t/net/stat/nf_conntrack" ;;
	badcount) printf 'many\n' >"$t/sys/net/netfilter/nf_conntrack_count" ;;
	spaces) printf '  42  \n\n' >"$t/sys/net/netfilter/nf_conntrack_count"; printf '\t7\n' >"$t/sys/kernel/random/entropy_avail" ;;
	nopool) rm "$t/sys/kernel/random/poolsize" ;;
	norandom) rm -r "$t/sys/kernel/random" ;;
	esac
	echo "$t"
}


cases="full wide18 old16 nostat nomodule badhex shortrow badcount spaces nopool norandom"
for c in $cases; do
	peer_start "$c" "$re" "conntrack entropy" --path.procfs="$(tree "$c")"
done
peer_start live "$re" "conntrack entropy" --path.procfs=/proc
peer_gather
for c in $cases; do peer_same "$c"; done
# the cases must have shown something (two empty outputs would agree)
check "full: entries 123" grep -q '^node_nf_conntrack_entries 123$' "$d/he-full.txt"
check "full: found summed over CPUs (0xa + 0xB)" grep -q '^node_nf_conntrack_stat_found 21$' "$d/he-full.txt"
check "full: search_restart summed" grep -q '^node_nf_conntrack_stat_search_restart 332$' "$d/he-full.txt"
check "old16: success 0" grep -q '^node_scrape_collector_success{collector="conntrack"} 0$' "$d/he-old16.txt"
check "nomodule: no data (success 0 as node_exporter 1.5, no metrics)" bash -c "grep -q '^node_scrape_collector_success{collector=\"conntrack\"} 0$' '$d/he-nomodule.txt' && ! grep -q '^node_nf' '$d/he-nomodule.txt'"
check "badhex: success 0" grep -q '^node_scrape_collector_success{collector="conntrack"} 0$' "$d/he-badhex.txt"
check "nopool: entropy success 0, available bits kept" \
	bash -c "grep -q '^node_scrape_collector_success{collector=\"entropy\"} 0$' '$d/he-nopool.txt' && grep -q '^node_entropy_available_bits 3754$' '$d/he-nopool.txt'"
peer_same_names live	# counters move between the two scrapes: names and success only
finish
