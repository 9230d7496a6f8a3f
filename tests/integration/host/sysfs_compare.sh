# Sourced by the sysfs collector tests (test_netclass.sh, test_bonding.sh,
# ...): run node_exporter 1.5 and host-exporter side by side on fixture
# trees, all cases at once, and diff their output.  The test sets NE, HE, d
# (its temp dir), COLLECTOR (the one collector both run) and FILTER (an
# extended regexp of the lines compared); start LABEL SYSFS [FLAGS...] per
# case, then collect: one check per case ("live": names and labels only).
# Values as numbers: node_exporter prints 1.25e+09 where we print 1250000000.
canon() {
	awk '/^#/ { print; next } { v = $NF; sub(/ [^ ]*$/, ""); printf "%s %.17g\n", $0, v }'
}
# start LABEL SYSFS [FLAGS...]: both exporters on that tree (all cases run at once)
labels=()
declare -A used
port() {	# a free port not handed out before in this test
	local p
	p=$(free_port)
	while [ -n "${used[$p]:-}" ]; do p=$(free_port); done
	used[$p]=1
	echo "$p"
}
start() {
	local label=$1 sys=$2 p1 p2
	shift 2
	port >"$d/port"; p1=$(<"$d/port")
	"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults --collector.$COLLECTOR \
		--path.sysfs="$sys" "$@" >"$d/ne-$label.log" 2>&1 &
	on_exit "kill $! 2>/dev/null"
	echo "$p1 $!" >"$d/ne-$label.port"
	port >"$d/port"; p2=$(<"$d/port")
	"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults --collector.$COLLECTOR \
		--path.sysfs="$sys" "$@" >"$d/he-$label.log" 2>&1 &
	on_exit "kill $! 2>/dev/null"
	echo "$p2 $!" >"$d/he-$label.port"
	labels+=("$label")
}

collect() {	# scrape every case, then compare
	local label who port pid ok
	for label in "${labels[@]}"; do
		ok=1
		for who in ne he; do
			read -r port pid <"$d/$who-$label.port"
			# kill -0 afterwards: the answer came from this process, not
			# from another that got the port
			if wait_http "http://127.0.0.1:$port/metrics" 60 &&
			   curl -s "http://127.0.0.1:$port/metrics" | grep -E "$FILTER" | canon | sort >"$d/$who-$label.txt" &&
			   kill -0 "$pid" 2>/dev/null; then
				:
			else
				ok=0
				cat "$d/$who-$label.log"
			fi
			kill "$pid" 2>/dev/null
		done
		if [ $ok = 0 ]; then
			fail "$label: exporters did not start"
		elif [ "$label" = live ]; then	# carrier counts may move: names, labels and success
			check "$label: same series as node_exporter" \
				diff -u <(sed 's/ [^ ]*$//' "$d/ne-$label.txt") <(sed 's/ [^ ]*$//' "$d/he-$label.txt")
		else
			check "$label: same output as node_exporter" diff -u "$d/ne-$label.txt" "$d/he-$label.txt"
		fi
	done
}

