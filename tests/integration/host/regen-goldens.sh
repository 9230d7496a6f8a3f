#!/bin/bash
# make host-goldens: regenerate tests/fixtures/host/golden from the current
# host-exporter, show the diff, and write it only when asked to
# (HOST_GOLDENS_CONFIRM=yes).  The regeneration runs on a copy of the
# fixture tree, so nothing is overwritten silently; the values the goldens
# mask are checked against their sources first (test_masked_values.sh), so
# a regeneration cannot bless a bug hidden behind MASKED.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
golden=$SRC_DIR/tests/fixtures/host/golden
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prism-goldens.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/integration" "$tmp/tests/fixtures"
cp -a "$SRC_DIR/tests/lib" "$tmp/tests/"
cp -a "$SRC_DIR/tests/fixtures/host" "$tmp/tests/fixtures/"
cp -a "$SRC_DIR/tests/integration/host" "$tmp/tests/integration/"
if ! SRC_DIR=$tmp BUILD_DIR=$BUILD_DIR "$tmp/tests/integration/host/test_fixtures.sh" --regenerate >"$tmp/regen.log" 2>&1; then
	cat "$tmp/regen.log"
	echo "host-goldens: regeneration failed" >&2
	exit 1
fi
if diff -ruN "$golden" "$tmp/tests/fixtures/host/golden" >"$tmp/golden.diff"; then
	echo "host-goldens: the goldens already match the current output; nothing to write"
	exit 0
fi
sed -e "s|$tmp/tests/fixtures/host/golden|golden (new)|" -e "s|$golden|golden|" "$tmp/golden.diff"
echo "host-goldens: $(grep -c '^[-+][^-+]' "$tmp/golden.diff") changed lines in $(grep -c '^diff ' "$tmp/golden.diff") file(s)"
if [ "${HOST_GOLDENS_CONFIRM:-}" != yes ]; then
	echo "host-goldens: nothing written; review the diff above, then: make host-goldens HOST_GOLDENS_CONFIRM=yes" >&2
	exit 1
fi
if ! "$SRC_DIR/tests/integration/host/test_masked_values.sh" >"$tmp/masked.log" 2>&1; then
	cat "$tmp/masked.log"
	echo "host-goldens: the masked values disagree with their sources (above): nothing written" >&2
	exit 1
fi
cp "$tmp/tests/fixtures/host/golden/"*.prom "$golden/"
echo "host-goldens: written to $golden; commit the diff above with the change that caused it"
