#!/bin/bash
# Bounded concurrency: with every worker busy and the queue full, orderd
# answers 503 + Retry-After at once (shed) instead of stalling or resetting;
# the queued requests still complete.  Also: 300 concurrent connections
# against a small pool give only 2xx/503, never a reset.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --db.pool-size=1 --db.queue-size=1 --db.timeout=10s --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "not ready"; finish; }

post() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"customer_id\":1,\"items\":[{\"product_id\":$1,\"quantity\":1,\"unit_price\":\"1.00\"}]}" \
		"$ORDERD_URL/api/order"
}

# The only worker blocks on customer 1's row lock (held 2 s); the next
# request waits in the one-slot queue; the third finds no room.
mariadb_root orders_db -e "BEGIN; SELECT customer_id FROM customer WHERE customer_id=1 FOR UPDATE; SELECT SLEEP(2); COMMIT;" >/dev/null &
locker=$!
sleep 0.3
post 424201 >"$dir/a" &
pa=$!
sleep 0.3
post 424202 >"$dir/b" &
pb=$!
sleep 0.3
hdr="$dir/hdr"
start=${EPOCHREALTIME/./}
code=$(curl -s -D "$hdr" -o "$dir/body" -w '%{http_code}' --max-time 20 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "third request shed with 503" [ "$code" = 503 ]
check "shed at once (${ms} ms)" [ "$ms" -lt 500 ]
check "shed answer has Retry-After" grep -qi '^Retry-After: 1' "$hdr"
check "shed answer is JSON" grep -q '"error"' "$dir/body"
wait "$pa" "$pb" "$locker"
check "the busy request completed (201)" [ "$(cat "$dir/a")" = 201 ]
check "the queued request completed (201)" [ "$(cat "$dir/b")" = 201 ]
curl -s "$ORDERD_METRICS_URL/metrics" >"$dir/metrics"
check "overloaded counted in orderd_errors_total" \
	grep -Eq '^orderd_errors_total\{type="overloaded",endpoint="/api/order/:id"\} [1-9]' "$dir/metrics"
check 'the shed answer counted under status="503" (the 5xx alerts select it)' \
	grep -q '^orderd_http_requests_total{endpoint="/api/order/:id",method="GET",status="503"} 1$' "$dir/metrics"
check 'the two POSTs counted under status="201"' \
	grep -q '^orderd_http_requests_total{endpoint="/api/order",method="POST",status="201"} 2$' "$dir/metrics"
check 'nothing counted under status="other"' [ "$(grep -Ec '^orderd_http_requests_total\{.*status="other"\} [1-9]' "$dir/metrics")" = 0 ]

# Many connections at once against a tiny pool: 2xx or 503, no resets.
out=$($PY - "$ORDERD_URL" <<'EOF'
import sys, threading, urllib.request, urllib.error, collections
url = sys.argv[1]
n = 300
barrier = threading.Barrier(n)
res = collections.Counter()
lock = threading.Lock()
def run(i):
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen("%s/api/order/%d" % (url, 1 + i % 5), timeout=20) as r:
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception as e:
        code = type(e).__name__
    with lock:
        res[code] += 1
ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print("bad=%d" % sum(v for k, v in res.items() if k not in (200, 503)),
      " ".join("%s=%d" % kv for kv in sorted(res.items(), key=str)))
EOF
)
echo "# 300 concurrent GETs: $out"
check "300 concurrent: only 200/503 answers" [ "${out%% *}" = bad=0 ]
check "300 concurrent: some served" grep -q ' 200=' <<<"$out"
orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
finish
