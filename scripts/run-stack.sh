#!/bin/bash
# scripts/run-stack.sh: the whole prism stack on loopback, on prism's own
# ports (nothing clashes with the services Debian's packages start).  `make
# run` calls it.
#
#   scripts/run-stack.sh            start, print the URLs, stay in the
#                                   foreground; Ctrl-C / SIGTERM stops all
#   scripts/run-stack.sh --detach   start, print the URLs, return (pid files
#                                   in $PRISM_VAR_DIR/run)
#   scripts/run-stack.sh --stop     stop a detached stack
#   scripts/run-stack.sh --status   what runs
#
# Components, each started only when it exists, in this order:
#   mariadb         MariaDB in $PRISM_VAR_DIR/mariadb (datadir kept across
#                   runs); the first run loads schema, grants and seed data,
#                   later runs apply new migrations (db/migrate.sh)    :13306
#   orderd          $BUILD_DIR/orderd, API :15000, metrics :18000
#   host-exporter   $BUILD_DIR/host-exporter                           :19100
#   mysql-exporter  $BUILD_DIR/mysql-exporter                          :19104
#   prometheus      rules and config rendered by prometheus-rules/render-local.sh
#                   with the ports in use, 30 days retention            :19090
#   alertmanager    likewise rendered                                  :19093
#   webhook         Alertmanager's receiver, alerts -> var/log/alerts.jsonl :19095
# If one fails to start, the script says which, shows its log tail, stops
# the others and exits 1.
#
# Environment (all optional):
#   PRISM_VAR_DIR               state directory (default ./var of the repo)
#   PRISM_PORT_MARIADB PRISM_PORT_ORDERD PRISM_PORT_ORDERD_METRICS
#   PRISM_PORT_HOST_EXPORTER PRISM_PORT_MYSQL_EXPORTER PRISM_PORT_PROMETHEUS
#   PRISM_PORT_ALERTMANAGER PRISM_PORT_WEBHOOK
#                               port overrides, so a test can run a second
#                               stack while a human's `make run` is up;
#                               Prometheus's config is rendered with them
#   PRISM_STACK_ONLY            space-separated component names to start
#                               (default: all that exist)
#   BUILD_DIR, SRC_DIR          as `make` sets them
# Exit status: 0 ok, 1 a component failed or something is in the way,
# 2 bad usage.
set -u

SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
export SRC_DIR BUILD_DIR
VAR=${PRISM_VAR_DIR:-$SRC_DIR/var}

mode=foreground
case $# in
0) ;;
1) case $1 in
	--detach) mode=detach ;;
	--stop) mode=stop ;;
	--status) mode=status ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--detach|--stop|--status]" >&2; exit 2 ;;
	esac ;;
*) echo "usage: $0 [--detach|--stop|--status]" >&2; exit 2 ;;
esac

P_MARIADB=${PRISM_PORT_MARIADB:-13306}
P_ORDERD=${PRISM_PORT_ORDERD:-15000}
P_ORDERD_METRICS=${PRISM_PORT_ORDERD_METRICS:-18000}
P_HOST=${PRISM_PORT_HOST_EXPORTER:-19100}
P_MYSQL=${PRISM_PORT_MYSQL_EXPORTER:-19104}
P_PROM=${PRISM_PORT_PROMETHEUS:-19090}
P_AM=${PRISM_PORT_ALERTMANAGER:-19093}
P_WEBHOOK=${PRISM_PORT_WEBHOOK:-19095}
for p in "$P_MARIADB" "$P_ORDERD" "$P_ORDERD_METRICS" "$P_HOST" "$P_MYSQL" "$P_PROM" "$P_AM" "$P_WEBHOOK"; do
	if ! [[ "$p" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$p" -gt 65535 ]; then
		echo "run-stack: bad port '$p' in a PRISM_PORT_* variable" >&2
		exit 2
	fi
done

RUN=$VAR/run
LOG=$VAR/log
PROM_CONFIG=$SRC_DIR/prometheus-rules/local/prometheus.yml
AM_CONFIG=$SRC_DIR/prometheus-rules/local/alertmanager.yml
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || echo /usr/bin/prometheus)}
ALERTMANAGER=${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || echo /usr/bin/prometheus-alertmanager)}
# Stop order is the reverse of this.
ALL="mariadb orderd host-exporter mysql-exporter webhook prometheus alertmanager"

