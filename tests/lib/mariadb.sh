# Real MariaDB instances for prism's tests, benchmarks and `make run`.
# Source it after (or instead of) tests/lib/common.sh:
#     . "$SRC_DIR/tests/lib/mariadb.sh"
#
# Every function acts on the instance described by the MARIADB_* variables,
# so a script may run several instances at once by saving and restoring them
# (or by using subshells); each instance has its own directory and port.
#
#   mariadb_start DIR
#       Create DIR/data with mariadb-install-db if it does not exist yet (no
#       option files are read: --no-defaults), then start mariadbd in the
#       background on 127.0.0.1:$MARIADB_PORT (a free port when unset) with
#       its socket at DIR/mysqld.sock, performance_schema on, a 128M buffer
#       pool and MariaDB's default durability (innodb_flush_log_at_trx_commit
#       left at 1).  Waits (bounded, MARIADB_START_TIMEOUT, default 60 s)
#       until `mariadb-admin ping` answers; on failure prints DIR/error.log
#       and returns 1.  Exports MARIADB_DIR MARIADB_SOCKET MARIADB_PORT
#       MARIADB_PID.  The server is stopped at exit (on_exit) unless
#       MARIADB_KEEP=1.  Extra server options: MARIADB_EXTRA_ARGS (words).
#       With MARIADB_TLS=1 (optional; default off, nothing changes then):
#       openssl makes DIR/tls/ once -- ca.pem (a test CA), server-cert.pem
#       and server-key.pem (for 127.0.0.1 and localhost, signed by ca.pem),
#       other-ca.pem (an unrelated CA) -- and the server runs with them and
#       require_secure_transport=ON (TCP clients must use TLS; the socket
#       counts as secure, so mariadb_root still works).  Exports
#       MARIADB_TLS_DIR.
#   mariadb_root [ARGS...]
#       The mariadb client as root over the socket, utf8mb4 (batch mode when
#       stdin is not a terminal), e.g. `mariadb_root -N -e 'SELECT 1'`.
#   mariadb_load [--no-seed]
#       Load db/schema.sql or apply db/migrations/ (db/migrate.sh), load
#       db/grants.sql with generated test passwords and (unless --no-seed)
#       db/seed.sql.  Writes, mode 0600:
#         $MARIADB_DIR/orderd.cnf    [client] user=app_user password host port database
#         $MARIADB_DIR/exporter.cnf  [client] user=exporter password host port
#       and exports MARIADB_APP_PASSWORD MARIADB_EXPORTER_PASSWORD.  The
#       passwords are kept in $MARIADB_DIR/passwords and reused, so loading
#       again (or after a restart) keeps the .cnf files valid.  Safe to run
#       on an already loaded database: existing rows are kept and the seed
#       is only inserted into an empty customer table.
#   mariadb_stop
#       SIGTERM and wait (bounded, 60 s, then SIGKILL) for a clean shutdown.
#   mariadb_kill
#       SIGKILL: a crash, for recovery tests.
#   mariadb_restart
#       Start again on the same DIR and port (after mariadb_stop or
#       mariadb_kill, or stopping it first if it still runs) and wait until
#       it answers.
#   mariadb_alive
#       True while the server process exists.
#
# Needs: mariadb-install-db, mariadbd, mariadb, mariadb-admin (Debian's
# mariadb-server and mariadb-client).  mariadb_start ends the test when one
# is missing: a skip (exit 77) under PRISM_OFFLINE=1 (the package build),
# a failure otherwise (tests/lib/need.sh).

# common.sh resets the on_exit list when sourced, so source it only once.
# shellcheck source=common.sh
declare -F on_exit >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MARIADBD=${MARIADBD:-$(command -v mariadbd || echo /usr/sbin/mariadbd)}
# shellcheck source=need.sh
. "$(dirname "${BASH_SOURCE[0]}")/need.sh"

