#!/usr/bin/python3
"""The soak's table and verdict (tests/soak/soak.sh).

verdict.py SAMPLES.tsv WARMUP_SECONDS: SAMPLES has a header line, then one
line per 10 s sample: t and one column per measure (NAME.rss_kb, NAME.fds,
NAME.threads, db.threads_connected, db.conn.USER).  Samples before WARMUP
are shown but not judged.  For each measure the judged samples are cut in
thirds; it fails when the last third's maximum exceeds the first third's
maximum by more than its bound:
    rss_kb   10 % + 4096 kB   (allocator noise; a leak of 1 kB per request
                               at 100 req/s grows 6 MB a minute)
    fds, threads, connections   + 2
and when the least-squares slope over the judged samples, projected over
an hour, exceeds the same bound (a slow leak the thirds might hide).
Exits 1 on any failure.
"""
import sys

path, warm = sys.argv[1], float(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(path)]
head, data = rows[0], [[float(x) if x != "" else float("nan") for x in r] for r in rows[1:]]


def bound(name, base):
    return base * 0.10 + 4096 if name.endswith("rss_kb") else 2


print("  ".join("%14s" % h for h in head))
for r in data:
    print("  ".join("%14.0f" % x for x in r))
judged = [r for r in data if r[0] >= warm]
ok = True
print()
if len(judged) < 6:
    print("verdict: only %d samples after the %.0f s warm-up: too short to judge" % (len(judged), warm))
    sys.exit(1)
third = len(judged) // 3
for i, name in enumerate(head[1:], start=1):
    col = [r[i] for r in judged if r[i] == r[i]]
    if len(col) < 6:
        print("FAIL %-28s missing samples" % name)
        ok = False
        continue
    first, last = max(col[:third]), max(col[-third:])
    b = bound(name, first)
    ts = [r[0] for r in judged if r[i] == r[i]]
    n = len(col)
    mt, mc = sum(ts) / n, sum(col) / n
    var = sum((t - mt) ** 2 for t in ts)
    slope = sum((t - mt) * (c - mc) for t, c in zip(ts, col)) / var if var else 0.0
    per_hour = slope * 3600
    verdict = "ok  "
    if last - first > b or per_hour > b * 6:
        verdict = "FAIL"
        ok = False
    print("%s %-28s first third max %10.0f  last third max %10.0f  (bound +%.0f)  slope %+.1f/h"
          % (verdict, name, first, last, b, per_hour))
sys.exit(0 if ok else 1)
