# shellcheck shell=bash
# Real Prometheus, Alertmanager and a webhook listener for prism's tests.
# Source after tests/lib/common.sh:  . "$SRC_DIR/tests/lib/alertmanager.sh"
#
#   webhook_start DIR
#       prometheus-rules/webhook-listener.py on a free loopback port; every
#       notification is a JSON line in $WEBHOOK_OUT.  Exports WEBHOOK_PORT,
#       WEBHOOK_OUT.  Stopped at exit.
#   am_start DIR CONFIG PORT
#       prometheus-alertmanager on 127.0.0.1:PORT with its data in DIR, HA
#       gossip off (it would bind :9094); waits until /-/ready.  Exports AM_URL.
#   prom_start DIR CONFIG PORT [EXTRA_FLAGS...]
#       prometheus on 127.0.0.1:PORT, TSDB in DIR, retention 30d (the
#       monitor role's flag); waits until /-/ready.  Exports PROM_URL.
#       Alerts are re-sent every 2 s (--rules.alert.resend-delay, 1m by
#       default): an alert that fires at the first evaluation, before the
#       Alertmanager target is known, is dropped once and would otherwise
#       only arrive a minute later.
#   prom_query EXPR              instant query; prints the JSON answer
#   prom_value EXPR              the first sample's value, or nothing
#   prom_wait EXPR SECONDS       until EXPR returns at least one sample
#   webhook_wait ALERTNAME SECONDS [RECEIVER]
#       until a "firing" notification for ALERTNAME (to RECEIVER, when
#       given) has arrived; prints that notification's JSON line
#   am_post JSON                 POST alerts (a JSON array) to /api/v2/alerts
#   am_alert_state ALERTNAME [LABEL=VALUE...]
#       "active" or "suppressed" (inhibited or silenced), as Alertmanager
#       reports it in /api/v2/alerts, or nothing if unknown
#
# Processes are started from the caller's shell and stopped at exit with
# on_exit (TERM, then KILL after 10 s).

declare -F on_exit >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PROMETHEUS_BIN=${PROMETHEUS_BIN:-$(command -v prometheus || echo /usr/bin/prometheus)}
ALERTMANAGER_BIN=${ALERTMANAGER_BIN:-$(command -v prometheus-alertmanager || command -v alertmanager || echo /usr/bin/prometheus-alertmanager)}

# _am_stop_pid PID: TERM, wait up to 10 s, KILL.
_am_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

webhook_start() {
	local dir=$1 i
	mkdir -p "$dir"
	WEBHOOK_OUT=$dir/notifications.jsonl
	: >"$WEBHOOK_OUT"
	rm -f "$dir/port"
	$PY "$SRC_DIR/prometheus-rules/webhook-listener.py" --port 0 --port-file "$dir/port" \
		--out "$WEBHOOK_OUT" 2>>"$dir/webhook.log" &
	local pid=$!
	on_exit "_am_stop_pid $pid"
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	[ -s "$dir/port" ] || { echo "webhook listener did not start" >&2; cat "$dir/webhook.log" >&2; return 1; }
	WEBHOOK_PORT=$(cat "$dir/port")
	export WEBHOOK_PORT WEBHOOK_OUT
}

am_start() {
	local dir=$1 config=$2 port=$3
	mkdir -p "$dir/data"
	"$ALERTMANAGER_BIN" --config.file="$config" --storage.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
		--log.level=warn >"$dir/alertmanager.log" 2>&1 &
	local pid=$!
	on_exit "_am_stop_pid $pid"
	AM_URL=http://127.0.0.1:$port
	export AM_URL
	wait_http "$AM_URL/-/ready" 30 || { echo "alertmanager did not start:" >&2; tail -20 "$dir/alertmanager.log" >&2; return 1; }
}

prom_start() {
	local dir=$1 config=$2 port=$3
	shift 3
	mkdir -p "$dir/data"
	"$PROMETHEUS_BIN" --config.file="$config" --storage.tsdb.path="$dir/data" \
		--storage.tsdb.retention.time=30d --rules.alert.resend-delay=2s \
		--web.listen-address="127.0.0.1:$port" --log.level=warn "$@" \
		>"$dir/prometheus.log" 2>&1 &
	local pid=$!
	on_exit "_am_stop_pid $pid"
	PROM_URL=http://127.0.0.1:$port
	export PROM_URL
	wait_http "$PROM_URL/-/ready" 30 || { echo "prometheus did not start:" >&2; tail -20 "$dir/prometheus.log" >&2; return 1; }
}

prom_query() {
	curl -s --max-time 10 "$PROM_URL/api/v1/query" --data-urlencode "query=$1"
}

prom_value() {
	prom_query "$1" | $PY -c '
import json, sys
d = json.load(sys.stdin)
r = d.get("data", {}).get("result", [])
if d.get("status") == "success" and r:
    print(r[0]["value"][1])'
}

prom_wait() {
	local expr=$1 t=${2:-30} i
	for ((i = 0; i < t * 2; i++)); do
		[ -n "$(prom_value "$expr")" ] && return 0
		sleep 0.5
	done
	return 1
}

webhook_wait() {
	local name=$1 t=${2:-30} recv=${3:-} i line
	for ((i = 0; i < t * 2; i++)); do
		line=$($PY - "$WEBHOOK_OUT" "$name" "$recv" <<'EOF'
import json, sys
path, name, recv = sys.argv[1:4]
for line in open(path, encoding="utf-8"):
    b = json.loads(line)["body"]
    if recv and b.get("receiver") != recv:
        continue
    for a in b.get("alerts", []):
        if a.get("status") == "firing" and a.get("labels", {}).get("alertname") == name:
            print(line.strip())
            sys.exit(0)
EOF
		)
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.5
	done
	return 1
}

am_post() {
	curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-X POST --data "$1" "$AM_URL/api/v2/alerts" | grep -q '^200$'
}

am_alert_state() {
	local name=$1
	shift
	curl -s --max-time 10 "$AM_URL/api/v2/alerts" | $PY -c '
import json, sys
name, want = sys.argv[1], dict(kv.split("=", 1) for kv in sys.argv[2:])
for a in json.load(sys.stdin):
    l = a["labels"]
    if l.get("alertname") == name and all(l.get(k) == v for k, v in want.items()):
        print(a["status"]["state"])
        break' "$name" "$@"
}