say() { echo "run-stack: $*"; }

# ---- pid files: "PID EXE" so --stop never signals a recycled pid.
# pid_write NAME PID PROGRAM: EXE is PROGRAM's resolved path, what
# /proc/PID/exe shows once the child has exec'd it (not yet at fork time).
pid_write() { echo "$2 $(readlink -f "$3")" >"$RUN/$1.pid"; }
# pid_get NAME: the pid if the process recorded for NAME still runs.
pid_get() {
	local f=$RUN/$1.pid pid exe state
	[ -f "$f" ] || return 1
	read -r pid exe <"$f" || return 1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
	[ "$state" != Z ] || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] || return 1
	echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# proc_start PID: the process's start time (field 22 of /proc/PID/stat),
# empty once it is gone or a zombie. Waiting on this, not on pid_get:
# an exiting process loses its /proc/PID/exe link (its memory is being
# torn down, which takes a while for a big ASan process) before it is
# gone, and "stopped" must mean gone.
proc_start() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	[ "$1" != Z ] || return 1
	echo "${20}"
}

stop_one() {
	local name=$1 pid i t=15 start
	[ "$name" = mariadb ] && t=60
	pid=$(pid_get "$name") || { rm -f "$RUN/$name.pid"; return 0; }
	start=$(proc_start "$pid")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do
		[ "$(proc_start "$pid")" = "$start" ] || { rm -f "$RUN/$name.pid"; say "stopped $name"; return 0; }
		sleep 0.1
	done
	say "$name (pid $pid) did not stop in ${t}s: killing it"
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
	rm -f "$RUN/$name.pid"
}

stop_all() {
	local n names=()
	for n in $ALL; do names=("$n" "${names[@]}"); done
	for n in "${names[@]}"; do stop_one "$n"; done
}

if [ "$mode" = stop ]; then
	[ -d "$RUN" ] || { say "nothing runs from $VAR"; exit 0; }
	stop_all
	exit 0
fi
if [ "$mode" = status ]; then
	rc=1
	for n in $ALL; do
		if pid=$(pid_get "$n"); then echo "$n: running (pid $pid)"; rc=0; else echo "$n: not running"; fi
	done
	exit $rc
fi

# ---- start
# The MariaDB harness of the tests (same server options); it brings
# common.sh, whose INT/TERM traps are replaced here: a Ctrl-C while starting
# stops what already runs.
# shellcheck source=../tests/lib/mariadb.sh
. "$SRC_DIR/tests/lib/mariadb.sh"
trap 'echo; stop_all; exit 130' INT TERM
mkdir -p "$RUN" "$LOG" || exit 1
for n in $ALL; do
	if pid=$(pid_get "$n"); then
		say "$n already runs from $VAR (pid $pid): stop it with $0 --stop"
		exit 1
	fi
done

wanted() { [ -z "${PRISM_STACK_ONLY:-}" ] || [[ " $PRISM_STACK_ONLY " == *" $1 "* ]]; }

started=()
fail_start() {
	local name=$1 why=$2
	say "FAILED: $name $why"
	if [ -f "$LOG/$name.log" ]; then
		echo "---- last lines of $LOG/$name.log"
		tail -n 25 "$LOG/$name.log"
		echo "----"
	fi
	stop_all
	exit 1
}

