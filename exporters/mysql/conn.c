/*
 * conn: the persistent connection (see conn.h).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>

#include "conn.h"
#include "daemon.h"
#include "mycnf.h"

struct conn {
	MYSQL *m;
	bool open;
	enum { BATCH_IDLE, BATCH_FIRST, BATCH_MORE, BATCH_DONE } batch;
	char *my_cnf, *host, *group;
	char *user, *password, *socket;	/* DATA_SOURCE_NAME (NULL: option file) */
	unsigned port;
	char init_cmd[160];
	unsigned connect_timeout_s, read_timeout_s;
	enum server_flavor flavor;
	unsigned long version;
	uint64_t connects;
	unsigned err;
	char errmsg[640];
	struct mycnf_tls tls;	/* what the option file asked for, at the last connect */
};

/*
 * The calling thread's deadline for the client library's socket waits.
 * The library is used from one thread at a time (scrape.c's mutex), but that
 * thread changes from scrape to scrape, hence thread-local.
 */
static _Thread_local uint64_t tls_deadline_ns;
static _Thread_local bool tls_deadline_hit;

/*
 * MARIADB_OPT_IO_WAIT hook: Connector/C calls it for every wait on the
 * socket (connect, handshake, reads and writes) with its own timeout in ms
 * (-1 = none).  Returns like poll(2): >0 ready, 0 timed out, -1 error.
 */
static int io_wait(my_socket fd, my_bool is_read, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = is_read ? POLLIN : POLLOUT };
	for (;;) {
		int wait_ms = timeout_ms;
		if (tls_deadline_ns) {
			uint64_t now = daemon_now_ns();
			if (now >= tls_deadline_ns) {
				tls_deadline_hit = true;
				errno = ETIMEDOUT;
				return 0;
			}
			uint64_t left_ms = (tls_deadline_ns - now + 999999) / 1000000;
			if (wait_ms < 0 || (uint64_t)wait_ms > left_ms)
				wait_ms = (int)left_ms;
		}
		int rc = poll(&p, 1, wait_ms);
		if (rc > 0)
			return rc;
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc == 0 && wait_ms == timeout_ms) {
			errno = ETIMEDOUT;
			return 0;	/* the library's own timeout */
		}
		/* EINTR, or our deadline slice ended: loop re-checks the deadline */
	}
}

static unsigned secs_ceil(double s)
{
	if (s <= 0)
		return 1;
	double c = ceil(s);
	return c > 86400 ? 86400 : (unsigned)c;
}

struct conn *conn_new(const struct conn_config *cfg)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->my_cnf = cfg->my_cnf ? strdup(cfg->my_cnf) : NULL;
	c->host = cfg->host ? strdup(cfg->host) : NULL;
	c->group = strdup(cfg->group ? cfg->group : "client");
	c->port = cfg->port;
	c->user = cfg->user ? strdup(cfg->user) : NULL;
	c->password = cfg->password ? strdup(cfg->password) : NULL;
	c->socket = cfg->socket ? strdup(cfg->socket) : NULL;
	if ((cfg->my_cnf && !c->my_cnf) || !c->group || (cfg->host && !c->host) ||
	    (cfg->user && !c->user) || (cfg->password && !c->password) ||
	    (cfg->socket && !c->socket)) {
		conn_free(c);
		return NULL;
	}
	c->connect_timeout_s = secs_ceil(cfg->connect_timeout);
	c->read_timeout_s = secs_ceil(cfg->read_timeout);
	/*
	 * lock_wait_timeout keeps a scrape from queueing behind metadata locks
	 * (mysqld_exporter's DSN parameter); log_slow_filter keeps scrapes out
	 * of MariaDB's/Percona's slow log.  Sent in the connect (init command).
	 */
	snprintf(c->init_cmd, sizeof(c->init_cmd), "SET SESSION lock_wait_timeout=%ld%s",
		 cfg->lock_wait_timeout,
		 cfg->log_slow_filter ? ", log_slow_filter='tmp_table_on_disk,filesort_on_disk'" : "");
	return c;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	if (c->m) {
		/* COM_QUIT is a few bytes into the socket buffer; bound it anyway. */
		uint64_t saved = tls_deadline_ns;
		if (!tls_deadline_ns || tls_deadline_ns < daemon_now_ns())
			tls_deadline_ns = daemon_now_ns() + 100000000u;
		mysql_close(c->m);
		tls_deadline_ns = saved;
	}
	c->m = NULL;
	c->open = false;
	c->batch = BATCH_IDLE;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	conn_close(c);
	free(c->my_cnf);
	free(c->host);
	free(c->group);
	free(c->user);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->socket);
	free(c);
}

