#!/bin/sh
# Install every Debian 12 package the build, the tests, `make run` and
# `make bench` need, and the container and package targets (make test-fresh,
# make deb, make apt-repo, make test-packages).
# Idempotent: does nothing when all are present.
# Package daemons (prometheus, mariadb, exporters) are installed but never
# started here: a policy-rc.d refuses service starts during the install, so
# nothing binds Debian's default ports; prism's own tests use their own ports.
set -eu

PKGS="build-essential clang llvm libclang-rt-14-dev pkg-config make gzip curl openssl procps iproute2 util-linux
libmicrohttpd-dev libgnutls28-dev default-libmysqlclient-dev libproc2-dev libsystemd-dev
libjson-c-dev libpcre2-dev libyaml-dev libcrypt-dev zlib1g-dev libdeflate-dev nettle-dev
libprotobuf-c-dev protobuf-c-compiler
mariadb-server mariadb-client
prometheus prometheus-alertmanager prometheus-node-exporter prometheus-mysqld-exporter
wrk sysbench python3-locust python3-yaml python3-jinja2 python3-markdown stress-ng valgrind man-db groff-base
ansible ansible-lint openssh-client ansible-core systemd python3-flask python3-pymysql gunicorn python3-prometheus-client
debootstrap systemd-container debhelper dpkg-dev lintian apt-utils gnupg
btrfs-progs strace"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all packages present"; exit 0; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing:$missing"

# Refuse service starts for the duration of the install (invoke-rc.d policy).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
# The trap keeps the script's own status: its last command must not decide
# it (a policy-rc.d that was already there is left alone, and that is no
# failure).  INT and TERM exit after cleaning up instead of carrying on.
cleanup() {
	if [ "$made_policy" -eq 1 ]; then
		$SUDO rm -f "$policy"
		made_policy=0
	fi
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
