# Debian 12 container images for tests that need a whole machine: a fresh
# install (make test-fresh), the packages (make test-packages), Ansible.
# Source it: . "$SRC_DIR/tests/lib/image.sh"   (bash; run as root)
#
#   dir=$(image_ensure NAME "PKG ..." [SETUP])
#       A debootstrap'ed bookworm (minbase + PKGs) cached OUTSIDE the clone in
#       $PRISM_IMAGE_CACHE (default /var/tmp/prism-images), keyed by a hash of
#       its recipe (suite, mirror, package list, SETUP script): built once
#       (about a minute), then reused.  SETUP is a shell script run inside the
#       new image (as its pid 2, with the host network) before it is frozen.
#       The image directory is never written once built; run it with:
#   image_run DIR [NSPAWN-OPTION...] -- CMD...
#       CMD inside an ephemeral copy of DIR (systemd-nspawn --ephemeral: the
#       copy is removed when CMD ends), as pid 2, with the host's network so
#       apt works.  Exit status is CMD's.
#   image_boot DIR NAME [NSPAWN-OPTION...]
#       Boot DIR with systemd as pid 1 on a volatile overlay (writes vanish
#       at stop) in the background, wait until systemd is up; the container
#       is then reached with image_exec NAME CMD... and stopped by
#       image_stop NAME (also registered to run at exit).
#
# Images are plain directories; `rm -rf /var/tmp/prism-images` resets the
# cache.  A build is serialised by a lock per NAME, so parallel tests share
# one build.

: "${PRISM_IMAGE_CACHE:=/var/tmp/prism-images}"
# Bump when the way an image is made changes (what the key does not see).
_IMAGE_RECIPE=2

