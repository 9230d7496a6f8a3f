#!/bin/bash
# Lingering close on orderd's API (issue 14, point 3): a naive client POSTs
# a whole 20 MB order and a 100,000-item order (over --web.max-body=64KiB)
# before reading; it gets the 413 and its JSON body, then EOF, never
# ECONNRESET, and no order is created.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
LINGER="$SRC_DIR/tests/integration/common/linger_http.py"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start || exit 1
wait_http "$ORDERD_URL/health/readiness" 30 || { fail "readiness never 200"; finish; }

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

before=$(sql "SELECT COUNT(*) FROM orders")
run_linger "orderd API" --post big "${ORDERD_URL##*:}" /api/order 20000000
run_linger "orderd API" --post items "${ORDERD_URL##*:}" /api/order 100000
check "no order created by the refused uploads" [ "$(sql "SELECT COUNT(*) FROM orders")" = "$before" ]
check "orderd still ready" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/readiness")" = 200 ]
finish
