# Build-level tests: make install DESTDIR=, the command-line conventions
# every daemon shares (--help, --version, bad flags exit 2, man page), the
# Makefile as a package build uses it, and the offline skip rule.
TESTS += tests/integration/build/test_install.sh tests/integration/build/test_cli.sh \
	tests/integration/build/test_webconfig_daemons.sh tests/integration/build/test_makefile.sh \
	tests/integration/build/test_need.sh tests/integration/build/test_units.sh \
	tests/integration/build/test_layering.sh tests/integration/build/test_apt_repo.sh

# make check-offline (the package build) runs these scripts besides every
# compiled test: they need nothing but the build tree and Build-Depends.
OFFLINE_TESTS += tests/integration/build/test_install.sh tests/integration/build/test_cli.sh \
	tests/integration/build/test_need.sh tests/integration/build/test_units.sh \
	tests/integration/common/test_exampled_lifecycle.sh tests/integration/build/test_layering.sh