# launch NAME PORTS CMD...: start CMD in its own session (so a terminal's
# Ctrl-C reaches only this script, which stops everything in order), log to
# $LOG/NAME.log, wait (bounded) until every port in PORTS listens.
launch() {
	local name=$1 ports=$2 pid i p ok exe
	shift 2
	for p in $ports; do
		port_busy "$p" && fail_start "$name" "cannot start: 127.0.0.1:$p is already in use (override it with a PRISM_PORT_* variable)"
	done
	echo "==== $(date -u +%FT%TZ) $*" >>"$LOG/$name.log"
	setsid "$@" </dev/null >>"$LOG/$name.log" 2>&1 &
	pid=$!
	disown "$pid" 2>/dev/null
	# Record it once the child has exec'd the program (before that,
	# /proc/PID/exe is bash or setsid).
	exe=$(readlink -f "$1")
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && break
		[ -d "/proc/$pid" ] || break
		sleep 0.05
	done
	pid_write "$name" "$pid" "$1"
	started+=("$name")
	for ((i = 0; i < 300; i++)); do
		pid_get "$name" >/dev/null || fail_start "$name" "exited during startup"
		ok=1
		for p in $ports; do port_busy "$p" || { ok=0; break; }; done
		[ "$ok" = 1 ] && return 0
		sleep 0.1
	done
	fail_start "$name" "did not listen on $ports within 30s"
}

# MariaDB kept across runs (MARIADB_KEEP=1: the harness does not stop it at
# exit; this script does, through its pid file).  mariadbd ignores SIGINT,
# so a terminal's Ctrl-C does not hit it before orderd is stopped.
if wanted mariadb; then
	port_busy "$P_MARIADB" && fail_start mariadb "cannot start: 127.0.0.1:$P_MARIADB is already in use (override it with PRISM_PORT_MARIADB)"
	export MARIADB_KEEP=1 MARIADB_PORT=$P_MARIADB
	first=0
	[ -d "$VAR/mariadb/data" ] || first=1
	mariadb_start "$VAR/mariadb" >>"$LOG/mariadb.log" 2>&1 ||
		fail_start mariadb "did not start (see also $VAR/mariadb/error.log)"
	pid_write mariadb "$MARIADB_PID" "$MARIADBD"
	started+=(mariadb)
	if [ "$first" = 1 ]; then
		say "new database in $VAR/mariadb: loading schema, grants and seed data"
	fi
	mariadb_load >>"$LOG/mariadb.log" 2>&1 || fail_start mariadb "schema/grants/seed/migrations failed"
	(umask 077 && cp "$VAR/mariadb/orderd.cnf" "$VAR/orderd.cnf" && cp "$VAR/mariadb/exporter.cnf" "$VAR/exporter.cnf") || exit 1
fi

if wanted orderd && [ -x "$BUILD_DIR/orderd" ]; then
	launch orderd "$P_ORDERD $P_ORDERD_METRICS" "$BUILD_DIR/orderd" \
		--web.listen-address="127.0.0.1:$P_ORDERD" \
		--metrics.listen-address="127.0.0.1:$P_ORDERD_METRICS" \
		--config.my-cnf="$VAR/orderd.cnf" \
		--web.enable-drill-endpoints
fi
if wanted host-exporter && [ -x "$BUILD_DIR/host-exporter" ]; then
	launch host-exporter "$P_HOST" "$BUILD_DIR/host-exporter" \
		--web.listen-address="127.0.0.1:$P_HOST"
fi
if wanted mysql-exporter && [ -x "$BUILD_DIR/mysql-exporter" ]; then
	launch mysql-exporter "$P_MYSQL" "$BUILD_DIR/mysql-exporter" \
		--web.listen-address="127.0.0.1:$P_MYSQL" \
		--config.my-cnf="$VAR/exporter.cnf"
fi

# Prometheus and Alertmanager configs are rendered from the monitor role's
# templates with the ports in use (prometheus-rules/render-local.sh, which
# also checks them with promtool and amtool); Alertmanager's receiver is a
# local webhook listener whose alerts land in $LOG/alerts.jsonl.
prom_config=$VAR/prometheus-config/prometheus.yml
am_config=$VAR/prometheus-config/alertmanager.yml
if { wanted prometheus || wanted alertmanager; } && [ -x "$SRC_DIR/prometheus-rules/render-local.sh" ]; then
	PRISM_PORT_ORDERD_METRICS=$P_ORDERD_METRICS PRISM_PORT_HOST_EXPORTER=$P_HOST \
	PRISM_PORT_MYSQL_EXPORTER=$P_MYSQL PRISM_PORT_PROMETHEUS=$P_PROM \
	PRISM_PORT_ALERTMANAGER=$P_AM PRISM_PORT_WEBHOOK=$P_WEBHOOK \
		"$SRC_DIR/prometheus-rules/render-local.sh" "$VAR/prometheus-config" \
		>>"$LOG/prometheus.log" 2>&1 ||
		fail_start prometheus "prometheus-rules/render-local.sh failed"
