# mysql-exporter: MySQL/MariaDB metrics for Prometheus (issue 5).
MYSQL_EXPORTER_SRCS := $(sort $(wildcard exporters/mysql/*.c))
MYSQL_EXPORTER_OBJS := $(MYSQL_EXPORTER_SRCS:%.c=$(BUILD)/obj/%.o)
MYSQL_EXPORTER_LIBS = $(call pkg_libs,libmariadb)
# Everything but main.o, for unit tests that link the collectors.
MYSQL_EXPORTER_LIB_OBJS := $(filter-out $(BUILD)/obj/exporters/mysql/main.o,$(MYSQL_EXPORTER_OBJS))

$(BUILD)/mysql-exporter: $(MYSQL_EXPORTER_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(MYSQL_EXPORTER_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(MYSQL_EXPORTER_LIBS)

PROGRAMS += $(BUILD)/mysql-exporter
MANPAGES += packaging/man/mysql-exporter.8

# Unit tests: tests/unit/mysql/test_<name>.c, linked with the collectors.
MYSQL_UNIT_SRCS := $(wildcard tests/unit/mysql/test_*.c)
MYSQL_UNIT_TESTS := $(MYSQL_UNIT_SRCS:tests/unit/mysql/%.c=$(BUILD)/tests/unit/mysql/%)

$(BUILD)/tests/unit/mysql/%: $(BUILD)/obj/tests/unit/mysql/%.o $(MYSQL_EXPORTER_LIB_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(MYSQL_EXPORTER_LIB_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(MYSQL_EXPORTER_LIBS)

$(BUILD)/obj/tests/unit/mysql/%.o: LOCAL_CPPFLAGS += -Iexporters/mysql -Itests/unit

# Integration tests: scripts against a real MariaDB (tests/lib/mariadb.sh).
MYSQL_IT_TESTS := $(sort $(wildcard tests/integration/mysql/test_*.sh))

TEST_DEPS += $(MYSQL_UNIT_TESTS) $(BUILD)/mysql-exporter $(BUILD)/mysql-exporter-floor
TESTS += $(MYSQL_UNIT_TESTS) $(MYSQL_IT_TESTS)
# Concurrent scrapes on the shared connection, also under ThreadSanitizer.
TSAN_TESTS += tests/integration/mysql/test_concurrent.sh
BENCHES += $(wildcard bench/mysql-exporter-bench.sh)

# The benchmark's floor: the exporter's SQL batch run directly (make bench; built for
# the tests too: test_mysql_bench runs the bench at tiny counts).
$(BUILD)/mysql-exporter-floor: $(BUILD)/obj/bench/mysql-exporter-floor.o $(MYSQL_EXPORTER_LIB_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(MYSQL_EXPORTER_LIB_OBJS) $(COMMON_LIB) $(COMMON_LIBS) $(MYSQL_EXPORTER_LIBS)
$(BUILD)/obj/bench/mysql-exporter-floor.o: LOCAL_CPPFLAGS += -Iexporters/mysql
bench: $(BUILD)/mysql-exporter-floor
