# prism: one GNU Makefile for the whole tree.  Components add themselves in
# their own fragment (common/common.mk, orderd/orderd.mk, exporters/*/*.mk,
# tests/tests.mk) by appending to PROGRAMS, TESTS, MANPAGES and friends.
#
#   make            build every daemon into $(BUILD)/
#   make check      install deps, build, run every test; ends "N passed, N failed"
#   make check-offline  build and run the tests that need nothing outside the
#                   build tree (no apt-get, no network; dh_auto_test): a test
#                   needing a server that is not installed skips (exit 77)
#   make test-fresh the README's `make check` in a fresh Debian 12 container
#   make asan       the same tests built with ASan+UBSan (into build-asan/)
#   make tsan       the concurrency tests under ThreadSanitizer (build-tsan/)
#   make bench      benchmarks side by side with the peers
#   make run        the whole stack on loopback, on prism's own ports
#   make install DESTDIR=... PREFIX=/usr
#   make deps       apt-get the Debian 12 packages all of the above need

# The version lives in one file, VERSION (packaging/debian/changelog must
# agree: tests/integration/build/test_version.sh).  REVISION is the commit:
# from a REVISION file when the tree has one (a source package: `make deb`
# writes it), else from git, else "unknown"; git is never required.
VERSION := $(shell cat VERSION)
REVISION ?= $(or $(shell cat REVISION 2>/dev/null),$(shell git rev-parse --short=12 HEAD 2>/dev/null),unknown)

BUILD ?= build
# One spelling per build dir: an absolute BUILD inside the tree (as tests
# pass it) is made relative, so objects and their .d dependency files keep
# the same target names and incremental builds see header changes.
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
SAN ?=
PKG_CONFIG ?= pkg-config

# -Werror for development and CI; a distribution's newer compiler must not
# break the build on a new warning: the package build sets WERROR= (empty).
WERROR ?= -Werror
WARNINGS := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wno-unused-parameter
SANFLAGS := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)

# pkg-config packages per component (resolved lazily, only when used)
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

COMMON_PKGS := libmicrohttpd libsystemd libdeflate yaml-0.1 libcrypt gnutls
ALL_PKGS := $(COMMON_PKGS) libmariadb json-c libproc2 libpcre2-8 zlib
OBJ_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)
COMMON_LIBS = $(call pkg_libs,$(COMMON_PKGS)) -lm

BASE_CFLAGS = -std=gnu17 $(WARNINGS) $(SANFLAGS) -pthread -MMD -MP -D_GNU_SOURCE \
	-DPRISM_VERSION='"$(VERSION)"' -DPRISM_REVISION='"$(REVISION)"' -Icommon
BASE_LDFLAGS = $(SANFLAGS) -pthread

PROGRAMS :=
TESTS :=
TESTS_NOSAN :=
TSAN_TESTS :=
MANPAGES :=
BENCHES :=
CLEAN_EXTRA :=

# Keep objects (they are intermediates of pattern rules) for incremental builds.
.SECONDARY:
.DELETE_ON_ERROR:

.PHONY: all check check-offline test-fresh asan tsan bench run install clean deps test-only
all: programs

# Every fragment by name (never found by `find`: a quilt .pc/ copy or a
# stray build tree would be read twice).  common/ first: it defines
# COMMON_LIB for everyone.  A new fragment is added here;
# tests/integration/build/test_fragments.sh fails on one that is not.
FRAGMENTS := common/common.mk \
	common/metrics_pb.mk \
	tests/integration/common/common-int.mk \
	orderd/orderd.mk \
	exporters/host/host.mk \
	exporters/mysql/mysql.mk \
	db/db.mk \
	tests/integration/db/db.mk \
	tests/integration/security/security.mk \
	tests/soak/soak.mk \
	prometheus-rules/prometheus-rules.mk \
	tests/integration/rules/rules.mk \
	tests/e2e/e2e.mk \
	tests/integration/build/build.mk \
	tests/fuzz/fuzz.mk \
	tests/unit/unit.mk \
	ansible/ansible.mk \
	bench/metrics.mk
