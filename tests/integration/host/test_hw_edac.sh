#!/bin/bash
# edac against node_exporter 1.5 on the same sysfs trees: per controller
# correctable/uncorrectable counts, the noinfo counts as csrow="unknown",
# per csrow counts; odd names (mc10, csrow digits), garbage and missing
# files (an error keeping what was read before), no EDAC.  Then live on
# this host's /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

mc() {	# dir ce ce_noinfo ue ue_noinfo
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/ce_count"
	printf '%s\n' "$3" >"$1/ce_noinfo_count"
	printf '%s\n' "$4" >"$1/ue_count"
	printf '%s\n' "$5" >"$1/ue_noinfo_count"
	printf 'Sandy Bridge\n' >"$1/mc_name"
}

base() {
	local t=$d/base/devices/system/edac/mc r
	mc "$t/mc0" 5 1 2 0
	mc "$t/mc10" 0 0 0 7
	mc "$t/mc2" 18446744073709551615 0 0 0
	for r in 0 1 12; do
		mkdir "$t/mc0/csrow$r"
		printf '%s\n' $((r + 3)) >"$t/mc0/csrow$r/ce_count"
		printf '%s\n' "$r" >"$t/mc0/csrow$r/ue_count"
	done
	mkdir "$t/mc0/power" "$t/mcX" "$t/mc0/csrowX"	# not [0-9]*: ignored
}

tree() {
	local t=$d/$1
	cp -a "$d/base" "$t"
	t=$t/devices/system/edac/mc
	case $1 in
	full) ;;
	noue) rm "$t/mc10/ue_count" ;;	# mc0 and mc10's ce counts stay
	badcsrow) printf 'many\n' >"$t/mc0/csrow1/ue_count" ;;
	spaces) printf '  9 \n\n' >"$t/mc0/ce_count" ;;
	negative) printf -- '-1\n' >"$t/mc2/ce_count" ;;
	oddname) mc "$t/mc3a" 1 1 1 1 ;;	# the label is the digits
	oddcsrow) mc "$t/mc3a" 1 1 1 1; mkdir "$t/mc3a/csrow0" ;;	# 1.5: regexp mismatch, error
	nomc) rm -r "$t"/mc* ;;
	noedac) rm -r "$d/$1/devices" ;;
	esac
	echo "$d/$1"
}

base
re='node_edac_'
for c in full noue badcsrow spaces negative oddname oddcsrow nomc noedac; do
	peer_start "$c" "$re" edac --path.sysfs="$(tree "$c")"
done
peer_start live "$re" edac	# this host's /sys
peer_gather_same
peer_has full 'node_edac_correctable_errors_total{controller="0"} 5'
peer_has full 'node_edac_csrow_correctable_errors_total{controller="0",csrow="unknown"} 1'
peer_has full 'node_edac_csrow_uncorrectable_errors_total{controller="10",csrow="unknown"} 7'
peer_has full 'node_edac_csrow_correctable_errors_total{controller="0",csrow="12"} 15'
peer_has full '# TYPE node_edac_uncorrectable_errors_total counter'
peer_has full 'node_scrape_collector_success{collector="edac"} 1'
peer_has noue 'node_edac_correctable_errors_total{controller="10"} 0'
peer_has noue 'node_scrape_collector_success{collector="edac"} 0'
peer_has badcsrow 'node_edac_csrow_correctable_errors_total{controller="0",csrow="1"} 4'
peer_has badcsrow 'node_scrape_collector_success{collector="edac"} 0'
peer_has oddname 'node_edac_correctable_errors_total{controller="3"} 1'
peer_has oddcsrow 'node_scrape_collector_success{collector="edac"} 0'
peer_has noedac 'node_scrape_collector_success{collector="edac"} 1'
finish
