#!/bin/bash
# Golden-file tests (issue 4): host-exporter runs on the fixture tree
# tests/fixtures/host (--path.procfs/sysfs/rootfs/udev.data, textfile dir);
# each collector's output (collect[]=NAME) is normalised (host-dependent
# values masked) and diffed exactly against golden/NAME.prom.  Then Debian's
# node_exporter 1.5 runs on the same tree and compare.py checks that both
# agree family by family.
#   --regenerate   rewrite the goldens instead (make host-goldens)
. "$SRC_DIR/tests/lib/common.sh"

FX=$SRC_DIR/tests/fixtures/host
HE=$BUILD_DIR/host-exporter
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
d=$(tmpdir_new)
colls=(arp bcache bonding btrfs conntrack cpu cpufreq diskstats dmi edac entropy fibrechannel filefd filesystem hwmon infiniband ipvs loadavg mdadm meminfo netclass netdev netstat nfs nfsd nvme os powersupplyclass pressure rapl schedstat sockstat softnet stat tapestats textfile thermal_zone time udp_queues uname vmstat xfs zfs)
paths=(--path.procfs="$FX/proc" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs"
	--path.udev.data="$FX/udev" --collector.textfile.directory="$FX/textfile"
	--collector.cpu.info --collector.cpu.info.flags-include='^(aes|avx.?)$'
	--collector.cpu.info.bugs-include=spectre --collector.stat.softirq)

port=$(free_port)
TZ=UTC "$HE" --web.listen-address="127.0.0.1:$port" "${paths[@]}" --no-collector.systemd >"$d/he.log" 2>&1 &
pid=$!
on_exit "kill $pid; wait $pid"
wait_http "http://127.0.0.1:$port/-/healthy" 20 || { cat "$d/he.log"; echo "host-exporter did not start"; exit 1; }

normalise() { $PY "$SRC_DIR/tests/integration/host/normalise.py" "$FX"; }

mkdir -p "$FX/golden"
for c in "${colls[@]}"; do
	curl -sf "http://127.0.0.1:$port/metrics?collect[]=$c" | normalise >"$d/$c.prom"
	if [ $regen = 1 ]; then
		cp "$d/$c.prom" "$FX/golden/$c.prom"
		echo "regenerated golden/$c.prom"
		continue
	fi
	if diff -u "$FX/golden/$c.prom" "$d/$c.prom" >"$d/$c.diff"; then
		pass "collector $c matches its golden output"
	else
		cat "$d/$c.diff"
		fail "collector $c matches its golden output"
	fi
	check "collector $c reports success 1" grep -q "^node_scrape_collector_success{collector=\"$c\"} 1$" "$d/$c.prom"
done
[ $regen = 1 ] && exit 0

# The same fixture tree through node_exporter 1.5: the same families, types,
# labels, help and values.  (It reads /proc/net/dev only without netlink, so
# it has no rx_nohandler; we read that from sysfs.)
NE=/usr/bin/prometheus-node-exporter
if [ -x "$NE" ]; then
	ne_port=$(free_port)
	args=(--collector.disable-defaults)
	for c in "${colls[@]}"; do args+=("--collector.$c"); done
	TZ=UTC "$NE" --web.listen-address="127.0.0.1:$ne_port" "${paths[@]}" "${args[@]}" \
		--no-collector.netdev.netlink >"$d/ne.log" 2>&1 &
	ne_pid=$!
	on_exit "kill $ne_pid; wait $ne_pid"
	wait_http "http://127.0.0.1:$ne_port/metrics" 20
	curl -sf "http://127.0.0.1:$ne_port/metrics" >"$d/theirs.txt"
	# the same collectors as node_exporter runs (ours runs its whole default set)
	q=$(printf 'collect[]=%s&' "${colls[@]}")
	curl -sf "http://127.0.0.1:$port/metrics?${q%&}" >"$d/ours.txt"
	$PY "$SRC_DIR/tests/integration/host/compare.py" "$d/ours.txt" "$d/theirs.txt" \
		--allow-extra node_network_receive_nohandler_total >"$d/cmp.txt"
	rc=$?
	cat "$d/cmp.txt"
	check "node_exporter on the same fixture tree agrees" [ $rc = 0 ]
	# An empty tree (every file missing): the same collectors fail
	# (success 0) and the same succeed as in node_exporter.
	e=$d/empty
	mkdir -p "$e/proc" "$e/sys" "$e/root"
	ep=(--path.procfs="$e/proc" --path.sysfs="$e/sys" --path.rootfs="$e/root" --collector.textfile.directory="$e/tf")
	p1=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$p1" "${ep[@]}" "${args[@]}" --no-collector.netdev.netlink >"$d/ne-empty.log" 2>&1 &
	on_exit "kill $!"
	p2=$(free_port)
	"$HE" --web.listen-address="127.0.0.1:$p2" "${ep[@]}" "${args[@]}" >"$d/he-empty.log" 2>&1 &
	on_exit "kill $!"
	wait_http "http://127.0.0.1:$p1/metrics" 20 && wait_http "http://127.0.0.1:$p2/metrics" 20
	curl -sf "http://127.0.0.1:$p1/metrics" | grep '^node_scrape_collector_success' | sort >"$d/ne-empty.txt"
	curl -sf "http://127.0.0.1:$p2/metrics" | grep '^node_scrape_collector_success' | sort >"$d/he-empty.txt"
	diff "$d/ne-empty.txt" "$d/he-empty.txt"
	check "empty tree: per-collector success identical to node_exporter's" diff -q "$d/ne-empty.txt" "$d/he-empty.txt"
	check "empty tree: several collectors fail" grep -q '} 0$' "$d/he-empty.txt"
else
	fail "prometheus-node-exporter installed (make deps)"
fi
finish
