#!/usr/bin/python3
"""Compare host-exporter's exposition with node_exporter's (issue 4).

usage: compare.py OURS.txt THEIRS.txt [--allow-extra FAMILY]...

Checks: every node_* family we emit (scrape durations aside) exists in
node_exporter's output with the same type and label names; we cover >= 90%
of node_exporter's node_* families (build_info aside); the series we share
agree within a per-family tolerance; static values are equal.
Prints one line per problem and exits 1 if any.
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse(path):
    fams = {}   # name -> {"type": t, "help": h, "series": {labelstuple: value}}
    cur = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("# HELP "):
                name, _, help_ = line[7:].partition(" ")
                fams.setdefault(name, {"type": "untyped", "help": "", "series": {}})["help"] = help_
                continue
            if line.startswith("# TYPE "):
                name, _, t = line[7:].partition(" ")
                fams.setdefault(name, {"type": "untyped", "help": "", "series": {}})["type"] = t
                continue
            if line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                raise SystemExit("%s: unparsable line: %r" % (path, line))
            name, labels, value = m.group(1), m.group(3) or "", m.group(4)
            base = name
            for suf in ("_bucket", "_sum", "_count"):
                if name.endswith(suf) and name[: -len(suf)] in fams and \
                        fams[name[: -len(suf)]]["type"] in ("histogram", "summary"):
                    base = name[: -len(suf)]
            fam = fams.setdefault(base, {"type": "untyped", "help": "", "series": {}})
            lab = tuple(sorted(LABEL.findall(labels)))
            fam["series"][(name, lab)] = float(value)
    return fams


STATIC_PREFIXES = (
    "node_boot_time_seconds", "node_filefd_maximum", "node_memory_MemTotal_bytes",
    "node_memory_SwapTotal_bytes", "node_memory_Hugepagesize_bytes", "node_memory_HugePages_Total",
    "node_memory_VmallocTotal_bytes", "node_memory_CommitLimit_bytes",
    "node_os_", "node_uname_info", "node_disk_info", "node_time_clocksource",
    "node_time_zone_offset_seconds", "node_filesystem_size_bytes", "node_filesystem_files",
    "node_filesystem_readonly", "node_filesystem_device_error", "node_scrape_collector_success",
    "node_textfile_scrape_error", "node_netstat_Ip_Forwarding",
)


def tolerance(name, t, a):
    """(absolute, relative) tolerance for a sample of family name."""
    if name.startswith("node_filesystem_files_free"):
        return (5000, 0.01)
    if name.startswith(STATIC_PREFIXES):
        return (0, 0)
    if name == "node_time_seconds" or name == "node_textfile_mtime_seconds":
        return (5, 0)
    if name.startswith("node_cpu_"):
        return (3.0, 0.01)
    if name.startswith("node_pressure_"):
        return (2.0, 0.01)
    if name.startswith("node_load"):
        return (1.5, 0.2)
    if name.startswith(("node_procs_", "node_disk_io_now")):
        return (20, 0)
    if name.startswith(("node_filesystem_free", "node_filesystem_avail")):
        return (64 << 20, 0.01)
    if name.startswith("node_memory_"):
        return (256 << 20, 0.2)
    if name.startswith(("node_sockstat_", "node_filefd_")):
        return (500, 0.2)
    if t == "counter" or name.startswith(("node_vmstat_", "node_netstat_")):
        return (20000, 0.05)
    return (1000, 0.2)


def main():
    ours, theirs = parse(sys.argv[1]), parse(sys.argv[2])
    problems = []
    ignore = {"node_scrape_collector_duration_seconds", "node_exporter_build_info"}
    args = sys.argv[3:]
    while len(args) >= 2 and args[0] == "--allow-extra":
        ignore.add(args[1])
        args = args[2:]
    our_node = {n for n in ours if n.startswith("node_") and n not in ignore}
    their_node = {n for n in theirs if n.startswith("node_") and n not in ignore}

    for n in sorted(our_node):
        if n not in theirs:
            problems.append("family %s: not in node_exporter's output" % n)
            continue
        if ours[n]["type"] != theirs[n]["type"]:
            problems.append("family %s: type %s, node_exporter %s" % (n, ours[n]["type"], theirs[n]["type"]))
        ol = {tuple(k for k, _ in lab) for (_, lab) in ours[n]["series"]}
        tl = {tuple(k for k, _ in lab) for (_, lab) in theirs[n]["series"]}
        if ol and tl and ol != tl:
            problems.append("family %s: label names %s, node_exporter %s" % (n, sorted(ol), sorted(tl)))
        if ours[n]["help"] != theirs[n]["help"]:
            problems.append("family %s: help %r, node_exporter %r" % (n, ours[n]["help"], theirs[n]["help"]))
        for key, a in ours[n]["series"].items():
            if key not in theirs[n]["series"]:
                problems.append("series %s%s: not in node_exporter's output" % (key[0], dict(key[1])))
                continue
            b = theirs[n]["series"][key]
            ab, rel = tolerance(n, ours[n]["type"], a)
            if abs(a - b) > ab + rel * max(abs(a), abs(b)):
                problems.append("series %s%s: %r vs node_exporter %r" % (key[0], dict(key[1]), a, b))
        missing = set(theirs[n]["series"]) - set(ours[n]["series"])
        for key in sorted(missing):
            problems.append("series %s%s: node_exporter has it, we do not" % (key[0], dict(key[1])))

    covered = len(our_node & their_node)
    cov = covered / max(1, len(their_node))
    print("families: ours %d, node_exporter %d, shared %d, coverage %.1f%%" %
          (len(our_node), len(their_node), covered, 100 * cov))
    for n in sorted(their_node - our_node):
        print("  not covered: %s" % n)
    if cov < 0.9:
        problems.append("coverage %.1f%% < 90%%" % (100 * cov))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
