/*
 * dsn: mysqld_exporter 0.14's DATA_SOURCE_NAME, a Go MySQL driver DSN
 * (github.com/go-sql-driver/mysql, "DSN (Data Source Name)" in its README):
 *
 *     [user[:password]@][net[(addr)]]/[dbname][?param=value&...]
 *
 * net is tcp (addr host[:port], default 127.0.0.1:3306, port 3306 when
 * absent; [v6]:port for IPv6) or unix (addr the socket path, default
 * /tmp/mysql.sock).  As in the driver, the LAST '/' ends the address (a
 * socket path may hold slashes), the last '@' before it ends the
 * credentials, and the first ':' in them ends the user (a password may hold
 * ':' and '@').  Nothing is percent-decoded (the driver decodes only
 * parameter values).  Parameters are accepted and not used: the exporter's
 * own flags set what they would (timeouts, lock_wait_timeout, TLS).
 *
 * Thread-safety: pure functions.  Ownership: dsn_parse fills a struct that
 * owns its strings (dsn_done frees them, wiping the password first).
 * Error messages never contain the password.
 */
#ifndef MYSQL_EXPORTER_DSN_H
#define MYSQL_EXPORTER_DSN_H

#include <stdbool.h>
#include <stddef.h>

struct dsn {
	char *user;		/* NULL: none given (the client library's default) */
	char *password;		/* NULL: none given */
	char *host;		/* tcp: host name or address; NULL for unix */
	unsigned port;		/* tcp */
	char *socket;		/* unix: socket path; NULL for tcp */
	char *dbname;		/* NULL or "" : none */
	size_t nparams;		/* ?key=value pairs seen (ignored) */
	char first_param[64];	/* the first parameter's key, for the log */
};

/*
 * Parse s.  0, or -EINVAL with a message in err (what is wrong, never the
 * password).  *ret is written only on success; dsn_done() it afterwards.
 */
int dsn_parse(const char *s, struct dsn *ret, char *err, size_t errlen);
void dsn_done(struct dsn *d);

#endif
