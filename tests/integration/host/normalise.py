#!/usr/bin/python3
"""Mask host-dependent values in host-exporter output for golden files.

usage: normalise.py FIXTURE_DIR < scrape > normalised
"""
import re
import sys

fx = sys.argv[1]
for line in sys.stdin:
    line = line.rstrip("\n")
    if re.match(r'^(# (HELP|TYPE) )?(process_|host_exporter_build_info|node_exporter_build_info|node_scrape_collector_duration_seconds)', line):
        continue
    line = line.replace(fx, "FIXTURE")
    line = re.sub(r'^(node_time_seconds) \S+$', r'\1 MASKED', line)
    line = re.sub(r'^(node_uname_info)\{.*\} 1$', r'\1{MASKED} 1', line)
    line = re.sub(r'^(node_textfile_mtime_seconds\{.*\}) \S+$', r'\1 MASKED', line)
    line = re.sub(r'^(node_filesystem_(size_bytes|free_bytes|avail_bytes|files|files_free)\{.*\}) \S+$',
                  r'\1 MASKED', line)
    print(line)
