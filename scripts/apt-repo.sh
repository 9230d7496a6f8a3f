#!/bin/bash
# make apt-repo: a signed flat apt repository of dist/*.deb in dist/apt/.
#   dist/apt/Packages(.gz), Release, InRelease, Release.gpg   the repository
#   dist/apt/prism-archive-keyring.gpg                      its public key
#   dist/apt/prism.sources                                  the sources entry
# The signing key is made once (dist/apt-key/, a GnuPG home; keep it private
# and back it up to sign later releases with the same key) unless
# PRISM_APT_GNUPGHOME names an existing one.  PRISM_APT_URI (default
# file://<dist/apt>) is the address hosts use in prism.sources.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${DIST:-$PWD/dist}
repo="$dist/apt"
export GNUPGHOME=${PRISM_APT_GNUPGHOME:-$dist/apt-key}
# gpg starts a gpg-agent for its home that outlives this script: the one
# this script starts is stopped at exit (one already running for that home
# is the caller's to keep)
agent=
[ -d "$GNUPGHOME" ] && agent=$(gpg-connect-agent --no-autostart "GETINFO pid" /bye 2>/dev/null || :)
case $agent in
"D "*) ;;
*) trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || :' EXIT ;;
esac
uri=${PRISM_APT_URI:-file://$repo}
ls "$dist"/*.deb >/dev/null 2>&1 || { echo "apt-repo: no packages in $dist (make deb)" >&2; exit 2; }

if [ ! -d "$GNUPGHOME" ] || ! gpg --batch --list-secret-keys prism >/dev/null 2>&1; then
	mkdir -p -m 0700 "$GNUPGHOME"
	gpg --batch --quiet --passphrase '' --quick-gen-key \
		'prism archive signing key <prism-maintainers@lists.example.org>' ed25519 sign never
fi
fpr=$(gpg --batch --with-colons --list-secret-keys prism | awk -F: '/^fpr/ { print $10; exit }')

rm -rf "$repo"
mkdir -p "$repo"
cp "$dist"/*.deb "$repo/"
(
	cd "$repo"
	apt-ftparchive packages . >Packages
	gzip -9nk Packages
	apt-ftparchive -o APT::FTPArchive::Release::Origin=prism \
		-o APT::FTPArchive::Release::Label=prism \
		-o APT::FTPArchive::Release::Suite=bookworm \
		-o APT::FTPArchive::Release::Codename=bookworm release . >Release
	gpg --batch --yes --local-user "$fpr" --clearsign -o InRelease Release
	gpg --batch --yes --local-user "$fpr" --detach-sign --armor -o Release.gpg Release
	gpg --batch --export "$fpr" >prism-archive-keyring.gpg
)
cat >"$repo/prism.sources" <<SRC
Types: deb
URIs: $uri
Suites: ./
Signed-By: /usr/share/keyrings/prism-archive-keyring.gpg
SRC
echo "apt-repo: $(ls "$repo"/*.deb | wc -l) packages in $repo, signed by $fpr"
