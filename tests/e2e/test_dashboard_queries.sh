#!/bin/bash
# Dashboards against real data (issue 6): the checked-in Grafana JSON is what
# prometheus-rules/dashboards/generate.py writes, the Grafana provisioning
# files render; then the stack (run-stack.sh on free ports: MariaDB, orderd,
# host-exporter, mysql-exporter) is scraped by Prometheus with prism's rules
# while wrk drives the order API (plus a few 4xx/5xx and echo calls), and
# every panel query of every dashboard, with Grafana's variables substituted,
# must run without error and return data.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/e2e/lib.sh"

D=$SRC_DIR/prometheus-rules/dashboards
T=$(tmpdir_new)

# Static part first: it needs no daemon.
check "dashboards are generated (prometheus-rules/dashboards/generate.py)" $PY "$D/generate.py" "$T/dash"
for f in infrastructure application database; do
	check "checked-in $f.json is up to date" cmp -s "$D/$f.json" "$T/dash/$f.json"
done
check "grafana provisioning renders to valid YAML naming uid prometheus" bash -c "
	$PY '$SRC_DIR/prometheus-rules/render.py' '$SRC_DIR/prometheus-rules/grafana/datasource.yml.j2' |
		$PY -c 'import sys, yaml; d = yaml.safe_load(sys.stdin)[\"datasources\"][0]; sys.exit(d[\"uid\"] != \"prometheus\")' &&
	$PY '$SRC_DIR/prometheus-rules/render.py' '$SRC_DIR/prometheus-rules/grafana/dashboards.yml.j2' |
		$PY -c 'import sys, yaml; d = yaml.safe_load(sys.stdin)[\"providers\"][0]; sys.exit(d[\"type\"] != \"file\")'"

e2e_require
e2e_stack_up "$T/stack" || { fail "stack up"; finish; }
echo "# orderd $ORDERD_URL, Prometheus $PROM_URL"

out=$(e2e_load 15 mixed 8)
echo "$out" | grep -E "requests in|Requests/sec|Socket|Non-2xx" | sed 's/^/# wrk: /'
for i in 1 2 3 4 5; do
	curl -s -o /dev/null "$ORDERD_URL/api/error"
	curl -s -o /dev/null "$ORDERD_URL/api/error?type=client"
	curl -s -o /dev/null "$ORDERD_URL/api/order/999999999"
	curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"hello": "prism"}' "$ORDERD_URL/api/echo"
done
check "recorded RED series present" prom_wait 'endpoint:orderd_http_requests:rate1m{endpoint="/api/order"} > 0' 30
# A few more scrapes after the load, so every rate window holds samples.
sleep 4

out=$($PY "$SRC_DIR/tests/e2e/dashboard_queries.py" "$PROM_URL" "$D"/*.json 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "every dashboard query runs and returns data ($(echo "$out" | tail -1))" test $rc -eq 0

finish
