#!/bin/bash
# `make install DESTDIR=... PREFIX=/usr` puts every daemon and its man page
# where packaging expects them, executable and runnable.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
unset MAKEFLAGS MAKELEVEL MFLAGS
progs=$(make -s -C "$SRC_DIR" BUILD="$BUILD_DIR" --no-print-directory print-PROGRAMS)
mans=$(make -s -C "$SRC_DIR" BUILD="$BUILD_DIR" --no-print-directory print-MANPAGES)
check "make install succeeds" make -s -C "$SRC_DIR" BUILD="$BUILD_DIR" install DESTDIR="$d/root" PREFIX=/usr
[ -n "$progs" ] || fail "no programs listed"
for p in $progs; do
	n=$(basename "$p")
	check "$n installed executable in /usr/sbin" test -x "$d/root/usr/sbin/$n"
	check "$n installed binary runs --version" "$d/root/usr/sbin/$n" --version
done
for m in $mans; do
	n=$(basename "$m")
	check "$n installed in man8" test -f "$d/root/usr/share/man/man8/$n"
done
# Nothing is installed outside DESTDIR's /usr.
check "nothing outside /usr" test -z "$(cd "$d/root" && find . -mindepth 1 -maxdepth 1 ! -name usr)"
finish
