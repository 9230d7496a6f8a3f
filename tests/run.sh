#!/bin/bash
# prism's test runner.  Each argument is an executable test (a C test binary
# or a script).  It runs with BUILD_DIR and SRC_DIR in its environment and
# exits 0 (pass), 77 (skip) or anything else (fail).  Output goes to
# $BUILD_DIR/test-logs/<name>.log; failures are shown at the end, then the
# summary line CI reads: "N passed, N failed, N skipped".
#
# A test that passed but skipped part of itself prints "# SKIP <what>: <why>"
# lines (tests/unit/harness.h's SKIP, or a script's echo): each such part is
# shown and counted among the skipped, so "skipped" says how much did not
# run; the summary then adds "(N whole tests, N parts of passing tests)".
#
# TEST_TIMEOUT (seconds, default 600) bounds every test; TEST_FILTER (a
# substring) runs a subset.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
export BUILD_DIR SRC_DIR
logs="$BUILD_DIR/test-logs"
mkdir -p "$logs"
timeout_s=${TEST_TIMEOUT:-600}
pass=0 fail=0 skip=0 parts=0
failed=()
for t in "$@"; do
	[ -n "${TEST_FILTER:-}" ] && [[ "$t" != *"$TEST_FILTER"* ]] && continue
	name=${t#"$BUILD_DIR"/}
	name=${name#"$SRC_DIR"/}
	log="$logs/$(echo "$name" | tr '/' '_').log"
	start=${EPOCHREALTIME/./}
	timeout -k 10 "$timeout_s" "$t" >"$log" 2>&1 </dev/null
	rc=$?
	us=$(( ${EPOCHREALTIME/./} - start ))
	secs="$((us / 1000000)).$(( (us / 100000) % 10 ))"
	case $rc in
	0)
		pass=$((pass + 1))
		n=$(grep -c '^# SKIP ' "$log")
		if [ "$n" -gt 0 ]; then
			parts=$((parts + n))
			echo "ok    $name (${secs}s; $n part(s) skipped)"
			grep '^# SKIP ' "$log" | sed 's/^# SKIP /      skip  /'
		else
			echo "ok    $name (${secs}s)"
		fi
		;;
	77) skip=$((skip + 1)); echo "skip  $name: $(tail -n 1 "$log")" ;;
	124|137) fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (timed out after ${timeout_s}s)" ;;
	*) fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (exit $rc, ${secs}s)" ;;
	esac
done
for name in "${failed[@]}"; do
	log="$logs/$(echo "$name" | tr '/' '_').log"
	echo
	echo "==== $name: last 40 lines of $log"
	tail -n 40 "$log"
done
echo
# The last line stays exactly "N passed, N failed, N skipped" (what CI
# parses); the breakdown of the skips goes on the line before it.
[ "$parts" -gt 0 ] && echo "skipped: $skip whole tests, $parts parts of passing tests"
echo "$pass passed, $fail failed, $((skip + parts)) skipped"
[ "$fail" -eq 0 ]
