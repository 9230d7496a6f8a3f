#!/bin/bash
# A listen address given as a name with both an IPv4 and an IPv6 address
# ("localhost" where /etc/hosts lists 127.0.0.1 and ::1, as Debian's
# installer writes it) listens on the IPv4 one, as Go's net.Listen does:
# getaddrinfo's RFC 6724 order puts ::1 first there, and a daemon told
# --web.listen-address=localhost:9100 must answer on 127.0.0.1:9100.
# Runs in a private mount namespace with its own /etc/hosts (nothing on the
# host changes).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
d=$(tmpdir_new)
not() { ! "$@"; }

[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || { echo "needs root and unshare"; exit 77; }
ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || { echo "no IPv6 loopback"; exit 77; }

printf '%s\n' '::1	localhost ip6-localhost' '127.0.0.1	localhost' >"$d/hosts"
port=$(free_port)
# Inside the namespace: resolve as glibc does there, then serve.
unshare --mount --propagation private sh -c '
	mount --bind "$1" /etc/hosts || exit 1
	getent ahosts localhost | head -n 1 >"$2/first"
	exec "$3" --web.listen-address="localhost:$4"' sh "$d/hosts" "$d" "$EXAMPLED" "$port" \
	>"$d/ex.log" 2>&1 &
pid=$!
on_exit "kill -KILL $pid"
wait_port "$port" 10
check "in the namespace getaddrinfo lists ::1 first for localhost" grep -q '^::1' "$d/first"
check "localhost:PORT answers on 127.0.0.1" curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/-/healthy"
check "... and not on ::1" not curl -s --max-time 2 -o /dev/null "http://[::1]:$port/-/healthy"
finish
