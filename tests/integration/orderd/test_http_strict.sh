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
orderd_start || exit 1
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
check "orderd still ready" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/readiness")" = 200 ]
orderd_stop
check "orderd exits 0" [ $? = 0 ]
finish
