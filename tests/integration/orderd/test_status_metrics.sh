#!/bin/bash
# orderd's RED metrics hold the values this test caused (issue 16): every
# status orderd answers lands in orderd_http_requests_total under its own
# status label (the alerts select status=~"5.."; a 503 under "other" would
# hide an outage), the whole family equals the requests sent, "other" stays
# 0; the in-flight gauge, the DB connections busy/idle and the duration
# histogram's 0.3 s bucket show requests the test held in flight.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/lib/sqlfault.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
MV="$PY $SRC_DIR/tests/integration/orderd/metricvals.py"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
sqlfault_install orders_db order_items || { fail "installing the fault trigger"; finish; }
# One worker and a one-slot queue, so the test can fill both.
orderd_start --db.pool-size=1 --db.queue-size=1 --db.timeout=30s --log.requests=errors --web.enable-drill-endpoints || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "readiness never 200"; finish; }
# (wait_http's own requests are counted too: start from what is there now)
m=$dir/metrics
scrape() { curl -s "$ORDERD_METRICS_URL/metrics" >"$m"; }
scrape
declare -A want=()
while read -r k v; do [ -n "$k" ] && want[$k]=$v; done < <($MV "$m" orderd_http_requests_total endpoint method status)

# req STATUS ENDPOINT METHOD CURL-ARGS...: one request, its status checked
# and counted as expected under ENDPOINT|METHOD|STATUS.  Those the client saw
# answered within 0.3 s (1 s) are counted in fast03 (fast1): orderd's own
# measure of them cannot be longer.
declare -A fast03=() fast1=()
req() {
	local st=$1 ep=$2 me=$3 out code secs
	shift 3
	out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 "$@")
	code=${out% *} secs=${out#* }
	check "$me $ep -> $st (got $code)" [ "$code" = "$st" ]
	want[$ep|$me|$st]=$(( ${want[$ep|$me|$st]:-0} + 1 ))
	awk -v s="$secs" 'BEGIN {exit !(s <= 0.3)}' && fast03[$ep|$me]=$(( ${fast03[$ep|$me]:-0} + 1 ))
	awk -v s="$secs" 'BEGIN {exit !(s <= 1)}' && fast1[$ep|$me]=$(( ${fast1[$ep|$me]:-0} + 1 ))
}
J=(-H 'Content-Type: application/json')
item='{"product_id":1,"quantity":1,"unit_price":"1.00"}'

req 200 /health GET "$ORDERD_URL/health"
req 200 /health/liveness GET "$ORDERD_URL/health/liveness"
req 200 /health/readiness GET "$ORDERD_URL/health/readiness"
for i in 1 2 3; do
	req 201 /api/order POST "${J[@]}" --data-binary "{\"customer_id\":$((300 + i)),\"items\":[$item]}" "$ORDERD_URL/api/order"
