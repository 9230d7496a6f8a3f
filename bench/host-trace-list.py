#!/usr/bin/python3
"""What one scrape of host-exporter did to the file system, from strace -y -ff
output files (one per thread): the list bench/host-floor.c replays.

  F path   a file read (opened during the scrape, or read on a descriptor
           the exporter keeps open: then the path strace -y resolved)
  D path   a directory listed (getdents64)
  N path   an open that failed
  T path   a stat of a path
  S path   a statfs
  L RTM_GETLINK   an rtnetlink link dump (netclass on a real sysfs)

usage: host-trace-list.py PID STRACE_FILE... > LIST   (PID: the exporter's)
"""
import re, sys

OPEN = re.compile(r'^openat\((?:AT_FDCWD|\d+)(?:<[^>]*>)?, "((?:[^"\\]|\\.)*)", ([A-Z_|]+)[^)]*\) = (-?\d+)')
FDCALL = re.compile(r'^(read|pread64|getdents64)\((\d+)<([^>]*)>, .*\) = (-?\d+)')
STAT = re.compile(r'^(?:newfstatat|stat|lstat)\((?:(?:AT_FDCWD|\d+)(?:<([^>]*)>)?, )?"((?:[^"\\]|\\.)*)"')
STATFS = re.compile(r'^statfs\("((?:[^"\\]|\\.)*)"')
GETLINK = re.compile(r'^(?:sendto|sendmsg)\(\d+(?:<[^>]*>)?, .*nlmsg_type=RTM_GETLINK.*NLM_F_DUMP')

PID = sys.argv[1]
out, seen = [], set()
def add(kind, path):
    # the exporter's own /proc/PID/...: the floor reads its own
    if path.startswith("/proc/%s/" % PID):
        path = "/proc/self/" + path[len("/proc/%s/" % PID):]
    key = (kind, path)
    if key not in seen:
        seen.add(key)
        out.append("%s %s" % key)

for fn in sys.argv[2:]:
    fds = {}  # fd -> path as opened during the scrape (per thread)
    for line in open(fn, errors="replace"):
        m = OPEN.match(line)
        if m:
            path, flags, ret = m.group(1), m.group(2), int(m.group(3))
            if ret < 0:
                add("N", path)
            elif "O_DIRECTORY" in flags:
                fds[ret] = ("D", path)
            else:
                fds[ret] = ("F", path)
            continue
        m = FDCALL.match(line)
        if m:
            call, fd, resolved = m.group(1), int(m.group(2)), m.group(3)
            kind, path = fds.get(fd, ("D" if call == "getdents64" else "F", resolved))
            if call == "getdents64":
                add("D", path)
            elif kind == "F":
                add("F", path)
            continue
        if line.startswith("close("):
            m = re.match(r"close\((\d+)", line)
            fds.pop(int(m.group(1)), None)
            continue
        m = STAT.match(line)
        if m and m.group(2):
            rel = m.group(2)
            if not rel.startswith("/") and m.group(1) and not line.startswith("newfstatat(AT_FDCWD"):
                rel = m.group(1) + "/" + rel
            add("T", rel)
            continue
        if GETLINK.match(line):
            add("L", "RTM_GETLINK")
            continue
        m = STATFS.match(line)
        if m:
            add("S", m.group(1))
print("\n".join(out))
