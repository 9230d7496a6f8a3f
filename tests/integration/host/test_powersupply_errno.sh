#!/bin/bash
# powersupplyclass when reading an attribute fails, against node_exporter 1.5
# on the same tree.  A fixture file cannot fail a read, so real kernel
# attributes do: inside a private mount namespace, sysfs files are bind-mounted
# over a supply's attribute files (a bind mount keeps the entry a regular
# file, as the collectors' directory listing sees it; the read goes to sysfs):
#  - EINVAL: /sys/class/net/lo/speed and duplex (ethtool has no link settings
#    for lo) over a numeric attribute (capacity) and a string one (status):
#    both are passed over, the supply's other attributes are still exported;
#  - EIO: a device's power/autosuspend_delay_ms (runtime PM autosuspend off)
#    over capacity: the collector fails, no series, as 1.5.
# ENODATA and ENODEV could not be tested this way: no attribute of this kernel
# fails a read with them (searched /sys and /proc).
. "$SRC_DIR/tests/lib/common.sh"
if [ "${PRISM_PSU_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (bind mounts in a mount namespace)"; exit 77; }
	unshare -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot make a mount namespace"; exit 77; }
	PRISM_PSU_INNER=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

einval=/sys/class/net/lo/speed
einval2=/sys/class/net/lo/duplex
eio=
for f in /sys/devices/software/power/autosuspend_delay_ms /sys/devices/*/power/autosuspend_delay_ms \
	/sys/devices/*/*/power/autosuspend_delay_ms; do
	[ -f "$f" ] && ! cat "$f" >/dev/null 2>"$d/err" && grep -q 'Input/output error' "$d/err" &&
		{ eio=$f; break; }
done
check "lo/speed fails with EINVAL" bash -c "cat $einval 2>&1 >/dev/null | grep -q 'Invalid argument'"
check "lo/duplex fails with EINVAL" bash -c "cat $einval2 2>&1 >/dev/null | grep -q 'Invalid argument'"
check "an attribute that fails with EIO: ${eio:-none found}" test -n "$eio"

put() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }
supply() {	# $1 tree: BAT0 (through a link, as in sysfs) and AC
	local c=$1/class/power_supply b=$1/devices/platform/PNP0C0A:00/power_supply/BAT0
	mkdir -p "$c"
	ln -s ../../devices/platform/PNP0C0A:00/power_supply/BAT0 "$c/BAT0"
	put "$b/type" 'Battery\n'
	put "$b/status" 'Discharging\n'
	put "$b/present" '1\n'
	put "$b/capacity" '84\n'
	put "$b/voltage_now" '12167000\n'
	put "$b/technology" 'Li-ion\n'
	put "$c/AC/type" 'Mains\n'
	put "$c/AC/online" '1\n'
}
supply "$d/einval"
mount --bind "$einval" "$d/einval/devices/platform/PNP0C0A:00/power_supply/BAT0/capacity" &&
	mount --bind "$einval2" "$d/einval/devices/platform/PNP0C0A:00/power_supply/BAT0/status" ||
	{ echo "bind mount failed"; exit 1; }
on_exit "umount -l '$d/einval/devices/platform/PNP0C0A:00/power_supply/BAT0/capacity' '$d/einval/devices/platform/PNP0C0A:00/power_supply/BAT0/status'"
check "einval tree: capacity fails to read" bash -c "! cat '$d/einval/class/power_supply/BAT0/capacity' 2>/dev/null"
peer_start einval node_power_supply_ powersupplyclass --path.sysfs="$d/einval"
if [ -n "$eio" ]; then
	supply "$d/eio"
	mount --bind "$eio" "$d/eio/devices/platform/PNP0C0A:00/power_supply/BAT0/capacity" || exit 1
	on_exit "umount -l '$d/eio/devices/platform/PNP0C0A:00/power_supply/BAT0/capacity'"
	peer_start eio node_power_supply_ powersupplyclass --path.sysfs="$d/eio"
fi
peer_gather_same
peer_has einval 'node_scrape_collector_success{collector="powersupplyclass"} 1'
peer_has einval 'node_power_supply_info{power_supply="BAT0",technology="Li-ion",type="Battery"} 1'
peer_has einval 'node_power_supply_voltage_volt{power_supply="BAT0"} 12.167'
peer_has einval 'node_power_supply_online{power_supply="AC"} 1'
check "einval: no capacity series" bash -c "! grep -q '^node_power_supply_capacity' '$d/he-einval.txt'"
if [ -n "$eio" ]; then
	peer_has eio 'node_scrape_collector_success{collector="powersupplyclass"} 0'
	check "eio: no series" bash -c "! grep -q '^node_power_supply_' '$d/he-eio.txt'"
fi
finish
