# The image of make test-systemd (sourced): a booted Debian 12 with systemd
# as pid 1, D-Bus, Debian's node_exporter 1.5 (the peer; its own service
# disabled) and host-exporter's shared libraries (the build dir is
# bind-mounted).  Its own key, so the package-test image is unchanged.
SYSTEMD_IMAGE_PKGS="systemd systemd-sysv dbus curl prometheus-node-exporter
libmicrohttpd12 libsystemd0 libdeflate0 libyaml-0-2 libcrypt1 libgnutls30 libpcre2-8-0
libprotobuf-c1 zlib1g"
SYSTEMD_IMAGE_SETUP='systemctl disable prometheus-node-exporter.service >/dev/null 2>&1 || true'
