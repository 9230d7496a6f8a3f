# Long-running checks outside CI (issue 14).  Listed in the top-level
# Makefile's FRAGMENTS.
#   make soak      SOAK_SECONDS (default 1800) of mixed load and scrapes;
#                  RSS, fds, threads and DB connections must stay flat
#                  (tests/soak/soak.sh prints the table)
#   make valgrind  the integration tests of orderd, host-exporter and
#                  mysql-exporter with each daemon under valgrind memcheck
#                  (tests/soak/valgrind.sh; VALGRIND_SETS="orderd host mysql")
ifndef PRISM_SOAK_MK
PRISM_SOAK_MK := 1
SOAK_SECONDS ?= 1800
VALGRIND_SETS ?= orderd host mysql
.PHONY: soak valgrind
soak: deps all
	BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/soak.sh
# (TEST_DEPS in the recipe: fragments read after this one add to it.)
valgrind: deps
	$(MAKE) --no-print-directory all $(TEST_DEPS)
	BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) tests/soak/valgrind.sh $(VALGRIND_SETS)
endif
