#!/bin/bash
# diskstats' udev families against node_exporter 1.5 on the same trees:
# node_disk_info, node_disk_filesystem_info, node_disk_device_mapper_info and
# node_disk_ata_{write_cache,write_cache_enabled,rotation_rate_rpm} from
# <udev.data>/b<maj>:<min>.  Both exporters run once; the udev records are
# rewritten between scrapes (read fresh).  Records: ATA disks (spinning, SSD,
# a rotation rate that is no number, a missing write-cache key, an empty
# ID_ATA), LVM and crypt device-mapper devices (with and without LV keys),
# filesystems (ext4, LVM2_member, an empty ID_FS_TYPE), repeated keys (the
# last wins), CRLF line ends, a value holding "=", other record lines (S:, L:,
# I:, G:, a line without "="), a disk without a record; then the whole
# directory gone (one failed open per scrape, not one per disk), back again,
# and live on this host.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re='node_disk_(info|filesystem_info|device_mapper_info|ata_[a-z_]*)[{ ]'
mkdir -p "$d/proc" "$d/udev"
c17='1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17'
for dev in '8 0 sda' '8 16 sdb' '8 32 sdc' '8 48 sdd' '8 64 sde' '253 0 dm-0' '253 1 dm-1' \
	'259 0 nvme0n1' '9 0 md0'; do
	echo "   $dev $c17"
done >"$d/proc/diskstats"

records() {
	U=$d/udev
	rm -rf "$U"; mkdir -p "$U"
	printf '%s\n' 'S:disk/by-id/ata-WDC_WD40EFRX' 'L:0' 'I:1234' 'E:ID_ATA=1' 'E:ID_TYPE=disk' \
		'E:ID_MODEL=WDC_WD40EFRX-68N32N0' 'E:ID_SERIAL_SHORT=WD-WCC7K1234567' 'E:ID_REVISION=82.00A82' \
		'E:ID_WWN=0x50014ee2b1234567' 'E:ID_PATH=pci-0000:00:17.0-ata-1' 'E:ID_ATA_WRITE_CACHE=1' \
		'E:ID_ATA_WRITE_CACHE_ENABLED=1' 'E:ID_ATA_ROTATION_RATE_RPM=5400' 'G:systemd' >"$U/b8:0"
	printf '%s\n' 'E:ID_ATA=1' 'E:ID_MODEL=Samsung_SSD_860_EVO_500GB' 'E:ID_ATA_WRITE_CACHE=1' \
		'E:ID_ATA_WRITE_CACHE_ENABLED=0' 'E:ID_ATA_ROTATION_RATE_RPM=0' 'E:ID_FS_TYPE=LVM2_member' \
		'E:ID_FS_USAGE=raid' 'E:ID_FS_UUID=Zb3xQm-1111-2222-3333-4444-5555-666666' 'E:ID_FS_VERSION=LVM2 001' >"$U/b8:16"
	printf '%s\n' 'E:ID_ATA=1' 'E:ID_ATA_ROTATION_RATE_RPM=fast' 'E:ID_ATA_WRITE_CACHE_ENABLED=1' >"$U/b8:32"
	printf '%s\n' 'E:ID_ATA=' 'E:ID_ATA_WRITE_CACHE=1' 'E:ID_ATA_ROTATION_RATE_RPM=7200' >"$U/b8:48"
	printf '%s\r\n' 'E:ID_MODEL=first' 'E:ID_MODEL=second=half' 'E:ID_ATA=1' 'E:ID_ATA_WRITE_CACHE=1' \
		'no equals sign' 'E:NOEQUALS' 'E:ID_FS_TYPE=' 'E:ID_FS_UUID=orphan' >"$U/b8:64"
	printf '%s\n' 'E:DM_NAME=vg0-root' 'E:DM_UUID=LVM-abcdefABCDEF0123456789abcdefABCDEF0123456789abcdefABCDEF0123' \
		'E:DM_VG_NAME=vg0' 'E:DM_LV_NAME=root' 'E:ID_FS_TYPE=ext4' 'E:ID_FS_USAGE=filesystem' \
		'E:ID_FS_UUID=3e6be9de-8139-11d1-9106-a43f08d823a6' 'E:ID_FS_VERSION=1.0' >"$U/b253:0"
	printf '%s\n' 'E:DM_NAME=luks-3e6b' 'E:DM_UUID=CRYPT-LUKS2-3e6be9de-luks-3e6b' 'E:DM_LV_LAYER=' >"$U/b253:1"
	printf '%s\n' 'E:ID_MODEL=Amazon Elastic Block Store' 'E:ID_SERIAL_SHORT=vol0123456789abcdef0' \
		'E:ID_WWN=nvme.1d0f-766f6c' 'E:ID_PATH=pci-0000:00:04.0-nvme-1' >"$U/b259:0"
}

