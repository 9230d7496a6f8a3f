#!/bin/bash
# orderd's API against a real MariaDB: every status code, rows verified in
# the DB, validation matrix, idempotency (sequential and concurrent), the
# race on a new customer, 50 concurrent orders with exact totals, probes,
# diagnostics, X-Request-Id and the metrics (promtool-clean).
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
CONC="$SRC_DIR/tests/integration/orderd/conc.py"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --log.requests=all --web.enable-drill-endpoints || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "readiness never 200"; finish; }

status_of() { echo "${1%% *}"; }
body_of() { echo "${1#* }"; }

# expect_400 FIELD BODY [CURL ARGS]: a 400 naming FIELD
expect_400() {
	local field=$1 body=$2 r got
	shift 2
	r=$(http POST /api/order "$body" "$@")
	got=$(body_of "$r" | json 'j.get("field")' 2>/dev/null)
	if [ "$(status_of "$r")" = 400 ] && [ "$got" = "$field" ]; then
		pass "400 field=$field for $body"
	else
		fail "expected 400 field=$field for $body, got: $r"
	fi
}

# ---- POST: 201, Location, the rows and the total in the DB
post='{"customer_id":10,"customer":{"name":"Jane Doe","email":"jane@example.com"},"items":[{"product_id":101,"quantity":2,"unit_price":19.99},{"product_id":7,"quantity":3,"unit_price":"0.10"}]}'
hdrs=$(mktemp); on_exit "rm -f $hdrs"
body=$(curl -s -D "$hdrs" -X POST -H 'Content-Type: application/json' --data-binary "$post" "$ORDERD_URL/api/order")
check "POST answers 201" grep -q '^HTTP/1.1 201' "$hdrs"
oid=$(echo "$body" | json 'j["order_id"]')
check "Location names the order" grep -qi "^Location: /api/order/$oid" "$hdrs"
check "X-Request-Id on POST" grep -qi '^X-Request-Id: ' "$hdrs"
check "total is the exact decimal string" [ "$(echo "$body" | json 'j["total_amount"]')" = "40.28" ]
check "unit prices are decimal strings" [ "$(echo "$body" | json '[i["unit_price"] for i in j["items"]]')" = '["19.99", "0.10"]' ]
check "created_at is RFC 3339 UTC" grep -Eq '"created_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"' <<<"$body"
check "DB total is 40.28" [ "$(sql "SELECT total_amount FROM orders WHERE order_id=$oid")" = "40.28" ]
check "DB has both items" [ "$(sql "SELECT COUNT(*) FROM order_items WHERE order_id=$oid")" = 2 ]
check "DB items sum to the total" [ "$(sql "SELECT SUM(quantity*unit_price) = (SELECT total_amount FROM orders WHERE order_id=$oid) FROM order_items WHERE order_id=$oid")" = 1 ]
check "customer 10 row from the body" [ "$(sql "SELECT CONCAT(name,'|',email) FROM customer WHERE customer_id=10")" = "Jane Doe|jane@example.com" ]

# ---- GET: same shape and bytes as the POST's answer
r=$(http GET "/api/order/$oid")
check "GET 200" [ "$(status_of "$r")" = 200 ]
check "GET body equals POST body" [ "$(body_of "$r")" = "$body" ]
check "GET keys in the documented order" [ "$(body_of "$r" | json 'list(j.keys())')" = '["order_id", "customer_id", "customer", "status", "total_amount", "created_at", "items"]' ]
check "customer object shape" [ "$(body_of "$r" | json 'list(j["customer"].keys())')" = '["customer_id", "name", "email"]' ]
check "item shape" [ "$(body_of "$r" | json 'list(j["items"][0].keys())')" = '["item_id", "product_id", "quantity", "unit_price"]' ]

# fallback customer values
r=$(http POST /api/order '{"customer_id":4242,"items":[{"product_id":1,"quantity":1,"unit_price":"19.99"}]}')
check "string price accepted (201)" [ "$(status_of "$r")" = 201 ]
check "generated fallback name/email" [ "$(sql "SELECT CONCAT(name,'|',email) FROM customer WHERE customer_id=4242")" = "Customer 4242|customer4242@example.invalid" ]
r=$(http POST /api/order '{"customer_id":4243,"customer":{"name":"Zoë Ünïcode ✓"},"items":[{"product_id":1,"quantity":1,"unit_price":0}],"note":"unknown fields are ignored"}')
check "UTF-8 name, price 0 and an unknown field: 201" [ "$(status_of "$r")" = 201 ]
check "UTF-8 name stored" [ "$(sql "SELECT name FROM customer WHERE customer_id=4243")" = "Zoë Ünïcode ✓" ]
check "UTF-8 name answered" [ "$(body_of "$r" | json 'j["customer"]["name"]')" = "Zoë Ünïcode ✓" ]

