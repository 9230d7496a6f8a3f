-- prism: database accounts with only the privileges their programs use.
-- No password lives in this repository: set them in the same session first,
--     SET @app_password = '...', @exporter_password = '...';
--     SOURCE db/grants.sql;        (or pipe both into one `mariadb` call)
-- Optional: SET @app_host = '10.0.0.5'; limits app_user's network account
-- to the web server's address (default '%': any host).
-- Re-runnable: CREATE USER IF NOT EXISTS, then ALTER USER sets the current
-- password (so running it again rotates passwords), then GRANT (additive).
-- Needs MariaDB >= 10.5.9 (BINLOG MONITOR, SLAVE MONITOR) and orders_db's
-- tables.
--
-- Passwords are spliced in with QUOTE(), which escapes quotes and
-- backslashes, through EXECUTE IMMEDIATE (MariaDB 10.2+).

EXECUTE IMMEDIATE IF(IFNULL(@app_password, '') = '',
	'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ''grants.sql: SET @app_password first''',
	'DO 0');
EXECUTE IMMEDIATE IF(IFNULL(@exporter_password, '') = '',
	'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ''grants.sql: SET @exporter_password first''',
	'DO 0');
SET @app_host = IFNULL(NULLIF(@app_host, ''), '%');

-- app_user: orderd.  It reads orders with their customer and items and
-- inserts all three (a new customer_id creates its customer row; a
-- concurrent duplicate is an INSERT that fails on the primary key and is
-- then read).  It never updates or deletes, so it may not.  Two accounts:
-- @app_host for the network and 'localhost' for the socket, which an
-- anonymous ''@'localhost' account (if an installation has one) would
-- otherwise shadow.
SET @acct = CONCAT('''app_user''@', QUOTE(@app_host));
EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', @acct, ' IDENTIFIED BY ', QUOTE(@app_password));
EXECUTE IMMEDIATE CONCAT('ALTER USER ', @acct, ' IDENTIFIED BY ', QUOTE(@app_password));
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.customer TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.orders TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.order_items TO ', @acct);

SET @acct = '''app_user''@''localhost''';
EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', @acct, ' IDENTIFIED BY ', QUOTE(@app_password));
EXECUTE IMMEDIATE CONCAT('ALTER USER ', @acct, ' IDENTIFIED BY ', QUOTE(@app_password));
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.customer TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.orders TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON orders_db.order_items TO ', @acct);

-- BEGIN exporter
-- exporter: mysql-exporter, on the database host (socket, or TCP to
-- 127.0.0.1: 'localhost' matches both when the server resolves names,
-- '127.0.0.1' when it runs with skip-name-resolve).  The least set that lets
-- every collector of its default set succeed on MariaDB 10.11, each one
-- needed (tests/integration/mysql/test_grants.sh removes each in turn):
--   SHOW GLOBAL STATUS / VARIABLES          no privilege needed
--   information_schema.INNODB_METRICS       PROCESS
--   information_schema.PROCESSLIST          PROCESS (without it: own threads only)
--   SHOW ALL SLAVES STATUS                  SLAVE MONITOR (MariaDB >= 10.5.9;
--                                           REPLICATION CLIENT is not enough)
--   performance_schema.* summaries          SELECT ON performance_schema.*
-- Not REPLICATION CLIENT (= BINLOG MONITOR): no default collector reads the
-- binary logs.  On MySQL 8.0 use PROCESS, REPLICATION CLIENT (SHOW SLAVE
-- STATUS there) and SELECT ON performance_schema.* instead.
-- No privilege on orders_db: it sees server statistics, never order rows;
-- per-table statistics come from performance_schema.
-- At most 3 connections (it holds one), so a stuck exporter cannot starve
-- the server.
SET @acct = '''exporter''@''localhost''';
EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', @acct, ' IDENTIFIED BY ', QUOTE(@exporter_password), ' WITH MAX_USER_CONNECTIONS 3');
EXECUTE IMMEDIATE CONCAT('ALTER USER ', @acct, ' IDENTIFIED BY ', QUOTE(@exporter_password), ' WITH MAX_USER_CONNECTIONS 3');
EXECUTE IMMEDIATE CONCAT('GRANT PROCESS, SLAVE MONITOR ON *.* TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON performance_schema.* TO ', @acct);

SET @acct = '''exporter''@''127.0.0.1''';
EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', @acct, ' IDENTIFIED BY ', QUOTE(@exporter_password), ' WITH MAX_USER_CONNECTIONS 3');
EXECUTE IMMEDIATE CONCAT('ALTER USER ', @acct, ' IDENTIFIED BY ', QUOTE(@exporter_password), ' WITH MAX_USER_CONNECTIONS 3');
EXECUTE IMMEDIATE CONCAT('GRANT PROCESS, SLAVE MONITOR ON *.* TO ', @acct);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON performance_schema.* TO ', @acct);
-- END exporter

SET @acct = NULL;
