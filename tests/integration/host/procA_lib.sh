# Shared by test_procA_*.sh: run node_exporter 1.5 and host-exporter side by
# side on the same trees with only the collectors under test, keep the
# families matching a pattern plus node_scrape_collector_success, and
# compare.  All cases of a test start at once (procA_start) and are scraped
# together (procA_gather), so a test costs one start-up, not one per case.
# Sourced after tests/lib/common.sh.
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
_procA_cases=()
declare -A _procA_re _procA_p1 _procA_p2 _procA_pids

# procA_start LABEL FAMILY_RE COLLECTORS -- EXTRA_ARGS...
procA_start() {
	local label=$1 re=$2 cols=$3 args=() c p1 p2 pid1 pid2
	shift 4
	for c in $cols; do args+=("--collector.$c"); done
	{ read -r p1; read -r p2; } < <(free_ports 2)
	"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults "${args[@]}" "$@" \
		>"$d/ne-$label.log" 2>&1 &
	pid1=$!
	"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults "${args[@]}" "$@" \
		>"$d/he-$label.log" 2>&1 &
	pid2=$!
	on_exit "kill $pid1 $pid2 2>/dev/null"
	_procA_cases+=("$label")
	_procA_re[$label]=$re
	_procA_p1[$label]=$p1
	_procA_p2[$label]=$p2
	_procA_pids[$label]="$pid1 $pid2"
}

# Values as numbers (Go prints 4.294967295e+09 where we print 4294967295).
_procA_num() {
	awk '!/^#/ && match($0, / [-+0-9.eE]+$/) && $NF !~ /Inf|NaN/ {
		$0 = substr($0, 1, RSTART) sprintf("%.17g", substr($0, RSTART + 1) + 0) }
		{ print }'
}

# _procA_wait PORT PID: until /metrics answers (60 s at most); at once 1
# if the process exited (a refused flag: no reason to wait).
_procA_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null)" = 200 ] &&
			return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# procA_gather: scrape every started case into $d/ne-LABEL.txt and
# $d/he-LABEL.txt (filtered, sorted), then stop them.  A case whose
# exporters did not start fails and leaves no files.
procA_gather() {
	local label re
	for label in "${_procA_cases[@]}"; do
		re=${_procA_re[$label]}
		if ! _procA_wait "${_procA_p1[$label]}" "${_procA_pids[$label]% *}" ||
			! _procA_wait "${_procA_p2[$label]}" "${_procA_pids[$label]#* }"; then
			fail "$label: exporters did not start"
			continue
		fi
		curl -s "http://127.0.0.1:${_procA_p1[$label]}/metrics" |
			grep -E "^(# (HELP|TYPE) )?($re)|^node_scrape_collector_success" | _procA_num | sort >"$d/ne-$label.txt"
		curl -s "http://127.0.0.1:${_procA_p2[$label]}/metrics" |
			grep -E "^(# (HELP|TYPE) )?($re)|^node_scrape_collector_success" | _procA_num | sort >"$d/he-$label.txt"
	done
	for label in "${_procA_cases[@]}"; do
		kill ${_procA_pids[$label]} 2>/dev/null
		wait ${_procA_pids[$label]} 2>/dev/null
	done
	_procA_cases=()
}

# procA_same LABEL: the case's outputs are identical.
procA_same() {
	[ -f "$d/he-$1.txt" ] || return
	check "$1: same output as node_exporter" diff -u "$d/ne-$1.txt" "$d/he-$1.txt"
}

# procA_same_names LABEL: the same series and success (live: values move).
procA_same_names() {
	[ -f "$d/he-$1.txt" ] || return
	check "$1: same series names and success as node_exporter" \
		diff <(sed 's/ [^ ]*$//' "$d/ne-$1.txt") <(sed 's/ [^ ]*$//' "$d/he-$1.txt")
}
