#!/bin/bash
# db/grants.sql: app_user can do what orderd does and nothing else; the
# exporter reads server statistics and performance_schema but no order
# rows, with at most 3 connections; passwords come from session variables
# (missing ones are an error), re-running rotates them; @app_host works.
. "$SRC_DIR/tests/lib/mariadb.sh"

d=$(tmpdir_new)
mariadb_start "$d/m" || exit 1
check "load" mariadb_load
app() { mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -N -B -e "$1" 2>&1; }
exp() { mariadb --defaults-file="$MARIADB_DIR/exporter.cnf" -N -B -e "$1" 2>&1; }
root() { mariadb_root -N -B -e "$1" 2>&1; }
denied() { grep -qE "ERROR (1142|1044|1227|1045|1370|1143|1046) " <<<"$1"; }

# --- app_user: what orderd does, over TCP, as its my.cnf says.
check "app_user: connects over TCP as app_user@localhost" test "$(app 'SELECT CURRENT_USER()')" = "app_user@localhost"
check "app_user: default database orders_db from orderd.cnf" test "$(app 'SELECT DATABASE()')" = orders_db
check "app_user: GET's join" test "$(app "SELECT o.order_id, c.name, COUNT(i.item_id) FROM orders o JOIN customer c USING (customer_id) JOIN order_items i USING (order_id) WHERE o.order_id = 1 GROUP BY o.order_id, c.name")" = "$(printf '1\tAda Lovelace\t2')"
out=$(app "START TRANSACTION;
INSERT INTO customer (customer_id, name, email) VALUES (1000, 'New One', 'new@example.com');
INSERT INTO orders (customer_id, total_amount, idempotency_key, request_hash) VALUES (1000, 39.98, 'k-app-1', UNHEX(SHA2('body', 256)));
SET @o = LAST_INSERT_ID();
INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (@o, 101, 2, 19.99);
COMMIT;
SELECT total_amount FROM orders WHERE order_id = @o;")
check "app_user: POST's transaction (customer, order, items)" test "$out" = 39.98
check "app_user: a concurrent duplicate customer is 1062, not a privilege error" \
	grep -q "ERROR 1062 " <<<"$(app "INSERT INTO customer (customer_id, name, email) VALUES (1000, 'x', 'x@example.com')")"
check "app_user: INSERT IGNORE needs nothing more" test -z "$(app "INSERT IGNORE INTO customer (customer_id, name, email) VALUES (1000, 'x', 'x@example.com')")"
check "app_user: idempotency lookup" test "$(app "SELECT HEX(request_hash) = UPPER(SHA2('body', 256)) FROM orders WHERE idempotency_key = 'k-app-1'")" = 1
check "app_user: SELECT ... FOR UPDATE (row locks)" test "$(app 'START TRANSACTION; SELECT customer_id FROM customer WHERE customer_id = 1 FOR UPDATE; COMMIT')" = 1
check "app_user: session settings (time_zone, max_statement_time)" test "$(app "SET time_zone = '+00:00', max_statement_time = 2; SELECT @@time_zone")" = "+00:00"

# --- app_user: nothing else.
check "app_user: no UPDATE" denied "$(app "UPDATE orders SET status = 'x' WHERE order_id = 1")"
check "app_user: no DELETE" denied "$(app 'DELETE FROM order_items WHERE item_id = 1')"
check "app_user: no DROP" denied "$(app 'DROP TABLE order_items')"
check "app_user: no ALTER" denied "$(app 'ALTER TABLE orders ADD COLUMN x INT')"
check "app_user: no TRUNCATE" denied "$(app 'TRUNCATE TABLE order_items')"
check "app_user: no CREATE ROUTINE" denied "$(app 'CREATE PROCEDURE p() SELECT 1')"
check "app_user: no CREATE" denied "$(app 'CREATE TABLE t (i INT)')"
check "app_user: no schema_version" denied "$(app 'SELECT * FROM schema_version')"
check "app_user: no mysql.user" denied "$(app 'SELECT user FROM mysql.user')"
check "app_user: no other database" denied "$(app 'USE mysql')"
check "app_user: no GRANT" denied "$(app "GRANT SELECT ON orders_db.orders TO 'exporter'@'localhost'")"
check "app_user: no FILE (INTO OUTFILE)" denied "$(app "SELECT * FROM orders INTO OUTFILE '/tmp/prism-grants-test.out'")"
check "app_user: rows intact after all that" test "$(root 'SELECT COUNT(*) FROM orders_db.order_items WHERE item_id = 1')" = 1

# --- exporter: statistics, not data.
check "exporter: connects as exporter@localhost" test "$(exp 'SELECT CURRENT_USER()')" = "exporter@localhost"
check "exporter: SHOW GLOBAL STATUS" grep -q "^Uptime" <<<"$(exp "SHOW GLOBAL STATUS LIKE 'Uptime'")"
check "exporter: SHOW GLOBAL VARIABLES" grep -q "^max_connections" <<<"$(exp "SHOW GLOBAL VARIABLES LIKE 'max_connections'")"
root "SELECT COUNT(*) FROM orders_db.orders" >/dev/null
check "exporter: performance_schema digests (sees root's statements)" \
	test "$(exp "SELECT COUNT(*) > 0 FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = 'orders_db' OR DIGEST_TEXT LIKE '%orders_db%'")" = 1
check "exporter: performance_schema table I/O" grep -qE '^[0-9]+$' <<<"$(exp 'SELECT COUNT(*) FROM performance_schema.table_io_waits_summary_by_table')"
check "exporter: information_schema.INNODB_METRICS (PROCESS)" test "$(exp 'SELECT COUNT(*) > 0 FROM information_schema.INNODB_METRICS')" = 1
mariadb_root -e 'SELECT SLEEP(3)' >/dev/null &
sleeper=$!
for ((i = 0; i < 30; i++)); do
	[ "$(root "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'")" = 1 ] && break
	sleep 0.1
done
check "exporter: PROCESSLIST shows root's query (PROCESS)" test "$(exp "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'root'")" != 0
kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null
out=$(exp 'SHOW ALL SLAVES STATUS')
check "exporter: SHOW ALL SLAVES STATUS (SLAVE MONITOR)" bash -c "! grep -q ERROR <<<'$out'"
# (The exact exporter privilege set is mysql-exporter's to choose, inside
# grants.sql's BEGIN/END exporter markers; tests/integration/mysql/ checks
# that each one is needed.  Here: what it can see and what it cannot.)
check "exporter: SHOW ENGINE INNODB STATUS" grep -q InnoDB <<<"$(exp 'SHOW ENGINE INNODB STATUS')"
check "exporter: no order rows" denied "$(exp 'SELECT * FROM orders_db.orders')"
check "exporter: no customer rows" denied "$(exp 'SELECT email FROM orders_db.customer')"
check "exporter: cannot USE orders_db" denied "$(exp 'USE orders_db')"
check "exporter: no INSERT" denied "$(exp "INSERT INTO orders_db.customer (name, email) VALUES ('x', 'y')")"
check "exporter: no mysql.user" denied "$(exp 'SELECT authentication_string FROM mysql.user')"
check "exporter: over TCP to 127.0.0.1 too" test "$(mariadb --no-defaults -uexporter -p"$MARIADB_EXPORTER_PASSWORD" -h127.0.0.1 -P"$MARIADB_PORT" --protocol=TCP -N -e 'SELECT 1' 2>&1)" = 1
# At most 3 connections: three sleepers hold them, the fourth is refused.
for i in 1 2 3; do
	mariadb --defaults-file="$MARIADB_DIR/exporter.cnf" -e 'SELECT SLEEP(4)' >/dev/null 2>&1 &
done
for ((i = 0; i < 50; i++)); do
	[ "$(root "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'exporter'")" = 3 ] && break
	sleep 0.1
done
check "exporter: a 4th connection is refused (MAX_USER_CONNECTIONS 3)" grep -q "ERROR 1226 " <<<"$(exp 'SELECT 1')"
wait

# --- passwords.
check "wrong password refused" grep -q "ERROR 1045 " <<<"$(mariadb --no-defaults -uapp_user -pwrong -h127.0.0.1 -P"$MARIADB_PORT" -e 'SELECT 1' 2>&1)"
check "no password in grants.sql: every IDENTIFIED BY takes QUOTE(@...)" \
	test "$(grep -c 'IDENTIFIED BY' "$SRC_DIR/db/grants.sql")" = "$(grep 'IDENTIFIED BY' "$SRC_DIR/db/grants.sql" | grep -c "IDENTIFIED BY ', QUOTE(@")"
out=$(mariadb_root <"$SRC_DIR/db/grants.sql" 2>&1)
check "grants.sql without @app_password fails, saying why" grep -q "SET @app_password first" <<<"$out"
out=$(printf "SET @app_password='x';\n" | cat - "$SRC_DIR/db/grants.sql" | mariadb_root 2>&1)
check "grants.sql without @exporter_password fails, saying why" grep -q "SET @exporter_password first" <<<"$out"
pw='new'"'"'pa\ss"word'
# The same password as an SQL literal: quote doubled, backslash doubled.
lit="'$(sed "s/'/''/g; s/\\\\/\\\\\\\\/g" <<<"$pw")'"
{ echo "SET @app_password = $lit, @exporter_password = 'e2';"; cat "$SRC_DIR/db/grants.sql"; } | mariadb_root
check "re-run with a new password (quotes and backslash in it) works" test $? = 0
check "new password works" test "$(mariadb --no-defaults -uapp_user -p"$pw" -h127.0.0.1 -P"$MARIADB_PORT" -N -e 'SELECT 1' 2>&1)" = 1
check "old password no longer works" grep -q "ERROR 1045 " <<<"$(app 'SELECT 1')"
check "re-run keeps the privileges" test "$(mariadb --no-defaults -uapp_user -p"$pw" -h127.0.0.1 -P"$MARIADB_PORT" -N orders_db -e 'SELECT COUNT(*) > 0 FROM orders' 2>&1)" = 1
check "exporter keeps MAX_USER_CONNECTIONS 3 after a re-run" test "$(root "SELECT max_user_connections FROM mysql.user WHERE user = 'exporter' AND host = 'localhost'")" = 3
printf "SET @app_password = 'p3', @exporter_password = 'e3', @app_host = '10.1.2.3';\n" | cat - "$SRC_DIR/db/grants.sql" | mariadb_root
check "@app_host makes app_user@that host" test "$(root "SELECT COUNT(*) FROM mysql.user WHERE user = 'app_user' AND host = '10.1.2.3'")" = 1
check "app_user@'%' has exactly SELECT, INSERT on the three tables" test "$(root "SELECT GROUP_CONCAT(CONCAT(table_name, ':', table_priv) ORDER BY table_name) FROM mysql.tables_priv WHERE user = 'app_user' AND host = '%'")" = "customer:Select,Insert,order_items:Select,Insert,orders:Select,Insert"
check "app_user has no global or database privileges" test "$(root "SELECT (SELECT COUNT(*) FROM mysql.db WHERE user = 'app_user') + (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE LIKE '''app_user''@%' AND PRIVILEGE_TYPE <> 'USAGE')")" = 0
finish
