/*
 * db: the worker pool.  N workers, each owning a reader and a writer
 * connection with their prepared statements, serve a bounded queue of jobs
 * that the callers (api.c's handlers) filled; a checker thread pings the
 * DB for readiness.
 *
 * Jobs come from a fixed set (queue_size + pool_size of them, made at
 * start-up) kept in a lock-free ring (ring.h): taking one never allocates
 * or locks, and an empty ring means every worker is busy and the queue is
 * full, so db_job_get says no (the caller sheds).  The queue is a second
 * such ring; a semaphore
 * wakes sleeping workers (a futex only when someone sleeps).
 *
 * Each worker owns TWO connections: a reader (autocommit, for GET: one
 * round trip) and a writer (autocommit=0, READ COMMITTED: its first
 * statement opens the transaction, so a POST needs no START TRANSACTION and
 * costs four round trips; after COMMIT/ROLLBACK it holds no transaction, no
 * snapshot and no metadata lock while idle).  Mixing both kinds on one
 * connection would cost a mode switch (a round trip) whenever the kind
 * changes.  A worker's writer is opened ahead of traffic, its reader only
 * when a GET reaches the worker: GETs run on the libmicrohttpd thread that
 * read them, on a reader of that thread's own (db_job_run_here: without
 * the two thread hand-offs), and reach the workers only while the DB is
 * not ready or that reader backs off.  Total: --db.pool-size writers + 1
 * (the checker) + one reader per libmicrohttpd thread that has run a GET,
 * plus the workers' readers that were needed: at most 2 x --db.pool-size
 * + threads + 1.
 *
 * Outcomes: a job ends with job->result (0 or -errno, db.h) and the order
 * JSON in job->out, handed to the configured callback; this file knows
 * nothing of HTTP (api.c maps outcomes to statuses).  Inside, a statement's
 * error is classified into the same vocabulary (classify()): -EEXIST
 * duplicate key, -EAGAIN deadlock or lock wait timeout, -ENOTCONN the
 * connection is unusable, -EIO anything else -- none of which can be taken
 * for -ENOENT "no such order".
 *
 * SQL: only what MariaDB and MySQL 8.0 both run (no RETURNING, which
 * MariaDB has since 10.5 and MySQL not at all):
 * the ids of a POST come from the OK packet (mysql_stmt_insert_id: the
 * first row's id; a multi-row INSERT VALUES is a "simple insert", whose
 * ids InnoDB allocates consecutively, auto_increment_increment apart, in
 * every innodb_autoinc_lock_mode), and created_at is sent, not defaulted.
 *
 * Connections: credentials and address come only from the my.cnf
 * (MYSQL_READ_DEFAULT_FILE, group [client]); every connection has connect,
 * read and write timeouts, utf8mb4 and time_zone '+00:00' (TIMESTAMPs come
 * back in UTC for RFC 3339 "Z").  Statements are prepared once per
 * connection and again after a reconnect; the writer's are bound once too,
 * to buffers of the connection that a POST only fills in (bind_writer).  A lost connection is closed;
 * the worker reconnects with capped exponential backoff, and a request that
 * failed before its COMMIT was sent is retried once on the new connection
 * (InnoDB rolled the transaction back when the connection died).
 */
#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "mycnf.h"
#include "ring.h"

#define GET_ORDER_SQL                                                                          \
	"SELECT o.order_id, o.customer_id, c.customer_id, c.name, c.email, o.status, "          \
	"o.total_amount, o.created_at, i.item_id, i.product_id, i.quantity, i.unit_price "      \
	"FROM orders o LEFT JOIN customer c ON c.customer_id = o.customer_id "                  \
	"LEFT JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ?"
static const char get_order_sorted_sql[] = GET_ORDER_SQL " ORDER BY i.item_id";

static const char *const sql_text[Q_COUNT] = {
	/*
	 * One round trip: the order, its customer and its items.  No ORDER BY:
	 * with it MariaDB 10.11 plans "Using temporary; Using filesort" for
	 * every GET, while the ref access on idx_items_order already yields
	 * (order_id, item_id) order.  order_load() checks that order and falls
	 * back to GET_ORDER_SORTED if a plan ever returns otherwise.
	 */
	[Q_GET_ORDER] = GET_ORDER_SQL,
	[Q_GET_CUSTOMER] = "SELECT name, email FROM customer WHERE customer_id = ?",
	/*
	 * Only when the customer is missing.  INSERT IGNORE, not ON DUPLICATE
	 * KEY UPDATE: on a row another transaction just inserted it waits for
	 * that one and then takes only a shared lock, so concurrent requests for
	 * the same new customer all proceed with one row (no lock upgrade, no
	 * deadlock).  Inputs are validated, so IGNORE hides nothing else.
	 */
	[Q_INSERT_CUSTOMER] = "INSERT IGNORE INTO customer (customer_id, name, email) VALUES (?, ?, ?)",
	/*
	 * No RETURNING (MariaDB >= 10.5 only): the id comes back in the OK
	 * packet (mysql_stmt_insert_id) and created_at is orderd's clock,
	 * sent here, so the answer needs no read-back on either server.
	 */
	[Q_INSERT_ORDER] =
		"INSERT INTO orders (customer_id, total_amount, status, idempotency_key, request_hash, "
		"created_at) VALUES (?, ?, 'pending', ?, ?, ?)",
	/* One multi-row INSERT per item count, prepared on first use
	 * (items_stmt()); the ids follow from the first one (see above). */
	[Q_INSERT_ITEMS] = NULL,
	[Q_FIND_IDEMPOTENT] = "SELECT order_id, request_hash FROM orders WHERE idempotency_key = ?",
	[Q_COMMIT] = "COMMIT",
	[Q_PING] = NULL,
};

/* Result buffers of Q_GET_ORDER: the row's fields are bound in place. */
struct get_row {
	struct order_row row;
	MYSQL_TIME created;
	my_bool error[OCOL_COUNT];
	MYSQL_BIND res[OCOL_COUNT];
	MYSQL_BIND param;
	int64_t param_id;
};

struct dbconn {
	struct db_pool *pool;
	MYSQL *my;
	MYSQL_STMT *st[Q_COUNT];
	MYSQL_STMT *get_sorted;		/* GET_ORDER with ORDER BY, prepared on first need */
	bool writer;			/* autocommit=0, READ COMMITTED; else the reader */
	unsigned auto_inc;		/* the writer's @@auto_increment_increment */
	bool up;
	uint64_t next_try_ns;
	unsigned backoff_ms;
	uint64_t outage_gen;		/* pool->outage_gen when connected */
	struct get_row g;
	unsigned last_errno;		/* of the last failed statement, for the log */
	char last_error[256];
	/*
	 * The writer's parameters and results live here, bound once per
	 * connection (bind_writer, items_stmt) and only written per POST: a
	 * statement bound again sends its parameter types to the server again
	 * with every execute (libmariadb's send_types_to_server), which costs
	 * a bind call on each side per statement.
	 */
	int64_t cust_id;		/* Q_GET_CUSTOMER, Q_INSERT_ORDER */
	char total[24];			/* Q_INSERT_ORDER */
	unsigned long total_len;
	char key[ORDER_MAX_IDEM_KEY + 1];
	unsigned long key_len;
	uint8_t hash[ORDER_HASH_LEN];
	unsigned long hash_len;
	my_bool no_key;			/* key and hash sent as NULL */
	MYSQL_TIME created;
	/* Q_INSERT_ITEMS: a statement per item count, prepared lazily */
	MYSQL_STMT *items_st[ORDER_MAX_ITEMS + 1];
	MYSQL_BIND it_bind[4 * ORDER_MAX_ITEMS];
	int64_t it_order;
	int32_t it_product[ORDER_MAX_ITEMS];
	int32_t it_quantity[ORDER_MAX_ITEMS];
	char it_price[ORDER_MAX_ITEMS][24];
	unsigned long it_price_len[ORDER_MAX_ITEMS];
};