# ---- GET errors
for id in abc 0 -1 2147483648 99999999999999999999 1.5; do
	r=$(http GET "/api/order/$id")
	check "GET /api/order/$id is 400" [ "$(status_of "$r")" = 400 ]
done
r=$(http GET /api/order/2147483647)
check "unknown order is 404" [ "$(status_of "$r")" = 404 ]
check "404 is JSON with error" [ "$(body_of "$r" | json '"error" in j')" = True ]

# ---- validation matrix: each bad field is a 400 naming it
item='{"product_id":1,"quantity":1,"unit_price":1}'
expect_400 customer_id "{\"items\":[$item]}"
expect_400 customer_id "{\"customer_id\":\"10\",\"items\":[$item]}"
expect_400 customer_id "{\"customer_id\":0,\"items\":[$item]}"
expect_400 customer_id "{\"customer_id\":1.5,\"items\":[$item]}"
expect_400 customer_id "{\"customer_id\":2147483648,\"items\":[$item]}"
expect_400 customer_id "{\"customer_id\":null,\"items\":[$item]}"
expect_400 items '{"customer_id":1}'
expect_400 items '{"customer_id":1,"items":{}}'
expect_400 items '{"customer_id":1,"items":[]}'
many=$($PY -c "import json; print(json.dumps({'customer_id':1,'items':[{'product_id':1,'quantity':1,'unit_price':1}]*101}))")
expect_400 items "$many"
expect_400 'items[0]' '{"customer_id":1,"items":[5]}'
expect_400 'items[0].product_id' '{"customer_id":1,"items":[{"quantity":1,"unit_price":1}]}'
expect_400 'items[0].product_id' '{"customer_id":1,"items":[{"product_id":"x","quantity":1,"unit_price":1}]}'
expect_400 'items[1].quantity' "{\"customer_id\":1,\"items\":[$item,{\"product_id\":1,\"quantity\":0,\"unit_price\":1}]}"
expect_400 'items[0].quantity' '{"customer_id":1,"items":[{"product_id":1,"quantity":-1,"unit_price":1}]}'
expect_400 'items[0].quantity' '{"customer_id":1,"items":[{"product_id":1,"quantity":1000001,"unit_price":1}]}'
expect_400 'items[0].quantity' '{"customer_id":1,"items":[{"product_id":1,"quantity":99999999999999999999,"unit_price":1}]}'
expect_400 'items[0].quantity' '{"customer_id":1,"items":[{"product_id":1,"quantity":2.0,"unit_price":1}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":19.999999999999999}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":19.999}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":"19.999"}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":-1}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":"-0.01"}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":1e2}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":"abc"}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":100000000}]}'
expect_400 'items[0].unit_price' '{"customer_id":1,"items":[{"product_id":1,"quantity":1,"unit_price":true}]}'
expect_400 items '{"customer_id":1,"items":[{"product_id":1,"quantity":1000000,"unit_price":99999999.99}]}'
expect_400 customer '{"customer_id":1,"customer":"Jane","items":[{"product_id":1,"quantity":1,"unit_price":1}]}'
long=$(printf 'x%.0s' $(seq 256))
expect_400 customer.name "{\"customer_id\":1,\"customer\":{\"name\":\"$long\"},\"items\":[$item]}"
expect_400 customer.name "{\"customer_id\":1,\"customer\":{\"name\":123},\"items\":[$item]}"
expect_400 customer.email "{\"customer_id\":1,\"customer\":{\"email\":\"not-an-address\"},\"items\":[$item]}"
expect_400 Idempotency-Key "{\"customer_id\":1,\"items\":[$item]}" -H 'Idempotency-Key: has space'
expect_400 Idempotency-Key "{\"customer_id\":1,\"items\":[$item]}" -H "Idempotency-Key: $(printf 'k%.0s' $(seq 129))"
# 255 characters of multi-byte UTF-8 are fine
name255=$(printf 'é%.0s' $(seq 255))
r=$(http POST /api/order "{\"customer_id\":4244,\"customer\":{\"name\":\"$name255\"},\"items\":[$item]}")
check "255-character name accepted" [ "$(status_of "$r")" = 201 ]

