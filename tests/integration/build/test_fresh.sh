#!/bin/bash
# The README's promise on a fresh Debian 12 machine: a clone of HEAD, then the
# README's test command, as a new user would type it.  The machine is a
# debootstrap minbase with git and make (cached under /var/tmp, see
# tests/lib/image.sh), with a /usr/sbin/policy-rc.d as Debian's container
# images ship one; it is run as an ephemeral copy, so every run starts fresh.
#
# FRESH_MODE=check (default) runs `make check` there: make deps, build, every
# test.  FRESH_MODE=smoke runs `make deps`, `make` and a smoke test (the
# daemons' --version and the CLI/install tests) when the whole is too long.
# Run by `make test-fresh` (and .ci/run); needs root and the network for apt.
set -u
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/image.sh"

die() { echo "FAIL: $*"; exit 1; }
mode=${FRESH_MODE:-check}
ref=${FRESH_REF:-HEAD}	# another commit, to see this test fail on an old one
case $mode in check | smoke) ;; *) echo "FRESH_MODE must be check or smoke" >&2; exit 2 ;; esac

# A fresh machine of this kind: Debian 12 minbase, git, make, and the
# policy-rc.d that Debian's container images carry (exit 101: no service
# starts during package installs).
setup='printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d'
t0=$(date +%s)
img=$(image_ensure fresh "git make ca-certificates" "$setup") || die "could not build the fresh image"
echo "image: $img ($(( $(date +%s) - t0 )) s)"

d=$(tmpdir_new)
# A throwaway bare repository holding $ref as its main branch: the clone's origin.
git init -q --bare "$d/prism.git" &&
	git -C "$SRC_DIR" push -q "$d/prism.git" "$(git -C "$SRC_DIR" rev-parse "$ref"):refs/heads/main" &&
	git -C "$d/prism.git" symbolic-ref HEAD refs/heads/main || die "could not export $ref"
echo "testing $ref = $(git -C "$SRC_DIR" rev-parse --short "$ref")"

# What the new user types (README, "Set up on a fresh Debian 12 machine"),
# then what this test asserts about the machine afterwards.
cat >"$d/script" <<'SCRIPT'
set -u
# nspawn gives its payload a NOTIFY_SOCKET (for the container's readiness);
# a user's shell on a machine has none.
unset NOTIFY_SOCKET
cd /root
git clone -q /srv/prism.git prism || exit 10
cd prism
policy_before=$(cat /usr/sbin/policy-rc.d)
if [ "$FRESH_MODE" = check ]; then
	make check 2>&1 | tee /srv/out/make-check.log
	rc=${PIPESTATUS[0]}
	echo "make check exit $rc"
else
	make deps && make -j2 && make test-only TEST_FILTER=tests/integration/build/test_
	rc=$?
	for b in build/orderd build/host-exporter build/mysql-exporter; do
		"$b" --version || rc=11
	done
	echo "smoke exit $rc"
fi
# make deps must leave the machine's own policy-rc.d as it found it.
[ "$(cat /usr/sbin/policy-rc.d 2>/dev/null)" = "$policy_before" ] || { echo "policy-rc.d changed"; rc=12; }
# A second make deps has nothing to do and says so, exit 0.
scripts/deps.sh || { echo "second make deps failed"; rc=13; }
exit $rc
SCRIPT
mkdir -p "$d/out"
t1=$(date +%s)
image_run "$img" --bind-ro="$d/prism.git:/srv/prism.git" --bind-ro="$d/script:/srv/script" \
	--bind="$d/out:/srv/out" --setenv=FRESH_MODE="$mode" -- /bin/bash /srv/script
rc=$?
echo "fresh $mode: exit $rc after $(( $(date +%s) - t1 )) s in the container"
[ "$rc" -eq 0 ] || die "the README's command failed on a fresh Debian 12 (exit $rc)"
if [ "$mode" = check ]; then
	tail -n 1 "$d/out/make-check.log" | grep -Eq '^[0-9]+ passed, 0 failed, [0-9]+ skipped$' ||
		die "make check did not end with 'N passed, 0 failed, N skipped'"
fi
echo "fresh $mode: ok"
