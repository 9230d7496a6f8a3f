-- prism: sample rows for a new orders_db (customers 1-5, orders 1-6).
-- Inserted only when the customer table is empty, so it is safe to run
-- again (the rows go through temporary tables so that one condition
-- guards them all).  Every total_amount is the exact sum of its items'
-- quantity * unit_price (checked by tests/integration/db/test_schema.sh).
-- The names below are UTF-8, whatever the client's locale says.
SET NAMES utf8mb4;
USE orders_db;

SET @seed = NOT EXISTS (SELECT 1 FROM customer);

START TRANSACTION;

CREATE TEMPORARY TABLE seed_customer LIKE customer;
INSERT INTO seed_customer (customer_id, name, email, created_at) VALUES
	(1, 'Ada Lovelace', 'ada@example.com', '2026-01-05 09:00:00'),
	(2, 'Grace Hopper', 'grace@example.com', '2026-01-06 10:30:00'),
	(3, 'Alan Turing', 'alan@example.com', '2026-01-07 11:15:00'),
	(4, 'Zoë Ångström', 'zoe@example.com', '2026-01-08 12:00:00'),
	(5, 'Jane Doe', 'jane@example.com', '2026-01-09 13:45:00');
INSERT INTO customer (customer_id, name, email, created_at)
SELECT customer_id, name, email, created_at FROM seed_customer WHERE @seed;
DROP TEMPORARY TABLE seed_customer;

--  order 1: 2 x 19.99 + 1 x 5.00           = 44.98
--  order 2: 1 x 249.00                      = 249.00
--  order 3: 3 x 0.99 + 2 x 12.50 + 1 x 7.25 = 35.22
--  order 4: 10 x 1.10                       = 11.00
--  order 5: 1 x 0.00 (a free sample)        = 0.00
--  order 6: 4 x 2.49 + 1 x 99.95            = 109.91
CREATE TEMPORARY TABLE seed_orders LIKE orders;
INSERT INTO seed_orders (order_id, customer_id, total_amount, status, created_at) VALUES
	(1, 1, 44.98, 'pending', '2026-02-01 08:00:00'),
	(2, 2, 249.00, 'pending', '2026-02-02 09:00:00'),
	(3, 3, 35.22, 'pending', '2026-02-03 10:00:00'),
	(4, 1, 11.00, 'pending', '2026-02-04 11:00:00'),
	(5, 4, 0.00, 'pending', '2026-02-05 12:00:00'),
	(6, 5, 109.91, 'pending', '2026-02-06 13:00:00');
INSERT INTO orders (order_id, customer_id, total_amount, status, created_at)
SELECT order_id, customer_id, total_amount, status, created_at FROM seed_orders WHERE @seed;
DROP TEMPORARY TABLE seed_orders;

CREATE TEMPORARY TABLE seed_order_items LIKE order_items;
INSERT INTO seed_order_items (item_id, order_id, product_id, quantity, unit_price) VALUES
	(1, 1, 101, 2, 19.99),
	(2, 1, 102, 1, 5.00),
	(3, 2, 201, 1, 249.00),
	(4, 3, 301, 3, 0.99),
	(5, 3, 302, 2, 12.50),
	(6, 3, 303, 1, 7.25),
	(7, 4, 401, 10, 1.10),
	(8, 5, 501, 1, 0.00),
	(9, 6, 601, 4, 2.49),
	(10, 6, 602, 1, 99.95);
INSERT INTO order_items (item_id, order_id, product_id, quantity, unit_price)
SELECT item_id, order_id, product_id, quantity, unit_price FROM seed_order_items WHERE @seed;
DROP TEMPORARY TABLE seed_order_items;

COMMIT;
