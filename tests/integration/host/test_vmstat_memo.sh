#!/bin/bash
# vmstat remembers which /proc/vmstat lines match --collector.vmstat.fields
# (vmstat.c's field memo, built by the first scrape).  When the file's
# fields change between scrapes (reordered, renamed, added, removed) every
# later scrape must still give exactly node_exporter 1.5's series on the
# same file: the memo may only answer for a line whose name it has seen at
# that position.  Both exporters read a fixture procfs with only vmstat on,
# with the default regex and with another one.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
cp -r "$SRC_DIR/tests/fixtures/host/proc" "$d/proc"
v=$d/proc/vmstat

# node_vmstat_* samples, sorted, values as numbers (Go prints 7.344136e+06)
samples() {
	curl -sf --max-time 30 "http://127.0.0.1:$1/metrics" |
		$PY -c 'import sys
for l in sys.stdin:
    if l.startswith("node_vmstat_"):
        k, v = l.split()
        print(k, repr(float(v)))' | sort
}

run_case() { # NAME [FLAGS...]: both exporters, then every vmstat version in turn
	local name=$1 hp np hpid npid
	shift
	read -r hp np < <(free_ports 2 | tr '\n' ' ')
	"$HE" --web.listen-address="127.0.0.1:$hp" --path.procfs="$d/proc" --collector.disable-defaults \
		--collector.vmstat "$@" >"$d/he-$name.log" 2>&1 &
	hpid=$!
	on_exit "kill $hpid"
	"$NE" --web.listen-address="127.0.0.1:$np" --path.procfs="$d/proc" --collector.disable-defaults \
		--collector.vmstat "$@" >"$d/ne-$name.log" 2>&1 &
	npid=$!
	on_exit "kill $npid"
	wait_http "http://127.0.0.1:$hp/metrics" 60 || { fail "$name: host-exporter did not start"; return; }
	wait_http "http://127.0.0.1:$np/metrics" 60 || { fail "$name: node_exporter did not start"; return; }
	for ver in orig orig moved renamed grown shrunk orig; do
		cp "$d/vmstat.$ver" "$v"
		samples "$hp" >"$d/he.$name.$ver"
		samples "$np" >"$d/ne.$name.$ver"
		check "$name, $ver: node_vmstat_* as node_exporter's ($(wc -l <"$d/ne.$name.$ver") samples)" \
			diff -u "$d/ne.$name.$ver" "$d/he.$name.$ver"
	done
	kill $hpid $npid
}

cp "$v" "$d/vmstat.orig"
# a matching line moved down, past non-matching ones
{ grep -v '^pgfault ' "$v"; grep '^pgfault ' "$v"; } >"$d/vmstat.moved"
# names swapped between a matching and a non-matching line, in place
sed -e 's/^pgmajfault /nr_tmp_swap /; t' -e 's/^nr_free_pages /pgmajfault /' "$v" >"$d/vmstat.renamed"
grep -q '^nr_tmp_swap ' "$d/vmstat.renamed" || { echo "fixture vmstat changed: no pgmajfault line"; exit 1; }
# new fields in front (a newer kernel), one matching
{ printf 'pgdemote_kswapd 11\nnr_zspages 4\n'; cat "$v"; } >"$d/vmstat.grown"
# the first lines gone
tail -n +4 "$v" >"$d/vmstat.shrunk"

run_case defaults
run_case other --collector.vmstat.fields='^(nr_|pswp).*'
finish