struct worker {
	struct db_pool *pool;
	pthread_t tid;
	bool started;
	struct dbconn rc;		/* reader: GET */
	struct dbconn wc;		/* writer: POST */
	bool here;			/* a caller's thread (db_job_run_here), not a worker */
	struct worker *next;		/* pool->here_list */
};

struct db_pool {
	struct db_config cfg;
	struct db_metrics m;		/* copy of *cfg.metrics, or all NULL */
	pthread_mutex_t mu;		/* the checker's sleep only */
	pthread_cond_t check_cv;	/* wakes the checker early (stop) */
	struct db_job *jobs;		/* all of them, for free() */
	struct ring free_jobs;		/* jobs not in use; capacity >= every job, */
	struct ring queue;		/* jobs waiting for a worker; so a push never fails */
	sem_t queued;			/* counts pushes to queue (+ stop wake-ups) */
	bool sem_ok;
	_Atomic bool stopping;
	struct worker *workers;
	pthread_t checker;
	bool checker_started;
	bool lib_init;
	_Atomic bool ready;
	_Atomic bool placeholder;	/* the my.cnf holds CHANGE_ME: never connect */
	_Atomic uint64_t outage_gen;	/* bumped when the checker sees the DB go down */
	_Atomic unsigned connected, busy;
	uint64_t id;			/* tells a thread's connection for this pool */
	_Atomic(struct worker *) here_list;	/* the callers' threads' connections */
	_Atomic unsigned here_active;	/* db_job_run_here calls under way */
};

/*
 * db_job_run_here's state of the calling thread (a libmicrohttpd thread):
 * its own reader connection, for the pool whose id it holds.  Made on the
 * thread's first GET, listed in pool->here_list and closed and freed by
 * db_pool_free, never by the thread (libmicrohttpd's threads end without
 * telling us).
 */
static _Thread_local struct worker *here_worker;
static _Thread_local uint64_t here_pool_id;
static _Atomic uint64_t pool_ids;

/*
 * A failed statement's MariaDB/MySQL error number in the job vocabulary
 * (db.h): never -ENOENT, which only order_load's "no row" means.
 */
static int classify(unsigned err)
{
	switch (err) {
	case 0:
		return 0;
	case ER_DUP_ENTRY:
		return -EEXIST;
	case ER_LOCK_DEADLOCK:		/* the transaction was rolled back */
	case ER_LOCK_WAIT_TIMEOUT:	/* row lock (innodb_lock_wait_timeout) or
					 * metadata lock (lock_wait_timeout) */
		return -EAGAIN;
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case ER_QUERY_INTERRUPTED:
	case ER_UNKNOWN_STMT_HANDLER:	/* statements gone: treat as a new session */
	case 4031:			/* ER_CLIENT_INTERACTION_TIMEOUT (MariaDB 10.4+):
					 * the server dropped an idle connection */
		return -ENOTCONN;
	default:
		/* 2000..2999 are client-side errors (errmsg.h): lost connection,
		 * timeouts, protocol trouble.  The connection is unusable. */
		return err >= CR_MIN_ERROR && err <= CR_MAX_ERROR ? -ENOTCONN : -EIO;
	}
}

static void observe(const struct db_pool *p, enum db_query q, uint64_t t0)
{
	if (p->m.query[q])
		histogram_observe_ns(p->m.query[q], daemon_now_ns() - t0);
}

/* ---- connections ---- */

static void conn_close(struct db_pool *p, struct dbconn *c)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (c->st[i]) {
			mysql_stmt_close(c->st[i]);
			c->st[i] = NULL;
		}
	if (c->get_sorted) {
		mysql_stmt_close(c->get_sorted);
		c->get_sorted = NULL;
	}
	for (int i = 0; i <= ORDER_MAX_ITEMS; i++)
		if (c->items_st[i]) {
			mysql_stmt_close(c->items_st[i]);
			c->items_st[i] = NULL;
		}
	if (c->my) {
		mysql_close(c->my);
		c->my = NULL;
	}
	if (c->up && p)
		atomic_fetch_sub(&p->connected, 1);
	c->up = false;
}

static MYSQL *connect_db(const struct db_config *cfg, bool writer, char *errbuf, size_t errlen)
{
	unsigned t = cfg->timeout_s;
	struct mycnf_tls tls;
	int r = mycnf_tls_read(cfg->my_cnf, NULL, &tls);
	MYSQL *my;

	if (r < 0) {
		snprintf(errbuf, errlen, "cannot read %s: %s", cfg->my_cnf, strerror(-r));
		return NULL;
	}
	my = mysql_init(NULL);
	if (!my) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	/* Credentials only from the option file, never argv (issue 3). */
	mysql_options(my, MYSQL_READ_DEFAULT_FILE, cfg->my_cnf);
	mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (writer) {
		/* Run again after any reconnect, as part of the handshake. */
		mysql_options(my, MYSQL_INIT_COMMAND,
			      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
		mysql_options(my, MYSQL_INIT_COMMAND, "SET autocommit = 0");
	}
	/* TLS as the file asks, enforced (see mycnf.h: "ssl" or
	 * "ssl-verify-server-cert" alone would otherwise be clear text). */
	if (tls.enabled)
		mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &(my_bool){ 1 });
	if (tls.verify)
		mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &(my_bool){ 1 });
	if (!mysql_real_connect(my, NULL, NULL, NULL, NULL, 0, NULL, 0)) {
		mycnf_tls_error(&tls, cfg->my_cnf, mysql_errno(my), mysql_error(my), errbuf, errlen);
		mysql_close(my);
		return NULL;
	}
	if (cfg->db_name) {
		if (!my->db || strcmp(my->db, cfg->db_name) != 0)
			if (mysql_select_db(my, cfg->db_name))
				goto fail;
	} else if (!my->db || !*my->db) {
		if (mysql_select_db(my, "orders_db"))
			goto fail;
	}
	return my;
fail:
	snprintf(errbuf, errlen, "%u: %s", mysql_errno(my), mysql_error(my));
	mysql_close(my);
	return NULL;
}