records
peer_start fx "$re" diskstats --path.procfs="$d/proc" --path.udev.data="$d/udev" \
	--collector.diskstats.device-exclude='^(ram|loop)\d+$'
peer_keep fx
# live: this host's /proc/diskstats and udev database
peer_start live "$re" diskstats
peer_wait fx || { echo "exporters did not start"; exit 1; }
peer_compare fx full
h=$d/he-full.txt
check "full: ATA families for sda" bash -c "grep -qx 'node_disk_ata_rotation_rate_rpm{device=\"sda\"} 5400' '$h' &&
	grep -qx 'node_disk_ata_write_cache{device=\"sda\"} 1' '$h' && grep -qx 'node_disk_ata_write_cache_enabled{device=\"sda\"} 1' '$h'"
check "full: SSD rotation 0, write cache disabled" bash -c "grep -qx 'node_disk_ata_rotation_rate_rpm{device=\"sdb\"} 0' '$h' &&
	grep -qx 'node_disk_ata_write_cache_enabled{device=\"sdb\"} 0' '$h'"
check "full: no rotation for a non-number, none without ID_ATA" bash -c "! grep -q 'rotation_rate_rpm{device=\"sd[cd]\"}' '$h'"
check "full: device mapper info" grep -qx 'node_disk_device_mapper_info{device="dm-0",lv_layer="",lv_name="root",name="vg0-root",uuid="LVM-abcdefABCDEF0123456789abcdefABCDEF0123456789abcdefABCDEF0123",vg_name="vg0"} 1' "$h"
check "full: filesystem info" grep -qx 'node_disk_filesystem_info{device="dm-0",type="ext4",usage="filesystem",uuid="3e6be9de-8139-11d1-9106-a43f08d823a6",version="1.0"} 1' "$h"
check "full: last key wins, CR dropped, = in a value" grep -q '^node_disk_info{device="sde",major="8",minor="64",model="second=half",' "$h"
check "full: no filesystem info for an empty ID_FS_TYPE" bash -c "! grep -q 'filesystem_info{device=\"sde\"' '$h'"
mv "$d/udev" "$d/udev.gone"
peer_compare fx noudev
check "noudev: info with empty labels, no udev families" bash -c "grep -qx 'node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"\",path=\"\",revision=\"\",serial=\"\",wwn=\"\"} 1' '$d/he-noudev.txt' &&
	! grep -q 'node_disk_\(ata\|device_mapper\|filesystem\)' '$d/he-noudev.txt'"
# Without the database directory one failed open and one stat per scrape,
# not a failed open per disk (nine here); a directory that comes back is
# read at the next scrape.
hpid=${_peer_pid[he-fx]}
strace -f -qq -e trace=openat,newfstatat,stat -o "$d/noudev.tr" -p "$hpid" 2>/dev/null &
spid=$!
wait_for 10 all_traced "$hpid"
peer_scrape_he fx noudev2
kill -INT $spid
wait $spid 2>/dev/null
nopen=$(grep -c "openat(.*$d/udev/b" "$d/noudev.tr")
check "noudev: one scrape tried one record ($nopen), then saw the directory missing" \
	bash -c "[ $nopen = 1 ] && grep -q 'stat.*\"$d/udev\".*ENOENT' '$d/noudev.tr'"
mv "$d/udev.gone" "$d/udev"
peer_compare fx udevback
check "udev back: the records are read again" grep -qx 'node_disk_ata_rotation_rate_rpm{device="sda"} 5400' "$d/he-udevback.txt"
peer_stop fx
peer_gather
peer_same live
finish
