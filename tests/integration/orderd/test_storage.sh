#!/bin/bash
# orderd's storage layer against a real MariaDB:
#  - POST speaks the SQL MySQL 8.0 shares (no INSERT ... RETURNING, which
#    only MariaDB >= 10.5 has): the server's general log of everything
#    orderd prepared has no RETURNING;
#  - the ids come from the OK packets: with auto_increment_increment=3 the
#    ids and created_at a POST answers are the ones GET reads back, for
#    concurrent POSTs of 1 to 5 items;
#  - a read that times out answers 503 (never 404): a metadata lock held
#    past lock_wait_timeout (the server's ER_LOCK_WAIT_TIMEOUT) and one held
#    past --db.timeout (the client's read timeout); POST on the same lock
#    answers 503 too.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
# Global values apply to sessions opened afterwards: set before orderd connects.
mariadb_root -e "SET GLOBAL general_log_file='$dir/general.log'; SET GLOBAL general_log=1;
	SET GLOBAL auto_increment_increment=3; SET GLOBAL lock_wait_timeout=1;" || exit 1
orderd_start --db.pool-size=2 --db.timeout=5s --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "not ready"; finish; }

body_of() { echo "${1#* }"; }
items() { # N -> a JSON items array of N items
	local n=$1 i s=
	for ((i = 1; i <= n; i++)); do
		s+="${s:+,}{\"product_id\":$((100 + i)),\"quantity\":$i,\"unit_price\":\"$i.25\"}"
	done
	echo "[$s]"
}

# ---- POST answers what GET reads back (ids from the OK packet)
db_before=$(sql "SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP())")
r=$(http POST /api/order "{\"customer_id\":3,\"items\":$(items 3)}")
check "POST 201" [ "${r%% *}" = 201 ]
post=$(body_of "$r")
oid=$(json 'j["order_id"]' <<<"$post")
ids=$(json '[i["item_id"] for i in j["items"]]' <<<"$post")
check "item ids one auto_increment_increment (3) apart: $ids" \
	$PY -c 'import sys,json; a=json.loads(sys.argv[1]); sys.exit(not (len(a)==3 and a[1]-a[0]==3 and a[2]-a[1]==3))' "$ids"
check "the ids are the rows' ids" [ "$(sql "SELECT GROUP_CONCAT(item_id ORDER BY item_id) FROM order_items WHERE order_id=$oid")" = "$(json '",".join(str(x) for x in j)' <<<"$ids")" ]
r=$(http GET "/api/order/$oid")
check "GET 200" [ "${r%% *}" = 200 ]
check "GET reads back exactly what POST answered" [ "$(body_of "$r")" = "$post" ]
db_after=$(sql "SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP())")
created=$(json 'j["created_at"]' <<<"$post")
# Between the DB's UTC clock read before the POST and after the GET (whole
# seconds, so 1 s either side): no bound that a slow machine could break.
check "created_at ($created) is the DB's UTC now (between $db_before and $db_after)" \
	$PY -c 'import sys,datetime as d; t=d.datetime.strptime(sys.argv[1],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=d.timezone.utc).timestamp(); sys.exit(not (int(sys.argv[2])-1 <= t <= int(sys.argv[3])+1))' "$created" "$db_before" "$db_after"

# Concurrent POSTs of 1..5 items (the id blocks of simultaneous multi-row
# INSERTs must not be confused): each answer equals its GET.
conc=$(tmpdir_new)
pids=()
for k in $(seq 1 20); do
	http POST /api/order "{\"customer_id\":$((k % 4 + 1)),\"items\":$(items $((k % 5 + 1)))}" >"$conc/$k" &
	pids+=($!)
done
wait "${pids[@]}"
bad=0 n=0
for k in $(seq 1 20); do
	r=$(cat "$conc/$k")
	[ "${r%% *}" = 201 ] || { bad=$((bad + 1)); continue; }
	n=$((n + 1))
	p=$(body_of "$r")
	g=$(http GET "/api/order/$(json 'j["order_id"]' <<<"$p")")
	[ "$(body_of "$g")" = "$p" ] || { bad=$((bad + 1)); echo "# differs: POST $p GET $(body_of "$g")"; }
done
check "20 concurrent POSTs: each 201 and equal to its GET ($n ok, $bad bad)" [ "$bad" = 0 -a "$n" = 20 ]

