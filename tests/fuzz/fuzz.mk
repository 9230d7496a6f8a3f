# Fuzzing of the parsers that take untrusted input (tests/fuzz/fuzz_*.c).
#
#   make fuzz                       each harness for FUZZ_TIME seconds (default 20)
#   make fuzz FUZZ_TIME=300 FUZZ_ONLY=writer
#   make fuzz-merge                 minimise what the fuzzers found into the
#                                   checked-in corpus (review the diff)
#
# `make fuzz` builds with clang -fsanitize=fuzzer,address,undefined into
# $(BUILD)/fuzz/ (common/ recompiled there with coverage instrumentation),
# seeds from the checked-in corpus tests/fuzz/corpus/<name>/ and writes new
# inputs to the work corpus $(BUILD)/fuzz/corpus/<name>/ (so a run does not
# grow the repository).  A crash leaves its input in
# $(BUILD)/fuzz/artifacts/<name>/: fix the bug and add the input to the
# checked-in corpus.  Not part of `make check`; `make check` instead
# replays every checked-in corpus through the same harnesses built with the
# normal compiler (tests/fuzz/replay.c), so what the fuzzers found stays fixed.
FUZZ_NAMES := negotiate flags_values webconfig basic_auth writer log http_head
FUZZ_ONLY ?= $(FUZZ_NAMES)
FUZZ_TIME ?= 20
FUZZ_CC ?= clang
FUZZ_COMMA := ,
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu17 -g -O1 -pthread -MMD -MP -D_GNU_SOURCE -Icommon -Itests/fuzz \
	-DPRISM_VERSION='"$(VERSION)"' -DPRISM_REVISION='"$(REVISION)"' \
	-Wall -Wextra -Werror -Wno-unused-parameter $(OBJ_CFLAGS)
FUZZ_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/tests/fuzz/fuzz_util.o
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -max_len=4096

# the library with coverage instrumentation, the harness with libFuzzer's main
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(subst fuzzer$(FUZZ_COMMA),fuzzer-no-link$(FUZZ_COMMA),$(FUZZ_SAN)) -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -pthread -o $@ $^ $(COMMON_LIBS)

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

.PHONY: fuzz fuzz-merge
fuzz: $(FUZZ_ONLY:%=$(BUILD)/fuzz/fuzz_%)
	@for n in $(FUZZ_ONLY); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$n $(BUILD)/fuzz/artifacts/$$n; \
		echo "== fuzz_$$n for $(FUZZ_TIME) s (log: $(BUILD)/fuzz/fuzz_$$n.log)"; \
		ASAN_OPTIONS=detect_leaks=1 $(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_TIME) \
			$(FUZZ_RUN_FLAGS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/artifacts/$$n/ \
			$(BUILD)/fuzz/corpus/$$n tests/fuzz/corpus/$$n >$(BUILD)/fuzz/fuzz_$$n.log 2>&1; \
		rc=$$?; \
		grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)' \
			$(BUILD)/fuzz/fuzz_$$n.log; \
		[ $$rc -eq 0 ] || { echo "fuzz_$$n failed (exit $$rc), input in $(BUILD)/fuzz/artifacts/$$n/"; exit 1; }; \
	done

# Keep the smallest set of inputs covering what the seeds and the work
# corpus cover (libFuzzer -merge=1 adds only inputs with new coverage).
fuzz-merge: $(FUZZ_ONLY:%=$(BUILD)/fuzz/fuzz_%)
	@for n in $(FUZZ_ONLY); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$n; \
		$(BUILD)/fuzz/fuzz_$$n -merge=1 $(FUZZ_RUN_FLAGS) tests/fuzz/corpus/$$n \
			$(BUILD)/fuzz/corpus/$$n >$(BUILD)/fuzz/merge_$$n.log 2>&1 || \
			{ echo "merge of $$n failed: $(BUILD)/fuzz/merge_$$n.log"; exit 1; }; \
		echo "$$n: $$(ls tests/fuzz/corpus/$$n | wc -l) inputs in tests/fuzz/corpus/$$n"; \
	done

# make check: replay each corpus with the normal compiler (and under ASan in make asan)
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%)
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o \
		$(BUILD)/obj/tests/fuzz/fuzz_util.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(COMMON_LIBS)

TEST_DEPS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
