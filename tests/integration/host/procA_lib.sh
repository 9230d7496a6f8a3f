# Shared by test_procA_*.sh: run node_exporter 1.5 and host-exporter side by
# side on the same trees with only the collectors under test, keep the
# families matching a pattern plus their node_scrape_collector_success, and
# compare.  Sourced after tests/lib/common.sh.
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)

# procA_scrape LABEL FAMILY_RE COLLECTORS -- EXTRA_ARGS...: writes
# $d/ne-LABEL.txt and $d/he-LABEL.txt (sorted, filtered); 1 if a peer did
# not start.
procA_scrape() {
	local label=$1 re=$2 cols=$3 p1 p2 pid1 pid2 args=() c
	shift 4
	for c in $cols; do args+=("--collector.$c"); done
	p1=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults "${args[@]}" "$@" \
		>"$d/ne-$label.log" 2>&1 &
	pid1=$!
	p2=$(free_port)
	"$HE" --web.listen-address="127.0.0.1:$p2" --collector.disable-defaults "${args[@]}" "$@" \
		>"$d/he-$label.log" 2>&1 &
	pid2=$!
	on_exit "kill $pid1 $pid2 2>/dev/null"
	if ! wait_http "http://127.0.0.1:$p1/metrics" 30 || ! wait_http "http://127.0.0.1:$p2/metrics" 30; then
		kill $pid1 $pid2 2>/dev/null
		fail "$label: exporters did not start"
		return 1
	fi
	curl -s "http://127.0.0.1:$p1/metrics" | grep -E "^(# (HELP|TYPE) )?($re)|^node_scrape_collector_success" | sort >"$d/ne-$label.txt"
	curl -s "http://127.0.0.1:$p2/metrics" | grep -E "^(# (HELP|TYPE) )?($re)|^node_scrape_collector_success" | sort >"$d/he-$label.txt"
	kill $pid1 $pid2 2>/dev/null
	wait $pid1 $pid2 2>/dev/null
	return 0
}

# procA_compare LABEL FAMILY_RE COLLECTORS -- EXTRA_ARGS...: same output.
procA_compare() {
	local label=$1
	procA_scrape "$@" || return
	check "$label: same output as node_exporter" diff -u "$d/ne-$label.txt" "$d/he-$label.txt"
}
