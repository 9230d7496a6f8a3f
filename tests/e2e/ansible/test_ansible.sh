#!/bin/bash
# Issue 12's end-to-end test: the real playbook (ansible/site.yml) run from
# this machine against five Debian 12 containers booted with systemd
# (web-1, web-2, db-1, monitor-1, loadgen-1), then the stack checked from the
# outside:
#   - every target of the monitor's Prometheus is up (Prometheus's HTTP API);
#   - a POST then a GET through HAProxy return the order; the row is in
#     db-1's MariaDB;
#   - a second playbook run reports changed=0 on every host;
#   - Locust on loadgen-1 runs a headless stage through HAProxy with 0
#     failures while orderd on web-2 is stopped and started midway;
#   - stress-ng on web-1 fires HighCPUUsage into Alertmanager; it resolves
#     when the stress stops;
#   - MariaDB stopped on db-1 fires OrderdNotReady and MySQLDown and not
#     InstanceDown; started again, they clear with no orderd restart.
#
# Network: every container has its own network namespace (pe2e-NAME, made
# here with `ip netns`), its eth0 a veth into a bridge inside one more
# namespace, pe2e-ctl, where the controller side (ansible-playbook, curl,
# the apt repository) runs.  Addresses: 10.212.12.0/24, controller .1,
# web-1 .11, web-2 .12, db-1 .21, monitor-1 .31, loadgen-1 .41 — used only
# inside those namespaces; the host's own network is not touched.
#
# The base image (Debian packages the roles install, sshd) is cached under
# /var/tmp/prism-images (image.sh); the containers need no other network.
# Our packages: PRISM_E2E_DEBS=DIR (*.deb), else dist/*.deb of `make deb`,
# else stand-ins built from build/ (standin-debs.sh), served as a flat
# repository on 10.212.12.1:8080.
#
# Needs root, ansible, systemd-nspawn, debootstrap (first run).  Run:
#   make e2e          (or BUILD_DIR=$PWD/build SRC_DIR=$PWD tests/e2e/ansible/test_ansible.sh)
# PRISM_E2E_KEEP=1 leaves the containers running at the end for a look
# (stop them with: PRISM_E2E_KEEP=0 tests/e2e/ansible/test_ansible.sh --stop).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRC_DIR:=$(cd "$here/../../.." && pwd)}"
: "${BUILD_DIR:=$SRC_DIR/build}"
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/image.sh"
. "$here/image.sh"

NET=10.212.12
CTL=pe2e-ctl
declare -A ADDR=([web-1]=$NET.11 [web-2]=$NET.12 [db-1]=$NET.21 [monitor-1]=$NET.31 [loadgen-1]=$NET.41)
HOSTS="web-1 web-2 db-1 monitor-1 loadgen-1"
PROM=http://$NET.31:9090
AM=http://$NET.31:9093
LB=http://$NET.11:80
t0=$(date +%s)

