# bench/metrics_bench: the metrics hot path and exposition (issue 2).
# (The library is named by its path, not $(COMMON_LIB): the rule does not
# depend on the order of the Makefile's FRAGMENTS list.)
METRICS_BENCH := $(BUILD)/bench/metrics_bench

$(METRICS_BENCH): $(BUILD)/obj/bench/metrics_bench.o $(BUILD)/libprism-common.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS)

BENCHES += $(METRICS_BENCH)