fi
if wanted webhook && [ -f "$am_config" ]; then
	launch webhook "$P_WEBHOOK" /usr/bin/python3 "$SRC_DIR/prometheus-rules/webhook-listener.py" \
		--host 127.0.0.1 --port "$P_WEBHOOK" --out "$LOG/alerts.jsonl"
fi
if wanted prometheus && [ -f "$prom_config" ] && [ -x "$PROMETHEUS" ]; then
	mkdir -p "$VAR/prometheus"
	launch prometheus "$P_PROM" "$PROMETHEUS" \
		--config.file="$prom_config" \
		--storage.tsdb.path="$VAR/prometheus" \
		--storage.tsdb.retention.time=30d \
		--web.listen-address="127.0.0.1:$P_PROM" \
		--web.external-url="http://127.0.0.1:$P_PROM" \
		--web.console.templates="$SRC_DIR/prometheus-rules/consoles" \
		--web.enable-lifecycle
fi
if wanted alertmanager && [ -f "$am_config" ] && [ -x "$ALERTMANAGER" ]; then
	mkdir -p "$VAR/alertmanager"
	launch alertmanager "$P_AM" "$ALERTMANAGER" \
		--config.file="$am_config" \
		--storage.path="$VAR/alertmanager" \
		--web.listen-address="127.0.0.1:$P_AM" \
		--cluster.listen-address=
fi

say "started: ${started[*]:-nothing}"
for n in $ALL; do
	pid_get "$n" >/dev/null || continue
	case $n in
	mariadb) echo "  MariaDB         127.0.0.1:$P_MARIADB   mariadb --defaults-file=$VAR/orderd.cnf (app_user)"
		echo "                  root: mariadb -uroot -S $VAR/mariadb/mysqld.sock" ;;
	orderd) echo "  orderd API      http://127.0.0.1:$P_ORDERD/api/order/1   http://127.0.0.1:$P_ORDERD/health"
		echo "  orderd metrics  http://127.0.0.1:$P_ORDERD_METRICS/metrics" ;;
	host-exporter) echo "  host-exporter   http://127.0.0.1:$P_HOST/metrics" ;;
	mysql-exporter) echo "  mysql-exporter  http://127.0.0.1:$P_MYSQL/metrics" ;;
	prometheus) echo "  Prometheus      http://127.0.0.1:$P_PROM/" ;;
	alertmanager) echo "  Alertmanager    http://127.0.0.1:$P_AM/" ;;
	webhook) echo "  alert webhook   http://127.0.0.1:$P_WEBHOOK/ (alerts in $LOG/alerts.jsonl)" ;;
	esac
done
for n in orderd host-exporter mysql-exporter; do
	[ -x "$BUILD_DIR/$n" ] || echo "  ($n: not built: $BUILD_DIR/$n)"
done
[ -f "$PROM_CONFIG" ] || echo "  (prometheus: no $PROM_CONFIG yet)"
[ -f "$AM_CONFIG" ] || echo "  (alertmanager: no $AM_CONFIG yet)"
echo "  logs: $LOG/"

if [ "$mode" = detach ]; then
	say "detached; stop with: $0 --stop"
	exit 0
fi

# Foreground: stop everything on Ctrl-C / SIGTERM / exit; report a
# component that dies meanwhile (once) and keep the others up.
trap 'echo; stop_all; exit 0' INT TERM
trap 'stop_all; _run_on_exit' EXIT
say "running; Ctrl-C stops everything"
declare -A reported=()
while :; do
	sleep 1 &
	wait $! 2>/dev/null
	for n in "${started[@]}"; do
		if [ -z "${reported[$n]:-}" ] && ! pid_get "$n" >/dev/null; then
			reported[$n]=1
			say "WARNING: $n exited; last lines of $LOG/$n.log:"
			tail -n 15 "$LOG/$n.log"
			[ "$n" = mariadb ] && tail -n 15 "$VAR/mariadb/error.log"
		fi
	done
done
