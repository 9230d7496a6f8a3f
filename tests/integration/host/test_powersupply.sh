#!/bin/bash
# powersupplyclass against node_exporter 1.5 on the same sysfs trees: a
# battery (every numeric attribute kind: counts, micro-units, tenths of a
# degree, hex and signed values, padded values; every string attribute),
# an AC adapter, a USB-C supply with odd attributes (an empty string, an
# unknown file with garbage, a directory and a link among the attributes,
# invalid UTF-8 in a string), supplies reached through links as in real
# sysfs; node_power_supply_info with a different label set per supply;
# --collector.powersupply.ignored-supplies (a pattern, the empty pattern);
# then broken trees: a garbage number (also in a parsed-only *_avg file and
# in an ignored supply), an overflowing one, an entry that is not a
# directory, a dangling entry, an empty class and a missing class.  HELP,
# TYPE, label sets, values and the collector's success must agree.  Then
# live on this host's /sys (usually no supply: no series, as 1.5).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

put() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }

base() {	# the full tree, in $d/base
	local t=$d/base c b u
	c=$t/class/power_supply
	mkdir -p "$c"
	# BAT0: through a link, as on real hardware
	b=$t/devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0
	ln -s ../../devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0 "$c/BAT0"
	put "$b/type" 'Battery\n'
	put "$b/status" 'Discharging\n'
	put "$b/present" '1\n'
	put "$b/technology" 'Li-poly\n'
	put "$b/capacity" '0x54\n'		# strconv.ParseInt(v, 0, 64): hex
	put "$b/capacity_level" 'Normal\n'
	put "$b/capacity_alert_max" '90\n'
	put "$b/capacity_alert_min" '5\n'
	put "$b/authentic" '1\n'
	put "$b/calibrate" '0\n'
	put "$b/cycle_count" '  123 \n'
	put "$b/manufacturer" 'SMP\n'
	put "$b/model_name" '02DL005\n'
	put "$b/serial_number" ' 4195\n'
	put "$b/health" 'Good\n'
	put "$b/charge_type" 'Fast\n'
	put "$b/scope" 'System\n'
	put "$b/voltage_now" '12167000\n'
	put "$b/voltage_min_design" '11100000\n'
	put "$b/voltage_max_design" '12600000\n'
	put "$b/voltage_min" '9000000\n'
	put "$b/voltage_max" '13050000\n'
	put "$b/voltage_boot" '12000001\n'
	put "$b/voltage_ocv" '12300000\n'
	put "$b/voltage_avg" '12100000\n'	# parsed, not exported
	put "$b/current_now" '-1524000\n'
	put "$b/current_avg" '1500000\n'
	put "$b/current_boot" '1\n'
	put "$b/current_max" '3000000\n'
	put "$b/power_now" '18544000\n'
	put "$b/power_avg" '18000000\n'
	put "$b/energy_now" '48390000\n'
	put "$b/energy_full" '50180000\n'
	put "$b/energy_full_design" '57020000\n'
	put "$b/energy_empty" '0\n'
	put "$b/energy_empty_design" '0\n'
	put "$b/energy_avg" '1\n'
	put "$b/charge_now" '3977000\n'
	put "$b/charge_full" '4701000\n'
	put "$b/charge_full_design" '5000000\n'
	put "$b/charge_empty" '0\n'
	put "$b/charge_empty_design" '7\n'
	put "$b/charge_avg" '3\n'
	put "$b/charge_counter" '+2500000\n'
	put "$b/charge_control_limit" '4\n'
	put "$b/charge_control_limit_max" '10\n'
	put "$b/charge_term_current" '100000\n'
	put "$b/constant_charge_current" '2000000\n'
	put "$b/constant_charge_current_max" '3000000\n'
	put "$b/constant_charge_voltage" '4350000\n'
	put "$b/constant_charge_voltage_max" '4400000\n'
	put "$b/precharge_current" '128000\n'
	put "$b/input_current_limit" '1500000\n'
	put "$b/temp" '312\n'
	put "$b/temp_alert_max" '550\n'
	put "$b/temp_alert_min" '-45\n'
	put "$b/temp_ambient" '251\n'
	put "$b/temp_ambient_max" '400\n'
	put "$b/temp_ambient_min" '0\n'
	put "$b/temp_max" '600\n'
	put "$b/temp_min" '-200\n'
	put "$b/time_to_empty_now" '7200\n'
	put "$b/time_to_empty_avg" '7000\n'
	put "$b/time_to_full_now" '0\n'
	put "$b/time_to_full_avg" '0\n'
	put "$b/uevent" 'POWER_SUPPLY_NAME=BAT0\n'
	put "$b/alarm" 'garbage\n'			# not an attribute the library knows
	mkdir -p "$b/power"
	put "$b/power/control" 'auto\n'
	ln -s ../../../PNP0C0A:00 "$b/device"
	# AC: a plain directory
	put "$c/AC/type" 'Mains\n'
	put "$c/AC/online" '1\n'
	# a USB-C source with odd attributes
	u=$c/ucsi-source-psy-USBC000:001
	put "$u/type" 'USB\n'
	put "$u/usb_type" '[C] PD PD_PPS\n'
	put "$u/online" '0\n'
	put "$u/scope" 'Device\n'
	put "$u/voltage_max" '20000000\n'
	put "$u/current_max" '3250000\n'
	put "$u/manufacturer" '   \n'		# empty after trimming: no label
	put "$u/model_name" 'ab\xffc\xfe\xfdd\xe2\x82\n'	# invalid UTF-8
	put "$u/status" '\n'
	mkdir "$u/capacity"			# a directory: not read
	ln -s online "$u/present"		# a link: not read
}

