#!/bin/bash
# orderd against the raw-socket hostile client (issue 14): the glue's
# strictness (NUL/CTL, smuggling, Host) on the API listener and the metrics
# listener, plus orderd's own cases: a NUL in Content-Type or in an
# Idempotency-Key is a 400 (tenant-A\0order-1 and tenant-A\0order-2 never
# collapse into one key), /api/order/ID%00999 is never order ID.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
HOSTILE="$SRC_DIR/tests/integration/common/hostile_http.py"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --web.idle-timeout=2s || exit 1
wait_http "$ORDERD_URL/health/readiness" 30 || { fail "readiness never 200"; finish; }

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

before=$(sql "SELECT COUNT(*) FROM orders")
run_hostile "orderd API" "${ORDERD_URL##*:}" /health/liveness --orderd
after=$(sql "SELECT COUNT(*) FROM orders")
check "exactly one order created (the clean one), none from the NUL keys" [ "$((after - before))" = 1 ]
check "no order under a NUL-cut key" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key LIKE 'tenant-A%'")" = 0 ]
run_hostile "orderd metrics" "${ORDERD_METRICS_URL##*:}" /metrics
# 431 and 408 reach orderd_http_requests_total (libmicrohttpd answers the
# 431 itself and times a slow head out before any handler runs)
count() {	# count CODE: the summed orderd_http_requests_total for a code
	curl -s "$ORDERD_METRICS_URL/metrics" | $PY -c '
import re, sys
print(int(sum(float(m.group(1)) for m in re.finditer(r"^orderd_http_requests_total\{[^}]*status=\"" + sys.argv[1] + r"\"[^}]*\} (\S+)$", sys.stdin.read(), re.M))))' "$1"
}
# until_count CODE N: wait (30 s at most) until the counter reaches N
until_count() {
	local end=$((SECONDS + 30)) n
	while ((SECONDS < end)); do
		n=$(count "$1")
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
c431=$(count 431); c408=$(count 408); c400=$(count 400)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$ORDERD_URL/health/liveness")
check "a 40 kB header: 431" [ "$code" = 431 ]
check "the 431 is counted in orderd_http_requests_total" until_count 431 $((c431 + 1))
$PY - "${ORDERD_URL##*:}" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(b"POST /api/order HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n")
while s.recv(65536):
    pass
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(b"GET /health/liveness HTTP/1.1\r\nHost: x\r\n")	# the head never ends
while s.recv(65536):	# until the server closes it (--web.idle-timeout=2s)
    pass
PY
check "libmicrohttpd's own 400 (bad Content-Length) is counted" until_count 400 $((c400 + 1))
check "a head that timed out is counted as 408" until_count 408 $((c408 + 1))
check "orderd still ready" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/readiness")" = 200 ]
orderd_stop
check "orderd exits 0" [ $? = 0 ]
finish
