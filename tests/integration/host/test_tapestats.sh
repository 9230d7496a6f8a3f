#!/bin/bash
# tapestats against node_exporter 1.5 on the same sysfs tree: both exporters
# run once on one --path.sysfs and class/scsi_tape is rebuilt between scrapes
# (read fresh).  Cases: two tapes (st0 with nanosecond times and counters in
# decimal, hex, octal and padded forms; st12) beside the mode nodes the
# kernel also lists (nst0, st0a, st0l) and an extra stats file; no class
# directory; a tape without stats; a stats entry that cannot be read (a
# directory); then --collector.tapestats.ignored-devices.  node_tape_*,
# HELP/TYPE and node_scrape_collector_success must agree (values as numbers).
# A value that is no number kills node_exporter 1.5 (nil dereference), so
# that case checks only host-exporter: success 0, no series, still serving.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_tape_
S=$d/sys

tape() {	# $1 dir, then 10 values in st.rst order
	local t=$1 f
	shift
	mkdir -p "$t/stats"
	for f in in_flight io_ns other_cnt read_byte_cnt read_cnt read_ns resid_cnt write_byte_cnt write_cnt write_ns; do
		printf '%s\n' "$1" >"$t/stats/$f"
		shift
	done
}
tree() {
	local c=$S/class/scsi_tape
	rm -rf "$S"
	tape "$c/st0" 1 9876543210123 0x1f 1073741824 '  4242  ' 1234567890 010 0b101 77 987654321
	tape "$c/st12" 0 0 0 0 0 0 0 0 0 0
	tape "$c/nst0" 9 9 9 9 9 9 9 9 9 9
	tape "$c/st0a" 9 9 9 9 9 9 9 9 9 9
	tape "$c/st0l" 9 9 9 9 9 9 9 9 9 9
	echo 5 >"$c/st12/stats/new_counter"
	case $1 in
	full) ;;
	noclass) rm -r "$c" ;;
	nostats) rm -r "$c/st12/stats" ;;
	unreadable) mkdir "$c/st12/stats/weird" ;;
	garbage) echo many >"$c/st12/stats/read_cnt" ;;
	esac
}

tree full
S=$d/sys2 tree full	# the ignored-devices pair's tree
peer_start fx "$re" tapestats --path.sysfs="$S"
peer_start ignored "$re" tapestats --path.sysfs="$d/sys2" --collector.tapestats.ignored-devices='^st1'
peer_keep fx
peer_keep ignored
peer_start live "$re" tapestats --path.sysfs=/sys
peer_wait fx || { echo "exporters did not start"; exit 1; }
for c in full noclass nostats unreadable; do
	tree "$c"
	peer_compare fx "$c"
done
s='node_scrape_collector_success{collector="tapestats"}'
h=$d/he-full.txt
check "full: st0 and st12 only" bash -c "[ \$(grep -c '^node_tape_io_now{' '$h') = 2 ] && ! grep -q 'device=\"nst0\"\|device=\"st0a\"' '$h'"
check "full: ns as seconds, base-0 numbers" bash -c "grep -q 'node_tape_io_time_seconds_total{device=\"st0\"} 9876.54321012' '$h' &&
	grep -qx 'node_tape_io_others_total{device=\"st0\"} 31' '$h' && grep -qx 'node_tape_residual_total{device=\"st0\"} 8' '$h' &&
	grep -qx 'node_tape_written_bytes_total{device=\"st0\"} 5' '$h' && grep -qx 'node_tape_reads_completed_total{device=\"st0\"} 4242' '$h'"
for c in noclass nostats unreadable; do
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_tape' '$d/he-$c.txt'"
done
tree garbage
peer_scrape_he fx garbage
check "garbage: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-garbage.txt' && ! grep -q '^node_tape' '$d/he-garbage.txt'"
peer_stop fx
peer_wait ignored || { fail "ignored: exporters did not start"; finish; }
peer_compare ignored ignored
check "ignored: st12 gone, st0 kept" bash -c "! grep -q 'device=\"st12\"' '$d/he-ignored.txt' && grep -q 'device=\"st0\"' '$d/he-ignored.txt'"
peer_stop ignored
out=$("$HE" --collector.tapestats.ignored-devices='(' 2>&1); rc=$?
check "a bad ignored-devices regex: exit 2 naming the flag" bash -c "[ $rc = 2 ] && grep -q 'collector.tapestats.ignored-devices' <<<'$out'"
peer_gather
peer_same live
finish
