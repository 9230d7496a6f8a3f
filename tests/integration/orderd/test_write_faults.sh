#!/bin/bash
# orderd's write path when its statements fail (issue 16), on a real
# MariaDB: BEFORE INSERT triggers (tests/lib/sqlfault.sh) make the customer
# upsert, the orders insert or the items insert fail -- with an error, or
# with a deadlock / lock wait timeout / duplicate key the first time only --
# and a revoked privilege makes the customer lookup fail.  After each POST:
# the HTTP status; exactly one order with all its items, or nothing at all
# (not even the new customer row written earlier in the same transaction);
# no transaction left open on orderd's connections; and the next request on
# the same (only) worker succeeds.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/lib/sqlfault.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load --no-seed || exit 1
sqlfault_install orders_db customer orders order_items || { fail "installing the fault triggers"; finish; }
# One worker: every request below runs on the connection the previous
# failure used.
orderd_start --db.pool-size=1 || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "readiness never 200"; finish; }

open_trx() {
	sql "SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p
		ON p.id = t.trx_mysql_thread_id WHERE p.user = 'app_user'"
}

cust=500000
# body CUSTOMER: a new customer with three items, total 45.22
body() {
	echo "{\"customer_id\":$1,\"customer\":{\"name\":\"Fault $1\",\"email\":\"f$1@example.com\"},\"items\":[{\"product_id\":1,\"quantity\":2,\"unit_price\":\"19.99\"},{\"product_id\":2,\"quantity\":1,\"unit_price\":5},{\"product_id\":3,\"quantity\":3,\"unit_price\":\"0.08\"}]}"
}

# after_request WHAT CUSTOMER WANT_ORDERS: the database holds WANT_ORDERS
# (0 or 1) complete orders for CUSTOMER, nothing half-written, no open
# transaction; then a fresh POST and GET on the same worker succeed.
after_request() {
	local what=$1 c=$2 want=$3 r oid
	check "$what: $want order(s) stored" [ "$(sql "SELECT COUNT(*) FROM orders WHERE customer_id=$c")" = "$want" ]
	if [ "$want" = 1 ]; then
		check "$what: the order has its 3 items" [ "$(sql "SELECT COUNT(*) FROM order_items i JOIN orders o USING (order_id) WHERE o.customer_id=$c")" = 3 ]
		check "$what: total 45.22 = its items" [ "$(sql "SELECT CONCAT(o.total_amount, '=', SUM(i.quantity*i.unit_price)) FROM orders o JOIN order_items i USING (order_id) WHERE o.customer_id=$c GROUP BY o.order_id")" = "45.22=45.22" ]
		check "$what: one customer row" [ "$(sql "SELECT COUNT(*) FROM customer WHERE customer_id=$c")" = 1 ]
	else
		check "$what: no customer row either (same transaction)" [ "$(sql "SELECT COUNT(*) FROM customer WHERE customer_id=$c")" = 0 ]
	fi
	check "$what: no item without an order" [ "$(sql "SELECT COUNT(*) FROM order_items i LEFT JOIN orders o USING (order_id) WHERE o.order_id IS NULL")" = 0 ]
	check "$what: no order without items" [ "$(sql "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)")" = 0 ]
	check "$what: no transaction open on orderd's connections" [ "$(open_trx)" = 0 ]
	sqlfault_clear
	cust=$((cust + 1))
	r=$(http POST /api/order "$(body $cust)")
	check "$what: the next POST on the same worker is 201" [ "${r%% *}" = 201 ]
	oid=$(echo "${r#* }" | json 'j["order_id"]' 2>/dev/null)
	r=$(http GET "/api/order/${oid:-0}")
	check "$what: and reads back (200)" [ "${r%% *}" = 200 ]
	check "$what: no transaction open after it" [ "$(open_trx)" = 0 ]
}

# fault WHAT TABLE ERRNO COUNT WANT_STATUS WANT_ORDERS [CURL ARGS]
fault() {
	local what=$1 table=$2 err=$3 count=$4 want_status=$5 want_orders=$6 r fired
	shift 6
	cust=$((cust + 1))
	sqlfault_set "$table" "$err" "$count"
	r=$(http POST /api/order "$(body $cust)" "$@")
	fired=$(sqlfault_fired "$table")
	check "$what: the fault fired ($fired)" [ "${fired:-0}" -ge 1 ]
	[ "$count" -gt 0 ] && check "$what: fired exactly $count time(s)" [ "$fired" = "$count" ]
	check "$what: HTTP $want_status (got ${r%% *})" [ "${r%% *}" = "$want_status" ]
	if [ "$want_status" -ge 400 ]; then
		check "$what: JSON error body" [ "$(echo "${r#* }" | json '"error" in j' 2>/dev/null)" = True ]
	else
		check "$what: the answer carries the 3 items" [ "$(echo "${r#* }" | json 'len(j["items"])' 2>/dev/null)" = 3 ]
	fi
	after_request "$what" "$cust" "$want_orders"
}

# A statement error: 500, nothing written.
fault "customer insert error" customer 45000 -1 500 0
fault "orders insert error" orders 45000 -1 500 0
fault "items insert error" order_items 45000 -1 500 0
# A deadlock the first time: InnoDB's advice is to run the transaction
# again; the retry writes one order with all its items.  (A retry inside the
# failed attempt's transaction would commit that attempt's rows too.)
fault "customer insert deadlock once" customer 1213 1 201 1
fault "orders insert deadlock once" orders 1213 1 201 1
fault "items insert deadlock once" order_items 1213 1 201 1
fault "items insert lock wait timeout once" order_items 1205 1 201 1
fault "items insert deadlock once, with a key" order_items 1213 1 201 1 -H "Idempotency-Key: dl-$$"
check "the key is stored on the one order" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key='dl-$$'")" = 1 ]
# Deadlocks every time: a bounded number of attempts, then 503 (retry later).
fault "items insert deadlock every time" order_items 1213 -1 503 0
fault "orders insert deadlock every time" orders 1213 -1 503 0
# Idempotency bookkeeping: the key's unique index reports a duplicate, but
# the lookup finds no order (its owner rolled back): run it again.
fault "orders insert duplicate key once, with a key" orders 1062 1 201 1 -H "Idempotency-Key: dup-$$"
check "the key is stored on the one order" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key='dup-$$'")" = 1 ]
# ... and without a key a duplicate is no replay: 500, nothing written.
fault "orders insert duplicate key, no key" orders 1062 1 500 0

# The customer lookup (the first statement) failing: SELECT revoked.
for h in "'%'" "'localhost'"; do mariadb_root -e "REVOKE SELECT ON orders_db.customer FROM 'app_user'@$h"; done
cust=$((cust + 1))
r=$(http POST /api/order "$(body $cust)")
for h in "'%'" "'localhost'"; do mariadb_root -e "GRANT SELECT ON orders_db.customer TO 'app_user'@$h"; done
check "customer lookup denied: 500 (got ${r%% *})" [ "${r%% *}" = 500 ]
after_request "customer lookup denied" "$cust" 0

check "orderd never had to roll back a transaction left open" [ "$(grep -c 'left in a transaction' "$ORDERD_LOG")" = 0 ]
orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
finish
