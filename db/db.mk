# db/: SQL files and shell tools, nothing to compile.  Registers the tests
# the orderd benchmark (tests/integration/db/db.mk registers the tests).
BENCHES += $(wildcard bench/orderd-bench.sh)
