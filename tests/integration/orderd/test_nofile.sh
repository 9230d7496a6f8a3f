#!/bin/bash
# Under a low RLIMIT_NOFILE orderd lowers --web.max-connections so that the
# API listener's connections, the headroom kept for evicting idle ones and
# the sockets lingering after refused uploads (http_fds_needed), plus the
# database connections and the rest, all fit: the lowered value is logged.
# No database is needed (orderd starts not ready).
. "$SRC_DIR/tests/lib/common.sh"

ORDERD=$BUILD_DIR/orderd
dir=$(tmpdir_new)
printf '[client]\nuser=x\npassword=y\nhost=127.0.0.1\nport=1\n' >"$dir/my.cnf"
chmod 600 "$dir/my.cnf"
(
	ulimit -Sn 1024 && ulimit -Hn 1024 || exit 1
	exec "$ORDERD" --config.my-cnf="$dir/my.cnf" --web.listen-address="127.0.0.1:$(free_port)" \
		--metrics.listen-address="127.0.0.1:$(free_port)" --web.max-connections=4096 \
		--db.pool-size=8 >"$dir/log" 2>&1
) &
pid=$!
on_exit "kill $pid 2>/dev/null"
for ((i = 0; i < 300; i++)); do
	grep -q 'RLIMIT_NOFILE is low' "$dir/log" && break
	sleep 0.1
done
cat "$dir/log"
check "orderd warns that RLIMIT_NOFILE is low" grep -q 'RLIMIT_NOFILE is low.*nofile=1024' "$dir/log"
m=$(sed -n 's/.*RLIMIT_NOFILE is low.* web_max_connections=\([0-9]*\).*/\1/p' "$dir/log")
echo "# lowered to ${m:-?}"
# connections + eviction headroom (m/16 + 16) + 128 lingering + 64 + 2 x pool + 256 others
fits() { [ -n "$m" ] && [ $((m + m / 16 + 16 + 128 + 64 + 2 * 8 + 256)) -le 1024 ]; }
kept() { [ -n "$m" ] && [ "$m" -ge 128 ]; }
check "the lowered limit with its headroom and lingering sockets fits in 1024 descriptors" fits
check "at least 128 connections are kept" kept
check "orderd keeps running" kill -0 "$pid"
kill "$pid"
wait "$pid"
check "SIGTERM: exit 0" [ $? = 0 ]
finish
