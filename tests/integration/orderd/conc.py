#!/usr/bin/python3
"""Concurrent POSTs for orderd's tests (stdlib only).

  conc.py URL N same-key KEY BODY    N requests at once, same key and body
  conc.py URL N same-body BODY       N requests at once, same body, no key
  conc.py URL N distinct             N different orders (customer 900000+i)
Prints one JSON line per request: {"i":..,"status":..,"body":..,"sent":..}.
"""
import json
import sys
import threading
import urllib.request
import urllib.error
from decimal import Decimal

url, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
barrier = threading.Barrier(n)
results = [None] * n


def body_for(i):
    if mode == "distinct":
        items = [{"product_id": 100 + i, "quantity": 1 + i % 7,
                  "unit_price": "%d.%02d" % (i * 3 % 500, i * 37 % 100)},
                 {"product_id": 5, "quantity": 3, "unit_price": 0.1}]
        return {"customer_id": 900000 + i, "items": items}
    return json.loads(sys.argv[5] if mode == "same-key" else sys.argv[4])


def run(i):
    sent = body_for(i)
    req = urllib.request.Request(url + "/api/order", data=json.dumps(sent).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    if mode == "same-key":
        req.add_header("Idempotency-Key", sys.argv[4])
    barrier.wait(timeout=20)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            results[i] = {"i": i, "status": r.status, "body": json.loads(r.read()), "sent": sent}
    except urllib.error.HTTPError as e:
        results[i] = {"i": i, "status": e.code, "body": e.read().decode(), "sent": sent}
    except Exception as e:  # noqa: BLE001 -- reported as a failed request
        results[i] = {"i": i, "status": 0, "body": str(e), "sent": sent}


threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for r in results:
    if mode == "distinct" and r["status"] == 201:
        r["expected_total"] = str(sum(Decimal(str(it["unit_price"])) * it["quantity"]
                                      for it in r["sent"]["items"]).quantize(Decimal("0.01")))
    print(json.dumps(r))
