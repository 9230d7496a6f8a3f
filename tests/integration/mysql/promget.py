#!/usr/bin/python3
"""Print the values of the series of a Prometheus text exposition that match
NAME and every LABEL=VALUE given, one per line (nothing when none matches).
    promget.py FILE NAME [LABEL=VALUE ...]
With --type: print the family's TYPE instead; --labels: its label names
(sorted, comma-separated) of the first matching series."""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    return v.replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')


def main():
    args = sys.argv[1:]
    mode = 'value'
    for flag in ('--type', '--labels', '--count'):
        if flag in args:
            mode = flag[2:]
            args.remove(flag)
    path, name, want = args[0], args[1], dict(a.split('=', 1) for a in args[2:])
    count = 0
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('# TYPE '):
                parts = line.split()
                if mode == 'type' and parts[2] == name:
                    print(parts[3])
                    return 0
                continue
            if line.startswith('#'):
                continue
            m = SAMPLE.match(line)
            if not m or m.group(1) != name:
                continue
            labels = {k: unescape(v) for k, v in LABEL.findall(m.group(3) or '')}
            if any(labels.get(k) != v for k, v in want.items()):
                continue
            if mode == 'labels':
                print(','.join(sorted(labels)))
                return 0
            count += 1
            if mode == 'value':
                print(m.group(4))
    if mode == 'count':
        print(count)
    return 0


if __name__ == '__main__':
    sys.exit(main())
