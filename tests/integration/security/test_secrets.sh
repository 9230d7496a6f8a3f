#!/bin/bash
# Secrets never leak (issue 14, Security).  The database passwords and the
# basic-auth password are unique markers; each daemon runs at debug level
# (orderd in the journal format, mysql-exporter in JSON) and is driven
# through every error path we can provoke: a wrong database password, the
# database down, a bad web config reloaded by SIGHUP (the marker on the bad
# line), a bad my.cnf reloaded by SIGHUP, 401s (no, wrong and right
# credentials), bad API requests.  Then no marker may appear in any output,
# any HTTP response body, /proc/PID/cmdline or /proc/PID/environ.
# (DATA_SOURCE_NAME passwords: tests/integration/mysql/test_dsn.sh checks logs, argv and environ.)
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mkdir "$d/out"
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1

# Markers: shell variables only, never exported (the daemons' environment
# must not get them from us).
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
DBPW=SeCrEtDb$(rnd)
BADPW=SeCrEtWrong$(rnd)
WEBPW=SeCrEtWeb$(rnd)
LINE=SeCrEtLine$(rnd)
MARKERS=("$DBPW" "$BADPW" "$WEBPW" "$LINE")

for a in "'app_user'@'%'" "'app_user'@'localhost'" "'exporter'@'localhost'" "'exporter'@'127.0.0.1'"; do
	mariadb_root -e "ALTER USER $a IDENTIFIED BY '$DBPW'" || exit 1
