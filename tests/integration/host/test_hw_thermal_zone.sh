#!/bin/bash
# thermal_zone against node_exporter 1.5 on the same sysfs trees:
# node_thermal_zone_temp (millidegrees to degrees, negative too),
# node_cooling_device_cur_state/_max_state (cur_state -1 as with
# intel_powerclamp), optional mode/passive, odd and missing files
# (a zone's failure sends no zone; a cooling device's failure keeps the
# zones), no class/thermal.  Then live on this host's /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

base() {
	local t=$d/base/class/thermal z
	mkdir -p "$t"
	for z in 0 1 10; do
		mkdir "$t/thermal_zone$z"
		printf 'x86_pkg_temp\n' >"$t/thermal_zone$z/type"
		printf 'step_wise\n' >"$t/thermal_zone$z/policy"
		printf '%s\n' $((41000 + z * 1000 + 7)) >"$t/thermal_zone$z/temp"
		printf 'enabled\n' >"$t/thermal_zone$z/mode"
		printf '0\n' >"$t/thermal_zone$z/passive"
	done
	printf 'acpitz\n' >"$t/thermal_zone1/type"
	printf -- '-2500\n' >"$t/thermal_zone10/temp"
	rm "$t/thermal_zone1/mode" "$t/thermal_zone1/passive"
	for z in 0 1; do
		mkdir "$t/cooling_device$z"
		printf 'Processor\n' >"$t/cooling_device$z/type"
		printf '3\n' >"$t/cooling_device$z/max_state"
		printf '%s\n' $z >"$t/cooling_device$z/cur_state"
	done
	printf 'intel_powerclamp\n' >"$t/cooling_device1/type"
	printf -- '-1\n' >"$t/cooling_device1/cur_state"
	printf '50\n' >"$t/cooling_device1/max_state"
	mkdir "$t/thermal_zoneX" "$t/cooling_deviceY"	# not [0-9]*: ignored
}

tree() {
	local t=$d/$1
	cp -a "$d/base" "$t"
	t=$t/class/thermal
	case $1 in
	full) ;;
	notype) rm "$t/thermal_zone1/type" ;;
	nopolicy) rm "$t/thermal_zone0/policy" ;;
	notemp) rm "$t/thermal_zone0/temp" ;;
	badtemp) printf 'hot\n' >"$t/thermal_zone10/temp" ;;
	plustemp) printf '+5000\n' >"$t/thermal_zone10/temp"; printf '  7 \n' >"$t/cooling_device0/cur_state" ;;
	badpassive) printf -- '-1\n' >"$t/thermal_zone0/passive" ;;
	modedir) rm "$t/thermal_zone0/mode"; mkdir "$t/thermal_zone0/mode" ;;
	badmode) printf 'maybe\n' >"$t/thermal_zone0/mode" ;;
	nocur) rm "$t/cooling_device0/cur_state" ;;
	badmax) printf 'lots\n' >"$t/cooling_device1/max_state" ;;
	nodevices) rm -r "$t"/cooling_device* ;;
	nozones) rm -r "$t"/thermal_zone* ;;
	nothermal) rm -r "$t" ;;
	esac
	echo "$d/$1"
}

base
re='node_(thermal_zone|cooling_device)_'
for c in full notype nopolicy notemp badtemp plustemp badpassive modedir badmode nocur badmax \
	nodevices nozones nothermal; do
	peer_start "$c" "$re" thermal_zone --path.sysfs="$(tree "$c")"
done
peer_start live "$re" thermal_zone	# this host's /sys
peer_gather_same
peer_has full 'node_thermal_zone_temp{type="acpitz",zone="1"} 42.006999999999998'
peer_has full 'node_thermal_zone_temp{type="x86_pkg_temp",zone="10"} -2.5'
peer_has full 'node_cooling_device_cur_state{name="1",type="intel_powerclamp"} -1'
peer_has full 'node_cooling_device_max_state{name="1",type="intel_powerclamp"} 50'
peer_has full 'node_scrape_collector_success{collector="thermal_zone"} 1'
peer_has plustemp 'node_thermal_zone_temp{type="x86_pkg_temp",zone="10"} 5'
for c in notype nopolicy notemp badtemp badpassive modedir; do
	peer_has "$c" 'node_scrape_collector_success{collector="thermal_zone"} 0'
	check "$c: no zone sent" bash -c "! grep -q '^node_thermal_zone_temp' '$d/he-$c.txt'"
done
peer_has badmax 'node_scrape_collector_success{collector="thermal_zone"} 0'
peer_has badmax 'node_thermal_zone_temp{type="x86_pkg_temp",zone="0"} 41.006999999999998'
peer_has nothermal 'node_scrape_collector_success{collector="thermal_zone"} 1'
finish
