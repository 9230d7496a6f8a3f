#!/bin/bash
# Strict HTTP/1.1 in common/http.c (issue 14), judged by a raw-socket
# hostile client (hostile_http.py) against exampled and a real exporter
# (host-exporter): NUL and control characters in the target, field names
# and values, request smuggling (CL+TE, repeated CL, whitespace before the
# colon, unknown transfer codings), missing/repeated Host: each refused with
# a JSON error and the connection closed, nothing after the answer.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
HOSTILE="$SRC_DIR/tests/integration/common/hostile_http.py"
HE=$BUILD_DIR/host-exporter
d=$(tmpdir_new)

# run_hostile LABEL PORT PATH [ARGS]: every line of the client becomes a check
run_hostile() {
	local label=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$label: ${line#ok }" ;;
		*) fail "$label: ${line#not ok }" ;;
		esac
	done < <($PY "$HOSTILE" "$@" 2>&1)
}

exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 || { cat "$d/ex.log"; fail "exampled did not start"; finish; }
run_hostile exampled "$EX_PORT" /-/healthy
check "exampled still serves after the hostile run" [ "$(curl -s -o /dev/null -w '%{http_code}' "$EX_URL/-/healthy")" = 200 ]
exampled_stop
check "exampled exits 0 after the hostile run" [ "$EX_RC" = 0 ]

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" >"$d/he.log" 2>&1 &
he_pid=$!
on_exit "kill -9 $he_pid 2>/dev/null"
if wait_http "http://127.0.0.1:$port/-/healthy" 30; then
	run_hostile host-exporter "$port" /-/healthy
	check "host-exporter still serves /metrics" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" = 200 ]
	kill -TERM "$he_pid"
	wait "$he_pid"
	check "host-exporter exits 0 after the hostile run" [ $? = 0 ]
else
	fail "host-exporter did not start"; cat "$d/he.log"
fi
finish