done
mkcnf() {	# FILE USER PASSWORD [EXTRA LINES]
	local f=$1 u=$2 p=$3
	shift 3
	(umask 077 && printf '[client]\nuser=%s\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
		"$u" "$p" "$MARIADB_PORT" >"$f" && printf '%s\n' "$@" >>"$f")
}
mkcnf "$d/orderd.cnf" app_user "$DBPW" database=orders_db
mkcnf "$d/exporter.cnf" exporter "$DBPW"
hash=$($PY -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$WEBPW")
printf 'basic_auth_users:\n  prom: %s\n' "'$hash'" >"$d/web.yml"
good_web="$(cat "$d/web.yml")"

get() {	# URL [CURL ARGS]: body saved under out/, status printed
	curl -s --max-time 15 -o "$(mktemp "$d/out/body.XXXXXX")" -w '%{http_code}' "${@:2}" "$1"
}
snap_proc() {	# NAME PID: cmdline and environ while it runs
	tr '\0' '\n' <"/proc/$2/cmdline" >"$d/out/$1.cmdline" 2>/dev/null
	tr '\0' '\n' <"/proc/$2/environ" >"$d/out/$1.environ" 2>/dev/null
	check "$1: /proc/PID/cmdline and environ read" test -s "$d/out/$1.cmdline" -a -s "$d/out/$1.environ"
}
wait_grep() {	# FILE REGEX [SECONDS]
	local i
	for ((i = 0; i < ${3:-60} * 10; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
sighup_bad_web() {	# NAME PID LOG: a broken web config (the marker on its bad line), HUP, then back
	printf 'basic_auth_users:\n  prom: %s\n  [broken %s\n' "'$hash'" "$LINE" >"$d/web.yml"
	kill -HUP "$2"
	check "$1: the bad web config reload is logged" wait_grep "$3" 'web.config|web config|reload' 30
	printf '%s\n' "$good_web" >"$d/web.yml"
	kill -HUP "$2"
}
auth_round() {	# NAME URL: 401 without / with wrong / 200 with right credentials
	check "$1: 401 without credentials" test "$(get "$2")" = 401
	check "$1: 401 with a wrong password" test "$(get "$2" -u "prom:$BADPW")" = 401
	check "$1: 401 with the password as user name" test "$(get "$2" -u "$WEBPW:x")" = 401
	check "$1: 200 with the right one" test "$(get "$2" -u "prom:$WEBPW")" = 200
}

# ---- orderd: journal format, debug -------------------------------------
: >"$d/out/orderd.log"
ORDERD_LOG=$d/out/orderd.log
export JOURNAL_STREAM
JOURNAL_STREAM=$(stat -c '%d:%i' "$ORDERD_LOG")
orderd_start --config.my-cnf="$d/orderd.cnf" --log.level=debug --log.requests=all \
	--web.config.file="$d/web.yml" || exit 1
unset JOURNAL_STREAM
check "orderd: ready" wait_http "$ORDERD_URL/health/readiness" 60
snap_proc orderd "$ORDERD_PID"
auth_round orderd "$ORDERD_METRICS_URL/metrics"
get "$ORDERD_URL/api/order/1" >/dev/null
get "$ORDERD_URL/api/order/x%00y" >/dev/null
get "$ORDERD_URL/api/order" -XPOST -H 'Content-Type: application/json' --data-binary "{\"customer_id\":\"$DBPW\"}" >/dev/null
get "$ORDERD_URL/health/readiness" >/dev/null
sighup_bad_web orderd "$ORDERD_PID" "$ORDERD_LOG"
# A wrong password in the my.cnf (and a stray line), reloaded by SIGHUP; the
# pool's next connect uses it.  Then the database down.
cp "$d/orderd.cnf" "$d/orderd.cnf.good"
mkcnf "$d/orderd.cnf" app_user "$BADPW" database=orders_db "$LINE"
kill -HUP "$ORDERD_PID"
mariadb_stop
check "orderd: DB down noticed" wait_grep "$ORDERD_LOG" 'not reachable|unavailable|down' 60
get "$ORDERD_URL/api/order/1" >/dev/null
get "$ORDERD_URL/health/readiness" >/dev/null
mariadb_restart || exit 1
check "orderd: the wrong password is logged as access denied" wait_grep "$ORDERD_LOG" 'Access denied' 60
get "$ORDERD_URL/api/order/1" >/dev/null
cp "$d/orderd.cnf.good" "$d/orderd.cnf"
kill -HUP "$ORDERD_PID"
check "orderd: ready again" wait_http "$ORDERD_URL/health/readiness" 60
check "orderd: wrote its log in the journal format" grep -q '^<[0-7]>' "$ORDERD_LOG"
check "orderd: stops cleanly" orderd_stop

# ---- mysql-exporter: JSON, debug ----------------------------------------
myexp_start --config.my-cnf="$d/exporter.cnf" --log.level=debug --log.format=json \
	--web.config.file="$d/web.yml" || exit 1
snap_proc mysql-exporter "$MYEXP_PID"
auth_round mysql-exporter "$MYEXP_URL/metrics"
sighup_bad_web mysql-exporter "$MYEXP_PID" "$MYEXP_LOG"
mkcnf "$d/exporter.cnf" exporter "$BADPW" "$LINE"
mariadb_root -e "KILL USER exporter" 2>/dev/null
for i in 1 2 3; do get "$MYEXP_URL/metrics" -u "prom:$WEBPW" >/dev/null; done
check "mysql-exporter: the wrong password is logged as access denied" wait_grep "$MYEXP_LOG" 'Access denied' 30
mariadb_stop
get "$MYEXP_URL/metrics" -u "prom:$WEBPW" >/dev/null
get "$MYEXP_URL/probe?target=127.0.0.1:1" -u "prom:$WEBPW" >/dev/null
mkcnf "$d/exporter.cnf" exporter "$DBPW"
kill -HUP "$MYEXP_PID"
get "$MYEXP_URL/metrics" -u "prom:$WEBPW" >/dev/null
cp "$MYEXP_LOG" "$d/out/mysql-exporter.log"
kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
cp "$MYEXP_LOG" "$d/out/mysql-exporter.log"

# ---- host-exporter: the web config part ---------------------------------
port=$(free_port)
"$BUILD_DIR/host-exporter" --web.listen-address="127.0.0.1:$port" --log.level=debug \
	--web.config.file="$d/web.yml" >"$d/out/host-exporter.log" 2>&1 &
hpid=$!
on_exit "kill -9 $hpid"
check "host-exporter: up" wait_port "$port" 30
snap_proc host-exporter "$hpid"
auth_round host-exporter "http://127.0.0.1:$port/metrics"
sighup_bad_web host-exporter "$hpid" "$d/out/host-exporter.log"
kill "$hpid"; wait "$hpid" 2>/dev/null

# ---- the verdict: no marker anywhere ------------------------------------
nb=$(find "$d/out" -name 'body.*' -type f | wc -l)
check "collected outputs: 3 logs, 3 cmdlines, 3 environs, $nb bodies (at least 20)" \
	test "$(find "$d/out" -type f | wc -l)" -ge 29 -a "$nb" -ge 20
for m in "${MARKERS[@]}"; do
	hits=$(grep -rlaF -- "$m" "$d/out")
	check "no ${m:0:11}... in any output (${hits:-none})" test -z "$hits"
done
finish