done
req 200 /api/order/:id GET "$ORDERD_URL/api/order/1"
req 200 /api/order/:id GET "$ORDERD_URL/api/order/2"
req 200 /api/order/:id HEAD -I "$ORDERD_URL/api/order/1"
req 400 /api/order/:id GET "$ORDERD_URL/api/order/abc"
req 404 /api/order/:id GET "$ORDERD_URL/api/order/2147483647"
req 400 /api/order POST "${J[@]}" --data-binary '{"customer_id":' "$ORDERD_URL/api/order"
req 400 /api/order POST "${J[@]}" --data-binary '{"customer_id":1,"items":[]}' "$ORDERD_URL/api/order"
req 404 unknown GET "$ORDERD_URL/no/such/path"
req 404 unknown POST "${J[@]}" --data-binary '{}' "$ORDERD_URL/api/orders"
req 405 unknown OTHER -X DELETE "$ORDERD_URL/api/order"
req 405 unknown POST "${J[@]}" --data-binary '{}' "$ORDERD_URL/api/order/1"
big=$dir/big.json
head -c 70000 /dev/zero | tr '\0' ' ' >"$big"
req 413 /api/order POST "${J[@]}" --data-binary @"$big" "$ORDERD_URL/api/order"
req 415 /api/order POST -H 'Content-Type: text/plain' --data-binary "{\"customer_id\":1,\"items\":[$item]}" "$ORDERD_URL/api/order"
req 415 /api/echo POST -H 'Content-Type: text/plain' --data-binary '{}' "$ORDERD_URL/api/echo"
req 200 /api/echo POST "${J[@]}" --data-binary '{"a":1}' "$ORDERD_URL/api/echo"
req 201 /api/order POST "${J[@]}" -H 'Idempotency-Key: st-1' --data-binary "{\"customer_id\":310,\"items\":[$item]}" "$ORDERD_URL/api/order"
req 200 /api/order POST "${J[@]}" -H 'Idempotency-Key: st-1' --data-binary "{\"customer_id\":310,\"items\":[$item]}" "$ORDERD_URL/api/order"
req 422 /api/order POST "${J[@]}" -H 'Idempotency-Key: st-1' --data-binary "{\"customer_id\":311,\"items\":[$item]}" "$ORDERD_URL/api/order"
req 400 /api/error GET "$ORDERD_URL/api/error?type=client"
req 500 /api/error GET "$ORDERD_URL/api/error"
req 500 /api/error GET "$ORDERD_URL/api/error?type=server"
# A statement error on the write path: 500.
sqlfault_set order_items 45000 -1
req 500 /api/order POST "${J[@]}" --data-binary "{\"customer_id\":320,\"items\":[$item]}" "$ORDERD_URL/api/order"
# Deadlocks on every attempt: 503 (database busy).
sqlfault_set order_items 1213 -1
req 503 /api/order POST "${J[@]}" --data-binary "{\"customer_id\":321,\"items\":[$item]}" "$ORDERD_URL/api/order"
sqlfault_clear

# 499: the client sends its headers and half the body, then goes away.
$PY - "${ORDERD_URL#http://}" <<'PYEOF'
import socket, sys, time
host, port = sys.argv[1].rsplit(':', 1)
s = socket.create_connection((host, int(port)))
s.sendall(b'POST /api/order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
          b'Content-Length: 100\r\n\r\n{"customer_id":')
time.sleep(0.3)
s.close()
PYEOF
want[/api/order|POST|499]=$(( ${want[/api/order|POST|499]:-0} + 1 ))

