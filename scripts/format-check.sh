#!/bin/bash
# Which C files differ from what clang-format-14 makes of them with the
# tree's .clang-format, and how many lines a one-time reformat would change.
#   scripts/format-check.sh            list files and changed-line counts; exit 1 if any differ
#   scripts/format-check.sh -d FILE..  show the diff for FILEs (default: all)
# Reads only; never rewrites a file.  Exit 2 when clang-format-14 is missing.
set -u
cd "$(dirname "$0")/.." || exit 2
CF=${CLANG_FORMAT:-clang-format-14}
command -v "$CF" >/dev/null || { echo "format-check: $CF not installed (make deps)" >&2; exit 2; }
show_diff=0
[ "${1:-}" = -d ] && { show_diff=1; shift; }
if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
fi
total=0 nfiles=0
for f in "${files[@]}"; do
	# lines removed + added by the reformat, as diff counts them
	d=$("$CF" --style=file "$f" | diff -u "$f" - | tail -n +3)
	[ -z "$d" ] && continue
	n=$(grep -c '^[-+]' <<<"$d")
	total=$((total + n))
	nfiles=$((nfiles + 1))
	if [ "$show_diff" = 1 ]; then
		printf '%s\n' "--- $f" "$d"
	else
		printf '%6d  %s\n' "$n" "$f"
	fi
done
echo "format-check: $nfiles of ${#files[@]} files differ from $CF; a reformat would change $total lines (removed + added)"
[ "$nfiles" -eq 0 ]
