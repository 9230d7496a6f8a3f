/*
 * conn: mysql-exporter's one persistent connection to the server.
 *
 * Credentials come from the option file (--config.my-cnf) through the
 * client library (MYSQL_READ_DEFAULT_FILE, group "client"), or, when
 * DATA_SOURCE_NAME is set, from its parsed form (conn_config.user/password,
 * copied and wiped on free).  This module never logs a password.  The connection is opened lazily by the
 * first scrape, kept across scrapes, and dropped on any connection error so
 * that the next scrape reconnects (a server restart costs one reconnect).
 *
 * Deadlines: every blocking call runs under a deadline (CLOCK_MONOTONIC ns).
 * The library's own timeouts (MYSQL_OPT_CONNECT/READ/WRITE_TIMEOUT, whole
 * seconds) are only a safety net: every socket wait of the client library
 * goes through our MARIADB_OPT_IO_WAIT hook, which polls no longer than the
 * calling thread's deadline.  When it passes, the library sees a timed-out
 * read (CR_SERVER_LOST) and we drop the connection, so a stopped (SIGSTOP)
 * or wedged server never holds a scrape past its deadline — neither in a
 * query nor in the connect handshake.
 *
 * Thread-safety: one caller at a time (scrape.c holds its mutex around every
 * call).  Ownership: conn_new copies the strings of its config.
 */
#ifndef MYSQL_EXPORTER_CONN_H
#define MYSQL_EXPORTER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

struct conn;

struct conn_config {
	const char *my_cnf;		/* option file path */
	double connect_timeout;		/* seconds */
	double read_timeout;		/* seconds: the library's safety net per read */
	long lock_wait_timeout;		/* SET SESSION lock_wait_timeout at connect */
	bool log_slow_filter;		/* MariaDB/Percona: keep scrapes out of the slow log */
	/* /probe targets: override the option file's host/port, and read the
	 * option group "client.NAME" after [client] (auth_module).  NULL/0: none. */
	const char *host;
	unsigned port;
	const char *group;
	/* DATA_SOURCE_NAME (dsn.h): my_cnf is NULL, the credentials and the
	 * address come from here (socket: a unix socket path).  NULL: none. */
	const char *user, *password, *socket;
};

enum server_flavor {
	SERVER_MYSQL,
	SERVER_MARIADB,
};

struct conn *conn_new(const struct conn_config *cfg);
void conn_free(struct conn *c);	/* NULL is fine */

/*
 * Connect unless connected.  Returns 0, or a negative errno: -ETIMEDOUT past
 * the deadline, -ECONNREFUSED/-EIO when the server refused or failed (the
 * message is in conn_error()), -ENOKEY without trying when the option file
 * still holds the package's CHANGE_ME placeholders (mycnf.h).  The session gets lock_wait_timeout (and
 * log_slow_filter) through MYSQL_INIT_COMMAND, so it costs no extra round trip.
 */
int conn_open(struct conn *c, uint64_t deadline_ns);
bool conn_is_open(const struct conn *c);
/* Drop the connection (next conn_open reconnects). */
void conn_close(struct conn *c);
/* Connects made so far (each one a new server connection). */
uint64_t conn_connects(const struct conn *c);

/* Server identity, valid while open. */
enum server_flavor conn_flavor(const struct conn *c);
unsigned long conn_server_version(const struct conn *c);	/* 10.11.5 -> 101105 */
const char *conn_server_info(const struct conn *c);

/*
 * Send a statement batch (CLIENT_MULTI_STATEMENTS) under deadline_ns.  Then conn_result() for each statement in turn.  0 or a
 * negative errno (-EPIPE: the connection is gone; -EIO: an SQL error, see
 * conn_errno()).
 */
int conn_query(struct conn *c, const char *sql, size_t len, uint64_t deadline_ns);
/*
 * The next statement's result (stored), or NULL with *ret_err set: 0 when
 * the batch is finished, -EIO for an SQL error on this statement (the server
 * ran none after it), -EPIPE when the connection was lost, -ETIMEDOUT when
 * the deadline passed (in both cases the connection is then closed).  The result belongs to the caller
 * (mysql_free_result).
 */
MYSQL_RES *conn_result(struct conn *c, int *ret_err);
/* End a batch: drains (under the same deadline) anything left of it. */
void conn_query_done(struct conn *c);

/* The last error: code (mysql_errno) and message (no credentials in it). */
unsigned conn_errno(const struct conn *c);
const char *conn_error(const struct conn *c);

#endif
