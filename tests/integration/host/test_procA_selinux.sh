#!/bin/bash
# selinux against node_exporter 1.5 live: both read the host's own files
# (opencontainers/selinux ignores --path.*), so a fixture tree cannot enable
# it for either; this kernel has no selinuxfs, so both must say
# node_selinux_enabled 0 and nothing else, also with --path.sysfs/procfs
# pointing at a tree that has sys/fs/selinux (ignored by both).  The
# enabled branch's parsers are unit-tested in tests/unit/host/test_selinux.c.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"

t=$d/tree
mkdir -p "$t/sys/fs/selinux" "$t/proc"
printf '1' >"$t/sys/fs/selinux/enforce"
printf 'nodev\tselinuxfs\n' >"$t/proc/filesystems"
peer_start live 'node_selinux_' selinux
peer_start tree 'node_selinux_' selinux --path.sysfs="$t/sys" --path.procfs="$t/proc"
peer_gather
peer_same live
peer_same tree
check "live: enabled 0" grep -q '^node_selinux_enabled 0$' "$d/he-live.txt"
check "live: no mode series when disabled" bash -c "! grep -q '^node_selinux_.*mode' '$d/he-live.txt'"
check "live: success 1" grep -q '^node_scrape_collector_success{collector="selinux"} 1$' "$d/he-live.txt"
finish
