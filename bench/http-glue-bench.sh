#!/bin/bash
# HTTP glue benchmark: common/http.c (through exampled) against the peer's
# glue, Prometheus node_exporter 1.5 (Go net/http + exporter-toolkit), on
# the same kind of request: the small landing page at "/", with keep-alive,
# and a /metrics scrape with gzip.  wrk on loopback, 2 threads, 64
# connections; both servers get the whole machine in turn.  Reports req/s
# and the ratio.  Never fails on speed (only if a server cannot start).
. "$SRC_DIR/tests/lib/common.sh"
EXAMPLED=${EXAMPLED:-$BUILD_DIR/tests/exampled}
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
DURATION=${BENCH_DURATION:-5s}
d=$(tmpdir_new)

rps() { # URL [wrk args]: requests per second
	local url=$1
	shift
	wrk -t2 -c64 -d"$DURATION" "$@" "$url" 2>/dev/null | awk '/^Requests\/sec:/ {printf "%d", $2}'
}

ep=$(free_port)
"$EXAMPLED" --web.listen-address="127.0.0.1:$ep" --log.level=warn >"$d/ex.log" 2>&1 &
on_exit "kill $!"
wait_http "http://127.0.0.1:$ep/-/healthy" 10 || { echo "exampled did not start"; cat "$d/ex.log"; exit 1; }
np=$(free_port)
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$np" --collector.disable-defaults \
	--collector.loadavg >"$d/ne.log" 2>&1 &
on_exit "kill $!"
wait_http "http://127.0.0.1:$np/" 10 || { echo "node_exporter did not start"; cat "$d/ne.log"; exit 1; }

printf '%-36s %12s %14s %8s\n' "request" "prism req/s" "node_exp req/s" "ratio"
row() { # NAME PATH_PRISM PATH_PEER [wrk args]
	local name=$1 a b
	a=$(rps "http://127.0.0.1:$ep$2" "${@:4}")
	b=$(rps "http://127.0.0.1:$np$3" "${@:4}")
	printf '%-36s %12s %14s %8s\n' "$name" "$a" "$b" \
		"$($PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 1)))" "${a:-0}" "${b:-0}")"
}
row "landing page /" / /
row "/metrics (text, gzip)" /metrics /metrics -H "Accept-Encoding: gzip"
echo "(exampled /metrics: $(curl -s "http://127.0.0.1:$ep/metrics" | wc -c) bytes; node_exporter with only loadavg: $(curl -s "http://127.0.0.1:$np/metrics" | wc -c) bytes)"
echo "exampled /-/healthy: $(rps "http://127.0.0.1:$ep/-/healthy") req/s"
