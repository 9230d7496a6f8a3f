#!/bin/bash
# --web.config.file on orderd (metrics listener) and mysql-exporter: with a
# bcrypt basic_auth user the metrics need credentials (401 without, 200
# with); the file then names another user and SIGHUP re-reads it: the new
# user works, the old gets 401, the daemon still runs and logged the reload;
# a broken file on SIGHUP is logged and the running users stay; a broken
# file at start-up exits non-zero naming it.  Neither daemon needs a
# reachable database for this (orderd keeps retrying; mysql-exporter
# answers mysql_up 0).  host-exporter and exampled have their own test
# (tests/integration/common/test_webconfig_reload.sh).
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)

bcrypt() { $PY -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$1"; }
users() { printf 'basic_auth_users:\n  %s: '"'"'%s'"'"'\n' "$1" "$(bcrypt "$2")"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
wait_log() {	# FILE TEXT N
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -cF -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

dead=$(free_port)	# nothing listens there: the DB is unreachable
printf '[client]\nuser=nobody\npassword=x\nhost=127.0.0.1\nport=%s\n' "$dead" >"$d/my.cnf"
chmod 600 "$d/my.cnf"

run_case() {	# NAME PORT CMD...
	local name=$1 port=$2 pid log=$d/$1.log url
	shift 2
	url=http://127.0.0.1:$port/metrics
	users alice 'pw of alice' >"$d/web.yml"
	"$@" --web.config.file="$d/web.yml" >"$log" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
	check "$name: listens with a web config" wait_port "$port" 20
	check "$name: no credentials → 401" test "$(code "$url")" = 401
	check "$name: alice → 200" test "$(code -u 'alice:pw of alice' "$url")" = 200
	check "$name: wrong password → 401" test "$(code -u 'alice:nope' "$url")" = 401

	users bob 'pw of bob' >"$d/web.yml"
	kill -HUP "$pid"
	check "$name: logs the reload" wait_log "$log" "web config reloaded" 1
	check "$name: still runs after SIGHUP" kill -0 "$pid"
	check "$name: bob → 200 after reload" test "$(code -u 'bob:pw of bob' "$url")" = 200
	check "$name: alice → 401 after reload" test "$(code -u 'alice:pw of alice' "$url")" = 401

	printf 'basic_auth_users: [unclosed\n' >"$d/web.yml"
	kill -HUP "$pid"
	check "$name: logs a failed reload" wait_log "$log" "web config reload failed" 1
	check "$name: still runs after a bad file" kill -0 "$pid"
	check "$name: bob still → 200" test "$(code -u 'bob:pw of bob' "$url")" = 200

	kill -TERM "$pid"
	wait "$pid"
	check "$name: SIGTERM exits 0" test $? = 0

	"$@" --web.config.file="$d/web.yml" >"$log.bad" 2>&1
	local rc=$?
	check "$name: a broken file at start exits non-zero" test "$rc" -ne 0
	check "$name: ... naming the file" grep -q "web.yml" "$log.bad"
}

po=$(free_port) pm=$(free_port)
run_case orderd "$pm" "$BUILD_DIR/orderd" --web.listen-address="127.0.0.1:$po" \
	--metrics.listen-address="127.0.0.1:$pm" --config.my-cnf="$d/my.cnf"
pe=$(free_port)
run_case mysql-exporter "$pe" "$BUILD_DIR/mysql-exporter" --web.listen-address="127.0.0.1:$pe" \
	--config.my-cnf="$d/my.cnf"
finish
