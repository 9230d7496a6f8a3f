#!/bin/bash
# ARGS= lines written for node_exporter 1.5 keep working: every flag Debian's
# prometheus-node-exporter --help lists (taken at test time) that
# host-exporter does not declare is accepted with exactly one warning naming
# it (values given as --flag=V or as the next argument, --no-flag for a
# boolean, a flag given twice still warned once); the flags we do implement
# still take their values; a truly unknown flag, or --no- of a flag that
# takes a value, still exits 2.
. "$SRC_DIR/tests/lib/common.sh"
NE=/usr/bin/prometheus-node-exporter
HE=$BUILD_DIR/host-exporter
[ -x "$NE" ] || { echo "prometheus-node-exporter not installed (make deps)"; exit 1; }
d=$(tmpdir_new)
"$NE" --help 2>&1 | grep -oE -- '^ +--[a-z0-9._-]+=?' | sed 's/^ *--//' |
	grep -vx -e help -e help-long -e help-man -e version >"$d/ne-flags"
"$HE" --help 2>&1 | grep -oE -- '--(\[no-\])?[a-z0-9._-]+' | sed 's/^--//; s/^\[no-\]//' | sort -u >"$d/he-flags"
check "node_exporter --help lists over 100 flags" [ "$(wc -l <"$d/ne-flags")" -gt 100 ]
args=() want=() n=0
while read -r f; do
	name=${f%=}
	grep -qx -- "$name" "$d/he-flags" && continue
	want+=("$name")
	if [ "$name" != "$f" ]; then	# takes a value
		if ((n++ % 2)); then args+=("--$name" "value-$n"); else args+=("--$name=value-$n"); fi
	elif ((n++ % 2)); then
		args+=("--no-$name")
	else
		args+=("--$name")
	fi
done <"$d/ne-flags"
check "some node_exporter flags are not implemented (${#want[@]})" [ "${#want[@]}" -gt 0 ]
args+=("--${want[0]}")	# once more
echo "${want[*]}" >"$d/want"
mkdir "$d/tf"
printf 'tf_marker 1\n' >"$d/tf/m.prom"
port=$(free_port)
"$HE" --web.listen-address="127.0.0.1:$port" "${args[@]}" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory "$d/tf" >"$d/he.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$port/metrics" 30 || { cat "$d/he.log"; fail "did not start with node_exporter's flags"; finish; }
curl -s "http://127.0.0.1:$port/metrics" >"$d/m.txt"
check "serves with every node_exporter flag on its command line" grep -q '^tf_marker 1$' "$d/m.txt"
missing=0 dup=0
for name in "${want[@]}"; do
	c=$(grep -c "level=warn .*not implemented.* flag=$name\$" "$d/he.log")
	[ "$c" = 1 ] || { echo "flag $name: $c warnings"; missing=1; }
done
check "exactly one warning naming each of the ${#want[@]} ignored flags" [ "$missing" = 0 ]
check "no other warnings" [ "$(grep -c 'level=warn' "$d/he.log")" = "${#want[@]}" ]

"$HE" --collector.nosuchthing >"$d/u.out" 2>&1
check "a truly unknown flag exits 2" [ $? = 2 ]
check "and names it" grep -q "unknown long flag '--collector.nosuchthing'" "$d/u.out"
vflag=$(grep -m1 '=$' <(for w in "${want[@]}"; do grep -x -- "$w=" "$d/ne-flags"; done) | sed 's/=$//')
"$HE" --no-"$vflag" >"$d/n.out" 2>&1
check "--no- of a value flag ($vflag) exits 2" [ $? = 2 ]
"$HE" --collector.timeout=0s >"$d/b.out" 2>&1
check "an implemented flag with a bad value still exits 2" [ $? = 2 ]
finish