# ---- the SQL is MySQL 8.0's too: nothing orderd sent uses RETURNING
mariadb_root -e "SET GLOBAL general_log=0" || exit 1
check "the general log saw orderd prepare its INSERTs" grep -q 'Prepare.*INSERT INTO order_items' "$dir/general.log"
check "no RETURNING in any statement orderd sent" bash -c "! grep -qi 'RETURNING' '$dir/general.log'"

# The locker below holds its lock from when its SLEEP(N) runs: wait for that
# (a client started a fixed 0.5 s earlier may not be there yet on a loaded
# machine, and the request then finds no lock).
lock_held() { [ "$(mariadb_root -N -B -e "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP($1)%'" 2>/dev/null)" = 1 ]; }

# ---- a read that exceeds lock_wait_timeout (1 s): 503, not 404
errs_before=$(curl -s "$ORDERD_METRICS_URL/metrics" | awk '$1 ~ /^orderd_errors_total\{type="db_unavailable",endpoint="\/api\/order\/:id"\}/ {print $2}')
mariadb_root orders_db -e "LOCK TABLES orders WRITE; SELECT SLEEP(4); UNLOCK TABLES;" >/dev/null &
locker=$!
wait_for 30 lock_held 4 || fail "the locker did not take the lock"
hdr=$(mktemp); on_exit "rm -f $hdr"
start=${EPOCHREALTIME/./}
out=$(curl -s -D "$hdr" -w ' %{http_code}' --max-time 10 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "GET on a locked table past lock_wait_timeout: 503 (got ${out##* })" [ "${out##* }" = 503 ]
check "... with Retry-After" grep -qi '^Retry-After: 1' "$hdr"
check "... saying the database is busy" grep -q '"database busy, retry"' <<<"${out% *}"
check "... after the lock wait, before --db.timeout (${ms} ms)" [ "$ms" -ge 900 -a "$ms" -lt 4500 ]
errs_after=$(curl -s "$ORDERD_METRICS_URL/metrics" | awk '$1 ~ /^orderd_errors_total\{type="db_unavailable",endpoint="\/api\/order\/:id"\}/ {print $2}')
check "... counted as db_unavailable ($errs_before -> $errs_after)" [ "$errs_after" = "$((errs_before + 1))" ]
check "... and never as not_found" bash -c "curl -s '$ORDERD_METRICS_URL/metrics' | grep -q '^orderd_errors_total{type=\"not_found\",endpoint=\"/api/order/:id\"} 0$'"
wait "$locker"
r=$(http GET /api/order/1)
check "GET 200 once the lock is gone" [ "${r%% *}" = 200 ]

# POST on the same lock: each attempt waits 1 s; retried, then 503.
mariadb_root orders_db -e "LOCK TABLES orders WRITE; SELECT SLEEP(8); UNLOCK TABLES;" >/dev/null &
locker=$!
wait_for 30 lock_held 8 || fail "the locker did not take the lock"
r=$(http POST /api/order '{"customer_id":3,"items":[{"product_id":987654,"quantity":1,"unit_price":"1.00"}]}')
check "POST on a locked table: 503 (got ${r%% *})" [ "${r%% *}" = 503 ]
check "... database busy" grep -q '"database busy, retry"' <<<"$(body_of "$r")"
wait "$locker"
check "no order row from it" [ "$(sql "SELECT COUNT(*) FROM order_items WHERE product_id=987654")" = 0 ]
check "SIGTERM: exit 0" orderd_stop

# ---- a read that exceeds --db.timeout (the client's read timeout): 503
mariadb_root -e "SET GLOBAL lock_wait_timeout=30" || exit 1
orderd_start --db.pool-size=1 --db.timeout=1s --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "not ready"; finish; }
mariadb_root orders_db -e "LOCK TABLES orders WRITE; SELECT SLEEP(4); UNLOCK TABLES;" >/dev/null &
locker=$!
wait_for 30 lock_held 4 || fail "the locker did not take the lock"
start=${EPOCHREALTIME/./}
out=$(curl -s -w ' %{http_code}' --max-time 10 "$ORDERD_URL/api/order/1")
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "GET past --db.timeout=1s: 503 (got ${out##* })" [ "${out##* }" = 503 ]
check "... within the timeout, not the lock (${ms} ms)" [ "$ms" -lt 3000 ]
wait "$locker"
check "GET 200 again once the lock is gone (new connection)" bash -c "for i in 1 2 3 4 5 6 7 8 9 10; do [ \"\$(curl -s -o /dev/null -w '%{http_code}' '$ORDERD_URL/api/order/1')\" = 200 ] && exit 0; sleep 0.3; done; exit 1"
check "SIGTERM: exit 0" orderd_stop
finish
