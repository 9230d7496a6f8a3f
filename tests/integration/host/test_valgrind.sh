#!/bin/bash
# host-exporter under valgrind (issue 4: no leaks, no invalid accesses):
# scrapes of every kind (all collectors on the fixture tree, collect[], a bad
# collect[], gzip, a textfile dir with a bad and a good file incl. a
# histogram), SIGHUP, then SIGTERM; valgrind must report no errors and no
# definite/indirect leaks, and the exit status must be 0.
. "$SRC_DIR/tests/lib/common.sh"
command -v valgrind >/dev/null || { echo "valgrind not installed (make deps)"; exit 1; }
[ -n "${SAN:-}" ] && { echo "not under sanitizers"; exit 77; }
HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)
mkdir "$d/tf"
printf 'bad{ 1\n' >"$d/tf/bad.prom"
printf 'ok_metric 1\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n' >"$d/tf/ok.prom"
port=$(free_port)
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
	--log-file="$d/vg.log" "$HE" --web.listen-address="127.0.0.1:$port" --path.procfs="$FX/proc" \
	--path.sysfs="$FX/sys" --path.rootfs="$FX/rootfs" --collector.textfile.directory="$d/tf" \
	>"$d/he.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid"
check "starts under valgrind" wait_http "http://127.0.0.1:$port/-/healthy" 60
for i in 1 2 3; do
	curl -sf "http://127.0.0.1:$port/metrics" -o "$d/m.txt"
	curl -sf "http://127.0.0.1:$port/metrics?collect[]=textfile&collect[]=cpu" -o /dev/null
	curl -s "http://127.0.0.1:$port/metrics?collect[]=bogus" -o /dev/null
	curl -sf --compressed "http://127.0.0.1:$port/metrics" -o /dev/null
done
check "scrape complete" grep -q '^node_scrape_collector_success{collector="vmstat"} 1$' "$d/m.txt"
kill -HUP $pid
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
grep -E "ERROR SUMMARY|definitely|indirectly" "$d/vg.log"
check "exit status 0 (no valgrind errors, no leaks)" [ $rc = 0 ]
check "no valgrind errors" grep -q "ERROR SUMMARY: 0 errors" "$d/vg.log"
finish
