#!/bin/bash
# make test-systemd: the systemd collector against Debian's node_exporter 1.5
# on a booted Debian 12 (systemd as pid 1, D-Bus; its own network namespace).
# The build dir is bind-mounted; runtime units add a failed service, a
# service restarted once, a socket and a timer.  Three pairs of exporters
# (node_exporter, host-exporter) run side by side with only the systemd
# collector: every metric flag on; --collector.systemd.unit-include/exclude;
# --collector.systemd.private.  Their node_systemd_* series (HELP, TYPE,
# names, labels, values) must be equal -- tasks_current by name only (the
# exporters' own threads move it).  Then node-mixin's NodeSystemdServiceFailed
# fires on our series for the failed unit only (promtool test rules).
# The image (tests/integration/host/container/image.sh) is cached under
# /var/tmp (tests/lib/image.sh).  SYSTEMD_IMAGE_ONLY=1: only build it.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/image.sh"
. "$SRC_DIR/tests/integration/host/container/image.sh"
die() { echo "FAIL: $*"; exit 1; }
not() { ! "$@"; }
HE=$BUILD_DIR/host-exporter
[ -x "$HE" ] || die "no $HE (make)"
command -v promtool >/dev/null || die "promtool missing (make deps)"

img=$(image_ensure systemd "$SYSTEMD_IMAGE_PKGS" "$SYSTEMD_IMAGE_SETUP") || die "could not build the image"
[ "${SYSTEMD_IMAGE_ONLY:-}" = 1 ] && { echo "$img"; exit 0; }
d=${KEEP_D:-$(tmpdir_new)}

name=prism-sd-$$
binds=(--bind-ro="$BUILD_DIR:/srv/build")
# A sanitizer build (make BUILD=build-asan SAN=address,undefined test-systemd):
# its runtime libraries are the host's (the same Debian 12).
for lib in $(ldd "$HE" | awk '$1 ~ /^lib(asan|ubsan|tsan)\./ { print $3 }'); do
	binds+=(--bind-ro="$lib")
done
image_boot "$img" "$name" --private-network "${binds[@]}" || die "container did not boot"
sh_in() { image_exec "$name" /bin/sh -c "$1"; }

# Runtime units (gone with the volatile overlay).
sh_in 'u=/run/systemd/system
cat >$u/prism-fail.service <<EOF
[Service]
Type=oneshot
ExecStart=/bin/false
EOF
cat >$u/prism-once.service <<EOF
[Service]
ExecStart=/bin/sh -c "test -e /run/prism-once || { touch /run/prism-once; exit 1; }; exec sleep infinity"
Restart=on-failure
RestartSec=100ms
EOF
cat >$u/prism-echo.socket <<EOF
[Socket]
ListenStream=127.0.0.1:7777
Accept=yes
EOF
cat >$u/prism-echo@.service <<EOF
[Service]
ExecStart=/bin/cat
StandardInput=socket
EOF
cat >$u/prism-tick.timer <<EOF
[Timer]
OnActiveSec=1h
Unit=prism-once.service
EOF
systemctl daemon-reload
systemctl start prism-fail.service; systemctl start prism-echo.socket prism-tick.timer prism-once.service'
ok=0
for ((i = 0; i < 300; i++)); do	# the restart: NRestarts 1, active
	[ "$(sh_in 'systemctl show -P NRestarts prism-once.service; systemctl is-active prism-once.service' | tr '\n' ' ')" = "1 active " ] && { ok=1; break; }
	sleep 0.1
done
check "prism-once.service restarted once and is active" [ "$ok" = 1 ]
check "prism-fail.service is failed" sh_in 'systemctl is-failed -q prism-fail.service'

# Three pairs, all started before any is scraped (ports 91xx: node_exporter,
# 92xx: host-exporter).
all=(--collector.systemd.enable-task-metrics --collector.systemd.enable-restarts-metrics
	--collector.systemd.enable-start-time-metrics)
filt=('--collector.systemd.unit-include=prism-.+|dbus\..*|systemd-journald'
	'--collector.systemd.unit-exclude=prism-tick\.timer|prism-echo\.socket')
