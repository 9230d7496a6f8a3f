#!/bin/bash
# glibc's per-thread malloc cache is off in host-exporter (issue 13: after
# a burst of scrapes it kept ~1 MB of heap pages pinned; exporters/host/
# main.c): the daemon execs itself once with GLIBC_TUNABLES naming
# tcache_count=0, keeps its pid (what systemd and `kill` know), keeps the
# caller's other tunables and leaves a caller's tcache_count alone.
. "$SRC_DIR/tests/lib/common.sh"

HE=$BUILD_DIR/host-exporter
FX=$SRC_DIR/tests/fixtures/host
d=$(tmpdir_new)

# start NAME [GLIBC_TUNABLES value or "-" for unset]: pid in $pid
start() {
	local port
	port=$(free_port)
	if [ "$2" = - ]; then
		env -u GLIBC_TUNABLES "$HE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
			--collector.loadavg --path.procfs="$FX/proc" >"$d/$1.log" 2>&1 &
	else
		GLIBC_TUNABLES=$2 "$HE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
			--collector.loadavg --path.procfs="$FX/proc" >"$d/$1.log" 2>&1 &
	fi
	pid=$!
	on_exit "kill -9 $pid"
	check "$1: answers" wait_http "http://127.0.0.1:$port/metrics" 20
	check "$1: the started pid serves (exec kept it)" curl -sf "http://127.0.0.1:$port/metrics" -o "$d/$1.txt"
	check "$1: the pid is host-exporter" [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$HE")" ]
	check "$1: named host-exporter (ps, pgrep)" [ "$(cat "/proc/$pid/comm")" = host-exporter ]
}
# GLIBC_TUNABLES as the running process was exec'd with it.  glibc 2.36
# parses the value in place: each ':' becomes a NUL in the memory that
# /proc/PID/environ shows, so the tunables after the first read as entries
# of their own; they are joined back.
tunables() {
	tr '\0' '\n' <"/proc/$1/environ" | awk '
		/^GLIBC_TUNABLES=/ { v = substr($0, 16); on = 1; next }
		on && /^glibc\./ { v = v ":" $0; next }
		{ on = 0 }
		END { print v }'
}

start plain -
check "unset: tcache off" [ "$(tunables $pid)" = "glibc.malloc.tcache_count=0" ]
start empty ""
check "empty: tcache off" [ "$(tunables $pid)" = "glibc.malloc.tcache_count=0" ]
start other glibc.malloc.mmap_threshold=65536
check "caller's tunables kept, tcache off" \
	[ "$(tunables $pid)" = "glibc.malloc.mmap_threshold=65536:glibc.malloc.tcache_count=0" ]
start own glibc.malloc.tcache_count=3
check "caller's tcache_count left alone" [ "$(tunables $pid)" = "glibc.malloc.tcache_count=3" ]
check "loadavg still read" grep -q '^node_load1 ' "$d/own.txt"
finish
