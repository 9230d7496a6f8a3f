#!/usr/bin/python3
"""Find modules (object files) that call each other in a loop, per folder.

Usage: layering.py OBJ_DIR...   Each OBJ_DIR holds the .o files of one folder.
An edge a -> b means a.o refers to a symbol b.o defines (nm).  Any strongly
connected set of two or more objects is a loop and is printed; exit 1 then.
"""
import subprocess, sys, os, glob

def syms(o):
    out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True, text=True, check=True).stdout
    d = {l.split()[-1] for l in out.splitlines() if len(l.split()) >= 3}
    out = subprocess.run(["nm", "-u", o], capture_output=True, text=True, check=True).stdout
    u = {l.split()[-1] for l in out.splitlines() if l.split()}
    return d, u

def sccs(nodes, edges):
    index, low, stack, on, res, i = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            res.append(comp)
    for v in nodes:
        if v not in index: visit(v)
    return res

bad = 0
for d in sys.argv[1:]:
    objs = sorted(glob.glob(os.path.join(d, "*.o")))
    info = {os.path.basename(o)[:-2]: syms(o) for o in objs}
    owner = {}
    for m, (defs, _) in info.items():
        for s in defs: owner[s] = m
    edges = {m: sorted({owner[s] for s in u if s in owner and owner[s] != m}) for m, (_, u) in info.items()}
    for comp in sccs(sorted(info), edges):
        if len(comp) > 1:
            bad = 1
            print(f"loop in {d}: " + " <-> ".join(sorted(comp)))
            for m in sorted(comp):
                print(f"   {m} -> {', '.join(x for x in edges[m] if x in comp)}")
sys.exit(bad)