declare -A flags=([all]="$(printf '%q ' "${all[@]}")" [filt]="$(printf '%q ' "${filt[@]}")"
	[priv]="--collector.systemd.private $(printf '%q ' "${all[@]}")")
declare -A port=([all]=1 [filt]=2 [priv]=3)
for k in all filt priv; do
	sh_in "systemd-run -q --unit=prism-ne-$k /usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:910${port[$k]} --collector.disable-defaults --collector.systemd ${flags[$k]}" ||
		fail "$k: start node_exporter"
	sh_in "systemd-run -q --unit=prism-he-$k /srv/build/host-exporter --web.listen-address=127.0.0.1:920${port[$k]} --collector.disable-defaults --collector.systemd ${flags[$k]}" ||
		fail "$k: start host-exporter"
done
wait_in() {	# $1 port: until it answers (60 s)
	local i
	for ((i = 0; i < 600; i++)); do
		sh_in "curl -sf -o /dev/null 127.0.0.1:$1/metrics" && return 0
		sleep 0.1
	done
	return 1
}
for k in all filt priv; do
	wait_in 910${port[$k]} && wait_in 920${port[$k]} || fail "$k: exporters did not answer"
done

# The series of one scrape, sorted; tasks_current values dropped.
series() {
	sh_in "curl -sf --max-time 30 127.0.0.1:$1/metrics" |
		grep -E '^(# (HELP|TYPE) )?node_systemd_|^node_scrape_collector_success' |
		sed -E 's/^(node_systemd_unit_tasks_current\{[^}]*\}) .*/\1/' | sort
}
# Units may change state between two scrapes (a timer firing): compare
# node_exporter's scrape before and after ours; equal to either is a match.
for k in all filt priv; do
	same=0
	for ((try = 0; try < 5; try++)); do
		series 910${port[$k]} >"$d/ne1-$k.txt"
		series 920${port[$k]} >"$d/he-$k.txt"
		series 910${port[$k]} >"$d/ne2-$k.txt"
		if cmp -s "$d/ne1-$k.txt" "$d/he-$k.txt" || cmp -s "$d/ne2-$k.txt" "$d/he-$k.txt"; then
			same=1
			break
		fi
	done
	[ "$same" = 1 ] || diff -u "$d/ne2-$k.txt" "$d/he-$k.txt" | head -n 40
	check "$k: the same node_systemd_* series as node_exporter ($(grep -c '^node_systemd_' "$d/he-$k.txt") samples)" [ "$same" = 1 ]
done

# What the comparisons must have contained (two empty outputs would agree).
h=$d/he-all.txt
check "all: success 1" grep -qx 'node_scrape_collector_success{collector="systemd"} 1' "$h"
check "all: prism-fail.service failed (oneshot)" \
	grep -qx 'node_systemd_unit_state{name="prism-fail.service",state="failed",type="oneshot"} 1' "$h"
check "all: system degraded: system_running 0" grep -qx 'node_systemd_system_running 0' "$h"
check "all: units{state=\"failed\"} 1" grep -qx 'node_systemd_units{state="failed"} 1' "$h"
check "all: version from the manager (Debian 12: 252)" grep -qE '^node_systemd_version\{version="252[^"]*"\} 252' "$h"
check "all: prism-once restarted once" grep -qx 'node_systemd_service_restart_total{name="prism-once.service"} 1' "$h"
check "all: a start time for prism-once" grep -qE '^node_systemd_unit_start_time_seconds\{name="prism-once.service"\} 1\.[0-9]+e\+09$' "$h"
check "all: the socket's counters" grep -qx 'node_systemd_socket_accepted_connections_total{name="prism-echo.socket"} 0' "$h"
check "all: the timer never triggered: 0" grep -qx 'node_systemd_timer_last_trigger_seconds{name="prism-tick.timer"} 0' "$h"
# (TasksCurrent is unset, UINT64_MAX, without the pids controller: left out by both)
check "all: TasksMax of a service" grep -qE '^node_systemd_unit_tasks_max\{name="prism-once.service"\} [0-9]+$' "$h"
check "all: no *.target (Debian's exclude default)" bash -c "! grep -q 'name=\"[^\"]*\\.target\"' '$h'"
f=$d/he-filt.txt
check "filt: include/exclude applied (prism-once, dbus.service in; prism-tick.timer, prism-echo.socket out)" \
	bash -c "grep -q 'name=\"prism-once.service\"' '$f' && grep -q 'name=\"dbus.service\"' '$f' &&
		! grep -q 'name=\"prism-tick.timer\"' '$f' && ! grep -q 'name=\"prism-echo.socket\"' '$f'"
