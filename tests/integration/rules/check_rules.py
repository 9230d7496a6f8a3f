#!/usr/bin/python3
"""Static checks of prism's rendered rules that promtool does not make.

  check_rules.py RULES_DIR UNIT_TEST_DIR RUNBOOKS_MD

* every alert has a severity label (critical, warning or none), a summary,
  a description that names the instance ({{ $labels.instance }}, or the job
  for the job-level SLO alerts and nothing but the external labels for the
  Watchdog) and the value ({{ $value }}), and a runbook_url whose #anchor is
  a heading of RUNBOOKS_MD (GitHub's anchor rules: lower case, spaces to
  dashes, punctuation dropped), and that section has the three parts
  "Meaning", "Confirm" and "Action";
* every section of RUNBOOKS_MD belongs to an alert;
* every alert name has at least one alert_rule_test with a non-empty
  exp_alerts in UNIT_TEST_DIR (fires) and one with an empty exp_alerts
  (stays silent);
* every recording rule is named level:metric:operations, and is either
  checked by a promql_expr_test or feeds another rule (no untested rules).
Prints one line per problem; exits 1 if there is any.
"""
import glob
import os
import re
import sys

import yaml

JOB_LEVEL = {"OrderdAvailabilityBudgetBurn", "OrderdLatencyBudgetBurn"}
NO_INSTANCE = {"Watchdog"}


def anchors(md):
    out = {}
    current = None
    for line in md.splitlines():
        m = re.match(r"^(#{2,3})\s+(.*?)\s*$", line)
        if m:
            text = m.group(2)
            a = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            if m.group(1) == "##":
                current = a
                out[a] = []
            elif current:
                out[current].append(text)
        elif current and line.startswith("**") and line.count("**") >= 2:
            out[current].append(line.split("**")[1])
    return out


def main():
    rules_dir, tests_dir, runbooks = sys.argv[1:4]
    problems = []
    with open(runbooks, encoding="utf-8") as f:
        sections = anchors(f.read())

    alerts, records = {}, {}
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for g in doc["groups"]:
            for r in g["rules"]:
                if "alert" in r:
                    alerts.setdefault(r["alert"], []).append(r)
                else:
                    records.setdefault(r["record"], []).append(r)

    for name, rules in alerts.items():
        for r in rules:
            where = "%s (severity %s)" % (name, r.get("labels", {}).get("severity"))
            sev = r.get("labels", {}).get("severity")
            if sev not in ("critical", "warning", "none"):
                problems.append("%s: severity label missing or unknown" % where)
            ann = r.get("annotations", {})
            for key in ("summary", "description", "runbook_url"):
                if not ann.get(key):
                    problems.append("%s: annotation %s missing" % (where, key))
            desc = ann.get("description", "")
            if "$value" not in desc:
                problems.append("%s: description does not show {{ $value }}" % where)
            if name in JOB_LEVEL:
                if "$labels.job" not in desc:
                    problems.append("%s: description does not name the job" % where)
            elif name not in NO_INSTANCE and "$labels.instance" not in desc:
                problems.append("%s: description does not name {{ $labels.instance }}" % where)
            url = ann.get("runbook_url", "")
            anchor = url.partition("#")[2]
            if not anchor:
                problems.append("%s: runbook_url %r has no #anchor" % (where, url))
            elif anchor not in sections:
                problems.append("%s: runbook anchor #%s is not a section of %s" % (where, anchor, runbooks))
            else:
                parts = " ".join(sections[anchor]).lower()
                for part in ("meaning", "confirm", "action"):
                    if part not in parts:
                        problems.append("%s: runbook section #%s lacks a %r part" % (where, anchor, part))

    used_anchors = {a.get("annotations", {}).get("runbook_url", "").partition("#")[2]
                    for rs in alerts.values() for a in rs}
    for a in sorted(set(sections) - used_anchors):
        problems.append("runbook section #%s belongs to no alert" % a)

    fires, silent, exprs = set(), set(), []
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for t in doc.get("tests", []):
            for a in t.get("alert_rule_test", []) or []:
                (fires if a.get("exp_alerts") else silent).add(a["alertname"])
            for e in t.get("promql_expr_test", []) or []:
                exprs.append(e["expr"])
    for name in sorted(alerts):
        if name not in fires:
            problems.append("%s: no unit test where it fires" % name)
        if name not in silent and name != "Watchdog":
            problems.append("%s: no unit test where it stays silent" % name)

    for name in sorted(records):
        if not re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", name):
            problems.append("%s: not named level:metric:operations" % name)
        tested = any(re.search(re.escape(name) + r"(?![a-z0-9_:])", e) for e in exprs)
        feeds = any(re.search(re.escape(name) + r"(?![a-z0-9_:])", r["expr"])
                    for rs in list(alerts.values()) + [v for k, v in records.items() if k != name]
                    for r in rs)
        if not (tested or feeds):
            problems.append("%s: recording rule neither unit-tested nor used by another rule" % name)

    for p in problems:
        print("problem:", p)
    print("checked %d alerts (%d rules), %d recording rules, %d runbook sections"
          % (len(alerts), sum(len(v) for v in alerts.values()), len(records), len(sections)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
