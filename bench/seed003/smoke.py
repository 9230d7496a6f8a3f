"""smoke.py ORDERD_URL SEED_URL MAX_ORDER: the seed design and orderd answer
alike on the same database, so the bench compares two working APIs.

  * GET of the same existing orders (the first, the last, a few between)
    gives the same order, customer and items from both (created_at is left
    out: the seed prints the session's time zone, which it never sets);
  * GET of a missing order is 404 from both;
  * a POST to the seed with a customer that does not exist yet creates the
    customer and the order (201), and orderd then reads exactly that order,
    with the customer's name and email as sent and the exact total;
  * a POST to orderd is read back identically from the seed;
  * a POST without items is 400 from both.
Prints one line per failed check; exit status 0 all passed, 1 otherwise.
"""
import json
import sys
import urllib.error
import urllib.request
from decimal import Decimal

failures = []


def call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def check(ok, what):
    if not ok:
        failures.append(what)
        print("smoke: FAILED: " + what)


def norm(order):
    """An order with created_at dropped and money as exact decimals."""
    o = dict(order)
    o.pop("created_at", None)
    o["total_amount"] = Decimal(str(o["total_amount"]))
    o["items"] = [dict(i, unit_price=Decimal(str(i["unit_price"]))) for i in o["items"]]
    return o


def same_order(oid):
    s1, a = call("%s/api/order/%d" % (orderd, oid))
    s2, b = call("%s/api/order/%d" % (seed, oid))
    check(s1 == 200 and s2 == 200, "GET %d: status orderd %s, seed %s" % (oid, s1, s2))
    if s1 == 200 and s2 == 200:
        check(norm(a) == norm(b), "GET %d differs:\n  orderd %s\n  seed   %s" % (oid, a, b))
        return a
    return None


orderd, seed, max_order = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"), int(sys.argv[3])

for oid in sorted({1, 2, 3, max_order // 3, max_order // 2, max_order - 1, max_order}):
    if oid >= 1:
        same_order(oid)

s1, _ = call("%s/api/order/%d" % (orderd, max_order + 1000000))
s2, _ = call("%s/api/order/%d" % (seed, max_order + 1000000))
check(s1 == 404 and s2 == 404, "GET missing: status orderd %s, seed %s (want 404)" % (s1, s2))

# A customer id far above the generated ones: created on demand.
new_cust = 900000000 + max_order
body = {"customer_id": new_cust,
        "customer": {"name": "Smoke Tést", "email": "smoke@example.com"},
        "items": [{"product_id": 101, "quantity": 2, "unit_price": 19.99},
                  {"product_id": 102, "quantity": 3, "unit_price": "0.10"}]}
st, r = call(seed + "/api/order", body)
check(st == 201, "seed POST: status %s, body %s" % (st, r))
if st == 201:
    o = same_order(r["order_id"])
    if o:
        check(Decimal(o["total_amount"]) == Decimal("40.28"),
              "seed POST: total %s, want 40.28" % o["total_amount"])
        check(o["customer"] == {"customer_id": new_cust, "name": "Smoke Tést",
                                "email": "smoke@example.com"},
              "seed POST: customer %s" % o["customer"])
        check([(i["product_id"], i["quantity"], Decimal(i["unit_price"])) for i in o["items"]]
              == [(101, 2, Decimal("19.99")), (102, 3, Decimal("0.10"))],
              "seed POST: items %s" % o["items"])

body = {"customer_id": 1, "items": [{"product_id": 500, "quantity": 1, "unit_price": 5}]}
st, r = call(orderd + "/api/order", body)
check(st == 201, "orderd POST: status %s, body %s" % (st, r))
if st == 201:
    o = same_order(r["order_id"])
    if o:
        check(Decimal(o["total_amount"]) == Decimal("5"), "orderd POST: total %s" % o["total_amount"])

s1, _ = call(orderd + "/api/order", {"customer_id": 1})
s2, _ = call(seed + "/api/order", {"customer_id": 1})
check(s1 == 400 and s2 == 400, "POST without items: status orderd %s, seed %s (want 400)" % (s1, s2))

sys.exit(1 if failures else 0)
