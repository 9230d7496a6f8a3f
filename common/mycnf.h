/*
 * mycnf: does a my.cnf option file still hold the package's placeholders?
 * The Debian packages install /etc/NAME/my.cnf once with CHANGE_ME values
 * (packaging/config/NAME/my.cnf); a daemon that finds one says so once and
 * stays not ready -- it does not log in with them, which would only fill
 * the server's log with failed logins and this one with the same error.
 *
 * Thread-safety: a pure function of the file; it keeps no state.
 */
#ifndef PRISM_MYCNF_H
#define PRISM_MYCNF_H

#include <stddef.h>

#define MYCNF_PLACEHOLDER "CHANGE_ME"

/*
 * 1 when an option of the file (any section; comments and section headers
 * do not count) has a value containing CHANGE_ME, 0 when none has, or a
 * negative errno when the file cannot be read.  On 1, ret_option (keylen
 * bytes, may be NULL) gets the first such option's name.  Reads the file
 * with stdio: for start-up, reloads and reconnect attempts, not hot paths.
 */
int mycnf_placeholder(const char *path, char *ret_option, size_t keylen);

#endif
