#!/bin/bash
# prism's Prometheus rules and configs, checked by the real tools:
# - the rule templates render with their defaults (render.py, Ansible's
#   template semantics) and `promtool check rules` accepts them;
# - every promtool unit test in prometheus-rules/tests passes (every alert
#   fires when it should, stays silent under the threshold and before `for`,
#   survives counter resets and missing series, carries its labels and
#   annotations);
# - static checks: severity/summary/description/runbook_url on every alert,
#   the runbook anchor exists with meaning/confirm/action, every alert has a
#   firing and a silent unit test, recording rule names;
# - rendering with overridden variables changes the rules (a test-only
#   threshold and `for` make an override unit test pass that fails with the
#   defaults);
# - prometheus.yml.j2 renders from a four-role inventory into a config
#   `promtool check config` accepts, with the jobs, targets and instance
#   labels expected; alertmanager.yml.j2 passes `amtool check-config`;
# - the checked-in prometheus-rules/local/ is what render-local.sh writes;
#   render-local.sh honours its PRISM_PORT_* variables and rejects bad ones.
. "$SRC_DIR/tests/lib/common.sh"

R=$SRC_DIR/prometheus-rules
T=$(tmpdir_new)
command -v promtool >/dev/null || { echo "promtool missing (make deps)"; exit 1; }
command -v amtool >/dev/null || { echo "amtool missing (make deps)"; exit 1; }

