# Shared helpers for prism's shell tests.  Source it: . "$SRC_DIR/tests/lib/common.sh"
# Provides: free_port, wait_http, wait_port, wait_for, all_traced, pid_live, children_of,
# wait_gone, stop_pids, stop_traced, on_exit, tmpdir_new, fail, check, and a per-file
# assertion count printed by finish.
#
# A test stops every process it started before it ends: tests/run.sh fails a
# test that leaves one running (see there).  Started with `CMD &`, $! is CMD
# only when CMD is a simple command; `FUNCTION ... &` gives a subshell whose
# kill leaves FUNCTION's children running unless FUNCTION execs them.
set -u
: "${SRC_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD_DIR:=$SRC_DIR/build}"
export SRC_DIR BUILD_DIR
PY=/usr/bin/python3

_on_exit_cmds=()
# on_exit CMD...: run CMD (a string, eval'd) at exit, last registered first.
on_exit() { _on_exit_cmds+=("$*"); }
# tmpdir_new is used as d=$(tmpdir_new): it runs in a subshell, where an
# on_exit would be lost, so it lists its directories in this file instead,
# which the main shell empties at exit (after the on_exit commands, which
# may still use them).
_tmpdir_list=$(mktemp "${TMPDIR:-/tmp}/prism-tmpdirs.XXXXXX")
_run_on_exit() {
	local i d
	for ((i = ${#_on_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_on_exit_cmds[$i]}" >/dev/null 2>&1 || true
	done
	if [ -f "$_tmpdir_list" ]; then
		while IFS= read -r d; do
			[ -n "$d" ] && rm -rf "$d"
		done <"$_tmpdir_list"
		rm -f "$_tmpdir_list"
	fi
}
trap _run_on_exit EXIT
trap 'exit 130' INT TERM

# tmpdir_new: a fresh directory removed at exit; prints its path.
tmpdir_new() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/prism-test.XXXXXX")
	echo "$d" >>"$_tmpdir_list"
	echo "$d"
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
# free_ports N: N distinct loopback ports free now, held together while
# chosen.  Picked at random below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range): a port bind() hands out from that range can
# become a client socket's local port (the tests' many curls) before the
# server binds it, and the server then fails with EADDRINUSE.
free_ports() {
	$PY -c '
import random, socket, sys
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
lo = lo if lo > 12000 else 61000
ss, tried = [], set()
while len(ss) < int(sys.argv[1]):
    p = random.randrange(10000, lo - 1 if lo < 61000 else 32000)
    if p in tried:
        continue
    tried.add(p)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    ss.append(s)
for s in ss:
    print(s.getsockname()[1])
' "$1"
}
free_port() {
	free_ports 1
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
	local port=$1 t=${2:-20} i
	for ((i = 0; i < t * 10; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_http URL [SECONDS] [STATUS]: until URL answers (with STATUS, default 200).
wait_http() {
	local url=$1 t=${2:-20} want=${3:-200} i code
	for ((i = 0; i < t * 10; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)
		[ "$code" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS CMD...: until CMD succeeds (polled every 0.1 s); 1 if it
# never did.  For a condition a test then checks, instead of a fixed sleep
# that a loaded machine or ASan outlasts.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# all_traced PID: every thread of PID has a tracer (strace -f -p PID has
# attached to all of them); with wait_for, before the traced requests.
all_traced() {
	local t
	for t in /proc/"$1"/task/*/status; do
		grep -q '^TracerPid:[[:space:]]*0$' "$t" 2>/dev/null && return 1
	done
	return 0
}

# pid_live PID: true while PID exists and is not a zombie (one read of
# /proc/PID/stat; an exited child of ours stays a zombie until reaped, and
# kill -0 still succeeds on it).
pid_live() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# children_of PID: the pids whose parent is PID, one a line (from
# /proc/*/stat: the comm field may hold spaces and parentheses, so the
# fields are taken after its last ')').
children_of() {
	local f s
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		s=${s##*) }
		s=${s#* }
		[ "${s%% *}" = "$1" ] || continue
		f=${f#/proc/}
		echo "${f%/stat}"
	done
}

# wait_gone SECONDS PID...: until none of PID is alive (pid_live); 1 if some
# still is after SECONDS.
wait_gone() {
	local n=$(($1 * 10)) i p left
	shift
	for ((i = 0; i < n; i++)); do
		left=0
		for p; do pid_live "$p" && { left=1; break; }; done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_pids PID...: SIGTERM each PID, wait until all are gone (bounded: 30 s,
# generous for a daemon draining under ASan), SIGKILL any still there, and
# reap those that are children of this shell.  Bounded where a bare
# `kill; wait` hangs on a process that ignores the signal.
stop_pids() {
	local p
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	if ! wait_gone 30 "$@"; then
		for p; do
			pid_live "$p" || continue
			echo "# pid $p still running 30 s after SIGTERM: SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null
		done
		wait_gone 10 "$@"
	fi
	wait "$@" 2>/dev/null
	return 0
}

# stop_traced PID: PID is a `strace -f ... CMD` started in the background;
# stop CMD (strace's child), then let strace end with it.  Killing strace
# alone makes it detach and leaves CMD running (strace 6.1 has no
# --kill-on-exit).  Pass the pid of strace itself: `strace ... &` directly,
# or a function that execs it.
stop_traced() {
	local kids
	pid_live "$1" || { wait "$1" 2>/dev/null; return 0; }
	kids=$(children_of "$1")
	# shellcheck disable=SC2086 # one pid a word
	[ -n "$kids" ] && stop_pids $kids
	wait_gone 30 "$1"
	stop_pids "$1"
}

_checks=0
_failures=0
# check DESCRIPTION CMD...: run CMD; count and report.
check() {
	local what=$1
	shift
	_checks=$((_checks + 1))
	if "$@"; then
		echo "ok $_checks - $what"
	else
		_failures=$((_failures + 1))
		echo "not ok $_checks - $what"
	fi
}
# fail MSG: record a failure without a command.
fail() {
	_checks=$((_checks + 1))
	_failures=$((_failures + 1))
	echo "not ok $_checks - $*"
}
pass() {
	_checks=$((_checks + 1))
	echo "ok $_checks - $*"
}
# finish: print the plan and exit non-zero if anything failed.
finish() {
	echo "1..$_checks"
	[ "$_failures" -eq 0 ] || { echo "# $_failures of $_checks checks failed"; exit 1; }
	exit 0
}
