#!/bin/bash
# With OpenMetrics, orderd_http_request_duration_seconds's buckets carry the
# X-Request-Id of the latest request that landed in each (issue 15): a real
# Prometheus with --enable-feature=exemplar-storage scrapes orderd, and
# query_exemplars returns the id of a deliberately slow request (a POST
# whose body the client trickles over ~1.2 s: orderd times from the first
# byte), the same id orderd logged for it, with its duration.  Generated ids
# (no X-Request-Id sent) are exemplars too.  The text format (0.0.4) keeps
# no exemplars; an id orderd refuses to echo is not recorded either.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
[ -x "$PROMETHEUS_BIN" ] || { echo "skip: $PROMETHEUS_BIN not installed (make deps)"; exit 77; }

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
ORDERD_LOG=$dir/orderd.log orderd_start --log.requests=all --log.format=json || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "readiness never 200"; finish; }

slow_id=slow-$RANDOM$RANDOM
for i in 1 2 3 4 5; do curl -s -o /dev/null -H "X-Request-Id: fast-$i" "$ORDERD_URL/api/order/$i"; done
curl -s -o /dev/null "$ORDERD_URL/api/order/7"	# a generated id
# the slow one: headers, then the body in two halves 1.2 s apart
$PY - "${ORDERD_URL#http://}" "$slow_id" <<'PYEOF' || fail "slow POST"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
body = b'{"customer_id": 4242, "items": [{"product_id": 1, "quantity": 1, "unit_price": "1.00"}]}'
s = socket.create_connection((host, int(port)), timeout=30)
s.sendall(b"POST /api/order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"X-Request-Id: " + sys.argv[2].encode() + b"\r\nConnection: close\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
time.sleep(1.2)
s.sendall(body[10:])
resp = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    resp += d
print("# slow POST answered: " + resp.split(b"\r\n", 1)[0].decode())
sys.exit(0 if resp.startswith(b"HTTP/1.1 201") else 1)
PYEOF

om='Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
curl -s -H "$om" "$ORDERD_METRICS_URL/metrics" >"$dir/om"
curl -s "$ORDERD_METRICS_URL/metrics" >"$dir/text"
grep '^orderd_http_request_duration_seconds_bucket{endpoint="/api/order' "$dir/om" | grep ' # ' | sed 's/^/# /' | head -8
check "OpenMetrics: the slow POST's id is an exemplar of a bucket >= 1 s" \
	$PY - "$dir/om" "$slow_id" <<'PYEOF'
import re, sys
text, want = open(sys.argv[1]).read(), sys.argv[2]
for m in re.finditer(r'^orderd_http_request_duration_seconds_bucket\{endpoint="/api/order",method="POST",le="([^"]+)"\} \d+ # \{request_id="([^"]+)"\} (\S+) (\S+)$', text, re.M):
    le, rid, v, ts = m.groups()
    if rid == want and float(v) >= 1.0 and float(v) <= float(le) and float(ts) > 1.6e9:
        sys.exit(0)
sys.exit(1)
PYEOF
check "OpenMetrics: a fast GET's id is an exemplar of a bucket < 1 s" \
	grep -Eq '^orderd_http_request_duration_seconds_bucket\{endpoint="/api/order/:id",method="GET",le="0\.[0-9]+"\} [0-9]+ # \{request_id="[^"]+"\} 0\.[0-9e-]+ [0-9.]+$' "$dir/om"
check "every exemplar's id is one orderd logged (given or generated)" \
	$PY - "$dir/om" "$ORDERD_LOG" <<'PYEOF'
import json, re, sys
ids = set(re.findall(r' # \{request_id="([^"]+)"\} ', open(sys.argv[1]).read()))
logged = set()
for l in open(sys.argv[2]):
    try:
        logged.add(json.loads(l).get("request_id"))
    except ValueError:
        pass
print("# %d exemplar ids, %d not in the log" % (len(ids), len(ids - logged)))
sys.exit(0 if len(ids) >= 3 and ids <= logged and any(not i.startswith(("fast-", "slow-")) for i in ids) else 1)
PYEOF
check "text 0.0.4: no exemplars" bash -c "! grep -q ' # ' '$dir/text'"
check "text 0.0.4: the buckets are there" grep -q '^orderd_http_request_duration_seconds_bucket{endpoint="/api/order",method="POST",le="1.5"} ' "$dir/text"

prom_config "$dir/prometheus.yml" 1s orderd="${ORDERD_METRICS_URL#http://}"
prom_start "$dir/prom" "$dir/prometheus.yml" --enable-feature=exemplar-storage || { fail "prometheus did not start"; finish; }
check "Prometheus scraped orderd" prom_wait_healthy orderd 30
qex() {
	local now
	now=$(date +%s)
	curl -s --max-time 5 --get --data-urlencode 'query=orderd_http_request_duration_seconds_bucket{endpoint="/api/order"}' \
		--data-urlencode "start=$((now - 600))" --data-urlencode "end=$((now + 60))" \
		"$PROM_URL/api/v1/query_exemplars"
}
found=
for ((i = 0; i < 100; i++)); do
	qex >"$dir/ex.json"
	grep -q "\"$slow_id\"" "$dir/ex.json" && { found=1; break; }
	sleep 0.3
done
check "query_exemplars returns the slow request's id" [ -n "$found" ]
exval=$($PY -c '
import json, sys
for s in json.load(open(sys.argv[1]))["data"]:
    for e in s["exemplars"]:
        if e["labels"].get("request_id") == sys.argv[2]:
            print(e["value"]); sys.exit(0)
' "$dir/ex.json" "$slow_id")
logdur=$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    try: j = json.loads(l)
    except ValueError: continue
    if j.get("msg") == "request" and j.get("request_id") == sys.argv[2]:
        print(j["duration_seconds"]); break
' "$ORDERD_LOG" "$slow_id")
echo "# exemplar value $exval; orderd's log line for $slow_id: duration_seconds=$logdur"
check "orderd logged the slow request under the same id" [ -n "$logdur" ]
check "the exemplar's value is the logged duration (>= 1.2 s, within 1 us)" \
	$PY -c 'import sys; e, l = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if l >= 1.2 and abs(e - l) <= 1e-6 else 1)' "${exval:-0}" "${logdur:-0}"
finish
