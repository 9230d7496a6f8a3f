#!/bin/bash
# What a POST /api/order costs the server, and what it stores, on a real
# MariaDB (issue 15: fewer round trips were measured and not taken, see
# bench/order_create.sql; this keeps the count from growing unnoticed):
#  - Com_stmt_execute counts 4 prepared statements per POST for an existing
#    customer (SELECT, INSERT order, INSERT items, COMMIT) and 5 for a new
#    one (INSERT IGNORE too); every answer equals its GET;
#  - a new customer is created from the request, an existing one is
#    answered as stored;
#  - hostile names and emails (quotes, backslashes, SQL, 4-byte UTF-8) are
#    stored and answered byte for byte (bound parameters, never spliced);
#  - Idempotency-Key replay and conflict; no transaction left open.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --db.pool-size=1 --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 20 || { fail "not ready"; finish; }

body_of() { echo "${1#* }"; }
stmt_exec() { sql "SELECT VARIABLE_VALUE FROM information_schema.global_status WHERE VARIABLE_NAME = 'COM_STMT_EXECUTE'"; }
qcount() { # QUERY -> orderd_db_query_duration_seconds_count{query=QUERY}
	curl -s "$ORDERD_METRICS_URL/metrics" |
		awk -v q="$1" '$1 == "orderd_db_query_duration_seconds_count{query=\"" q "\"}" { print $2 }'
}
items() { # N -> a JSON items array of N items
	local n=$1 i s=
	for ((i = 1; i <= n; i++)); do
		s+="${s:+,}{\"product_id\":$((200 + i)),\"quantity\":$i,\"unit_price\":\"$i.05\"}"
	done
	echo "[$s]"
}
# post_same_as_get BODY [CURL ARGS]: POST, then GET; "STATUS" when equal, else "differs"
post_same_as_get() {
	local r p g
	r=$(http POST /api/order "$@")
	p=$(body_of "$r")
	[ "${r%% *}" = 201 ] || { echo "${r%% *} $p"; return; }
	g=$(http GET "/api/order/$(json 'j["order_id"]' <<<"$p")")
	if [ "$(body_of "$g")" = "$p" ]; then echo 201; else echo "differs: POST $p GET $(body_of "$g")"; fi
}
# posts FIRST_CUSTOMER: 6 POSTs (3 existing customers, 3 new ones, 1-3
# items); prints how many answered 201 equal to their GET
posts() {
	local k ok=0 c r
	for k in 1 2 3 4 5 6; do
		if ((k % 2)); then c=$((k % 5 + 1)); else c=$(($1 + k)); fi
		r=$(post_same_as_get "{\"customer_id\":$c,\"customer\":{\"name\":\"N$c\",\"email\":\"n$c@example.com\"},\"items\":$(items $((k % 3 + 1)))}")
		[ "$r" = 201 ] && ok=$((ok + 1)) || echo "# $r" >&2
	done
	echo "$ok"
}

# ---- statements per POST, counted by the server
check "warm-up POST 201" [ "$(post_same_as_get "{\"customer_id\":1,\"items\":$(items 1)}")" = 201 ]
s0=$(stmt_exec)
ok=$(posts 700000)
s1=$(stmt_exec)
# 3 existing customers: 4 each; 3 new ones: 5 each; the GET after each: 1
check "6 POSTs (3 new customers): each 201 and equal to its GET ($ok)" [ "$ok" = 6 ]
check "4 statements per POST, 5 for a new customer (Com_stmt_execute +$((s1 - s0)) for 6 POSTs and 6 GETs)" \
	[ "$((s1 - s0))" = $((3 * 4 + 3 * 5 + 6)) ]
check "each timed: 7 customer lookups, 7 order INSERTs, 7 COMMITs" \
	[ "$(qcount get_customer) $(qcount insert_order) $(qcount commit)" = "7 7 7" ]
check "new customer created from the request" \
	[ "$(sql 'SELECT name, email FROM customer WHERE customer_id = 700002')" = "$(printf 'N700002\tn700002@example.com')" ]
r=$(http POST /api/order "{\"customer_id\":1,\"customer\":{\"name\":\"Other\",\"email\":\"o@example.com\"},\"items\":$(items 1)}")
check "existing customer answered as stored, not as sent" \
	[ "$(json 'j["customer"]["name"]' <<<"$(body_of "$r")")" = "$(sql 'SELECT name FROM customer WHERE customer_id = 1')" ]

# ---- hostile text, through the CALL's bound parameters
hname="Robert'); DROP TABLE orders; -- \\\\ \\\" \` \${x} %s 😀 ' OR '1'='1"
hemail="a'\\\"\\\\b@example.com');DELETE/**/FROM/**/customer;--"
r=$(http POST /api/order "{\"customer_id\":710001,\"customer\":{\"name\":\"$hname\",\"email\":\"$hemail\"},\"items\":$(items 2)}")
check "hostile name and email: 201 (${r%% *})" [ "${r%% *}" = 201 ]
p=$(body_of "$r")
want_name=$($PY -c 'import json,sys; print(json.loads("\"" + sys.argv[1] + "\"").encode().hex().upper())' "$hname")
want_email=$($PY -c 'import json,sys; print(json.loads("\"" + sys.argv[1] + "\"").encode().hex().upper())' "$hemail")
check "stored byte for byte" \
	[ "$(sql 'SELECT HEX(name), HEX(email) FROM customer WHERE customer_id = 710001')" = "$(printf '%s\t%s' "$want_name" "$want_email")" ]
check "answered byte for byte" \
	[ "$($PY -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["customer"]["name"].encode().hex().upper(), j["customer"]["email"].encode().hex().upper())' "$p")" = "$want_name $want_email" ]
check "tables intact (orders, customers)" \
	[ "$(sql 'SELECT COUNT(*) > 6 FROM orders')$(sql 'SELECT COUNT(*) > 5 FROM customer')" = 11 ]
g=$(http GET "/api/order/$(json 'j["order_id"]' <<<"$p")")
check "GET equals the hostile POST's answer" [ "$(body_of "$g")" = "$p" ]

# ---- Idempotency-Key through the CALL
b="{\"customer_id\":2,\"items\":$(items 3)}"
r1=$(http POST /api/order "$b" -H 'Idempotency-Key: call-k1')
r2=$(http POST /api/order "$b" -H 'Idempotency-Key: call-k1')
r3=$(http POST /api/order "{\"customer_id\":2,\"items\":$(items 2)}" -H 'Idempotency-Key: call-k1')
check "key: first 201 (${r1%% *})" [ "${r1%% *}" = 201 ]
check "key: replay 200 with the same order" [ "${r2%% *}" = 200 -a "$(body_of "$r2")" = "$(body_of "$r1")" ]
check "key: another body 422 (${r3%% *})" [ "${r3%% *}" = 422 ]
check "key: one order" [ "$(sql "SELECT COUNT(*) FROM orders WHERE idempotency_key = 'call-k1'")" = 1 ]
check "no transaction left open" [ "$(sql "SELECT COUNT(*) FROM information_schema.innodb_trx")" = 0 ]

check "orderd exits cleanly" orderd_stop
finish
