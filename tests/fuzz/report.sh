#!/bin/bash
# make fuzz: run each harness named on the command line for FUZZ_SECONDS
# (libFuzzer -max_total_time), then print one table line per harness from
# libFuzzer's final stats: executions, exec/s, coverage (cov: edges, ft:
# features, from its last status line), inputs added to the work corpus,
# crashes (inputs left in the artifact directory).  Exit 1 if any harness
# crashed or failed; the input is in $FUZZ_BUILD/artifacts/<name>/.
#
# Environment (set by tests/fuzz/fuzz.mk): FUZZ_BUILD (build/fuzz),
# FUZZ_SECONDS, FUZZ_RUN_FLAGS.  Seeds: tests/fuzz/corpus/<name>/ (read
# only); new inputs go to $FUZZ_BUILD/corpus/<name>/.
set -u
B=${FUZZ_BUILD:?}
secs=${FUZZ_SECONDS:-60}
rc=0
rows=()
for n in "$@"; do
	mkdir -p "$B/corpus/$n" "$B/artifacts/$n"
	log=$B/fuzz_$n.log
	before=$(find "$B/corpus/$n" -type f | wc -l)
	crashes_before=$(find "$B/artifacts/$n" -type f | wc -l)
	echo "== fuzz_$n for $secs s (log: $log)"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$B/fuzz_$n" -max_total_time="$secs" \
		$FUZZ_RUN_FLAGS -print_final_stats=1 -artifact_prefix="$B/artifacts/$n/" \
		"$B/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1
	r=$?
	after=$(find "$B/corpus/$n" -type f | wc -l)
	crashes=$(($(find "$B/artifacts/$n" -type f | wc -l) - crashes_before))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	# the last status line with coverage: "#N <event> cov: C ft: F corp: ..."
	last=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last")
	status=ok
	if [ "$r" != 0 ] || [ "$crashes" -gt 0 ]; then
		status="FAILED (exit $r)"
		rc=1
		grep -E '^==[0-9]+==ERROR|^SUMMARY' "$log" | head -3
	fi
	rows+=("$(printf '%-14s %12s %9s %7s %8s %9s %8s  %s' "$n" "${execs:-?}" "${eps:-?}" \
		"${cov:-?}" "${ft:-?}" "${added:-$((after - before))}" "$crashes" "$status")")
done
echo
printf '%-14s %12s %9s %7s %8s %9s %8s  %s\n' harness executions exec/s cov ft new-corpus crashes status
for row in "${rows[@]}"; do
	echo "$row"
done
exit $rc
