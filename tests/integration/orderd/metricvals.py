#!/usr/bin/python3
"""The samples of one family in a Prometheus text exposition, one per line:
the values of the labels named on the command line joined by '|', a space,
the value.  Only non-zero samples unless --all.
    metricvals.py FILE FAMILY LABEL... [--all]"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

args = sys.argv[1:]
show_all = '--all' in args
args = [a for a in args if a != '--all']
path, family, names = args[0], args[1], args[2:]
out = []
with open(path, encoding='utf-8') as f:
    for line in f:
        m = SAMPLE.match(line)
        if not m or m.group(1) != family:
            continue
        labels = dict(LABEL.findall(m.group(2) or ''))
        value = float(m.group(3))
        if value == 0 and not show_all:
            continue
        v = '%d' % value if value == int(value) else repr(value)
        out.append('|'.join(labels.get(n, '') for n in names) + ' ' + v)
print('\n'.join(sorted(out)))
