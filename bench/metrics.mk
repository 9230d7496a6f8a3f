# bench/metrics_bench: the metrics hot path and exposition (issue 2).
# (This fragment is read before common/common.mk, so the library is named by
# its path: prerequisites expand when the rule is read.)
METRICS_BENCH := $(BUILD)/bench/metrics_bench

$(METRICS_BENCH): $(BUILD)/obj/bench/metrics_bench.o $(BUILD)/libprism-common.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS)

BENCHES += $(METRICS_BENCH)
