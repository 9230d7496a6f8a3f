#!/bin/bash
# dmi against node_exporter 1.5 on the same sysfs trees: node_dmi_info's
# labels (sys_vendor as system_vendor, chassis_type not exported, modalias,
# uevent, links and directories ignored, invalid UTF-8 made U+FFFD,
# whitespace trimmed, empty values kept), a partial set, no directory (no
# data).  Then live on this host's /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

base() {
	local t=$d/base/class/dmi/id f
	mkdir -p "$t" "$d/base/devices"
	for f in bios_date bios_release bios_vendor bios_version board_asset_tag board_name \
		board_serial board_vendor board_version chassis_asset_tag chassis_serial \
		chassis_vendor chassis_version product_family product_name product_serial \
		product_sku product_uuid product_version sys_vendor; do
		printf '%s value\n' "$f" >"$t/$f"
	done
	printf '03/14/2023\n' >"$t/bios_date"
	printf '  QEMU  \n' >"$t/sys_vendor"
	printf '\n' >"$t/board_asset_tag"
	printf 'Default string \xff\xfe!\n' >"$t/product_family"
	printf '1\n' >"$t/chassis_type"
	printf 'dmi:bvnSeaBIOS:\n' >"$t/modalias"
	printf 'MODALIAS=dmi:x\n' >"$t/uevent"
	printf 'elsewhere\n' >"$d/base/devices/product_name_target"
	mkdir "$t/power"
}

tree() {
	local t=$d/$1
	cp -a "$d/base" "$t"
	t=$t/class/dmi/id
	case $1 in
	full) ;;
	partial) rm "$t"/board_* "$t"/chassis_* "$t/product_uuid" "$t/product_serial" ;;
	link) rm "$t/product_name"; ln -s ../../../devices/product_name_target "$t/product_name" ;;
	onlytype) rm -r "$t"/*; printf '1\n' >"$t/chassis_type" ;;	# nothing exported: no data
	empty) rm -r "$t"/* ;;
	nodmi) rm -r "$d/$1/class/dmi" ;;
	esac
	echo "$d/$1"
}

base
re='node_dmi_'
for c in full partial link onlytype empty nodmi; do
	peer_start "$c" "$re" dmi --path.sysfs="$(tree "$c")"
done
peer_start live "$re" dmi	# this host's /sys
peer_gather_same
check "full: labels and values" grep -qF 'node_dmi_info{bios_date="03/14/2023",bios_release="bios_release value",bios_vendor="bios_vendor value",bios_version="bios_version value",board_asset_tag="",board_name="board_name value",board_serial="board_serial value",board_vendor="board_vendor value",board_version="board_version value",chassis_asset_tag="chassis_asset_tag value",chassis_serial="chassis_serial value",chassis_vendor="chassis_vendor value",chassis_version="chassis_version value",product_family="Default string �!",product_name="product_name value",product_serial="product_serial value",product_sku="product_sku value",product_uuid="product_uuid value",product_version="product_version value",system_vendor="QEMU"} 1' "$d/he-full.txt"
peer_has partial 'node_scrape_collector_success{collector="dmi"} 1'
peer_has onlytype 'node_scrape_collector_success{collector="dmi"} 0'
peer_has nodmi 'node_scrape_collector_success{collector="dmi"} 0'
finish
