# common/: the static library every daemon links.
COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
COMMON_LIB := $(BUILD)/libprism-common.a

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests of common: tests/unit/common/test_<module>.c, one binary each.
COMMON_TEST_SRCS := $(wildcard tests/unit/common/test_*.c)
COMMON_TESTS := $(COMMON_TEST_SRCS:tests/unit/common/%.c=$(BUILD)/tests/unit/common/%)

$(BUILD)/tests/unit/common/%: $(BUILD)/obj/tests/unit/common/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS) $(call pkg_libs,zlib)

TEST_DEPS += $(COMMON_TESTS)
TESTS += $(COMMON_TESTS)

# The concurrency tests also run under ThreadSanitizer (make tsan).
TSAN_TESTS += $(BUILD)/tests/unit/common/test_metrics_threads
# web config reloads while requests run (http_reload.c's grace period)
TSAN_TESTS += $(BUILD)/tests/unit/common/test_webconfig_reload
# quiesce hands the listen socket back while MHD threads run
TSAN_TESTS += $(BUILD)/tests/unit/common/test_http_quiesce
# concurrent scrapes of the process_* collector (kept descriptors)
TSAN_TESTS += $(BUILD)/tests/unit/common/test_metrics_process
