#!/bin/bash
# timex (adjtimex(2), no path root to point at a fixture) against node_exporter
# 1.5 live on this host: the same families, HELP/TYPE and success; the values
# that do not move between two reads (status bits, sync status, loop time
# constant, tick, PPS fields, TAI offset) must be equal, and maxerror /
# offset must agree within what the kernel adds between the two reads
# (maxerror grows by 500 ppm of elapsed time and is capped at 16 s).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

peer_start live 'node_timex_' timex
peer_gather
peer_same_names live
if [ -f "$d/he-live.txt" ]; then
	stable='node_timex_(sync_status|status|loop_time_constant|tick_seconds|pps_[a-z_]*|tai_offset_seconds) '
	check "live: the stable values equal node_exporter's" \
		diff <(grep -E "^$stable" "$d/ne-live.txt") <(grep -E "^$stable" "$d/he-live.txt")
	check "live: success 1" grep -q '^node_scrape_collector_success{collector="timex"} 1$' "$d/he-live.txt"
	check "live: 17 timex series" test "$(grep -c '^node_timex_' "$d/he-live.txt")" = 17
	check "live: maxerror within 1 s of node_exporter's" awk '
		FNR == NR && /^node_timex_maxerror_seconds / { a = $2 }
		FNR != NR && /^node_timex_maxerror_seconds / { b = $2 }
		END { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d < 1) }' "$d/ne-live.txt" "$d/he-live.txt"
	# STA_NANO scaling: the tick is 1e6/HZ us; node_exporter and we print seconds
	check "live: tick in seconds (1/HZ, below 0.1)" awk '/^node_timex_tick_seconds / { exit !($2 > 0 && $2 < 0.1) }' "$d/he-live.txt"
fi
finish
