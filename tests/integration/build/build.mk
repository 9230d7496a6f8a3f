# Build-level tests: make install DESTDIR=, and the command-line conventions
# every daemon shares (--help, --version, bad flags exit 2, man page).
TESTS += tests/integration/build/test_install.sh tests/integration/build/test_cli.sh \
	tests/integration/build/test_webconfig_daemons.sh
