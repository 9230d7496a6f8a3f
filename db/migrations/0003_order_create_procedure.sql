-- 0003: orders_db.order_create, POST /api/order's statements in one CALL
-- (issue 15): the customer looked up (inserted only when missing, with the
-- same INSERT IGNORE rule as before), the order inserted, its items
-- inserted from a JSON array and their ids read back, in one round trip
-- instead of three.  orderd still sends COMMIT itself, so a lost connection
-- before it is retried as before.  See db/schema.sql for the reasoning.
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
