# The base image of the Ansible end-to-end test: Debian 12 (minbase) booted
# with systemd, with sshd and every Debian package the roles install already
# inside, so the containers need no network beyond the test's bridge.
# Cached OUTSIDE the clone in $PRISM_IMAGE_CACHE (default /var/tmp/prism-images)
# as ansible-KEY, KEY a hash of the recipe (package list, mirror, setup);
# built once (a few minutes), then reused.  Source it (bash, root):
#
#   dir=$(e2e_image_ensure)
#
# `rm -rf /var/tmp/prism-images/ansible-*` resets the cache.

: "${PRISM_IMAGE_CACHE:=/var/tmp/prism-images}"

# What the roles install (ansible/roles/*/tasks) plus what Ansible itself needs
# on a managed host (python3, python3-apt for the apt module, python3-pymysql
# for community.mysql), plus the shared libraries our own packages depend on
# (their Depends, resolved from the image, not the network).
E2E_IMAGE_PKGS="systemd systemd-sysv dbus openssh-server iproute2 procps curl ca-certificates
python3 python3-apt python3-pymysql
mariadb-server mariadb-client prometheus prometheus-alertmanager haproxy python3-locust stress-ng
libmicrohttpd12 libsystemd0 libdeflate0 libyaml-0-2 libcrypt1 libgnutls30 libmariadb3 libjson-c5
libproc2-0 libpcre2-8-0 zlib1g"

# Run inside the new image once, before it is frozen.  The packaged daemons
# are left enabled as Debian installs them; the roles configure them.  No
# node_exporter: host-exporter owns :9100 (debootstrap installs no Recommends).
E2E_IMAGE_SETUP='
echo "prism-e2e" >/etc/hostname
mkdir -p /root/.ssh && chmod 700 /root/.ssh
# Containers get their addresses from the test (ip addr in their namespace):
# no DHCP client, no networkd.
systemctl disable systemd-networkd.service systemd-resolved.service 2>/dev/null || true
# A machine-id per boot (empty file: systemd makes a transient one).
: >/etc/machine-id
'

e2e_image_mirror() {
	local m=""
	[ -r /etc/apt/sources.list.d/debian.sources ] &&
		m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	echo "${m:-http://deb.debian.org/debian}"
}

e2e_image_key() {
	printf 'recipe=2\nsuite=bookworm\nmirror=%s\npkgs=%s\nsetup=%s\n' "$(e2e_image_mirror)" \
		"$(printf '%s\n' $E2E_IMAGE_PKGS | sort -u | tr '\n' ' ')" "$E2E_IMAGE_SETUP" |
		sha256sum | cut -c1-16
}

e2e_image_ensure() {
	local key dir mirror
	mkdir -p "$PRISM_IMAGE_CACHE" /run/systemd/nspawn
	key=$(e2e_image_key)
	dir=$PRISM_IMAGE_CACHE/ansible-$key
	mirror=$(e2e_image_mirror)
	(
		flock 9
		[ -f "$dir/.prism-image-ok" ] && exit 0
		tmp=$(mktemp -d "$PRISM_IMAGE_CACHE/.build-ansible.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		echo "e2e: building $dir (debootstrap, then the roles' packages; a few minutes)" >&2
		# debootstrap only the init system: its resolver does not follow
		# virtual packages (python3-locust -> python3-zmq ->
		# python3-cffi-backend-api-*); apt inside does, without Recommends.
		debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
			bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
			tail -n 30 "$tmp/debootstrap.log" >&2
			exit 1
		}
		if [ -r /etc/apt/sources.list.d/debian.sources ]; then
			cp /etc/apt/sources.list.d/debian.sources "$tmp/root/etc/apt/sources.list.d/"
			rm -f "$tmp/root/etc/apt/sources.list"
		fi
		{
			echo "export DEBIAN_FRONTEND=noninteractive"
			echo "apt-get update"
			echo "apt-get install -y --no-install-recommends $(printf '%s\n' $E2E_IMAGE_PKGS | sort -u | tr '\n' ' ')"
			printf '%s\n' "$E2E_IMAGE_SETUP"
			echo "apt-get clean"
		} >"$tmp/root/prism-image-setup"
		systemd-nspawn -q -D "$tmp/root" --register=no --keep-unit --as-pid2 \
			--resolv-conf=copy-host /bin/sh -eu /prism-image-setup >"$tmp/setup.log" 2>&1 || {
			tail -n 30 "$tmp/setup.log" >&2
			exit 1
		}
		rm -f "$tmp/root/prism-image-setup"
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
		touch "$tmp/root/.prism-image-ok"
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		for old in "$PRISM_IMAGE_CACHE"/ansible-*; do
			[ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
		done
	) 9>"$PRISM_IMAGE_CACHE/ansible.lock" || return 1
	echo "$dir"
}