tree() {
	local t=$d/$1 c
	cp -a "$d/base" "$t"
	c=$t/class/power_supply
	case $1 in
	full | ignored | ignoreall) ;;
	badnum) printf 'full\n' >"$c/AC/online" ;;
	badavg) printf '1.5\n' >"$c/BAT0/voltage_avg" ;;
	badignored) printf 'x\n' >"$c/AC/online" ;;
	overflow) printf '9223372036854775808\n' >"$c/BAT0/energy_now" ;;
	notdir) printf 'x\n' >"$c/BOGUS" ;;
	dangling) ln -s ../../devices/nothere "$c/BAT1" ;;
	emptyclass) rm -r "$c" && mkdir "$c" ;;
	noclass) rm -r "$c" ;;
	esac
	echo "$t"
}

base
re='node_power_supply_'
for c in full badnum badavg overflow notdir dangling emptyclass noclass; do
	peer_start "$c" "$re" powersupplyclass --path.sysfs="$(tree "$c")"
done
peer_start ignored "$re" powersupplyclass --path.sysfs="$(tree ignored)" '--collector.powersupply.ignored-supplies=^(AC|ucsi)'
peer_start ignoreall "$re" powersupplyclass --path.sysfs="$(tree ignoreall)" --collector.powersupply.ignored-supplies=
peer_start badignored "$re" powersupplyclass --path.sysfs="$(tree badignored)" '--collector.powersupply.ignored-supplies=^AC$'
peer_start live "$re" powersupplyclass	# this host's /sys
peer_gather_same

ok='node_scrape_collector_success{collector="powersupplyclass"} 1'
bad='node_scrape_collector_success{collector="powersupplyclass"} 0'
peer_has full "$ok"
peer_has full 'node_power_supply_info{power_supply="AC",type="Mains"} 1'
peer_has full 'node_power_supply_info{capacity_level="Normal",charge_type="Fast",health="Good",manufacturer="SMP",model_name="02DL005",power_supply="BAT0",scope="System",serial_number="4195",status="Discharging",technology="Li-poly",type="Battery"} 1'
peer_has full 'node_power_supply_info{model_name="ab�c�d�",power_supply="ucsi-source-psy-USBC000:001",scope="Device",type="USB",usb_type="[C] PD PD_PPS"} 1'
peer_has full 'node_power_supply_capacity{power_supply="BAT0"} 84'
peer_has full 'node_power_supply_current_ampere{power_supply="BAT0"} -1.524'
peer_has full 'node_power_supply_temp_alert_min_celsius{power_supply="BAT0"} -4.5'
peer_has full 'node_power_supply_charge_counter{power_supply="BAT0"} 2.5'
check "full: the *_avg attributes are not exported" \
	bash -c "! grep -q '_avg' '$d/he-full.txt'"
check "full: a directory or link among the attributes is not read" \
	bash -c "! grep -q 'power_supply_\(capacity\|present\){power_supply=\"ucsi' '$d/he-full.txt'"
for c in badnum badavg overflow notdir badignored dangling noclass; do
	peer_has "$c" "$bad"
	check "$c: no series" bash -c "! grep -q '^node_power_supply_' '$d/he-$c.txt'"
done
peer_has emptyclass "$ok"
peer_has ignored "$ok"
check "ignored: only BAT0 left" bash -c \
	"grep '^node_power_supply_info' '$d/he-ignored.txt' | grep -c . | grep -qx 1 &&
	 grep -q '^node_power_supply_info{.*power_supply=\"BAT0\"' '$d/he-ignored.txt'"
peer_has ignoreall "$ok"
check "ignoreall: the empty pattern leaves out every supply" \
	bash -c "! grep -q '^node_power_supply_' '$d/he-ignoreall.txt'"
finish
