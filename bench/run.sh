#!/bin/bash
# Runs each benchmark given (an executable: script or binary) and keeps its
# report in $BUILD_DIR/bench/<name>.txt.  Benchmarks compare prism with its
# peer in the same run and report ratios; they never fail a build on speed.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
export BUILD_DIR SRC_DIR
mkdir -p "$BUILD_DIR/bench"
rc=0
for b in "$@"; do
	name=$(basename "$b")
	echo "==== $name"
	"$b" 2>&1 | tee "$BUILD_DIR/bench/$name.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "bench $name failed"; rc=1; }
done
exit $rc
