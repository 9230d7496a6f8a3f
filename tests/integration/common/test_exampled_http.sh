#!/bin/bash
# exampled over real HTTP (curl on loopback): flags and exit codes, every
# glue status with JSON bodies, gzip, HEAD, request ids, several listen
# addresses, a bind failure naming the address.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
d=$(tmpdir_new)

# --- flags: --help / --version exit 0, errors exit 2 naming the flag
"$EXAMPLED" --help >"$d/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help lists every flag with its default" bash -c "grep -q -- '--web.listen-address=\":9199\"' '$d/help' && grep -q -- '--web.telemetry-path=\"/metrics\"' '$d/help' && grep -q -- '--\[no-\]web.openmetrics' '$d/help' && grep -q -- '--log.level=\"info\"' '$d/help' && grep -q -- '--log.format=\"logfmt\"' '$d/help' && grep -q -- '--web.max-body=\"64KiB\"' '$d/help'"
out=$("$EXAMPLED" --version 2>&1); rc=$?
check "--version exits 0" [ $rc -eq 0 ]
check "--version prints name, version, revision" bash -c "[[ '$out' =~ ^exampled,\ version\ [0-9.]+\ \(revision\ [0-9a-z]+\)$ ]]"
for bad in "--bogus" "--log.level=loud" "--web.idle-timeout=5" "--web.max-body=lots" "positional" "--web.telemetry-path"; do
	"$EXAMPLED" $bad >"$d/bad.out" 2>"$d/bad.err"; rc=$?
	flag=${bad%%=*}
	check "'$bad' exits 2" [ $rc -eq 2 ]
	check "'$bad' is named on stderr" grep -qF -- "$flag" "$d/bad.err"
done