check "filt: anchored (systemd-journald matches no unit; systemd-journald.service not in)" \
	bash -c "! grep -q 'name=\"systemd-journald.service\"' '$f'"
check "filt: units counts every unit (not filtered)" \
	bash -c "[ \"\$(grep '^node_systemd_units' '$f')\" = \"\$(grep '^node_systemd_units' '$h')\" ]"
check "priv: success 1" grep -qx 'node_scrape_collector_success{collector="systemd"} 1' "$d/he-priv.txt"

# node-mixin (1.5's): NodeSystemdServiceFailed
#   node_systemd_unit_state{job="node", state="failed"} == 1, for 5m
# on our scraped series, as Prometheus would store them (job="node").
{
	echo 'groups:'
	echo '- name: node-mixin'
	echo '  rules:'
	echo '  - alert: NodeSystemdServiceFailed'
	echo '    expr: node_systemd_unit_state{job="node", state="failed"} == 1'
	echo '    for: 5m'
	echo '    labels: {severity: warning}'
} >"$d/mixin.yml"
{
	echo 'rule_files: [mixin.yml]'
	echo 'evaluation_interval: 1m'
	echo 'tests:'
	echo '- interval: 1m'
	echo '  input_series:'
	grep '^node_systemd_unit_state{' "$h" | while read -r s v; do
		printf "  - series: '%s'\n    values: '%sx10'\n" "${s/\{/{job=\"node\",instance=\"c\",}" "$v"
	done
	echo '  alert_rule_test:'
	echo '  - eval_time: 6m'
	echo '    alertname: NodeSystemdServiceFailed'
	echo '    exp_alerts:'
	echo '    - exp_labels: {severity: warning, job: node, instance: c, name: prism-fail.service, state: failed, type: oneshot}'
} >"$d/mixin-test.yml"
check "NodeSystemdServiceFailed fires on our series, for prism-fail.service only" \
	promtool test rules "$d/mixin-test.yml"

