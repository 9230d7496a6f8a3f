#!/bin/bash
# orderd when MariaDB is away: start-up before the DB (liveness 200,
# readiness 503, retries with backoff), MariaDB stopped during a write load
# (no crash, readiness 503, API 503 + Retry-After within the timeout) and
# restarted (recovery without restarting orderd; every order answered 201 is
# in the DB exactly once), and a SIGKILLed server.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
mariadb_stop

# ---- start-up with the DB down
orderd_start --db.timeout=1s --db.check-interval=200ms --db.retry-max-backoff=500ms --log.requests=errors || exit 1
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/liveness")
check "liveness 200 while the DB is down" [ "$r" = 200 ]
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/readiness")
check "readiness 503 while the DB is down" [ "$r" = 503 ]
r=$(curl -s "$ORDERD_METRICS_URL/metrics" | grep '^orderd_ready ')
check "orderd_ready 0 while the DB is down" [ "$r" = "orderd_ready 0" ]
hdr=$(mktemp); on_exit "rm -f $hdr"
start=${EPOCHREALTIME/./}
code=$(curl -s -D "$hdr" -o /dev/null -w '%{http_code}' --max-time 10 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "GET with the DB down: 503" [ "$code" = 503 ]
check "503 carries Retry-After" grep -qi '^Retry-After: ' "$hdr"
check "503 within the DB timeout (${ms} ms)" [ "$ms" -lt 1500 ]
check "still retrying the DB (log)" grep -q 'database not reachable, retrying' "$ORDERD_LOG"

mariadb_restart || exit 1
check "readiness 200 once the DB is up (no restart of orderd)" wait_http "$ORDERD_URL/health/readiness" 15
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/api/order/1")
check "GET works after the DB came up" [ "$r" = 200 ]

# ---- the DB stops during a write load, then comes back
load=$(tmpdir_new)
# Each writer POSTs a unique order (customer 5000+w, product = sequence) and
# records the status and, for 201, the order id.
writer() {
	local w=$1 i out code
	for ((i = 1; i <= 400; i++)); do
		out=$(curl -s -w ' %{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
			--data-binary "{\"customer_id\":$((5000 + w)),\"items\":[{\"product_id\":$i,\"quantity\":1,\"unit_price\":\"1.00\"}]}" \
			"$ORDERD_URL/api/order")
		code=${out##* }
		if [ "$code" = 201 ]; then
			echo "$code $w $i $(echo "${out% *}" | $PY -c 'import sys,json; print(json.load(sys.stdin)["order_id"])')"
		else
			echo "$code $w $i"
		fi
		[ -e "$load/stop" ] && break
	done >"$load/w$w"
}
wpids=()
for w in 1 2 3 4; do writer $w & wpids+=($!); done
sleep 1
mariadb_stop
check "orderd survived the DB going away" kill -0 "$ORDERD_PID"
check "readiness 503 after the DB stopped" wait_http "$ORDERD_URL/health/readiness" 10 503
start=${EPOCHREALTIME/./}
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "API 503 with the DB stopped" [ "$code" = 503 ]
check "503 within the DB timeout (${ms} ms)" [ "$ms" -lt 1500 ]
sleep 1
mariadb_restart || exit 1
check "readiness 200 after the restart" wait_http "$ORDERD_URL/health/readiness" 15
sleep 1
touch "$load/stop"
wait "${wpids[@]}"
cat "$load"/w* >"$load/all"
n201=$(grep -c '^201 ' "$load/all")
n503=$(grep -c '^503 ' "$load/all")
other=$(grep -vc -e '^201 ' -e '^503 ' "$load/all")
echo "# writes: $n201 x 201, $n503 x 503, $other other"
check "some writes succeeded" [ "$n201" -gt 0 ]
check "writes failed over to 503 during the outage" [ "$n503" -gt 0 ]
check "no answer other than 201/503 (no resets, no 500)" [ "$other" = 0 ]
check "writes succeed again after recovery" bash -c "for f in '$load'/w*; do tail -n 1 \"\$f\"; done | grep -q '^201 '"
# Every 201 is in the DB exactly once, with its item.
awk '$1 == 201 {print $4}' "$load/all" | sort -n >"$load/ids"
missing=0
while read -r id; do
	[ "$(sql "SELECT COUNT(*) FROM orders o JOIN order_items i USING (order_id) WHERE o.order_id=$id")" = 1 ] || missing=$((missing + 1))
done <"$load/ids"
check "every order answered 201 is in the DB with its item" [ "$missing" = 0 ]
dups=$(sql "SELECT COUNT(*) FROM (SELECT customer_id, product_id FROM orders JOIN order_items USING (order_id) WHERE customer_id BETWEEN 5001 AND 5004 GROUP BY customer_id, product_id HAVING COUNT(*) > 1) d")
check "no order stored twice" [ "$dups" = 0 ]
check "no partial order (orders without items)" [ "$(sql "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id=o.order_id)")" = 0 ]

# ---- a crashed (SIGKILLed) server
mariadb_kill
check "readiness 503 after a crash" wait_http "$ORDERD_URL/health/readiness" 10 503
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
	--data-binary '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' "$ORDERD_URL/api/order")
