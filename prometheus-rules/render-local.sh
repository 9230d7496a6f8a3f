#!/bin/sh
# Render prism's Prometheus and Alertmanager configuration for one machine on
# loopback (the local stack of `make run`, and the end-to-end tests on free
# ports), from the same templates the monitor role uses, and check the result
# with promtool and amtool.
#
#   prometheus-rules/render-local.sh OUTDIR [-e NAME=VALUE]...
#
# Writes OUTDIR/prometheus.yml, OUTDIR/alertmanager.yml, OUTDIR/rules/*.yml.
# -e NAME=VALUE overrides a template variable (rules and configs alike), e.g.
# `-e prism_error_for=10s -e prism_cpu_threshold=20` for a drill or a test.
#
# Ports (environment; defaults are prism's `make run` ports):
#   PRISM_PORT_ORDERD_METRICS orderd's metrics listener 18000
#   PRISM_PORT_HOST_EXPORTER  host-exporter               19100
#   PRISM_PORT_MYSQL_EXPORTER mysql-exporter              19104
#   PRISM_PORT_PROMETHEUS     Prometheus                  19090
#   PRISM_PORT_ALERTMANAGER   Alertmanager                19093
#   PRISM_PORT_WEBHOOK        webhook-listener.py         19095
# Also: PRISM_INSTANCE (instance label, default "local"), PRISM_SCRAPE_INTERVAL
# and PRISM_EVALUATION_INTERVAL (default 5s).
#
# The checked-in prometheus-rules/local/ is this script's output with every
# default (tests/integration/rules/test_rules.sh checks it is up to date):
#   prometheus-rules/render-local.sh prometheus-rules/local
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: render-local.sh OUTDIR [-e NAME=VALUE]...}
shift
for a in "$@"; do
	case $a in
	-e | *=*) ;;
	*) echo "render-local.sh: unexpected argument '$a' (want -e NAME=VALUE)" >&2; exit 2 ;;
	esac
done

num() {
	case $2 in
	'' | *[!0-9]*) echo "render-local.sh: $1='$2' is not a port number" >&2; exit 2 ;;
	esac
	echo "$2"
}
p_metrics=$(num PRISM_PORT_ORDERD_METRICS "${PRISM_PORT_ORDERD_METRICS:-18000}")
p_host=$(num PRISM_PORT_HOST_EXPORTER "${PRISM_PORT_HOST_EXPORTER:-19100}")
p_mysql=$(num PRISM_PORT_MYSQL_EXPORTER "${PRISM_PORT_MYSQL_EXPORTER:-19104}")
p_prom=$(num PRISM_PORT_PROMETHEUS "${PRISM_PORT_PROMETHEUS:-19090}")
p_am=$(num PRISM_PORT_ALERTMANAGER "${PRISM_PORT_ALERTMANAGER:-19093}")
p_hook=$(num PRISM_PORT_WEBHOOK "${PRISM_PORT_WEBHOOK:-19095}")
inst=${PRISM_INSTANCE:-local}
case $inst in
'' | *[!A-Za-z0-9._-]*) echo "render-local.sh: PRISM_INSTANCE='$inst' must be a host name" >&2; exit 2 ;;
esac

PY=/usr/bin/python3
mkdir -p "$out/rules"
# One "host" named $inst on 127.0.0.1 in every group, as an inventory.
set -- \
	-e "groups={web: [$inst], db: [$inst], monitor: [$inst], loadgen: []}" \
	-e "hostvars={$inst: {ansible_host: 127.0.0.1}}" \
	-e "prism_orderd_metrics_port=$p_metrics" \
	-e "prism_host_exporter_port=$p_host" \
	-e "prism_mysql_exporter_port=$p_mysql" \
	-e "prism_prometheus_port=$p_prom" \
	-e "prism_alertmanager_port=$p_am" \
	-e "prism_alertmanager_webhook_url=http://127.0.0.1:$p_hook/alerts" \
	-e "prism_scrape_interval=${PRISM_SCRAPE_INTERVAL:-5s}" \
	-e "prism_scrape_timeout=${PRISM_SCRAPE_INTERVAL:-5s}" \
	-e "prism_evaluation_interval=${PRISM_EVALUATION_INTERVAL:-5s}" \
	-e "prism_monitor_name=prism-$inst" \
	-e "prism_rule_files=[rules/*.yml]" \
	-e "prism_alertmanager_group_wait=5s" \
	-e "prism_alertmanager_group_interval=30s" \
	"$@"

rm -f "$out"/rules/*.yml
$PY "$here/render.py" -o "$out/rules" "$@" "$here"/rules/*.yml
$PY "$here/render.py" -o "$out" "$@" "$here/prometheus.yml.j2" "$here/alertmanager.yml.j2"

# promtool resolves rule_files relative to the config file, as Prometheus does.
promtool check config "$out/prometheus.yml" >"$out/.check.log" 2>&1 ||
	{ cat "$out/.check.log" >&2; exit 1; }
amtool check-config "$out/alertmanager.yml" >>"$out/.check.log" 2>&1 ||
	{ cat "$out/.check.log" >&2; exit 1; }
rm -f "$out/.check.log"
