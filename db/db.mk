# db/: SQL files and shell tools, nothing to compile.  Registers the orderd
# benchmark; db/'s tests are registered by tests/integration/db/db.mk.
BENCHES += $(wildcard bench/orderd-bench.sh)
