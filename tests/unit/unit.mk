# The unit harness's own test (tests/unit/harness.h and tests/run.sh).
TESTS += tests/unit/test_harness.sh

# The regex memo grown by several threads at once, under ThreadSanitizer too
TSAN_TESTS += $(BUILD)/tests/unit/host/test_regex_memo