# _mariadb_pid_running PID [DIR]: true while PID exists and is not a zombie
# (a server we started is our child: until it is reaped, kill -0 succeeds),
# and, with DIR, is the mariadbd of DIR: pids are recycled (pid_max may be
# 32768), and a pid remembered for an on_exit must never hit another
# test's server.
_mariadb_pid_running() {
	local pid=$1 dir=${2:-} state
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	if [ "$state" = Z ]; then
		wait "$pid" 2>/dev/null
		return 1
	fi
	if [ -n "$dir" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--datadir=$dir/data" || return 1
	fi
	return 0
}

mariadb_alive() { _mariadb_pid_running "${MARIADB_PID:-}" "${MARIADB_DIR:-}"; }

# _mariadb_stop_pid PID DIR [SECONDS]: TERM, wait, then KILL, if PID is
# still DIR's server.  on_exit gets it with both baked in, so every
# instance of a script is stopped, and only those.
_mariadb_stop_pid() {
	local pid=$1 dir=$2 t=${3:-60} i
	_mariadb_pid_running "$pid" "$dir" || return 0
	kill -TERM "$pid" 2>/dev/null
	# From here on wait on the pid alone: an exiting process loses its
	# cmdline before it is gone, while it still holds the datadir's locks.
	for ((i = 0; i < t * 10; i++)); do
		_mariadb_pid_running "$pid" || return 0
		sleep 0.1
	done
	echo "mariadb: pid $pid did not stop in ${t}s, killing it" >&2
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		_mariadb_pid_running "$pid" || return 0
		sleep 0.1
	done
	return 1
}

_mariadb_install() {
	local dir=$1
	local -a runas=()
	[ "$(id -u)" -eq 0 ] && runas=(--user=root)
	# The harness is not what is tested: an install that fails is shown
	# (its error lines, not only mariadb-install-db's boilerplate tail) and
	# tried once more from scratch before the test is failed.
	local try
	for try in 1 2; do
		rm -rf "$dir/data.new"
		# Its own tmpdir: the bootstrap's temporary tables must not meet
		# another server's in the shared /tmp ("Could not remove temporary
		# table '/tmp/#sql-temptable-...'" with several servers at once).
		mkdir -p "$dir/tmp"
		mariadb-install-db --no-defaults --datadir="$dir/data.new" --tmpdir="$dir/tmp" \
			--auth-root-authentication-method=socket --skip-test-db \
			"${runas[@]}" >"$dir/install.log" 2>&1 && break
		echo "mariadb: mariadb-install-db failed (try $try of 2):" >&2
		grep -iE '\[error\]|error|abort|signal|killed|denied|no space' "$dir/install.log" | head -n 20 >&2
		cp "$dir/install.log" "$dir/install-failed-$try.log"
		[ "$try" = 2 ] && { tail -n 30 "$dir/install.log" >&2; rm -rf "$dir/data.new"; return 1; }
	done
	# Only a complete datadir gets the final name: an interrupted install
	# is redone next time instead of leaving a half-built one behind.
	mv "$dir/data.new" "$dir/data"
}

# _mariadb_tls_files DIR: the test PKI of MARIADB_TLS=1 in DIR/tls (once).
_mariadb_tls_files() {
	local t=$1/tls
	[ -s "$t/server-cert.pem" ] && [ -s "$t/other-ca.pem" ] && return 0
	need openssl
	rm -rf "$t.new" && mkdir -p "$t.new" || return 1
	(
		cd "$t.new" || exit 1
		umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=prism test CA' \
			-keyout ca-key.pem -out ca.pem &&
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=unrelated CA' \
				-keyout other-ca-key.pem -out other-ca.pem &&
			openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' \
				-keyout server-key.pem -out server.csr &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem \
				-CAcreateserial -days 2 -extfile san.ext -out server-cert.pem &&
			chmod 0644 ca.pem other-ca.pem server-cert.pem
	) >"$1/tls.log" 2>&1 || { echo "mariadb: openssl failed:" >&2; cat "$1/tls.log" >&2; return 1; }
	mv "$t.new" "$t"
}

# _mariadb_launch: start mariadbd for MARIADB_DIR/MARIADB_PORT, wait ready.
_mariadb_launch() {
	local dir=$MARIADB_DIR t=${MARIADB_START_TIMEOUT:-60} i
	local -a runas=() extra=()
	[ "$(id -u)" -eq 0 ] && runas=(--user=root)
	mkdir -p "$dir/tmp" || return 1
	# shellcheck disable=SC2206
	[ -n "${MARIADB_EXTRA_ARGS:-}" ] && extra=($MARIADB_EXTRA_ARGS)
	if [ "${MARIADB_TLS:-0}" = 1 ]; then
		_mariadb_tls_files "$dir" || return 1
		MARIADB_TLS_DIR=$dir/tls
		export MARIADB_TLS_DIR
		extra+=(--ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server-cert.pem"
			--ssl-key="$dir/tls/server-key.pem" --require-secure-transport=ON)
	fi
	: >"$dir/error.log"
	# The character set is Debian's (mariadb.conf.d/50-server.cnf), so the
	# tests see what a packaged server does; the rest is MariaDB's default.
	"$MARIADBD" --no-defaults \
		--datadir="$dir/data" \
		--tmpdir="$dir/tmp" \
		--socket="$MARIADB_SOCKET" \
		--port="$MARIADB_PORT" \
		--bind-address=127.0.0.1 \
		--pid-file="$dir/mysqld.pid" \
		--log-error="$dir/error.log" \
		"${runas[@]}" \
		--character-set-server=utf8mb4 \
		--collation-server=utf8mb4_general_ci \
		--innodb-buffer-pool-size=128M \
		--performance-schema=ON \
		--performance-schema-consumer-events-statements-current=ON \
		--performance-schema-consumer-events-statements-history=ON \
		"${extra[@]}" \
		</dev/null >>"$dir/mariadbd.out" 2>&1 &
	MARIADB_PID=$!
	export MARIADB_PID
	# No "Killed" job notice from bash when a test crashes it on purpose;
	# a disowned child that exits stays a zombie until we exit, which
	# _mariadb_pid_running counts as gone.
	disown "$MARIADB_PID" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		if mariadb-admin --no-defaults -uroot -S "$MARIADB_SOCKET" \
			--connect-timeout=2 ping >/dev/null 2>&1; then
			return 0
		fi
		# (no DIR check: the child may not have exec'd mariadbd yet)
		if ! _mariadb_pid_running "$MARIADB_PID"; then
			echo "mariadb: mariadbd exited during startup; $dir/error.log:" >&2
			tail -n 40 "$dir/error.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "mariadb: not ready after ${t}s; $dir/error.log:" >&2
	tail -n 40 "$dir/error.log" >&2
	_mariadb_stop_pid "$MARIADB_PID" "$dir" 10
	return 1
}

mariadb_start() {
	local dir=${1:?mariadb_start DIR}
	need "$MARIADBD" mariadb-install-db mariadb mariadb-admin
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	MARIADB_DIR=$dir
	MARIADB_SOCKET=$dir/mysqld.sock
	# unix(7): sun_path holds 108 bytes including the terminating NUL.
	if [ "${#MARIADB_SOCKET}" -gt 107 ]; then
		echo "mariadb: socket path too long: $MARIADB_SOCKET" >&2
		return 1
	fi
	: "${MARIADB_PORT:=$(free_port)}"
	export MARIADB_DIR MARIADB_SOCKET MARIADB_PORT
	if [ -f "$dir/mysqld.pid" ] && _mariadb_pid_running "$(cat "$dir/mysqld.pid")" "$dir"; then
		echo "mariadb: a server already runs on $dir (pid $(cat "$dir/mysqld.pid"))" >&2
		return 1
	fi
	[ -d "$dir/data" ] || _mariadb_install "$dir" || return 1
	_mariadb_launch || return 1
	if [ "${MARIADB_KEEP:-0}" != 1 ]; then
		on_exit "_mariadb_stop_pid $MARIADB_PID '$MARIADB_DIR' 30"
	fi
	return 0
}

# shellcheck disable=SC2120 # callers elsewhere pass arguments
mariadb_root() {
	# utf8mb4 whatever the locale (the client follows LANG: C means latin1).
	mariadb --no-defaults --default-character-set=utf8mb4 -uroot \
		-S "$MARIADB_SOCKET" "$@"
}

mariadb_stop() {
	_mariadb_stop_pid "${MARIADB_PID:-}" "$MARIADB_DIR" 60
}

mariadb_kill() {
	local pid=${MARIADB_PID:-} i
	_mariadb_pid_running "$pid" "$MARIADB_DIR" || return 0
	kill -KILL "$pid" 2>/dev/null
	# Wait on the pid alone: a dying process loses its cmdline (so the
	# datadir check above would call it gone) before it becomes a zombie.
	for ((i = 0; i < 100; i++)); do
		_mariadb_pid_running "$pid" || return 0
		sleep 0.1
	done
	return 1
}

mariadb_restart() {
	local old=${MARIADB_PID:-}
	_mariadb_stop_pid "$old" "$MARIADB_DIR" 60 || return 1
	# The port was ours a moment ago; TIME_WAIT does not block a listener
	# (mariadbd sets SO_REUSEADDR), so the same port comes back.
	_mariadb_launch || return 1
	if [ "${MARIADB_KEEP:-0}" != 1 ]; then
		on_exit "_mariadb_stop_pid $MARIADB_PID '$MARIADB_DIR' 30"
	fi
	return 0
}

_mariadb_password_new() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# _mariadb_write_cnf FILE USER PASSWORD [DATABASE]
_mariadb_write_cnf() {
	local file=$1 user=$2 pw=$3 db=${4:-}
	(
		umask 077
		{
			echo "# written by tests/lib/mariadb.sh for the server in $MARIADB_DIR"
			echo "[client]"
			echo "user=$user"
			echo "password=$pw"
			echo "host=127.0.0.1"
			echo "port=$MARIADB_PORT"
			if [ -n "$db" ]; then echo "database=$db"; fi
		} >"$file.tmp"
	) && chmod 0600 "$file.tmp" && mv "$file.tmp" "$file"
}

mariadb_load() {
	local seed=1 src=${SRC_DIR:?} pwfile
	[ "${1:-}" = --no-seed ] && seed=0
	pwfile=$MARIADB_DIR/passwords
	if [ ! -s "$pwfile" ]; then
		(
			umask 077
			echo "MARIADB_APP_PASSWORD=$(_mariadb_password_new)"
			echo "MARIADB_EXPORTER_PASSWORD=$(_mariadb_password_new)"
		) >"$pwfile" || return 1
	fi
	# shellcheck disable=SC1090
	. "$pwfile"
	export MARIADB_APP_PASSWORD MARIADB_EXPORTER_PASSWORD
	# migrate.sh loads schema.sql into an empty server, and applies what
	# is missing to an existing database.
	MIGRATE_MARIADB="mariadb --no-defaults --default-character-set=utf8mb4 -uroot -S $MARIADB_SOCKET" \
		"$src/db/migrate.sh" >/dev/null || { echo "mariadb: db/migrate.sh failed" >&2; return 1; }
	{
		printf "SET @app_password = '%s', @exporter_password = '%s';\n" \
			"$MARIADB_APP_PASSWORD" "$MARIADB_EXPORTER_PASSWORD"
		cat "$src/db/grants.sql"
	} | mariadb_root || { echo "mariadb: db/grants.sql failed" >&2; return 1; }
	if [ "$seed" = 1 ]; then
		mariadb_root <"$src/db/seed.sql" || { echo "mariadb: db/seed.sql failed" >&2; return 1; }
	fi
	_mariadb_write_cnf "$MARIADB_DIR/orderd.cnf" app_user "$MARIADB_APP_PASSWORD" orders_db &&
		_mariadb_write_cnf "$MARIADB_DIR/exporter.cnf" exporter "$MARIADB_EXPORTER_PASSWORD"
}
