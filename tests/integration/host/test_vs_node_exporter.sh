#!/bin/bash
# Live comparison with Debian's prometheus-node-exporter 1.5 (issue 4): both
# run on loopback restricted to the same collectors and the same textfile
# directory; their outputs are compared by compare.py (families, types, label
# names, help, values within per-family tolerances, >= 90% coverage), checked
# with promtool (our findings must be a subset of node_exporter's for the same
# names), and a real Prometheus scrapes host-exporter with up == 1.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"

NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
command -v promtool >/dev/null || { echo "promtool not installed (make deps)"; exit 1; }

d=$(tmpdir_new)
mkdir -p "$d/tf"
cat >"$d/tf/app.prom" <<'PROM'
# HELP app_jobs_total Jobs processed.
# TYPE app_jobs_total counter
app_jobs_total{queue="a"} 12
app_jobs_total{queue="b"} 3
app_temperature_celsius 21.5
PROM

colls=(cpu meminfo loadavg stat vmstat diskstats netdev filesystem uname time pressure filefd sockstat netstat os textfile conntrack entropy udp_queues)
args=(--collector.disable-defaults --collector.textfile.directory="$d/tf")
for c in "${colls[@]}"; do args+=("--collector.$c"); done

ne_port=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$ne_port" "${args[@]}" >"$d/ne.log" 2>&1 &
ne_pid=$!
on_exit "kill $ne_pid; wait $ne_pid"
he_port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$he_port" "${args[@]}" >"$d/he.log" 2>&1 &
he_pid=$!
on_exit "kill $he_pid; wait $he_pid"
check "node_exporter answers" wait_http "http://127.0.0.1:$ne_port/metrics" 20
check "host-exporter answers" wait_http "http://127.0.0.1:$he_port/metrics" 20

# Scrape both at (nearly) the same instant; retry a couple of times so a
# burst of load on a busy CI machine does not decide the result.
ok=0
for attempt in 1 2 3; do
	curl -sf "http://127.0.0.1:$he_port/metrics" -o "$d/ours.txt" &
	p1=$!
	curl -sf "http://127.0.0.1:$ne_port/metrics" -o "$d/theirs.txt" &
	p2=$!
	wait $p1 && wait $p2 || { sleep 0.5; continue; }
	if $PY "$SRC_DIR/tests/integration/host/compare.py" "$d/ours.txt" "$d/theirs.txt" >"$d/compare.txt"; then
		ok=1
		break
	fi
	sleep 0.5
done
cat "$d/compare.txt"
check "families, types, labels, help and values agree with node_exporter" [ $ok = 1 ]
check "textfile metrics exposed" grep -q '^app_jobs_total{queue="a"} 12$' "$d/ours.txt"
check "textfile scrape_error 0" grep -q '^node_textfile_scrape_error 0$' "$d/ours.txt"

# promtool: nothing beyond node_exporter's own findings for the same names.
promtool check metrics <"$d/ours.txt" >"$d/pt_ours.txt" 2>&1
promtool check metrics <"$d/theirs.txt" >"$d/pt_theirs.txt" 2>&1
extra=$(grep -vxF -f "$d/pt_theirs.txt" "$d/pt_ours.txt" || true)
if [ -n "$extra" ]; then
	echo "promtool findings only in our output:"
	echo "$extra"
fi
check "promtool reports nothing beyond node_exporter's findings" [ -z "$extra" ]
check "promtool's findings are only the compatibility names" \
	bash -c "! grep -v -e camelCase -e 'should have \"_total\" suffix' -e 'non-histogram and non-summary metrics should not have \"_count\" suffix' -e '^node_entropy_[a-z_]*_bits use base unit' '$d/pt_ours.txt'"

# A real Prometheus scrape (it asks for OpenMetrics first; we answer 0.0.4).
prom_config "$d/prom.yml" 1s host=127.0.0.1:$he_port
if prom_start "$d" "$d/prom.yml"; then
	check "Prometheus scrapes host-exporter: up == 1" prom_wait_value 'up{job="host"}' 1 30
	check "Prometheus ingested node_cpu_seconds_total" prom_wait_value 'count(node_cpu_seconds_total) > 0' '>=1' 30
	check "HighCPUUsage-style expression evaluates" prom_wait_value \
		'count(100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[10s])) * 100) >= 0)' 1 30
else
	fail "Prometheus started"
fi
finish
