# need: what a test needs from outside the build tree (a server, a tool).
# Source it (bash): . "$SRC_DIR/tests/lib/need.sh"
#
#   need CMD-OR-PATH...
#       Each argument must be an executable: a name on PATH, or an absolute
#       path.  When one is missing the test ends here:
#         - with PRISM_OFFLINE=1 (the package build, `make check-offline`,
#           which has no apt and no network): exit 77, skip;
#         - otherwise (`make check`, CI, which install every dependency with
#           make deps): exit 1, a failure — a real-server test never skips
#           silently there.

need() {
	local c missing=()
	for c in "$@"; do
		case $c in
		/*) [ -x "$c" ] || missing+=("$c") ;;
		*) command -v "$c" >/dev/null 2>&1 || missing+=("$c") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "${PRISM_OFFLINE:-0}" = 1 ]; then
		echo "skip: ${missing[*]} not installed (PRISM_OFFLINE=1)"
		exit 77
	fi
	echo "FAIL: ${missing[*]} not installed: run make deps (only PRISM_OFFLINE=1 skips)" >&2
	exit 1
}
