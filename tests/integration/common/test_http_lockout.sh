#!/bin/bash
# No lock-out in common/http.c (issue 14, point 4): with
# --web.max-connections=64, 100 idle sockets do not keep a new client out
# (the longest-idle connection is evicted); a head trickled one byte a second
# is closed at --web.read-header-timeout, a body at --web.read-timeout
# (both counted as 408), while other clients are served.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
LOCKOUT="$SRC_DIR/tests/integration/common/lockout_http.py"
d=$(tmpdir_new)

run_lockout() {
	local label=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$label: ${line#ok }" ;;
		*) fail "$label: ${line#not ok }" ;;
		esac
	done < <($PY "$LOCKOUT" "$@" 2>&1)
}

exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --web.max-connections=64 \
	--web.read-header-timeout=2s --web.read-timeout=3s ||
	{ cat "$d/ex.log"; fail "exampled did not start"; finish; }
run_lockout exampled idle "$EX_PORT" 100
run_lockout exampled slowhead "$EX_PORT" 2
run_lockout exampled slowbody "$EX_PORT" 3
# both trickled requests were counted as 408
check "scrape exampled" curl -s -o "$d/m.txt" "$EX_URL/metrics"
check "the trickled head is counted 408" grep -qx 'exampled_http_requests_total{handler="unknown",code="408"} 1' "$d/m.txt"
check "the trickled body is counted 408" grep -qx 'exampled_http_requests_total{handler="/work",code="408"} 1' "$d/m.txt"
check "exampled still serves" [ "$(curl -s -o /dev/null -w '%{http_code}' "$EX_URL/-/healthy")" = 200 ]
exampled_stop
check "exampled exits 0" [ "$EX_RC" = 0 ]
finish
