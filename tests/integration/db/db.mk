# Tests of db/ (schema, migrations, grants, seed, generator), of the MariaDB
# test harness (tests/lib/mariadb.sh) and of `make run` (scripts/run-stack.sh).
# Included from db/db.mk (the top-level Makefile includes */*.mk only); the
# guard keeps them registered once should tests/*/*/*.mk be included too.
ifndef PRISM_DB_TESTS_MK
PRISM_DB_TESTS_MK := 1
TESTS += $(sort $(wildcard tests/integration/db/test_*.sh))
endif
