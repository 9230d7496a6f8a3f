#!/bin/bash
# fibrechannel against node_exporter 1.5 on the same sysfs trees (this host
# has no FC adapter, so the fixtures carry them): two hosts with hex
# statistics (0xffffffffffffffff for an unsupported counter), a missing
# counter, the reset_statistics file, "0x"-prefixed names; then a missing
# attribute, a bad counter, no statistics dir, no class; node_fibrechannel_*
# series, HELP/TYPE and node_scrape_collector_success must agree.  Then live.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_fibrechannel_

CTRS="dumped_frames error_frames fcp_packet_aborts invalid_crc_count invalid_tx_word_count
link_failure_count loss_of_signal_count loss_of_sync_count nos_count rx_frames rx_words
seconds_since_last_reset tx_frames tx_words"

fchost() {	# $1 tree $2 host $3 base counter value
	local h=$1/class/fc_host/$2 i=$3 c
	mkdir -p "$h/statistics"
	printf '8 Gbit\n' >"$h/speed"; printf 'Online\n' >"$h/port_state"
	printf 'NPort (fabric via point-to-point)\n' >"$h/port_type"
	printf '0x2000e0071bce95f2\n' >"$h/node_name"; printf '0x000002\n' >"$h/port_id"
	printf '0x1000e0071bce95f2\n' >"$h/port_name"; printf '0x0\n' >"$h/fabric_name"
	printf '30\n' >"$h/dev_loss_tmo"; printf 'Emulex LPe12002 FV2.01A12 DV12.0.0.5\n' >"$h/symbolic_name"
	printf 'Class 3\n' >"$h/supported_classes"; printf '2 Gbit, 4 Gbit, 8 Gbit\n' >"$h/supported_speeds"
	for c in $CTRS; do
		i=$((i + 3))
		printf '0x%x\n' "$i" >"$h/statistics/$c"
	done
	printf '0xffffffffffffffff\n' >"$h/statistics/rx_words"
	: >"$h/statistics/reset_statistics"
	chmod 200 "$h/statistics/reset_statistics"
}

tree() {	# $1 case
	local t=$d/$1
	fchost "$t" host0 100
	fchost "$t" host1 5000
	rm "$t/class/fc_host/host1/statistics/nos_count"
	case $1 in
	full) ;;
	octal) printf '010\n' >"$t/class/fc_host/host0/statistics/rx_frames"; printf '12\n' >"$t/class/fc_host/host0/statistics/tx_frames" ;;
	noattr) rm "$t/class/fc_host/host1/symbolic_name" ;;
	badctr) printf 'lots\n' >"$t/class/fc_host/host1/statistics/rx_words" ;;
	nostats) rm -r "$t/class/fc_host/host1/statistics" ;;
	noclass) rm -r "$t/class/fc_host"; mkdir -p "$t/class" ;;
	emptyclass) rm -r "$t/class/fc_host"; mkdir -p "$t/class/fc_host" ;;
	esac
	echo "$t"
}

cases="full octal noattr nostats noclass emptyclass"
for c in $cases; do
	peer_start "$c" "$re" fibrechannel --path.sysfs="$(tree "$c")"
done
peer_start live "$re" fibrechannel --path.sysfs=/sys
# A counter that does not parse: node_exporter 1.5 crashes (nil pointer in
# its procfs library); we fail the collector's scrape and send nothing of it.
peer_start badctr "$re" fibrechannel --path.sysfs="$(tree badctr)"
peer_keep badctr
peer_gather
for c in $cases; do peer_same "$c"; done
peer_same_names live	# carrier counts may move: names, labels and success

# the cases must have shown something (two empty outputs would agree)
h=$d/he-full.txt
check "full: info labels, 0x cut off" grep -qx 'node_fibrechannel_info{dev_loss_tmo="30",fabric_name="0",fc_host="host0",port_id="000002",port_name="1000e0071bce95f2",port_state="Online",port_type="NPort (fabric via point-to-point)",speed="8 Gbit",supported_classes="Class 3",supported_speeds="2 Gbit, 4 Gbit, 8 Gbit",symbolic_name="Emulex LPe12002 FV2.01A12 DV12.0.0.5"} 1' "$h"
check "full: hex counter" grep -qx 'node_fibrechannel_dumped_frames_total{fc_host="host0"} 103' "$h"
check "full: all-ones counter (not counted) left out" bash -c "! grep -q '^node_fibrechannel_rx_words_total' '$h' && grep -qx '# TYPE node_fibrechannel_tx_words_total counter' '$h'"
check "full: missing counter is 0" grep -qx 'node_fibrechannel_nos_total{fc_host="host1"} 0' "$h"
check "octal: 010 is 8" grep -qx 'node_fibrechannel_rx_frames_total{fc_host="host0"} 8' "$d/he-octal.txt"
peer_wait badctr he && peer_scrape_he badctr badctr
badctr() {
	grep -qx 'node_scrape_collector_success{collector="fibrechannel"} 0' "$d/he-badctr.txt" &&
		! grep -q '^node_fibrechannel' "$d/he-badctr.txt" && peer_running badctr
}
check "badctr: success 0, nothing sent, still serving" badctr
peer_stop badctr
finish