static void set_error(struct conn *c, unsigned code, const char *msg)
{
	c->err = code;
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg ? msg : "unknown error");
}

static void take_error(struct conn *c)
{
	set_error(c, mysql_errno(c->m), mysql_error(c->m));
}

int conn_open(struct conn *c, uint64_t deadline_ns)
{
	if (c->open)
		return 0;
	conn_close(c);
	uint64_t now = daemon_now_ns();
	if (deadline_ns && now >= deadline_ns) {
		set_error(c, CR_SERVER_LOST, "scrape deadline passed before connecting");
		return -ETIMEDOUT;
	}
	/*
	 * The package's template (CHANGE_ME) is not tried against the server:
	 * re-read at each attempt (a small file, only while disconnected), so
	 * the next scrape after the edit connects.
	 */
	if (c->my_cnf && mycnf_placeholder(c->my_cnf, NULL, 0) == 1) {
		char msg[sizeof(c->errmsg)];

		snprintf(msg, sizeof(msg), "credentials in %s are placeholders (%s)", c->my_cnf,
			 MYCNF_PLACEHOLDER);
		set_error(c, CR_UNKNOWN_ERROR, msg);
		return -ENOKEY;
	}
	/*
	 * TLS: the library reads ssl-ca & co. from the file itself, but a bare
	 * "ssl" or "ssl-verify-server-cert" alone would not turn TLS on (and
	 * would log in in clear text): insist when the file asks (mycnf.h).
	 */
	int tr = 0;	/* DATA_SOURCE_NAME mode has no option file: no TLS from it */

	c->tls = (struct mycnf_tls){ 0 };
	if (c->my_cnf)
		tr = mycnf_tls_read(c->my_cnf, c->group, &c->tls);
	if (tr < 0) {
		char msg[sizeof(c->errmsg)];

		snprintf(msg, sizeof(msg), "cannot read %s: %s", c->my_cnf, strerror(-tr));
		set_error(c, CR_UNKNOWN_ERROR, msg);
		return -EIO;
	}
	c->m = mysql_init(NULL);
	if (!c->m) {
		set_error(c, CR_OUT_OF_MEMORY, "mysql_init failed");
		return -ENOMEM;
	}
	unsigned ct = c->connect_timeout_s, rt = c->read_timeout_s;
	int (*hook)(my_socket, my_bool, int) = io_wait;
	my_bool off = 0;
	if ((c->my_cnf && (mysql_optionsv(c->m, MYSQL_READ_DEFAULT_FILE, c->my_cnf) ||
			   mysql_optionsv(c->m, MYSQL_READ_DEFAULT_GROUP, c->group))) ||
	    mysql_optionsv(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &ct) ||
	    mysql_optionsv(c->m, MYSQL_OPT_READ_TIMEOUT, &rt) ||
	    mysql_optionsv(c->m, MYSQL_OPT_WRITE_TIMEOUT, &rt) ||
	    mysql_optionsv(c->m, MYSQL_OPT_RECONNECT, &off) ||
	    mysql_optionsv(c->m, MYSQL_INIT_COMMAND, c->init_cmd) ||
	    mysql_optionsv(c->m, MARIADB_OPT_IO_WAIT, hook) ||
	    mysql_optionsv(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4") ||
	    (c->tls.enabled && mysql_optionsv(c->m, MYSQL_OPT_SSL_ENFORCE, &(my_bool){ 1 })) ||
	    (c->tls.verify &&
	     mysql_optionsv(c->m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &(my_bool){ 1 }))) {
		take_error(c);
		conn_close(c);
		return -EINVAL;
	}
	if (!c->my_cnf && !c->socket) {
		/* DATA_SOURCE_NAME tcp(localhost:3306): TCP as Go's driver, where
		 * the client library would take "localhost" for its socket */
		enum mysql_protocol_type tcp = MYSQL_PROTOCOL_TCP;

		if (mysql_optionsv(c->m, MYSQL_OPT_PROTOCOL, &tcp)) {
			take_error(c);
			conn_close(c);
			return -EINVAL;
		}
	}
	uint64_t saved = tls_deadline_ns;
	tls_deadline_ns = deadline_ns;
	tls_deadline_hit = false;
	c->connects++;
	/* NULL user/password/db: from the option file ([client], then the
	 * group); host/port too unless a /probe target overrides them. */
	MYSQL *ok = mysql_real_connect(c->m, c->host, c->user, c->password, NULL, c->port,
				       c->socket, CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS);
	bool hit = tls_deadline_hit;
	tls_deadline_ns = saved;
	if (!ok) {
		char msg[sizeof(c->errmsg)];

		mycnf_tls_error(&c->tls, c->my_cnf ? c->my_cnf : "DATA_SOURCE_NAME", mysql_errno(c->m), mysql_error(c->m), msg,
				sizeof(msg));
		set_error(c, mysql_errno(c->m), msg);
		if (hit)
			set_error(c, CR_SERVER_LOST, "connect: scrape deadline passed");
		conn_close(c);
		return hit ? -ETIMEDOUT : -ECONNREFUSED;
	}
	const char *info = mysql_get_server_info(c->m);
	c->flavor = (info && strstr(info, "MariaDB")) ? SERVER_MARIADB : SERVER_MYSQL;
	c->version = mysql_get_server_version(c->m);
	c->open = true;
	c->batch = BATCH_IDLE;
	c->err = 0;
	c->errmsg[0] = '\0';
	return 0;
}

bool conn_is_open(const struct conn *c)
{
	return c && c->open;
}

uint64_t conn_connects(const struct conn *c)
{
	return c->connects;
}

enum server_flavor conn_flavor(const struct conn *c)
{
	return c->flavor;
}

unsigned long conn_server_version(const struct conn *c)
{
	return c->version;
}

const char *conn_server_info(const struct conn *c)
{
	return c->open ? mysql_get_server_info(c->m) : "";
}

unsigned conn_errno(const struct conn *c)
{
	return c->err;
}

const char *conn_error(const struct conn *c)
{
	return c->errmsg;
}

/* Client-side errors (2000..2999) mean the connection is unusable. */
static int classify(struct conn *c)
{
	take_error(c);
	if (tls_deadline_hit) {
		set_error(c, CR_SERVER_LOST, "scrape deadline passed; connection dropped");
		conn_close(c);
		return -ETIMEDOUT;
	}
	if (c->err >= 2000 && c->err < 3000) {
		conn_close(c);
		return -EPIPE;
	}
	return -EIO;
}

int conn_query(struct conn *c, const char *sql, size_t len, uint64_t deadline_ns)
{
	if (!c->open)
		return -EPIPE;
	tls_deadline_ns = deadline_ns;
	tls_deadline_hit = false;
	if (mysql_real_query(c->m, sql, (unsigned long)len)) {
		int r = classify(c);
		if (c->open)
			c->batch = BATCH_DONE;
		tls_deadline_ns = 0;
		return r;
	}
	c->batch = BATCH_FIRST;
	return 0;
}

MYSQL_RES *conn_result(struct conn *c, int *ret_err)
{
	*ret_err = 0;
	if (!c->open || c->batch == BATCH_IDLE || c->batch == BATCH_DONE)
		return NULL;
	if (c->batch == BATCH_MORE) {
		int r = mysql_next_result(c->m);
		if (r == -1) {
			c->batch = BATCH_DONE;
			return NULL;
		}
		if (r > 0) {
			*ret_err = classify(c);
			if (c->open)
				c->batch = BATCH_DONE;
			return NULL;
		}
	}
	c->batch = BATCH_MORE;
	MYSQL_RES *res = mysql_store_result(c->m);
	if (!res) {
		if (mysql_errno(c->m)) {
			*ret_err = classify(c);
			if (c->open)
				c->batch = BATCH_DONE;
			return NULL;
		}
		/* a statement without a result set: not one of ours */
		*ret_err = -ENODATA;
	}
	return res;
}

void conn_query_done(struct conn *c)
{
	if (c->open && c->batch != BATCH_IDLE && c->batch != BATCH_DONE) {
		int err;
		MYSQL_RES *res;
		while ((res = conn_result(c, &err)) || err == -ENODATA)
			mysql_free_result(res);
	}
	if (c->open)
		c->batch = BATCH_IDLE;
	tls_deadline_ns = 0;
	tls_deadline_hit = false;
}
