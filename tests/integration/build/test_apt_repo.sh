#!/bin/bash
# scripts/apt-repo.sh (make apt-repo, make test-packages) signs a repository
# of the packages in $DIST with a key of its own, and stops the gpg-agent
# that gpg started for that key's home when it ends (one was left running
# after every make test-packages); an agent the caller already runs for a
# home it names (PRISM_APT_GNUPGHOME, as test-packages' upgrade repository
# does) is the caller's and is kept.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/need.sh"
need gpg gpgv gpgconf gpg-connect-agent apt-ftparchive dpkg-deb
d=$(tmpdir_new)

# agent_up HOME: a gpg-agent answers for that home (never starts one)
agent_up() {
	case $(GNUPGHOME=$1 gpg-connect-agent --no-autostart "GETINFO pid" /bye 2>/dev/null) in
	"D "*) return 0 ;;
	esac
	return 1
}
agent_down() { ! agent_up "$1"; }
on_exit "GNUPGHOME='$d/dist/apt-key' gpgconf --kill gpg-agent"

mkdir -p "$d/pkg/DEBIAN" "$d/dist" "$d/up"
cat >"$d/pkg/DEBIAN/control" <<EOF
Package: prism-apt-probe
Version: 1.0
Architecture: all
Maintainer: prism tests <tests@example.org>
Description: a package for test_apt_repo
EOF
dpkg-deb --build -Zgzip "$d/pkg" "$d/dist/prism-apt-probe_1.0_all.deb" >/dev/null ||
	{ fail "dpkg-deb could not build the probe package"; finish; }
cp "$d/dist/prism-apt-probe_1.0_all.deb" "$d/up/"

DIST=$d/dist "$SRC_DIR/scripts/apt-repo.sh" >"$d/out" 2>&1
check "apt-repo.sh with a key home of its own exits 0" [ $? -eq 0 ]
check "its Packages lists the package" grep -qx 'Package: prism-apt-probe' "$d/dist/apt/Packages"
check "its InRelease verifies with the key it exported" \
	gpgv --keyring "$d/dist/apt/prism-archive-keyring.gpg" "$d/dist/apt/InRelease"
check "no gpg-agent is left running for its key home" agent_down "$d/dist/apt-key"

GNUPGHOME=$d/dist/apt-key gpg-connect-agent /bye >/dev/null 2>&1
check "(the caller's own agent for that home is up)" agent_up "$d/dist/apt-key"
DIST=$d/up PRISM_APT_GNUPGHOME=$d/dist/apt-key "$SRC_DIR/scripts/apt-repo.sh" >"$d/out2" 2>&1
check "apt-repo.sh with the caller's key home exits 0" [ $? -eq 0 ]
check "the same key signs it" cmp -s "$d/dist/apt/prism-archive-keyring.gpg" "$d/up/apt/prism-archive-keyring.gpg"
check "the caller's agent is kept" agent_up "$d/dist/apt-key"
GNUPGHOME=$d/dist/apt-key gpgconf --kill gpg-agent
DIST=$d/up PRISM_APT_GNUPGHOME=$d/dist/apt-key "$SRC_DIR/scripts/apt-repo.sh" >"$d/out3" 2>&1
check "with no agent up for the caller's home, it stops the one it started" agent_down "$d/dist/apt-key"
finish
