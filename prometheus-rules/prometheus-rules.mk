# prometheus-rules/: rules, configs and dashboards (issue 6); nothing to
# compile.  Its tests register themselves in tests/integration/rules/rules.mk
# and tests/e2e/e2e.mk.
