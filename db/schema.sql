-- prism: the orders_db schema, current version (seed 003's three tables,
-- tightened).  For a NEW database: `mariadb < db/schema.sql`, or just run
-- db/migrate.sh, which loads this file when orders_db has no tables and
-- otherwise applies the missing files of db/migrations/.
--
-- This file and db/migrations/ must describe the same schema: loading this
-- file, or seed 003's original tables followed by every migration, gives
-- identical SHOW CREATE TABLE output (tests/integration/db/test_migrate.sh).
-- A change therefore goes into BOTH: a new migrations/NNNN_name.sql and the
-- definitions below, plus its row in the schema_version INSERT at the end.
--
-- Re-runnable: everything is IF NOT EXISTS, and the schema_version rows are
-- written only into an empty schema_version table.  It refuses to run on a
-- database that has seed 003's tables but no schema_version (that one needs
-- db/migrate.sh, which brings it forward).
--
-- Design notes (why, beyond seed 003):
-- * utf8mb4 everywhere: names and emails are arbitrary UTF-8 (orderd
--   validates it); utf8mb4_unicode_ci exists in MariaDB and MySQL alike.
-- * NOT NULL where the API always has a value; CHECKs mirror orderd's
--   validation so a bug there cannot store a negative price or quantity.
-- * Money is DECIMAL(10,2): exact, never binary floating point.
-- * created_at is a TIMESTAMP, stored in UTC; clients read it with
--   time_zone='+00:00' (or UNIX_TIMESTAMP()) to print RFC 3339 "Z" times.
-- * orders.idempotency_key holds the POST's Idempotency-Key header (unique;
--   NULL when none was sent: a UNIQUE index allows many NULLs), and
--   request_hash a 32-byte digest (e.g. SHA-256) of the request body, so a
--   retry (same key, same hash: 200 with the first order) is told apart from
--   a conflicting reuse (same key, another hash: 422).  The key is compared
--   byte for byte (ascii_bin): header values are visible ASCII (RFC 9110
--   section 5.5), and "Key" and "key" are different keys.
-- * Indexes: primary keys serve GET /api/order/:id (orders by id, customer
--   by id); idx_items_order serves "the items of an order";
--   idx_orders_customer_created serves "a customer's orders, newest first"
--   and the foreign key to customer.

CREATE DATABASE IF NOT EXISTS orders_db
	CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE orders_db;

-- Refuse an unversioned database that already has tables (seed 003's).
-- (EXECUTE IMMEDIATE takes no subquery: the test goes through a variable.)
SET @unversioned =
	EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = 'orders_db' AND table_name = 'orders')
	AND NOT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = 'orders_db' AND table_name = 'schema_version');
EXECUTE IMMEDIATE IF(@unversioned,
	'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ''orders_db has tables but no schema_version: run db/migrate.sh instead of schema.sql''',
	'DO 0');

-- One row per applied migration (version = the NNNN of its file name).
-- Version 0 is the schema_version table itself over seed 003's tables.
CREATE TABLE IF NOT EXISTS schema_version (
	version INT UNSIGNED NOT NULL,
	name VARCHAR(255) NOT NULL,
	applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS customer (
	customer_id INT NOT NULL AUTO_INCREMENT,
	name VARCHAR(255) NOT NULL,
	email VARCHAR(255) NOT NULL,
	created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	PRIMARY KEY (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
	order_id INT NOT NULL AUTO_INCREMENT,
	customer_id INT NOT NULL,
	total_amount DECIMAL(10,2) NOT NULL,
	status VARCHAR(50) NOT NULL DEFAULT 'pending',
	created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	idempotency_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin DEFAULT NULL,
	request_hash BINARY(32) DEFAULT NULL,
	PRIMARY KEY (order_id),
	UNIQUE KEY uq_orders_idempotency_key (idempotency_key),
	KEY idx_orders_customer_created (customer_id, created_at),
	CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
		REFERENCES customer (customer_id),
	CONSTRAINT chk_orders_total CHECK (total_amount >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_items (
	item_id INT NOT NULL AUTO_INCREMENT,
	order_id INT NOT NULL,
	product_id INT NOT NULL,
	quantity INT NOT NULL,
	unit_price DECIMAL(10,2) NOT NULL,
	PRIMARY KEY (item_id),
	KEY idx_items_order (order_id),
	CONSTRAINT fk_items_order FOREIGN KEY (order_id)
		REFERENCES orders (order_id),
	CONSTRAINT chk_items_quantity CHECK (quantity >= 1),
	CONSTRAINT chk_items_unit_price CHECK (unit_price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The versions this file embodies; only into an empty table, so re-running
-- it on a database half-way through its migrations records nothing false.
INSERT INTO schema_version (version, name)
SELECT v.version, v.name FROM (
	SELECT 0 AS version, 'schema_version' AS name
	UNION ALL SELECT 1, 'constraints_utf8mb4'
	UNION ALL SELECT 2, 'idempotency_key'
) AS v
WHERE NOT EXISTS (SELECT 1 FROM schema_version);
