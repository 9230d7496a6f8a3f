#!/bin/bash
# node-mixin finds on host-exporter every series node_exporter 1.5 gives it
# (issue 13).  Both run with their whole default sets on this host; for each
# metric name node-mixin's alerts, rules and dashboards read
# (tests/fixtures/host/node-mixin-names.txt) that node_exporter exports here,
# host-exporter exports it too, with the same label names and the same label
# sets (values of counters and gauges move between two scrapes, so only the
# series are compared).  Names node_exporter has no source for on this host
# (no md arrays, bonds or systemd here) must at least belong to a collector
# host-exporter has; their fixture tests compare them.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
mkdir "$d/tf"

peer_start all '' defaults --collector.textfile.directory="$d/tf"
peer_gather
[ -f "$d/he-all.txt" ] || finish

# The series of one name, sorted: NAME{labels} without the value.
series() {	# $1 file, $2 name
	grep -E "^$2[{ ]" "$1" | sed 's/ [^ ]*$//' | sort
}

names=$(grep -v '^#' "$SRC_DIR/tests/fixtures/host/node-mixin-names.txt")
check "the name list is there ($(echo "$names" | wc -w) names)" [ "$(echo "$names" | wc -w)" -ge 40 ]
nhere=0
for n in $names; do
	if [ -z "$(series "$d/ne-all.txt" "$n")" ]; then
		# node_md_disks -> mdadm, node_systemd_* -> systemd, node_bonding_* -> bonding
		case $n in
		node_md_*) c=mdadm ;;
		node_systemd_*) c=systemd ;;
		node_bonding_*) c=bonding ;;
		node_timex_*) c=timex ;;
		node_nf_conntrack_*) c=conntrack ;;
		*) c= ;;
		esac
		if [ -n "$c" ]; then
			check "$n: not on this host; host-exporter has its collector ($c)" \
				grep -q -- "--\[no-\]collector\.$c\b\|--collector\.$c\b" <("$HE" --help 2>&1)
		else
			echo "# $n: node_exporter exports none on this host"
		fi
		continue
	fi
	nhere=$((nhere + 1))
	if [ "$n" = node_exporter_build_info ]; then
		# read only for label_values(node_exporter_build_info, instance):
		# one series, whatever its labels (ours say exporter="host-exporter")
		check "$n: exported (one series)" [ "$(series "$d/he-all.txt" "$n" | wc -l)" -eq 1 ]
	else
		check "$n: same series as node_exporter" diff <(series "$d/ne-all.txt" "$n") <(series "$d/he-all.txt" "$n")
	fi
done
check "most names are exported by node_exporter here ($nhere)" [ "$nhere" -ge 30 ]
finish
