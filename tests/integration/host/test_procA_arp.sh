#!/bin/bash
# arp against node_exporter 1.5 on /proc/net/arp fixtures (several devices,
# header only, a short line, a blank line, extra columns, CRLF, a missing
# file), with --collector.arp.device-include / -exclude (both at once too:
# node_exporter 1.5 applies both), and live.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

tree() {
	local t=$d/$1
	mkdir -p "$t/net"
	{
		echo 'IP address       HW type     Flags       HW address            Mask     Device'
		case $1 in
		headeronly|missing) ;;
		*)
			echo '192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0'
			echo '192.168.1.2      0x1         0x2         bb:cc:dd:ee:ff:aa     *        eth0'
			echo '10.0.0.1         0x1         0x2         aa:bb:cc:dd:ee:01     *        wlan0'
			echo '10.0.0.9         0x1         0x0         00:00:00:00:00:00     *        br-lan.10'
			echo '10.0.0.8         0x1         0x2         aa:bb:cc:dd:ee:02     *        eth0'
			;;
		esac
		case $1 in
		short) echo '10.0.0.7 0x1 0x2 aa:bb:cc:dd:ee:03 eth1' ;;
		blank) echo ;;
		extra) echo '10.0.0.7 0x1 0x2 aa:bb:cc:dd:ee:03 * x y eth1' ;;
		esac
	} >"$t/net/arp"
	case $1 in
	crlf) sed -i 's/$/\r/' "$t/net/arp" ;;
	missing) rm "$t/net/arp" ;;
	esac
	echo "$t"
}

cases="full headeronly short blank extra crlf missing"
for c in $cases; do
	peer_start "$c" 'node_arp_' arp --path.procfs="$(tree "$c")"
done
t=$(tree full)
peer_start include 'node_arp_' arp --path.procfs="$t" --collector.arp.device-include='^eth'
peer_start exclude 'node_arp_' arp --path.procfs="$t" --collector.arp.device-exclude='^eth'
peer_start both 'node_arp_' arp --path.procfs="$t" --collector.arp.device-include='^(eth|wlan)' --collector.arp.device-exclude='lan'
peer_start none 'node_arp_' arp --path.procfs="$t" --collector.arp.device-include='^nothing$'
peer_start live 'node_arp_' arp
peer_gather
for c in $cases include exclude both none live; do peer_same "$c"; done
check "full: eth0 has 3" grep -q '^node_arp_entries{device="eth0"} 3$' "$d/he-full.txt"
check "full: 3 devices" test "$(grep -c '^node_arp_entries' "$d/he-full.txt")" = 3
check "extra: the last column is the device" grep -q '^node_arp_entries{device="eth1"} 1$' "$d/he-extra.txt"
check "short: success 0, no series" bash -c "grep -q '^node_scrape_collector_success{collector=\"arp\"} 0$' '$d/he-short.txt' && ! grep -q '^node_arp' '$d/he-short.txt'"
check "both: only eth0" bash -c "test \"\$(grep '^node_arp_entries' '$d/he-both.txt')\" = 'node_arp_entries{device=\"eth0\"} 3'"
check "bad regex: exit 2" bash -c "timeout 20 '$HE' --web.listen-address=127.0.0.1:0 --collector.arp.device-include='(' >/dev/null 2>&1; test \$? = 2"
finish
