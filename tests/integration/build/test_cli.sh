#!/bin/bash
# Every daemon follows the same command-line contract: --help lists each
# flag with its default (incl. --web.listen-address and --log.level) and
# exits 0; --version names the daemon and version and exits 0; an unknown
# flag, a bad value or a positional argument exits 2 with a message naming
# it; every daemon has a man page that renders without warnings.
. "$SRC_DIR/tests/lib/common.sh"
unset MAKEFLAGS MAKELEVEL MFLAGS
progs=$(make -s -C "$SRC_DIR" BUILD="$BUILD_DIR" --no-print-directory print-PROGRAMS)
for p in $progs; do
	n=$(basename "$p")
	out=$("$p" --help 2>&1); rc=$?
	check "$n --help exits 0" test $rc -eq 0
	check "$n --help lists --web.listen-address" grep -q -- '--web.listen-address' <<<"$out"
	check "$n --help lists --log.level" grep -q -- '--log.level' <<<"$out"
	check "$n --help lists --log.format" grep -q -- '--log.format' <<<"$out"
	out=$("$p" --version 2>&1); rc=$?
	check "$n --version exits 0" test $rc -eq 0
	check "$n --version names the daemon and version" grep -q "$n.*0\.[0-9]" <<<"$out"
	out=$("$p" --no-such-flag 2>&1); rc=$?
	check "$n unknown flag exits 2" test $rc -eq 2
	check "$n unknown flag is named" grep -q -- 'no-such-flag' <<<"$out"
	out=$("$p" --log.level=loud 2>&1); rc=$?
	check "$n bad --log.level exits 2" test $rc -eq 2
	check "$n bad --log.level is named" grep -q -- 'log.level' <<<"$out"
	out=$("$p" stray-argument 2>&1); rc=$?
	check "$n positional argument exits 2" test $rc -eq 2
	man=$SRC_DIR/packaging/man/$n.8
	check "$n has a man page" test -f "$man"
	if [ -f "$man" ]; then
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
		check "$n man page renders without warnings" test -z "$warn"
		[ -z "$warn" ] || echo "# $warn"
	fi
done
finish
