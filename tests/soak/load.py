#!/usr/bin/python3
"""Mixed, paced load on orderd for the soak (tests/soak/soak.sh).

load.py URL SECONDS RATE: RATE requests/s (about 4 GET /api/order/ID of
recent orders to 1 POST /api/order with a fresh Idempotency-Key, plus an
occasional bad request and a 404) on 4 keep-alive connections, until
SECONDS pass.  Prints one line of counts per status at the end; exits 1 if
any answer was a 5xx or a transport error beyond 1 % of requests.
"""
import http.client, json, sys, threading, time, urllib.parse, random

url, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
u = urllib.parse.urlparse(url)
end = time.monotonic() + secs
lock = threading.Lock()
counts, ids = {}, [1]
NTHREADS = 4


def count(k):
    with lock:
        counts[k] = counts.get(k, 0) + 1


def worker(n):
    conn = None
    rnd = random.Random(n)
    period = NTHREADS / rate
    nxt = time.monotonic()
    i = 0
    while time.monotonic() < end:
        i += 1
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        r = rnd.random()
        try:
            if r < 0.2:
                body = json.dumps({"customer_id": 10 + rnd.randrange(50),
                                   "items": [{"product_id": 101, "quantity": 1 + rnd.randrange(3),
                                              "unit_price": "9.99"}]})
                conn.request("POST", "/api/order", body,
                              {"Content-Type": "application/json",
                               "Idempotency-Key": "soak-%d-%d-%d" % (n, i, time.time_ns())})
            elif r < 0.22:
                conn.request("POST", "/api/order", '{"items": [', {"Content-Type": "application/json"})
            elif r < 0.24:
                conn.request("GET", "/api/order/999999999")
            else:
                with lock:
                    oid = rnd.choice(ids[-200:])
                conn.request("GET", "/api/order/%d" % oid)
            resp = conn.getresponse()
            data = resp.read()
            count(resp.status)
            if resp.status == 201:
                with lock:
                    ids.append(json.loads(data)["order_id"])
                    del ids[:-1000]
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:  # noqa: BLE001 - counted, the soak goes on
            count(type(e).__name__)
            conn.close()
            conn = None
        nxt += period
        time.sleep(max(0.0, nxt - time.monotonic()))


ts = [threading.Thread(target=worker, args=(n,)) for n in range(NTHREADS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
total = sum(counts.values())
bad = sum(v for k, v in counts.items() if not isinstance(k, int) or k >= 500)
print("load: %d requests, %s" % (total, " ".join("%s=%d" % (k, v) for k, v in sorted(counts.items(), key=str))))
sys.exit(1 if total == 0 or bad > total * 0.01 else 0)
