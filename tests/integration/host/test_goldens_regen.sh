#!/bin/bash
# `make host-goldens` never overwrites silently (issue 16): on a copy of the
# tree whose golden differs from the current output, it prints the diff,
# exits non-zero and writes nothing; with HOST_GOLDENS_CONFIRM=yes it writes
# the current output; with nothing to change it says so and exits 0.
. "$SRC_DIR/tests/lib/common.sh"
t=$(tmpdir_new)
mkdir -p "$t/tests/integration" "$t/tests/fixtures"
cp -a "$SRC_DIR/tests/lib" "$t/tests/"
cp -a "$SRC_DIR/tests/fixtures/host" "$t/tests/fixtures/"
cp -a "$SRC_DIR/tests/integration/host" "$t/tests/integration/"
g=$t/tests/fixtures/host/golden
regen() { SRC_DIR=$t BUILD_DIR=$BUILD_DIR HOST_GOLDENS_CONFIRM=${1:-} "$t/tests/integration/host/regen-goldens.sh" >"$t/out" 2>&1; }

regen
check "unchanged goldens: exit 0" [ $? = 0 ]
check "... and says nothing to write" grep -q 'nothing to write' "$t/out"

# A golden that no longer matches (as after a change in the collector).
sed -i 's/^node_load1 .*/node_load1 42/' "$g/loadavg.prom"
cp "$g/loadavg.prom" "$t/edited"
regen
check "changed output without confirmation: exit 1" [ $? = 1 ]
check "... the diff is shown" grep -q '^-node_load1 42$' "$t/out"
check "... with the new line" grep -Eq '^\+node_load1 [0-9.]+$' "$t/out"
check "... nothing written" cmp -s "$g/loadavg.prom" "$t/edited"
check "... and it says how to confirm" grep -q 'HOST_GOLDENS_CONFIRM=yes' "$t/out"
regen yes
check "confirmed: exit 0" [ $? = 0 ]
check "... the golden is the current output again" cmp -s "$g/loadavg.prom" "$SRC_DIR/tests/fixtures/host/golden/loadavg.prom"
regen
check "and then there is nothing to write" grep -q 'nothing to write' "$t/out"
finish
