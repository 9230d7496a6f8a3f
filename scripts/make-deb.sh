#!/bin/bash
# make deb: the Debian source package (packaging/debian/ becomes debian/ of a
# copy of the tree) and its binary packages, built with
# `dpkg-buildpackage -us -uc -b`, into dist/:
#   dist/prism_VERSION.dsc + .tar.xz     the source package (for clean-room builds)
#   dist/*.deb, dist/*.changes           the binary packages
# PRISM_DEB_VERSION=V builds version V instead of packaging/debian/changelog's
# (a changelog entry is added in the copy only: upgrade tests).
# DEB_BUILD_OPTIONS is honoured (nocheck skips make check-offline).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
dist=${DIST:-$top/dist}
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
[ -n "${PRISM_DEB_VERSION:-}" ] && version=$PRISM_DEB_VERSION
stage="$dist/build"
src="$stage/prism-$version"
rm -rf "$stage"
mkdir -p "$src"

# The files of the tree as git knows them (tracked and new, not ignored),
# in their working-tree state; no .git, no build output.
{ git ls-files -z; git ls-files -z --others --exclude-standard; } |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
rm -rf "$src/packaging/debian.in"
cp -a packaging/debian "$src/debian"
# The commit, for --version, where a source package has no git.
git rev-parse --short=12 HEAD >"$src/REVISION" 2>/dev/null || echo unknown >"$src/REVISION"
if [ "$version" != "$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)" ]; then
	{
		printf 'prism (%s) bookworm; urgency=medium\n\n  * Rebuild as %s.\n\n' "$version" "$version"
		printf ' -- prism maintainers <prism-maintainers@lists.example.org>  %s\n\n' "$(date -R)"
		cat packaging/debian/changelog
	} >"$src/debian/changelog"
fi

(cd "$stage" && dpkg-source -b "prism-$version" >/dev/null)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1 || {
	tail -n 60 "$stage/build.log"
	echo "make deb: dpkg-buildpackage failed; whole log in $stage/build.log" >&2
	exit 1
}
mkdir -p "$dist"
mv "$stage"/*.deb "$stage"/*.changes "$stage"/*.buildinfo "$stage"/*.dsc "$stage"/*.tar.* "$dist/"
ls -1 "$dist"/*"$version"*
