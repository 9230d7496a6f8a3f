#!/usr/bin/python3
"""Sequential keep-alive GETs, each timed by the client (stdlib only).

  latclient.py HOST:PORT N PATH-TEMPLATE [--dump FILE] [HEADER:VALUE ...]
PATH-TEMPLATE may hold {i} (1 + i % 20).  Times one request from the first
byte sent to the last byte of the body read (time.perf_counter), over one
HTTP/1.1 connection, so the figure is what orderd's own histogram measures
plus the loopback and this client's parsing: never less.  Prints
"p50 p95 n" in seconds, quantiles by nearest rank (the sorted sample at
ceil(q * n)), and exits 1 if any answer was not 200.  --dump writes every
latency, one a line, sorted.
"""
import http.client
import math
import sys
import time

host, n, tmpl = sys.argv[1], int(sys.argv[2]), sys.argv[3]
headers = {}
dump = None
args = sys.argv[4:]
if args[:1] == ["--dump"]:
    dump, args = args[1], args[2:]
for h in args:
    k, v = h.split(":", 1)
    headers[k] = v.strip()
conn = http.client.HTTPConnection(host, timeout=30)
conn.connect()
lat = []
bad = 0
for i in range(n):
    path = tmpl.format(i=1 + i % 20)
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    r.read()
    lat.append(time.perf_counter() - t0)
    if r.status != 200:
        bad += 1
lat.sort()
if dump:
    with open(dump, "w") as f:
        f.writelines("%.9f\n" % x for x in lat)


def q(p):
    return lat[max(0, math.ceil(p * len(lat)) - 1)]


print("%.9f %.9f %d" % (q(0.5), q(0.95), len(lat)))
sys.exit(1 if bad else 0)
