#!/bin/bash
# make deb-clean-room: build dist/prism_VERSION.dsc (from make deb) as
# Debian's builders do: in a fresh Debian 12 holding only build-essential,
# then `apt-get build-dep` of the .dsc (its declared Build-Depends and nothing
# else), then dpkg-buildpackage without network (unshare -n: loopback only), running the
# offline tests.  A missing Build-Depends fails here.  The .debs land in
# dist/clean-room/.  The base image is cached (tests/lib/image.sh); every
# build runs in an ephemeral copy of it.  Needs root and apt's network.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SRC_DIR=$top
dist=${DIST:-$top/dist}
. "$top/tests/lib/image.sh"
dsc=$(ls -t "$dist"/prism_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || { echo "deb-clean-room: no dist/prism_*.dsc (make deb)" >&2; exit 2; }
img=$(image_ensure build "build-essential ca-certificates")
out="$dist/clean-room"
rm -rf "$out"
mkdir -p "$out"
cat >"$out/build.sh" <<'SCRIPT'
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# iproute2 is the builder's, not the package's: it brings loopback up in
# the build's network namespace (sbuild's builds have loopback too).
apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
apt-get build-dep -y -qq --no-install-recommends "/srv/dist/$DSC" >/dev/null
dpkg-source -x "/srv/dist/$DSC" /root/src >/dev/null
cd /root/src
# The build itself has no network: what it needs must be declared.
if unshare -n true 2>/dev/null; then
	unshare -n sh -c 'ip link set lo up && exec dpkg-buildpackage -us -uc -b'
else
	echo "unshare -n not possible here: building with the network" >&2
	dpkg-buildpackage -us -uc -b
fi
cp /root/*.deb /root/*.changes /root/*.buildinfo /srv/out/
SCRIPT
# CAP_NET_ADMIN: to bring loopback up inside the build's own namespace
# (nspawn keeps it only with --private-network, which would cut apt off).
image_run "$img" --capability=CAP_NET_ADMIN --bind-ro="$dist:/srv/dist" --bind="$out:/srv/out" \
	--setenv=DSC="$(basename "$dsc")" -- /bin/bash /srv/out/build.sh >"$out/build.log" 2>&1 || {
	tail -n 60 "$out/build.log"
	echo "deb-clean-room: build failed; log in $out/build.log" >&2
	exit 1
}
grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/build.log" || true
ls -1 "$out"/*.deb
