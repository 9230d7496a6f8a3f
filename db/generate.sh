#!/bin/bash
# db/generate.sh ORDERS [CUSTOMERS]: add ORDERS orders (1 to 4 items each,
# 2.5 on average) for CUSTOMERS new customers (default ORDERS/10, at least 1)
# to orders_db, fast: each table is one INSERT ... SELECT over MariaDB's
# SEQUENCE engine (seq_1_to_N virtual tables), no client round trip per row.
# 100,000 orders (~250,000 items) take a few seconds.
#
# New ids continue after the current maximum, so existing rows are kept and
# the generated ones are contiguous: customers C0+1..C0+CUSTOMERS, orders
# O0+1..O0+ORDERS (printed at the end).  Everything is derived from the
# sequence number, so the same arguments on the same start state give the
# same rows; total_amount is computed from the very expressions that make
# the items, in DECIMAL, so it equals SUM(quantity * unit_price) exactly.
#
# The client comes from GENERATE_MARIADB (split on spaces, default
# `mariadb`); it needs SELECT and INSERT on orders_db (root over the socket).
# Exit status: 0 done, 1 a database error, 2 bad usage.
set -euo pipefail

usage() { echo "usage: $0 ORDERS [CUSTOMERS]   (1 <= ORDERS <= 10000000)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
orders=$1
customers=${2:-}
[[ "$orders" =~ ^[1-9][0-9]{0,7}$ ]] && [ "$orders" -le 10000000 ] || usage
if [ -z "$customers" ]; then
	customers=$((orders / 10))
	[ "$customers" -ge 1 ] || customers=1
fi
[[ "$customers" =~ ^[1-9][0-9]{0,7}$ ]] && [ "$customers" -le 10000000 ] || usage

read -r -a client <<<"${GENERATE_MARIADB:-mariadb}"

# Per order n (1..ORDERS): k = 1 + n MOD 4 items; item j (1..k) has
#   product_id = 100 + (n*31 + j*17) MOD 900
#   quantity   = 1 + (n + j) MOD 5
#   unit_price = ((n*13 + j*29) MOD 10000) / 100    (0.00 .. 99.99)
# The same expressions appear twice below (items and totals): keep in step.
"${client[@]}" --batch --skip-column-names <<EOF
USE orders_db;
SET @c0 = (SELECT IFNULL(MAX(customer_id), 0) FROM customer);
SET @o0 = (SELECT IFNULL(MAX(order_id), 0) FROM orders);
START TRANSACTION;
INSERT INTO customer (customer_id, name, email, created_at)
SELECT @c0 + seq, CONCAT('Customer ', @c0 + seq),
	CONCAT('customer', @c0 + seq, '@example.com'),
	NOW() - INTERVAL 30 DAY + INTERVAL (seq MOD 86400) SECOND
FROM seq_1_to_${customers};
INSERT INTO orders (order_id, customer_id, total_amount, status, created_at)
SELECT @o0 + o.seq, @c0 + 1 + (o.seq MOD ${customers}),
	(SELECT SUM((1 + (o.seq + j.seq) MOD 5)
			* CAST(((o.seq * 13 + j.seq * 29) MOD 10000) / 100 AS DECIMAL(10,2)))
		FROM seq_1_to_4 j WHERE j.seq <= 1 + o.seq MOD 4),
	'pending',
	NOW() - INTERVAL 30 DAY + INTERVAL (o.seq MOD 2592000) SECOND
FROM seq_1_to_${orders} o;
INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT @o0 + o.seq, 100 + (o.seq * 31 + j.seq * 17) MOD 900,
	1 + (o.seq + j.seq) MOD 5,
	CAST(((o.seq * 13 + j.seq * 29) MOD 10000) / 100 AS DECIMAL(10,2))
FROM seq_1_to_${orders} o JOIN seq_1_to_4 j ON j.seq <= 1 + o.seq MOD 4
ORDER BY o.seq, j.seq;
COMMIT;
SELECT CONCAT('generated customers ', @c0 + 1, '..', @c0 + ${customers},
	', orders ', @o0 + 1, '..', @o0 + ${orders}, ', items ',
	(SELECT COUNT(*) FROM order_items WHERE order_id > @o0));
EOF