for bad in '{"customer_id":1,' '{"customer_id":1} trailing' '' '[1,2]' 'null'; do
	r=$(http POST /api/order "$bad")
	[ -z "$bad" ] && r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$ORDERD_URL/api/order")
	check "malformed body '$bad' is 400" [ "$(status_of "$r")" = 400 ]
done
r=$(printf '{"customer_id":1,"customer":{"name":"\xff\xfe"},"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' |
	curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- "$ORDERD_URL/api/order")
check "non-UTF-8 body is 400" [ "${r##* }" = 400 ]
r=$(printf '{"customer_id":1,"customer":{"name":"\xed\xa0\x80"},"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' |
	curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- "$ORDERD_URL/api/order")
check "UTF-8-encoded surrogate is 400 (not a DB error)" [ "${r##* }" = 400 ]
r=$(printf '{"customer_id":1,"customer":{"name":"\xc0\xaf"},"items":[{"product_id":1,"quantity":1,"unit_price":1}]}' |
	curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- "$ORDERD_URL/api/order")
check "overlong UTF-8 is 400" [ "${r##* }" = 400 ]
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data-binary "$post" "$ORDERD_URL/api/order")
check "text/plain is 415" [ "$r" = 415 ]
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$post" -H 'Content-Type:' "$ORDERD_URL/api/order")
check "no Content-Type is 415" [ "$r" = 415 ]
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json; charset=utf-8' --data-binary "$post" "$ORDERD_URL/api/order")
check "application/json; charset=utf-8 accepted" [ "$r" = 201 ]
big=$(mktemp); on_exit "rm -f $big"
head -c 2097152 /dev/zero | tr '\0' ' ' >"$big"
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$big" "$ORDERD_URL/api/order")
check "2 MB body is 413" [ "$r" = 413 ]
check "no order row from rejected requests" [ "$(sql "SELECT COUNT(*) FROM orders WHERE customer_id=1 AND created_at > NOW() - INTERVAL 1 HOUR")" = 0 ]

# ---- idempotency, sequential
key="it-$RANDOM-$$"
b1='{"customer_id":11,"items":[{"product_id":101,"quantity":2,"unit_price":19.99}]}'
r1=$(http POST /api/order "$b1" -H "Idempotency-Key: $key")
r2=$(http POST /api/order "$b1" -H "Idempotency-Key: $key")
check "first use of a key: 201" [ "$(status_of "$r1")" = 201 ]
check "retry with the same key: 200" [ "$(status_of "$r2")" = 200 ]
check "retry answers the first order" [ "$(body_of "$r1")" = "$(body_of "$r2")" ]
r3=$(http POST /api/order '{"customer_id":11,"items":[{"product_id":101,"quantity":3,"unit_price":19.99}]}' -H "Idempotency-Key: $key")
check "same key, different body: 422" [ "$(status_of "$r3")" = 422 ]
check "422 names the header" [ "$(body_of "$r3" | json 'j["field"]')" = Idempotency-Key ]
r4=$(http POST /api/order '{"items":[{"unit_price":19.99,"quantity":2,"product_id":101}],  "customer_id":11}' -H "Idempotency-Key: $key")
check "same request, other key order/whitespace: 200" [ "$(status_of "$r4")" = 200 ]
check "one order stored for the key" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key='$key'")" = 1 ]
# a replay is the last thing the writers did: nothing may stay open
check "no transaction left open after a replay" [ "$(sql "SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE p.user = 'app_user'")" = 0 ]

# ---- idempotency, concurrent: the unique index decides
key2="conc-$RANDOM-$$"
out=$($CONC "$ORDERD_URL" 10 same-key "$key2" '{"customer_id":12,"items":[{"product_id":1,"quantity":1,"unit_price":"1.00"}]}')
check "10 concurrent same-key: one 201" [ "$(echo "$out" | grep -c '"status": 201')" = 1 ]
check "10 concurrent same-key: nine 200" [ "$(echo "$out" | grep -c '"status": 200')" = 9 ]
check "10 concurrent same-key: one order id" [ "$(echo "$out" | $PY -c 'import sys,json; print(len({json.loads(l)["body"]["order_id"] for l in sys.stdin}))')" = 1 ]
check "10 concurrent same-key: one row" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key='$key2'")" = 1 ]

