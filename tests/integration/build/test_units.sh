#!/bin/bash
# The packages' systemd units (packaging/debian/*.service): what issue 11
# asks of each, and a hardening score of at most 2.0 ("OK") in
# `systemd-analyze security --offline=yes` (Debian's own exporters: 9.2).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/need.sh"
need systemd-analyze
d=$(tmpdir_new)
for unit in orderd host-exporter mysql-exporter; do
	f="$SRC_DIR/packaging/debian/$unit.service"
	check "$unit: unit exists" test -f "$f"
	for want in Type=notify "User=$unit" "EnvironmentFile=-/etc/default/$unit" \
		"ExecStart=/usr/sbin/$unit \$ARGS" 'ExecReload=/bin/kill -HUP $MAINPID' \
		Restart=on-failure RestartPreventExitStatus=2 "Documentation=man:$unit(8)"; do
		check "$unit: $want" grep -qxF -- "$want" "$f"
	done
	check "$unit: WatchdogSec set" grep -qE '^WatchdogSec=[1-9]' "$f"
	check "$unit: /etc/default/$unit ships an ARGS= line" \
		grep -qE '^ARGS=' "$SRC_DIR/packaging/debian/$unit.default"
	# systemd-analyze verify wants the binary where ExecStart says: point it at the build.
	sed "s|/usr/sbin/$unit|$BUILD_DIR/$unit|" "$f" >"$d/$unit.service"
	out=$(systemd-analyze security --offline=yes --threshold=20 "$d/$unit.service" 2>&1)
	rc=$?
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$out")
	echo "# $unit.service: exposure $score"
	check "$unit: systemd-analyze security <= 2.0 (got $score)" test "$rc" = 0 -a -n "$score"
done
finish
