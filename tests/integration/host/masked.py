#!/usr/bin/python3
"""Check the values normalise.py masks in the golden files against their
sources of truth (issue 16), so a regeneration cannot bless a bug in them.

usage: masked.py FIXTURE_DIR SCRAPE [NODE_EXPORTER_SCRAPE]

- node_uname_info: every label equals uname(2) (os.uname()), and, with a
  node_exporter scrape of the same tree, its series (label values included).
- node_filesystem_{size_bytes,files}: equal to statvfs(2) of the mount point
  under FIXTURE_DIR/rootfs; {free,avail}_bytes and files_free within what
  other writers can change between two reads (64 MiB + 1% of the size, as
  compare.py allows); the series set of every
  masked family equals node_exporter's, values within the same bounds.
- node_time_seconds within 5 s of now; node_textfile_mtime_seconds equal to
  each file's mtime.
Prints one line per check ("ok"/"PROBLEM"); exits 1 on any problem.
"""
import os
import re
import sys
import time

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
MASKED_FS = ("node_filesystem_size_bytes", "node_filesystem_free_bytes",
             "node_filesystem_avail_bytes", "node_filesystem_files",
             "node_filesystem_files_free")


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)


def parse(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = SAMPLE.match(line.rstrip("\n"))
            if m:
                labels = tuple(sorted((k, unescape(v)) for k, v in LABEL.findall(m.group(2) or "")))
                out.setdefault(m.group(1), {})[labels] = float(m.group(3))
    return out


problems = 0


def check(ok, what):
    global problems
    print(("ok       " if ok else "PROBLEM  ") + what)
    if not ok:
        problems += 1


def main():
    fx, ours = sys.argv[1], parse(sys.argv[2])
    theirs = parse(sys.argv[3]) if len(sys.argv) > 3 else None

    u = os.uname()
    want = {"sysname": u.sysname, "nodename": u.nodename, "release": u.release,
            "version": u.version, "machine": u.machine}
    series = list(ours.get("node_uname_info", {}))
    check(len(series) == 1, "one node_uname_info series")
    if series:
        got = dict(series[0])
        for k, v in want.items():
            check(got.get(k) == v, "node_uname_info %s=%r (uname(2): %r)" % (k, got.get(k), v))
        check("domainname" in got, "node_uname_info has domainname")
        check(ours["node_uname_info"][series[0]] == 1, "node_uname_info value 1")
        if theirs is not None:
            check(set(theirs.get("node_uname_info", {})) == set(series),
                  "node_uname_info labels equal node_exporter's")

    # statvfs of every mount point we report sizes for
    sizes = ours.get("node_filesystem_size_bytes", {})
    check(len(sizes) >= 1, "filesystem sizes reported (%d)" % len(sizes))
    for labels in sizes:
        mp = dict(labels)["mountpoint"]
        st = os.statvfs(os.path.join(fx, "rootfs", mp.lstrip("/")))
        # other writers on the same disk between two reads (compare.py's bound)
        slack = (64 << 20) + st.f_blocks * st.f_frsize // 100
        exact = {"node_filesystem_size_bytes": st.f_blocks * st.f_frsize,
                 "node_filesystem_files": st.f_files}
        near = {"node_filesystem_free_bytes": (st.f_bfree * st.f_frsize, slack),
                "node_filesystem_avail_bytes": (st.f_bavail * st.f_frsize, slack),
                "node_filesystem_files_free": (st.f_ffree, 5000)}
        for fam, v in exact.items():
            got = ours.get(fam, {}).get(labels)
            check(got == v, "%s{mountpoint=%r} %r = statvfs %r" % (fam, mp, got, v))
        for fam, (v, tol) in near.items():
            got = ours.get(fam, {}).get(labels)
            check(got is not None and abs(got - v) <= tol,
                  "%s{mountpoint=%r} %r ~ statvfs %r" % (fam, mp, got, v))
    if theirs is not None:
        for fam in MASKED_FS:
            slack = (64 << 20) + max(list(sizes.values()) or [0]) // 100
            a, b = ours.get(fam, {}), theirs.get(fam, {})
            check(set(a) == set(b), "%s: the same series as node_exporter (%d)" % (fam, len(b)))
            tol = 0 if fam in ("node_filesystem_size_bytes", "node_filesystem_files") else \
                (5000 if fam == "node_filesystem_files_free" else slack)
            for k in set(a) & set(b):
                check(abs(a[k] - b[k]) <= tol, "%s%s %r vs node_exporter %r" % (fam, dict(k), a[k], b[k]))

    t = ours.get("node_time_seconds", {}).get(())
    check(t is not None and abs(t - time.time()) < 5, "node_time_seconds %r within 5 s of now" % t)
    mt = ours.get("node_textfile_mtime_seconds", {})
    check(len(mt) >= 1, "textfile mtimes reported (%d)" % len(mt))
    for labels, v in mt.items():
        f = dict(labels)["file"]
        path = f if os.path.isabs(f) else os.path.join(fx, "textfile", f)
        check(v == int(os.stat(path).st_mtime) or abs(v - os.stat(path).st_mtime) < 1e-3,
              "node_textfile_mtime_seconds{file=%r} %r = mtime %r" % (f, v, os.stat(path).st_mtime))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
