# End-to-end tests of the whole stack (issue 6): MariaDB, orderd, both
# exporters, Prometheus with prism's rules, Alertmanager, a webhook listener,
# under wrk/Locust load.  Listed in the top-level Makefile's FRAGMENTS.
# Each skips (77) only while a daemon binary is not built.
ifndef PRISM_E2E_MK
PRISM_E2E_MK := 1
E2E_TESTS := $(sort $(wildcard tests/e2e/test_*.sh))
TESTS += $(E2E_TESTS)
TEST_DEPS += $(BUILD)/orderd $(BUILD)/host-exporter $(BUILD)/mysql-exporter
# The stack tests take about a minute each; the sanitized daemons are
# exercised by their own integration tests, so the ASan run skips these.
TESTS_NOSAN += $(E2E_TESTS)
endif
