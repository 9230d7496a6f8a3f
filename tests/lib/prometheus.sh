# A real Prometheus (Debian's /usr/bin/prometheus, 2.42) for prism's tests.
# Source it after tests/lib/common.sh:
#     . "$SRC_DIR/tests/lib/common.sh"; . "$SRC_DIR/tests/lib/prometheus.sh"
#
# One instance per shell (the PROM_* variables describe it); it listens on
# 127.0.0.1 only, on a free port, with its TSDB in a directory of the test's
# own, and nothing else (no other port is opened by Prometheus 2.42).
#
#   prom_config FILE INTERVAL JOB=TARGET[/PATH] ...
#       Write a minimal prometheus.yml to FILE: global scrape_interval and
#       scrape_timeout (= INTERVAL, e.g. 1s), one scrape job per argument,
#       TARGET is host:port, PATH defaults to /metrics.
#       e.g. prom_config "$d/p.yml" 1s text=127.0.0.1:9101 om=127.0.0.1:9102/metrics
#   prom_start DIR CONFIG [EXTRA_ARGS...]
#       Start Prometheus with --config.file=CONFIG, --storage.tsdb.path=DIR/data,
#       --web.listen-address=127.0.0.1:PORT (PROM_PORT, or a free port) and
#       its log in DIR/prometheus.log; wait (PROM_START_TIMEOUT, default 30 s)
#       for /-/ready.  Exports PROM_PORT PROM_PID PROM_URL.  Stopped at exit
#       (on_exit).  On failure prints the log's tail and returns 1.
#   prom_stop
#       SIGTERM and wait (bounded, 20 s, then SIGKILL).
#   prom_api PATH
#       GET $PROM_URL/api/v1/PATH and print the JSON body.
#   prom_targets
#       The JSON of /api/v1/targets (active targets).
#   prom_target_field JOB FIELD
#       A field of JOB's first active target: health, lastError,
#       lastScrape, scrapeUrl, ...  (prints "" when absent).
#   prom_query EXPR
#       The JSON of an instant query (/api/v1/query, URL-encoded).
#   prom_query_value EXPR
#       The value of the first sample of an instant query, or "" if empty.
#   prom_query_count EXPR
#       How many series an instant query returns.
#   prom_wait_healthy JOB [SECONDS]
#       Until JOB's target health is "up" (default 30 s); returns 1 on timeout.
#   prom_wait_value EXPR WANT [SECONDS]
#       Until prom_query_value EXPR prints WANT (or, if WANT starts with >=,
#       a number at least that); returns 1 on timeout.
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}

prom_config() {
	local file=$1 interval=$2 spec job target path
	shift 2
	{
		echo "global:"
		echo "  scrape_interval: $interval"
		echo "  scrape_timeout: $interval"
		echo "  evaluation_interval: $interval"
		echo "scrape_configs:"
		for spec in "$@"; do
			job=${spec%%=*}
			target=${spec#*=}
			path=/metrics
			if [[ $target == */* ]]; then
				path=/${target#*/}
				target=${target%%/*}
			fi
			echo "  - job_name: '$job'"
			echo "    metrics_path: '$path'"
			echo "    static_configs:"
			echo "      - targets: ['$target']"
		done
	} >"$file"
}

prom_start() {
	local dir=$1 cfg=$2 i attempt
	shift 2
	mkdir -p "$dir/data"
	for attempt in 1 2 3; do
		PROM_PORT=${PROM_PORT:-$(free_port)}
		"$PROMETHEUS_BIN" --config.file="$cfg" --storage.tsdb.path="$dir/data" \
			--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=info "$@" \
			>"$dir/prometheus.log" 2>&1 &
		PROM_PID=$!
		PROM_URL="http://127.0.0.1:$PROM_PORT"
		export PROM_PORT PROM_PID PROM_URL
		on_exit "prom_stop"
		for ((i = 0; i < ${PROM_START_TIMEOUT:-30} * 10; i++)); do
			if ! kill -0 "$PROM_PID" 2>/dev/null; then
				break
			fi
			if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PROM_URL/-/ready")" = 200 ]; then
				return 0
			fi
			sleep 0.1
		done
		# the port may have been taken between free_port and bind: try another
		if grep -q "address already in use" "$dir/prometheus.log" 2>/dev/null; then
			prom_stop
			unset PROM_PORT
			continue
		fi
		break
	done
	echo "prometheus did not become ready; last lines of $dir/prometheus.log:" >&2
	tail -n 30 "$dir/prometheus.log" >&2
	prom_stop
	return 1
}

prom_stop() {
	local i
	[ -n "${PROM_PID:-}" ] || return 0
	kill -TERM "$PROM_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
	PROM_PID=
	return 0
}

prom_api() {
	curl -s --max-time 5 "$PROM_URL/api/v1/$1"
}

prom_targets() {
	prom_api targets
}

prom_target_field() {
	prom_targets | $PY -c '
import json, sys
job, field = sys.argv[1], sys.argv[2]
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for t in d.get("data", {}).get("activeTargets", []):
    if t.get("labels", {}).get("job") == job:
        v = t.get(field, "")
        print(v if isinstance(v, str) else json.dumps(v))
        break
' "$1" "$2"
}

prom_query() {
	curl -s --max-time 5 --get --data-urlencode "query=$1" "$PROM_URL/api/v1/query"
}

prom_query_value() {
	prom_query "$1" | $PY -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    sys.exit(0)
if r:
    v = r[0].get("value")
    print(v[1] if v else "")
'
}

prom_query_count() {
	prom_query "$1" | $PY -c '
import json, sys
try:
    print(len(json.load(sys.stdin)["data"]["result"]))
except Exception:
    print(0)
'
}

prom_wait_healthy() {
	local job=$1 t=${2:-30} i
	for ((i = 0; i < t * 10; i++)); do
		[ "$(prom_target_field "$job" health)" = up ] && return 0
		sleep 0.1
	done
	return 1
}

prom_wait_value() {
	local expr=$1 want=$2 t=${3:-30} i v
	for ((i = 0; i < t * 5; i++)); do
		v=$(prom_query_value "$expr")
		if [[ $want == ">="* ]]; then
			[ -n "$v" ] && $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$v" "${want#>=}" && return 0
		else
			[ "$v" = "$want" ] && return 0
		fi
		sleep 0.2
	done
	return 1
}
