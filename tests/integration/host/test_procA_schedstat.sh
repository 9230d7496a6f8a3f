#!/bin/bash
# schedstat against node_exporter 1.5 on /proc/schedstat fixtures (version 15
# with domain lines, a CPU line with extra fields, two spaces, a value past
# 64 bits, "cpu" inside another word, CRLF, an empty file, a missing file:
# no data) and live (this kernel has no CONFIG_SCHEDSTATS: both say no data).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

tree() {
	local t=$d/$1
	mkdir -p "$t"
	{
		echo 'version 15'
		echo 'timestamp 4295062427'
		echo 'cpu0 0 0 0 0 0 0 2045936778163039 343796328169361 74628911'
		echo 'domain0 00000000,00000003 212 211 1 0 0 0 0 211 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0'
		echo 'cpu1 0 0 0 0 0 0 1904686152592476 356306342232212 80017510'
		echo 'domain0 00000000,00000003 185 184 0 0 0 0 0 184 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0'
		case $1 in
		extra) echo 'cpu12 1 2 3 4 5 6 7000000001 8000000002 9 10 11' ;;
		twospace) echo 'cpu2 0 0 0 0 0 0  1 2 3' ;;
		overflow) echo 'cpu2 0 0 0 0 0 0 18446744073709551616 2 3'; echo 'cpu3 0 0 0 0 0 0 18446744073709551615 2 3' ;;
		inword) echo 'xcpu07 0 0 0 0 0 0 5 6 7 trailing'; echo 'cpu 1 2 3 cpu4 0 0 0 0 0 0 8 9 10' ;;
		short) echo 'cpu2 0 0 0 0 0 0 1 2' ;;
		esac
	} >"$t/schedstat"
	case $1 in
	crlf) sed -i 's/$/\r/' "$t/schedstat" ;;
	empty) : >"$t/schedstat" ;;
	missing) rm "$t/schedstat" ;;
	esac
	echo "$t"
}

cases="v15 extra twospace overflow inword short crlf empty missing"
for c in $cases; do
	peer_start "$c" 'node_schedstat_' schedstat --path.procfs="$(tree "$c")"
done
peer_start live 'node_schedstat_' schedstat
peer_gather
for c in $cases live; do peer_same "$c"; done
check "v15: running seconds from ns" grep -q '^node_schedstat_running_seconds_total{cpu="0"} 2045936.7781630389' "$d/he-v15.txt"
check "v15: timeslices" grep -q '^node_schedstat_timeslices_total{cpu="1"} 80017510$' "$d/he-v15.txt"
check "extra: cpu12 kept" grep -q '^node_schedstat_waiting_seconds_total{cpu="12"} 8.0000000020000002$' "$d/he-extra.txt"
check "overflow: the 2^64 line skipped, the 2^64-1 line kept" bash -c "! grep -q 'cpu=\"2\"' '$d/he-overflow.txt' && grep -q 'cpu=\"3\"' '$d/he-overflow.txt'"
check "inword: matches inside a word and after 'cpu '" bash -c "grep -q '^node_schedstat_timeslices_total{cpu=\"07\"} 7$' '$d/he-inword.txt' && grep -q '^node_schedstat_timeslices_total{cpu=\"4\"} 10$' '$d/he-inword.txt'"
check "missing: no data (success 0, no series)" bash -c "grep -q '^node_scrape_collector_success{collector=\"schedstat\"} 0$' '$d/he-missing.txt' && ! grep -q '^node_schedstat' '$d/he-missing.txt'"
check "empty: success 1" grep -q '^node_scrape_collector_success{collector="schedstat"} 1$' "$d/he-empty.txt"
finish
