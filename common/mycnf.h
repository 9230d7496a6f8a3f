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

#include <stdbool.h>
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

/*
 * TLS to the server.  The client library (libmariadb 3.3) reads ssl-ca,
 * ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl and
 * ssl-verify-server-cert from the option file itself (and turns TLS on when
 * a file key is present), but it ignores a bare "ssl" and it does not turn
 * TLS on for "ssl-verify-server-cert" alone: such a file would silently
 * connect in clear text.  mycnf_tls_read finds what the file asks for, so
 * the daemon can insist (MYSQL_OPT_SSL_ENFORCE) and name the CA file in its
 * errors.  Keys are matched as the library does: '_' and '-' alike, an
 * optional "loose-" prefix; booleans bare or =1/0/on/off/true/false;
 * "skip-ssl", "disable-ssl" or "ssl=0" turn it off.  Groups read: [client],
 * [client-server], [client-mariadb] and `group` (NULL: none more), later
 * lines winning.  "!include" is not followed (nor is it here).
 */
struct mycnf_tls {
	bool enabled;		/* TLS asked for: "ssl" or any ssl-* key */
	bool verify;		/* ssl-verify-server-cert */
	char ca[256];		/* ssl-ca, or ssl-capath when no ssl-ca ("" if none) */
};

/* 0 with *ret filled (all off when the file asks for nothing), or -errno. */
int mycnf_tls_read(const char *path, const char *group, struct mycnf_tls *ret);

/* "TLS (CA file /etc/x/ca.pem, server certificate verified)" or "no TLS". */
void mycnf_tls_describe(const struct mycnf_tls *t, char *buf, size_t len);

/*
 * The client library's connect error `msg` (code `err`, mysql_errno) with
 * what TLS meant for it, for the daemon's log and readiness messages:
 * a TLS failure (CR_SSL_CONNECTION_ERROR) names the CA file and whether the
 * certificate was being verified; an access denial over clear text says that
 * a server with require_secure_transport refuses clear text the same way
 * (MariaDB answers 1045, not a TLS error) and which file to set ssl-ca in.
 * Other errors are copied unchanged.  Never contains option values other
 * than the CA path (no password: the library's messages carry none).
 */
void mycnf_tls_error(const struct mycnf_tls *t, const char *path, unsigned err, const char *msg,
		     char *buf, size_t len);

#endif
