#!/bin/bash
# orderd's modules call each other without a loop, and the storage layer
# speaks no HTTP: read from the objects' symbol tables (nm), so a call that
# a header hides or a macro spells differently still counts.
#  - edge X -> Y when X.o uses a symbol Y.o defines; the graph is acyclic;
#  - db.o, ring.o and order.o use nothing of api.o or main.o and no http_*,
#    MHD_* (libmicrohttpd) symbol.
. "$SRC_DIR/tests/lib/common.sh"

objdir=$BUILD_DIR/obj/orderd
for m in main api db order ring; do
	[ -f "$objdir/$m.o" ] || { echo "# $objdir/$m.o is not built"; exit 77; }
done
command -v nm >/dev/null || { echo "# nm is missing"; exit 77; }

out=$(/usr/bin/python3 - "$objdir" main api db order ring <<'PY'
import subprocess, sys
d, mods = sys.argv[1], sys.argv[2:]
defs, undef = {}, {}
for m in mods:
    lines = subprocess.run(["nm", "-P", f"{d}/{m}.o"], capture_output=True, text=True, check=True).stdout.splitlines()
    defs[m] = {l.split()[0] for l in lines if len(l.split()) > 1 and l.split()[1] in "TDBRCV"}
    undef[m] = {l.split()[0] for l in lines if len(l.split()) > 1 and l.split()[1] == "U"}
edges = {m: sorted(n for n in mods if n != m and undef[m] & defs[n]) for m in mods}
for m in mods:
    print("edge", m, " ".join(edges[m]))
# cycle search (depth first)
state, cycle = {}, []
def visit(m, path):
    state[m] = 1
    for n in edges[m]:
        if state.get(n) == 1:
            cycle.append(" -> ".join(path[path.index(n):] + [m, n]) if n in path else m + " -> " + n)
        elif not state.get(n):
            visit(n, path + [m])
    state[m] = 2
for m in mods:
    if not state.get(m):
        visit(m, [])
print("cycles", "; ".join(cycle) if cycle else "none")
for m in ("db", "ring", "order"):
    bad = sorted(s for s in undef[m] if s.startswith(("http_", "MHD_")) or s in defs["api"] | defs["main"])
    print("http", m, " ".join(bad) if bad else "none")
PY
) || { fail "nm/python failed"; finish; }
echo "$out" | sed 's/^/# /'
check "no call loop between orderd's modules" grep -qx 'cycles none' <<<"$out"
for m in db ring order; do
	check "$m.o uses nothing of the HTTP layer" grep -qx "http $m none" <<<"$out"
done
check "db.o reaches no other orderd module than order.o and ring.o" \
	grep -Eqx 'edge db( order)?( ring)?' <<<"$out"
finish
