#!/bin/bash
# mdadm against node_exporter 1.5 on the same /proc/mdstat: both exporters
# run once on one procfs tree and the file is rewritten between scrapes (they
# read it fresh each time).  Cases: tests/fixtures/host/mdadm/mdstat.full
# (raid0/1/5/6/10, linear, inactive, external metadata, recovery, resync,
# check, resync=PENDING/DELAYED, bitmap lines, faulty and spare disks,
# (auto-)read-only), then odd files: missing, empty, only a header, a
# garbage status line, a sync line without its finish time, a device at the
# end of the file, too few fields, a tab-indented line, an overflowing count,
# a negative size.  The node_md_* series, HELP/TYPE and
# node_scrape_collector_success must agree (values compared as numbers:
# node_exporter writes 4.186624e+06 where we write 4186624).  Then node-mixin's
# NodeRAIDDegraded and NodeRAIDDiskFailure are evaluated by promtool on our
# series of the full case, and both exporters run live on this host's /proc.
. "$SRC_DIR/tests/lib/common.sh"
FX=$SRC_DIR/tests/fixtures/host/mdadm
command -v promtool >/dev/null || { echo "promtool not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_md_
mkdir -p "$d/proc"

peer_start fx "$re" mdadm --path.procfs="$d/proc"
peer_keep fx
peer_start live "$re" mdadm --path.procfs=/proc	# this host's /proc (no md driver here: both say no data)
peer_wait fx || { echo "exporters did not start"; exit 1; }
full=$(cat "$FX/mdstat.full")
hdr='Personalities : [raid1] [raid0]'
tail='unused devices: <none>'
rm -f "$d/proc/mdstat"
peer_compare fx missing
for c in full empty header badstatus nofinish atend fewfields tab overflow negative; do
	case $c in
	full) printf '%s\n' "$full" ;;
	empty) printf '' ;;
	header) printf '%s\n\n%s\n' "$hdr" "$tail" ;;
	badstatus) printf '%s\nmd0 : active raid1 sda1[0] sdb1[1]\n      some blocks [2/2] [UU]\n\n%s\n' "$hdr" "$tail" ;;
	nofinish) printf '%s\nmd0 : active raid1 sda1[0] sdb1[1]\n      1024 blocks [2/1] [U_]\n      [=>...]  recovery =  8.5%% (87/1024) speed=259783K/sec\n\n%s\n' "$hdr" "$tail" ;;
	atend) printf '%s\nmd0 : active raid1 sda1[0] sdb1[1]\n      1024 blocks [2/2] [UU]\n' "$hdr" ;;
	fewfields) printf '%s\nmd0 :\n      1024 blocks [2/2] [UU]\n\n%s\n' "$hdr" "$tail" ;;
	tab) printf '%s\nmd0 : active raid1 sda1[0] sdb1[1]\n      1024 blocks [2/2] [UU]\n\tbitmap: 0/1 pages [0KB], 65536KB chunk\n\n\n%s\n' "$hdr" "$tail" ;;
	overflow) printf '%s\nmd0 : active raid1 sda1[0] sdb1[1]\n      1024 blocks [99999999999999999999/2] [UU]\n\n%s\n' "$hdr" "$tail" ;;
	negative) printf '%s\nmd0 : active raid0 sda1[0] sdb1[1]\n      -1024 blocks 64k chunks\n\n%s\n' "$hdr" "$tail" ;;
	esac >"$d/proc/mdstat"
	peer_compare fx "$c"
done

# the cases must have shown something (two empty outputs would agree)
s='node_scrape_collector_success{collector="mdadm"}'
check "full: 18 arrays" [ "$(grep -c '^node_md_blocks{' "$d/he-full.txt")" = 18 ]
check "full: success 1" grep -qxF "$s 1" "$d/he-full.txt"
check "full: md6 recovering, 1 of 2 disks active, 1 failed, 1 spare, synced from the sync line" bash -c "
	grep -qx 'node_md_state{device=\"md6\",state=\"recovering\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_disks{device=\"md6\",state=\"active\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_disks{device=\"md6\",state=\"failed\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_disks{device=\"md6\",state=\"spare\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_blocks_synced{device=\"md6\"} 16775552' '$d/he-full.txt'"
check "full: md201 check, md5 (raid10) resync, md11 resync=PENDING synced 0" bash -c "
	grep -qx 'node_md_state{device=\"md201\",state=\"check\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_state{device=\"md5\",state=\"resync\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_blocks_synced{device=\"md11\"} 0' '$d/he-full.txt'"
check "full: md219 inactive with 0 disks required" bash -c "
	grep -qx 'node_md_state{device=\"md219\",state=\"inactive\"} 1' '$d/he-full.txt' &&
	grep -qx 'node_md_disks_required{device=\"md219\"} 0' '$d/he-full.txt'"
check "missing: success 0 and no series (no data)" bash -c "grep -qxF '$s 0' '$d/he-missing.txt' && ! grep -q '^node_md' '$d/he-missing.txt'"
check "header: success 1, no series" bash -c "grep -qxF '$s 1' '$d/he-header.txt' && ! grep -q '^node_md' '$d/he-header.txt'"
for c in badstatus nofinish atend fewfields overflow; do
	check "$c: success 0" grep -qxF "$s 0" "$d/he-$c.txt"
done
check "negative: blocks -1024" grep -qx 'node_md_blocks{device="md0"} -1024' "$d/he-negative.txt"

# node-mixin (1.5's alerts, diskDeviceSelector included) on our full-case series
{
	echo 'groups:'
	echo '- name: node-exporter'
	echo '  rules:'
	echo '  - alert: NodeRAIDDegraded'
	echo '    expr: node_md_disks_required{job="node",device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"} - ignoring (state) (node_md_disks{state="active",job="node",device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"}) > 0'
	echo '    for: 15m'
	echo '    labels: {severity: critical}'
	echo '  - alert: NodeRAIDDiskFailure'
	echo '    expr: node_md_disks{state="failed",job="node",device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"} > 0'
	echo '    labels: {severity: warning}'
} >"$d/rules.yml"
{
	echo 'rule_files: [rules.yml]'
	echo 'evaluation_interval: 1m'
	echo 'tests:'
	echo '- interval: 1m'
	echo '  input_series:'
	grep -E '^node_md_disks(_required)?\{' "$d/he-full.txt" | while read -r series v; do
		printf "  - series: '%s'\n    values: '%sx20'\n" "${series/\{/\{job=\"node\",}" "$v"
	done
	echo '  alert_rule_test:'
	echo '  - eval_time: 16m'
	echo '    alertname: NodeRAIDDegraded'
	echo '    exp_alerts:'
	for md in md6 md7; do
		echo "    - exp_labels: {severity: critical, job: node, device: $md}"
	done
	echo '  - eval_time: 1m'
	echo '    alertname: NodeRAIDDiskFailure'
	echo '    exp_alerts:'
	for md in md11 md4 md6 md7 md9; do
		echo "    - exp_labels: {severity: warning, job: node, device: $md, state: failed}"
	done
} >"$d/test.yml"
check "node-mixin: NodeRAIDDegraded fires for md6 and md7, NodeRAIDDiskFailure for the arrays with (F) disks" \
	bash -c "cd '$d' && promtool test rules test.yml"

peer_stop fx
peer_gather
peer_same live
finish
