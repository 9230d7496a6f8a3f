#!/bin/bash
# db/migrate.sh: bring orders_db to the current schema.
#
#   db/migrate.sh            apply what is missing
#   db/migrate.sh --status   list every migration as applied/pending
#
# - No orders_db tables yet: loads db/schema.sql (the current schema, which
#   records the versions it contains in schema_version).
# - Otherwise applies, in file-name order, every db/migrations/NNNN_name.sql
#   whose NNNN has no row in orders_db.schema_version, and records it there.
#   A database made from seed 003's schema (no schema_version table) starts
#   at nothing applied: 0000 creates schema_version, the next ones move the
#   tables forward.
# Running it again is a no-op.  Migrations are re-runnable themselves (IF
# [NOT] EXISTS), so a run interrupted between a migration and its record is
# finished by the next run.  Runs are not meant to overlap (one host runs it,
# e.g. Ansible's run_once).
#
# The client command comes from MIGRATE_MARIADB (split on spaces), default
# `mariadb`; e.g. MIGRATE_MARIADB="mariadb --defaults-file=/root/.my.cnf".
# It needs a user allowed to CREATE/ALTER orders_db (root over the socket).
# Exit status: 0 done, 1 a migration or the connection failed, 2 bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a client <<<"${MIGRATE_MARIADB:-mariadb}"

usage() { echo "usage: $0 [--status]" >&2; exit 2; }
status_only=0
case $# in
0) ;;
1) [ "$1" = --status ] && status_only=1 || usage ;;
*) usage ;;
esac

# utf8mb4 whatever the locale: the client would follow LANG (C -> latin1).
sql() { "${client[@]}" --default-character-set=utf8mb4 --batch --skip-column-names "$@"; }

table_exists() {
	[ "$(sql -e "SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = 'orders_db' AND table_name = '$1'")" = 1 ]
}

if ! sql -e 'SELECT 1' >/dev/null; then
	echo "migrate: cannot connect with: ${client[*]}" >&2
	exit 1
fi

if ! table_exists orders && ! table_exists customer; then
	if [ "$status_only" = 1 ]; then
		echo "orders_db: no tables (schema.sql would be loaded)"
		exit 0
	fi
	echo "migrate: empty database: loading db/schema.sql"
	sql <"$here/schema.sql"
fi

applied=" "
if table_exists schema_version; then
	applied=" $(sql -e 'SELECT version FROM orders_db.schema_version' | tr '\n' ' ')"
fi

shopt -s nullglob
files=("$here"/migrations/[0-9][0-9][0-9][0-9]_*.sql)
last=-1
for f in "${files[@]}"; do
	base=$(basename "$f" .sql)
	if ! [[ "$base" =~ ^[0-9]{4}_[a-z0-9_]+$ ]]; then
		echo "migrate: bad migration file name: $f (want NNNN_lower_case.sql)" >&2
		exit 1
	fi
	v=$((10#${base%%_*}))
	name=${base#*_}
	if [ "$v" -le "$last" ]; then
		echo "migrate: two migrations with version $v" >&2
		exit 1
	fi
	last=$v
	if [[ "$applied" == *" $v "* ]]; then
		[ "$status_only" = 1 ] && echo "applied  $base"
		continue
	fi
	if [ "$status_only" = 1 ]; then
		echo "pending  $base"
		continue
	fi
	echo "migrate: applying $base"
	# One session: the migration, then its record (only reached when every
	# statement before it succeeded: the client stops at the first error).
	{
		echo "USE orders_db;"
		cat "$f"
		echo
		echo "INSERT INTO schema_version (version, name) VALUES ($v, '$name')"
		echo "	ON DUPLICATE KEY UPDATE name = VALUES(name);"
	} | sql || { echo "migrate: $base failed" >&2; exit 1; }
done

# A database newer than this checkout: say so rather than pretend.
newest=-1
if table_exists schema_version; then
	newest=$(sql -e 'SELECT IFNULL(MAX(version), -1) FROM orders_db.schema_version')
fi
if [ "$newest" -gt "$last" ]; then
	echo "migrate: warning: orders_db is at version $newest, newer than these files ($last)" >&2
fi
exit 0
