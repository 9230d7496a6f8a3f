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
#
# No process outlives its test.  The runner is a child subreaper
# (prctl(PR_SET_CHILD_SUBREAPER), set by the python3 below, which then
# execs bash on this script again: the attribute survives execve), so
# whatever a test started and left running is re-parented to the runner,
# not to init, when its parent ends -- however it was started: `cmd &`, a
# function's subshell, setsid, a daemon that forks away, strace's tracee,
# systemd-nspawn and its container.  After each test the runner's
# descendants are what the test left: they get LEAK_GRACE seconds (default
# 10: a daemon sent SIGTERM at exit may still be draining, slower under
# ASan) to end on their own; any still running then fail the test, named
# (pid, parent, command line) on the FAIL line and in its log, and are
# killed (SIGTERM, then SIGKILL), so they cannot disturb the tests after it.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
export BUILD_DIR SRC_DIR
# $$ survives both execs: the marker says "this process is the subreaper"
# (a runner started by a test, as tests/unit/test_harness.sh does, becomes
# its own).
if [ "${_PRISM_RUNNER_PID:-}" != "$$" ]; then
	[ -x /usr/bin/python3 ] || { echo "tests/run.sh: no /usr/bin/python3 (make deps)" >&2; exit 2; }
	export _PRISM_RUNNER_PID=$$
	# Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays
	# ignored across execve: give the tests the default back.
	exec /usr/bin/python3 -c '
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("tests/run.sh: prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
os.execv("/bin/bash", ["/bin/bash"] + sys.argv[1:])
' "$0" "$@"
fi
leak_grace=${LEAK_GRACE:-10}

# _descendants: the runner's live descendants (zombies left out) into
# _desc, with their parents in _parent.  Reads /proc without forking: no
# process of the runner's own may be among them.
_descendants() {
	local f s pid ppid c k=x
	local -A kids=()
	_parent=()
	_desc=()
	# Fast path (one read instead of all of /proc, which cost ~30 ms a test
	# on a loaded machine): without a child there is no descendant, since
	# an orphan is re-parented to the runner.  An unreaped zombie child is
	# listed too, and then the whole scan below leaves it out.
	f=/proc/$$/task/$$/children	# CONFIG_PROC_CHILDREN; else the scan
	[ -r "$f" ] && { read -r k <"$f" || :; }
	[ -z "${k// /}" ] && return 0
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		s=${s##*) }	# comm may hold spaces and ')': fields after the last ')'
		[ "${s%% *}" = Z ] && continue
		s=${s#* }
		ppid=${s%% *}
		kids[$ppid]+=" $pid"
		_parent[$pid]=$ppid
	done
	local queue=("$$")
	while [ ${#queue[@]} -gt 0 ]; do
		for c in ${kids[${queue[0]}]:-}; do
			_desc+=("$c")
			queue+=("$c")
		done
		queue=("${queue[@]:1}")
	done
}
declare -A _parent=()
_desc=()

# _leftovers LOG: after a test, wait out the grace, then name (in LOG and
# in $leaked, for the FAIL line) and kill whatever is still running.
_leftovers() {
	local log=$1 i p cmd n
	leaked=
	_descendants
	[ ${#_desc[@]} -eq 0 ] && return 0
	for ((i = 0; i < leak_grace * 10; i++)); do
		sleep 0.1
		_descendants
		[ ${#_desc[@]} -eq 0 ] && {
			echo "# tests/run.sh: processes still ending when the test ended, gone after $(((i + 1) / 10)).$(((i + 1) % 10)) s" >>"$log"
			return 0
		}
	done
	n=${#_desc[@]}
	echo "# tests/run.sh: $n process(es) left running ${leak_grace} s after the test ended (killed now):" >>"$log"
	for p in "${_desc[@]}"; do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
		cmd=${cmd% }
		echo "#   pid $p (parent ${_parent[$p]:-?}): ${cmd:-?}" >>"$log"
		leaked+="${leaked:+; }pid $p: ${cmd:0:100}"
	done
	kill -TERM "${_desc[@]}" 2>/dev/null
	kill -CONT "${_desc[@]}" 2>/dev/null	# a stopped one gets its SIGTERM
	for ((i = 0; i < 100; i++)); do
		_descendants
		[ ${#_desc[@]} -eq 0 ] && break
		sleep 0.1
	done
	if [ ${#_desc[@]} -gt 0 ]; then
		echo "# tests/run.sh: SIGKILL for ${_desc[*]} (still there 10 s after SIGTERM)" >>"$log"
		kill -KILL "${_desc[@]}" 2>/dev/null
	fi
	leaked="left $n process(es) running: $leaked"
	return 1
}
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
	why= also=
	# PRISM_E2E_KEEP=1 keeps the e2e's containers running on purpose (for a
	# look inside; tests/e2e/ansible/test_ansible.sh --stop ends them)
	if [ "${PRISM_E2E_KEEP:-0}" = 1 ]; then
		echo "# tests/run.sh: PRISM_E2E_KEEP=1: processes left running are not checked" >>"$log"
	elif ! _leftovers "$log"; then
		case $rc in
		0 | 77) why="${secs}s, exit $rc, but $leaked"; rc=1 ;;
		*) also="; it also $leaked" ;;
		esac
	fi
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
	124|137) fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (timed out after ${timeout_s}s$also)" ;;
	*) fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (${why:-exit $rc, ${secs}s}$also)" ;;
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
