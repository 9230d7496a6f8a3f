#!/bin/bash
# The unit harness and the runner do not pass what did not run (issue 16):
# a binary with no check fails, a case with no check (and no SKIP) fails, a
# binary whose every case skipped exits 77, a partly skipped one passes and
# its skipped part is counted in tests/run.sh's summary line.
. "$SRC_DIR/tests/lib/common.sh"
# The runners below run every test they are given: not the outer run's
# subset (make test-only TEST_FILTER=test_harness left them nothing to run).
unset TEST_FILTER
d=$(tmpdir_new)
CC=${CC:-cc}

# prog NAME BODY: a test binary built with tests/unit/harness.h
prog() {
	printf '#include "harness.h"\n%s\n' "$2" >"$d/$1.c"
	$CC -std=gnu17 -Wall -Wextra -Werror -I"$SRC_DIR/tests/unit" -o "$d/$1" "$d/$1.c" ||
		fail "compile $1"
}
prog none 'int main(void) { return harness_done(); }'
prog empty_case 'static void t_nothing(void) { }
static void t_one(void) { CHECK(1); }
int main(void) { RUN(t_one); RUN(t_nothing); return harness_done(); }'
prog all_skip 'static void t_a(void) { SKIP("no %s here", "sysfs"); }
static void t_b(void) { SKIP("no fuse"); }
int main(void) { RUN(t_a); RUN(t_b); return harness_done(); }'
prog part_skip 'static void t_a(void) { CHECK_INT(2 + 2, 4); }
static void t_b(void) { if (1) { SKIP("RLIMIT_NOFILE too low for %d connections", 512); return; } CHECK(0); }
int main(void) { RUN(t_a); RUN(t_b); return harness_done(); }'
prog failing 'static void t_a(void) { CHECK_STR("a", "b"); }
int main(void) { RUN(t_a); return harness_done(); }'
prog passing 'static void t_a(void) { CHECK(1); CHECK_INT(1, 1); }
int main(void) { RUN(t_a); return harness_done(); }'

rc_of() { "$d/$1" >"$d/$1.out" 2>&1; echo $?; }
check "a binary that made no check fails" [ "$(rc_of none)" = 1 ]
check "... and says so" grep -q '^# no check ran' "$d/none.out"
check "a case that made no check (and did not SKIP) fails" [ "$(rc_of empty_case)" = 1 ]
check "... naming the case" grep -q '^# FAIL t_nothing: made no check' "$d/empty_case.out"
check "every case skipped: exit 77" [ "$(rc_of all_skip)" = 77 ]
check "... each SKIP names its case and reason" grep -q '^# SKIP t_a: no sysfs here$' "$d/all_skip.out"
check "part skipped: exit 0" [ "$(rc_of part_skip)" = 0 ]
check "... the skipped case is reported as a skip, not a pass" grep -q '^# skip t_b$' "$d/part_skip.out"
check "... and not as a pass" [ "$(grep -c '^# pass t_b' "$d/part_skip.out")" = 0 ]
check "a failed check fails" [ "$(rc_of failing)" = 1 ]
check "checks that hold pass" [ "$(rc_of passing)" = 0 ]

# The runner: whole skips and skipped parts in the summary line.
out=$(BUILD_DIR=$d "$SRC_DIR/tests/run.sh" "$d/none" "$d/empty_case" "$d/all_skip" \
	"$d/part_skip" "$d/failing" "$d/passing")
rc=$?
echo "$out" | sed 's/^/# /'
check "runner fails when a test failed" [ "$rc" = 1 ]
check "summary line counts the skipped part and the skipped test" \
	[ "$(echo "$out" | tail -n 1)" = "2 passed, 3 failed, 2 skipped" ]
check "the line before it breaks the skips down" \
	[ "$(echo "$out" | tail -n 2 | head -n 1)" = "skipped: 1 whole tests, 1 parts of passing tests" ]
check "the skipped part is shown with its reason" grep -q 'skip  t_b: RLIMIT_NOFILE too low for 512 connections' <<<"$out"
out=$(BUILD_DIR=$d "$SRC_DIR/tests/run.sh" "$d/passing")
check "no skip: the plain summary line" [ "$(echo "$out" | tail -n 1)" = "1 passed, 0 failed, 0 skipped" ]
# The runner: a test that leaves a process running fails, even with exit 0,
# naming it; the process is killed.  One leaves a plain background job, one
# a process that moved to its own session and whose parent is gone (it is
# re-parented to the runner, not to init).  LEAK_GRACE=1 keeps this short.
cat >"$d/leaky" <<'SH'
#!/bin/bash
sleep 300 &
echo "leaked $!" >"${0}.pids"
SH
cat >"$d/leaky_setsid" <<'SH'
#!/bin/bash
setsid bash -c 'sleep 301 & echo "leaked $!" >"$1.pids"' bash "$0" &
wait
SH
cat >"$d/tidy" <<'SH'
#!/bin/bash
sleep 302 &
kill $!
SH
chmod +x "$d/leaky" "$d/leaky_setsid" "$d/tidy"
out=$(LEAK_GRACE=1 BUILD_DIR=$d "$SRC_DIR/tests/run.sh" "$d/leaky" "$d/leaky_setsid" "$d/tidy")
rc=$?
echo "$out" | sed 's/^/# /'
check "a test that leaves a process running fails the run" [ "$rc" = 1 ]
check "... counted as a failure (the one that stopped its process passes)" \
	[ "$(echo "$out" | tail -n 1)" = "1 passed, 2 failed, 0 skipped" ]
check "... its FAIL line names the process" grep -q "^FAIL  leaky (.*exit 0, but left 1 process(es) running: pid [0-9]*: sleep 300)" <<<"$out"
check "... also one that left its own session and lost its parent" \
	grep -q "^FAIL  leaky_setsid (.*exit 0, but left 1 process(es) running: pid [0-9]*: sleep 301)" <<<"$out"
check "... and its log names pid, parent and command line" \
	grep -q "^#   pid [0-9]* (parent [0-9]*): sleep 300$" "$d/test-logs/leaky.log"
for f in leaky leaky_setsid; do
	p=$(sed -n 's/^leaked //p' "$d/$f.pids")
	check "... and the runner killed what $f left (pid $p)" bash -c ". '$SRC_DIR/tests/lib/common.sh'; ! pid_live '$p'"
done
finish