# The per-unit Gets are pipelined: during one scrape of the "all"
# host-exporter, dbus-monitor (--profile: "mc ts serial sender dest path
# iface member", "mr|err ts serial sender dest reply_to") sees more than one
# of its calls unanswered at a time (a call-and-wait loop: never more than 1).
# Conditions, not sleeps: the monitor is up (its NameAcquired), and every call
# of the scraping connection has its reply before the count is taken.
mon=/run/prism-mon
count_in() {	# prints: max-in-flight calls-after-ListUnits still-unanswered
	sh_in "awk '\$1 == \"mc\" && \$8 == \"ListUnits\" && x == \"\" { x = \$4 }
		x != \"\" && \$1 == \"mc\" && \$4 == x { n++; out++; if (out > max) max = out }
		x != \"\" && (\$1 == \"mr\" || \$1 == \"err\") && \$5 == x { out-- }
		END { print max + 0, n + 0, (x == \"\" ? -1 : out + 0) }' $mon"
}
sh_in "systemd-run -q --unit=prism-mon -p StandardOutput=file:$mon dbus-monitor --system --profile" ||
	fail "start dbus-monitor"
for ((i = 0; i < 300; i++)); do sh_in "grep -q NameAcquired $mon 2>/dev/null" && break; sleep 0.1; done
sh_in 'curl -sf --max-time 30 -o /dev/null 127.0.0.1:9201/metrics' || fail "monitored scrape"
for ((i = 0; i < 300; i++)); do
	set -- $(count_in)
	[ "${2:-0}" -gt 1 ] && [ "${3:--1}" = 0 ] && break
	sleep 0.1
done
sh_in 'systemctl stop prism-mon' >/dev/null 2>&1
check "all: the per-unit Gets are pipelined (at most ${1:-?} of ${2:-?} calls in flight at once; more than 1)" \
	[ "${1:-0}" -gt 1 ]

# SYSTEMD_BENCH=N: N scrapes of each exporter, one after the other, of the
# "all" pair and of a pair with Debian's defaults (--collector.systemd only,
# ports 9104/9204): curl time_total p50 and CPU per scrape (utime+stime of
# /proc/PID/stat, read once before and once after).  Figures only, no check.
if [ -n "${SYSTEMD_BENCH:-}" ]; then
	sh_in "systemd-run -q --unit=prism-ne-def /usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:9104 --collector.disable-defaults --collector.systemd" &&
		sh_in "systemd-run -q --unit=prism-he-def /srv/build/host-exporter --web.listen-address=127.0.0.1:9204 --collector.disable-defaults --collector.systemd" &&
		wait_in 9104 && wait_in 9204 || fail "def: exporters did not answer"
	for k in all:1 def:4; do
		for x in ne he; do
			sh_in "pid=\$(systemctl show -P MainPID prism-$x-${k%:*}); hz=\$(getconf CLK_TCK)
				p=$([ $x = ne ] && echo 910 || echo 920)${k#*:}
				set -- \$(cut -d' ' -f14,15 /proc/\$pid/stat); c0=\$((\$1 + \$2))
				for i in \$(seq $SYSTEMD_BENCH); do curl -s -o /dev/null -w '%{time_total}\n' 127.0.0.1:\$p/metrics; done >/tmp/t
				set -- \$(cut -d' ' -f14,15 /proc/\$pid/stat); c1=\$((\$1 + \$2))
				sort -n /tmp/t | awk -v n=$SYSTEMD_BENCH -v c=\$((c1 - c0)) -v hz=\$hz -v x=$x-${k%:*} \\
					'NR == int((n + 1) / 2) { printf \"bench %s: %d scrapes, p50 %.2f ms, CPU %.2f ms/scrape\\n\", x, n, \$1 * 1000, c * 1000 / hz / n }'"
		done
	done
	sh_in 'systemctl stop prism-ne-def prism-he-def' >/dev/null 2>&1
fi

# A clean exit (a sanitizer build's report, a crash, would leave the unit failed).
for k in all filt priv; do
	sh_in "systemctl stop prism-ne-$k prism-he-$k" >/dev/null 2>&1
	check "$k: host-exporter stopped cleanly" sh_in "! systemctl is-failed -q prism-he-$k"
done

# The test harness's own stop (tests/lib/image.sh nspawn_stop): a container
# whose poweroff hangs (a unit that never stops) is killed after the bound,
# its whole PID namespace with it -- SIGKILL to nspawn alone left the
# container's systemd running (CI's e2e, caught by tests/run.sh).
sh_in 'cat >/run/systemd/system/prism-hang.service <<EOF
[Service]
ExecStart=/bin/sleep infinity
ExecStop=/bin/sleep infinity
TimeoutStopSec=infinity
EOF
systemctl daemon-reload && systemctl start prism-hang'
nspawn=${_image_nspawn_pid[$name]}
init=$(_image_find_init "$nspawn")
pidns=$(readlink "/proc/$init/ns/pid")
in_pidns() { local f; for f in /proc/[0-9]*/ns/pid; do [ "$(readlink "$f" 2>/dev/null)" = "$pidns" ] && return 0; done; return 1; }
check "a hung unit is running in the container" sh_in 'systemctl is-active -q prism-hang'
check "the container's PID namespace is found ($pidns)" in_pidns
nspawn_stop 3 "$nspawn" 2>"$d/stop.err"
rc=$?
check "nspawn_stop reports the container it had to kill (rc $rc)" test "$rc" = 1
sed "s/^/# /" "$d/stop.err"
check "... and names what still ran in it" grep -q 'prism-hang' "$d/stop.err"
check "... nspawn is gone" not pid_live "$nspawn"
check "... the container's init is gone" not pid_live "$init"
check "... nothing is left in the container's PID namespace" not in_pidns
unset "_image_nspawn_pid[$name]"
finish
