#!/bin/bash
# The textfile parser against node_exporter 1.5's (Go's expfmt): 40-odd
# one-file cases of valid and broken text format; both exporters must accept
# and reject the same files (node_textfile_mtime_seconds{file} present or
# not), except where host-exporter is deliberately stricter (non-cumulative
# histogram buckets, a histogram sample without a _bucket/_sum/_count suffix),
# and expose the same series, types and values for the files both accept.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
. "$SRC_DIR/tests/integration/host/peer_lib.sh"
t=$d/tf
mkdir "$t"
printf 'c01_ok{a="1"} 1\n' >"$t/c01.prom"
printf 'c02_novalue{a="1"}\n' >"$t/c02.prom"
printf 'c03_noquote{a=1} 1\n' >"$t/c03.prom"
printf 'c04_nan NaN\nc04_inf +Inf\nc04_ninf -Inf\n' >"$t/c04.prom"
printf 'c05_exp 1e3\nc05_plus +5\n' >"$t/c05.prom"
printf '# just a comment\n\n   \nc06_ok 1\n' >"$t/c06.prom"
printf '# HELP c07_help_only Only help.\n' >"$t/c07.prom"
printf 'c08_x 1\n# TYPE c08_x gauge\n' >"$t/c08.prom"
printf 'c10_ts 1 1700000000\n' >"$t/c10.prom"
printf 'c11_esc{a="q\\"b\\\\n\\n"} 1\n' >"$t/c11.prom"
printf 'c12_badesc{a="\\t"} 1\n' >"$t/c12.prom"
printf 'c13_badlabel{1a="x"} 1\n' >"$t/c13.prom"
printf 'c14:colon 1\n' >"$t/c14.prom"
printf 'c15_trail{a="1",} 1\n' >"$t/c15.prom"
printf 'c16_spaces{ a = "1" } 1\n' >"$t/c16.prom"
printf '# TYPE c17_h histogram\nc17_h_bucket{le="1"} 1\nc17_h_count 2\nc17_h_sum 3\n' >"$t/c17.prom"
printf '# TYPE c18_h histogram\nc18_h_bucket{le="abc"} 1\nc18_h_count 2\nc18_h_sum 3\n' >"$t/c18.prom"
printf 'c20_count 5\n' >"$t/c20.prom"
printf 'c22_hex 0x10\n' >"$t/c22.prom"
printf 'c23_us 1_000\n' >"$t/c23.prom"
printf 'c24_utf{a="\xc5\xbc\xc3\xb3\xc5\x82w \xe2\x98\x83"} 1\n' >"$t/c24.prom"
: >"$t/c25.prom"
printf 'c26_nonl 1' >"$t/c26.prom"
printf 'c27_duplabel{a="1",a="2"} 1\n' >"$t/c27.prom"
printf '# TYPE c28 counter\nc28_total 1\n' >"$t/c28.prom"
printf 'c29_crlf 1\r\n' >"$t/c29.prom"
printf 'c30-bad 1\n' >"$t/c30.prom"
printf '# TYPE c31 gauge\n# TYPE c31 gauge\nc31 1\n' >"$t/c31.prom"
printf '# HELP c32 a\n# HELP c32 b\nc32 1\n' >"$t/c32.prom"
printf '# TYPE c33 nosuchtype\nc33 1\n' >"$t/c33.prom"
printf 'c34 1 \n' >"$t/c34.prom"
printf 'c35\t1\n' >"$t/c35.prom"
printf 'c36{} 1\n' >"$t/c36.prom"
printf '# TYPE c37 counter\nc37 -1\n' >"$t/c37.prom"
printf '#TYPE c38 gauge\nc38 1\n' >"$t/c38.prom"
printf '# TYPE c39_h histogram\nc39_h_bucket{le="1"} 3\nc39_h_bucket{le="+Inf"} 2\nc39_h_count 2\nc39_h_sum 3\n' >"$t/c39.prom"
printf '# TYPE c40_h histogram\nc40_h 3\n' >"$t/c40.prom"
printf 'c41{a="1"} 1.5e+400\n' >"$t/c41.prom"
printf 'c42{__name__="x"} 1\n' >"$t/c42.prom"
printf '# TYPE c43_h histogram\nc43_h_bucket{le="0.5",x="a"} 1\nc43_h_bucket{le="+Inf",x="a"} 2\nc43_h_sum{x="a"} 1\nc43_h_count{x="a"} 2\nc43_h_bucket{le="+Inf",x="b"} 0\nc43_h_sum{x="b"} 0\nc43_h_count{x="b"} 0\n' >"$t/c43.prom"
printf 'c44_sparse{a="1"} 1\nc44_other 2\nc44_sparse{b="2"} 3\n' >"$t/c44.prom"
stricter="c39.prom c40.prom"

peer_start tf '' textfile --collector.textfile.directory="$t"
peer_gather
[ -f "$d/he-tf.txt" ] || finish

for f in "$t"/*.prom; do
	b=$(basename "$f")
	n=$(grep -c "^node_textfile_mtime_seconds{file=\"$f\"}" "$d/ne-tf.txt")
	h=$(grep -c "^node_textfile_mtime_seconds{file=\"$f\"}" "$d/he-tf.txt")
	if [[ " $stricter " == *" $b "* ]]; then
		check "$b: node_exporter accepts, host-exporter rejects (stricter)" [ "$n$h" = 10 ]
	else
		check "$b: same verdict as node_exporter (accepted: $n)" [ "$n" = "$h" ]
	fi
done
$PY - "$d/he-tf.txt" "$d/ne-tf.txt" <<'PY'
import math, re, sys
def parse(path):
    fams, types = {}, {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            _, _, n, t = line.split(" ", 3); types[n] = t; continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        name = m.group(1)
        if name.startswith(("node_", "go_", "process_", "promhttp_", "host_exporter_")):
            continue
        labels = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
        fams[(name, labels)] = float(m.group(3))
    return fams, {k: v for k, v in types.items() if not k.startswith(("node_", "go_", "process_", "promhttp_", "host_exporter_"))}
(hs, ht), (ns, nt) = parse(sys.argv[1]), parse(sys.argv[2])
stricter = ("c39_", "c40_")
ns = {k: v for k, v in ns.items() if not k[0].startswith(stricter)}
nt = {k: v for k, v in nt.items() if not k.startswith(stricter)}
bad = 0
for k in sorted(set(hs) | set(ns)):
    a, b = hs.get(k), ns.get(k)
    if a is None or b is None or not (a == b or (math.isnan(a) and math.isnan(b))):
        print("series differs:", k, a, b); bad = 1
for k in sorted(set(ht) | set(nt)):
    if ht.get(k) != nt.get(k):
        print("type differs:", k, ht.get(k), nt.get(k)); bad = 1
print("%d series compared" % len(hs))
sys.exit(bad)
PY
check "accepted files: same series, values and types as node_exporter" [ $? = 0 ]
finish