# --- defaults: render, check, unit tests --------------------------------------
check "rule templates render with their defaults" \
	$PY "$R/render.py" -o "$T/def/rules" "$R"/rules/*.yml
out=$(promtool check rules "$T"/def/rules/*.yml 2>&1)
check "promtool check rules: clean" test $? -eq 0
echo "$out" | grep -E "SUCCESS|FAILED|rules found" | sed 's/^/# /'
check "promtool check rules: no warnings" bash -c "! grep -qi warn <<<\"\$1\"" _ "$out"

mkdir -p "$T/def/tests"
cp "$R"/tests/*.yml "$T/def/tests/"
rm -f "$T/def/tests/inventory.yml"
for f in "$T"/def/tests/*.yml; do
	n=$(basename "$f")
	out=$(cd "$T/def/tests" && promtool test rules "$n" 2>&1)
	rc=$?
	check "promtool test rules $n" test $rc -eq 0
	[ $rc -eq 0 ] || echo "$out" | head -60
done

out=$($PY "$SRC_DIR/tests/integration/rules/check_rules.py" "$T/def/rules" "$T/def/tests" \
	"$SRC_DIR/docs/runbooks.md" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "every alert: severity, summary, description with instance and value, runbook section; tested firing and silent" \
	test $rc -eq 0

# --- overrides take effect -----------------------------------------------------
ovr=(-e prism_cpu_threshold=50 -e prism_cpu_for=2m -e prism_error_ratio_threshold=1
	-e prism_error_for=30s -e prism_runbook_url=https://runbooks.example/prism.md)
check "rule templates render with overrides" $PY "$R/render.py" -o "$T/ovr/rules" "${ovr[@]}" "$R"/rules/*.yml
check "promtool check rules (overrides)" promtool check rules "$T"/ovr/rules/*.yml
mkdir -p "$T/ovr/tests" "$T/def/ovrtests"
cp "$R/tests/overrides/overrides.yml" "$T/ovr/tests/"
cp "$R/tests/overrides/overrides.yml" "$T/def/ovrtests/"
check "override unit test passes on the overridden rules" \
	bash -c "cd '$T/ovr/tests' && promtool test rules overrides.yml"
check "the same test fails on the default rules (the overrides are what made it pass)" \
	bash -c "cd '$T/def/ovrtests' && ! promtool test rules overrides.yml >/dev/null 2>&1"
check "override reaches the expression" \
	grep -q 'instance:node_cpu_utilisation:rate1m > 50 / 100' "$T/ovr/rules/alerts.yml"
check "default expression is 80%" \
	grep -q 'instance:node_cpu_utilisation:rate1m > 80 / 100' "$T/def/rules/alerts.yml"
check "SLO objective override reaches the burn-rate thresholds" bash -c "
	$PY '$R/render.py' -e prism_slo_availability_objective=0.995 '$R/rules/slo.yml' |
		grep -q '> (14.4 \* (1 - 0.995))'"
check "the Ansible header is consumed (not in the output)" bash -c "! grep -q '^#jinja2' '$T'/def/rules/*.yml"

# render.py: bad input is a clear error, not a traceback.
out=$($PY "$R/render.py" -e 'not a pair' "$R/rules/alerts.yml" 2>&1)
check "render.py: bad -e exits 2 with a message" bash -c "[ $? -eq 2 ] && grep -q 'NAME=VALUE' <<<\"\$1\"" _ "$out"
printf 'x: [[ prism_no_such_variable ]]\n' >"$T/undef.yml"
printf '#jinja2: variable_start_string:%s, variable_end_string:%s\n' "'[['" "']]'" | cat - "$T/undef.yml" >"$T/undef2.yml"
out=$($PY "$R/render.py" "$T/undef2.yml" 2>&1)
check "render.py: an undefined variable is an error" bash -c "[ $? -ne 0 ] && grep -q 'prism_no_such_variable' <<<\"\$1\"" _ "$out"

# --- prometheus.yml.j2 from a four-role inventory -----------------------------
check "prometheus.yml.j2 renders from an inventory" \
	$PY "$R/render.py" -f "$R/tests/inventory.yml" -e "prism_rule_files=[rules/*.yml]" \
	-o "$T/def" "$R/prometheus.yml.j2" "$R/alertmanager.yml.j2" "$R/prometheus.default.j2"
check "promtool check config (inventory rendering, with the rules)" promtool check config "$T/def/prometheus.yml"
check "amtool check-config (defaults)" amtool check-config "$T/def/alertmanager.yml"
# amtool config routes test: which receiver an alert's labels reach.
route() { local want=$1; shift; amtool config routes test --config.file="$T/def/alertmanager.yml" \
	--verify.receivers="$want" "$@" >/dev/null 2>&1; }
check "route: Watchdog -> deadman" route deadman alertname=Watchdog severity=none
check "route: critical -> page" route page alertname=HighErrorRate severity=critical instance=web-1
check "route: warning -> ticket" route ticket alertname=HighCPUUsage severity=warning instance=web-1
check "route: a wrong expectation is caught" bash -c "! amtool config routes test --config.file='$T/def/alertmanager.yml' \
	--verify.receivers=page alertname=HighCPUUsage severity=warning >/dev/null 2>&1"
check "scrape jobs, targets and instance labels follow the inventory" $PY - "$T/def/prometheus.yml" <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
got = {}
for j in c["scrape_configs"]:
    got[j["job_name"]] = sorted((t, s["labels"]["instance"]) for s in j["static_configs"] for t in s["targets"])
want = {
    "orderd": [("10.0.0.11:8000", "web-1"), ("web-2.internal:8000", "web-2")],
    "host": sorted([("10.0.0.11:9100", "web-1"), ("web-2.internal:9100", "web-2"), ("10.0.0.21:9100", "db-1"),
                    ("10.0.0.31:9100", "mon-1"), ("load-1:9100", "load-1")]),
    "mysql": [("10.0.0.21:9104", "db-1")],
    "prometheus": [("10.0.0.31:9090", "mon-1")],
    "alertmanager": [("10.0.0.31:9093", "mon-1")],
}
assert got == want, got
am = c["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
assert am == ["10.0.0.31:9093"], am
assert c["global"]["scrape_interval"] == "15s", c["global"]
EOF
check "retention flag for the monitor role is >= 30d" grep -q -- '--storage.tsdb.retention.time=30d' "$T/def/prometheus.default"

# --- Ansible renders the same bytes ----------------------------------------------
# The monitor role uses ansible.builtin.template on these files: when Ansible
# is installed, render everything with it (inventory.ini = tests/inventory.yml)
# and compare with render.py's output for the same variables.
if command -v ansible-playbook >/dev/null; then
	ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_NOCOLOR=1 ansible-playbook \
		-i "$SRC_DIR/tests/integration/rules/inventory.ini" \
		"$SRC_DIR/tests/integration/rules/ansible-render.yml" \
		-e "out=$T/ansible" -e "src=$R" -e prism_cpu_threshold=50 -e prism_error_for=30s \
		>"$T/ansible.log" 2>&1
	rc=$?
	check "ansible-playbook renders every template" test $rc -eq 0
	[ $rc -eq 0 ] || tail -20 "$T/ansible.log"
	$PY "$R/render.py" -o "$T/py/rules" -e prism_cpu_threshold=50 -e prism_error_for=30s "$R"/rules/*.yml
	$PY "$R/render.py" -o "$T/py/cfg" -f "$R/tests/inventory.yml" "$R/prometheus.yml.j2" \
		"$R/alertmanager.yml.j2" "$R/prometheus.default.j2" "$R"/grafana/*.j2
	check "Ansible's template module and render.py write the same files" diff -r "$T/ansible" "$T/py"
else
	echo "# ansible-playbook not installed: Ansible cross-check not run"
fi

# --- the local rendering -------------------------------------------------------
check "render-local.sh (defaults) runs its own promtool/amtool checks" "$R/render-local.sh" "$T/local"
check "checked-in prometheus-rules/local/ is up to date (run prometheus-rules/render-local.sh prometheus-rules/local)" \
	diff -r "$R/local" "$T/local"
check "the runbooks console page renders" /usr/bin/python3 "$R/render-runbooks.py" "$SRC_DIR/docs/runbooks.md" "$T/runbooks.html"
check "checked-in prometheus-rules/consoles/prism-runbooks.html is up to date (run prometheus-rules/render-runbooks.py)" \
	diff "$R/consoles/prism-runbooks.html" "$T/runbooks.html"
for a in $(sed -n 's/.*runbook_url: .*#\([a-z0-9]*\)".*/\1/p' "$T"/def/rules/*.yml | sort -u); do
	check "runbook page has the section #$a" grep -q "id=\"$a\"" "$T/runbooks.html"
