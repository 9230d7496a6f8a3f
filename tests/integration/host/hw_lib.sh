# Shared by tests/integration/host/test_hw_*.sh (sourced, not a test): run
# node_exporter 1.5 and host-exporter side by side on the same fixture trees
# with one collector and compare the families a regex selects.  All cases
# of a test run at once (each a pair of processes), then are compared.
# Needs $d (the test's temp dir) and common.sh sourced.
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }

# hw_ports N: N distinct free loopback ports (held together while chosen),
# one Python start for all (a python3 start costs a second on a loaded CI).
_hw_ports=()
hw_ports() {
	mapfile -t _hw_ports < <(free_ports "$1")
}

# Sample values normalised to %.17g: host-exporter prints integral values
# exactly (1800000000), Go's %g shortest (1.8e+09); the numbers must be equal.
hw_numbers() {
	awk '/^#/ { print; next }
	{ i = match($0, / [^ ]+$/); v = substr($0, i + 1)
	  if (v ~ /^[-+]?[0-9.]+(e[-+]?[0-9]+)?$/) v = sprintf("%.17g", v + 0)
	  print substr($0, 1, i) v }'
}

# hw_scrape EXPORTER OUT PORT REGEX ARGS...: start it, scrape once, stop it.
hw_scrape() {
	local bin=$1 out=$2 port=$3 re=$4 pid
	shift 4
	"$bin" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults "$@" \
		>"$out.log" 2>&1 &
	pid=$!
	if ! wait_http "http://127.0.0.1:$port/metrics" 60; then
		kill "$pid" 2>/dev/null
		return 1
	fi
	curl -s --max-time 60 "http://127.0.0.1:$port/metrics" |
		grep -E "^(# (HELP|TYPE) )?($re)|^node_scrape_collector_success" | hw_numbers |
		sort >"$out"
	kill "$pid"
	wait "$pid" 2>/dev/null
	# under make asan: a sanitizer report (a leak at exit too) fails the case
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$out.log"; then
		cat "$out.log" >&2
		return 1
	fi
	return 0
}

# hw_cases RE LABEL1 ARGS1 LABEL2 ARGS2 ...: arguments of a case are one
# word split on blanks (no blanks in the tree paths: $d has none).  Runs
# every case on both exporters at once, waits, then compares each: the
# selected families, HELP/TYPE and node_scrape_collector_success must be
# identical.  Outputs stay in $d/ne-LABEL.txt and $d/he-LABEL.txt.
hw_cases() {
	local re=$1 i=0 n label pids=()
	shift
	n=$(($# / 2))
	hw_ports $((2 * n))
	set -- "$@"
	local args=("$@")
	for ((i = 0; i < n; i++)); do
		label=${args[2 * i]}
		# shellcheck disable=SC2086
		{ hw_scrape "$NE" "$d/ne-$label.txt" "${_hw_ports[2 * i]}" "$re" ${args[2 * i + 1]} ||
			echo fail >"$d/ne-$label.fail"; } &
		pids+=($!)
		# shellcheck disable=SC2086
		{ hw_scrape "$HE" "$d/he-$label.txt" "${_hw_ports[2 * i + 1]}" "$re" ${args[2 * i + 1]} ||
			echo fail >"$d/he-$label.fail"; } &
		pids+=($!)
	done
	on_exit "kill ${pids[*]} 2>/dev/null"
	wait "${pids[@]}"
	for ((i = 0; i < n; i++)); do
		label=${args[2 * i]}
		if [ -e "$d/ne-$label.fail" ] || [ -e "$d/he-$label.fail" ]; then
			fail "$label: an exporter did not answer (logs: $(cat "$d"/[nh]e-"$label".txt.log 2>/dev/null | tail -3))"
			continue
		fi
		check "$label: same output as node_exporter" diff -u "$d/ne-$label.txt" "$d/he-$label.txt"
	done
}

# hw_has LABEL LINE: the exact line is in host-exporter's output of LABEL
# (so two empty outputs cannot agree unseen).
hw_has() {
	check "$1: has '$2'" grep -qxF -- "$2" "$d/he-$1.txt"
}
