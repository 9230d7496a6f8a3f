#!/bin/bash
# Lingering close in common/http.c (issue 14, point 3): a naive client that
# sends a whole oversized body (20 MB; 100,000 order items) before reading
# gets the 413 status line and its JSON body, then EOF, never ECONNRESET;
# at most 128 refused sockets linger at once, each released by the server
# within its 5 s bound even when the client never closes.  Against exampled
# (--web.max-body=1KiB) and a real exporter (host-exporter, 64 KiB).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
LINGER="$SRC_DIR/tests/integration/common/linger_http.py"
HE=$BUILD_DIR/host-exporter
d=$(tmpdir_new)

# run_linger LABEL ARGS...: every line of the client becomes a check
run_linger() {
	local label=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$label: ${line#ok }" ;;
		*) fail "$label: ${line#not ok }" ;;
		esac
	done < <($PY "$LINGER" "$@" 2>&1)
}

exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --web.max-body=1KiB || { cat "$d/ex.log"; fail "exampled did not start"; finish; }
run_linger exampled big "$EX_PORT" /work 20000000
run_linger exampled items "$EX_PORT" /work 100000
run_linger exampled cap "$EX_PORT" /work "$EX_PID" 200 128
check "exampled still serves after the refused uploads" [ "$(curl -s -o /dev/null -w '%{http_code}' "$EX_URL/-/healthy")" = 200 ]
exampled_stop
check "exampled exits 0 after the lingering closes" [ "$EX_RC" = 0 ]

port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" >"$d/he.log" 2>&1 &
he_pid=$!
on_exit "kill -9 $he_pid 2>/dev/null"
if wait_http "http://127.0.0.1:$port/-/healthy" 30; then
	run_linger host-exporter --text big "$port" /metrics 20000000
	run_linger host-exporter --text items "$port" /metrics 100000
	kill -TERM "$he_pid"
	wait "$he_pid"
	check "host-exporter exits 0 after the refused uploads" [ $? = 0 ]
else
	fail "host-exporter did not start"; cat "$d/he.log"
fi
finish