done
printf '# x\n\nsee {{ .Title }}\n' >"$T/bad.md"
check "render-runbooks.py refuses '{{' (Prometheus would run it as a Go template)" \
	bash -c '! /usr/bin/python3 "$1" "$2" "$3" 2>/dev/null' _ "$R/render-runbooks.py" "$T/bad.md" "$T/bad.html"
check "render-local.sh honours PRISM_PORT_* and overrides" bash -c "
	PRISM_PORT_ORDERD_METRICS=28000 PRISM_PORT_HOST_EXPORTER=29100 PRISM_PORT_MYSQL_EXPORTER=29104 \
	PRISM_PORT_PROMETHEUS=29090 PRISM_PORT_ALERTMANAGER=29093 PRISM_PORT_WEBHOOK=29095 \
		'$R/render-local.sh' '$T/ports' -e prism_error_for=10s &&
	grep -q \"'127.0.0.1:28000'\" '$T/ports/prometheus.yml' &&
	grep -q \"'127.0.0.1:29100'\" '$T/ports/prometheus.yml' &&
	grep -q \"'127.0.0.1:29104'\" '$T/ports/prometheus.yml' &&
	grep -q \"'127.0.0.1:29090'\" '$T/ports/prometheus.yml' &&
	grep -q \"'127.0.0.1:29093'\" '$T/ports/prometheus.yml' &&
	grep -q 'http://127.0.0.1:29095/alerts' '$T/ports/alertmanager.yml' &&
	grep -q 'for: 10s' '$T/ports/rules/alerts.yml'"
out=$(PRISM_PORT_ORDERD_METRICS=80x "$R/render-local.sh" "$T/bad" 2>&1)
check "render-local.sh rejects a bad port with exit 2" bash -c "[ $? -eq 2 ] && grep -q PRISM_PORT_ORDERD_METRICS <<<\"\$1\"" _ "$out"

finish