static void get_bind(struct get_row *g)
{
	struct order_row *o = &g->row;
	MYSQL_BIND *b = g->res;

	memset(b, 0, sizeof(g->res));
	for (int i = 0; i < OCOL_COUNT; i++) {
		b[i].is_null = &o->null[i];
		b[i].error = &g->error[i];
	}
#define BIND_LL(col, field)                                     \
	b[col].buffer_type = MYSQL_TYPE_LONGLONG;               \
	b[col].buffer = &o->field
#define BIND_STR(col, field)                                    \
	b[col].buffer_type = MYSQL_TYPE_STRING;                 \
	b[col].buffer = o->field;                               \
	b[col].buffer_length = sizeof(o->field);                \
	b[col].length = &o->field##_len
	BIND_LL(OCOL_ORDER_ID, order_id);
	BIND_LL(OCOL_ORDER_CUSTOMER, o_cust);
	BIND_LL(OCOL_CUSTOMER_ID, c_cust);
	BIND_STR(OCOL_NAME, name);
	BIND_STR(OCOL_EMAIL, email);
	BIND_STR(OCOL_STATUS, status);
	BIND_STR(OCOL_TOTAL, total);
	b[OCOL_CREATED].buffer_type = MYSQL_TYPE_DATETIME;
	b[OCOL_CREATED].buffer = &g->created;
	BIND_LL(OCOL_ITEM_ID, item_id);
	BIND_LL(OCOL_PRODUCT_ID, product_id);
	BIND_LL(OCOL_QUANTITY, quantity);
	BIND_STR(OCOL_PRICE, price);
#undef BIND_LL
#undef BIND_STR
	memset(&g->param, 0, sizeof(g->param));
	g->param.buffer_type = MYSQL_TYPE_LONGLONG;
	g->param.buffer = &g->param_id;
}

/*
 * The writer's @@auto_increment_increment: the step between the ids of one
 * multi-row INSERT.  Read once per connection (a session keeps the global
 * value it started with; orderd never sets it).
 */
static int read_auto_inc(struct dbconn *c, char *err, size_t errlen)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long v = 0;

	if (mysql_query(c->my, "SELECT @@session.auto_increment_increment") ||
	    !(res = mysql_store_result(c->my))) {
		snprintf(err, errlen, "auto_increment_increment: %s", mysql_error(c->my));
		return -EIO;
	}
	row = mysql_fetch_row(res);
	if (row && row[0])
		v = strtoul(row[0], NULL, 10);
	mysql_free_result(res);
	/* autocommit=0: leave no transaction open behind this read */
	if (c->my->server_status & SERVER_STATUS_IN_TRANS)
		mysql_rollback(c->my);
	if (v < 1 || v > 65535) {
		snprintf(err, errlen, "auto_increment_increment: unexpected value");
		return -EIO;
	}
	c->auto_inc = (unsigned)v;
	return 0;
}

/*
 * The writer's statements of every POST bound once to the connection's own
 * buffers (see struct dbconn), and the items' binds made ready for
 * items_stmt.  0 or -EIO with the reason in err.
 */
static int bind_writer(struct dbconn *c, char *err, size_t errlen)
{
	struct order_row *g = &c->g.row;
	MYSQL_BIND p, res[2], b[5];
	MYSQL_BIND *ib = c->it_bind;

	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONGLONG;
	p.buffer = &c->cust_id;
	/* the customer's name and email land where the answer reads them */
	memset(res, 0, sizeof(res));
	res[0].buffer_type = MYSQL_TYPE_STRING;
	res[0].buffer = g->name;
	res[0].buffer_length = sizeof(g->name);
	res[0].length = &g->name_len;
	res[0].is_null = &g->null[OCOL_NAME];
	res[1].buffer_type = MYSQL_TYPE_STRING;
	res[1].buffer = g->email;
	res[1].buffer_length = sizeof(g->email);
	res[1].length = &g->email_len;
	res[1].is_null = &g->null[OCOL_EMAIL];
	if (mysql_stmt_bind_param(c->st[Q_GET_CUSTOMER], &p) ||
	    mysql_stmt_bind_result(c->st[Q_GET_CUSTOMER], res)) {
		snprintf(err, errlen, "bind: %s", mysql_stmt_error(c->st[Q_GET_CUSTOMER]));
		return -EIO;
	}
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &c->cust_id;
	/* The exact decimal text; the server converts it to DECIMAL(10,2). */
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = c->total;
	b[1].length = &c->total_len;
	/* one type whether a key was sent or not: NULL through is_null, so
	 * that no POST changes the statement's parameter types */
	b[2].buffer_type = MYSQL_TYPE_STRING;
	b[2].buffer = c->key;
	b[2].length = &c->key_len;
	b[2].is_null = &c->no_key;
	b[3].buffer_type = MYSQL_TYPE_BLOB;
	b[3].buffer = c->hash;
	b[3].length = &c->hash_len;
	b[3].is_null = &c->no_key;
	/* A TIMESTAMP read in the session's time zone, '+00:00' (connect_db). */
	b[4].buffer_type = MYSQL_TYPE_DATETIME;
	b[4].buffer = &c->created;
	c->hash_len = ORDER_HASH_LEN;
	if (mysql_stmt_bind_param(c->st[Q_INSERT_ORDER], b)) {
		snprintf(err, errlen, "bind: %s", mysql_stmt_error(c->st[Q_INSERT_ORDER]));
		return -EIO;
	}
	memset(c->it_bind, 0, sizeof(c->it_bind));
	for (size_t i = 0; i < ORDER_MAX_ITEMS; i++, ib += 4) {
		ib[0].buffer_type = MYSQL_TYPE_LONGLONG;
		ib[0].buffer = &c->it_order;
		ib[1].buffer_type = MYSQL_TYPE_LONG;
		ib[1].buffer = &c->it_product[i];
		ib[2].buffer_type = MYSQL_TYPE_LONG;
		ib[2].buffer = &c->it_quantity[i];
		/* Money travels as its exact decimal text, as the total. */
		ib[3].buffer_type = MYSQL_TYPE_STRING;
		ib[3].buffer = c->it_price[i];
		ib[3].length = &c->it_price_len[i];
	}
	return 0;
}

static int conn_open(struct db_pool *p, struct dbconn *c)
{
	char err[512];
	uint64_t gen = atomic_load(&p->outage_gen);

	conn_close(p, c);
	c->my = connect_db(&p->cfg, c->writer, err, sizeof(err));
	if (!c->my)
		goto fail;
	for (int i = 0; i < Q_COUNT; i++) {
		/* the reader only ever runs the order query */
		if (!sql_text[i] || (!c->writer && i != Q_GET_ORDER))
			continue;
		c->st[i] = mysql_stmt_init(c->my);
		if (!c->st[i] || mysql_stmt_prepare(c->st[i], sql_text[i], strlen(sql_text[i]))) {
			snprintf(err, sizeof(err), "prepare %d: %s", i,
				 c->st[i] ? mysql_stmt_error(c->st[i]) : "out of memory");
			goto fail;
		}
	}
	if (c->writer && read_auto_inc(c, err, sizeof(err)) < 0)
		goto fail;
	get_bind(&c->g);
	if (mysql_stmt_bind_result(c->st[Q_GET_ORDER], c->g.res) ||
	    mysql_stmt_bind_param(c->st[Q_GET_ORDER], &c->g.param)) {
		snprintf(err, sizeof(err), "bind: %s", mysql_stmt_error(c->st[Q_GET_ORDER]));
		goto fail;
	}
	if (c->writer && bind_writer(c, err, sizeof(err)) < 0)
		goto fail;
	c->up = true;
	c->backoff_ms = 0;
	c->outage_gen = gen;
	atomic_fetch_add(&p->connected, 1);
	return 0;
fail:
	log_debug("database connection failed", "error", err, NULL);
	conn_close(p, c);
	/* Capped exponential backoff between attempts (seed 000's retry lesson). */
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : 50;
	if (c->backoff_ms > (unsigned)(p->cfg.retry_max_s * 1000))
		c->backoff_ms = (unsigned)(p->cfg.retry_max_s * 1000);
	c->next_try_ns = daemon_now_ns() + (uint64_t)c->backoff_ms * 1000000;
	return -ECONNREFUSED;
}