check "POST 503 with the DB crashed" [ "$code" = 503 ]
mariadb_restart || exit 1
check "recovered after the crash" wait_http "$ORDERD_URL/health/readiness" 15
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
	--data-binary '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' "$ORDERD_URL/api/order")
check "POST 201 after recovery" [ "$code" = 201 ]
check "orderd never restarted" kill -0 "$ORDERD_PID"
curl -s "$ORDERD_METRICS_URL/metrics" >"$load/metrics"
check "db_unavailable errors counted" grep -Eq '^orderd_errors_total\{type="db_unavailable",endpoint="/api/order"\} [1-9]' "$load/metrics"
# every 503 a writer saw, and the one POST while the DB was crashed, under
# status="503" (the 5xx alerts select it); the 201s likewise (+1 after recovery)
check "POST 503s counted under status=\"503\" ($n503 + 1)" \
	grep -q "^orderd_http_requests_total{endpoint=\"/api/order\",method=\"POST\",status=\"503\"} $((n503 + 1))\$" "$load/metrics"
check "POST 201s counted under status=\"201\" ($n201 + 1)" \
	grep -q "^orderd_http_requests_total{endpoint=\"/api/order\",method=\"POST\",status=\"201\"} $((n201 + 1))\$" "$load/metrics"
check 'nothing counted under status="other"' [ "$(grep -Ec '^orderd_http_requests_total\{.*status="other"\} [1-9]' "$load/metrics")" = 0 ]

# ---- connections killed under orderd while the DB stays up: the next
# request on each one is retried on a fresh connection, so clients see 2xx.
ids=$(sql "SELECT GROUP_CONCAT(id) FROM information_schema.processlist WHERE user='app_user'")
check "orderd holds DB connections" [ -n "$ids" -a "$ids" != NULL ]
for id in ${ids//,/ }; do sql "KILL CONNECTION $id" 2>/dev/null; done
codes=$(for i in $(seq 12); do
	curl -s -o /dev/null -w '%{http_code} ' --max-time 10 "$ORDERD_URL/api/order/1"
	curl -s -o /dev/null -w '%{http_code} ' --max-time 10 -X POST -H 'Content-Type: application/json' \
		--data-binary '{"customer_id":2,"items":[{"product_id":9,"quantity":1,"unit_price":"1.00"}]}' "$ORDERD_URL/api/order"
done)
echo "# after KILL CONNECTION: $codes"
check "killed connections are replaced transparently (no 5xx)" [ "$(echo "$codes" | tr ' ' '\n' | grep -c '^5')" = 0 ]

# ---- a hung server (SIGSTOP): every DB call times out, so the API answers
# 503 within about one --db.timeout (1 s here), never hangs.
kill -STOP "$MARIADB_PID"
on_exit "kill -CONT $MARIADB_PID"
start=${EPOCHREALTIME/./}
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "hung DB: GET 503" [ "$code" = 503 ]
check "hung DB: answered within the timeout (${ms} ms)" [ "$ms" -lt 2500 ]
check "hung DB: readiness 503" wait_http "$ORDERD_URL/health/readiness" 15 503
start=${EPOCHREALTIME/./}
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST -H 'Content-Type: application/json' \
	--data-binary '{"customer_id":3,"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' "$ORDERD_URL/api/order")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "hung DB: POST 503" [ "$code" = 503 ]
check "hung DB: POST answered within twice the timeout (${ms} ms)" [ "$ms" -lt 3500 ]
kill -CONT "$MARIADB_PID"
check "resumed DB: ready again" wait_http "$ORDERD_URL/health/readiness" 20
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$ORDERD_URL/api/order/1")
check "resumed DB: GET 200" [ "$code" = 200 ]

orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
finish