# ---- requests held in flight: the only worker waits for a row lock (the
# orders insert needs customer 1's row, locked here until the test KILLs the
# locker's SLEEP); a second POST waits in the one-slot queue; a third
# request is shed with 503.
lock_customer 1 60 sqlfault_locker
check "the locker holds customer 1's row" [ -n "$LOCKER_ID" ]
post1() { curl -s -o /dev/null -w '%{http_code}' --max-time 60 "${J[@]}" --data-binary "{\"customer_id\":1,\"items\":[$item]}" "$ORDERD_URL/api/order"; }
post1 >"$dir/a" &
pa=$!
# in_flight VALUE: poll until the gauge reads VALUE (bounded)
in_flight() {
	local i v
	for ((i = 0; i < 100; i++)); do
		scrape
		v=$($MV "$m" orderd_http_requests_in_flight --all)
		[ "${v# }" = "$1" ] && return 0
		sleep 0.05
	done
	echo "# in-flight gauge reads '${v# }', not $1"
	return 1
}
check "in-flight gauge: 1 while one POST waits for the lock" in_flight 1
# db_busy VALUE: poll until the busy connections read VALUE (bounded): the
# in-flight gauge counts the POST when it arrives, a worker marks its
# connection busy only when it takes the job (later under ASan)
db_busy() {
	local i v
	for ((i = 0; i < 100; i++)); do
		scrape
		v=$($MV "$m" orderd_db_connections state --all | grep '^busy ')
		[ "$v" = "busy $1" ] && return 0
		sleep 0.05
	done
	echo "# DB connections read '$v', not busy $1"
	return 1
}
check "DB connections: 1 busy while it waits" db_busy 1
# the others: 2 x pool 1 - 1 busy, plus the API threads' readers that have
# served a GET; all that MariaDB sees but the checker's and the busy one
nconn=$(sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app_user'")
check "DB connections: the others idle ($nconn - checker - 1 busy)" [ "$($MV "$m" orderd_db_connections state --all | grep '^idle ')" = "idle $((nconn - 2))" ]
post1 >"$dir/b" &
pb=$!
check "in-flight gauge: 2 with one more queued" in_flight 2
queued_since=${EPOCHREALTIME/./}
req 503 /api/order/:id GET "$ORDERD_URL/api/order/1"
# hold both over a second (the queued one was in flight when the gauge read
# 2), so both durations fall above the le="1" bucket
while (( ${EPOCHREALTIME/./} - queued_since < 1100000 )); do sleep 0.1; done
sql "KILL QUERY $LOCKER_ID"	# the locker ends (error 1317) and its transaction rolls back
wait "$pa" "$pb" "$LOCKER_PID"
check "the POST that waited for the lock: 201" [ "$(cat "$dir/a")" = 201 ]
check "the queued POST: 201" [ "$(cat "$dir/b")" = 201 ]
want[/api/order|POST|201]=$(( ${want[/api/order|POST|201]:-0} + 2 ))
check "in-flight gauge back to 0" in_flight 0
check "DB connections: none busy when idle" db_busy 0

# ---- orderd_http_requests_total is exactly what was sent
scrape
for k in "${!want[@]}"; do echo "$k ${want[$k]}"; done | sort >"$dir/want"
$MV "$m" orderd_http_requests_total endpoint method status >"$dir/got"
if diff -u "$dir/want" "$dir/got" >"$dir/diff"; then
	pass "orderd_http_requests_total: every series holds the requests this test sent ($(wc -l <"$dir/want") series)"
else
	sed 's/^/# /' "$dir/diff"
	fail "orderd_http_requests_total: every series holds the requests this test sent"
fi
check "every status label exists for the order routes (503 included)" \
	[ "$($MV "$m" orderd_http_requests_total endpoint method status --all | grep -c '^/api/order|POST|503 ')" = 1 ]
check 'status="other" is 0 everywhere' [ "$($MV "$m" orderd_http_requests_total status | grep -c '^other ')" = 0 ]
check 'the "other" series exist (so 0 is a reading, not an absence)' \
	[ "$($MV "$m" orderd_http_requests_total status --all | grep -c '^other ')" -gt 0 ]
check "orderd_errors_total: the 503s as db_unavailable/overloaded" \
	[ "$($MV "$m" orderd_errors_total type endpoint | grep -E '^(db_unavailable|overloaded)\|' | awk '{s += $2} END {print s + 0}')" = 2 ]

# ---- the duration histogram: the two POSTs held over 1 s are above the
# le="1" bucket; every request the client saw answered within 0.3 s (1 s) is
# inside le="0.3" (le="1").  (On an idle machine: exactly all but the 2.)
bucket() { $MV "$m" orderd_http_request_duration_seconds_bucket endpoint method le --all | awk -v k="$1|$2" '$1 == k {print $2}'; }
count() { $MV "$m" orderd_http_request_duration_seconds_count endpoint method --all | awk -v k="$1" '$1 == k {print $2}'; }
cnt=$(count "/api/order|POST")
posts=$($MV "$m" orderd_http_requests_total endpoint method | awk '$1 == "/api/order|POST" {s += $2} END {print s}')
check "POST /api/order duration count = its requests ($posts)" [ "$cnt" = "$posts" ]
b03=$(bucket "/api/order|POST" 0.3) b1=$(bucket "/api/order|POST" 1)
echo "# POST /api/order: le=0.3 $b03, le=1 $b1, count $cnt; answered within 0.3 s ${fast03[/api/order|POST]}, 1 s ${fast1[/api/order|POST]}"
check "POST le=0.3 holds every request answered within 0.3 s, not the 2 held" \
	[ "$b03" -ge "${fast03[/api/order|POST]}" -a "$b03" -le $((cnt - 2)) ]
check "POST le=1 holds every request answered within 1 s, not the 2 held" \
	[ "$b1" -ge "${fast1[/api/order|POST]}" -a "$b1" -le $((cnt - 2)) ]
check "POST le=+Inf = count" [ "$(bucket "/api/order|POST" +Inf)" = "$cnt" ]
g03=$(bucket "/api/order/:id|GET" 0.3)
check "GET /api/order/:id le=0.3 holds every request answered within 0.3 s ($g03 >= ${fast03[/api/order/:id|GET]})" \
	[ "$g03" -ge "${fast03[/api/order/:id|GET]}" -a "$g03" -le "$(count "/api/order/:id|GET")" ]

orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
finish
