#!/bin/bash
# The Makefile as a package build meets it: fragments by an explicit list (a
# quilt .pc/ copy is not read), -Werror that a distribution can turn off, the
# version from one file and a REVISION that needs no git.
. "$SRC_DIR/tests/lib/common.sh"
d=$(tmpdir_new)
cd "$SRC_DIR" || exit 1

# Every fragment in the tree is listed once in FRAGMENTS.
frags=$(make -s --no-print-directory print-FRAGMENTS | tr ' ' '\n' | sed '/^$/d' | sort)
found=$(find . \( -path ./.git -o -path './build*' -o -path ./var -o -path ./dist -o -path './.pc' \) -prune \
	-o -name '*.mk' -print | sed 's|^\./||' | sort)
check "every .mk fragment is in the Makefile's FRAGMENTS" [ "$frags" = "$found" ]
[ "$frags" = "$found" ] || diff <(echo "$frags") <(echo "$found")
check "no fragment listed twice" [ -z "$(uniq -d <<<"$frags")" ]

# A copy of the source tree without .git, as a source package is, with a
# quilt .pc/ copy of a fragment (dpkg-source leaves one after patching).
src="$d/src"
mkdir -p "$src"
git ls-files -z | xargs -0 -I{} cp --parents {} "$src/" 2>/dev/null
for f in $(git ls-files --others --exclude-standard); do cp --parents "$f" "$src/"; done
for f in $(git diff --name-only); do cp --parents "$f" "$src/"; done
mkdir -p "$src/.pc/some.patch/orderd"
cp orderd/orderd.mk "$src/.pc/some.patch/orderd/"
tests_before=$(make -s --no-print-directory print-TESTS | tr ' ' '\n' | sed '/^$/d' | sort)
tests_copy=$(make -C "$src" -s --no-print-directory print-TESTS 2>"$d/err" | tr ' ' '\n' | sed '/^$/d' | sort)
check "a .pc/ copy of a fragment is not read (no test registered twice)" [ -z "$(uniq -d <<<"$tests_copy")" ]
check "the copy registers the same tests" [ "$(wc -l <<<"$tests_copy")" = "$(wc -l <<<"$tests_before")" ]
check "no make warnings (overriding recipes)" [ ! -s "$d/err" ]
cat "$d/err"

# Version and revision without git.
check "VERSION comes from the VERSION file" \
	[ "$(make -C "$src" -s --no-print-directory print-VERSION)" = "$(cat VERSION)" ]
rev=$(GIT_DIR=/nonexistent make -C "$src" -s --no-print-directory print-REVISION 2>"$d/err")
check "REVISION without git: 'unknown'" [ "$rev" = unknown ]
check "REVISION without git: no error printed" [ ! -s "$d/err" ]
echo 0123456789ab >"$src/REVISION"
check "REVISION from a REVISION file" \
	[ "$(GIT_DIR=/nonexistent make -C "$src" -s --no-print-directory print-REVISION)" = 0123456789ab ]
if [ -f packaging/debian/changelog ]; then
	deb=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
	check "packaging/debian/changelog's upstream version is VERSION" [ "${deb%-*}" = "$(cat VERSION)" ]
fi

# -Werror by default, off with WERROR= (the package build).
check "-Werror by default" grep -qw -- -Werror <<<"$(make -s --no-print-directory print-WARNINGS)"
check "WERROR= turns it off" bash -c "! make -s --no-print-directory WERROR= print-WARNINGS | grep -qw -- -Werror"
check "CFLAGS and CPPFLAGS reach the compiler" \
	grep -q -- '-DPRISM_TEST_FLAG.*-O0 -fstack-clash-protection' \
	<<<"$(make -n -B CPPFLAGS=-DPRISM_TEST_FLAG CFLAGS='-O0 -fstack-clash-protection' BUILD="$d/b" "$d/b/obj/common/buf.o" 2>&1)"
check "a CPPFLAGS= on the command line keeps the fragments' include paths" \
	grep -q -- '-Iorderd.*-DPRISM_TEST_FLAG' \
	<<<"$(make -n -B CPPFLAGS=-DPRISM_TEST_FLAG BUILD="$d/b" "$d/b/obj/tests/unit/orderd/test_order.o" 2>&1)"
finish
