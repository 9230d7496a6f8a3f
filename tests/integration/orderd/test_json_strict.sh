#!/bin/bash
# Strict JSON over real HTTP against a real MariaDB (issue 14): every
# tests/fixtures/json/n_* text is a 400 with a JSON error body on
# POST /api/order and POST /api/echo; every y_* text is echoed as JSON that
# Python's json reads without NaN/Infinity; the bodies json-c's strict mode
# let through (a control character in a string, a single-quoted key, NaN in
# a field the API ignores, a duplicate "unit_price") create no order.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --web.enable-drill-endpoints || exit 1
wait_http "$ORDERD_URL/health/readiness" 30 || { fail "readiness never 200"; finish; }

orders_before=$(sql "SELECT COUNT(*) FROM orders")
items_before=$(sql "SELECT COUNT(*) FROM order_items")

# One Python process sends every fixture (http.client, a fresh connection
# each, generous timeouts) and prints one TAP-ish verdict line per case.
out=$("$PY" - "$ORDERD_URL" "$SRC_DIR/tests/fixtures/json" <<'PYEOF'
import glob, http.client, json, os, sys, urllib.parse

url = urllib.parse.urlparse(sys.argv[1])

def post(path, body):
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

def strict(data):
    def bad(name):
        raise ValueError("non-JSON constant " + name)
    return json.loads(data.decode("utf-8"), parse_constant=bad)

for path in sorted(glob.glob(os.path.join(sys.argv[2], "[yn]_*.json"))):
    name = os.path.basename(path)
    body = open(path, "rb").read()
    for ep in (("/api/order", "/api/echo") if name.startswith("n_") else ("/api/echo",)):
        st, data = post(ep, body)
        try:
            j = strict(data)
            parsed = True
        except Exception as e:
            parsed, j = False, str(e)
        if name.startswith("n_"):
            ok = st == 400 and parsed and isinstance(j, dict) and isinstance(j.get("error"), str)
            print("%s %s %s -> %d %s" % ("ok" if ok else "FAIL", ep, name, st, data[:120]))
        elif ep == "/api/echo":
            # json-c saturates integers beyond 64 bits (still JSON, not equal)
            ok = st == 200 and parsed and j.get("status") == "success" and \
                (j.get("data") == json.loads(body.decode("utf-8")) or name == "y_number_big_int.json")
            print("%s %s %s -> %d %s" % ("ok" if ok else "FAIL", ep, name, st, data[:120]))
PYEOF
)
nfail=$(grep -c '^FAIL' <<<"$out")
nok=$(grep -c '^ok' <<<"$out")
grep '^FAIL' <<<"$out" | head -20 | sed 's/^/# /'
check "every n_ text is a 400 JSON error on /api/order and /api/echo, every y_ echoed as JSON" \
	[ "$nfail" = 0 ]
check "all $nok cases ran" [ "$nok" -ge 150 ]
check "no order created by the n_ texts" [ "$(sql "SELECT COUNT(*) FROM orders")" = "$orders_before" ]

# The classes that created orders before, each with an otherwise valid order
# for a customer that does not exist yet: 400, no order, no customer row.
item='{"product_id":1,"quantity":1,"unit_price":"2.50"}'
cls=0
for body in \
	$'{"customer_id":5001,"customer":{"name":"a\x01b"},"items":['"$item"']}' \
	$'{"customer_id":5002,"customer":{"name":"line\nfeed"},"items":['"$item"']}' \
	"{'customer_id':5003,\"items\":[$item]}" \
	"{\"customer_id\":5004,\"note\":NaN,\"items\":[$item]}" \
	"{\"customer_id\":5005,\"note\":[-Infinity],\"items\":[$item]}" \
	"{\"customer_id\":5006,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":9,\"unit_price\":0}]}" \
	"{\"customer_id\":5007,\"items\":[$item,]}" \
	$'\xef\xbb\xbf{"customer_id":5008,"items":['"$item"']}'; do
	cls=$((cls + 1))
	r=$(http POST /api/order "$body")
	check "class $cls: 400" [ "${r%% *}" = 400 ]
	check "class $cls: error body is JSON naming malformed JSON" \
		[ "$(echo "${r#* }" | json 'j["error"].startswith("malformed JSON")')" = True ]
done
check "no order created by the classes" [ "$(sql "SELECT COUNT(*) FROM orders")" = "$orders_before" ]
check "no item created" [ "$(sql "SELECT COUNT(*) FROM order_items")" = "$items_before" ]
check "no customer created" [ "$(sql "SELECT COUNT(*) FROM customer WHERE customer_id BETWEEN 5001 AND 5008")" = 0 ]

# /api/echo: NaN never comes back (it answered NaN before)
r=$(http POST /api/echo '{"a":NaN}')
check "echo NaN is a 400" [ "${r%% *}" = 400 ]
check "echo 1e400 stays a JSON number" \
	[ "$(http POST /api/echo '[1e400,-0,1E+2]' | cut -d' ' -f2- | "$PY" -c 'import json,sys
def bad(c): raise ValueError(c)
print(json.loads(sys.stdin.read(), parse_constant=bad)["data"][2])')" = 100.0 ]

# the same valid order still creates one (the check is not a blanket refusal)
r=$(http POST /api/order '{"customer_id":5009,"note":"\u00e9'$'\x7f''","items":['"$item"']}')
check "a valid order (DEL and \\u escape in an ignored field) is 201" [ "${r%% *}" = 201 ]
check "it is one row" [ "$(sql "SELECT COUNT(*) FROM orders")" = "$((orders_before + 1))" ]

orderd_stop || fail "orderd exited non-zero"
finish
