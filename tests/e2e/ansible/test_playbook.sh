#!/bin/bash
# The playbook without hosts: syntax, `ansible-lint --profile production`,
# and the scrape configuration the monitor role renders from the example
# inventory (through Ansible's own template module), checked by promtool:
# every host of every group, instance = host name, a role label, and
# scheme/tls_config/basic_auth on the prism jobs when a web config is given.
# The playbook against real hosts: test_ansible.sh (make e2e).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRC_DIR:=$(cd "$here/../../.." && pwd)}"
. "$SRC_DIR/tests/lib/common.sh"
for t in ansible-playbook ansible-lint ansible promtool; do
	command -v "$t" >/dev/null || { echo "test_playbook: $t is missing (make deps)" >&2; exit 1; }
done
work=$(tmpdir_new)
export ANSIBLE_CONFIG=$SRC_DIR/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$work/tmp
export HOME=$work # ansible-lint's cache, nothing of the caller's
cd "$SRC_DIR/ansible" || exit 1

check "site.yml passes --syntax-check" ansible-playbook -i inventory/example site.yml --syntax-check
lint=$(ansible-lint --offline --profile production 2>&1)
rc=$?
check "ansible-lint --profile production finds nothing" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/#   /' <<<"$lint" | tail -n 30

# render INVENTORY OUT [-e ...]: prometheus.yml.j2 as the monitor role renders it.
render() {
	local inv=$1 out=$2
	shift 2
	ansible localhost -i "$inv" -c local -o -m ansible.builtin.template \
		-a "src=$SRC_DIR/prometheus-rules/prometheus.yml.j2 dest=$out mode=0644" "$@" >"$work/render.log" 2>&1 ||
		{ cat "$work/render.log" >&2; return 1; }
}
# targets FILE JOB: "instance/role@address" of JOB's targets, sorted.
targets() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
for job in cfg["scrape_configs"]:
    if job["job_name"] == sys.argv[2]:
        out = []
        for sc in job["static_configs"]:
            for t in sc["targets"]:
                out.append("%s/%s@%s" % (sc["labels"]["instance"], sc["labels"].get("role", "-"), t))
        print(" ".join(sorted(out)))
PY
}
jobkey() {
	/usr/bin/python3 -c 'import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
print(" ".join("%s:%s:%s:%s" % (j["job_name"], j.get("scheme", "http"), "tls" if "tls_config" in j else "-",
      j.get("basic_auth", {}).get("username", "-")) for j in cfg["scrape_configs"]))' "$1"
}

check "the example inventory renders prometheus.yml" render inventory/example "$work/p.yml"
check "promtool accepts it" promtool check config --syntax-only "$work/p.yml"
check "host job: every host of every group, instance = name, role label" test \
	"$(targets "$work/p.yml" host)" = \
	"db-1/db@10.0.0.21:9100 loadgen-1/loadgen@10.0.0.41:9100 monitor-1/monitor@10.0.0.31:9100 web-1/web@10.0.0.11:9100 web-2/web@10.0.0.12:9100"
check "orderd job: both web hosts" test "$(targets "$work/p.yml" orderd)" = \
	"web-1/web@10.0.0.11:8000 web-2/web@10.0.0.12:8000"
check "mysql job: the db host" test "$(targets "$work/p.yml" mysql)" = "db-1/db@10.0.0.21:9104"
check "no web config: plain HTTP, no credentials" test "$(jobkey "$work/p.yml")" = \
	"orderd:http:-:- host:http:-:- mysql:http:-:- prometheus:http:-:- alertmanager:http:-:-"

cat >"$work/auth.yml" <<'YML'
prism_scrape_scheme: https
prism_scrape_tls_config: {ca_file: /etc/prometheus/prism-ca.pem, server_name: prism.internal}
prism_scrape_basic_auth: {username: prometheus, password: "s3cret\"quote"}
YML
check "with a web config it renders too" render inventory/example "$work/a.yml" -e "@$work/auth.yml"
check "promtool accepts it" promtool check config --syntax-only "$work/a.yml"
check "the prism jobs scrape over https with tls_config and basic_auth; Prometheus's own do not" \
	test "$(jobkey "$work/a.yml")" = \
	"orderd:https:tls:prometheus host:https:tls:prometheus mysql:https:tls:prometheus prometheus:http:-:- alertmanager:http:-:-"
check "the password survives quoting" grep -qF 'password: "s3cret\"quote"' "$work/a.yml"

# A host in no group of its own (several roles): role of its first group.
cat >"$work/inv.yml" <<'YML'
all:
  children:
    web: {hosts: {both-1: {ansible_host: 192.0.2.1}}}
    db: {hosts: {both-1: {}}}
YML
check "a host in two groups is scraped once by the host job" render "$work/inv.yml" "$work/b.yml"
check "... with the role of its first group" test "$(targets "$work/b.yml" host)" = "both-1/web@192.0.2.1:9100"
finish
