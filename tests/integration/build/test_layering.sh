#!/bin/bash
# No two modules of one folder call each other in a loop (issue 10), in
# common/, orderd/ and both exporters: read from the objects' symbol tables
# (layering.py: an edge a -> b when a.o uses a symbol b.o defines), so a
# call through a header or a table still counts.  The collector tables are
# the classic trap: the engine names every collector and a collector calls
# back into the engine; shared helpers therefore live below both
# (exporters/host/hostcfg.c, exporters/mysql/rows.c).
. "$SRC_DIR/tests/lib/common.sh"
command -v nm >/dev/null || { echo "nm is missing"; exit 77; }
for d in common orderd exporters/host exporters/mysql; do
	dir=$BUILD_DIR/obj/$d
	ls "$dir"/*.o >/dev/null 2>&1 || { fail "$dir has no objects (not built?)"; continue; }
	out=$(/usr/bin/python3 "$SRC_DIR/tests/integration/build/layering.py" "$dir" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	check "$d: no call loop between its modules" test "$rc" = 0
done
finish