/* A usable connection, or -ECONNREFUSED without waiting when backing off. */
static int conn_ensure(struct db_pool *p, struct dbconn *c)
{
	if (c->up && c->outage_gen == atomic_load(&p->outage_gen))
		return 0;
	/* Opened before an outage the checker saw: surely dead, reopen. */
	if (!c->up && daemon_now_ns() < c->next_try_ns && !atomic_load(&p->ready))
		return -ECONNREFUSED;
	/* no login with the package's placeholders (the checker says why) */
	if (atomic_load(&p->placeholder))
		return -ECONNREFUSED;
	return conn_open(p, c);
}

/* ---- statement helpers ---- */

/* Classify a statement's error, keeping its text for the log (a later
 * free_result or rollback would clear it).  Always < 0. */
static int stmt_error(struct dbconn *c, MYSQL_STMT *st)
{
	c->last_errno = mysql_stmt_errno(st);
	snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_stmt_error(st));
	if (c->last_errno == 0 && c->my) {
		/* Connector/C 3.3 reports some errors that arrive while fetching
		 * rows on the connection only. */
		c->last_errno = mysql_errno(c->my);
		snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_error(c->my));
	}
	if (c->last_errno == 0) {
		c->last_errno = CR_UNKNOWN_ERROR;
		snprintf(c->last_error, sizeof(c->last_error), "statement failed without an error code");
	}
	return classify(c->last_errno);
}

/* Execute a prepared statement, timed.  0 or classify()'s error. */
static int exec_timed(struct dbconn *c, MYSQL_STMT *st, enum db_query q)
{
	uint64_t t0 = daemon_now_ns();
	int r = mysql_stmt_execute(st);

	observe(c->pool, q, t0);
	return r ? stmt_error(c, st) : 0;
}

static int stmt_exec(struct dbconn *c, enum db_query q)
{
	return exec_timed(c, c->st[q], q);
}

static void log_stmt_error(struct dbconn *c, enum db_query q)
{
	char code[16];

	snprintf(code, sizeof(code), "%u", c->last_errno);
	log_warn("database statement failed", "statement", sql_text[q] ? sql_text[q] : "insert items",
		 "errno", code, "error", c->last_error, NULL);
}

/* Drain what is left of a result: 0 or the error. */
static int fetch_rest(struct dbconn *c, MYSQL_STMT *st)
{
	int r;

	while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED)
		;
	if (r == MYSQL_NO_DATA)
		return 0;
	r = stmt_error(c, st);
	mysql_stmt_free_result(st);
	return r;
}

/* GET_ORDER with ORDER BY, bound like Q_GET_ORDER. */
static MYSQL_STMT *get_sorted_stmt(struct dbconn *c)
{
	MYSQL_STMT *st;

	if (c->get_sorted)
		return c->get_sorted;
	st = mysql_stmt_init(c->my);
	if (!st)
		return NULL;
	if (mysql_stmt_prepare(st, get_order_sorted_sql, sizeof(get_order_sorted_sql) - 1) ||
	    mysql_stmt_bind_result(st, c->g.res) || mysql_stmt_bind_param(st, &c->g.param)) {
		c->last_errno = mysql_stmt_errno(st);
		snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	c->get_sorted = st;
	return st;
}

static void copy_time(struct order_time *t, const MYSQL_TIME *m)
{
	*t = (struct order_time){ m->year, m->month, m->day, m->hour, m->minute, m->second };
}

/*
 * Run the order query and write the order JSON into out.  0, -ENOENT (no
 * such order) or classify()'s error.  Items are written in item_id order:
 * if the unsorted statement ever returns them otherwise, the answer is
 * rebuilt from the sorted one.
 */
static int order_load(struct dbconn *c, int64_t id, struct buf *out)
{
	struct get_row *g = &c->g;
	struct order_row *row = &g->row;
	MYSQL_STMT *st = c->st[Q_GET_ORDER];
	size_t start = out->len;
	bool first, sorted = false;
	int64_t last_item;
	int rows, r;

	g->param_id = id;
again:
	first = true;
	rows = 0;
	last_item = INT64_MIN;
	r = exec_timed(c, st, Q_GET_ORDER);
	if (r < 0)
		return r;
	while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
		if (rows++ == 0) {
			copy_time(&row->created, &g->created);
			order_json_row_head(out, row);
		}
		if (!row->null[OCOL_ITEM_ID] && row->item_id < last_item && !sorted) {
			r = fetch_rest(c, st);
			if (r < 0)
				return r;
			st = get_sorted_stmt(c);
			if (!st)
				return classify(c->last_errno ? c->last_errno : CR_UNKNOWN_ERROR);
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			sorted = true;
			goto again;
		}
		if (order_json_row_item(out, first, row)) {
			last_item = row->item_id;
			first = false;
		}
	}
	if (r != MYSQL_NO_DATA) {
		r = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return r;
	}
	if (rows == 0)
		return -ENOENT;
	order_json_end(out);
	return 0;
}

/* ---- jobs ---- */

/* The outcome to the caller: through cfg.done from a worker (the job is the
 * pool's again once it returns); db_job_run_here's caller reads it itself. */
static void finish(struct worker *w, struct db_job *j, int result)
{
	j->result = result;
	if (!w->here && w->pool->cfg.done)
		w->pool->cfg.done(j, w->pool->cfg.done_arg);
}

/* Returns true when the connection was lost and may_retry allows another
 * pass on a fresh connection; else the job is finished. */
static bool job_get(struct worker *w, struct db_job *j, bool may_retry)
{
	int r;

	buf_reset(j->out);
	r = order_load(&w->rc, j->order_id, j->out);
	if (r == -ENOTCONN) {
		conn_close(w->pool, &w->rc);
		if (may_retry)
			return true;
	} else if (r == -EIO) {
		log_stmt_error(&w->rc, Q_GET_ORDER);
	}
	finish(w, j, r);
	return false;
}

