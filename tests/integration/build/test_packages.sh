#!/bin/bash
# make test-packages: the packages on a booted Debian 12 (systemd as pid 1,
# its own network namespace), installed from the signed repository of make
# apt-repo, as an operator would: install, credentials, services running and
# answering, readable journal lines, reload, clean stop, upgrade to a higher
# version, remove, purge.  The image (systemd, MariaDB, Prometheus and the
# daemons' shared libraries, so the container needs no network) is cached
# under /var/tmp (tests/lib/image.sh).
#   DIST=dir      the repository built by make deb apt-repo (default dist/)
#   DIST_UP=dir   the same for a higher version (make test-packages builds it)
#   PKGTEST_IMAGE_ONLY=1  only build the cached image
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/image.sh"
die() { echo "FAIL: $*"; exit 1; }
dist=${DIST:-$SRC_DIR/dist}
up=${DIST_UP:-}

pkgs="systemd systemd-sysv dbus ca-certificates curl iproute2 procps mariadb-server mariadb-client
prometheus prometheus-node-exporter
libmicrohttpd12 libmariadb3 libjson-c5 libpcre2-8-0 libdeflate0 libyaml-0-2 libgnutls30 libsystemd0
libcrypt1 zlib1g"
# and whatever else the packages under test depend on (tests/lib/debdeps.sh)
. "$SRC_DIR/tests/lib/debdeps.sh"
pkgs="$pkgs $(debdeps_of "$dist" | tr '\n' ' ')"
# no Debian sources inside: the container has no network, apt sees only prism's repository
setup='rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list
systemctl disable prometheus-node-exporter.service prometheus.service >/dev/null 2>&1 || true'
img=$(image_ensure pkgtest "$pkgs" "$setup") || die "could not build the package-test image"
# PKGTEST_IMAGE_ONLY=1: only build (or find) the image, e.g. to warm the cache.
[ "${PKGTEST_IMAGE_ONLY:-}" = 1 ] && { echo "$img"; exit 0; }
[ -f "$dist/apt/InRelease" ] || die "no repository in $dist/apt (make deb apt-repo)"

name=prism-pkg-$$
binds=(--bind-ro="$dist/apt:/srv/apt" --bind-ro="$SRC_DIR/db:/srv/db")
[ -n "$up" ] && binds+=(--bind-ro="$up/apt:/srv/apt-up")
image_boot "$img" "$name" --private-network "${binds[@]}" || die "container did not boot"
x() { image_exec "$name" "$@"; }
sh_in() { image_exec "$name" /bin/sh -c "$1"; }

# The operator's three commands (README), with this repository.
x cp /srv/apt/prism-archive-keyring.gpg /usr/share/keyrings/
sh_in 'sed "s|^URIs:.*|URIs: file:///srv/apt|" /srv/apt/prism.sources >/etc/apt/sources.list.d/prism.sources'
check "apt update with the signed repository" x apt-get update -qq
check "apt install orderd host-exporter mysql-exporter prism-monitoring" \
	x env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq orderd host-exporter mysql-exporter prism-monitoring

check "host-exporter replaced prometheus-node-exporter" \
	sh_in '! dpkg-query -W -f="\${Status}" prometheus-node-exporter 2>/dev/null | grep -q "ok installed"'
check "prometheus still installed" sh_in 'dpkg-query -W -f="\${Status}" prometheus | grep -q "ok installed"'
check "the installed rules pass promtool check rules" sh_in 'promtool check rules /usr/share/prism/rules/*.yml >/dev/null'
# The alerts' default runbook_url is {{ $externalURL }}/consoles/prism-runbooks.html:
# Debian's Prometheus serves /etc/prometheus/consoles there.
x systemctl start prometheus
ok=0
for ((i = 0; i < 100; i++)); do
	sh_in 'curl -sf localhost:9090/consoles/prism-runbooks.html | grep -q "id=\"instancedown\""' && { ok=1; break; }
	sleep 0.2
done
check "Prometheus serves the runbooks page the alerts link to" test "$ok" = 1
x systemctl stop prometheus
for u in orderd mysql-exporter; do
	check "$u: /etc/$u/my.cnf is 0640 root:$u" [ "$(x stat -c '%a %U:%G' /etc/$u/my.cnf)" = "640 root:$u" ]
	check "$u: system user exists" x getent passwd "$u"
