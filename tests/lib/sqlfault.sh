# shellcheck shell=bash
# Faults injected into a real MariaDB's write path, for failure-path tests.
# Source after mariadb.sh (acts on the current MARIADB_* instance).
#
#   sqlfault_install DB TABLE...
#       Create DB.sqlfault (MyISAM: not transactional, so its state survives
#       the ROLLBACK of the statement that fired it) and, per TABLE, a
#       BEFORE INSERT trigger named sqlfault_TABLE that consults it.  The
#       triggers run as root (their definer): the tested account needs no
#       privilege on DB.sqlfault.
#   sqlfault_set TABLE ERRNO COUNT
#       The next COUNT inserts into TABLE fail (COUNT -1: every one, 0: off):
#         1213  SQLSTATE 40001 "Deadlock found ..." (as InnoDB's victim sees it)
#         1205  SQLSTATE HY000 lock wait timeout
#         1062  SQLSTATE 23000 duplicate entry
#         other SQLSTATE 45000 (ER_SIGNAL_EXCEPTION, 1644)
#       A multi-row INSERT fails on its first row, before any row is written.
#   sqlfault_fired TABLE
#       How many times TABLE's fault fired since the last sqlfault_set.
#   sqlfault_clear
#       Every fault off.
_SQLFAULT_DB=

sqlfault_install() {
	local db=$1 t
	shift
	_SQLFAULT_DB=$db
	mariadb_root "$db" -e "CREATE TABLE IF NOT EXISTS sqlfault (
		tbl VARCHAR(64) PRIMARY KEY, err INT NOT NULL DEFAULT 0,
		remaining INT NOT NULL DEFAULT 0, fired INT NOT NULL DEFAULT 0) ENGINE=MyISAM" || return 1
	for t in "$@"; do
		mariadb_root "$db" <<SQL || return 1
INSERT IGNORE INTO sqlfault (tbl) VALUES ('$t');
DROP TRIGGER IF EXISTS sqlfault_$t;
DELIMITER //
CREATE TRIGGER sqlfault_$t BEFORE INSERT ON $t FOR EACH ROW
BEGIN
	DECLARE e INT DEFAULT (SELECT err FROM sqlfault WHERE tbl = '$t' AND remaining <> 0);
	IF e IS NOT NULL THEN
		UPDATE sqlfault SET remaining = remaining - 1, fired = fired + 1 WHERE tbl = '$t';
		CASE e
		WHEN 1213 THEN SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213,
			MESSAGE_TEXT = 'Deadlock found when trying to get lock (sqlfault)';
		WHEN 1205 THEN SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205,
			MESSAGE_TEXT = 'Lock wait timeout exceeded (sqlfault)';
		WHEN 1062 THEN SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062,
			MESSAGE_TEXT = 'Duplicate entry (sqlfault)';
		ELSE SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure (sqlfault)';
		END CASE;
	END IF;
END//
DELIMITER ;
SQL
	done
}

sqlfault_set() {
	mariadb_root "$_SQLFAULT_DB" -e "UPDATE sqlfault SET err = $2, remaining = $3, fired = 0 WHERE tbl = '$1'"
}

sqlfault_fired() {
	mariadb_root -N -B "$_SQLFAULT_DB" -e "SELECT fired FROM sqlfault WHERE tbl = '$1'"
}

sqlfault_clear() {
	mariadb_root "$_SQLFAULT_DB" -e "UPDATE sqlfault SET remaining = 0"
}
