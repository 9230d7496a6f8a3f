#!/bin/bash
# db/generate.sh: N orders (1-4 items, ~2.5 on average) for N/10 customers,
# appended after existing ids, every total equal to its items' sum, fast;
# bad arguments exit 2.
. "$SRC_DIR/tests/lib/mariadb.sh"

d=$(tmpdir_new)
mariadb_start "$d/m" || exit 1
mariadb_load || exit 1
export GENERATE_MARIADB="mariadb --no-defaults -uroot -S $MARIADB_SOCKET"
q() { mariadb_root -N -B orders_db -e "$1" 2>&1; }

start=${EPOCHREALTIME/./}
out=$("$SRC_DIR/db/generate.sh" 20000)
rc=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
echo "# generate.sh 20000: ${ms} ms: $out"
check "generate.sh 20000 succeeds" test "$rc" = 0
check "reports the ranges" grep -q "customers 6..2005, orders 7..20006" <<<"$out"
check "20000 new orders" test "$(q 'SELECT COUNT(*) FROM orders WHERE order_id > 6')" = 20000
check "2000 new customers" test "$(q 'SELECT COUNT(*) FROM customer WHERE customer_id > 5')" = 2000
check "2.5 items per order" test "$(q 'SELECT COUNT(*) FROM order_items WHERE order_id > 6')" = 50000
check "every order has 1 to 4 items" test "$(q 'SELECT MIN(n) >= 1 AND MAX(n) <= 4 AND COUNT(*) = 20000 FROM (SELECT COUNT(*) n FROM order_items WHERE order_id > 6 GROUP BY order_id) t')" = 1
check "every total equals the sum of its items" test "$(q 'SELECT COUNT(*) FROM orders o WHERE o.total_amount <> (SELECT SUM(i.quantity * i.unit_price) FROM order_items i WHERE i.order_id = o.order_id)')" = 0
check "grand totals agree" test "$(q 'SELECT (SELECT SUM(total_amount) FROM orders) = (SELECT SUM(quantity * unit_price) FROM order_items)')" = 1
check "orders belong to the new customers" test "$(q 'SELECT COUNT(*) FROM orders WHERE order_id > 6 AND customer_id NOT BETWEEN 6 AND 2005')" = 0
check "prices within 0.00..99.99, quantities 1..5" test "$(q 'SELECT MIN(unit_price) >= 0 AND MAX(unit_price) <= 99.99 AND MIN(quantity) = 1 AND MAX(quantity) = 5 FROM order_items WHERE order_id > 6')" = 1
check "seed rows untouched" test "$(q 'SELECT total_amount FROM orders WHERE order_id = 1')" = 44.98
check "20000 orders in under 15 s (took ${ms} ms)" test "$ms" -lt 15000

out=$("$SRC_DIR/db/generate.sh" 10 3)
check "a second run appends after the first" grep -q "customers 2006..2008, orders 20007..20016" <<<"$out"
check "explicit customer count honoured" test "$(q 'SELECT COUNT(DISTINCT customer_id) FROM orders WHERE order_id > 20006')" = 3
check "GET-style random ids all exist" test "$(q 'SELECT COUNT(*) FROM orders WHERE order_id BETWEEN 1 AND 20016')" = 20016

for bad in "" "0" "-5" "abc" "1e3" "100000000" "10 0" "10 x" "1 2 3"; do
	# shellcheck disable=SC2086
	"$SRC_DIR/db/generate.sh" $bad >/dev/null 2>&1
	check "bad arguments '$bad' exit 2" test $? = 2
done
finish
