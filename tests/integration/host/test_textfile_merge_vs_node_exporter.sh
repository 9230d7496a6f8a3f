#!/bin/bash
# textfile over several files and directories against node_exporter 1.5 on
# the same inputs: --collector.textfile.directory as a glob, a family spread
# over files merged, two files giving a family different HELP or type (the
# first file's samples stay, no scrape_error), a series repeated in a later
# file dropped, summaries accepted (a bad quantile label rejected),
# "Metric read from <files>" HELP, whole-second mtimes, a glob matching
# nothing.  Compared: every family's HELP, TYPE and series (a label with an
# empty value counts as absent, as in Prometheus), node_textfile_* included.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
t=$d/tf
mkdir -p "$t/a" "$t/b" "$t/c"
cat >"$t/a/1.prom" <<'P'
# HELP s_demo A summary.
# TYPE s_demo summary
s_demo{quantile="0.5",x="1"} 3
s_demo{quantile="0.99",x="1"} 9
s_demo_sum{x="1"} 20
s_demo_count{x="1"} 4
s_demo_sum{x="2"} 1.5
s_demo_count{x="2"} 1
# TYPE s_bare summary
s_bare_sum 2
s_bare_count 3
P
cat >"$t/a/2.prom" <<'P'
m_split{f="a1"} 1
m_labels{f="y"} 9
# HELP m_help first help
m_help{f="a"} 1
# TYPE m_type gauge
m_type 1
# TYPE h_split histogram
h_split_bucket{le="1",k="a"} 1
h_split_bucket{le="+Inf",k="a"} 2
h_split_sum{k="a"} 3
h_split_count{k="a"} 2
P
cat >"$t/b/3.prom" <<'P'
m_split{f="b1"} 2
m_split{f="a1"} 7
m_labels{g="x"} 8
# HELP m_help second help
m_help{f="b"} 2
# TYPE m_type counter
m_type{f="b"} 3
# TYPE h_split histogram
h_split_bucket{le="1",k="b"} 0
h_split_bucket{le="+Inf",k="b"} 1
h_split_sum{k="b"} 0.5
h_split_count{k="b"} 1
# HELP s_demo A summary.
# TYPE s_demo summary
s_demo_sum{x="3"} 0
s_demo_count{x="3"} 0
P
printf '# TYPE s_badq summary\ns_badq{quantile="x"} 1\n' >"$t/b/4.prom"
printf 'c_only 1\n' >"$t/c/5.prom"
printf 'not_a_dir 1\n' >"$t/d.prom"	# matched by the glob: not a directory
touch -d @1700000000.75 "$t"/a/*.prom "$t"/b/*.prom "$t"/c/*.prom

# same LABEL: every family's HELP, TYPE and series of the pair's whole
# expositions (one check; nothing if the pair failed)
same() {
	[ -f "$d/he-$1.txt" ] || return 0
	$PY - "$d/he-$1.txt" "$d/ne-$1.txt" <<'PY'
import re, sys
skip = ("go_", "process_", "promhttp_", "host_exporter_", "node_exporter_", "node_scrape_")
def parse(path):
    series, meta = {}, {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r'^# (HELP|TYPE) (\S+) ?(.*)$', line)
        if m:
            if not m.group(2).startswith(skip):
                meta[(m.group(1), m.group(2))] = m.group(3)
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        if m.group(1).startswith(skip):
            continue
        labels = tuple(sorted((k, v) for k, v in
                              re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or "")
                              if v != ""))
        series[(m.group(1), labels)] = float(m.group(3))
    return series, meta
(hs, hm), (ns, nm) = parse(sys.argv[1]), parse(sys.argv[2])
bad = 0
for k in sorted(set(hs) | set(ns)):
    if hs.get(k) != ns.get(k):
        print("series differs:", k, "host-exporter", hs.get(k), "node_exporter", ns.get(k)); bad = 1
for k in sorted(set(hm) | set(nm)):
    if hm.get(k) != nm.get(k):
        print("metadata differs:", k, "host-exporter", hm.get(k), "node_exporter", nm.get(k)); bad = 1
print("%d series, %d HELP/TYPE lines compared" % (len(ns), len(nm)))
sys.exit(bad)
PY
	check "$1: same families, HELP, TYPE and series as node_exporter" [ $? = 0 ]
}

peer_start glob '' textfile --collector.textfile.directory="$t/*"
peer_start nomatch '' textfile --collector.textfile.directory="$t/nosuch*"
peer_gather
same glob
# what the cases above must have shown (so a comparison of two empty outputs cannot pass)
h=$d/he-glob.txt
check "glob: files of several directories read" grep -q '^c_only 1$' "$h"
check "glob: a summary is exposed" grep -q '^s_demo{x="1",quantile="0.99"} 9$' "$h"
check "glob: a summary family over two files is merged" grep -q '^s_demo_count{x="3"} 0$' "$h"
check "glob: a family over two files is merged" grep -q '^m_split{f="b1"[,}]' "$h"
check "glob: the series a later file repeats keeps the first value" grep -q '^m_split{f="a1"[,}].* 1$\|^m_split{f="a1"} 1$' "$h"
check "glob: HELP from every file giving the family" grep -q "^# HELP m_split Metric read from $t/a/2.prom, $t/b/3.prom$" "$h"
check "glob: another HELP in a later file: the first file's samples only" \
	bash -c "grep -q '^m_help{f=\"a\"} 1$' '$h' && ! grep -q '^m_help{f=\"b\"}' '$h'"
check "glob: a bad quantile label rejects its file" bash -c "! grep -q 'file=\"$t/b/4.prom\"' '$h'"
check "glob: mtime in whole seconds" grep -Eq "^node_textfile_mtime_seconds\{file=\"$t/a/1.prom\"\} (1700000000|1\.7e\+09)$" "$h"
check "glob: label names differing across files" grep -q '^m_labels{f="",g="x"} 8$' "$h"
check "glob: scrape_error 1 (a bad file, a non-directory match)" grep -q '^node_textfile_scrape_error 1$' "$h"

rm "$t/b/4.prom" "$t/d.prom"
peer_start clean '' textfile --collector.textfile.directory="$t/[ab]"
peer_gather
same clean
check "clean: different HELP and type across files raise no scrape_error" \
	grep -q '^node_textfile_scrape_error 0$' "$d/he-clean.txt"
same nomatch
check "nomatch: a glob matching nothing is an unreadable directory" \
	grep -q '^node_textfile_scrape_error 1$' "$d/he-nomatch.txt"
finish
