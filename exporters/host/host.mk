# host-exporter: node_exporter-compatible host metrics (issue 4).
HOST_SRCS := $(sort $(wildcard exporters/host/*.c))
HOST_OBJS := $(HOST_SRCS:%.c=$(BUILD)/obj/%.o)
HOST_LIB_OBJS := $(filter-out $(BUILD)/obj/exporters/host/main.o,$(HOST_OBJS))
# Collectors parse /proc and /sys directly (see host-exporter(8)); libproc2 is
# not linked.  PCRE2 runs node_exporter's RE2-syntax flag regexes.
HOST_LIBS = $(call pkg_libs,libpcre2-8)

$(BUILD)/host-exporter: $(HOST_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(HOST_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(HOST_LIBS)

PROGRAMS += $(BUILD)/host-exporter
MANPAGES += packaging/man/host-exporter.8

# Unit tests: tests/unit/host/test_<name>.c, linked with the collectors.
HOST_UNIT_SRCS := $(wildcard tests/unit/host/test_*.c)
HOST_UNIT_TESTS := $(HOST_UNIT_SRCS:tests/unit/host/%.c=$(BUILD)/tests/unit/host/%)

$(BUILD)/tests/unit/host/%: $(BUILD)/obj/tests/unit/host/%.o $(HOST_LIB_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(HOST_LIB_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(HOST_LIBS)

$(BUILD)/obj/tests/unit/host/%.o: LOCAL_CPPFLAGS += -Iexporters/host -Itests/unit

# Integration tests: scripts that run the binary (fixtures, HTTP, peers).
HOST_IT_TESTS := $(sort $(wildcard tests/integration/host/test_*.sh))

TEST_DEPS += $(HOST_UNIT_TESTS) $(BUILD)/host-exporter
TESTS += $(HOST_UNIT_TESTS) $(HOST_IT_TESTS)
TESTS_NOSAN += $(filter %test_valgrind.sh,$(HOST_IT_TESTS))
TSAN_TESTS += $(filter %test_concurrency.sh,$(HOST_IT_TESTS))
BENCHES += bench/host-exporter-bench.sh

# Regenerate the golden outputs from the fixture trees: prints the diff and
# writes only with HOST_GOLDENS_CONFIRM=yes (after checking the masked values).
.PHONY: host-goldens
host-goldens: $(BUILD)/host-exporter
	@BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) HOST_GOLDENS_CONFIRM=$(HOST_GOLDENS_CONFIRM) \
		tests/integration/host/regen-goldens.sh

# A FUSE mount that never answers, for the hung-statfs test.
$(BUILD)/tests/integration/host/fuse_hang: tests/integration/host/fuse_hang.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $<
TEST_DEPS += $(BUILD)/tests/integration/host/fuse_hang

# The systemd collector on a booted Debian 12 (systemd-nspawn, root) against
# Debian's node_exporter 1.5: make test-systemd (.ci/run runs it; the image
# is cached under /var/tmp, about 1 min once cached).
.PHONY: test-systemd
test-systemd: $(BUILD)/host-exporter
	@TEST_TIMEOUT=$${TEST_TIMEOUT:-900} BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) \
		tests/run.sh tests/integration/host/container/test_systemd.sh