include $(FRAGMENTS)

programs: $(PROGRAMS)

# Test runner: every test is an executable (a C test binary or a script);
# it gets BUILD_DIR, SRC_DIR and exits 0 (pass), 77 (skip) or other (fail).
# SUITE=tsan runs only TSAN_TESTS (expanded here, with this make's BUILD).
RUN_TESTS = $(if $(filter tsan,$(SUITE)),$(TSAN_TESTS),$(if $(SAN),$(filter-out $(TESTS_NOSAN),$(TESTS)),$(TESTS)))
test-only: all $(TEST_DEPS)
	@BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) SAN="$(SAN)" \
		tests/run.sh $(RUN_TESTS)

check: deps
	@$(MAKE) --no-print-directory test-only

# The package build's tests: the compiled tests (unit tests, corpus replays)
# and the scripts in OFFLINE_TESTS, with PRISM_OFFLINE=1 so that a test
# needing a server that is not installed skips (tests/lib/need.sh); without
# PRISM_OFFLINE the same test fails instead, so CI never skips it.
OFFLINE_RUN = $(filter $(abspath $(BUILD))/% $(BUILD)/%,$(TESTS)) $(OFFLINE_TESTS)
check-offline: all $(TEST_DEPS)
	@PRISM_OFFLINE=1 BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) SAN="$(SAN)" \
		tests/run.sh $(OFFLINE_RUN)

# The README's `make check` in a fresh Debian 12 (root; network for apt).
test-fresh:
	@TEST_TIMEOUT=$${TEST_TIMEOUT:-3600} BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) \
		tests/run.sh tests/integration/build/test_fresh.sh

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=address,undefined CFLAGS="-O1 -g" test-only

tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan SAN=thread CC=clang CFLAGS="-O1 -g" \
		SUITE=tsan test-only

bench: deps all $(BENCHES)
	@BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) bench/run.sh $(BENCHES)

run: deps all
	@BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) scripts/run-stack.sh

deps:
	@scripts/deps.sh

# Debian packages (packaging/debian/) into dist/: make deb; lintian on them:
# make lintian.
.PHONY: deb deb-clean-room lintian apt-repo test-packages
deb:
	@scripts/make-deb.sh
deb-clean-room:
	@scripts/deb-clean-room.sh
apt-repo:
	@scripts/apt-repo.sh
# The packages on a booted Debian 12: install, run, reload, stop, upgrade to a
# rebuilt VERSION+1 (dist/up/, same signing key), remove, purge.
test-packages:
	@[ -f dist/apt/InRelease ] || { scripts/make-deb.sh && scripts/apt-repo.sh; }
	lintian --fail-on error,warning dist/prism_*.changes
	@DIST=$(CURDIR)/dist/up PRISM_DEB_VERSION=$(VERSION)+1 DEB_BUILD_OPTIONS=nocheck scripts/make-deb.sh >/dev/null
	@DIST=$(CURDIR)/dist/up PRISM_APT_GNUPGHOME=$(CURDIR)/dist/apt-key scripts/apt-repo.sh
	@TEST_TIMEOUT=$${TEST_TIMEOUT:-1800} DIST=$(CURDIR)/dist DIST_UP=$(CURDIR)/dist/up \
		BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) tests/run.sh tests/integration/build/test_packages.sh
lintian:
	lintian --fail-on error,warning --info dist/prism_*.changes

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	$(if $(PROGRAMS),install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/)
	$(if $(MANPAGES),install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/)

clean:
	rm -rf build build-asan build-tsan dist/build $(CLEAN_EXTRA)

# Generic compile rule: objects mirror the source tree under $(BUILD)/obj.
# Fragments add include paths per target with LOCAL_CPPFLAGS, never with
# CPPFLAGS, which belongs to the user (a CPPFLAGS= on the command line, as a
# package build passes, would override a target's CPPFLAGS += entirely).
LOCAL_CPPFLAGS :=
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LOCAL_CPPFLAGS) $(OBJ_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# make print-VAR: the value of a make variable (for tests and scripts).
print-%:
	@echo $($*)
