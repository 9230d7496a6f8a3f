#!/bin/bash
# rapl against node_exporter 1.5 on the same sysfs trees: per-zone families
# node_rapl_<zone>_joules_total{index,path} (microjoules to joules), names
# with an index ("package-1"), repeated names without one ("dram" twice),
# names to sanitize, entries without a name file, and the failures (no
# max_energy_range_uj: no data; garbage: an error; a missing energy_uj
# after sent zones); --collector.rapl.enable-zone-label's single family;
# no class/powercap.  Then live on this host's /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

zone() {	# dir name energy
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/name"
	printf '262143328850\n' >"$1/max_energy_range_uj"
	printf '%s\n' "$3" >"$1/energy_uj"
	printf '1\n' >"$1/enabled"
}

base() {
	local t=$d/base/class/powercap
	mkdir -p "$t/intel-rapl"	# the control type: no name file
	printf '1\n' >"$t/intel-rapl/enabled"
	zone "$t/intel-rapl:0" package-0 123456789
	zone "$t/intel-rapl:0:0" core 5000000
	zone "$t/intel-rapl:0:1" dram 7000001
	zone "$t/intel-rapl:1" package-1 42
	zone "$t/intel-rapl:1:0" dram 1
	zone "$t/intel-rapl:2" ' psys ' 10
	zone "$t/intel-rapl:3" 'uncore.x__/y' 3
	zone "$t/intel-rapl:4" 'pkg-x' 4	# "-x" is not an index
}

tree() {
	local t=$d/$1
	cp -a "$d/base" "$t"
	t=$t/class/powercap
	case $1 in
	full | zonelabel) ;;
	nomax) rm "$t/intel-rapl:1/max_energy_range_uj" ;;
	badmax) printf 'x\n' >"$t/intel-rapl:1/max_energy_range_uj" ;;
	noenergy) rm "$t/intel-rapl:1:0/energy_uj" ;;
	badenergy) printf -- '-1\n' >"$t/intel-rapl:0:1/energy_uj" ;;
	empty) rm -r "$t"/* ;;
	nopowercap) rm -r "$t" ;;
	esac
	echo "$d/$1"
}

base
re='node_rapl_'
for c in full nomax badmax noenergy badenergy empty nopowercap; do
	peer_start "$c" "$re" rapl --path.sysfs="$(tree "$c")"
done
peer_start zonelabel "$re" rapl --collector.rapl.enable-zone-label --path.sysfs="$(tree zonelabel)"
peer_start live "$re" rapl	# this host's /sys
peer_gather_same
p=$d/full/class/powercap
peer_has full "node_rapl_package_joules_total{index=\"0\",path=\"$p/intel-rapl:0\"} 123.456789"
peer_has full "node_rapl_package_joules_total{index=\"1\",path=\"$p/intel-rapl:1\"} 4.1999999999999998e-05"
peer_has full "node_rapl_dram_joules_total{index=\"1\",path=\"$p/intel-rapl:1:0\"} 9.9999999999999995e-07"
peer_has full "node_rapl_uncore_x_y_joules_total{index=\"0\",path=\"$p/intel-rapl:3\"} 3.0000000000000001e-06"
peer_has full '# TYPE node_rapl_core_joules_total counter'
peer_has full 'node_scrape_collector_success{collector="rapl"} 1'
peer_has noenergy "node_rapl_package_joules_total{index=\"0\",path=\"$d/noenergy/class/powercap/intel-rapl:0\"} 123.456789"
peer_has noenergy 'node_scrape_collector_success{collector="rapl"} 0'
peer_has badmax 'node_scrape_collector_success{collector="rapl"} 0'
peer_has nopowercap 'node_scrape_collector_success{collector="rapl"} 0'
peer_has zonelabel "node_rapl_joules_total{index=\"1\",path=\"$d/zonelabel/class/powercap/intel-rapl:1:0\",rapl_zone=\"dram\"} 9.9999999999999995e-07"
finish
