#!/bin/bash
# Native histograms (issue 15): a real Prometheus 2.42 with
# --enable-feature=native-histograms asks orderd for the protobuf exposition
# and keeps orderd_http_request_duration_seconds as a sparse exponential
# histogram; histogram_quantile(0.95, rate(...[1m])) over it must match the
# p95 of the same GETs: within 10% of orderd's own exact figure (from its
# log; schema 3's buckets are 9% wide) and not above the client's (plus
# that 10%).  Text scrapes are unchanged; an Accept asking for a protobuf
# orderd does not speak, or nothing known, gets text 0.0.4.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
[ -x "$PROMETHEUS_BIN" ] || { echo "skip: $PROMETHEUS_BIN not installed (make deps)"; exit 77; }
N=${LAT_N:-400}

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
ORDERD_LOG=$dir/orderd.log orderd_start --log.requests=all --log.format=json || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "readiness never 200"; finish; }
hp=${ORDERD_URL#http://}
LC="$PY $SRC_DIR/tests/integration/orderd/latclient.py"
read -r base _ _ < <($LC "$hp" 200 "/health/liveness")
$LC "$hp" 20 "/api/order/{i}" >/dev/null	# the series exists before the first scrape

# content negotiation, by hand
ct() { curl -s -o "$dir/body" -w '%{content_type}' "$@" "$ORDERD_METRICS_URL/metrics"; }
pbacc='Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
check "Prometheus's native-histogram Accept gets protobuf" \
	[ "$(ct -H "$pbacc")" = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited" ]
check "no Accept: text 0.0.4" [ "$(ct)" = "text/plain; version=0.0.4; charset=utf-8" ]
check "text scrape has the classic buckets" grep -q '^orderd_http_request_duration_seconds_bucket{endpoint="/api/order/:id",method="GET",le="0.0003"} ' "$dir/body"
check "protobuf of another message: text 0.0.4" \
	[ "$(ct -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.Other;encoding=delimited')" = "text/plain; version=0.0.4; charset=utf-8" ]
check "protobuf, other encoding: text 0.0.4" \
	[ "$(ct -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text')" = "text/plain; version=0.0.4; charset=utf-8" ]
check "unknown Accept: text 0.0.4" [ "$(ct -H 'Accept: application/x-nonsense;;;q=zz')" = "text/plain; version=0.0.4; charset=utf-8" ]

prom_config "$dir/prometheus.yml" 1s orderd="${ORDERD_METRICS_URL#http://}"
prom_start "$dir/prom" "$dir/prometheus.yml" --enable-feature=native-histograms || { fail "prometheus did not start"; finish; }
sel='endpoint="/api/order/:id",method="GET"'
check "Prometheus has the native histogram of the first 20 GETs" \
	prom_wait_value "histogram_count(orderd_http_request_duration_seconds{$sel})" 20 60
check "native: no classic _bucket series kept" [ "$(prom_query_count "orderd_http_request_duration_seconds_bucket{$sel}")" = 0 ]
check "every other family still there (counters, gauges, process)" bash -c "
	[ \"\$(curl -s --get --data-urlencode 'query=count({__name__=~\"orderd_http_requests_total|orderd_ready|process_resident_memory_bytes|orderd_db_connections|orderd_http_requests_in_flight\"}) by (__name__)' '$PROM_URL/api/v1/query' | $PY -c 'import json,sys; print(len(json.load(sys.stdin)[\"data\"][\"result\"]))')\" = 5 ]"
marker=$(wc -l <"$ORDERD_LOG")
read -r c50 c95 cn < <($LC "$hp" "$N" "/api/order/{i}")
check "client: $cn GETs answered 200" [ "$cn" = "$N" ]
check "Prometheus has them all" \
	prom_wait_value "histogram_count(orderd_http_request_duration_seconds{$sel})" $((N + 20)) 60
s95=$(prom_query_value "histogram_quantile(0.95, rate(orderd_http_request_duration_seconds{$sel}[1m]))")
s50=$(prom_query_value "histogram_quantile(0.5, rate(orderd_http_request_duration_seconds{$sel}[1m]))")
judge() {
	$PY - "$1" "${2:-nan}" "$3" "$base" "$ORDERD_LOG" "$marker" <<'PYEOF'
import json, math, sys
q, s, c, base, logf, skip = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6])
phi = {"p50": 0.5, "p95": 0.95}[q]
lines = open(logf).readlines()[skip:]
logged = sorted(float(j["duration_seconds"]) for j in (json.loads(l) for l in lines if l.startswith("{"))
                if j.get("msg") == "request" and j.get("endpoint") == "/api/order/:id")
e = logged[max(0, math.ceil(phi * len(logged)) - 1)] if logged else float("nan")
ok = len(logged) > 0 and 0.9 * e <= s <= 1.1 * e and e <= c and (c - base) / 3 <= s <= 1.1 * c
print("# %s: native histogram_quantile %.6f, orderd's log %.6f (%d requests), client %.6f (overhead %.6f): %s"
      % (q, s, e, len(logged), c, base, "ok" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
PYEOF
}
check "p95 over the native histogram: within 10% of orderd's exact p95, agrees with the client's" judge p95 "$s95" "$c95"
check "p50 over the native histogram: within 10% of orderd's exact p50, agrees with the client's" judge p50 "$s50" "$c50"
check "no scrape errors" [ "$(prom_target_field orderd lastError)" = "" ]
# The Application dashboard's p95 and heatmap read the native histogram here.
check "dashboard: every query of orderd_http_request_duration_seconds returns data" \
	$PY "$SRC_DIR/tests/integration/orderd/dashq.py" "$PROM_URL" "$SRC_DIR/prometheus-rules/dashboards/application.json" orderd_http_request_duration_seconds
dp95=$(prom_query_value "$($PY -c '
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p.get("targets", []):
        if p["title"].startswith("p95 response time") and t["legendFormat"] == "all p95":
            print(t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*"))
' "$SRC_DIR/prometheus-rules/dashboards/application.json")")
echo "# dashboard's all-p95 query: $dp95"
check "dashboard p95 is the native histogram's (within 10% of orderd's exact p95)" judge p95 "$dp95" "$c95"
finish