done
check "host-exporter active" x systemctl is-active -q host-exporter
check "exactly one listener on :9100" [ "$(x ss -Hltn 'sport = :9100' | wc -l)" = 1 ]
check "host-exporter answers on :9100" sh_in 'curl -sf localhost:9100/metrics | grep -q "^node_load1 "'
# The hardening takes no collector away: every collector that succeeds
# unconfined (root, no sandbox: a plain transient unit of the container's
# systemd, so under the same container limits -- systemd-nspawn itself
# denies clock_adjtime without CAP_SYS_TIME, which the exec'd shell here
# escapes) succeeds under the unit.
unconf=$(sh_in 'systemd-run -q --unit=prism-unconfined /usr/sbin/host-exporter --web.listen-address=127.0.0.1:19100
	for i in $(seq 50); do curl -sf localhost:19100/metrics >/tmp/u.prom && break; sleep 0.2; done
	systemctl stop prism-unconfined; grep "^node_scrape_collector_success.* 1$" /tmp/u.prom | sort')
unit=$(sh_in 'curl -sf localhost:9100/metrics | grep "^node_scrape_collector_success" | sort')
lost=$(comm -23 <(echo "$unconf") <(echo "$unit" | grep ' 1$'))
echo "# unconfined collectors succeeding: $(echo "$unconf" | grep -c .); lost under the unit: ${lost:-none}"
for c in $(sed -n 's/.*collector="\([a-z_]*\)".*/\1/p' <<<"$lost"); do
	sh_in "journalctl -u host-exporter --no-pager | grep 'collector=$c' | tail -2" | sed 's/^/# /'
done
check "collectors succeeding unconfined succeed under the unit" test -n "$unconf" -a -z "$lost"

# Fresh install: the credentials are still CHANGE_ME.  Both daemons run
# (no restart loop), say so in the journal, and are not ready.
for ((i = 0; i < 50; i++)); do
	sh_in 'curl -s -o /dev/null localhost:5000/health/liveness' && break
	sleep 0.2
done
for u in orderd mysql-exporter; do
	check "$u active with placeholder credentials" x systemctl is-active -q "$u"
	check "$u: journal says the credentials are placeholders" \
		sh_in "journalctl -u $u -o cat --no-pager | grep -q 'credentials are placeholders (CHANGE_ME)'"
done
check "orderd (placeholders): readiness 503 with the reason" \
	sh_in 'curl -s -w " %{http_code}" localhost:5000/health/readiness | grep -q "placeholders.* 503$"'
check "mysql-exporter (placeholders): mysql_up 0" sh_in 'curl -sf localhost:9104/metrics | grep -q "^mysql_up 0"'
pid_orderd=$(x systemctl show -P MainPID orderd)

# The database: schema, grants with fresh passwords, credentials in place.
x systemctl is-active -q mariadb || x systemctl start mariadb
apw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
epw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
check "schema loads" sh_in 'mariadb < /srv/db/schema.sql'
check "grants load" sh_in "{ echo \"SET @app_password='$apw', @exporter_password='$epw';\"; cat /srv/db/grants.sql; } | mariadb"
sh_in "sed -i 's/^password = CHANGE_ME/password = $apw/' /etc/orderd/my.cnf"
sh_in "sed -i 's/^password = CHANGE_ME/password = $epw/' /etc/mysql-exporter/my.cnf"
# filled in: systemctl reload is enough (orderd(8), mysql-exporter(8))
check "systemctl reload orderd mysql-exporter" x systemctl reload orderd mysql-exporter
for u in orderd host-exporter mysql-exporter; do
	check "$u is active (running)" x systemctl is-active -q "$u"
done
ready=0
for ((i = 0; i < 100; i++)); do
	sh_in 'curl -sf localhost:5000/health/readiness >/dev/null' && { ready=1; break; }
	sleep 0.2
done
check "orderd ready on :5000" [ "$ready" = 1 ]
check "orderd: ready after reload, same process" [ "$(x systemctl show -P MainPID orderd)" = "$pid_orderd" ]
check "orderd journal: Reloading, then Reloaded" \
	sh_in 'journalctl -u orderd -o cat --no-pager | grep -A20 "msg=Reloading" | grep -q "msg=Reloaded"'
check "orderd metrics on :8000" sh_in 'curl -sf localhost:8000/metrics | grep -q "^orderd_"'
check "mysql-exporter: mysql_up 1 on :9104" sh_in 'curl -sf localhost:9104/metrics | grep -q "^mysql_up 1"'
check "orderd journal: whole lines" sh_in 'journalctl -u orderd -o cat --no-pager | grep -q "level="'
sh_in 'journalctl -u orderd -o cat --no-pager | tail -n 3' | sed 's/^/# journal: /'

# reload and stop
pid=$(x systemctl show -P MainPID host-exporter)
check "systemctl reload host-exporter" x systemctl reload host-exporter
check "reload kept the process" [ "$(x systemctl show -P MainPID host-exporter)" = "$pid" ]
check "host-exporter active after reload" x systemctl is-active -q host-exporter
for u in orderd host-exporter mysql-exporter; do
	check "$u stops" x systemctl stop "$u"
	check "$u: no SIGKILL at stop" sh_in "! journalctl -u $u --no-pager | grep -q SIGKILL"
	check "$u: stopped cleanly (Result=success)" [ "$(x systemctl show -P Result "$u")" = success ]
done
x systemctl start orderd host-exporter mysql-exporter

if [ -n "$up" ]; then
	sh_in 'echo "ARGS=\"--log.requests=errors --log.level=info\"" >> /etc/default/orderd'
	sh_in 'sed "s|^URIs:.*|URIs: file:///srv/apt-up|" /srv/apt/prism.sources >/etc/apt/sources.list.d/prism.sources'
	x apt-get update -qq
	old=$(x systemctl show -P MainPID orderd)
	check "upgrade" x env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold \
		orderd host-exporter mysql-exporter prism-monitoring
	check "upgraded to the higher version" sh_in "dpkg-query -W -f='\${Version}' orderd | grep -qv '^$(cat "$SRC_DIR/VERSION")\$'"
	check "credentials kept" sh_in "grep -q 'password = $apw' /etc/orderd/my.cnf"
	check "conffile change kept" sh_in 'grep -q -- "--log.level=info" /etc/default/orderd'
	check "orderd restarted" [ "$(x systemctl show -P MainPID orderd)" != "$old" ]
	check "orderd active after upgrade" x systemctl is-active -q orderd
fi

check "apt remove" x env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq orderd host-exporter mysql-exporter
check "services gone after remove" sh_in '! systemctl is-active -q orderd && ! systemctl is-active -q host-exporter'
check "conffiles kept after remove" x test -f /etc/default/orderd
check "credentials kept after remove" x test -f /etc/orderd/my.cnf
check "apt purge" x env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq orderd host-exporter mysql-exporter
check "conffiles gone after purge" sh_in '[ ! -e /etc/default/orderd ] && [ ! -e /etc/orderd ]'
for u in orderd host-exporter mysql-exporter; do
	check "$u: user gone after purge" sh_in "! getent passwd $u"
done
finish
