# Tests of prometheus-rules/ with promtool, amtool, a real Prometheus and
# Alertmanager (issue 6).  Listed in the top-level Makefile's FRAGMENTS.
ifndef PRISM_RULES_MK
PRISM_RULES_MK := 1
RULES_TESTS := tests/integration/rules/test_rules.sh tests/integration/rules/test_alert_pipeline.sh
TESTS += $(RULES_TESTS)
# Nothing in them is compiled: the sanitizer run would only repeat them.
TESTS_NOSAN += $(RULES_TESTS)
endif
