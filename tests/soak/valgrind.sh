#!/bin/bash
# valgrind memcheck of the daemons through their integration tests (issue 14).
#   tests/soak/valgrind.sh SET...    SET: orderd, host, mysql (default: all three)
# Needs BUILD_DIR (a build without sanitizers) and SRC_DIR.  The one place
# wrapped is the build directory: the tests find every daemon as
# $BUILD_DIR/NAME, so they run against a shadow build directory whose
# orderd, host-exporter and mysql-exporter are scripts that exec valgrind
#   --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
# on the real binary (everything else there is a symlink).  Each daemon's
# report goes to $BUILD_DIR/valgrind/logs/NAME.PID.log (VALGRIND_DIR: another
# directory than $BUILD_DIR/valgrind, for runs side by side); afterwards every
# report with an error (invalid access, uninitialised use, definite or
# indirect leak) is printed and the run fails.  A test that fails only from
# the slowdown (its own timing bounds) shows in run.sh's summary; the
# verdict here is the valgrind reports.  Slow: minutes per set.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
command -v valgrind >/dev/null || { echo "valgrind not installed (make deps)" >&2; exit 2; }
real=$(cd "$BUILD_DIR" && pwd)
vg=${VALGRIND_DIR:-$real/valgrind}
shadow=$vg/build
rm -rf "$vg" && mkdir -p "$shadow" "$vg/logs" || exit 2
for f in "$real"/* "$real"/.[!.]*; do
	[ -e "$f" ] || continue
	case ${f##*/} in valgrind* | test-logs) continue ;; esac
	ln -s "$f" "$shadow/${f##*/}"
done
for n in orderd host-exporter mysql-exporter; do
	[ -x "$real/$n" ] || { echo "$real/$n not built" >&2; exit 2; }
	rm -f "$shadow/$n"
	cat >"$shadow/$n" <<WRAP
#!/bin/sh
exec valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--error-exitcode=99 --log-file="$vg/logs/$n.%p.log" "$real/$n" "\$@"
WRAP
	chmod +x "$shadow/$n"
done

sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(orderd host mysql)
tests=()
for s in "${sets[@]}"; do
	case $s in
	orderd | host | mysql) tests+=("$SRC_DIR"/tests/integration/"$s"/test_*.sh) ;;
	*) echo "unknown set $s (orderd, host, mysql)" >&2; exit 2 ;;
	esac
done
start=$SECONDS
# Daemons start and answer 20-50x slower under memcheck.
TEST_TIMEOUT=${TEST_TIMEOUT:-1200} BUILD_DIR=$shadow "$SRC_DIR/tests/run.sh" "${tests[@]}"
rc_tests=$?
bad=0
runs=0
for l in "$vg"/logs/*.log; do
	[ -e "$l" ] || continue
	runs=$((runs + 1))
	# --quiet: a clean run writes nothing (or only the leak summary of
	# "still reachable"/"possibly lost", which are not errors here).
	if grep -qE 'Invalid (read|write|free)|uninitialised|Conditional jump|definitely lost in|indirectly lost in|Mismatched free|Syscall param' "$l"; then
		bad=$((bad + 1))
		echo "=== $l"
		head -n 60 "$l"
	fi
done
echo "valgrind: $runs daemon runs in sets ${sets[*]}, $bad with errors or leaks; tests exit $rc_tests; $((SECONDS - start)) s"
[ "$bad" -eq 0 ] || exit 1
exit 0
