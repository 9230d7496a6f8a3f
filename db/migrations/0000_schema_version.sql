-- 0000: start versioning a database made from seed 003's schema.sql.
-- The same definition as in db/schema.sql.
CREATE TABLE IF NOT EXISTS schema_version (
	version INT UNSIGNED NOT NULL,
	name VARCHAR(255) NOT NULL,
	applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
