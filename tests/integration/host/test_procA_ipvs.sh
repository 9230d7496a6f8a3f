#!/bin/bash
# ipvs against node_exporter 1.5 on /proc/net/ip_vs{,_stats} fixtures (the
# kernel's layout: TCP/UDP/FWM services, IPv6 services and backends, an
# IPv4-mapped address, SCTP lines, backends merged by
# --collector.ipvs.backend-labels subsets, odd files: a short or garbled
# stats file, a bad address, a missing ip_vs beside the stats, no module
# at all = no data) and live (no ip_vs here: both say no data).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

tree() {
	local t=$d/$1
	mkdir -p "$t/net"
	cat >"$t/net/ip_vs_stats" <<'E'
   Total Incoming Outgoing         Incoming         Outgoing
   Conns  Packets  Packets            Bytes            Bytes
 16AA370 E33656E5        0     51D8C8883AB3                0

 Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s
       4    1FB3C        0          1282A8F                0
E
	cat >"$t/net/ip_vs" <<'E'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C0A80016:0CEA wlc
  -> C0A82022:0CEA      Tunnel  100    248        2
  -> C0A82021:0CEA      Tunnel  100    248        2
  -> C0A82016:0CEA      Tunnel  100    248        1
TCP  C0A80039:0CEA wlc
  -> C0A8203A:0CEA      Tunnel  100    0          0
  -> C0A82016:0CEA      Tunnel  100    1498       0
UDP  C0A80016:0035 rr
  -> C0A82022:0035      Masq    1      0          7
TCP  [2620:0000:0000:0000:0000:0000:0000:0001]:0050 sh
  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0050      Route   1      1          1
  -> [0000:0000:0000:0000:0000:ffff:c0a8:0001]:0050      Route   1      2          3
  -> [2001:0db8:0000:0001:0000:0000:0000:0001]:0050      Route   1      2          3
  -> [0000:0000:0000:0000:0000:0000:0000:0001]:0050      Route   1      2          3
FWM  10001000 wlc
  -> C0A8323A:0000      Route   0      0          0
  -> C0A83215:0000      Route   0      0          0
FWM  10002000 wlc
  -> C0A8323A:0000      Route   2      3          4
SCTP C0A80040:0050 rr
  -> C0A82050:0050      Masq    1      5          6
E
	case $1 in
	shortstats) head -2 "$t/net/ip_vs_stats" >"$t/x"; mv "$t/x" "$t/net/ip_vs_stats" ;;
	badstats) sed -i '3s/E33656E5/E33656G5/' "$t/net/ip_vs_stats" ;;
	fewstats) sed -i '3s/ 0 *$//' "$t/net/ip_vs_stats" ;;
	badaddr) echo 'TCP  C0A8001:0CEA wlc' >>"$t/net/ip_vs" ;;
	badweight) echo '  -> C0A82022:0CEA      Tunnel  x    248        2' >>"$t/net/ip_vs" ;;
	shortline) echo '  -> C0A82022:0CEA      Tunnel  100' >>"$t/net/ip_vs" ;;
	nobackends) rm "$t/net/ip_vs" ;;
	nomodule) rm "$t/net/ip_vs" "$t/net/ip_vs_stats" ;;
	esac
	echo "$t"
}

cases="full shortstats badstats fewstats badaddr badweight shortline nobackends nomodule"
for c in $cases; do
	peer_start "$c" 'node_ipvs_' ipvs --path.procfs="$(tree "$c")"
done
t=$(tree full)
peer_start remote 'node_ipvs_' ipvs --path.procfs="$t" --collector.ipvs.backend-labels=remote_port,remote_address
peer_start proto 'node_ipvs_' ipvs --path.procfs="$t" --collector.ipvs.backend-labels=proto,,
peer_start none 'node_ipvs_' ipvs --path.procfs="$t" --collector.ipvs.backend-labels=
peer_start live 'node_ipvs_' ipvs
peer_gather
for c in $cases remote proto none live; do peer_same "$c"; done
check "full: connections total (0x16AA370)" grep -q '^node_ipvs_connections_total 23765872$' "$d/he-full.txt"
check "full: IPv6 backend compressed" grep -q 'remote_address="2620::2"' "$d/he-full.txt"
check "full: IPv4-mapped as dotted quad" grep -q 'remote_address="192.168.0.1",remote_port="80"' "$d/he-full.txt"
check "full: ::1 and 2001:db8:0:1::1" bash -c "grep -q 'remote_address=\"::1\"' '$d/he-full.txt' && grep -q 'remote_address=\"2001:db8:0:1::1\"' '$d/he-full.txt'"
check "full: an SCTP service's backends count under the service before it" grep -q 'local_mark="10002000",local_port="0",proto="FWM",remote_address="192.168.32.80",remote_port="80"} 5$' "$d/he-full.txt"
check "full: FWM mark, empty local address" grep -q '^node_ipvs_backend_weight{local_address="",local_mark="10002000",local_port="0",proto="FWM",remote_address="192.168.50.58",remote_port="0"} 2$' "$d/he-full.txt"
check "remote: C0A82016:0CEA summed over two services" grep -q '^node_ipvs_backend_connections_active{remote_address="192.168.32.22",remote_port="3306"} 1746$' "$d/he-remote.txt"
check "none: one unlabelled sum" grep -q '^node_ipvs_backend_connections_active 2257$' "$d/he-none.txt"
check "nobackends: totals kept, success 0" bash -c "grep -q '^node_ipvs_connections_total' '$d/he-nobackends.txt' && grep -q '^node_scrape_collector_success{collector=\"ipvs\"} 0$' '$d/he-nobackends.txt'"
check "nomodule: no series" bash -c "! grep -q '^node_ipvs' '$d/he-nomodule.txt'"
check "unknown label: exit 2 naming it" bash -c "timeout 20 '$HE' --web.listen-address=127.0.0.1:0 --collector.ipvs.backend-labels=proto,bogus 2>&1 >/dev/null | grep -q 'bogus'; test \${PIPESTATUS[0]} = 2"
finish
