#!/bin/bash
# bcache against node_exporter 1.5 on the same sysfs tree: both exporters run
# on one --path.sysfs and fs/bcache is rebuilt between scrapes (read fresh).
# Cases: two cache sets (bch_hprint values with k/M/G suffixes and ".frac",
# signed writeback terms, a value without its newline, a float, a unit
# letter bcache never prints, missing value files, entries the globs skip:
# "register", "bdevX", "cache_mode"); no fs/bcache; a backing device without
# writeback_rate_debug; a garbage value; a directory where a value belongs;
# an unparsable writeback_rate_debug line; then
# --collector.bcache.priorityStats (priority_stats read, a cache without
# it fails).  node_bcache_*, HELP/TYPE and node_scrape_collector_success must
# agree (values as numbers).  An empty value file kills node_exporter 1.5
# (slice bounds panic), so that case checks only host-exporter.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_bcache_
S=$d/sys

put() {	# $1 file, $2 content (printf %s: give the newline)
	[ -d "${1%/*}" ] || mkdir -p "${1%/*}"
	printf '%s' "$2" >"$1"
}
period() {	# $1 dir, 7 values: bypassed hits misses bypass_hits bypass_misses collisions readaheads
	local p=$1 f
	shift
	for f in bypassed cache_hits cache_misses cache_bypass_hits cache_bypass_misses cache_miss_collisions cache_readaheads; do
		put "$p/$f" "$1"$'\n'
		shift
	done
}
wrd() {	# $1 bdev dir, then rate dirty target proportional integral change next_io
	put "$1/writeback_rate_debug" "rate:		$2/sec
dirty:		$3
target:		$4
proportional:	$5
integral:	$6
change:		$7/sec
next io:	$8ms
"
}
tree() {
	local b=$S/fs/bcache u1 u2
	rm -rf "$S"
	u1=$b/5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10
	u2=$b/aa11-bb22
	put "$b/register" ''
	put "$b/register_quiet" ''
	put "$u1/average_key_size" $'13.2k\n'
	put "$u1/btree_cache_size" $'1.5M\n'
	put "$u1/cache_available_percent" $'95\n'
	put "$u1/congested" $'0\n'
	put "$u1/root_usage_percent" $'1\n'
	put "$u1/tree_depth" $'2\n'
	put "$u1/cache_mode" $'writethrough [writeback] writearound none\n'
	put "$u1/internal/active_journal_entries" $'7\n'
	put "$u1/internal/btree_nodes" $'1.10k\n'
	put "$u1/internal/btree_read_average_duration_us" $'1305\n'
	put "$u1/internal/cache_read_races" $'3\n'
	period "$u1/stats_total" 1.2G 9.9k 3 0 0 0 1
	period "$u1/stats_five_minute" 1 2 3 4 5 6 7
	put "$u1/bdev0/dirty_data" $'9.2k\n'
	wrd "$u1/bdev0" 1.1M 20.4G 20.4G -2.3k -10.5M -3.6k -1000
	period "$u1/bdev0/stats_total" 4.0G 1.0M 512 2 3 4 5
	period "$u1/bdev0/stats_five_minute" 0 0 0 0 0 0 0
	put "$u1/bdev12/dirty_data" '42'	# no newline: the peer drops the '2'
	wrd "$u1/bdev12" 4.0k 0 7.9 0 12 0 5
	period "$u1/bdev12/stats_total" 7.9 1e3 2.5T 1z 0 0 0
	mkdir -p "$u1/bdevX" "$u1/bdev12/stats_hour"
	put "$u1/cache0/io_errors" $'0\n'
	put "$u1/cache0/metadata_written" $'512.5M\n'
	put "$u1/cache0/written" $'3.3G\n'
	put "$u1/cache0/priority_stats" "Unused:		99%
Clean:		0%
Dirty:		1%
Metadata:	0%
Average:	0
Sectors per Q:	238
Quantiles:	[1 2 3]
"
	# a second set, almost empty: missing files count 0
	mkdir -p "$u2/cache3"
	put "$u2/tree_depth" $'1\n'
	case $1 in
	full) ;;
	nodir) rm -r "$b" ;;
	nowrd) rm "$u1/bdev12/writeback_rate_debug" ;;
	garbage) put "$u1/internal/btree_nodes" $'many\n' ;;
	isdir) mkdir "$u2/congested" ;;
	badwrd) wrd "$u1/bdev0" 1.1M 20.4G x.yG 0 0 0 0 ;;
	badprio) put "$u1/cache0/priority_stats" $'Unused:\t99.5%\n' ;;
	noprio) ;;	# u2/cache3 has no priority_stats
	empty) put "$u1/congested" '' ;;
	esac
}

tree full
S=$d/sys2 tree full	# the priorityStats pair's tree: one cache without priority_stats fails it
rm -r "$d/sys2/fs/bcache/aa11-bb22/cache3"
peer_start fx "$re" bcache --path.sysfs="$S"
peer_start prio "$re" bcache --path.sysfs="$d/sys2" --collector.bcache.priorityStats
peer_keep fx
peer_keep prio
peer_start live "$re" bcache --path.sysfs=/sys
peer_wait fx || { echo "exporters did not start"; exit 1; }
for c in full nodir nowrd garbage isdir badwrd; do
	tree "$c"
	peer_compare fx "$c"
done
s='node_scrape_collector_success{collector="bcache"}'
h=$d/he-full.txt
check "full: both sets, bdev0 and bdev12, cache0 and cache3, no priority stats" bash -c "
	[ \$(grep -c '^node_bcache_tree_depth{' '$h') = 2 ] && [ \$(grep -c '^node_bcache_dirty_data_bytes{' '$h') = 2 ] &&
	[ \$(grep -c '^node_bcache_io_errors{' '$h') = 2 ] && ! grep -q bdevX '$h' && ! grep -q priority_stats '$h'"
check "full: dehumanized values" bash -c "
	grep -qx 'node_bcache_btree_cache_size_bytes{uuid=\"5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10\"} 1560576' '$h' &&
	grep -qx 'node_bcache_dirty_data_bytes{backing_device=\"bdev12\",uuid=\"5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10\"} 4' '$h' &&
	grep -q 'node_bcache_writeback_rate_integral_term{backing_device=\"bdev0\",uuid=\"5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10\"} -1' '$h'"
check "nodir: success 1, no series" bash -c "grep -qxF '$s 1' '$d/he-nodir.txt' && ! grep -q '^node_bcache' '$d/he-nodir.txt'"
for c in nowrd garbage isdir badwrd; do
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_bcache' '$d/he-$c.txt'"
done
tree empty
peer_scrape_he fx empty
check "empty file: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-empty.txt' && ! grep -q '^node_bcache' '$d/he-empty.txt'"
peer_stop fx
peer_wait prio || { fail "priorityStats: exporters did not start"; finish; }
peer_compare prio prio
check "prio: priority stats exported" grep -qx 'node_bcache_priority_stats_unused_percent{cache_device="cache0",uuid="5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10"} 99' "$d/he-prio.txt"
for c in badprio noprio; do
	S=$d/sys2 tree "$c"
	peer_compare prio "$c"
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_bcache' '$d/he-$c.txt'"
done
peer_stop prio
peer_gather
peer_same live
finish
