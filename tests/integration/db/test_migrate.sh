#!/bin/bash
# db/migrate.sh and db/migrations/: a seed-003 database is brought forward,
# repaired rows and all; the result is the very schema db/schema.sql makes;
# running again is a no-op; every migration is re-runnable; a new migration
# is applied once; a failing one is not recorded; schema.sql refuses an
# unversioned database.
. "$SRC_DIR/tests/lib/mariadb.sh"

d=$(tmpdir_new)
mariadb_start "$d/m" || exit 1
export MIGRATE_MARIADB="mariadb --no-defaults -uroot -S $MARIADB_SOCKET"
here=$SRC_DIR/tests/integration/db
q() { mariadb_root -N -B -e "$1"; }
# DDL of every table, without the AUTO_INCREMENT counter (data, not schema).
ddl() {
	local t
	for t in schema_version customer orders order_items; do
		q "SHOW CREATE TABLE orders_db.$t" | sed 's/ AUTO_INCREMENT=[0-9]*//'
	done
	q "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.schemata WHERE schema_name = 'orders_db'"
}

# 1. A database from seed 003's schema.
check "seed 003 schema loads" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' <'$here/seed003_schema.sql'"
check "--status on an unversioned db lists all pending" \
	bash -c "'$SRC_DIR/db/migrate.sh' --status | grep -c '^pending' | grep -qx 3"
out=$(mariadb_root <"$SRC_DIR/db/schema.sql" 2>&1)
check "schema.sql refuses an unversioned database" grep -q "run db/migrate.sh" <<<"$out"
check "schema.sql left it unversioned" \
	test "$(q "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='orders_db' AND table_name='schema_version'")" = 0

out=$("$SRC_DIR/db/migrate.sh" 2>&1)
rc=$?
echo "$out"
check "migrate.sh brings it forward" test "$rc" = 0
check "applied 0000, 0001, 0002" test "$(grep -c '^migrate: applying' <<<"$out")" = 3
check "schema_version records 0,1,2" test "$(q 'SELECT GROUP_CONCAT(version ORDER BY version) FROM orders_db.schema_version')" = "0,1,2"
check "rows kept" test "$(q 'SELECT COUNT(*) FROM orders_db.order_items')" = 4
check "NULL name repaired" test "$(q 'SELECT name FROM orders_db.customer WHERE customer_id=2')" = "customer-2"
check "NULL status repaired" test "$(q 'SELECT status FROM orders_db.orders WHERE order_id=2')" = "pending"
check "NULL total recomputed from items" test "$(q 'SELECT total_amount FROM orders_db.orders WHERE order_id=2')" = "4.75"
check "latin1 text converted, not mangled" test "$(q 'SELECT HEX(name) FROM orders_db.customer WHERE customer_id=3')" = "436166C3A9"
check "idempotency_key column exists" q "SELECT idempotency_key, request_hash FROM orders_db.orders LIMIT 0"
check "old unnamed foreign keys gone" \
	test "$(q "SELECT COUNT(*) FROM information_schema.referential_constraints WHERE constraint_schema='orders_db' AND constraint_name LIKE '%ibfk%'")" = 0
migrated=$(ddl)
applied_at=$(q 'SELECT GROUP_CONCAT(applied_at) FROM orders_db.schema_version')

# 2. Again: nothing to do.
sleep 1.1
out=$("$SRC_DIR/db/migrate.sh" 2>&1)
check "second run succeeds" test $? = 0
check "second run applies nothing" bash -c "! grep -q applying <<<'$out'"
check "second run leaves schema_version alone" \
	test "$(q 'SELECT GROUP_CONCAT(applied_at) FROM orders_db.schema_version')" = "$applied_at"
check "second run leaves the DDL alone" test "$(ddl)" = "$migrated"
check "--status: all applied" bash -c "'$SRC_DIR/db/migrate.sh' --status | grep -c '^applied' | grep -qx 3"

