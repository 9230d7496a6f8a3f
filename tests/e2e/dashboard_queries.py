#!/usr/bin/python3
"""Run every panel query of prism's Grafana dashboards against a Prometheus.

  dashboard_queries.py PROM_URL DASHBOARD.json...

For each panel target (rows' nested panels included): substitute Grafana's
variables the way Grafana would for "All" (query variables -> their
allValue, constants -> their value, $__rate_interval -> 1m, $__interval ->
15s, $__range -> 1h), run it as an instant query, and report it as a
failure if Prometheus answers an error or no sample with a finite value
(what a panel would show as "No data").  Also checks the dashboard
conventions the provisioning relies on: a `datasource` variable defaulting
to the uid "prometheus", every panel and target on ${datasource}, unique
panel ids, and no variable used without being defined.
Prints one line per query; exits 1 on any failure.
"""
import json
import math
import re
import sys
import urllib.parse
import urllib.request

BUILTIN = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}


def panels_of(d):
    for p in d.get("panels", []):
        yield p
        for q in p.get("panels", []):
            yield q


def substitute(expr, values):
    def rep(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", rep, expr)


def query(prom, expr):
    url = prom.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            d = json.load(r)
    except urllib.error.HTTPError as e:
        d = json.load(e)
    return d


def main():
    prom, files = sys.argv[1], sys.argv[2:]
    failures = total = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        name = d.get("title", path)
        values = dict(BUILTIN)
        ds = None
        for v in d.get("templating", {}).get("list", []):
            if v["type"] == "datasource":
                ds = v
                values[v["name"]] = v["current"]["value"]
            elif v["type"] == "constant":
                values[v["name"]] = v["query"]
            elif v.get("includeAll"):
                values[v["name"]] = v.get("allValue") or ".*"
            else:
                values[v["name"]] = v["current"]["value"]
        problems = []
        if not ds or ds.get("query") != "prometheus" or ds["current"]["value"] != "prometheus":
            problems.append("no `datasource` variable defaulting to uid prometheus")
        ids = [p["id"] for p in panels_of(d)]
        if len(ids) != len(set(ids)):
            problems.append("duplicate panel ids")
        for p in panels_of(d):
            if p["type"] == "row":
                continue
            if p.get("datasource", {}).get("uid") != "${datasource}":
                problems.append("panel %r not on ${datasource}" % p["title"])
            if not p.get("targets"):
                problems.append("panel %r has no query" % p["title"])
            for t in p.get("targets", []):
                total += 1
                if t.get("datasource", {}).get("uid") != "${datasource}":
                    problems.append("panel %r target %s not on ${datasource}" % (p["title"], t["refId"]))
                try:
                    expr = substitute(t["expr"], values)
                except KeyError as e:
                    problems.append("panel %r: undefined variable $%s" % (p["title"], e.args[0]))
                    continue
                r = query(prom, expr)
                where = "%s / %s / %s" % (name, p["title"], t["refId"])
                if r.get("status") != "success":
                    failures += 1
                    print("FAIL  %s: error %s: %s\n      %s" % (where, r.get("errorType"), r.get("error"), expr))
                    continue
                res = r["data"]["result"]
                vals = [x["value"][1] for x in res] if r["data"]["resultType"] == "vector" else \
                    ([res[1]] if r["data"]["resultType"] == "scalar" else [])
                finite = [v for v in vals if not math.isnan(float(v)) and not math.isinf(float(v))]
                if not finite:
                    failures += 1
                    print("FAIL  %s: no data (%d series, none finite)\n      %s" % (where, len(vals), expr))
                else:
                    print("ok    %s: %d series" % (where, len(finite)))
        for pr in problems:
            failures += 1
            print("FAIL  %s: %s" % (name, pr))
    print("%d queries, %d failures" % (total, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
