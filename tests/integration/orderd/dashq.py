#!/usr/bin/python3
"""Runs a dashboard's panel queries that use a metric against a Prometheus.

  dashq.py PROM_URL DASHBOARD.json METRIC
Every target expression naming METRIC itself (not a recording rule's
level:METRIC:operation series: no rules run here), with Grafana's $__rate_interval as 1m
and $instance as .*, is run as an instant query; prints "# <panel>: <n>
series, first value <v>" and exits 1 if a query fails or returns nothing.
Native histogram results print their count as the value.
"""
import json
import sys
import urllib.parse
import urllib.request

url, dash, metric = sys.argv[1:4]
bad = 0
n = 0
for p in json.load(open(dash))["panels"]:
    for t in p.get("targets", []):
        expr = t.get("expr", "")
        if metric + "{" not in expr and metric + "_bucket{" not in expr:
            continue
        n += 1
        q = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
        with urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}),
                                    timeout=10) as r:
            res = json.load(r)
        data = res.get("data", {}).get("result", [])
        first = ""
        if data:
            s = data[0]
            first = s["value"][1] if "value" in s else "histogram count %s" % s["histogram"][1]["count"]
        print("# %s [%s]: %s, %d series, first %s" % (p["title"], t["refId"], res["status"], len(data), first))
        if res["status"] != "success" or not data:
            bad += 1
sys.exit(1 if bad or n == 0 else 0)