# 3. Each migration is re-runnable on its own (an interrupted run redoes it).
for f in "$SRC_DIR"/db/migrations/*.sql; do
	check "re-run $(basename "$f")" bash -c "{ echo 'USE orders_db;'; cat '$f'; } | mariadb --no-defaults -uroot -S '$MARIADB_SOCKET'"
done
rerun=$(ddl)
check "re-running every migration changes nothing" test "$rerun" = "$migrated"
[ "$rerun" = "$migrated" ] || diff <(echo "$migrated") <(echo "$rerun")

# 4. The same schema as a fresh schema.sql (via migrate.sh on an empty server).
q "DROP DATABASE orders_db"
out=$("$SRC_DIR/db/migrate.sh" 2>&1)
check "migrate.sh on an empty server loads schema.sql" grep -q "loading db/schema.sql" <<<"$out"
check "... and applies nothing else" bash -c "! grep -q applying <<<'$out'"
check "schema.sql records the same versions" test "$(q 'SELECT GROUP_CONCAT(version ORDER BY version) FROM orders_db.schema_version')" = "0,1,2"
fresh=$(ddl)
if [ "$fresh" = "$migrated" ]; then
	pass "schema.sql and seed 003 + migrations give identical DDL"
else
	fail "schema.sql and seed 003 + migrations differ"
	diff <(echo "$migrated") <(echo "$fresh")
fi
check "schema.sql re-run is harmless" bash -c "mariadb --no-defaults -uroot -S '$MARIADB_SOCKET' <'$SRC_DIR/db/schema.sql'"
check "schema.sql re-run: DDL unchanged" test "$(ddl)" = "$fresh"
check "schema.sql re-run: versions unchanged" test "$(q 'SELECT COUNT(*) FROM orders_db.schema_version')" = 3

# 5. A new migration in a copy of db/: applied once; a failing one is not
# recorded and the run fails.
cp -r "$SRC_DIR/db" "$d/db"
cat >"$d/db/migrations/0003_test_column.sql" <<'EOS'
ALTER TABLE customer ADD COLUMN IF NOT EXISTS phone VARCHAR(32) DEFAULT NULL;
EOS
check "a new migration applies" bash -c "'$d/db/migrate.sh' | grep -q 'applying 0003_test_column'"
check "it is recorded" test "$(q 'SELECT name FROM orders_db.schema_version WHERE version=3')" = test_column
check "its change is there" q "SELECT phone FROM orders_db.customer LIMIT 0"
check "and not applied twice" bash -c "! '$d/db/migrate.sh' | grep -q applying"
cat >"$d/db/migrations/0004_broken.sql" <<'EOS'
ALTER TABLE no_such_table ADD COLUMN x INT;
EOS
"$d/db/migrate.sh" >/dev/null 2>&1
check "a failing migration fails the run" test $? = 1
check "a failing migration is not recorded" test "$(q 'SELECT COUNT(*) FROM orders_db.schema_version WHERE version=4')" = 0
cp "$d/db/migrations/0003_test_column.sql" "$d/db/migrations/0004_dup.sql"
rm "$d/db/migrations/0004_broken.sql"
cp "$d/db/migrations/0003_test_column.sql" "$d/db/migrations/0003_again.sql"
"$d/db/migrate.sh" >/dev/null 2>&1
check "two files with one version are refused" test $? = 1
rm "$d/db/migrations/0003_again.sql" "$d/db/migrations/0004_dup.sql"
touch "$d/db/migrations/0005_Bad-Name.sql"
"$d/db/migrate.sh" >/dev/null 2>&1
check "a badly named migration is refused" test $? = 1
rm "$d/db/migrations/0005_Bad-Name.sql"
check "checkout older than the db: warns, succeeds" bash -c "'$SRC_DIR/db/migrate.sh' 2>&1 | grep -q 'newer than these files'"

# 6. Usage and connection errors.
"$SRC_DIR/db/migrate.sh" --bogus >/dev/null 2>&1
check "bad argument: exit 2" test $? = 2
MIGRATE_MARIADB="mariadb --no-defaults -uroot -S $d/nonexistent.sock" "$SRC_DIR/db/migrate.sh" >/dev/null 2>&1
check "no server: exit 1" test $? = 1
finish
