#!/bin/bash
# nvme against node_exporter 1.5 on the same sysfs tree: both exporters run
# once on one --path.sysfs and the tree is rebuilt between scrapes (they read
# it fresh).  Cases: two controllers (one a symlink into devices/ as the
# kernel makes them, padded and empty values), no class/nvme, an empty
# class, a controller without its state file, class/nvme a file, an
# attribute that is a directory, a regular file among the controllers, a
# 5000-byte model (one read of 4096 bytes).  node_nvme_info, HELP/TYPE and
# node_scrape_collector_success must agree; then both live on /sys.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
re=node_nvme_
S=$d/sys

ctrl() {	# $1 dir, $2 fw, $3 model, $4 serial, $5 state
	mkdir -p "$1"
	printf '%s' "$2" >"$1/firmware_rev"
	printf '%s' "$3" >"$1/model"
	printf '%s' "$4" >"$1/serial"
	printf '%s' "$5" >"$1/state"
	printf '0\n' >"$1/cntlid"	# an attribute the peer does not read
}
tree() {
	rm -rf "$S"
	mkdir -p "$S/class/nvme" "$S/devices/pci0000:00/0000:00:04.0/nvme"
	ctrl "$S/devices/pci0000:00/0000:00:04.0/nvme/nvme0" $'1.2.3   \n' $'Samsung SSD 970 EVO Plus 1TB            \n' \
		$'S4EWNX0R123456     \n' $'live\n'
	ln -s ../../devices/pci0000:00/0000:00:04.0/nvme/nvme0 "$S/class/nvme/nvme0"
	ctrl "$S/class/nvme/nvme1" $'\t2.0\n' 'Amazon Elastic Block Store' '' $'resetting\n'
	case $1 in
	full) ;;
	noclass) rm -r "$S/class/nvme" ;;
	emptyclass) rm -r "$S/class/nvme"; mkdir "$S/class/nvme" ;;
	nostate) rm "$S/class/nvme/nvme1/state" ;;
	classfile) rm -r "$S/class/nvme"; echo x >"$S/class/nvme" ;;
	attrdir) rm "$S/class/nvme/nvme1/serial"; mkdir "$S/class/nvme/nvme1/serial" ;;
	strayfile) echo x >"$S/class/nvme/nvme9" ;;
	dangling) ln -s ../../devices/gone "$S/class/nvme/nvme2" ;;
	long) head -c 5000 /dev/zero | tr '\0' m >"$S/class/nvme/nvme1/model" ;;
	esac
}

tree full
peer_start fx "$re" nvme --path.sysfs="$S"
peer_keep fx
peer_start live "$re" nvme --path.sysfs=/sys
peer_wait fx || { echo "exporters did not start"; exit 1; }
for c in full noclass emptyclass nostate classfile attrdir strayfile dangling long; do
	tree "$c"
	peer_compare fx "$c"
done
s='node_scrape_collector_success{collector="nvme"}'
check "full: both controllers with trimmed values" bash -c "
	grep -qxF 'node_nvme_info{device=\"nvme0\",firmware_revision=\"1.2.3\",model=\"Samsung SSD 970 EVO Plus 1TB\",serial=\"S4EWNX0R123456\",state=\"live\"} 1' '$d/he-full.txt' &&
	grep -qxF 'node_nvme_info{device=\"nvme1\",firmware_revision=\"2.0\",model=\"Amazon Elastic Block Store\",serial=\"\",state=\"resetting\"} 1' '$d/he-full.txt'"
check "full: success 1" grep -qxF "$s 1" "$d/he-full.txt"
for c in noclass nostate classfile attrdir strayfile dangling; do
	check "$c: success 0, no series" bash -c "grep -qxF '$s 0' '$d/he-$c.txt' && ! grep -q '^node_nvme' '$d/he-$c.txt'"
done
check "emptyclass: success 1" grep -qxF "$s 1" "$d/he-emptyclass.txt"
check "long: the model cut at 128 bytes" grep -q "model=\"$(head -c 128 /dev/zero | tr '\0' m)\"" "$d/he-long.txt"
peer_stop fx
peer_gather
peer_same live
finish