say() { printf '# [%4ds] %s\n' $(($(date +%s) - t0)) "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "test_ansible: needs root" >&2; exit 1; }
for t in ansible-playbook systemd-nspawn ip ssh ssh-keygen dpkg-scanpackages curl; do
	command -v "$t" >/dev/null || { echo "test_ansible: $t is missing (make deps)" >&2; exit 1; }
done

ctl() { ip netns exec "$CTL" "$@"; }

# --stop: end what a PRISM_E2E_KEEP=1 run left (its containers are the
# systemd-nspawn processes joined to our pe2e-* namespaces).
if [ "${1:-}" = --stop ]; then
	for pid in $(pgrep -x systemd-nspawn); do
		grep -qz -- '--network-namespace-path=/run/netns/pe2e-' "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid"
	done
	sleep 5
	for h in $HOSTS; do ip netns pids "pe2e-$h" 2>/dev/null | xargs -r kill -KILL; ip netns del "pe2e-$h" 2>/dev/null; done
	ip netns pids "$CTL" 2>/dev/null | xargs -r kill -TERM
	ip netns del "$CTL" 2>/dev/null
	exit 0
fi
if [ "${PRISM_E2E_KEEP:-0}" = 1 ]; then
	work=$(mktemp -d /tmp/prism-e2e.XXXXXX) # kept, with the SSH key, for a look
else
	work=$(tmpdir_new)
fi
SSH_OPTS=(-i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=5 -o BatchMode=yes)
# on HOST CMD...: run CMD on HOST over SSH (from the controller namespace).
on() { local h=$1; shift; ctl ssh "${SSH_OPTS[@]}" "root@${ADDR[$h]}" "$@"; }
# json EXPR: evaluate a Python expression over the JSON on stdin (as `d`).
not() { ! "$@"; }
json() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

torn_down=0
teardown() {
	local h pid
	[ "$torn_down" = 0 ] || return 0
	torn_down=1
	if [ "${PRISM_E2E_KEEP:-0}" = 1 ]; then
		say "PRISM_E2E_KEEP=1: containers left running; SSH key and logs in $work:"
		say "  ip netns exec $CTL ssh -i $work/id root@$NET.11"
		say "  end them with: $0 --stop"
		return
	fi
	# All containers powered off at once (nspawn_stop: a clean poweroff, up
	# to 90 s, then SIGKILL to a container's init, which ends everything in
	# it); the time it took is logged, and a container that had to be
	# killed is named with what was still running in it.
	local pids=() t1=$SECONDS
	for h in $HOSTS; do
		pid=$(cat "$work/nspawn-$h.pid" 2>/dev/null) && pids+=("$pid")
	done
	rm -f "$work"/nspawn-*.pid
	if [ ${#pids[@]} -gt 0 ]; then
		if nspawn_stop 90 "${pids[@]}" 2>&1; then
			say "containers powered off in $((SECONDS - t1)) s"
		else
			say "WARNING: containers killed after $((SECONDS - t1)) s (not down 90 s after poweroff)"
		fi
	fi
	# Anything else still in a host's namespace would keep it alive.
	for h in $HOSTS; do
		ip netns pids "pe2e-$h" 2>/dev/null | xargs -r kill -KILL
	done
	# the controller's HTTP server and webhook listener (bounded wait, reaped)
	stop_pids $(cat "$work/http.pid" "$work/webhook.pid" 2>/dev/null)
	rm -f "$work/http.pid" "$work/webhook.pid"
	for h in $HOSTS; do ip netns del "pe2e-$h" 2>/dev/null; done
	ip netns del "$CTL" 2>/dev/null
}

# ---------------------------------------------------------------- setup
debs=$work/repo
mkdir -p "$debs"
if [ -n "${PRISM_E2E_DEBS:-}" ]; then
	cp "$PRISM_E2E_DEBS"/*.deb "$debs/"
	say "packages from $PRISM_E2E_DEBS"
elif compgen -G "$SRC_DIR/dist/*.deb" >/dev/null; then
	cp "$SRC_DIR"/dist/*.deb "$debs/"
	say "packages from dist/ (make deb)"
else
	"$here/standin-debs.sh" "$BUILD_DIR" "$SRC_DIR" "$debs" || exit 1
	say "NOTE: no dist/*.deb yet: STAND-IN packages built from $BUILD_DIR (standin-debs.sh)"
fi
(cd "$debs" && dpkg-scanpackages --multiversion . >Packages 2>/dev/null) || exit 1

# The image holds what our packages depend on (no Debian mirror inside).
. "$SRC_DIR/tests/lib/debdeps.sh"
E2E_IMAGE_PKGS="$E2E_IMAGE_PKGS $(debdeps_of "$debs" | tr '\n' ' ')"
say "base image"
image=$(e2e_image_ensure) || { echo "test_ansible: no base image" >&2; exit 1; }
say "image $image"


ssh-keygen -q -t ed25519 -N '' -f "$work/id" -C prism-e2e || exit 1
cp "$work/id.pub" "$work/authorized_keys"
chmod 0600 "$work/authorized_keys"

# Leftovers of an interrupted run would make `ip netns add` fail.
for h in $HOSTS; do ip netns del "pe2e-$h" 2>/dev/null; done
ip netns del "$CTL" 2>/dev/null
on_exit teardown

say "network $NET.0/24 in namespaces"
ip netns add "$CTL" || exit 1
ctl ip link set lo up
ctl ip link add br0 type bridge
ctl ip addr add "$NET.1/24" dev br0
ctl ip link set br0 up
for h in $HOSTS; do
	ip netns add "pe2e-$h" || exit 1
	ip link add "ve-$h" netns "$CTL" type veth peer name eth0 netns "pe2e-$h" || exit 1
	ctl ip link set "ve-$h" master br0 up
	ip -n "pe2e-$h" link set lo up
	ip -n "pe2e-$h" addr add "${ADDR[$h]}/24" dev eth0
	ip -n "pe2e-$h" link set eth0 up
done

# Started with ip netns exec itself, not the ctl function: `ctl ... &` forks
# a subshell, so $! would be the subshell, and killing it left the server
# running (tests/run.sh reported both as left running).
ip netns exec "$CTL" $PY -m http.server --bind "$NET.1" --directory "$debs" 8080 >"$work/http.log" 2>&1 &
echo $! >"$work/http.pid"
# Alertmanager's receiver (inventory: prism_alertmanager_webhook_url), as an
# operator's alert bridge would be: with nothing listening every notification
# failed (the Watchdog's each minute) and AlertmanagerNotificationsFailing
# went pending.
ip netns exec "$CTL" $PY "$SRC_DIR/prometheus-rules/webhook-listener.py" --host "$NET.1" --port 9095 \
	--out "$work/notifications.jsonl" >"$work/webhook.log" 2>&1 &
echo $! >"$work/webhook.pid"

say "booting $HOSTS"
mkdir -p /run/systemd/nspawn
for h in $HOSTS; do
	systemd-nspawn -q -D "$image" -M "$h" --volatile=overlay --register=no --keep-unit -b \
		--network-namespace-path="/run/netns/pe2e-$h" --resolv-conf=off \
		--bind-ro="$work/authorized_keys:/root/.ssh/authorized_keys" \
		</dev/null >"$work/boot-$h.log" 2>&1 &
	echo $! >"$work/nspawn-$h.pid"
done
for h in $HOSTS; do
	ok=0
	for _ in $(seq 360); do
		on "$h" true 2>/dev/null && { ok=1; break; }
		kill -0 "$(cat "$work/nspawn-$h.pid")" 2>/dev/null || break
		sleep 0.5
	done
	[ "$ok" = 1 ] || { cat "$work/boot-$h.log" >&2; echo "test_ansible: no SSH on $h" >&2; exit 1; }
	# Only the test's repository: Debian's mirror is unreachable from here
	# (every Debian package the roles need is in the image already).
	on "$h" 'rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list' || exit 1
done
say "SSH up on every container"

export ANSIBLE_CONFIG=$SRC_DIR/ansible/ansible.cfg
export ANSIBLE_PRIVATE_KEY_FILE=$work/id
export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=120s"
export ANSIBLE_NOCOLOR=1
export ANSIBLE_LOCAL_TEMP=$work/ansible-local
export PRISM_SECRETS_DIR=$work/secrets
playbook() {
	(cd "$SRC_DIR/ansible" && ctl ansible-playbook -i "$here/inventory" site.yml "$@")
}

# ---------------------------------------------------------------- check mode
say "playbook --check on the blank hosts"
playbook --check >"$work/check0.log" 2>&1
rc=$?
sed -n '/PLAY RECAP/,$p' "$work/check0.log" | sed 's/^/#   /'
check "--check on blank hosts succeeds" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 30 "$work/check0.log"
check "--check changed nothing: orderd is not installed yet" on web-1 'test ! -e /usr/sbin/orderd'
# The image holds Debian's prometheus, enabled: it boots with its default
# /etc/prometheus/prometheus.yml (job prometheus on localhost:9090, job node
# on localhost:9100), as after a bare `apt install prometheus`.  (Both are
# down here: the image's /etc/hosts has no localhost, Go's resolver asks DNS,
# which is unreachable: up == 0, the worst case for InstanceDown.)  The
# monitor role must take over so that none of their series outlive the
# deployment (a false InstanceDown otherwise, issue 12).
# prom_up_unlabelled: the `up` series without a role label (every target of
# our configuration has one), as "job/instance=value ...".
prom_up_unlabelled() {
	ctl curl -sf --max-time 5 "$PROM/api/v1/query" --data-urlencode 'query=up{role=""}' | json \
		'" ".join(sorted("%s/%s=%s" % (r["metric"]["job"], r["metric"]["instance"], r["value"][1]) for r in d["data"]["result"]))'
}
before_run=
for _ in $(seq 60); do
	before_run=$(prom_up_unlabelled 2>/dev/null)
	grep -q 'node/localhost:9100=' <<<"$before_run" && break
	sleep 2
done
check "before the first run, monitor-1's Prometheus scrapes Debian's default targets ($before_run)" \
	grep -q 'node/localhost:9100=.*prometheus/localhost:9090=' <<<"$before_run"

# ---------------------------------------------------------------- 1st run
say "playbook, first run"
t1=$(date +%s)
playbook >"$work/run1.log" 2>&1
rc=$?
say "first run: exit $rc in $(($(date +%s) - t1)) s"
if [ $rc -ne 0 ]; then
	tail -n 60 "$work/run1.log"
	fail "first playbook run"
	finish
fi
pass "first playbook run"
sed -n '/PLAY RECAP/,$p' "$work/run1.log" | sed 's/^/#   /'
check "secrets were generated on the controller, 0600, outside the repository" \
	test "$(stat -c %a "$PRISM_SECRETS_DIR/mariadb-app_user")" = 600
check "credentials files 0640 root:orderd / root:mysql-exporter" \
	test "$(on web-1 stat -c %a:%U:%G /etc/orderd/my.cnf) $(on db-1 stat -c %a:%U:%G /etc/mysql-exporter/my.cnf)" \
	= "640:root:orderd 640:root:mysql-exporter"
check "no secret in the playbook's output" \
	bash -c '! grep -qF -- "$(cat "$1")" "$2"' _ "$PRISM_SECRETS_DIR/mariadb-app_user" "$work/run1.log"
after_run=$(prom_up_unlabelled 2>&1)
check "right after the first run no target of Debian's default configuration is left in Prometheus ($after_run)" \
	test -z "$after_run"

# ---------------------------------------------------------------- targets
# 2 orderd + 5 host + 1 mysql + prometheus + alertmanager.
targets_up() {
	ctl curl -sf --max-time 5 "$PROM/api/v1/targets?state=active" | json \
		'"%d %d %s" % (len(d["data"]["activeTargets"]), sum(t["health"] == "up" for t in d["data"]["activeTargets"]), " ".join(sorted("%s/%s/%s=%s" % (t["labels"]["job"], t["labels"]["instance"], t["labels"].get("role", "-"), t["health"]) for t in d["data"]["activeTargets"])))'
}
say "waiting for every target to be up"
for _ in $(seq 60); do
	tu=$(targets_up 2>/dev/null)
	set -- $tu
	[ "${1:-0}" = 10 ] && [ "${2:-0}" = 10 ] && break
	sleep 2
done
echo "# targets: $tu"
check "Prometheus scrapes 10 targets, all up" test "${1:-0} ${2:-0}" = "10 10"
for want in orderd/web-1 orderd/web-2 host/web-1 host/web-2 host/db-1 host/monitor-1 host/loadgen-1 \
	mysql/db-1 prometheus/monitor-1 alertmanager/monitor-1; do
	check "target $want is up" grep -q "$want/[^ ]*=up" <<<"$tu"
done
check "every target carries its role label" grep -q "host/db-1/db=up" <<<"$tu"

# ---------------------------------------------------------------- orders
say "POST and GET through HAProxy"
body='{"customer_id": 77, "customer": {"name": "E2E Buyer", "email": "e2e@example.com"},
 "items": [{"product_id": 101, "quantity": 2, "unit_price": 19.99}, {"product_id": 7, "quantity": 1, "unit_price": "0.02"}]}'
post=$(ctl curl -s --max-time 10 -w '\n%{http_code}' -XPOST "$LB/api/order" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: e2e-$$-$t0" -d "$body")
code=${post##*$'\n'}
post=${post%$'\n'*}
oid=$(json 'd["order_id"]' <<<"$post" 2>/dev/null)
check "POST /api/order through HAProxy answers 201 with an order_id ($code: $post)" \
	test "$code" = 201 -a -n "$oid"
get=$(ctl curl -s --max-time 10 "$LB/api/order/${oid:-0}")
check "GET /api/order/$oid through HAProxy returns the order" \
	test "$(json '"%s %s %d" % (d["customer_id"], d["total_amount"], len(d["items"]))' <<<"$get" 2>/dev/null)" = "77 40.00 2"
row=$(on db-1 "mariadb --batch --skip-column-names -e 'SELECT customer_id, total_amount,
	(SELECT COUNT(*) FROM orders_db.order_items i WHERE i.order_id = o.order_id)
	FROM orders_db.orders o WHERE order_id = ${oid:-0}'")
check "the order's row is in db-1's MariaDB ($row)" test "$row" = "77	40.00	2"

# ---------------------------------------------------------------- 2nd run
say "playbook, second run"
t1=$(date +%s)
playbook >"$work/run2.log" 2>&1
rc=$?
say "second run: exit $rc in $(($(date +%s) - t1)) s"
sed -n '/PLAY RECAP/,$p' "$work/run2.log" | sed 's/^/#   /'
check "second playbook run succeeds" test $rc -eq 0
recap=$(sed -n '/PLAY RECAP/,$p' "$work/run2.log" | grep -E '^[a-z0-9-]+ +:')
playbook --check --diff >"$work/check1.log" 2>&1
rc=$?
recap1=$(sed -n '/PLAY RECAP/,$p' "$work/check1.log" | grep -E '^[a-z0-9-]+ +:')
check "--check --diff on the deployed hosts succeeds and would change nothing" \
	bash -c '[ "$1" = 0 ] && [ "$(grep -c . <<<"$2")" = 5 ] && ! grep -v "changed=0 " <<<"$2" | grep -q .' _ "$rc" "$recap1"
check "second run: 5 hosts in the recap" test "$(grep -c . <<<"$recap")" = 5
check "second run: changed=0 on every host" bash -c '! grep -v "changed=0 " <<<"$1" | grep -q .' _ "$recap"
grep -B3 -E '^changed:' "$work/run2.log" | sed 's/^/#   changed in run 2: /' | head -20

# ---------------------------------------------------------------- Locust
say "Locust through HAProxy while web-2's orderd stops and starts"
on loadgen-1 "PRISM_STAGES=normal PRISM_STAGE_SECONDS=36 PRISM_USERS=20 PRISM_WAIT_MIN=0.05 PRISM_WAIT_MAX=0.2 \
	prism-load --csv /tmp/e2e" >"$work/locust.log" 2>&1 &
lpid=$!
sleep 10
before=$(on web-2 systemctl show -p InvocationID --value orderd)
# The operator's drain (ansible/README.md): every HAProxy stops sending web-2
# new requests, then orderd stops; after the start HAProxy's health check
# (readiness) brings it back.
lb_cmd() { local h; for h in web-1 web-2; do on "$h" "echo '$1' | python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(\"/run/haproxy/admin.sock\"); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode())'"; done; }
lb_cmd "set server orderd/web-2 state drain"
sleep 3
on web-2 systemctl stop orderd
say "web-2 orderd stopped"
sleep 8
on web-2 systemctl start orderd
lb_cmd "set server orderd/web-2 state ready"
say "web-2 orderd started"
wait $lpid
lrc=$?
after=$(on web-2 systemctl show -p InvocationID --value orderd)
stats=$(on loadgen-1 cat /tmp/e2e_stats.csv | awk -F, '$2 == "Aggregated" { print $3, $4 }')
echo "# locust (requests failures): $stats; exit $lrc"
[ "$lrc" -eq 0 ] || { sed 's/^/#   /' "$work/locust.log" | tail -n 20; on loadgen-1 cat /tmp/e2e_failures.csv | sed 's/^/#   /'; }
check "Locust exits 0 (no failed request)" test $lrc -eq 0
check "Locust made requests and none failed ($stats)" \
	bash -c 'set -- $1; [ "${1:-0}" -gt 200 ] && [ "${2:-1}" = 0 ]' _ "$stats"
check "web-2's orderd really restarted during the run" test -n "$before" -a "$before" != "$after"
check "HAProxy took web-2 out of and back into rotation" \
	bash -c 'j=$(cat); grep -q "web-2 is DOWN" <<<"$j" && grep -q "web-2 is UP" <<<"$j"' \
	< <(on web-1 journalctl -u haproxy --no-pager -o cat)

# ---------------------------------------------------------------- alerts
# alert_state SOURCE NAME [INSTANCE]: "firing" (Prometheus) / "active"
# (Alertmanager) when an alert NAME (on INSTANCE) is there, else "none".
prom_alerts() { ctl curl -sf --max-time 5 "$PROM/api/v1/alerts" | json '" ".join(sorted("%s/%s/%s" % (a["labels"]["alertname"], a["labels"].get("instance", "-"), a["state"]) for a in d["data"]["alerts"]))'; }
am_alerts() { ctl curl -sf --max-time 5 "$AM/api/v2/alerts?active=true&silenced=false&inhibited=true" | json '" ".join(sorted("%s/%s/%s" % (a["labels"]["alertname"], a["labels"].get("instance", "-"), a["status"]["state"]) for a in d))'; }
# wait_for SECONDS FN PATTERN [absent]: until FN's output matches (or no longer matches) PATTERN.
wait_for() {
	local t=$1 fn=$2 pat=$3 neg=${4:-} i out
	for ((i = 0; i < t; i += 2)); do
		out=$($fn 2>/dev/null)
		if [ -z "$neg" ]; then grep -qE "$pat" <<<"$out" && return 0; else grep -qE "$pat" <<<"$out" || return 0; fi
		sleep 2
	done
	echo "# $fn after ${t}s: $out"
	return 1
}

say "stress-ng on web-1"
# host-exporter in a container reports the whole machine's CPU: on a machine
# already busier than 80% the alert would fire without the stress.
check "HighCPUUsage is not firing before the stress" wait_for 120 prom_alerts 'HighCPUUsage/web-1/firing' absent
on web-1 "systemd-run --unit=e2e-stress stress-ng --cpu 0 --cpu-load 100 --timeout 300s" >/dev/null
check "HighCPUUsage fires in Prometheus for web-1" wait_for 180 prom_alerts 'HighCPUUsage/web-1/firing'
check "HighCPUUsage reaches Alertmanager" wait_for 60 am_alerts 'HighCPUUsage/web-1/active'
on web-1 systemctl stop e2e-stress
say "stress stopped"
check "HighCPUUsage resolves in Prometheus" wait_for 180 prom_alerts 'HighCPUUsage/web-1' absent
check "HighCPUUsage resolves in Alertmanager" wait_for 60 am_alerts 'HighCPUUsage/web-1' absent

say "MariaDB stopped on db-1"
declare -A inv
for h in web-1 web-2; do inv[$h]=$(on "$h" systemctl show -p InvocationID --value orderd); done
on db-1 systemctl stop mariadb
check "OrderdNotReady fires for web-1 and web-2" \
	wait_for 120 prom_alerts 'OrderdNotReady/web-1/firing.*OrderdNotReady/web-2/firing'
check "MySQLDown fires for db-1" wait_for 60 prom_alerts 'MySQLDown/db-1/firing'
check "both reach Alertmanager" wait_for 60 am_alerts 'MySQLDown/db-1/active.*OrderdNotReady/web-1/active'
sleep 20 # longer than InstanceDown's for: (15s) in this inventory
pa=$(prom_alerts)
check "InstanceDown fires nowhere while MariaDB is down ($pa)" bash -c '! grep -q InstanceDown <<<"$1"' _ "$pa"
on db-1 systemctl start mariadb
say "MariaDB started"
check "OrderdNotReady clears" wait_for 120 prom_alerts 'OrderdNotReady' absent
check "MySQLDown clears" wait_for 60 prom_alerts 'MySQLDown' absent
check "orderd is ready again through HAProxy" ctl curl -sf --max-time 5 -o /dev/null "$LB/api/order/${oid:-1}"
for h in web-1 web-2; do
	check "orderd on $h was not restarted" test "$(on "$h" systemctl show -p InvocationID --value orderd)" = "${inv[$h]}"
done

# ---------------------------------------------------------------- notifications
notified() { grep -c "\"alertname\": \"$1\"" "$work/notifications.jsonl" 2>/dev/null; }
check "Alertmanager's notifications reach the webhook: Watchdog ($(notified Watchdog))" \
	test "$(notified Watchdog)" -gt 0
check "... HighCPUUsage ($(notified HighCPUUsage))" test "$(notified HighCPUUsage)" -gt 0
failed=$(ctl curl -sf --max-time 5 "$PROM/api/v1/query" \
	--data-urlencode 'query=sum(alertmanager_notifications_failed_total{job="alertmanager"})' |
	json 'd["data"]["result"][0]["value"][1] if d["data"]["result"] else "none"')
check "no notification failed (alertmanager_notifications_failed_total: $failed)" test "$failed" = 0
pa=$(prom_alerts)
check "AlertmanagerNotificationsFailing neither pending nor firing" \
	bash -c '! grep -q AlertmanagerNotificationsFailing <<<"$1"' _ "$pa"

say "done in $(($(date +%s) - t0)) s"
# Stopped here, not only at exit, so its output is in the log.
teardown
finish
