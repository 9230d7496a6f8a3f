#!/bin/bash
# orderd's production defaults (issue 11), no database needed (its port is
# closed: readiness 503, the API 503 "database unavailable"):
#  - --log.requests defaults to errors: no line for a 200;
#  - no line for the /health* probes unless --log.requests=all, not even
#    for readiness's 503;
#  - 5xx lines at warn (503) or error (500), with remote= and request_id=;
#  - the drill endpoints /api/error and /api/echo answer 404 unless
#    --web.enable-drill-endpoints.
. "$SRC_DIR/tests/lib/common.sh"
ORDERD=$BUILD_DIR/orderd
dir=$(tmpdir_new)
port=$(free_port)
printf '[client]\nuser=nobody\npassword=x\nhost=127.0.0.1\nport=%s\n' "$port" >"$dir/down.cnf"

# run LOG FLAGS...: starts orderd; $API is its URL; stop with stop_it
run() {
	local log=$1
	shift
	API="http://127.0.0.1:$(free_port)"
	"$ORDERD" --config.my-cnf="$dir/down.cnf" --web.listen-address="${API#http://}" \
		--metrics.listen-address=127.0.0.1:0 --db.timeout=1s "$@" >"$log" 2>&1 &
	PID=$!
	on_exit "kill -KILL $PID"
	wait_http "$API/health/liveness" 10
}
stop_it() { kill -TERM "$PID"; wait "$PID"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

# ---- defaults
run "$dir/default.log" || { fail "orderd starts"; finish; }
check "default: /api/error is 404 (drills off)" [ "$(code "$API/api/error")" = 404 ]
check "default: /api/echo is 404 (drills off)" \
	[ "$(code -H 'Content-Type: application/json' -d '{}' "$API/api/echo")" = 404 ]
check "default: readiness 503 (DB down)" [ "$(code "$API/health/readiness")" = 503 ]
for i in 1 2 3; do code "$API/health" >/dev/null; code "$API/health/liveness" >/dev/null; done
check "default: GET /api/order/1 is 503 (DB down)" [ "$(code "$API/api/order/1")" = 503 ]
stop_it
check "default: no line for the probes (not even readiness's 503)" \
	bash -c "! grep -q 'msg=request.*endpoint=/health' '$dir/default.log'"
check "default: the 404s logged at info" \
	[ "$(grep -c 'level=info msg=request method=[A-Z]* endpoint=unknown .*status=404' "$dir/default.log")" = 2 ]
check "default: the 503 logged at warn, with request id and client address" \
	grep -Eq 'level=warn msg=request method=GET endpoint=/api/order/:id path=/api/order/1 status=503 duration_seconds=[0-9.]+ request_id=[^ ]+ remote=127\.0\.0\.1:[0-9]+$' "$dir/default.log"
check "default: 3 request lines in all" [ "$(grep -c 'msg=request' "$dir/default.log")" = 3 ]

# ---- drills on, --log.requests=all: the probes are logged, a 500 at error
run "$dir/drill.log" --web.enable-drill-endpoints --log.requests=all || { fail "orderd starts with drills"; finish; }
check "drills: /api/error is 500" [ "$(code "$API/api/error")" = 500 ]
check "drills: /api/error?type=client is 400" [ "$(code "$API/api/error?type=client")" = 400 ]
check "drills: /api/echo is 200" \
	[ "$(code -H 'Content-Type: application/json' -d '{"a":1}' "$API/api/echo")" = 200 ]
code "$API/health/readiness" >/dev/null
stop_it
check "drills: the 500 logged at error with remote and request id" \
	grep -Eq 'level=error msg=request method=GET endpoint=/api/error path=/api/error status=500 duration_seconds=[0-9.]+ request_id=[^ ]+ remote=127\.0\.0\.1:[0-9]+$' "$dir/drill.log"
check "drills: the 400 at info" grep -q 'level=info msg=request method=GET endpoint=/api/error .*status=400' "$dir/drill.log"
check "all: the probes are logged (readiness 503 at warn)" \
	grep -q 'level=warn msg=request method=GET endpoint=/health/readiness .*status=503' "$dir/drill.log"
check "all: a 200 is logged" grep -q 'level=info msg=request method=POST endpoint=/api/echo .*status=200' "$dir/drill.log"

# ---- JSON lines carry the same fields
run "$dir/json.log" --web.enable-drill-endpoints --log.format=json || { fail "orderd starts (json)"; finish; }
code "$API/api/error" >/dev/null
code -H 'Content-Type: application/json' -d '{"a":1}' "$API/api/echo" >/dev/null
stop_it
check "json (default errors): no line for the 200" bash -c "! grep -q '\"status\":\"200\"' '$dir/json.log'"
check "json: level error, remote field" \
	grep -Eq '"level":"error","msg":"request",.*"status":"500",.*"remote":"127\.0\.0\.1:[0-9]+"' "$dir/json.log"
finish
