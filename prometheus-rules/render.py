#!/usr/bin/python3
"""Render prism's Prometheus/Alertmanager templates the way Ansible's
template module does, so the same files serve the monitor role and the
local stack, and so promtool/amtool can check what Ansible would write.

Usage:
  render.py [-e NAME=VALUE]... [-f VARS.yml]... -o OUT  TEMPLATE...
  render.py [-e ...] [-f ...] TEMPLATE > OUT          (one template)

* Variables: -f loads a YAML mapping (later files and -e win); -e takes
  NAME=VALUE where VALUE is parsed as YAML (so 0.5, 10s, "a b" behave as
  Ansible's extra vars do).  With no variables the templates render with
  their own `| default(...)` values: those defaults ARE the shipped
  configuration.
* Undefined variables without a default are an error (StrictUndefined), so a
  typo in a variable name cannot silently render as an empty string.
* A first line `#jinja2: key:'value', ...` overrides Jinja2 settings for that
  file and is dropped from the output, exactly like Ansible's template
  module.  The rule files use it to switch Ansible's delimiters to [[ ]]
  so Prometheus's own {{ $labels.instance }} templates pass through.
* Output names drop a trailing ".j2".
"""
import argparse
import ast
import os
import sys

import jinja2
import yaml

HEADER = "#jinja2:"


def parse_header(line):
    """'#jinja2: variable_start_string:'[[', trim_blocks: False' -> dict."""
    out = {}
    for part in line[len(HEADER):].split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition(":")
        if not sep:
            raise ValueError("bad #jinja2 header item: %r" % part)
        out[key.strip()] = ast.literal_eval(val.strip())
    return out


def render(path, variables):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    settings = {}
    if text.startswith(HEADER):
        eol = text.find("\n")
        settings = parse_header(text[:eol])
        text = text[eol + 1:]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True,
                             trim_blocks=settings.pop("trim_blocks", True),
                             **settings)
    try:
        return env.from_string(text).render(**variables)
    except jinja2.TemplateError as e:
        raise SystemExit("render.py: %s: %s" % (path, e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-e", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("-f", action="append", default=[], metavar="VARS.yml")
    ap.add_argument("-o", metavar="OUTDIR")
    ap.add_argument("templates", nargs="+")
    a = ap.parse_args()

    variables = {}
    for vf in a.f:
        with open(vf, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            ap.error("%s: not a YAML mapping" % vf)
        variables.update(data)
    for item in a.e:
        name, sep, val = item.partition("=")
        if not sep or not name.isidentifier():
            ap.error("-e wants NAME=VALUE, got %r" % item)
        variables[name] = yaml.safe_load(val) if val != "" else ""

    if a.o is None:
        if len(a.templates) != 1:
            ap.error("several templates need -o OUTDIR")
        sys.stdout.write(render(a.templates[0], variables))
        return
    os.makedirs(a.o, exist_ok=True)
    for t in a.templates:
        name = os.path.basename(t)
        if name.endswith(".j2"):
            name = name[:-3]
        out = render(t, variables)
        tmp = os.path.join(a.o, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(out)
        os.replace(tmp, os.path.join(a.o, name))


if __name__ == "__main__":
    main()
