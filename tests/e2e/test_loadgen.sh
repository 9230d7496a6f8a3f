#!/bin/bash
# loadgen/ (issue 6): Locust runs seed 003's stages headless against a real
# orderd + MariaDB (scripts/run-stack.sh on free ports) and writes CSV:
# a 20-second read-heavy stage shows requests of both kinds, about 80% reads,
# 0 failures, reads of orders the run created; the LoadTestShape runs two
# stages in sequence and stops by itself, the second one write-heavy; a bad
# stage name is refused.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/e2e/lib.sh"

if [ ! -x "$BUILD_DIR/orderd" ]; then
	echo "SKIP: $BUILD_DIR/orderd is not built"
	exit 77
fi
$PY -c 'import locust' 2>/dev/null || { echo "python3-locust is missing (make deps)"; exit 1; }
T=$(tmpdir_new)
e2e_stack_up "$T/stack" "mariadb orderd" || { fail "stack up"; finish; }
echo "# orderd $ORDERD_URL"
L=$SRC_DIR/loadgen/locustfile.py

# stats NAME CSV: "requests failures" of the row NAME ("Aggregated" for all).
stats() {
	$PY - "$2" "$1" <<'EOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == sys.argv[2]:
        print(row["Request Count"], row["Failure Count"])
        break
else:
    print("0 -1")
EOF
}

# --- one 20-second stage -------------------------------------------------------
PRISM_STAGES=read-heavy PRISM_STAGE_SECONDS=20 PRISM_USERS=10 PRISM_WAIT_MIN=0.05 PRISM_WAIT_MAX=0.2 \
	timeout -k 5 60 $PY -m locust -f "$L" --headless -H "$ORDERD_URL" --csv "$T/stage" --only-summary \
	>"$T/stage.log" 2>&1
rc=$?
tail -n 15 "$T/stage.log" | sed 's/^/# /'
check "locust read-heavy stage exits 0 (no failed request)" test $rc -eq 0
check "CSV written" test -s "$T/stage_stats.csv"
read -r all all_fail <<<"$(stats Aggregated "$T/stage_stats.csv")"
read -r gets _ <<<"$(stats /api/order/:id "$T/stage_stats.csv")"
read -r posts _ <<<"$(stats /api/order "$T/stage_stats.csv")"
echo "# requests: all $all (failures $all_fail), GET $gets, POST $posts"
check "the CSV shows requests" test "${all:-0}" -gt 100
check "the CSV shows 0 failures" test "$all_fail" = 0
check "both reads and writes ran" test "${gets:-0}" -gt 0 -a "${posts:-0}" -gt 0
check "read-heavy: 70-90% reads" test $((gets * 100 / all)) -ge 70 -a $((gets * 100 / all)) -le 90
check "the stage stopped by itself after ~20 s" grep -q "stage read-heavy: 10 users, 80% reads, 20s" "$T/stage.log"
n=$(mariadb --no-defaults -uroot -S "$PRISM_VAR_DIR/mariadb/mysqld.sock" -N -e 'SELECT COUNT(*) FROM orders_db.orders')
check "the orders it created are in the database ($n >= 6 + $posts)" test "$n" -ge $((6 + posts))

# --- the shape runs stages in sequence -----------------------------------------
PRISM_STAGES=normal,write-heavy PRISM_STAGE_SECONDS=normal=6,write-heavy=8 PRISM_USERS=6 \
	PRISM_WAIT_MIN=0.05 PRISM_WAIT_MAX=0.2 \
	timeout -k 5 60 $PY -m locust -f "$L" --headless -H "$ORDERD_URL" --csv "$T/seq" --only-summary \
	>"$T/seq.log" 2>&1
rc=$?
check "two stages in sequence exit 0" test $rc -eq 0
check "... normal then write-heavy" bash -c "grep -o 'stage [a-z-]*' '$T/seq.log' | tr '\n' ' ' | grep -q '^stage normal stage write-heavy '"
read -r all all_fail <<<"$(stats Aggregated "$T/seq_stats.csv")"
check "... requests and 0 failures ($all, $all_fail)" test "${all:-0}" -gt 20 -a "$all_fail" = 0

out=$(PRISM_STAGES=bogus timeout 30 $PY -m locust -f "$L" --headless -H "$ORDERD_URL" 2>&1)
check "an unknown stage name is refused" grep -q "unknown stage 'bogus'" <<<"$out"

finish
