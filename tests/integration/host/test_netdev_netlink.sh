#!/bin/bash
# netdev's --collector.netdev.netlink against node_exporter 1.5, live on this
# host: on by default (node_exporter reads the statistics over netlink, which
# adds node_network_receive_nohandler_total), and with
# --no-collector.netdev.netlink (/proc/net/dev alone: no receive_nohandler).
# Families, HELP/TYPE and label sets must agree; values are masked (traffic
# moves between the two scrapes).
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)

read -r p1 p2 p3 p4 < <(free_ports 4 | tr '\n' ' ')
start() {	# $1 binary, $2 port, then flags
	local bin=$1 port=$2
	shift 2
	"$bin" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.netdev --collector.netdev.device-exclude='^$' "$@" >"$d/$port.log" 2>&1 &
	on_exit "kill $!; wait $!"
}
start "$NE" "$p1"
start "$HE" "$p2"
start "$NE" "$p3" --no-collector.netdev.netlink
start "$HE" "$p4" --no-collector.netdev.netlink
for p in $p1 $p2 $p3 $p4; do
	check "exporter on $p answers" wait_http "http://127.0.0.1:$p/metrics" 60
done
scrape() {
	curl -s --max-time 30 "http://127.0.0.1:$1/metrics" |
		grep -E '^(# (HELP|TYPE) )?node_network_|^node_scrape_collector_success' |
		sed -E 's/^(node_network_[^ ]*) .*/\1 N/' | sort
}
scrape "$p1" >"$d/ne-netlink.txt"
scrape "$p2" >"$d/he-netlink.txt"
scrape "$p3" >"$d/ne-proc.txt"
scrape "$p4" >"$d/he-proc.txt"
check "netlink (default): same series as node_exporter" diff -u "$d/ne-netlink.txt" "$d/he-netlink.txt"
check "netlink (default): receive_nohandler for lo" \
	grep -qxF 'node_network_receive_nohandler_total{device="lo"} N' "$d/he-netlink.txt"
check "--no-collector.netdev.netlink: same series as node_exporter" diff -u "$d/ne-proc.txt" "$d/he-proc.txt"
check "--no-collector.netdev.netlink: no receive_nohandler" \
	bash -c "! grep -q nohandler '$d/he-proc.txt'"
check "--no-collector.netdev.netlink: the 16 /proc/net/dev families" \
	test "$(grep -c '^# TYPE node_network_' "$d/he-proc.txt")" = 16
check "no warning about an ignored flag" bash -c "! grep -q 'netdev.netlink' '$d/$p4.log'"
finish