# The mirror a fresh machine of this kind uses: the first URIs: line of
# Debian's deb822 sources, else the classic sources.list, else deb.debian.org.
image_mirror() {
	local m=""
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
		m=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' /etc/apt/sources.list)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

_image_need() {
	local t
	for t in debootstrap systemd-nspawn flock sha256sum; do
		command -v "$t" >/dev/null || { echo "image.sh: $t is missing (make deps)" >&2; return 1; }
	done
	[ "$(id -u)" -eq 0 ] || { echo "image.sh: needs root" >&2; return 1; }
	mkdir -p /run/systemd/nspawn "$PRISM_IMAGE_CACHE"
}

# image_key NAME PKGS SETUP: the cache key (16 hex digits) of a recipe.
image_key() {
	local pkgs
	pkgs=$(printf '%s\n' $2 | sort -u | tr '\n' ' ')
	printf 'recipe=%s\nsuite=bookworm\nmirror=%s\nname=%s\npkgs=%s\nsetup=%s\n' \
		"$_IMAGE_RECIPE" "$(image_mirror)" "$1" "$pkgs" "${3:-}" | sha256sum | cut -c1-16
}

image_ensure() {
	local name=$1 pkgs=$2 setup=${3:-} key dir tmp mirror incl rc
	_image_need || return 1
	key=$(image_key "$name" "$pkgs" "$setup")
	dir="$PRISM_IMAGE_CACHE/$name-$key"
	(
		flock 9
		[ -f "$dir/.prism-image-ok" ] && exit 0
		mirror=$(image_mirror)
		tmp=$(mktemp -d "$PRISM_IMAGE_CACHE/.build-$name.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		incl=$(printf '%s\n' $pkgs | sort -u | paste -sd, -)
		echo "image.sh: building $dir (debootstrap minbase${incl:+ + $incl}; $mirror)" >&2
		debootstrap --variant=minbase ${incl:+--include="$incl"} bookworm "$tmp/root" "$mirror" \
			>"$tmp/debootstrap.log" 2>&1 || {
			tail -n 30 "$tmp/debootstrap.log" >&2
			exit 1
		}
		# The /etc/hosts the Debian installer writes (debootstrap writes none,
		# and without it "localhost" goes to DNS).
		[ -s "$tmp/root/etc/hosts" ] || printf '%s\n' '127.0.0.1	localhost' \
			'::1		localhost ip6-localhost ip6-loopback' 'ff02::1		ip6-allnodes' \
			'ff02::2		ip6-allrouters' >"$tmp/root/etc/hosts"
		# Debian's own sources (updates and security too), as a fresh install has them.
		if [ -r /etc/apt/sources.list.d/debian.sources ]; then
			cp /etc/apt/sources.list.d/debian.sources "$tmp/root/etc/apt/sources.list.d/"
			rm -f "$tmp/root/etc/apt/sources.list"
		fi
		if [ -n "$setup" ]; then
			printf '%s\n' "$setup" >"$tmp/root/prism-image-setup"
			systemd-nspawn -q -D "$tmp/root" --register=no --keep-unit --as-pid2 \
				/bin/sh -eu /prism-image-setup >"$tmp/setup.log" 2>&1
			rc=$?
			rm -f "$tmp/root/prism-image-setup"
			[ "$rc" -eq 0 ] || { tail -n 30 "$tmp/setup.log" >&2; exit 1; }
		fi
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_Packages
		touch "$tmp/root/.prism-image-ok"
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		# Older recipes of this NAME are dead weight now.
		for old in "$PRISM_IMAGE_CACHE/$name"-*; do
			[ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
		done
	) 9>"$PRISM_IMAGE_CACHE/$name.lock" || return 1
	echo "$dir"
}

image_run() {
	local dir=$1
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = "--" ] && shift
	_image_need || return 1
	systemd-nspawn -q -D "$dir" --ephemeral --register=no --keep-unit --as-pid2 \
		--resolv-conf=copy-host "${opts[@]}" "$@"
}

declare -A _image_nspawn_pid=() _image_init_pid=()

# _image_find_init NSPAWN-PID: the container's init, the child of nspawn in
# a PID namespace of its own.  Not just the first child: nspawn's "outer
# child" (same PID namespace, gone once the container runs) can be the one
# pgrep sees first, and every nsenter into it then failed until the boot
# timed out ("did not finish booting (state: )", once in a run here).
_image_find_init() {
	local pid=$1 c own
	own=$(readlink "/proc/$pid/ns/pid") || return 1
	for c in $(pgrep -P "$pid"); do
		[ "$(readlink "/proc/$c/ns/pid" 2>/dev/null)" != "$own" ] || continue
		echo "$c"
		return 0
	done
	return 1
}

# _image_init_ok NSPAWN-PID INIT-PID: INIT is still what _image_find_init
# found -- alive, nspawn's child (one read of /proc/INIT/stat: pids are
# recycled) and in a PID namespace other than nspawn's.
_image_init_ok() {
	local s
	[ -n "$2" ] || return 1
	{ read -r s <"/proc/$2/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ] || return 1
	s=${s#* }
	[ "${s%% *}" = "$1" ] || return 1
	[ "$(readlink "/proc/$2/ns/pid" 2>/dev/null)" != "$(readlink "/proc/$1/ns/pid")" ]
}

# image_boot DIR NAME [NSPAWN-OPTION...]
image_boot() {
	local dir=$1 name=$2 log i pid init state
	shift 2
	_image_need || return 1
	log="${TMPDIR:-/tmp}/prism-boot-$name.log"
	systemd-nspawn -q -D "$dir" -M "$name" --volatile=overlay --register=no --keep-unit -b \
		--resolv-conf=copy-host "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	_image_nspawn_pid[$name]=$pid
	declare -F on_exit >/dev/null && on_exit "image_stop $name"
	for ((i = 0; i < 600; i++)); do
		init=$(_image_find_init "$pid")
		[ -n "$init" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
		sleep 0.1
	done
	[ -n "$init" ] || return 1
	_image_init_pid[$name]=$init
	local err="${TMPDIR:-/tmp}/prism-boot-$name.err"
	for ((i = 0; i < 600; i++)); do
		# The pid we enter must still be the container's init: every try
		# checks it, and looks again at once when it is not (a pid taken
		# while nspawn was still setting up answers nothing for good).
		_image_init_ok "$pid" "${_image_init_pid[$name]}" ||
			{ init=$(_image_find_init "$pid") && _image_init_pid[$name]=$init; }
		state=$(image_exec "$name" systemctl is-system-running 2>"$err")
		case $state in
		running | degraded) return 0 ;;
		esac
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
		# No answer at all (not even "starting"): nsenter or systemctl
		# failed (systemd's private socket not there yet, or something
		# the init check above does not see); look for init again now
		# and then, as before.
		if [ -z "$state" ] && ((i % 20 == 19)); then
			init=$(_image_find_init "$pid") && _image_init_pid[$name]=$init
		fi
		sleep 0.1
	done
	echo "image.sh: $name did not finish booting (state: $state; init ${_image_init_pid[$name]}," \
		"nspawn's children: $(pgrep -P "$pid" | tr '\n' ' '); last error: $(head -c 500 "$err"))" >&2
	return 1
}

# image_exec NAME CMD...: run CMD inside the booted container NAME (all of its
# namespaces, its root), with a plain environment.
image_exec() {
	local name=$1
	shift
	nsenter -t "${_image_init_pid[$name]}" -a \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# nspawn_stop SECONDS NSPAWN-PID...: power booted containers off, all at
# once, and wait up to SECONDS for their systemd-nspawn to exit.  Each
# container's init (found now: a recorded pid may be stale) gets SIGRTMIN+4,
# a clean poweroff; without an init, nspawn gets SIGTERM (it halts the
# container itself).  A container still up after SECONDS is named on stderr
# with what is still running in it, then its init gets SIGKILL, which ends
# its whole PID namespace.  SIGKILL to nspawn alone is not enough: the
# container's systemd then lives on, re-parented (CI's e2e left systemd and
# journald running that way, caught by tests/run.sh).  Returns 1 if some
# container had to be killed.
nspawn_stop() {
	local secs=$1 pid init rc=0 t0=$SECONDS
	shift
	[ $# -gt 0 ] || return 0
	for pid; do
		pid_live "$pid" || continue
		init=$(_image_find_init "$pid")
		if [ -n "$init" ]; then kill -RTMIN+4 "$init" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
	done
	if ! wait_gone "$secs" "$@"; then
		rc=1
		for pid; do
			pid_live "$pid" || continue
			init=$(_image_find_init "$pid")
			echo "# nspawn_stop: container of nspawn $pid not down $((SECONDS - t0)) s after poweroff;" \
				"running jobs: $(timeout 5 nsenter -t "${init:-$pid}" -a systemctl list-jobs --no-legend 2>&1 |
					awk '$4 == "running" { printf "%s %s; ", $2, $3 }' | head -c 1000)" >&2
			echo "# nspawn_stop: its processes: $(ps -o pid=,args= --ppid "${init:-$pid}" 2>/dev/null |
				head -n 20 | tr -s ' \n' ' ')" >&2
			if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null; else kill -KILL "$pid" 2>/dev/null; fi
		done
		if ! wait_gone 10 "$@"; then
			for pid; do pid_live "$pid" && kill -KILL "$pid" 2>/dev/null; done
			wait_gone 5 "$@"
		fi
	fi
	wait "$@" 2>/dev/null
	return $rc
}

# image_stop NAME: power the container off and wait for nspawn (nspawn_stop,
# 60 s).  The poweroff goes to init as found now: the two boots that timed
# out here had recorded a wrong pid, so their poweroff reached nobody,
# nspawn was SIGKILLed a minute later and left
# /run/systemd/nspawn/propagate/NAME behind.
image_stop() {
	local name=$1 pid
	pid=${_image_nspawn_pid[$name]:-}
	[ -n "$pid" ] || return 0
	nspawn_stop 60 "$pid"
	unset "_image_nspawn_pid[$name]"
	return 0
}
