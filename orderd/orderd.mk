# orderd: the order API daemon (issue 3).
ORDERD_SRCS := orderd/main.c orderd/api.c orderd/db.c orderd/order.c orderd/ring.c
ORDERD_OBJS := $(ORDERD_SRCS:%.c=$(BUILD)/obj/%.o)
ORDERD_LIBS = $(call pkg_libs,libmariadb json-c nettle)

$(BUILD)/orderd: $(ORDERD_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(ORDERD_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(ORDERD_LIBS)

PROGRAMS += $(BUILD)/orderd
MANPAGES += packaging/man/orderd.8

# Unit tests: tests/unit/orderd/test_<name>.c (they #include the .c under test).
ORDERD_UNIT_SRCS := $(wildcard tests/unit/orderd/test_*.c)
ORDERD_UNIT_TESTS := $(ORDERD_UNIT_SRCS:tests/unit/orderd/%.c=$(BUILD)/tests/unit/orderd/%)

$(BUILD)/tests/unit/orderd/%: $(BUILD)/obj/tests/unit/orderd/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(COMMON_LIB) $(COMMON_LIBS) $(ORDERD_LIBS)

$(BUILD)/obj/tests/unit/orderd/%.o: LOCAL_CPPFLAGS += -Iorderd -Itests/unit

# Integration tests: black-box scripts against a real MariaDB (tests/lib/mariadb.sh).
ORDERD_IT_TESTS := $(sort $(wildcard tests/integration/orderd/test_*.sh))

TEST_DEPS += $(ORDERD_UNIT_TESTS) $(BUILD)/orderd
TESTS += $(ORDERD_UNIT_TESTS) $(ORDERD_IT_TESTS)
# The API test drives every thread hand-off (I/O threads, workers, checker);
# the ring test, the lock-free rings the hand-offs go through.
TSAN_TESTS += tests/integration/orderd/test_api.sh $(BUILD)/tests/unit/orderd/test_ring
