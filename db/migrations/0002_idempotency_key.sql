-- 0002: Idempotency-Key support for POST /api/order (issue 3): the key as
-- sent (unique, NULL when none) and a 32-byte digest of the request body, so
-- orderd tells a retry (same key and digest) from a conflict (same key,
-- another digest).  See db/schema.sql for the reasoning.
ALTER TABLE orders
	ADD COLUMN IF NOT EXISTS idempotency_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin DEFAULT NULL,
	ADD COLUMN IF NOT EXISTS request_hash BINARY(32) DEFAULT NULL,
	ADD UNIQUE INDEX IF NOT EXISTS uq_orders_idempotency_key (idempotency_key);
