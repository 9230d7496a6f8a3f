-- 0001: seed 003's tables -> InnoDB, utf8mb4, NOT NULL where the API always
-- has a value, named foreign keys, the indexes the queries need, CHECKs.
-- Re-runnable, also after later migrations: every step is IF [NOT] EXISTS
-- or converges (MODIFY).
--
-- Rows that seed 003's nullable columns let in get generated fallback
-- values (customer-<id> name and email, status 'pending', the
-- total recomputed from the items) before the columns become NOT NULL; an
-- order without a customer or an item without an order, quantity or price
-- cannot be repaired here and makes this migration fail loudly instead.

ALTER DATABASE orders_db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

UPDATE customer SET name = CONCAT('customer-', customer_id) WHERE name IS NULL;
UPDATE customer SET email = CONCAT('customer-', customer_id, '@example.invalid')
	WHERE email IS NULL;
UPDATE orders SET status = 'pending' WHERE status IS NULL;
UPDATE orders o SET o.total_amount = (
	SELECT COALESCE(SUM(i.quantity * i.unit_price), 0)
	FROM order_items i WHERE i.order_id = o.order_id)
	WHERE o.total_amount IS NULL;

-- Foreign keys first off (seed 003's were unnamed: InnoDB called them
-- <table>_ibfk_1, with an index named after the column), so the columns
-- they use can change; they come back named, on the new indexes.
ALTER TABLE order_items DROP FOREIGN KEY IF EXISTS order_items_ibfk_1;
ALTER TABLE order_items DROP FOREIGN KEY IF EXISTS fk_items_order;
ALTER TABLE orders DROP FOREIGN KEY IF EXISTS orders_ibfk_1;
ALTER TABLE orders DROP FOREIGN KEY IF EXISTS fk_orders_customer;

-- Character sets: the table default and each text column by name (MODIFY
-- converts the stored text), not CONVERT TO, which would also turn columns
-- that later migrations add on purpose in another set (orders'
-- idempotency_key is ascii_bin) when this file is re-run.
ALTER TABLE customer ENGINE=InnoDB;
ALTER TABLE customer
	DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
	MODIFY customer_id INT NOT NULL AUTO_INCREMENT,
	MODIFY name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
	MODIFY email VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
	MODIFY created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;

ALTER TABLE orders ENGINE=InnoDB;
ALTER TABLE orders
	DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
	MODIFY order_id INT NOT NULL AUTO_INCREMENT,
	MODIFY customer_id INT NOT NULL,
	MODIFY total_amount DECIMAL(10,2) NOT NULL,
	MODIFY status VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT 'pending',
	MODIFY created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	DROP INDEX IF EXISTS customer_id,
	ADD INDEX IF NOT EXISTS idx_orders_customer_created (customer_id, created_at),
	ADD CONSTRAINT IF NOT EXISTS chk_orders_total CHECK (total_amount >= 0);

ALTER TABLE order_items ENGINE=InnoDB;
ALTER TABLE order_items
	DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
	MODIFY item_id INT NOT NULL AUTO_INCREMENT,
	MODIFY order_id INT NOT NULL,
	MODIFY product_id INT NOT NULL,
	MODIFY quantity INT NOT NULL,
	MODIFY unit_price DECIMAL(10,2) NOT NULL,
	DROP INDEX IF EXISTS order_id,
	ADD INDEX IF NOT EXISTS idx_items_order (order_id),
	ADD CONSTRAINT IF NOT EXISTS chk_items_quantity CHECK (quantity >= 1),
	ADD CONSTRAINT IF NOT EXISTS chk_items_unit_price CHECK (unit_price >= 0);

ALTER TABLE orders ADD CONSTRAINT fk_orders_customer
	FOREIGN KEY IF NOT EXISTS (customer_id) REFERENCES customer (customer_id);
ALTER TABLE order_items ADD CONSTRAINT fk_items_order
	FOREIGN KEY IF NOT EXISTS (order_id) REFERENCES orders (order_id);