/* The INSERT of n items, prepared on first use on this connection. */
static MYSQL_STMT *items_stmt(struct dbconn *c, size_t n)
{
	static const char head[] =
		"INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ";
	char sql[sizeof(head) + ORDER_MAX_ITEMS * 10];
	size_t len;
	MYSQL_STMT *st;

	if (c->items_st[n])
		return c->items_st[n];
	memcpy(sql, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (size_t i = 0; i < n; i++) {
		memcpy(sql + len, i ? ",(?,?,?,?)" : "(?,?,?,?)", i ? 10 : 9);
		len += i ? 10 : 9;
	}
	sql[len] = '\0';
	st = mysql_stmt_init(c->my);
	if (!st)
		return NULL;
	/* bound once, to the connection's item buffers (bind_writer) */
	if (mysql_stmt_prepare(st, sql, len) || mysql_stmt_bind_param(st, c->it_bind)) {
		c->last_errno = mysql_stmt_errno(st);
		snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	c->items_st[n] = st;
	return st;
}

/* The items' values into the buffers their statements are bound to. */
static void items_set(struct dbconn *c, const struct order_req *o, int64_t order_id)
{
	c->it_order = order_id;
	for (size_t i = 0; i < o->nitems; i++) {
		c->it_product[i] = o->items[i].product_id;
		c->it_quantity[i] = o->items[i].quantity;
		/* Money travels as its exact decimal text; the server parses it
		 * into DECIMAL(10,2) without a binary floating point step. */
		c->it_price_len[i] = order_money_format(o->items[i].unit_cents, c->it_price[i],
							sizeof(c->it_price[i]));
	}
}

/* The customer's stored name and email into c->g.row: 1 found, 0 not, or
 * classify()'s error.  Writer connections only. */
static int customer_get(struct dbconn *c, int64_t id)
{
	MYSQL_STMT *st = c->st[Q_GET_CUSTOMER];
	int r;

	/* bound once (bind_writer): the id in, name and email into c->g.row */
	c->cust_id = id;
	r = stmt_exec(c, Q_GET_CUSTOMER);
	if (r < 0)
		return r;
	r = mysql_stmt_fetch(st);
	if (r == MYSQL_NO_DATA)
		return 0;
	if (r != 0 && r != MYSQL_DATA_TRUNCATED) {
		r = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return r;
	}
	r = fetch_rest(c, st);
	return r < 0 ? r : 1;
}

/* A failure the server did not report (a broken promise of the protocol). */
static int fail_io(struct dbconn *c, const char *why)
{
	c->last_errno = 0;
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	return -EIO;
}

/* Now, UTC, to the second: created_at as sent and as answered. */
static void now_utc(struct order_time *t, MYSQL_TIME *m)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	*t = (struct order_time){ (unsigned)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
				  (unsigned)tm.tm_mday, (unsigned)tm.tm_hour, (unsigned)tm.tm_min,
				  (unsigned)(tm.tm_sec > 59 ? 59 : tm.tm_sec) };
	memset(m, 0, sizeof(*m));
	m->year = t->year;
	m->month = t->month;
	m->day = t->day;
	m->hour = t->hour;
	m->minute = t->minute;
	m->second = t->second;
	m->time_type = MYSQL_TIMESTAMP_DATETIME;
}

/*
 * The create-order transaction on the worker's writer connection
 * (autocommit=0: the first statement opens it): the customer (looked up;
 * inserted only when missing), the order, its items, COMMIT -- four round
 * trips in the common case.  The ids come from the OK packets, so the
 * answer is built from what was written, in GET's shape, without a
 * read-back.  Returns 0 with the answer in j->out and j->order_id set, or
 * classify()'s error for the caller's retry logic; *commit_sent tells
 * whether the COMMIT went out (then the outcome is unknown on a lost
 * connection).
 */
static int create_tx(struct worker *w, struct db_job *j, bool *commit_sent)
{
	struct dbconn *c = &w->wc;
	struct order_row *g = &c->g.row;
	struct order_req *o = &j->order;
	MYSQL_BIND b[3];
	MYSQL_STMT *st;
	struct order_time created;
	char created_s[32];
	unsigned long name_len = strlen(o->name), email_len = strlen(o->email);
	int64_t cust = o->customer_id, order_id, first_item;
	enum db_query failed;
	int r;

	/*
	 * READ COMMITTED: every read sees the latest committed rows, so the
	 * second lookup below (after INSERT IGNORE waited for a concurrent
	 * request that created the same customer) sees that row; under
	 * REPEATABLE READ the first lookup would have fixed an older snapshot.
	 */
	failed = Q_GET_CUSTOMER;
	r = customer_get(c, cust);
	if (r < 0)
		goto rollback;
	if (r == 0) {
		memset(b, 0, sizeof(b));
		b[0].buffer_type = MYSQL_TYPE_LONGLONG;
		b[0].buffer = &cust;
		b[1].buffer_type = MYSQL_TYPE_STRING;
		b[1].buffer = o->name;
		b[1].length = &name_len;
		b[2].buffer_type = MYSQL_TYPE_STRING;
		b[2].buffer = o->email;
		b[2].length = &email_len;
		mysql_stmt_bind_param(c->st[Q_INSERT_CUSTOMER], b);
		r = stmt_exec(c, failed = Q_INSERT_CUSTOMER);
		if (r < 0)
			goto rollback;
		if (mysql_stmt_affected_rows(c->st[Q_INSERT_CUSTOMER]) == 1) {
			memcpy(g->name, o->name, name_len + 1);
			g->name_len = name_len;
			memcpy(g->email, o->email, email_len + 1);
			g->email_len = email_len;
			g->null[OCOL_NAME] = g->null[OCOL_EMAIL] = 0;
		} else {
			/* A concurrent request created it first: answer with its row. */
			failed = Q_GET_CUSTOMER;
			r = customer_get(c, cust);
			if (r == 0)
				r = fail_io(c, "customer row vanished after INSERT IGNORE");
			if (r < 0)
				goto rollback;
		}
	}

	/* the buffers Q_INSERT_ORDER is bound to (bind_writer) */
	now_utc(&created, &c->created);
	c->cust_id = cust;
	c->total_len = order_money_format(o->total_cents, c->total, sizeof(c->total));
	c->no_key = !j->has_key;
	if (j->has_key) {
		c->key_len = strlen(j->key);
		memcpy(c->key, j->key, c->key_len + 1);
		memcpy(c->hash, j->hash, ORDER_HASH_LEN);
	}
	st = c->st[Q_INSERT_ORDER];
	r = stmt_exec(c, failed = Q_INSERT_ORDER);
	if (r < 0)
		goto rollback;
	order_id = (int64_t)mysql_stmt_insert_id(st);
	if (order_id <= 0) {
		r = fail_io(c, "no insert id for the order");
		goto rollback;
	}

	failed = Q_INSERT_ITEMS;
	st = items_stmt(c, o->nitems);
	if (!st) {
		r = classify(c->last_errno ? c->last_errno : CR_UNKNOWN_ERROR);
		goto rollback;
	}
	items_set(c, o, order_id);
	r = exec_timed(c, st, Q_INSERT_ITEMS);
	if (r < 0)
		goto rollback;
	/* The first row's id; the rest follow auto_increment_increment apart. */
	first_item = (int64_t)mysql_stmt_insert_id(st);
	if (first_item <= 0 || mysql_stmt_affected_rows(st) != (my_ulonglong)o->nitems) {
		r = fail_io(c, "items INSERT: unexpected insert id or row count");
		goto rollback;
	}

	*commit_sent = true;
	r = stmt_exec(c, failed = Q_COMMIT);
	if (r < 0)
		goto rollback;
	if (w->pool->m.orders_created)
		counter_inc(w->pool->m.orders_created);

	buf_reset(j->out);
	order_time_format(&created, created_s);
	{
		struct order_head h = {
			.order_id = order_id,
			.customer_id = cust,
			.name = g->null[OCOL_NAME] ? NULL : g->name,
			.name_len = g->name_len,
			.email = g->null[OCOL_EMAIL] ? NULL : g->email,
			.email_len = g->email_len,
			.status = "pending",
			.status_len = 7,
			.total = c->total,
			.total_len = c->total_len,
			.created_at = created_s,
		};

		order_json_begin(j->out, &h);
		for (size_t i = 0; i < o->nitems; i++)
			order_json_item(j->out, i == 0, first_item + (int64_t)i * c->auto_inc,
					o->items[i].product_id, o->items[i].quantity, false,
					c->it_price[i], c->it_price_len[i]);
		order_json_end(j->out);
	}
	j->order_id = order_id;
	return 0;
rollback:
	if (r != -ENOTCONN)
		mysql_rollback(c->my);
	if (r == -EIO || (r == -EEXIST && !j->has_key))
		log_stmt_error(c, failed);
	return r;
}

/*
 * Same key again: 0 with the first order in j->out (same request),
 * -EEXIST (another request used the key), -EAGAIN (no order has the key:
 * its transaction rolled back meanwhile) or classify()'s error.
 */
static int idempotent_replay(struct worker *w, struct db_job *j)
{
	struct dbconn *c = &w->wc;
	MYSQL_STMT *st = c->st[Q_FIND_IDEMPOTENT];
	MYSQL_BIND p, res[2];
	unsigned long key_len = strlen(j->key), hash_len = 0;
	int64_t order_id = 0;
	uint8_t hash[ORDER_HASH_LEN + 1];
	my_bool hash_null = 0;
	int r;

	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_STRING;
	p.buffer = j->key;
	p.length = &key_len;
	memset(res, 0, sizeof(res));
	res[0].buffer_type = MYSQL_TYPE_LONGLONG;
	res[0].buffer = &order_id;
	res[1].buffer_type = MYSQL_TYPE_BLOB;
	res[1].buffer = hash;
	res[1].buffer_length = sizeof(hash);
	res[1].length = &hash_len;
	res[1].is_null = &hash_null;
	mysql_stmt_bind_param(st, &p);
	mysql_stmt_bind_result(st, res);
	r = stmt_exec(c, Q_FIND_IDEMPOTENT);
	if (r < 0)
		return r;
	r = mysql_stmt_fetch(st);
	if (r == MYSQL_NO_DATA)
		return -EAGAIN;
	if (r != 0 && r != MYSQL_DATA_TRUNCATED) {
		r = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return r;
	}
	r = fetch_rest(c, st);
	if (r < 0)
		return r;
	if (hash_null || hash_len != ORDER_HASH_LEN || memcmp(hash, j->hash, ORDER_HASH_LEN) != 0)
		return -EEXIST;
	buf_reset(j->out);
	r = order_load(c, order_id, j->out);
	if (r == -ENOENT)
		r = fail_io(c, "the order of an Idempotency-Key is gone");
	if (r < 0)
		return r;
	j->order_id = order_id;
	j->replayed = true;
	return 0;
}

static bool job_create(struct worker *w, struct db_job *j, bool may_retry)
{
	bool commit_sent = false;
	int r = -EAGAIN;

	j->replayed = false;
	/* Deadlocks are retried at once (InnoDB rolled back the victim). */
	for (int attempt = 0; attempt < 4; attempt++) {
		commit_sent = false;
		r = create_tx(w, j, &commit_sent);
		if (r == -EEXIST && j->has_key) {
			/* The unique key decided: another request owns this key. */
			r = idempotent_replay(w, j);
			/* its reads opened a transaction on the writer: end it */
			if (r != -ENOTCONN)
				mysql_rollback(w->wc.my);
			if (r == -EAGAIN)
				continue;	/* that one rolled back meanwhile: again */
			if (r == -EIO)
				log_stmt_error(&w->wc, Q_FIND_IDEMPOTENT);
			break;
		}
		if (r == -EEXIST)
			r = -EIO;	/* a duplicate other than the key (logged) */
		if (r != -EAGAIN)
			break;
	}
	if (r == -ENOTCONN) {
		conn_close(w->pool, &w->wc);
		if (may_retry && !commit_sent)
			return true;
		if (commit_sent)
			r = -ECONNRESET;
	}
	/*
	 * Never leave the writer inside a transaction (it would hold row and
	 * metadata locks while idle): the server reports it in every OK packet.
	 */
	if (w->wc.up && (w->wc.my->server_status & SERVER_STATUS_IN_TRANS)) {
		log_warn("writer connection left in a transaction: rolled back", NULL);
		mysql_rollback(w->wc.my);
	}
	finish(w, j, r);
	return false;
}

static void job_run(struct worker *w, struct db_job *j)
{
	/*
	 * At most two passes: the second on a fresh connection after a lost
	 * one.  Only a connection that failed fast (closed under us: KILL, a
	 * restart, wait_timeout) earns the retry; one that timed out means a
	 * hung server, and the caller gets its outcome within one timeout.
	 */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t t0 = daemon_now_ns();
		struct dbconn *c = j->kind == DB_GET_ORDER ? &w->rc : &w->wc;
		bool again;

		if (pass)
			c->next_try_ns = 0;
		if (conn_ensure(w->pool, c) < 0) {
			finish(w, j, -ENOTCONN);
			return;
		}
		if (j->kind == DB_GET_ORDER)
			again = job_get(w, j, pass == 0);
		else
			again = job_create(w, j, pass == 0);
		if (!again)
			return;
		if (daemon_now_ns() - t0 > 250 * 1000000ull) {
			finish(w, j, -ENOTCONN);
			return;
		}
	}
}

