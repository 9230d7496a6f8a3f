# shellcheck shell=bash
# The whole prism stack for the end-to-end tests (issue 6).  Source after
# tests/lib/common.sh.
#
#   e2e_require
#       exit 77 (skip) with a message when $BUILD_DIR/orderd, host-exporter
#       or mysql-exporter is not built; exit 1 when a tool is missing.
#   e2e_stack_up DIR [COMPONENTS] [-- RENDER_ARGS...]
#       scripts/run-stack.sh --detach on free ports with its state in
#       DIR/var (MariaDB with schema, grants and seed data, orderd, both
#       exporters; COMPONENTS defaults to all four), stopped at exit.  Then,
#       unless COMPONENTS is given, prism's own Prometheus and Alertmanager
#       from render-local.sh (rendered with RENDER_ARGS, e.g. test-only
#       thresholds) and the webhook listener, scraping every 2 s and
#       evaluating every second.
#       Exports ORDERD_URL (API), the PRISM_PORT_* variables, PROM_URL,
#       AM_URL, WEBHOOK_OUT.
#   e2e_load SECONDS [PATH|mixed] [CONNECTIONS]
#       wrk against orderd: the mixed seed-003 workload (80% GET of seed
#       ids, 20% POST) or a fixed PATH; prints wrk's summary.

declare -F on_exit >/dev/null || . "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/alertmanager.sh"

e2e_require() {
	local b
	for b in orderd host-exporter mysql-exporter; do
		if [ ! -x "$BUILD_DIR/$b" ]; then
			echo "SKIP: $BUILD_DIR/$b is not built (make BUILD=... $BUILD_DIR/$b)"
			exit 77
		fi
	done
	for b in prometheus promtool wrk curl mariadb-install-db; do
		command -v "$b" >/dev/null || { echo "$b is missing (make deps)"; exit 1; }
	done
	[ -x "$SRC_DIR/scripts/run-stack.sh" ] || { echo "scripts/run-stack.sh is missing"; exit 1; }
}

e2e_stack_up() {
	local dir=$1 only="mariadb orderd host-exporter mysql-exporter" own=1
	shift
	if [ $# -gt 0 ] && [ "$1" != -- ]; then only=$1; own=0; shift; fi
	[ "${1:-}" = -- ] && shift
	mkdir -p "$dir"
	export PRISM_VAR_DIR=$dir/var
	PRISM_PORT_MARIADB=$(free_port) PRISM_PORT_ORDERD=$(free_port)
	PRISM_PORT_ORDERD_METRICS=$(free_port) PRISM_PORT_HOST_EXPORTER=$(free_port)
	PRISM_PORT_MYSQL_EXPORTER=$(free_port) PRISM_PORT_PROMETHEUS=$(free_port)
	PRISM_PORT_ALERTMANAGER=$(free_port)
	export PRISM_PORT_MARIADB PRISM_PORT_ORDERD PRISM_PORT_ORDERD_METRICS PRISM_PORT_HOST_EXPORTER \
		PRISM_PORT_MYSQL_EXPORTER PRISM_PORT_PROMETHEUS PRISM_PORT_ALERTMANAGER
	export PRISM_STACK_ONLY=$only
	ORDERD_URL=http://127.0.0.1:$PRISM_PORT_ORDERD
	export ORDERD_URL
	on_exit "'$SRC_DIR/scripts/run-stack.sh' --stop >>'$dir/stack.log' 2>&1"
	if ! "$SRC_DIR/scripts/run-stack.sh" --detach >"$dir/stack.log" 2>&1; then
		echo "run-stack.sh --detach failed:"
		cat "$dir/stack.log"
		return 1
	fi
	if [[ " $only " == *" orderd "* ]] && ! wait_http "$ORDERD_URL/health/readiness" 60; then
		echo "orderd not ready; its log:"
		tail -20 "$PRISM_VAR_DIR/log/orderd.log"
		return 1
	fi
	[ "$own" = 1 ] || return 0

	webhook_start "$dir/hook" || return 1
	export PRISM_PORT_WEBHOOK=$WEBHOOK_PORT
	PRISM_SCRAPE_INTERVAL=2s PRISM_EVALUATION_INTERVAL=1s \
		"$SRC_DIR/prometheus-rules/render-local.sh" "$dir/cfg" "$@" || return 1
	am_start "$dir/am" "$dir/cfg/alertmanager.yml" "$PRISM_PORT_ALERTMANAGER" || return 1
	prom_start "$dir/prom" "$dir/cfg/prometheus.yml" "$PRISM_PORT_PROMETHEUS" || return 1
}

e2e_load() {
	local secs=$1 what=${2:-mixed} conns=${3:-8}
	if [ "$what" = mixed ]; then
		wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s -s "$SRC_DIR/loadgen/wrk-mixed.lua" "$ORDERD_URL" 2>&1
	else
		wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s "$ORDERD_URL$what" 2>&1
	fi
}
