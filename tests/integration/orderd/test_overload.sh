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
orderd_start --db.pool-size=1 --db.queue-size=1 --db.timeout=60s --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "not ready"; finish; }

# Every step waits for a condition, never for a fixed time (under ASan on
# a loaded machine any fixed sleep is too short some day).
until_true() { # SECONDS CMD...: poll CMD every 0.1 s
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
sq() { mariadb_root -N -B -e "$1" 2>/dev/null; }
locker_holds() { [ "$(sq "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(600)%'")" = 1 ]; }
worker_waits() { [ "$(sq "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state='LOCK WAIT'")" = 1 ]; }
done_() { [ -s "$dir/$1.code" ]; }
req() { # NAME CURL-ARGS...: one request in the background, status in NAME.code
	local n=$1
	shift
	curl -s -D "$dir/$n.hdr" -o "$dir/$n.body" -w '%{http_code}' --max-time 120 "$@" >"$dir/$n.tmp"
	mv "$dir/$n.tmp" "$dir/$n.code"
}

# The only worker blocks on customer 1's row lock, held until the test
# kills the holder; a second POST (b) takes the one queue slot; a GET (c)
# then finds no free job: GETs run on the HTTP thread without a worker, but
# each still takes a job, so it is shed with 503 while the worker is
# blocked.  (b is counted in flight at its request line and takes its job
# right after its body, in the same pass of the HTTP thread: the test waits
# for it to be in flight, then a second more.)
in_flight() { curl -s --max-time 5 "$ORDERD_METRICS_URL/metrics" | sed -n 's/^orderd_http_requests_in_flight //p'; }
two_in_flight() { [ "$(in_flight)" = 2 ]; }
mariadb_root orders_db -e "BEGIN; SELECT customer_id FROM customer WHERE customer_id=1 FOR UPDATE; SELECT SLEEP(600); COMMIT;" >/dev/null 2>&1 &
locker=$!
until_true 60 locker_holds || fail "the lock holder did not start"
req a -X POST -H 'Content-Type: application/json' --data-binary \
	'{"customer_id":1,"items":[{"product_id":424201,"quantity":1,"unit_price":"1.00"}]}' "$ORDERD_URL/api/order" &
pa=$!
until_true 60 worker_waits || fail "the worker did not reach the lock"
req b -X POST -H 'Content-Type: application/json' --data-binary \
	'{"customer_id":1,"items":[{"product_id":424202,"quantity":1,"unit_price":"1.00"}]}' "$ORDERD_URL/api/order" &
pb=$!
until_true 60 two_in_flight || fail "the second POST is not in flight"
sleep 1
req c "$ORDERD_URL/api/order/1" &
pc=$!
until_true 60 eval 'done_ c'
shed=c other=b
code=$(cat "$dir/$shed.code")
echo "# the GET: $code"
check "the GET finding no free job is shed with 503" [ "$code" = 503 ]
check "shed at once: while the worker is still blocked" locker_holds
check "shed answer has Retry-After" grep -qi '^Retry-After: 1' "$dir/$shed.hdr"
check "shed answer is JSON" grep -q '"error"' "$dir/$shed.body"
check "the queued POST is still waiting" eval '! done_ b'
# Release the lock: the busy and the queued request complete.
id=$(sq "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(600)%'")
[ -n "$id" ] && sq "KILL $id"
wait "$pa" "$pb" "$pc"
wait "$locker" 2>/dev/null
check "the busy request completed (201)" [ "$(cat "$dir/a.code")" = 201 ]
check "the queued POST completed (201)" [ "$(cat "$dir/b.code")" = 201 ]
posts=2 shed_ep=/api/order/:id shed_m=GET
curl -s "$ORDERD_METRICS_URL/metrics" >"$dir/metrics"
check "overloaded counted in orderd_errors_total" \
	grep -Eq "^orderd_errors_total\{type=\"overloaded\",endpoint=\"$shed_ep\"\} [1-9]" "$dir/metrics"
check 'the shed answer counted under status="503" (the 5xx alerts select it)' \
	grep -q "^orderd_http_requests_total{endpoint=\"$shed_ep\",method=\"$shed_m\",status=\"503\"} 1\$" "$dir/metrics"
check "the created POSTs counted under status=\"201\" ($posts)" \
	grep -q "^orderd_http_requests_total{endpoint=\"/api/order\",method=\"POST\",status=\"201\"} $posts\$" "$dir/metrics"
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
