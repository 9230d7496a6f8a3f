#!/bin/bash
# The os collector re-reads os-release only when stat(2) shows it changed
# (device, inode, size, mtime, ctime): scrapes of an unchanged file open it
# no more (one stat each), and every way the file changes is seen on the
# next scrape -- rewritten in place at the same size, replaced by a rename,
# the etc/os-release symlink re-pointed, etc/ removed (usr/lib/ then), both
# removed (no series, success 1).  After each step node_os_* equals
# node_exporter 1.5's on the same --path.rootfs.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
r=$d/root
mkdir -p "$r/etc" "$r/usr/lib"
rel() { # VERSION_ID -> an os-release text (same size for one-digit changes)
	printf 'PRETTY_NAME="Debian GNU/Linux %s (test)"\nNAME="Debian GNU/Linux"\nVERSION_ID="%s"\nVERSION="%s (test)"\nID=debian\n' "$1" "$1" "$1"
}
rel 12 >"$r/usr/lib/os-release"
ln -s ../usr/lib/os-release "$r/etc/os-release"

hp=$(free_port)
# $hpid is strace: stop_traced stops the exporter (strace's child); a
# SIGTERM to strace would only detach it and leave the exporter running.
strace -f -qq -e trace=openat -o "$d/he.tr" "$HE" --web.listen-address="127.0.0.1:$hp" \
	--path.rootfs="$r" --collector.disable-defaults --collector.os >"$d/he.log" 2>&1 &
hpid=$!
on_exit "stop_traced $hpid"
np=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$np" --path.rootfs="$r" --collector.disable-defaults \
	--collector.os >"$d/ne.log" 2>&1 &
npid=$!
on_exit "stop_pids $npid"
wait_http "http://127.0.0.1:$hp/metrics" 60 && wait_http "http://127.0.0.1:$np/metrics" 60 ||
	{ fail "exporters did not start"; finish; }

step() { # TAG VERSION|none: scrape both, compare node_os_*, check the version
	local tag=$1 want=$2 f
	nstep=$((nstep + 1))
	f=s$nstep
	curl -s --max-time 30 "http://127.0.0.1:$hp/metrics" | grep -E '^node_os_|^node_scrape_collector_success' >"$d/he-$f.txt"
	curl -s --max-time 30 "http://127.0.0.1:$np/metrics" | grep -E '^node_os_|^node_scrape_collector_success' >"$d/ne-$f.txt"
	check "$tag: node_os_* and success as node_exporter's" diff -u "$d/ne-$f.txt" "$d/he-$f.txt"
	if [ "$want" = none ]; then
		check "$tag: no node_os_ series" bash -c "! grep -q '^node_os_' '$d/he-$f.txt'"
	else
		check "$tag: node_os_version $want" grep -q "^node_os_version{.*} $want\$" "$d/he-$f.txt"
	fi
}
opens() { grep -c 'os-release' "$d/he.tr"; }

nstep=0
step first 12
o1=$(opens)
for i in 1 2 3 4 5; do curl -s --max-time 30 -o /dev/null "http://127.0.0.1:$hp/metrics"; done
step unchanged 12
o2=$(opens)
check "six scrapes of an unchanged file opened it no more ($o1 opens before, $o2 after)" [ "$o1" -ge 1 -a "$o2" = "$o1" ]

rel 13 >"$r/usr/lib/os-release"	# in place, same inode, same size
step "rewritten in place" 13
rel 14 >"$r/usr/lib/os-release.new" && mv "$r/usr/lib/os-release.new" "$r/usr/lib/os-release"
step "replaced by a rename" 14
rel 5 >"$r/usr/lib/os-release.alt" && ln -sfn ../usr/lib/os-release.alt "$r/etc/os-release"
step "symlink re-pointed" 5
rm "$r/etc/os-release"
step "etc/os-release removed: usr/lib's" 14
rm "$r/usr/lib/os-release"
step "both removed" none
rel 7 >"$r/etc/os-release"
step "etc/os-release back as a file" 7
check "the changes were read (more opens: $(opens) > $o2)" [ "$(opens)" -gt "$o2" ]
finish