/*
 * An absolute CLOCK_REALTIME deadline s seconds from now: the clock that
 * sem_timedwait and pthread_cond_timedwait (default attributes) measure.
 */
static void deadline_in(struct timespec *ts, double s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)s;
	ts->tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct db_pool *p = w->pool;

	mysql_thread_init();
	/*
	 * The writer is opened ahead of traffic; the reader only when a GET
	 * comes here (job_run: conn_ensure), which happens only while the
	 * database is not ready or an API thread's own reader backs off: GETs
	 * run on the API threads.  So an idle orderd holds pool-size writers,
	 * not twice as many connections.
	 */
	if (atomic_load(&p->ready))
		conn_open(p, &w->wc);
	for (;;) {
		struct db_job *j;
		struct timespec ts;
		int r;

		if (w->wc.up) {
			/*
			 * Nothing to do until a job or the stop comes: no wake-up
			 * while idle (16 workers polling 5 times a second were 80
			 * context switches a second).  A connection that died
			 * meanwhile is reopened on use (conn_ensure).
			 */
			while ((r = sem_wait(&p->queued)) != 0 && errno == EINTR)
				;
			if (r != 0)
				continue;
		} else {
			deadline_in(&ts, 0.2);
			if (sem_timedwait(&p->queued, &ts) != 0) {
				/* Idle: reconnect the writer ahead of traffic once the DB answers. */
				if (atomic_load(&p->ready) && daemon_now_ns() >= w->wc.next_try_ns)
					conn_open(p, &w->wc);
				continue;
			}
		}
		/*
		 * One token per completed push (plus one per worker at stop), so
		 * a job is there -- unless an earlier push took the head cell and
		 * has not published it yet: wait for it rather than lose the
		 * wake-up.  A token with the queue empty at stop means exit.
		 */
		while (!(j = ring_pop(&p->queue))) {
			if (atomic_load(&p->stopping))
				break;
			sched_yield();
		}
		if (!j)
			break;
		atomic_fetch_add(&p->busy, 1);
		job_run(w, j);
		atomic_fetch_sub(&p->busy, 1);
		db_job_put(p, j);
	}
	conn_close(p, &w->rc);
	conn_close(p, &w->wc);
	mysql_thread_end();
	return NULL;
}

