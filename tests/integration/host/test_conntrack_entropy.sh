#!/bin/bash
# conntrack and entropy against node_exporter 1.5 on the same procfs trees,
# odd and missing files included: per case both exporters run with
# --path.procfs=TREE and only these two collectors; the node_nf_*,
# node_entropy_* series, HELP/TYPE and node_scrape_collector_success must
# agree.  Then both live on this host's /proc.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)

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

compare() {	# $1 label, $2 procfs
	local p1 p2 pid1 pid2
	p1=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults --collector.conntrack \
		--collector.entropy --path.procfs="$2" >"$d/ne.log" 2>&1 &
	pid1=$!
	p2=$(free_port)
	"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults --collector.conntrack \
		--collector.entropy --path.procfs="$2" >"$d/he.log" 2>&1 &
	pid2=$!
	on_exit "kill $pid1 $pid2 2>/dev/null"
	wait_http "http://127.0.0.1:$p1/metrics" 30 && wait_http "http://127.0.0.1:$p2/metrics" 30 ||
		{ fail "$1: exporters did not start"; return; }
	curl -s "http://127.0.0.1:$p1/metrics" | grep -E '^(# (HELP|TYPE) )?node_(nf_conntrack|entropy)_|^node_scrape_collector_success' | sort >"$d/ne-$1.txt"
	curl -s "http://127.0.0.1:$p2/metrics" | grep -E '^(# (HELP|TYPE) )?node_(nf_conntrack|entropy)_|^node_scrape_collector_success' | sort >"$d/he-$1.txt"
	kill $pid1 $pid2
	if [ "$1" = live ]; then	# counters move between the two scrapes: names and success only
		check "$1: same series names and success as node_exporter" \
			diff <(sed 's/ [^ ]*$//' "$d/ne-$1.txt") <(sed 's/ [^ ]*$//' "$d/he-$1.txt")
	else
		check "$1: same output as node_exporter" diff -u "$d/ne-$1.txt" "$d/he-$1.txt"
	fi
}

for c in full wide18 old16 nostat nomodule badhex shortrow badcount spaces nopool norandom; do
	compare "$c" "$(tree "$c")"
done
# the cases must have shown something (two empty outputs would agree)
check "full: entries 123" grep -q '^node_nf_conntrack_entries 123$' "$d/he-full.txt"
check "full: found summed over CPUs (0xa + 0xB)" grep -q '^node_nf_conntrack_stat_found 21$' "$d/he-full.txt"
check "full: search_restart summed" grep -q '^node_nf_conntrack_stat_search_restart 332$' "$d/he-full.txt"
check "old16: success 0" grep -q '^node_scrape_collector_success{collector="conntrack"} 0$' "$d/he-old16.txt"
check "nomodule: no data (success 0 as node_exporter 1.5, no metrics)" bash -c "grep -q '^node_scrape_collector_success{collector=\"conntrack\"} 0$' '$d/he-nomodule.txt' && ! grep -q '^node_nf' '$d/he-nomodule.txt'"
check "badhex: success 0" grep -q '^node_scrape_collector_success{collector="conntrack"} 0$' "$d/he-badhex.txt"
check "nopool: entropy success 0, available bits kept" \
	bash -c "grep -q '^node_scrape_collector_success{collector=\"entropy\"} 0$' '$d/he-nopool.txt' && grep -q '^node_entropy_available_bits 3754$' '$d/he-nopool.txt'"
compare live /proc
finish
