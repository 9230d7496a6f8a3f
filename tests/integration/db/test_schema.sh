#!/bin/bash
# db/schema.sql + db/seed.sql on a fresh MariaDB: tables, engine, charset,
# NOT NULLs, foreign keys and CHECKs enforced, the indexes the queries use,
# idempotency key unique, seed totals exact, seed re-run harmless.
. "$SRC_DIR/tests/lib/mariadb.sh"

d=$(tmpdir_new)
mariadb_start "$d/m" || exit 1
check "schema, grants and seed load" mariadb_load
q() { mariadb_root -N -B orders_db -e "$1" 2>&1; }
# expect_error CODE SQL: the statement fails with that MariaDB error code.
expect_error() { q "$2" | grep -q "ERROR $1 "; }

check "three tables + schema_version, all InnoDB utf8mb4" test "$(q "SELECT GROUP_CONCAT(table_name ORDER BY BINARY table_name), COUNT(DISTINCT engine), COUNT(DISTINCT table_collation) FROM information_schema.tables WHERE table_schema='orders_db'")" = "$(printf 'customer,order_items,orders,schema_version\t1\t1')"
check "collation utf8mb4_unicode_ci" test "$(q "SELECT DISTINCT table_collation FROM information_schema.tables WHERE table_schema='orders_db'")" = utf8mb4_unicode_ci
check "4-byte UTF-8 round-trips" bash -c "[ \"\$(mariadb --no-defaults --default-character-set=utf8mb4 -uroot -S '$MARIADB_SOCKET' -N orders_db -e \"INSERT INTO customer (name, email) VALUES ('Emoji 😀', 'e@example.com'); SELECT HEX(name) FROM customer WHERE email='e@example.com'\")\" = 456D6F6A6920F09F9880 ]"

# NOT NULLs the API relies on.
check "customer.name NOT NULL" expect_error 1048 "INSERT INTO customer (name, email) VALUES (NULL, 'x@example.com')"
check "orders.customer_id NOT NULL" expect_error 1048 "INSERT INTO orders (customer_id, total_amount) VALUES (NULL, 1)"
check "orders.total_amount NOT NULL" expect_error 1048 "INSERT INTO orders (customer_id, total_amount) VALUES (1, NULL)"
check "order_items.quantity NOT NULL" expect_error 1048 "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, NULL, 1)"
check "status defaults to pending" test "$(q "INSERT INTO orders (customer_id, total_amount) VALUES (1, 0); SELECT status FROM orders WHERE order_id = LAST_INSERT_ID()")" = pending
check "created_at defaults to now" test "$(q "SELECT TIMESTAMPDIFF(SECOND, created_at, NOW()) < 60 FROM orders ORDER BY order_id DESC LIMIT 1")" = 1

# Foreign keys.
check "FK: order for a missing customer refused" expect_error 1452 "INSERT INTO orders (customer_id, total_amount) VALUES (999999, 1)"
check "FK: item for a missing order refused" expect_error 1452 "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (999999, 1, 1, 1)"
check "FK: a customer with orders cannot be deleted" expect_error 1451 "DELETE FROM customer WHERE customer_id = 1"
check "FK: an order with items cannot be deleted" expect_error 1451 "DELETE FROM orders WHERE order_id = 1"

# CHECKs mirror orderd's validation.
check "CHECK: quantity >= 1" expect_error 4025 "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 0, 1)"
check "CHECK: unit_price >= 0" expect_error 4025 "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 1, -0.01)"
check "CHECK: total_amount >= 0" expect_error 4025 "INSERT INTO orders (customer_id, total_amount) VALUES (1, -1)"
check "DECIMAL(10,2): a third decimal is not silently kept" \
	test "$(q "SELECT CAST(19.999 AS DECIMAL(10,2)) = 20.00")" = 1
check "strict mode: an out-of-range price is an error, not clipped" expect_error 1264 "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 1, 123456789.00)"

# Idempotency key: unique when set, many NULLs allowed, exact bytes.
h=$(printf 'a%.0s' {1..64})
check "insert with an idempotency key" q "INSERT INTO orders (customer_id, total_amount, idempotency_key, request_hash) VALUES (1, 1, 'key-1', UNHEX('$h'))"
check "same key again refused (1062)" expect_error 1062 "INSERT INTO orders (customer_id, total_amount, idempotency_key) VALUES (1, 1, 'key-1')"
check "keys are case-sensitive" q "INSERT INTO orders (customer_id, total_amount, idempotency_key) VALUES (1, 1, 'KEY-1')"
check "many orders without a key" q "INSERT INTO orders (customer_id, total_amount) VALUES (1, 1), (1, 2)"
check "request_hash keeps 32 bytes" test "$(q "SELECT LENGTH(request_hash), HEX(request_hash) = UPPER('$h') FROM orders WHERE idempotency_key='key-1'")" = "$(printf '32\t1')"
check "a 129-byte key is refused" expect_error 1406 "INSERT INTO orders (customer_id, total_amount, idempotency_key) VALUES (1, 1, REPEAT('k', 129))"

# The queries orderd runs use indexes (EXPLAIN names them).
check "GET order by id uses the primary key" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' -N orders_db -e 'EXPLAIN SELECT * FROM orders WHERE order_id = 3' | grep -q PRIMARY"
check "items of an order use idx_items_order" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' -N orders_db -e 'EXPLAIN SELECT * FROM order_items WHERE order_id = 3' | grep -q idx_items_order"
check "orders of a customer use idx_orders_customer_created" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' -N orders_db -e 'EXPLAIN SELECT * FROM orders WHERE customer_id = 3 ORDER BY created_at DESC' | grep -q idx_orders_customer_created"
check "lookup by idempotency key uses its unique index" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' -N orders_db -e \"EXPLAIN SELECT * FROM orders WHERE idempotency_key = 'key-1'\" | grep -q uq_orders_idempotency_key"

# Seed data: totals exact; a second load adds nothing.
check "seed: 6 orders with items" test "$(q "SELECT COUNT(DISTINCT order_id) FROM order_items WHERE order_id <= 6")" = 6
check "seed: every total equals its items' sum" test "$(q "SELECT COUNT(*) FROM orders o WHERE o.order_id <= 6 AND o.total_amount <> (SELECT SUM(quantity * unit_price) FROM order_items i WHERE i.order_id = o.order_id)")" = 0
check "seed: order 1 total 44.98" test "$(q 'SELECT total_amount FROM orders WHERE order_id = 1')" = 44.98
check "seed: UTF-8 name intact" test "$(q 'SELECT HEX(name) FROM customer WHERE customer_id = 4')" = 5A6FC3AB20C3856E67737472C3B66D
before=$(q 'SELECT COUNT(*) FROM customer'),$(q 'SELECT COUNT(*) FROM orders'),$(q 'SELECT COUNT(*) FROM order_items')
check "seed.sql again" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' <'$SRC_DIR/db/seed.sql'"
after=$(q 'SELECT COUNT(*) FROM customer'),$(q 'SELECT COUNT(*) FROM orders'),$(q 'SELECT COUNT(*) FROM order_items')
check "seed.sql again adds nothing ($before)" test "$before" = "$after"
check "new ids continue after the seed's" test "$(q "INSERT INTO customer (name, email) VALUES ('n', 'n@example.com'); SELECT LAST_INSERT_ID() > 5")" = 1
finish
