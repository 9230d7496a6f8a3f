# debdeps_of DIR: the packages DIR/*.deb depend on (the first of each
# alternative, without versions), other than those debs themselves: what a
# container image must already hold for them to install with no Debian
# mirror.  Test images add this to their package lists (and so to their
# cache keys), so a new library dependency of ours (libprotobuf-c1 came
# with the protobuf exposition) rebuilds the image instead of breaking
# `apt install` in a container without network.
debdeps_of() {
	local d own
	compgen -G "$1/*.deb" >/dev/null || return 0
	own=$(for d in "$1"/*.deb; do dpkg-deb -f "$d" Package; done | sort -u)
	for d in "$1"/*.deb; do dpkg-deb -f "$d" Depends; done |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u |
		grep -vxF -f <(printf '%s\n' $own)
}
