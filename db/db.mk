# db/: SQL files and shell tools, nothing to compile.  Registers the tests
# of tests/integration/db/ and the orderd benchmark.
include tests/integration/db/db.mk
BENCHES += $(wildcard bench/orderd-bench.sh)