/*
 * The GET on the caller's thread: what a worker would do for it (job_run:
 * the same statement, retry on a fresh connection, timeouts), minus the two
 * thread hand-offs per request that cost more CPU than the rest of the GET
 * (a futex wake-up and a switch to the worker, then libmicrohttpd's resume
 * signalling and an epoll re-arm back; bench/orderd-profile.sh).  Only
 * while the DB is ready and this thread's connection is up or opens now:
 * otherwise the pool gives the answer, as before.
 */
bool db_job_run_here(struct db_pool *p, struct db_job *j)
{
	struct worker *w;
	bool ran = false;

	if (j->kind != DB_GET_ORDER || !atomic_load(&p->ready))
		return false;
	/* counted before stopping is read: db_pool_free sets stopping, then
	 * waits for the count to drop to 0 before it closes the connections */
	atomic_fetch_add(&p->here_active, 1);
	if (atomic_load(&p->stopping))
		goto out;
	if (here_pool_id != p->id || !here_worker) {
		w = calloc(1, sizeof(*w));
		if (!w)
			goto out;
		w->pool = p;
		w->rc.pool = p;
		w->wc.pool = p;
		w->wc.writer = true;
		w->here = true;
		mysql_thread_init();
		w->next = atomic_load(&p->here_list);
		while (!atomic_compare_exchange_weak(&p->here_list, &w->next, w))
			;
		here_worker = w;
		here_pool_id = p->id;
	}
	w = here_worker;
	/* backing off after a failed connect: the pool answers meanwhile */
	if (!w->rc.up && daemon_now_ns() < w->rc.next_try_ns)
		goto out;
	if (conn_ensure(p, &w->rc) < 0)
		goto out;
	atomic_fetch_add(&p->busy, 1);
	job_run(w, j);
	atomic_fetch_sub(&p->busy, 1);
	ran = true;
out:
	atomic_fetch_sub(&p->here_active, 1);
	return ran;
}

/* ---- credentials ---- */

/*
 * Re-read the my.cnf for the package's CHANGE_ME placeholders (mycnf.h) and
 * log a change of state, once: an error while they are there, so that
 * `journalctl -u orderd` says what to do.  An unreadable file is not a
 * placeholder: the connection attempt reports it.  Called by the checker
 * before each connection attempt, by db_pool_start and on SIGHUP; the
 * exchange makes each change logged by exactly one caller.
 */
static bool creds_check(struct db_pool *p)
{
	char opt[64] = "";
	bool ph = mycnf_placeholder(p->cfg.my_cnf, opt, sizeof(opt)) == 1;
	bool was = atomic_exchange(&p->placeholder, ph);

	if (ph && !was)
		log_error("database credentials are placeholders (" MYCNF_PLACEHOLDER
			  "): edit them, then systemctl reload orderd; not ready until then",
			  "file", p->cfg.my_cnf, "option", opt, NULL);
	else if (!ph && was)
		log_info("database credentials filled in: connecting", "file", p->cfg.my_cnf, NULL);
	return ph;
}

/* ---- readiness checker ---- */

static void set_ready(struct db_pool *p, bool up)
{
	bool was = atomic_exchange(&p->ready, up);

	if (p->m.ready)
		gauge_set(p->m.ready, up ? 1 : 0);
	if (was && !up) {
		atomic_fetch_add(&p->outage_gen, 1);
		log_warn("database stopped answering: not ready", NULL);
	} else if (!was && up) {
		log_info("database answers: ready", NULL);
	}
}

