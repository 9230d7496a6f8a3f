#!/bin/bash
# orderd's command line: --help/--version exit 0; bad flags, an unreadable
# my.cnf or a bad --log.requests exit 2 with a message naming the problem.
. "$SRC_DIR/tests/lib/common.sh"
ORDERD=$BUILD_DIR/orderd
dir=$(tmpdir_new)

out=$("$ORDERD" --help 2>&1); rc=$?
check "--help exits 0" [ "$rc" = 0 ]
for f in web.listen-address metrics.listen-address config.my-cnf db.name db.pool-size \
	db.queue-size db.timeout web.max-body log.level log.format log.requests metrics.requests; do
	check "--help lists --$f" grep -q -- "--\(\[no-\]\)\?$f" <<<"$out"
done
check "default API address :5000" grep -q ':5000' <<<"$out"
check "default metrics address :8000" grep -q ':8000' <<<"$out"
check "default my.cnf /etc/orderd/my.cnf" grep -q '/etc/orderd/my.cnf' <<<"$out"
"$ORDERD" --version >/dev/null 2>&1; check "--version exits 0" [ $? = 0 ]
err=$("$ORDERD" --no-such-flag 2>&1); rc=$?
check "unknown flag exits 2" [ "$rc" = 2 ]
check "unknown flag is named" grep -q 'no-such-flag' <<<"$err"
err=$("$ORDERD" --config.my-cnf="$dir/missing.cnf" 2>&1); rc=$?
check "unreadable my.cnf exits 2" [ "$rc" = 2 ]
check "unreadable my.cnf is named" grep -q 'missing.cnf' <<<"$err"
printf '[client]\nuser=x\n' >"$dir/my.cnf"
err=$("$ORDERD" --config.my-cnf="$dir/my.cnf" --log.requests=sometimes 2>&1); rc=$?
check "bad --log.requests exits 2" [ "$rc" = 2 ]
err=$("$ORDERD" --config.my-cnf="$dir/my.cnf" --db.pool-size=0 2>&1); rc=$?
check "pool size 0 exits 2" [ "$rc" = 2 ]
err=$("$ORDERD" --config.my-cnf="$dir/my.cnf" --db.timeout=100ms 2>&1); rc=$?
check "sub-second DB timeout exits 2" [ "$rc" = 2 ]
err=$("$ORDERD" --config.my-cnf="$dir/my.cnf" --web.listen-address=256.1.1.1:1 --metrics.listen-address=127.0.0.1:0 2>&1); rc=$?
check "bad listen address fails" [ "$rc" != 0 ]

# Per-request log lines: all / errors / none / a sample rate, logfmt or JSON.
# No database needed: liveness answers without one, unknown paths are 404.
port=$(free_port)
printf '[client]\nuser=nobody\npassword=x\nhost=127.0.0.1\nport=%s\n' "$port" >"$dir/down.cnf"
# The 99 are /health/liveness, or $LOOP_PATH (the probes are only logged with all).
run_logged() {	# run_logged LOGFILE FLAGS...: 100 liveness + 1 unknown path
	local log=$1 api pid i
	shift
	api=$(free_port)
	"$ORDERD" --config.my-cnf="$dir/down.cnf" --web.listen-address=127.0.0.1:$api \
		--metrics.listen-address=127.0.0.1:0 "$@" >"$log" 2>&1 &
	pid=$!
	on_exit "kill -KILL $pid"
	wait_http "http://127.0.0.1:$api/health/liveness" 10 || return 1
	for ((i = 0; i < 99; i++)); do curl -s -o /dev/null "http://127.0.0.1:$api${LOOP_PATH:-/health/liveness}"; done
	curl -s -o /dev/null "http://127.0.0.1:$api/no/such/path"
	kill -TERM $pid
	wait $pid
}
run_logged "$dir/all.log" --log.requests=all
check "all: one line per request" [ "$(grep -c 'msg=request' "$dir/all.log")" -ge 101 ]
check "all: method, endpoint, status, duration, request id" \
	grep -Eq 'msg=request method=GET endpoint=/health/liveness path=/health/liveness status=200 duration_seconds=[0-9.]+ request_id=[^ ]+' "$dir/all.log"
run_logged "$dir/errors.log" --log.requests=errors
check "errors: only the 404 is logged" [ "$(grep -c 'msg=request' "$dir/errors.log")" = 1 ]
check "errors: unknown paths log endpoint=unknown" grep -q 'endpoint=unknown path=/no/such/path status=404' "$dir/errors.log"
run_logged "$dir/none.log" --log.requests=none
check "none: no request lines" [ "$(grep -c 'msg=request' "$dir/none.log")" = 0 ]
LOOP_PATH=/no/such/path run_logged "$dir/sample.log" --log.requests=0.5
n=$(grep -c 'msg=request' "$dir/sample.log")
check "0.5: about half the requests logged ($n of 100)" [ "$n" -gt 15 -a "$n" -lt 85 ]
check "0.5: no probe line" bash -c "! grep -q 'endpoint=/health' '$dir/sample.log'"
run_logged "$dir/json.log" --log.requests=errors --log.format=json
check "JSON request line" grep -q '"msg":"request","method":"GET","endpoint":"unknown"' "$dir/json.log"
finish
