# Security tests (issue 14): TLS to MariaDB, secrets never leak.  Listed in
# the top-level Makefile's FRAGMENTS; the guard keeps the tests registered
# once should the file be read twice.
ifndef PRISM_SECURITY_TESTS_MK
PRISM_SECURITY_TESTS_MK := 1
TESTS += $(sort $(wildcard tests/integration/security/test_*.sh))
TEST_DEPS += $(BUILD)/orderd $(BUILD)/mysql-exporter
endif
