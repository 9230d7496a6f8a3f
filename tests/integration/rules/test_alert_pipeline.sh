#!/bin/bash
# The alerting pipeline with the real servers, no prism daemon needed:
# Prometheus loads the local rendering (render-local.sh on free ports) with
# every rule group healthy, keeps 30 days, scrapes itself and Alertmanager
# under instance "local"; the Watchdog reaches the webhook listener through
# the deadman route; InstanceDown (for shortened to 5s) fires for the
# targets nobody serves and reaches the page receiver; Alertmanager applies
# the inhibitions (InstanceDown silences the other alerts of the same job and
# instance, not another instance's nor another job's on the same host; critical silences warning of the same alert
# and instance; MySQLDown silences the exporter collector alert).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/alertmanager.sh"

T=$(tmpdir_new)
webhook_start "$T/hook" || exit 1
export PRISM_PORT_WEBHOOK=$WEBHOOK_PORT
PRISM_PORT_PROMETHEUS=$(free_port) PRISM_PORT_ALERTMANAGER=$(free_port)
# Nothing listens on these: those targets are down on purpose.
PRISM_PORT_ORDERD_METRICS=$(free_port) PRISM_PORT_HOST_EXPORTER=$(free_port) PRISM_PORT_MYSQL_EXPORTER=$(free_port)
export PRISM_PORT_PROMETHEUS PRISM_PORT_ALERTMANAGER PRISM_PORT_ORDERD_METRICS PRISM_PORT_HOST_EXPORTER \
	PRISM_PORT_MYSQL_EXPORTER
export PRISM_SCRAPE_INTERVAL=1s PRISM_EVALUATION_INTERVAL=1s

check "render-local.sh on free ports" "$SRC_DIR/prometheus-rules/render-local.sh" "$T/cfg" \
	-e prism_instance_down_for=5s
am_start "$T/am" "$T/cfg/alertmanager.yml" "$PRISM_PORT_ALERTMANAGER" || exit 1
prom_start "$T/prom" "$T/cfg/prometheus.yml" "$PRISM_PORT_PROMETHEUS" \
	--web.console.templates="$SRC_DIR/prometheus-rules/consoles" \
	--web.external-url="http://127.0.0.1:$PRISM_PORT_PROMETHEUS" || exit 1

# Rule groups loaded and healthy after a few evaluations.
sleep 3
rules=$(curl -s "$PROM_URL/api/v1/rules")
check "all 9 rule groups loaded, every rule healthy" $PY -c '
import json, sys
d = json.loads(sys.argv[1])["data"]["groups"]
names = sorted(g["name"] for g in d)
bad = [(r.get("name"), r.get("lastError")) for g in d for r in g["rules"] if r.get("health") != "ok"]
print("# groups:", names, "unhealthy:", bad)
sys.exit(0 if len(names) == 9 and not bad else 1)' "$rules"

flags=$(curl -s "$PROM_URL/api/v1/status/flags")
check "retention 30d" $PY -c 'import json,sys; sys.exit(json.loads(sys.argv[1])["data"]["storage.tsdb.retention.time"] != "30d")' "$flags"

check "prometheus and alertmanager targets up with instance=local" \
	prom_wait 'up{job="prometheus", instance="local"} == 1 and on() up{job="alertmanager", instance="local"} == 1' 20
check "the targets without a daemon are down" prom_wait 'count(up{instance="local"} == 0) == 3' 20

line=$(webhook_wait Watchdog 30 deadman)
check "Watchdog reached the webhook through the deadman receiver" test -n "$line"
line=$(webhook_wait InstanceDown 40 page)
check "InstanceDown fired and reached the page receiver" test -n "$line"
check "the notification names job and instance" $PY -c '
import json, sys
b = json.loads(sys.argv[1])["body"]
a = [x for x in b["alerts"] if x["labels"]["alertname"] == "InstanceDown"]
ok = all(x["labels"].get("instance") == "local" and x["labels"].get("severity") == "critical"
         and x["labels"].get("monitor") == "prism-local"
         and x["annotations"]["runbook_url"].endswith("#instancedown") for x in a)
sys.exit(0 if a and ok else 1)' "$line"
url=$($PY -c '
import json, sys
b = json.loads(sys.argv[1])["body"]
print([x for x in b["alerts"] if x["labels"]["alertname"] == "InstanceDown"][0]["annotations"]["runbook_url"])' "$line")
echo "# runbook_url: $url"
check "the runbook link points at this Prometheus's console page" \
	test "$url" = "$PROM_URL/consoles/prism-runbooks.html#instancedown"
page=$(curl -s --max-time 10 "${url%%#*}")
check "... which Prometheus serves, with the alert's section" grep -q 'id="instancedown"' <<<"$page"

# Inhibition, with alerts posted straight to Alertmanager beside the live
# InstanceDown{instance="local"} that Prometheus keeps sending.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "post test alerts to Alertmanager" am_post "[
 {\"labels\": {\"alertname\": \"HighCPUUsage\", \"severity\": \"warning\", \"job\": \"host\", \"instance\": \"local\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"HighCPUUsage\", \"severity\": \"warning\", \"job\": \"host\", \"instance\": \"web-9\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"DiskSpaceLow\", \"severity\": \"warning\", \"job\": \"host\", \"instance\": \"db-9\", \"mountpoint\": \"/\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"DiskSpaceLow\", \"severity\": \"critical\", \"job\": \"host\", \"instance\": \"db-9\", \"mountpoint\": \"/\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"MySQLDown\", \"severity\": \"critical\", \"job\": \"mysql\", \"instance\": \"db-8\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"InstanceDown\", \"severity\": \"critical\", \"job\": \"host\", \"instance\": \"db-7\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"MySQLDown\", \"severity\": \"critical\", \"job\": \"mysql\", \"instance\": \"db-7\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"InstanceDown\", \"severity\": \"critical\", \"job\": \"mysql\", \"instance\": \"db-6\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"MySQLSlowQueries\", \"severity\": \"warning\", \"job\": \"mysql\", \"instance\": \"db-6\"}, \"startsAt\": \"$now\"},
 {\"labels\": {\"alertname\": \"MySQLExporterCollectorFailed\", \"severity\": \"warning\", \"job\": \"mysql\", \"instance\": \"db-8\", \"collector\": \"collect.global_status\"}, \"startsAt\": \"$now\"}
]"
sleep 1
check "InstanceDown silences the same instance's HighCPUUsage" \
	test "$(am_alert_state HighCPUUsage instance=local)" = suppressed
check "... but not another instance's" test "$(am_alert_state HighCPUUsage instance=web-9)" = active
check "a dead host-exporter (job host) does not hide MySQLDown (job mysql) on the same host" \
	test "$(am_alert_state MySQLDown instance=db-7)" = active
check "InstanceDown of the mysql job silences that job's other alerts on the instance" \
	test "$(am_alert_state MySQLSlowQueries instance=db-6)" = suppressed
check "InstanceDown itself stays active" test "$(am_alert_state InstanceDown instance=local)" = active
check "critical DiskSpaceLow silences the warning one" test "$(am_alert_state DiskSpaceLow severity=warning)" = suppressed
check "... and stays active itself" test "$(am_alert_state DiskSpaceLow severity=critical)" = active
check "MySQLDown silences the exporter's collector alert" \
	test "$(am_alert_state MySQLExporterCollectorFailed instance=db-8)" = suppressed
check "the Watchdog is never inhibited" test "$(am_alert_state Watchdog)" = active

finish
