# Integration tests of common/: exampled (a tiny daemon built on common/)
# and the shell tests that drive it over loopback, with a real Prometheus.
# Read right after common/common.mk (the Makefile's FRAGMENTS list).
EXAMPLED := $(BUILD)/tests/exampled

$(EXAMPLED): $(BUILD)/obj/tests/integration/common/exampled.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(COMMON_LIB) $(COMMON_LIBS)

COMMON_IT_TESTS := $(sort $(wildcard tests/integration/common/test_*.sh))

TEST_DEPS += $(EXAMPLED)
TESTS += $(COMMON_IT_TESTS)

# suspend/resume from another thread and graceful stop, under ThreadSanitizer too
TSAN_TESTS += $(BUILD)/tests/unit/common/test_http

# make bench: the HTTP glue against node_exporter's (needs exampled built)
$(BUILD)/bench/http-glue: bench/http-glue-bench.sh $(EXAMPLED)
	@mkdir -p $(dir $@)
	install -m 0755 $< $@
BENCHES += $(BUILD)/bench/http-glue
