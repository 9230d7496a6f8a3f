-- Seed 003's schema exactly as its text gives it (a database from before
-- prism), in the server's old default character set, with rows its nullable
-- columns allowed.  tests/integration/db/test_migrate.sh brings it forward.
SET NAMES utf8mb4;
CREATE DATABASE orders_db CHARACTER SET latin1;
USE orders_db;
CREATE TABLE customer (
customer_id INT PRIMARY KEY AUTO_INCREMENT,
name VARCHAR(255),
email VARCHAR(255),
created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE orders (
order_id INT PRIMARY KEY AUTO_INCREMENT,
customer_id INT,
total_amount DECIMAL(10,2),
status VARCHAR(50),
created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
FOREIGN KEY (customer_id) REFERENCES customer(customer_id)
);
CREATE TABLE order_items (
item_id INT PRIMARY KEY AUTO_INCREMENT,
order_id INT,
product_id INT,
quantity INT,
unit_price DECIMAL(10,2)
,
FOREIGN KEY (order_id) REFERENCES orders(order_id)
);
INSERT INTO customer (customer_id, name, email) VALUES
	(1, 'Jane Doe', 'jane@example.com'), (2, NULL, NULL), (3, 'Café', 'cafe@example.com');
INSERT INTO orders (order_id, customer_id, total_amount, status) VALUES
	(1, 1, 39.98, 'pending'), (2, 2, NULL, NULL), (3, 3, 5.00, 'shipped');
INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES
	(1, 101, 2, 19.99), (2, 102, 3, 1.50), (2, 103, 1, 0.25), (3, 104, 1, 5.00);
