#!/bin/bash
# infiniband against node_exporter 1.5 on the same sysfs trees (this host has
# no InfiniBand adapter, so the fixtures carry them): an mlx5 device with two
# ports and counters_ext, a device without counters_ext, per-lane data
# counters (x4), "N/A (no PMA)" counters, rates such as "2.5 Gb/sec" and
# "14.0625 Gb/sec"; then missing and broken files; node_infiniband_* series,
# HELP/TYPE and node_scrape_collector_success must agree.  Then live on /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_infiniband_

CTRS="excessive_buffer_overrun_errors link_downed link_error_recovery local_link_integrity_errors
multicast_rcv_packets multicast_xmit_packets port_rcv_constraint_errors port_rcv_data port_rcv_discards
port_rcv_errors port_rcv_packets port_rcv_remote_physical_errors port_rcv_switch_relay_errors
port_xmit_constraint_errors port_xmit_data port_xmit_discards port_xmit_packets port_xmit_wait
symbol_error unicast_rcv_packets unicast_xmit_packets VL15_dropped"
EXT="port_multicast_rcv_packets port_multicast_xmit_packets port_rcv_data_64 port_rcv_packets_64
port_unicast_rcv_packets port_unicast_xmit_packets port_xmit_data_64 port_xmit_packets_64"

ibport() {	# $1 device dir $2 port $3 state $4 phys_state $5 rate $6 base value (or "na", "noext")
	local p=$1/ports/$2 i=$6 c
	mkdir -p "$p/counters"
	printf '%s\n' "$3" >"$p/state"
	printf '%s\n' "$4" >"$p/phys_state"
	printf '%s\n' "$5" >"$p/rate"
	for c in $CTRS; do
		i=$((i + 7))
		printf '%s\n' "$i" >"$p/counters/$c"
	done
	[ "$6" = 1000 ] && printf 'N/A (no PMA)\n' >"$p/counters/link_downed"
	if [ "$6" != 2000 ]; then
		mkdir -p "$p/counters_ext"
		for c in $EXT; do
			i=$((i + 11))
			printf '%s\n' "$i" >"$p/counters_ext/$c"
		done
	fi
}

tree() {	# $1 case
	local t=$d/$1 m
	m=$t/class/infiniband/mlx5_0
	mkdir -p "$m" "$t/class/infiniband/mlx4_0"
	printf 'MT_0000000010\n' >"$m/board_id"; printf '16.29.1016\n' >"$m/fw_ver"; printf 'MT4119\n' >"$m/hca_type"
	ibport "$m" 1 '4: ACTIVE' '5: LinkUp' '100 Gb/sec (4X EDR)' 1000
	ibport "$m" 2 '1: DOWN' '3: Disabled' '2.5 Gb/sec (1X SDR)' 4000000000000000000
	m=$t/class/infiniband/mlx4_0
	printf 'SM_1141000001000\n' >"$m/board_id"; printf '2.31.5050\n' >"$m/fw_ver"; printf 'MT4099\n' >"$m/hca_type"
	ibport "$m" 1 '4: ACTIVE' '5: LinkUp' '14.0625 Gb/sec (4X FDR)' 2000
	case $1 in
	full) ;;
	noports) rm -r "$t/class/infiniband/mlx4_0/ports"; mkdir "$t/class/infiniband/mlx4_0/ports" ;;
	noclass) rm -r "$t/class/infiniband" ;;
	emptyclass) rm -r "$t/class/infiniband"; mkdir -p "$t/class/infiniband" ;;
	nohca) rm "$t/class/infiniband/mlx4_0/hca_type" ;;
	nostate) rm "$t/class/infiniband/mlx4_0/ports/1/state" ;;
	badstate) printf 'ACTIVE\n' >"$t/class/infiniband/mlx4_0/ports/1/state" ;;
	badrate) printf '40\n' >"$t/class/infiniband/mlx4_0/ports/1/rate" ;;
	mbrate) printf '40 Mb/sec\n' >"$t/class/infiniband/mlx4_0/ports/1/rate" ;;
	nofw) rm "$t/class/infiniband/mlx4_0/fw_ver" ;;
	noboard) rm "$t/class/infiniband/mlx4_0/board_id" ;;
	badport) mv "$t/class/infiniband/mlx4_0/ports/1" "$t/class/infiniband/mlx4_0/ports/p1" ;;
	badctr) printf 'lots\n' >"$t/class/infiniband/mlx4_0/ports/1/counters/symbol_error" ;;
	nocounters) rm -r "$t/class/infiniband/mlx4_0/ports/1/counters" ;;
	somectr) rm "$t/class/infiniband/mlx4_0/ports/1/counters/"port_*; printf '  12 \n' >"$t/class/infiniband/mlx4_0/ports/1/counters/symbol_error" ;;
	esac
	echo "$t"
}

cases="full noports noclass emptyclass nohca nofw noboard nostate badstate badrate mbrate badport badctr nocounters somectr"
for c in $cases; do
	peer_start "$c" "$re" infiniband --path.sysfs="$(tree "$c")"
done
peer_start live "$re" infiniband --path.sysfs=/sys
peer_gather
for c in $cases; do peer_same "$c"; done
peer_same_names live	# carrier counts may move: names, labels and success

# the cases must have shown something (two empty outputs would agree)
h=$d/he-full.txt
check "full: info" grep -qx 'node_infiniband_info{board_id="MT_0000000010",device="mlx5_0",firmware_version="16.29.1016",hca_type="MT4119"} 1' "$h"
check "full: rate 100 Gb/s in bytes" grep -qx 'node_infiniband_rate_bytes_per_second{device="mlx5_0",port="1"} 12500000000' "$h"
check "full: state and physical state ids" bash -c "grep -qx 'node_infiniband_state_id{device=\"mlx5_0\",port=\"2\"} 1' '$h' && grep -qx 'node_infiniband_physical_state_id{device=\"mlx5_0\",port=\"2\"} 3' '$h'"
check "full: N/A (no PMA) left out" bash -c "! grep -q 'link_downed_total{device=\"mlx5_0\",port=\"1\"}' '$h' && grep -q 'link_downed_total{device=\"mlx5_0\",port=\"2\"}' '$h'"
check "full: no counters_ext, no legacy series" bash -c "! grep -q 'legacy.*device=\"mlx4_0\"' '$h' && grep -q 'legacy_data_received_bytes_total{device=\"mlx5_0\"' '$h'"
check "full: counter type" grep -qx '# TYPE node_infiniband_symbol_error_total counter' "$h"
check "badctr: success 0, nothing sent" bash -c "grep -qx 'node_scrape_collector_success{collector=\"infiniband\"} 0' '$d/he-badctr.txt' && ! grep -q '^node_infiniband' '$d/he-badctr.txt'"
finish
