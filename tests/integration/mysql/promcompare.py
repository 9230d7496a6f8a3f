#!/usr/bin/python3
"""Compare two Prometheus text expositions: for every family both emit, the
TYPE and the set of label names must match.  Usage:
    promcompare.py OURS THEIRS [--ignore-prefix P]... [--report]
Prints one line per mismatch and exits 1 if any; with --report also lists
families only one side has."""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    fams = {}
    types = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('# TYPE '):
                _, _, name, typ = line.split(None, 3)
                types[name] = typ
                continue
            if not line or line.startswith('#'):
                continue
            m = SAMPLE.match(line)
            if not m:
                continue
            name = m.group(1)
            labels = frozenset(k for k, _ in LABEL.findall(m.group(3) or ''))
            base = name
            for suf in ('_bucket', '_sum', '_count'):
                if name.endswith(suf) and name[:-len(suf)] in types and types[name[:-len(suf)]] == 'histogram':
                    base = name[:-len(suf)]
                    labels = labels - {'le'}
            fams.setdefault(base, set()).add(labels)
    return {n: (types.get(n, 'untyped'), ls) for n, ls in fams.items()}


def main():
    args = sys.argv[1:]
    report = '--report' in args
    args = [a for a in args if a != '--report']
    ignore = []
    while '--ignore-prefix' in args:
        i = args.index('--ignore-prefix')
        ignore.append(args[i + 1])
        del args[i:i + 2]
    ours, theirs = parse(args[0]), parse(args[1])
    bad = 0
    common = 0
    for name in sorted(ours):
        if any(name.startswith(p) for p in ignore) or name not in theirs:
            continue
        common += 1
        ot, ol = ours[name]
        tt, tl = theirs[name]
        if ot != tt:
            print(f'TYPE {name}: ours {ot}, theirs {tt}')
            bad += 1
        if ol != tl:
            print(f'LABELS {name}: ours {sorted(map(sorted, ol))}, theirs {sorted(map(sorted, tl))}')
            bad += 1
    print(f'# {common} common families, {bad} mismatches')
    if report:
        for name in sorted(set(theirs) - set(ours)):
            print(f'only theirs: {name} {theirs[name][0]}')
        for name in sorted(set(ours) - set(theirs)):
            print(f'only ours: {name} {ours[name][0]}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
