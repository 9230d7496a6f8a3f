#!/bin/bash
# STAND-IN packages for the Ansible end-to-end test, used ONLY while the real
# Debian packages (issue 11: packaging/debian, `make deb` into dist/) do not
# exist yet.  They carry this tree's build/ binaries with the shape issue 11
# gives the real ones, which is all the roles rely on:
#   /usr/sbin/NAME, NAME.service (Type=notify, User=NAME, EnvironmentFile=
#   -/etc/default/NAME with ARGS=), a system user and group NAME,
#   /etc/NAME/my.cnf 0640 root:NAME for orderd and mysql-exporter;
#   prism-monitoring: dashboards and runbooks under /usr/share/prism/.
# No hardening, no man pages, no lintian: not a substitute for issue 11.
#
#   standin-debs.sh BUILD_DIR SRC_DIR OUTDIR
set -euo pipefail
build=$1 src=$2 out=$3
version=0.0.0~e2e1
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

daemon_deb() {
	local name=$1 desc=$2 mycnf=$3 d="$work/$1"
	[ -x "$build/$name" ] || { echo "standin-debs: $build/$name missing (make)" >&2; exit 1; }
	mkdir -p "$d/DEBIAN" "$d/usr/sbin" "$d/lib/systemd/system" "$d/etc/default" "$d/etc/$name"
	install -m 0755 "$build/$name" "$d/usr/sbin/$name"
	printf '# Flags of %s(8).\nARGS=""\n' "$name" >"$d/etc/default/$name"
	echo "/etc/default/$name" >"$d/DEBIAN/conffiles"
	if [ "$mycnf" = 1 ]; then
		printf '[client]\nuser = CHANGE_ME\npassword = CHANGE_ME\n' >"$d/etc/$name/my.cnf"
		echo "/etc/$name/my.cnf" >>"$d/DEBIAN/conffiles"
	fi
	cat >"$d/lib/systemd/system/$name.service" <<UNIT
[Unit]
Description=$desc (prism e2e stand-in package)
After=network-online.target

[Service]
Type=notify
User=$name
Group=$name
EnvironmentFile=-/etc/default/$name
ExecStart=/usr/sbin/$name \$ARGS
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartPreventExitStatus=2

[Install]
WantedBy=multi-user.target
UNIT
	cat >"$d/DEBIAN/control" <<CTL
Package: $name
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: prism e2e <root@localhost>
Depends: libc6, libmicrohttpd12, libsystemd0, libdeflate0, libyaml-0-2, libgnutls30, libmariadb3, libjson-c5, libproc2-0, libpcre2-8-0, zlib1g, libprotobuf-c1, libnettle8
Description: $desc (e2e stand-in)
 Built by tests/e2e/ansible/standin-debs.sh until packaging/debian exists.
CTL
	cat >"$d/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	getent group $name >/dev/null || groupadd --system $name
	getent passwd $name >/dev/null || useradd --system --gid $name --home-dir /nonexistent --shell /usr/sbin/nologin $name
	[ ! -f /etc/$name/my.cnf ] || { chown root:$name /etc/$name/my.cnf; chmod 0640 /etc/$name/my.cnf; }
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	systemctl enable $name.service >/dev/null 2>&1 || true
fi
POST
	chmod 0755 "$d/DEBIAN/postinst"
	dpkg-deb --root-owner-group -Zgzip -b "$d" "$out/${name}_${version}_$(dpkg --print-architecture).deb" >/dev/null
}

daemon_deb orderd "prism order API" 1
daemon_deb host-exporter "prism host metrics exporter" 0
daemon_deb mysql-exporter "prism MariaDB metrics exporter" 1

d="$work/prism-monitoring"
mkdir -p "$d/DEBIAN" "$d/usr/share/prism/dashboards"
cp "$src"/prometheus-rules/dashboards/*.json "$d/usr/share/prism/dashboards/"
cp "$src/docs/runbooks.md" "$d/usr/share/prism/runbooks.md"
cat >"$d/DEBIAN/control" <<CTL
Package: prism-monitoring
Version: $version
Architecture: all
Maintainer: prism e2e <root@localhost>
Description: prism dashboards and runbooks (e2e stand-in)
 Built by tests/e2e/ansible/standin-debs.sh until packaging/debian exists.
CTL
dpkg-deb --root-owner-group -Zgzip -b "$d" "$out/prism-monitoring_${version}_all.deb" >/dev/null
