# Fuzzing of the parsers that take untrusted input (tests/fuzz/fuzz_*.c).
#
#   make fuzz                       each harness for FUZZ_SECONDS seconds (default 60),
#                                   then a table: executions, exec/s, cov/ft, new
#                                   corpus entries, crashes (tests/fuzz/report.sh)
#   make fuzz FUZZ_SECONDS=300 FUZZ_ONLY=writer
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
# One harness per line: other branches add theirs without touching these.
FUZZ_NAMES := negotiate flags_values webconfig basic_auth writer log
FUZZ_NAMES += json
FUZZ_NAMES += order
FUZZ_NAMES += textfile
FUZZ_NAMES += host_proc
FUZZ_NAMES += mycnf
FUZZ_NAMES += mysql_rows
FUZZ_NAMES += http_head
FUZZ_NAMES += route
FUZZ_ONLY ?= $(FUZZ_NAMES)
# FUZZ_TIME is the older name of FUZZ_SECONDS
FUZZ_TIME ?= 60
FUZZ_SECONDS ?= $(FUZZ_TIME)
FUZZ_CC ?= clang
FUZZ_COMMA := ,
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu17 -g -O1 -pthread -MMD -MP -D_GNU_SOURCE -Icommon -Itests/fuzz \
	-DPRISM_VERSION='"$(VERSION)"' -DPRISM_REVISION='"$(REVISION)"' \
	-Wall -Wextra -Werror -Wno-unused-parameter $(OBJ_CFLAGS)
FUZZ_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/tests/fuzz/fuzz_util.o
# the protobuf exposition's generated messages (common/metrics_pb.mk)
FUZZ_OBJS += $(BUILD)/fuzz/obj/$(PB_C:.c=.o)
$(BUILD)/fuzz/obj/$(PB_C:.c=.o) $(BUILD)/fuzz/obj/common/metrics_pb.o: FUZZ_CFLAGS += -I$(PB_GEN)
$(BUILD)/fuzz/obj/common/metrics_pb.o: $(PB_H)
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -max_len=4096

# the library with coverage instrumentation, the harness with libFuzzer's main
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(subst fuzzer$(FUZZ_COMMA),fuzzer-no-link$(FUZZ_COMMA),$(FUZZ_SAN)) -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -pthread -o $@ $^ $(COMMON_LIBS) $(FUZZ_LIBS)

# Harnesses of daemon code: their objects (both builds) and libraries.
#   fuzz_order: orderd/order.c (json-c, nettle)
#   fuzz_textfile: #includes exporters/host/textfile.c for its static parser
#   fuzz_host_proc: the /proc, /sys and os-release collectors on a temp tree
#     (it #includes textfile.c too, to check their exposition)
#   fuzz_mysql_rows: every mysql-exporter collector's parse() on canned rows
FUZZ_HOST_SRCS := $(filter-out exporters/host/main.c,$(sort $(wildcard exporters/host/*.c)))
FUZZ_MYSQL_SRCS := $(filter-out exporters/mysql/main.c,$(sort $(wildcard exporters/mysql/*.c)))
FUZZ_EXTRA_order := orderd/order.c
FUZZ_EXTRA_textfile := $(filter-out exporters/host/textfile.c,$(FUZZ_HOST_SRCS))
FUZZ_EXTRA_host_proc := $(FUZZ_EXTRA_textfile)
FUZZ_EXTRA_mysql_rows := $(FUZZ_MYSQL_SRCS)
$(BUILD)/fuzz/fuzz_order: $(FUZZ_EXTRA_order:%.c=$(BUILD)/fuzz/obj/%.o)
$(BUILD)/fuzz/fuzz_textfile: $(FUZZ_EXTRA_textfile:%.c=$(BUILD)/fuzz/obj/%.o)
$(BUILD)/fuzz/fuzz_host_proc: $(FUZZ_EXTRA_host_proc:%.c=$(BUILD)/fuzz/obj/%.o)
$(BUILD)/fuzz/fuzz_mysql_rows: $(FUZZ_EXTRA_mysql_rows:%.c=$(BUILD)/fuzz/obj/%.o)
$(BUILD)/tests/fuzz/fuzz_order: $(FUZZ_EXTRA_order:%.c=$(BUILD)/obj/%.o)
$(BUILD)/tests/fuzz/fuzz_textfile: $(FUZZ_EXTRA_textfile:%.c=$(BUILD)/obj/%.o)
$(BUILD)/tests/fuzz/fuzz_host_proc: $(FUZZ_EXTRA_host_proc:%.c=$(BUILD)/obj/%.o)
$(BUILD)/tests/fuzz/fuzz_mysql_rows: $(FUZZ_EXTRA_mysql_rows:%.c=$(BUILD)/obj/%.o)
$(BUILD)/fuzz/fuzz_order $(BUILD)/tests/fuzz/fuzz_order: FUZZ_LIBS = $(call pkg_libs,json-c nettle)
$(BUILD)/fuzz/fuzz_textfile $(BUILD)/tests/fuzz/fuzz_textfile: FUZZ_LIBS = $(call pkg_libs,libpcre2-8)
$(BUILD)/fuzz/fuzz_host_proc $(BUILD)/tests/fuzz/fuzz_host_proc: FUZZ_LIBS = $(call pkg_libs,libpcre2-8)
$(BUILD)/fuzz/fuzz_mysql_rows $(BUILD)/tests/fuzz/fuzz_mysql_rows: FUZZ_LIBS = $(call pkg_libs,libmariadb)

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

.PHONY: fuzz fuzz-merge
fuzz: $(FUZZ_ONLY:%=$(BUILD)/fuzz/fuzz_%)
	@FUZZ_BUILD=$(BUILD)/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUN_FLAGS="$(FUZZ_RUN_FLAGS)" \
		tests/fuzz/report.sh $(FUZZ_ONLY)

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
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter-out $(COMMON_LIB),$^) $(COMMON_LIB) $(COMMON_LIBS) $(FUZZ_LIBS)

TEST_DEPS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
