#!/bin/bash
# TLS between orderd / mysql-exporter and MariaDB (issue 14, Security): a
# real server with a test PKI and require_secure_transport=ON, over TCP
# 127.0.0.1 (tests/lib/mariadb.sh, MARIADB_TLS=1).
#   - the right CA + ssl-verify-server-cert: both daemons connect (orderd
#     ready and serving an order, mysql_up 1) and every session of their
#     users is encrypted in the server's view (Ssl_cipher per thread);
#   - a bare "ssl" (no CA): still TLS, never clear text (the library alone
#     ignores it);
#   - an unrelated CA with verification (MariaDB's underscore spellings):
#     both refuse, and say TLS and the CA file;
#   - "ssl-verify-server-cert" alone: refused, not a clear-text login;
#   - no ssl options: the server refuses them and the error says that
#     require_secure_transport may be why.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"
need openssl curl

d=$(tmpdir_new)
MARIADB_TLS=1 mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
T=$MARIADB_TLS_DIR

# cnf BASE NAME LINES...: BASE's [client] plus LINES, mode 0600.
cnf() {
	local base=$1 name=$2
	shift 2
	(umask 077 && { cat "$base"; printf '%s\n' "$@"; } >"$d/$name")
	echo "$d/$name"
}
O=$MARIADB_DIR/orderd.cnf
E=$MARIADB_DIR/exporter.cnf

# The server's view: the Ssl_cipher of every session of USER (one line each).
ciphers() {
	mariadb_root --skip-ssl -N -B -e "SELECT IFNULL(s.VARIABLE_VALUE,'') FROM
		performance_schema.threads t LEFT JOIN performance_schema.status_by_thread s
		ON s.THREAD_ID = t.THREAD_ID AND s.VARIABLE_NAME = 'Ssl_cipher'
		WHERE t.PROCESSLIST_USER = '$1'"
}
# all_encrypted USER: at least one session, and each has a cipher.
all_encrypted() {
	local c
	c=$(ciphers "$1")
	[ -n "$c" ] && ! grep -qx '' <<<"$c" || { echo "# sessions of $1: [$c]"; return 1; }
}
# wait_log FILE REGEX [SECONDS]
wait_log() {
	local i
	for ((i = 0; i < ${3:-60} * 10; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# no /$2/ in $1:"
	tail -n 5 "$1" | sed 's/^/#   /'
	return 1
}
readiness() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$ORDERD_URL/health/readiness"; }

body='{"customer_id": 10, "customer": {"name": "Tls Test", "email": "tls@example.com"},
 "items": [{"product_id": 101, "quantity": 2, "unit_price": 19.99}]}'

# --- orderd ---------------------------------------------------------------
orderd_good() {	# NAME CNF: ready, an order round trip, sessions encrypted
	ORDERD_LOG=$d/orderd-$1.log
	orderd_start --config.my-cnf="$2" --db.timeout=10s || { fail "orderd $1: started"; return; }
	check "orderd $1: ready over TLS" wait_http "$ORDERD_URL/health/readiness" 60
	local r id i
	# Generous bounds (a loaded machine, ASan: a TLS handshake of the
	# writer pool may miss a short --db.timeout and answer 503 until it
	# connects): retry for up to 90 s; the key makes a retry safe.
	for ((i = 0; i < 90; i++)); do
		[ "$i" -gt 0 ] && sleep 1
		r=$(curl -s --max-time 60 -w '%{http_code} ' -o "$d/post.json" -X POST \
			-H 'Content-Type: application/json' -H "Idempotency-Key: tls-$1" \
			--data-binary "$body" "$ORDERD_URL/api/order")$(cat "$d/post.json" 2>/dev/null)
		[ "${r%% *}" = 201 ] && break
	done
	id=$(sed 's/^[0-9]* //' <<<"$r" | json 'j.get("order_id", j.get("id", ""))' 2>/dev/null)
	check "orderd $1: POST /api/order 201 ($r)" test "${r%% *}" = 201
	r=$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' "$ORDERD_URL/api/order/$id")
	check "orderd $1: GET the order back 200 (id $id)" test "$r" = 200
	check "orderd $1: every app_user session is encrypted (Ssl_cipher)" all_encrypted app_user
	orderd_stop
	unset ORDERD_LOG
}
orderd_bad() {	# NAME CNF REGEX...: never ready; log says REGEX (each)
	local name=$1 file=$2 re
	shift 2
	ORDERD_LOG=$d/orderd-$name.log
	orderd_start --config.my-cnf="$file" || { fail "orderd $name: started"; return; }
	check "orderd $name: logs the connect failure" wait_log "$ORDERD_LOG" 'database not reachable'
	check "orderd $name: not ready (503)" test "$(readiness)" = 503
	for re in "$@"; do
		check "orderd $name: the error says /$re/" grep -qE -- "$re" "$ORDERD_LOG"
	done
	check "orderd $name: no app_user session got in" test -z "$(ciphers app_user)"
	orderd_stop
	unset ORDERD_LOG
}

orderd_good verified "$(cnf "$O" o-good.cnf "ssl-ca=$T/ca.pem" ssl-verify-server-cert)"
orderd_good bare-ssl "$(cnf "$O" o-bare.cnf ssl)"
orderd_bad wrong-ca "$(cnf "$O" o-wrong.cnf "ssl_ca = $T/other-ca.pem" "ssl_verify_server_cert = ON")" \
	'TLS' 'other-ca\.pem' 'verified'
orderd_bad verify-only "$(cnf "$O" o-verify.cnf ssl-verify-server-cert)" 'TLS'
orderd_bad clear-text "$O" 'require_secure_transport'

# --- mysql-exporter ------------------------------------------------------
myexp_up() {	# the mysql_up of one scrape
	local f=$d/scrape.txt
	scrape "$MYEXP_URL/metrics" "$f" >/dev/null
	mval "$f" mysql_up
}
myexp_good() {
	myexp_start --config.my-cnf="$2" || { fail "mysql-exporter $1: started"; return; }
	check "mysql-exporter $1: mysql_up 1" test "$(myexp_up)" = 1
	check "mysql-exporter $1: its session is encrypted (Ssl_cipher)" all_encrypted exporter
	kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
}
myexp_bad() {
	local name=$1 file=$2 re
	shift 2
	myexp_start --config.my-cnf="$file" || { fail "mysql-exporter $name: started"; return; }
	check "mysql-exporter $name: mysql_up 0" test "$(myexp_up)" = 0
	check "mysql-exporter $name: logs the connect failure" wait_log "$MYEXP_LOG" 'Error (connecting|scraping)' 30
	for re in "$@"; do
		check "mysql-exporter $name: the error says /$re/" grep -qE -- "$re" "$MYEXP_LOG"
	done
	check "mysql-exporter $name: no exporter session got in" test -z "$(ciphers exporter)"
	kill "$MYEXP_PID"; wait "$MYEXP_PID" 2>/dev/null
}

myexp_good verified "$(cnf "$E" e-good.cnf "ssl-ca=$T/ca.pem" ssl-verify-server-cert)"
myexp_good bare-ssl "$(cnf "$E" e-bare.cnf ssl)"
myexp_bad wrong-ca "$(cnf "$E" e-wrong.cnf "ssl_ca=$T/other-ca.pem" ssl_verify_server_cert)" \
	'TLS' 'other-ca\.pem' 'verified'
myexp_bad verify-only "$(cnf "$E" e-verify.cnf ssl-verify-server-cert)" 'TLS'
myexp_bad clear-text "$E" 'require_secure_transport'

finish
