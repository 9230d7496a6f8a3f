# tests/lib/netns.sh: a test with a network and mount namespace of its own
# and that namespace's sysfs, so the network devices it makes and reads are
# its own (test_netclass_kept, test_netdev_kept).  Source it first, then
# call netns_enter "$@" before anything else (it re-executes the test), and
# netns_sysfs DIR (and netns_pair) after tests/lib/common.sh.

# netns_enter ARGS...: re-execute the calling test under unshare -n -m
# (root, unshare and ip needed, else skip with 77); a no-op once inside.
netns_enter() {
	[ -n "${PRISM_IN_NETNS:-}" ] && return 0
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null ||
		{ echo "needs root, unshare and ip"; exit 77; }
	PRISM_IN_NETNS=1 exec unshare -n -m --propagation private "$BASH" "$0" "$@"
}

# netns_sysfs DIR: lo up, this namespace's sysfs mounted on DIR/sys (unmounted
# at exit through common.sh's on_exit), and NETNS_KIND set to a link type
# the test can create (ifb, else bridge).  Exits 1 when any of it fails.
netns_sysfs() {
	local k
	ip link set lo up || { echo "cannot set up lo in a new network namespace"; exit 1; }
	mkdir "$1/sys"
	mount -t sysfs sysfs "$1/sys" || { echo "cannot mount sysfs in a new mount namespace"; exit 1; }
	on_exit "umount -l '$1/sys'"
	NETNS_KIND=
	for k in ifb bridge; do
		ip link add probe0 type $k 2>/dev/null && { ip link del probe0; NETNS_KIND=$k; break; }
	done
	[ -n "$NETNS_KIND" ] || { echo "no ifb or bridge link type here"; exit 1; }
}

# netns_pair COLLECTOR DIR: host-exporter ($HE) and node_exporter ($NE)
# with only COLLECTOR, both reading DIR/sys, logs in DIR; sets hp and np
# (their ports) and hpid; both are stopped at exit, and the test finishes
# failed when either does not answer.
netns_pair() {
	read -r hp np < <(free_ports 2 | tr '\n' ' ')
	"$HE" --web.listen-address="127.0.0.1:$hp" --collector.disable-defaults --collector."$1" \
		--path.sysfs="$2/sys" --log.level=warn >"$2/he.log" 2>&1 &
	hpid=$!
	on_exit "kill $hpid"
	"$NE" --web.listen-address="127.0.0.1:$np" --collector.disable-defaults --collector."$1" \
		--path.sysfs="$2/sys" --log.level=warn >"$2/ne.log" 2>&1 &
	on_exit "kill $!"
	wait_http "http://127.0.0.1:$hp/metrics" 60 || { cat "$2/he.log"; fail "host-exporter did not start"; finish; }
	wait_http "http://127.0.0.1:$np/metrics" 60 || { fail "node_exporter did not start"; finish; }
}
