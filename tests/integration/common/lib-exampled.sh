# Shared by tests/integration/common/test_*.sh: start exampled on a port
# it picks itself (127.0.0.1:0) and read the port back from its log.
EXAMPLED=${EXAMPLED:-$BUILD_DIR/tests/exampled}
[ -x "$EXAMPLED" ] || { echo "exampled not built: $EXAMPLED"; exit 1; }

# exampled_start LOG ARGS...: start in the background; sets EX_PID, EX_PORT
# (the first listen address's port) and EX_URL.  Returns 1 if it exits or
# logs no port within 10 s.
exampled_start() {
	local log=$1 i
	shift
	: >"$log"
	"$EXAMPLED" "$@" >>"$log" 2>&1 &
	EX_PID=$!
	on_exit "kill -KILL $EX_PID"
	EX_PORT=
	for ((i = 0; i < 100; i++)); do
		EX_PORT=$(sed -n 's/.*msg="Listening on" .*port=\([0-9]*\).*/\1/p; s/.*"msg":"Listening on".*"port":"\([0-9]*\)".*/\1/p' "$log" | head -n 1)
		[ -n "$EX_PORT" ] && break
		kill -0 "$EX_PID" 2>/dev/null || break
		sleep 0.1
	done
	EX_URL="http://127.0.0.1:$EX_PORT"
	[ -n "$EX_PORT" ]
}

# exampled_stop: SIGTERM, wait (bounded 20 s); sets EX_RC to the exit status
# (run it in the test's own shell, not in $(...): only the parent can wait).
exampled_stop() {
	local i
	kill -TERM "$EX_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$EX_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$EX_PID"
	EX_RC=$?
}

# exampled_wait_in_flight N: until N requests besides the scrape asking are
# in flight (exampled_http_requests_in_flight), 10 s at most.
exampled_wait_in_flight() {
	local want=$(($1 + 1)) i
	for ((i = 0; i < 100; i++)); do
		curl -s --max-time 2 "$EX_URL/metrics" | grep -qx "exampled_http_requests_in_flight $want" && return 0
		sleep 0.1
	done
	return 1
}