# ---- the same new customer from concurrent requests: all succeed, one row
out=$($CONC "$ORDERD_URL" 10 same-body '{"customer_id":777777,"customer":{"name":"Race","email":"race@example.com"},"items":[{"product_id":1,"quantity":1,"unit_price":"2.50"}]}')
check "10 concurrent new-customer POSTs all 201" [ "$(echo "$out" | grep -c '"status": 201')" = 10 ]
check "one customer row" [ "$(sql "SELECT COUNT(*) FROM customer WHERE customer_id=777777")" = 1 ]
check "ten orders for it" [ "$(sql "SELECT COUNT(*) FROM orders WHERE customer_id=777777")" = 10 ]

# ---- 50 concurrent orders, exact totals
out=$($CONC "$ORDERD_URL" 50 distinct)
check "50 concurrent POSTs: 50 x 201" [ "$(echo "$out" | grep -c '"status": 201')" = 50 ]
bad=$(echo "$out" | $PY -c '
import sys, json, subprocess
bad = 0
for l in sys.stdin:
    r = json.loads(l)
    if r["status"] != 201 or r["body"]["total_amount"] != r["expected_total"]:
        bad += 1
print(bad)')
check "50 answers carry the exact totals" [ "$bad" = 0 ]
check "50 orders in the DB" [ "$(sql "SELECT COUNT(*) FROM orders WHERE customer_id BETWEEN 900000 AND 900049")" = 50 ]
check "every DB total equals its items" [ "$(sql "SELECT COUNT(*) FROM orders o WHERE customer_id BETWEEN 900000 AND 900049 AND total_amount <> (SELECT SUM(quantity*unit_price) FROM order_items i WHERE i.order_id=o.order_id)")" = 0 ]
expected=$(echo "$out" | $PY -c 'import sys,json; from decimal import Decimal; print(sum(Decimal(json.loads(l)["expected_total"]) for l in sys.stdin))')
check "sum of the 50 DB totals is exact ($expected)" [ "$(sql "SELECT SUM(total_amount) FROM orders WHERE customer_id BETWEEN 900000 AND 900049")" = "$expected" ]

# ---- no transaction left open on orderd's connections once it is idle
# (the writer connections run with autocommit=0; an open one would hold
# locks and block DDL)
# a writer per worker (16 by default) + the checker, plus one reader per API
# thread that has served a GET (GETs run on the API threads' own
# connections; one thread per CPU by default); a worker opens its reader
# only when a GET reaches it, which none does while the DB is ready
# (test_pool_default.sh counts them exactly)
nconn=$(sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app_user'")
check "pool + 1 + at most one per API thread DB connections ($nconn)" \
	[ "$nconn" -ge 17 -a "$nconn" -le $((17 + $(getconf _NPROCESSORS_ONLN))) ]
check "no open transaction while idle" [ "$(sql "SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE p.user = 'app_user'")" = 0 ]
check "writer never left inside a transaction" [ "$(grep -c 'left in a transaction' "$ORDERD_LOG")" = 0 ]

# ---- probes, diagnostics, unknown paths, methods
r=$(http GET /health); check "/health 200" [ "$(status_of "$r")" = 200 ]
check "/health reports the DB" [ "$(body_of "$r" | json 'j["database"]')" = up ]
r=$(http GET /health/liveness); check "liveness 200" [ "$(status_of "$r")" = 200 ]
r=$(http GET /health/readiness); check "readiness 200" [ "$(status_of "$r")" = 200 ]
r=$(http POST /api/echo '{"message":"Hello World","n":[1,2.50]}')
check "echo 200" [ "$(status_of "$r")" = 200 ]
check "echo wraps the JSON" [ "$(body_of "$r")" = '{"status":"success","data":{"message":"Hello World","n":[1,2.50]}}' ]
r=$(http POST /api/echo '{bad'); check "echo malformed 400" [ "$(status_of "$r")" = 400 ]
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' -d x "$ORDERD_URL/api/echo")
check "echo text/plain 415" [ "$r" = 415 ]
r=$(http GET '/api/error?type=client'); check "error?type=client 400" [ "$(status_of "$r")" = 400 ]
r=$(http GET /api/error); check "error 500" [ "$(status_of "$r")" = 500 ]
r=$(http GET '/api/error?type=server'); check "error?type=server 500" [ "$(status_of "$r")" = 500 ]
r=$(http GET /no/such/path-$RANDOM); check "unknown path 404" [ "$(status_of "$r")" = 404 ]
check "unknown path 404 is JSON" [ "$(body_of "$r" | json '"error" in j')" = True ]
r=$(http DELETE /api/order); check "DELETE /api/order 405" [ "$(status_of "$r")" = 405 ]
rid=$(curl -s -D - -o /dev/null -H 'X-Request-Id: my-trace-123' "$ORDERD_URL/health" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')
check "client X-Request-Id echoed" [ "$rid" = my-trace-123 ]
rid=$(curl -s -D - -o /dev/null "$ORDERD_URL/no/such" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')
check "X-Request-Id generated on a 404" [ -n "$rid" ]

# ---- the per-request log line
check "request log line with method, endpoint, status, duration, id" \
	grep -Eq 'msg=request method=GET endpoint=/api/order/:id .*status=200 duration_seconds=[0-9.]+ request_id=' "$ORDERD_LOG"

# ---- metrics
m=$(mktemp); on_exit "rm -f $m"
curl -s "$ORDERD_METRICS_URL/metrics" >"$m"
check "requests_total is a counter" grep -q '^# TYPE orderd_http_requests_total counter' "$m"
check "GET /api/order/:id 200 counted" grep -Eq '^orderd_http_requests_total\{endpoint="/api/order/:id",method="GET",status="200"\} [1-9]' "$m"
check "POST 201 counted" grep -Eq '^orderd_http_requests_total\{endpoint="/api/order",method="POST",status="201"\} [1-9]' "$m"
check "415 counted: the 3 sent (text/plain, no Content-Type, the empty malformed body)" grep -q '^orderd_http_requests_total{endpoint="/api/order",method="POST",status="415"} 3$' "$m"
check "413 counted: the 1 sent" grep -q '^orderd_http_requests_total{endpoint="/api/order",method="POST",status="413"} 1$' "$m"
check "DELETE counted as 405" grep -q '^orderd_http_requests_total{endpoint="unknown",method="OTHER",status="405"} 1$' "$m"
check 'nothing counted under status="other"' [ "$(grep -Ec '^orderd_http_requests_total\{.*status="other"\} [1-9]' "$m")" = 0 ]
check "echo counted" grep -Eq '^orderd_http_requests_total\{endpoint="/api/echo",method="POST",status="200"\} [1-9]' "$m"
check "unknown paths share one label" grep -Eq '^orderd_http_requests_total\{endpoint="unknown",method="GET",status="404"\} [1-9]' "$m"
check "no raw path as a label" [ "$(grep -c 'no/such' "$m")" = 0 ]
check "duration is a histogram" grep -q '^# TYPE orderd_http_request_duration_seconds histogram' "$m"
check "duration has the 0.3 bucket" grep -q '^orderd_http_request_duration_seconds_bucket{endpoint="/api/order/:id",method="GET",le="0.3"}' "$m"
check "in-flight gauge" grep -q '^# TYPE orderd_http_requests_in_flight gauge' "$m"
check "in-flight gauge 0 while idle" grep -q '^orderd_http_requests_in_flight 0$' "$m"
check "errors_total by type" grep -Eq '^orderd_errors_total\{type="validation",endpoint="/api/order"\} [1-9]' "$m"
check "errors_total idempotency" grep -Eq '^orderd_errors_total\{type="idempotency_conflict",endpoint="/api/order"\} [1-9]' "$m"
check "db query histogram" grep -Eq '^orderd_db_query_duration_seconds_count\{query="get_order"\} [1-9]' "$m"
check "db connections: all but the checker's idle ($((nconn - 1)))" grep -q "^orderd_db_connections{state=\"idle\"} $((nconn - 1))\$" "$m"
check "db connections: 0 busy while idle" grep -q '^orderd_db_connections{state="busy"} 0$' "$m"
check "orders_created_total" grep -Eq '^orderd_orders_created_total [1-9]' "$m"
check "orderd_ready 1" grep -q '^orderd_ready 1' "$m"
check "process metrics" grep -q '^process_cpu_seconds_total' "$m"
check "build info" grep -q '^orderd_build_info{' "$m"
if command -v promtool >/dev/null; then
	check "promtool check metrics is clean" promtool check metrics <"$m"
else
	fail "promtool missing (make deps installs prometheus)"
fi
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_METRICS_URL/-/healthy"); check "/-/healthy 200" [ "$r" = 200 ]
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_METRICS_URL/"); check "landing page 200" [ "$r" = 200 ]
r=$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/metrics"); check "no /metrics on the API listener" [ "$r" = 404 ]

orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
finish
