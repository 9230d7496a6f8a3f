#!/bin/bash
# The values normalise.py masks in the goldens (uname labels, filesystem
# sizes, time, textfile mtimes) are checked here against their sources of
# truth -- uname(2), statvfs(2), the clock, stat(2) -- and against Debian's
# node_exporter on the same fixture tree (series sets, label values
# included), so `make host-goldens` cannot bless a bug in them (issue 16).
. "$SRC_DIR/tests/lib/common.sh"

FX=$SRC_DIR/tests/fixtures/host
HE=$BUILD_DIR/host-exporter
NE=/usr/bin/prometheus-node-exporter
d=$(tmpdir_new)
colls=(filesystem uname time textfile)
paths=(--path.procfs="$FX/proc" --path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs"
	--path.udev.data="$FX/udev" --collector.textfile.directory="$FX/textfile")
args=(--collector.disable-defaults)
for c in "${colls[@]}"; do args+=("--collector.$c"); done

[ -x "$NE" ] || fail "node_exporter not installed at $NE (make deps installs prometheus-node-exporter)"
port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" "${paths[@]}" "${args[@]}" >"$d/he.log" 2>&1 &
on_exit "kill $!"
if [ -x "$NE" ]; then
	ne_port=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$ne_port" "${paths[@]}" "${args[@]}" >"$d/ne.log" 2>&1 &
	on_exit "kill $!"
	wait_http "http://127.0.0.1:$ne_port/metrics" 20 || fail "node_exporter did not start"
fi
wait_http "http://127.0.0.1:$port/metrics" 20 || { cat "$d/he.log"; fail "host-exporter did not start"; finish; }
curl -sf "http://127.0.0.1:$port/metrics" >"$d/ours.txt"
ne=()
if [ -x "$NE" ]; then
	curl -sf "http://127.0.0.1:$ne_port/metrics" >"$d/theirs.txt"
	ne=("$d/theirs.txt")
fi
$PY "$SRC_DIR/tests/integration/host/masked.py" "$FX" "$d/ours.txt" "${ne[@]}" >"$d/out.txt"
rc=$?
sed 's/^/# /' "$d/out.txt"
check "masked values agree with uname(2), statvfs(2), the clock, stat(2) and node_exporter ($(grep -c '^ok' "$d/out.txt") checks)" [ "$rc" = 0 ]
check "the comparison covered every masked family" [ "$(grep -c '^PROBLEM' "$d/out.txt")" = 0 -a "$(grep -c '^ok.*node_filesystem_size_bytes{' "$d/out.txt")" -ge 1 -a "$(grep -c '^ok.*node_uname_info release' "$d/out.txt")" = 1 ]
finish