static void *checker_main(void *arg)
{
	struct db_pool *p = arg;
	MYSQL *my = NULL;
	unsigned backoff_ms = 0, attempts = 0;
	char err[512];

	mysql_thread_init();
	pthread_mutex_lock(&p->mu);
	while (!atomic_load(&p->stopping)) {
		double wait_s = p->cfg.check_interval_s;
		struct timespec ts;
		bool up;

		pthread_mutex_unlock(&p->mu);
		if (!my && creds_check(p)) {
			/* nothing to try until the file changes (or SIGHUP) */
		} else if (!my) {
			my = connect_db(&p->cfg, false, err, sizeof(err));
			if (!my && (attempts++ < 3 || attempts % 10 == 0))
				log_warn("database not reachable, retrying", "error", err, NULL);
		}
		if (my) {
			uint64_t t0 = daemon_now_ns();

			up = mysql_ping(my) == 0;
			observe(p, Q_PING, t0);
			if (!up) {
				/* Only this connection may be gone (KILL, wait_timeout):
				 * one fresh attempt before declaring the DB down. */
				mysql_close(my);
				my = connect_db(&p->cfg, false, err, sizeof(err));
				up = my && mysql_ping(my) == 0;
				if (!up && my) {
					mysql_close(my);
					my = NULL;
				}
			}
		} else {
			up = false;
		}
		set_ready(p, up);
		if (up) {
			backoff_ms = 0;
			attempts = 0;
		} else {
			/* Capped exponential backoff: 100 ms, 200 ms, ... retry_max. */
			backoff_ms = backoff_ms ? backoff_ms * 2 : 100;
			if (backoff_ms > (unsigned)(p->cfg.retry_max_s * 1000))
				backoff_ms = (unsigned)(p->cfg.retry_max_s * 1000);
			wait_s = backoff_ms / 1000.0;
		}
		deadline_in(&ts, wait_s);
		pthread_mutex_lock(&p->mu);
		if (!atomic_load(&p->stopping))
			pthread_cond_timedwait(&p->check_cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	if (my)
		mysql_close(my);
	mysql_thread_end();
	return NULL;
}

/* ---- metrics and pool ---- */

int db_metrics_register(struct metrics_registry *reg, struct db_metrics *ret)
{
	static const char *const q_labels[] = { "query", NULL };
	/* 50 us .. 5 s, as orderd_http_request_duration_seconds (api.c): a point
	 * select on loopback takes ~100 us, below the old first bound 0.5 ms. */
	static const double db_bounds[] = { .00005, .0001, .00015, .0002, .0003, .0005, .0007,
					    .001, .0015, .002, .003, .005, .007, .01, .015, .02,
					    .03, .05, .07, .1, .15, .2, .3, .5, .7, 1, 1.5, 2, 3, 5 };
	static const char *const q_names[Q_COUNT] = {
		[Q_GET_ORDER] = "get_order",
		[Q_GET_CUSTOMER] = "get_customer",
		[Q_INSERT_CUSTOMER] = "insert_customer",
		[Q_INSERT_ORDER] = "insert_order",
		[Q_INSERT_ITEMS] = "insert_items",
		[Q_FIND_IDEMPOTENT] = "find_idempotent",
		[Q_COMMIT] = "commit",
		[Q_PING] = "ping",
	};
	struct db_metrics m = { 0 };
	struct metric_family *q, *f;

	/* native buckets too: protobuf scrapes carry them (issue 15) */
	static const struct metrics_histogram_opts q_opts = { .native = true };

	q = metrics_histogram_new_opts(reg, "orderd_db_query_duration_seconds",
				       "Database statement round-trip time, by statement.", q_labels,
				       db_bounds, sizeof(db_bounds) / sizeof(db_bounds[0]), &q_opts);
	if (!q)
		return -errno;
	for (unsigned i = 0; i < Q_COUNT; i++) {
		const char *qv[] = { q_names[i] };

		m.query[i] = histogram_labels(q, qv);
		if (!m.query[i])
			return -errno;
	}
	f = metrics_counter_new(reg, "orderd_orders_created_total", "Orders committed.", NULL);
	if (!f || !(m.orders_created = counter_get(f)))
		return -errno;
	f = metrics_gauge_new(reg, "orderd_ready",
			      "1 when /health/readiness answers 200 (the database answers), else 0.",
			      NULL);
	if (!f || !(m.ready = gauge_get(f)))
		return -errno;
	gauge_set(m.ready, 0);
	*ret = m;
	return 0;
}

struct db_pool *db_pool_new(const struct db_config *cfg)
{
	struct db_pool *p = calloc(1, sizeof(*p));
	size_t njobs;

	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->id = atomic_fetch_add(&pool_ids, 1) + 1;
	if (cfg->metrics)
		p->m = *cfg->metrics;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->check_cv, NULL);
	p->sem_ok = sem_init(&p->queued, 0, 0) == 0;
	njobs = (size_t)cfg->queue_size + cfg->pool_size;
	p->jobs = calloc(njobs, sizeof(*p->jobs));
	p->workers = calloc(cfg->pool_size, sizeof(*p->workers));
	if (!p->sem_ok || !p->jobs || !p->workers || ring_init(&p->free_jobs, njobs) < 0 ||
	    ring_init(&p->queue, njobs) < 0) {
		db_pool_free(p);
		return NULL;
	}
	for (size_t i = 0; i < njobs; i++)
		ring_push(&p->free_jobs, &p->jobs[i]);
	for (unsigned i = 0; i < cfg->pool_size; i++) {
		p->workers[i].pool = p;
		p->workers[i].rc.pool = p;
		p->workers[i].wc.pool = p;
		p->workers[i].wc.writer = true;
	}
	return p;
}

int db_pool_start(struct db_pool *p)
{
	int r;

	if (mysql_library_init(0, NULL, NULL))
		return -ENOMEM;
	p->lib_init = true;
	creds_check(p);
	r = -pthread_create(&p->checker, NULL, checker_main, p);
	if (r < 0)
		return r;
	p->checker_started = true;
	for (unsigned i = 0; i < p->cfg.pool_size; i++) {
		r = -pthread_create(&p->workers[i].tid, NULL, worker_main, &p->workers[i]);
		if (r < 0)
			return r;
		p->workers[i].started = true;
	}
	return 0;
}

struct db_job *db_job_get(struct db_pool *p)
{
	if (atomic_load_explicit(&p->stopping, memory_order_relaxed))
		return NULL;
	return ring_pop(&p->free_jobs);
}

void db_job_put(struct db_pool *p, struct db_job *j)
{
	ring_push(&p->free_jobs, j);
}

void db_job_submit(struct db_pool *p, struct db_job *j)
{
	/* Cannot fail: the ring holds every job there is. */
	ring_push(&p->queue, j);
	sem_post(&p->queued);
}

bool db_pool_ready(const struct db_pool *p)
{
	return p && atomic_load(&p->ready);
}

bool db_pool_placeholder(const struct db_pool *p)
{
	return p && atomic_load_explicit(&p->placeholder, memory_order_relaxed);
}

const char *db_pool_my_cnf(const struct db_pool *p)
{
	return p->cfg.my_cnf;
}

int db_pool_reload(struct db_pool *p, char *err, size_t errlen)
{
	bool ph = creds_check(p);

	/* the checker tries now rather than at the end of its backoff */
	pthread_mutex_lock(&p->mu);
	pthread_cond_signal(&p->check_cv);
	pthread_mutex_unlock(&p->mu);
	if (ph) {
		snprintf(err, errlen, "database credentials in %s are still placeholders (%s)",
			 p->cfg.my_cnf, MYCNF_PLACEHOLDER);
		return -EINVAL;
	}
	return 0;
}

int db_pool_collect(struct metrics_writer *w, void *ctx)
{
	struct db_pool *p = ctx;
	static const char *const labels[] = { "state", NULL };
	const char *idle[] = { "idle" }, *busy[] = { "busy" };
	unsigned conn = atomic_load(&p->connected), b = atomic_load(&p->busy);
	int r;

	if (b > conn)
		b = conn;
	r = writer_family(w, "orderd_db_connections", METRIC_GAUGE,
			  "Open database connections of the worker pool by state.", labels);
	if (r < 0)
		return r;
	writer_sample_u64(w, idle, conn - b);
	return writer_sample_u64(w, busy, b);
}

void db_pool_free(struct db_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stopping, true);
	pthread_cond_broadcast(&p->check_cv);
	pthread_mutex_unlock(&p->mu);
	if (p->sem_ok && p->workers)
		for (unsigned i = 0; i < p->cfg.pool_size; i++)
			sem_post(&p->queued);
	if (p->workers)
		for (unsigned i = 0; i < p->cfg.pool_size; i++)
			if (p->workers[i].started)
				pthread_join(p->workers[i].tid, NULL);
	if (p->checker_started)
		pthread_join(p->checker, NULL);
	/* GETs running on callers' threads end within their DB timeouts */
	while (atomic_load(&p->here_active))
		usleep(1000);
	for (struct worker *w = atomic_load(&p->here_list), *next; w; w = next) {
		next = w->next;
		conn_close(p, &w->rc);
		free(w);
	}
	free(p->workers);
	free(p->jobs);
	ring_done(&p->free_jobs);
	ring_done(&p->queue);
	if (p->sem_ok)
		sem_destroy(&p->queued);
	pthread_cond_destroy(&p->check_cv);
	pthread_mutex_destroy(&p->mu);
	if (p->lib_init)
		mysql_library_end();
	free(p);
}