# --- serving
v6=()
$PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && v6=(--web.listen-address='[::1]:0')
exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 "${v6[@]}" --web.max-body=1KiB --web.threads=2 || { cat "$d/ex.log"; fail "exampled did not start"; finish; }
pass "exampled started on port $EX_PORT"
if [ ${#v6[@]} -gt 0 ]; then
	port6=$(sed -n 's/.*msg="Listening on" listener=http address=\[::1\]:0 port=\([0-9]*\).*/\1/p' "$d/ex.log")
	check "second listen address logged" [ -n "$port6" ]
	check "IPv6 listener answers" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$port6/-/healthy")" = 200 ]
else
	echo "# no IPv6 loopback: second listener on IPv6 not tested"
fi

code() { curl -s -o "$d/body" -D "$d/head" -w '%{http_code}' "$@"; }
check "/-/healthy 200" [ "$(code "$EX_URL/-/healthy")" = 200 ]
check "landing page 200" [ "$(code "$EX_URL/")" = 200 ]
check "landing page links the telemetry path" grep -q 'href="/metrics"' "$d/body"
check "/metrics 200" [ "$(code "$EX_URL/metrics")" = 200 ]
check "/metrics text 0.0.4 content type" grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$d/head"
check "/metrics has process metrics" grep -q '^process_resident_memory_bytes ' "$d/body"
check "/metrics has build_info" grep -q '^exampled_build_info{.*version="' "$d/body"
check "/metrics validated by promtool" bash -c "promtool check metrics <'$d/body'"
check "/metrics gzip when asked" bash -c "[ \"\$(curl -s -H 'Accept-Encoding: gzip' -D - -o '$d/gz' '$EX_URL/metrics' | tr -d '\r' | grep -i '^content-encoding:' | cut -d' ' -f2)\" = gzip ] && gzip -t '$d/gz' && gzip -dc '$d/gz' | grep -q '^process_open_fds '"
check "OpenMetrics not offered when disabled" bash -c "curl -s -D - -o /dev/null -H 'Accept: application/openmetrics-text;version=1.0.0' '$EX_URL/metrics' | grep -qi 'Content-Type: text/plain; version=0.0.4'"
check "HEAD /metrics: headers only" bash -c "curl -s -I '$EX_URL/metrics' -o '$d/h' -w '%{http_code} %{size_download}' | grep -qx '200 0'"
check "POST /metrics 405" [ "$(code -X POST --data x "$EX_URL/metrics")" = 405 ]
check "405 Allow: GET, HEAD" grep -qi '^Allow: GET, HEAD' "$d/head"
check "405 JSON body" grep -qx '{"error":"method not allowed"}' "$d/body"
check "unknown path 404" [ "$(code "$EX_URL/nope")" = 404 ]
check "404 JSON body" grep -qx '{"error":"not found"}' "$d/body"
check "404 content type JSON" grep -qi '^Content-Type: application/json' "$d/head"
head -c 2048 /dev/zero >"$d/2k"
check "body over --web.max-body: 413" [ "$(code -X GET --data-binary @"$d/2k" "$EX_URL/work")" = 413 ]
check "413 JSON body" grep -qx '{"error":"request body too large"}' "$d/body"
check "huge header: 431" [ "$(code -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$EX_URL/work")" = 431 ]
check "libmicrohttpd's own messages go through our log" grep -q 'level=warn msg=libmicrohttpd server=exampled error=".*431' "$d/ex.log"
check "/work 200" [ "$(code "$EX_URL/work?sleep_ms=10")" = 200 ]
check "/work body" grep -qx '{"slept_ms":10}' "$d/body"
check "X-Request-Id generated" grep -qiE '^X-Request-Id: [0-9a-f]{10}-[0-9a-f]+' "$d/head"
check "X-Request-Id echoed when sane" bash -c "curl -s -D - -o /dev/null -H 'X-Request-Id: trace-42' '$EX_URL/work' | grep -qi '^X-Request-Id: trace-42'"
check "bad sleep_ms: 400 naming the field" bash -c "[ \"\$(curl -s -w '%{http_code}' '$EX_URL/work?sleep_ms=abc')\" = '{\"error\":\"sleep_ms must be an integer in [0, 60000]\",\"field\":\"sleep_ms\"}
400' ]"
curl -s "$EX_URL/metrics" >"$d/m2"
check "work counter counted the 2 good /work requests" grep -qx 'exampled_work_total 2' "$d/m2"
check "work histogram count" grep -qx 'exampled_work_duration_seconds_count 2' "$d/m2"
check "requests by route and code" grep -q '^exampled_http_requests_total{handler="/work",code="413"} 1$' "$d/m2"
check "unknown route counted" grep -q '^exampled_http_requests_total{handler="unknown",code="404"} 1$' "$d/m2"

# --- bind failure: the port exampled holds; exits non-zero naming the address
"$EXAMPLED" --web.listen-address="127.0.0.1:$EX_PORT" >"$d/bind.log" 2>&1; rc=$?
check "bind failure exits non-zero" [ $rc -ne 0 ]
check "bind failure names the address" grep -q "address=127.0.0.1:$EX_PORT" "$d/bind.log"
check "bind failure says why" grep -qi "in use" "$d/bind.log"
"$EXAMPLED" --web.listen-address="nonsense" >"$d/bind2.log" 2>&1; rc=$?
check "bad address exits non-zero" [ $rc -ne 0 ]
check "bad address named" grep -q "address=nonsense" "$d/bind2.log"

# --- custom telemetry path, JSON logs
ex1=$EX_PID
exampled_start "$d/ex2.log" --web.listen-address=127.0.0.1:0 --web.telemetry-path=/m2 --log.format=json || fail "second exampled"
check "custom telemetry path" [ "$(code "$EX_URL/m2")" = 200 ]
check "landing links the custom path" bash -c "curl -s '$EX_URL/' | grep -q 'href=\"/m2\"'"
check "/metrics not served then" [ "$(code "$EX_URL/metrics")" = 404 ]
check "JSON log lines parse" $PY -c "
import json,sys
lines=[l for l in open('$d/ex2.log') if l.strip()]
assert lines
for l in lines:
    j=json.loads(l); assert j['level'] and j['msg'] and j['ts']
"
exampled_stop
check "second exampled exits 0 on SIGTERM" [ "$EX_RC" = 0 ]
EX_PID=$ex1
exampled_stop
check "exampled exits 0 on SIGTERM" [ "$EX_RC" = 0 ]
check "stop logged" grep -q 'msg=Stopped' "$d/ex.log"
finish
