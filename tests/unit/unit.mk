# The unit harness's own test (tests/unit/harness.h and tests/run.sh).
TESTS += tests/unit/test_harness.sh
