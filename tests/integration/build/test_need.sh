#!/bin/bash
# A test needing a server that is not installed skips (exit 77) in the
# package build (PRISM_OFFLINE=1) and fails everywhere else (make check, CI):
# tests/lib/need.sh, and mariadb.sh's mariadb_start through it.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)

cat >"$d/t.sh" <<'T'
. "$SRC_DIR/tests/lib/need.sh"
need sh "$@"
echo "reached"
T
run() { # run ENV-ASSIGNMENT... -- ARGS: prints "rc output"
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	out=$(env "${envs[@]}" bash "$d/t.sh" "$@" 2>&1)
	echo "$? $out"
}
check "present: carries on" [ "$(run PRISM_OFFLINE=0 -- /bin/true)" = "0 reached" ]
r=$(run PRISM_OFFLINE=1 -- prism-no-such-server)
check "missing, PRISM_OFFLINE=1: exit 77 with a reason" [ "$r" = "77 skip: prism-no-such-server not installed (PRISM_OFFLINE=1)" ]
r=$(run -u PRISM_OFFLINE -- /nonexistent/mariadbd)
check "missing, not offline: exit 1" [ "${r%% *}" = 1 ]
check "missing, not offline: says make deps" grep -q 'run make deps' <<<"$r"
r=$(run PRISM_OFFLINE=0 -- prism-no-such-server)
check "PRISM_OFFLINE=0 is not offline" [ "${r%% *}" = 1 ]

# The MariaDB harness goes through it before touching anything.
cat >"$d/m.sh" <<'T'
. "$SRC_DIR/tests/lib/mariadb.sh"
mariadb_start "$1"
echo "started"
T
out=$(MARIADBD=/nonexistent/mariadbd PRISM_OFFLINE=1 bash "$d/m.sh" "$d/db" 2>&1)
check "mariadb_start without mariadbd, offline: skip" [ $? = 77 ]
check "mariadb_start without mariadbd, offline: nothing created" [ ! -e "$d/db" ]
out=$(env -u PRISM_OFFLINE MARIADBD=/nonexistent/mariadbd bash "$d/m.sh" "$d/db" 2>&1)
check "mariadb_start without mariadbd, not offline: fail" [ $? = 1 ]
finish
