#!/usr/bin/python3
"""Compare mysql-exporter with mysqld_exporter 0.14 series by series
(issue 16): the set of series, label values included, of every family
whose labels are bounded, and the values of the series that did not move
while both were scraped.

usage: seriescmp.py OURS1 THEIRS1 OURS2 THEIRS2 [--report]

The four scrapes are taken in that order against the same server.  Families
compared: mysql_* except those whose label values are unbounded or depend on
who is connected (statement digests, the processlist) and each exporter's
own mysql(d)_exporter_* meta families.  A family only one side has is
promcompare.py's business, not this one's.
Values: a series whose value is equal in OURS1 and OURS2 did not move while
THEIRS1 was taken, so THEIRS1 must hold the same value -- and the other way
round (THEIRS1 = THEIRS2 pins OURS2).  Counters bumped by the scrapes
themselves move and are left out, as are the thread counts of the exporters'
own connections (VALUE_EXCLUDE).
Prints one line per difference and a summary; exits 1 on any difference.
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
EXCLUDE = ('mysql_perf_schema_events_statements_', 'mysql_info_schema_processlist_',
           'mysql_exporter_', 'mysqld_exporter_', 'mysql_up', 'mysql_last_scrape_')
# Values that describe the exporters' own connections, which differ by design:
# ours keeps one connection, mysqld_exporter 0.14 opens one per scrape (so it
# sees ours as well as its own, and the thread cache gets its thread back).
VALUE_EXCLUDE = {'mysql_global_status_threads_connected', 'mysql_global_status_threads_cached',
                 'mysql_global_status_threads_running',
                 # userstat's view of those connections (the exporter's account and client)
                 'mysql_info_schema_user_statistics_concurrent_connections',
                 'mysql_info_schema_client_statistics_concurrent_connections'}


def parse(path):
    out = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = SAMPLE.match(line.rstrip('\n'))
            if not m or not m.group(1).startswith('mysql_') or m.group(1).startswith(EXCLUDE):
                continue
            labels = tuple(sorted(LABEL.findall(m.group(2) or '')))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def show(k):
    return k[0] + ('{' + ','.join('%s="%s"' % kv for kv in k[1]) + '}' if k[1] else '')


def main():
    o1, t1, o2, t2 = (parse(p) for p in sys.argv[1:5])
    report = '--report' in sys.argv
    fams_o = {k[0] for k in o1}
    fams_t = {k[0] for k in t1}
    common = fams_o & fams_t
    bad = []
    for k in sorted(set(o1) | set(t1)):
        if k[0] not in common:
            continue
        if k not in t1:
            bad.append('only ours: ' + show(k))
        elif k not in o1:
            bad.append('only theirs: ' + show(k))
    pinned = 0
    for k in sorted(set(o1) & set(t1) & set(o2) & set(t2)):
        if k[0] in VALUE_EXCLUDE:
            continue
        if o1[k] == o2[k]:
            pinned += 1
            if t1[k] != o1[k]:
                bad.append('value %s: ours %r (unchanged), mysqld_exporter %r between' % (show(k), o1[k], t1[k]))
        elif t1[k] == t2[k]:
            pinned += 1
            if o2[k] != t1[k]:
                bad.append('value %s: mysqld_exporter %r (unchanged), ours %r between' % (show(k), t1[k], o2[k]))
    for b in bad[:60 if not report else None]:
        print(b)
    print('# %d families, %d series compared as sets, %d values pinned, %d differences' %
          (len(common), len([k for k in o1 if k[0] in common]), pinned, len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
