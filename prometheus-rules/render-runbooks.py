#!/usr/bin/python3
"""Render docs/runbooks.md as a Prometheus console page.

    prometheus-rules/render-runbooks.py [RUNBOOKS.md] [OUT.html]

Prometheus serves every file of --web.console.templates (Debian:
/etc/prometheus/consoles) at /consoles/NAME, so the alerts' default
runbook_url, {{ $externalURL }}/consoles/prism-runbooks.html#<alert>, opens
on the same Prometheus that fired the alert: a link Alertmanager and Grafana
pages can follow (browsers refuse file:// links from them).  Each "## Alert"
heading gets the id "alert" in lower case, the anchor the rules use.

Console pages are Go templates: text with "{{" would be executed, so the
renderer refuses it.  The output is checked in
(prometheus-rules/consoles/prism-runbooks.html) and
tests/integration/rules/test_rules.sh checks it is up to date.
"""
import html
import os
import sys

import markdown

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "docs", "runbooks.md")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "consoles", "prism-runbooks.html")

text = open(src, encoding="utf-8").read()
if "{{" in text:
    sys.exit(f"{src}: '{{{{' would be run as a Go template by Prometheus's console server")
md = markdown.Markdown(extensions=["toc", "tables", "fenced_code"],
                       extension_configs={"toc": {"slugify": lambda s, sep: s.strip().lower()}})
body = md.convert(text)
page = f"""<!DOCTYPE html>
<!-- Generated from docs/runbooks.md by prometheus-rules/render-runbooks.py: edit those. -->
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(md.toc_tokens[0]["name"] if md.toc_tokens else "prism runbooks")}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; line-height: 1.45; }}
pre, code {{ background: #f4f4f4; }} pre {{ padding: .5em; overflow-x: auto; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2em .5em; }}
h2 {{ border-top: 1px solid #ddd; padding-top: .5em; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
tmp = out + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    f.write(page)
os.replace(tmp, out)
