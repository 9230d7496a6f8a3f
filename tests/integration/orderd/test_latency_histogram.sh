#!/bin/bash
# orderd_http_request_duration_seconds tells the latency orderd really has
# (issue 15).  N keep-alive GETs, each timed by the client; orderd logs each
# one's own duration (--log.requests=all); a real Prometheus scrapes orderd
# and computes histogram_quantile over the classic buckets.  Checks:
#  - histogram_quantile's p50 and p95 are within one bucket step (bounds are
#    at most 5/3 apart) of the exact p50/p95 of orderd's logged durations:
#    with the old first bucket, 5 ms, every sub-millisecond GET sat in one
#    bucket and the median came out 2.5 ms, ten times the truth;
#  - against the client: the exact server p50/p95 never exceed the client's
#    (orderd times a part of each request: its first byte to the response
#    queued), and histogram_quantile's stays below the client's figure
#    rounded up to its bucket bound (interpolation may overshoot inside one
#    bucket) and above a third of the client's figure net of the client's
#    own overhead (its p50 on /health/liveness, which does no work);
#  - every bucket: orderd's cumulative count at le=B is at least the number
#    of requests the client timed <= B (the server's distribution is below
#    the client's everywhere, not only at two quantiles).
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
# warm-up (connections to MariaDB, caches) and the client's own overhead
read -r base _ _ < <($LC "$hp" 200 "/health/liveness")
read -r c50 c95 cn < <($LC "$hp" "$N" "/api/order/{i}" --dump "$dir/client.lat")
check "client: $cn GETs answered 200" [ "$cn" = "$N" ]

prom_config "$dir/prometheus.yml" 1s orderd="${ORDERD_METRICS_URL#http://}"
prom_start "$dir/prom" "$dir/prometheus.yml" || { fail "prometheus did not start"; finish; }
sel='endpoint="/api/order/:id",method="GET"'
check "Prometheus scraped all $N GETs" \
	prom_wait_value "orderd_http_request_duration_seconds_count{$sel}" "$N" 60
s50=$(prom_query_value "histogram_quantile(0.5, sum by (le) (orderd_http_request_duration_seconds_bucket{$sel}))")
s95=$(prom_query_value "histogram_quantile(0.95, sum by (le) (orderd_http_request_duration_seconds_bucket{$sel}))")
curl -s "$ORDERD_METRICS_URL/metrics" >"$dir/metrics"

# judge Q SERVER-ESTIMATE CLIENT BASE
judge() {
	$PY - "$@" "$ORDERD_LOG" "$dir/client.lat" "$dir/metrics" "$sel" <<'PYEOF'
import json, math, re, sys
q, s, c, base, logf, clf, mf, sel = sys.argv[1:]
s, c, base = float(s), float(c), float(base)
phi = {"p50": 0.5, "p95": 0.95}.get(q)
logged = sorted(float(j["duration_seconds"]) for j in map(json.loads, filter(str.strip, open(logf)))
                if j.get("msg") == "request" and j.get("endpoint") == "/api/order/:id")
bounds = [b * 10 ** k for k in range(5) for b in (1e-4, 1.5e-4, 2e-4, 3e-4, 5e-4, 7e-4)] + [10.0]
if phi is None:  # the bucket-by-bucket check
    text, lat = open(mf).read(), [float(x) for x in open(clf)]
    pat = r'^orderd_http_request_duration_seconds_bucket\{%s,le="([^"]+)"\} (\d+)$' % re.escape(sel)
    rows, bad = re.findall(pat, text, re.M), 0
    for le, cnt in rows:
        n = sum(1 for x in lat if x <= float(le))
        if int(cnt) < n:
            print("# le=%s: orderd counts %s, the client timed %d at or below it" % (le, cnt, n))
            bad += 1
    print("# %d buckets compared" % len(rows))
    sys.exit(1 if bad or len(rows) < 2 else 0)
e = logged[max(0, math.ceil(phi * len(logged)) - 1)]
up = next((b for b in bounds if b >= c * (1 - 1e-9)), c)
lo = max(c - base, 0) / 3
ok = [len(logged) > 0,
      e / (5 / 3) * 0.999 <= s <= e * (5 / 3) * 1.001,
      e <= c,
      lo <= s <= up]
print("# %s: histogram_quantile %.6f, orderd's log %.6f (%d lines), client %.6f (overhead %.6f)"
      % (q, s, e, len(logged), c, base))
print("# %s: estimate/logged %.3f (allowed 0.6..1.67); logged <= client %s; estimate in [%.6f, %.6f] %s"
      % (q, s / e if e else float("nan"), e <= c, lo, up, lo <= s <= up))
sys.exit(0 if all(ok) else 1)
PYEOF
}
echo "# client p50 $c50 p95 $c95; histogram_quantile p50 $s50 p95 $s95 (seconds)"
check "p50: histogram_quantile within a bucket step of orderd's exact p50; both agree with the client's" judge p50 "${s50:-nan}" "$c50" "$base"
check "p95: histogram_quantile within a bucket step of orderd's exact p95; both agree with the client's" judge p95 "${s95:-nan}" "$c95" "$base"
check "every bucket: orderd's count at le=B >= the client's requests timed <= B" judge all 0 0 0
# No native histograms in this Prometheus: the dashboard falls back to the buckets.
check "dashboard: every query of orderd_http_request_duration_seconds returns data (classic fallback)" \
	$PY "$SRC_DIR/tests/integration/orderd/dashq.py" "$PROM_URL" "$SRC_DIR/prometheus-rules/dashboards/application.json" orderd_http_request_duration_seconds
finish
