# Tests of db/ (schema, migrations, grants, seed, generator), of the MariaDB
# test harness (tests/lib/mariadb.sh) and of `make run` (scripts/run-stack.sh).
# Listed in the top-level Makefile's FRAGMENTS; the guard keeps the tests
# registered once should the file be read twice.
ifndef PRISM_DB_TESTS_MK
PRISM_DB_TESTS_MK := 1
TESTS += $(sort $(wildcard tests/integration/db/test_*.sh))
endif
