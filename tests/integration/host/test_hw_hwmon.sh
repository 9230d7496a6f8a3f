#!/bin/bash
# hwmon against node_exporter 1.5 on the same sysfs trees: every sensor type
# and unit scaling (in/cpu volts, temp celsius, curr amps, power watts and
# accuracy and intervals, energy joules, humidity ratio, fan rpm, pwm,
# intrusion, beep, vrm, update_interval, alarm/fault/beep elements),
# node_hwmon_chip_names and node_hwmon_sensor_label (invalid UTF-8 in a
# label), chip names from the device link, the name file or the directory,
# sensors under device/, odd files (garbage values, a directory where a
# value should be, 01 ids, a dangling link), then broken chips and a
# missing class/hwmon.  HELP/TYPE, values and the collector's success must
# agree.  Then live on this host's /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

put() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }

base() {	# the full tree, in $d/base
	local t=$d/base h
	mkdir -p "$t/class/hwmon"
	# hwmon0: coretemp through links, as on real hardware
	h=$t/devices/platform/coretemp.0/hwmon/hwmon0
	put "$h/name" 'coretemp\n'
	ln -s ../../../coretemp.0 "$h/device"
	put "$h/temp1_input" '45000\n'
	put "$h/temp1_label" 'Package id 0\n'
	put "$h/temp1_crit" '100000\n'
	put "$h/temp1_crit_alarm" '0\n'
	put "$h/temp1_max" '80000\n'
	put "$h/temp2_input" '-1500\n'
	put "$h/temp2_label" 'Core 0\n'
	put "$h/uevent" ''
	ln -s ../../devices/platform/coretemp.0/hwmon/hwmon0 "$t/class/hwmon/hwmon0"
	# hwmon1: a super-I/O chip, every type, a plain directory, no device
	h=$t/class/hwmon/hwmon1
	put "$h/name" 'nct6775\n'
	put "$h/in0_input" '1104\n'; put "$h/in0_label" 'Vcore\n'; put "$h/in0_min" '0\n'
	put "$h/in0_max" '1744\n'; put "$h/in0_alarm" '0\n'; put "$h/in0_beep" '1\n'
	put "$h/in1_input" '3.3e3\n'
	put "$h/cpu0_vid" '1100\n'
	put "$h/fan1_input" '1200\n'; put "$h/fan1_min" '300\n'; put "$h/fan1_max" '5000\n'
	put "$h/fan1_target" '1500\n'; put "$h/fan1_div" '8\n'; put "$h/fan1_alarm" '0\n'
	put "$h/fan1_fault" '1\n'; put "$h/fan1_beep" '0\n'
	put "$h/fan2_input" 'N/A\n'	# garbage: skipped
	put "$h/pwm1" '128\n'; put "$h/pwm1_enable" '2\n'; put "$h/pwm1_mode" '1\n'
	put "$h/curr1_input" '500\n'; put "$h/curr1_max" '16000\n'
	put "$h/power1_input" '15000000\n'; put "$h/power1_average" '14500000\n'
	put "$h/power1_average_interval" '1000\n'; put "$h/power1_average_interval_max" '5000\n'
	put "$h/power1_accuracy" '5000\n'; put "$h/power1_cap" '95000000\n'
	put "$h/energy1_input" '123456789\n'
	put "$h/humidity1_input" '45500\n'
	put "$h/intrusion0_alarm" '1\n'
	put "$h/beep_enable" '1\n'
	put "$h/vrm" '9.1\n'
	put "$h/update_interval" '1500\n'
	put "$h/temp3" '30000\n'; put "$h/temp3_type" '4\n'
	put "$h/temp10_input" '50000\n'
	put "$h/temp7_input" '0x1p4\n'	# Go's ParseFloat takes a hex float
	put "$h/temp8_input" ' 12\n'	# a blank: not a number
	put "$h/temp9_input" '\n\n7000\n\n'
	put "$h/temp11_input" 'inf\n'
	put "$h/temp4_label" 'caf\xc3\xa9 \xff\xfe sensor\n'	# invalid UTF-8 in a label
	put "$h/temp4_input" '41000\n'
	put "$h/temp5_label" '\n'	# empty label
	put "$h/temp5_input" '1000\n'
	mkdir -p "$h/in2_input"	# a directory: read fails, skipped
	put "$h/fooX1_input" '5\n'	# not a sensor type
	put "$h/temp_input" '5\n'	# no number: type "temp_input", not a sensor type
	# hwmon2: no name, no device: the directory's name
	put "$t/class/hwmon/hwmon2/temp1_input" '20000\n'
	# hwmon3: sensors under device/ (old drivers), a PCI device
	h=$t/devices/pci0000:00/0000:00:18.3
	put "$h/temp1_input" '33000\n'
	put "$h/temp1_max" '70000\n'
	put "$t/devices/pci0000:00/0000:00:18.3/hwmon/hwmon3/name" 'k10temp\n'
	put "$t/devices/pci0000:00/0000:00:18.3/hwmon/hwmon3/temp1_crit" '90000\n'
	ln -s ../../../0000:00:18.3 "$t/devices/pci0000:00/0000:00:18.3/hwmon/hwmon3/device"
	ln -s ../../devices/pci0000:00/0000:00:18.3/hwmon/hwmon3 "$t/class/hwmon/hwmon3"
	: >"$t/class/hwmon/stray"	# a stray file: skipped
	# hwmon5: a name file only ("ACPI Tz!" cleans to acpi_tz)
	put "$t/class/hwmon/hwmon5/name" 'ACPI Tz!\n'
	put "$t/class/hwmon/hwmon5/temp1_input" '27800\n'
}

