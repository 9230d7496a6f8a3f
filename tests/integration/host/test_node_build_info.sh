#!/bin/bash
# node-mixin's dashboards list instances with
# label_values(node_exporter_build_info, instance): host-exporter exports
# node_exporter_build_info{exporter="host-exporter",version,revision} 1 so a
# real Prometheus scraping it answers that query (Grafana's label_values runs
# /api/v1/label/instance/values?match[]=...), as it does for node_exporter;
# also with collect[] and --web.disable-exporter-metrics (node_exporter 1.5
# keeps it there too).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
HE=$BUILD_DIR/host-exporter
d=$(tmpdir_new)
p1=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$p1" --collector.disable-defaults --collector.loadavg \
	--web.disable-exporter-metrics >"$d/he.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$p1/metrics" 30 || { echo "host-exporter did not start"; exit 1; }
curl -s "http://127.0.0.1:$p1/metrics" >"$d/m.txt"
check "exposed with --web.disable-exporter-metrics" \
	grep -q '^node_exporter_build_info{exporter="host-exporter",revision="[^"]*",version="[^"]*"} 1$' "$d/m.txt"
curl -s "http://127.0.0.1:$p1/metrics?collect%5B%5D=loadavg" >"$d/c.txt"
check "exposed with collect[]" grep -q '^node_exporter_build_info{exporter="host-exporter"' "$d/c.txt"
check "HELP and TYPE gauge" grep -q '^# TYPE node_exporter_build_info gauge$' "$d/c.txt"

prom_config "$d/p.yml" 1s node=127.0.0.1:$p1
prom_start "$d" "$d/p.yml" || exit 1
prom_wait_healthy node 60 || { fail "target never up"; finish; }
ok=
for _ in $(seq 1 60); do
	v=$(prom_api "label/instance/values?match%5B%5D=node_exporter_build_info")
	if echo "$v" | grep -q "\"127.0.0.1:$p1\""; then ok=1; break; fi
	sleep 0.5
done
check "label_values(node_exporter_build_info, instance) lists the instance ($v)" [ -n "$ok" ]
check "the series says it is host-exporter" \
	[ "$(prom_query_count 'node_exporter_build_info{exporter="host-exporter"}')" = 1 ]
finish
