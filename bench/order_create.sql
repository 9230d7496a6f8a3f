-- bench/order_create.sql: POST /api/order's statements but its COMMIT as
-- one stored procedure, for the POST floor's "call" mode only
-- (bench/orderd-floor.c; bench/orderd-bench.sh loads it into its own
-- database and grants app_user EXECUTE there).  NOT part of the schema:
-- measured as the "fewer round trips" cut of issue 15 and not taken.
-- With it a POST is 2 round trips (CALL, COMMIT) instead of 4, and the
-- client's CPU per POST drops (orderd-floor: about 0.15 -> 0.11 ms), but
-- mariadbd spends more per POST than on the four prepared statements
-- (2026-12-07, MariaDB 10.11, 10 client threads, 5 s runs, load 10-15 on
-- 2 CPUs: 0.37-0.43 ms against 0.26-0.31; 0.34-0.35 against 0.25-0.27
-- with performance_schema off), so the floor commits fewer per second
-- (9,100-11,200 against 12,700-14,200 in 5 s), and orderd did too:
-- 1,055-1,219 against 1,430-1,905 POST/s at 50 connections (10 s runs,
-- interleaved; mariadbd 0.57-0.59 ms per POST against 0.30-0.40, orderd
-- 0.22-0.24 against 0.22-0.25).  Without the read-back of the item ids
-- (0.34 ms) or with a loop of one-row INSERTs instead of JSON_TABLE
-- (0.35 ms) it still cost more than the four statements.  The same
-- statements as one multi-statement text query (orderd-floor "multi")
-- cost mariadbd 0.37-0.38 ms (at 50 threads, 10 s runs interleaved:
-- 3,547-4,205 commits/s and 0.33-0.36 ms against 3,872-4,645 and
-- 0.28-0.30 for the four statements; CALL 3,027 and 0.47): the server's
-- work per statement, not the round trips, is what a POST pays for here.
--
-- Result: one result set, order id, the customer's stored name and email,
-- one row per item id in item_id order (read back: the ids of an
-- INSERT ... SELECT need not be consecutive).  It never commits.
DELIMITER //
CREATE OR REPLACE PROCEDURE order_create(
	IN p_customer_id INT,
	IN p_name VARCHAR(255) CHARACTER SET utf8mb4,
	IN p_email VARCHAR(255) CHARACTER SET utf8mb4,
	IN p_total DECIMAL(10,2),
	IN p_key VARCHAR(128) CHARACTER SET ascii,
	IN p_hash BINARY(32),
	IN p_created TIMESTAMP,
	IN p_items TEXT CHARACTER SET utf8mb4)
	MODIFIES SQL DATA
	SQL SECURITY INVOKER
	COMMENT 'POST /api/order without its COMMIT; one result set: order id, customer name, email, one row per item id'
BEGIN
	DECLARE v_found INT DEFAULT 1;
	DECLARE v_order INT;
	DECLARE v_name, v_email VARCHAR(255) CHARACTER SET utf8mb4;
	DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_found = 0;

	SELECT name, email INTO v_name, v_email FROM customer WHERE customer_id = p_customer_id;
	IF v_found = 0 THEN
		INSERT IGNORE INTO customer (customer_id, name, email)
			VALUES (p_customer_id, p_name, p_email);
		IF ROW_COUNT() = 1 THEN
			SET v_name = p_name, v_email = p_email;
		ELSE
			SET v_found = 1;
			SELECT name, email INTO v_name, v_email FROM customer
				WHERE customer_id = p_customer_id;
			IF v_found = 0 THEN
				SIGNAL SQLSTATE '45000'
					SET MESSAGE_TEXT = 'customer row vanished after INSERT IGNORE';
			END IF;
		END IF;
	END IF;
	INSERT INTO orders (customer_id, total_amount, status, idempotency_key, request_hash, created_at)
		VALUES (p_customer_id, p_total, 'pending', p_key, p_hash, p_created);
	SET v_order = LAST_INSERT_ID();
	INSERT INTO order_items (order_id, product_id, quantity, unit_price)
		SELECT v_order, j.product_id, j.quantity, j.unit_price
		FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
			n FOR ORDINALITY,
			product_id INT PATH '$[0]' ERROR ON EMPTY,
			quantity INT PATH '$[1]' ERROR ON EMPTY,
			unit_price DECIMAL(10,2) PATH '$[2]' ERROR ON EMPTY)) AS j
		ORDER BY j.n;
	SELECT v_order AS order_id, v_name AS name, v_email AS email, i.item_id
		FROM order_items i WHERE i.order_id = v_order ORDER BY i.item_id;
END //
DELIMITER ;

GRANT EXECUTE ON PROCEDURE orders_db.order_create TO 'app_user'@'localhost';
GRANT EXECUTE ON PROCEDURE orders_db.order_create TO 'app_user'@'%';