tree() {	# $1 case: a copy of the base tree, changed
	local t=$d/$1
	cp -a "$d/base" "$t"
	case $1 in
	full) ;;
	devicefile)	# device is a file: that chip fails, the others stay
		put "$t/class/hwmon/hwmon5/device" 'x' ;;
	devicefile2)	# ... but a later link's successful stat clears the error, in 1.5
		put "$t/class/hwmon/hwmon2/device" 'x' ;;
	dupname)	# two chips cleaning to one name: the first one's series stay
		put "$t/class/hwmon/hwmon6/name" 'acpi tz\n'
		put "$t/class/hwmon/hwmon6/temp1_input" '99000\n' ;;
	dangling)	# a dangling link: 1.5 fails the collector (its stat error stays)
		ln -s ../../devices/gone/hwmon4 "$t/class/hwmon/hwmon4" ;;
	danglingfirst)	# ... unless a later link resolves (hwmon0 sorts after hwmon00)
		ln -s ../../devices/gone/hwmon00 "$t/class/hwmon/hwmon00" ;;
	empty) rm -r "$t/class/hwmon"; mkdir "$t/class/hwmon" ;;
	nohwmon) rm -r "$t/class/hwmon" ;;
	notdir) rm -r "$t/class/hwmon"; : >"$t/class/hwmon" ;;
	esac
	echo "$t"
}

base
re='node_hwmon_'
for c in full devicefile devicefile2 dupname dangling danglingfirst empty nohwmon notdir; do
	peer_start "$c" "$re" hwmon --path.sysfs="$(tree "$c")"
done
peer_start live "$re" hwmon	# this host's /sys
peer_gather_same
peer_has full 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 45'
peer_has full 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp2"} -1.5'
peer_has full 'node_hwmon_chip_names{chip="platform_coretemp_0",chip_name="coretemp"} 1'
peer_has full 'node_hwmon_sensor_label{chip="platform_coretemp_0",label="Package id 0",sensor="temp1"} 1'
peer_has full 'node_hwmon_in_volts{chip="nct6775",sensor="in0"} 1.1040000000000001'
peer_has full 'node_hwmon_power_watt{chip="nct6775",sensor="power1"} 15'
peer_has full 'node_hwmon_energy_joule_total{chip="nct6775",sensor="energy1"} 123.456789'
peer_has full 'node_hwmon_humidity{chip="nct6775",sensor="humidity1"} 0.045499999999999999'
peer_has full 'node_hwmon_fan_rpm{chip="nct6775",sensor="fan1"} 1200'
peer_has full 'node_hwmon_temp_celsius{chip="hwmon2",sensor="temp1"} 20'
peer_has full 'node_hwmon_temp_max_celsius{chip="pci0000:00_0000:00:18_3",sensor="temp1"} 70'
peer_has full 'node_hwmon_temp_celsius{chip="acpi_tz",sensor="temp1"} 27.800000000000001'
peer_has full '# TYPE node_hwmon_energy_joule_total counter'
peer_has full 'node_scrape_collector_success{collector="hwmon"} 1'
peer_has devicefile 'node_scrape_collector_success{collector="hwmon"} 0'
peer_has devicefile 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 45'
peer_has devicefile2 'node_scrape_collector_success{collector="hwmon"} 1'
peer_has nohwmon 'node_scrape_collector_success{collector="hwmon"} 0'
peer_has dangling 'node_scrape_collector_success{collector="hwmon"} 0'
peer_has danglingfirst 'node_scrape_collector_success{collector="hwmon"} 1'
peer_has dupname 'node_hwmon_temp_celsius{chip="acpi_tz",sensor="temp1"} 27.800000000000001'
peer_has empty 'node_scrape_collector_success{collector="hwmon"} 1'
finish
