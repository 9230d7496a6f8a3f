/*
 * db: the worker pool.  N workers, each owning ONE MariaDB connection with
 * its prepared statements, serve a bounded queue of jobs that the HTTP
 * threads filled; a checker thread pings the DB for readiness.
 *
 * Jobs come from a fixed set (queue_size + pool_size of them, made at
 * start-up) kept in a lock-free ring: taking one never allocates or locks,
 * and an empty ring means every worker is busy and the queue is full, so the
 * request is shed with 503.  The queue is a second such ring; a semaphore
 * wakes sleeping workers (a futex only when someone sleeps).
 *
 * Each worker owns TWO connections: a reader (autocommit, for GET: one
 * round trip) and a writer (autocommit=0, READ COMMITTED: its first
 * statement opens the transaction, so a POST needs no START TRANSACTION and
 * costs four round trips; after COMMIT/ROLLBACK it holds no transaction, no
 * snapshot and no metadata lock while idle).  Mixing both kinds on one
 * connection would cost a mode switch (a round trip) whenever the kind
 * changes.  Total: 2 x --db.pool-size + 1 (the checker) connections.
 *
 * Connections: credentials and address come only from the my.cnf
 * (MYSQL_READ_DEFAULT_FILE, group [client]); every connection has connect,
 * read and write timeouts, utf8mb4 and time_zone '+00:00' (TIMESTAMPs come
 * back in UTC for RFC 3339 "Z").  Statements are prepared once per
 * connection and again after a reconnect.  A lost connection is closed;
 * the worker reconnects with capped exponential backoff, and a request that
 * failed before its COMMIT was sent is retried once on the new connection
 * (InnoDB rolled the transaction back when the connection died).
 */
#include "orderd.h"

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

#include "daemon.h"
#include "log.h"

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
	/* RETURNING (MariaDB >= 10.5): the id and the DB's created_at in the
	 * same round trip, so the answer needs no read-back. */
	[Q_INSERT_ORDER] =
		"INSERT INTO orders (customer_id, total_amount, status, idempotency_key, request_hash) "
		"VALUES (?, ?, 'pending', ?, ?) RETURNING order_id, created_at",
	/* One multi-row INSERT ... RETURNING item_id per item count, prepared
	 * on first use (items_sql()). */
	[Q_INSERT_ITEMS] = NULL,
	[Q_FIND_IDEMPOTENT] = "SELECT order_id, request_hash FROM orders WHERE idempotency_key = ?",
	[Q_COMMIT] = "COMMIT",
	[Q_PING] = NULL,
};

/* Result buffers of Q_GET_ORDER. */
struct get_row {
	int64_t order_id, o_cust, c_cust, item_id, product_id, quantity;
	char name[ORDER_TEXT_BYTES], email[ORDER_TEXT_BYTES], status[256], total[32], price[32];
	unsigned long name_len, email_len, status_len, total_len, price_len;
	MYSQL_TIME created;
	my_bool isnull[12];
	my_bool error[12];
	MYSQL_BIND res[12];
	MYSQL_BIND param;
	int64_t param_id;
};

struct dbconn {
	MYSQL *my;
	MYSQL_STMT *st[Q_COUNT];
	MYSQL_STMT *get_sorted;		/* GET_ORDER with ORDER BY, prepared on first need */
	bool writer;			/* autocommit=0, READ COMMITTED; else the reader */
	bool up;
	uint64_t next_try_ns;
	unsigned backoff_ms;
	uint64_t outage_gen;		/* pool->outage_gen when connected */
	struct get_row g;
	unsigned last_errno;		/* of the last failed statement, for the log */
	char last_error[256];
	/* Q_INSERT_ITEMS: a statement per item count, prepared lazily */
	MYSQL_STMT *items_st[ORDER_MAX_ITEMS + 1];
	MYSQL_BIND it_bind[4 * ORDER_MAX_ITEMS];
	int64_t it_order;
	char it_price[ORDER_MAX_ITEMS][24];
	unsigned long it_price_len[ORDER_MAX_ITEMS];
	int64_t item_ids[ORDER_MAX_ITEMS];
};

struct worker {
	struct db_pool *pool;
	pthread_t tid;
	bool started;
	struct dbconn rc;		/* reader: GET */
	struct dbconn wc;		/* writer: POST */
};

/*
 * A bounded multi-producer multi-consumer ring of job pointers (Dmitry
 * Vyukov's design: a sequence number per cell, one CAS per operation), so
 * the request path takes no lock.  Capacity is a power of two >= the number
 * of jobs, so a push of a job that exists never finds the ring full.
 */
struct ring_cell {
	_Atomic size_t seq;
	struct db_job *job;
};

struct ring {
	struct ring_cell *cells;
	size_t mask;
	char pad0[64];
	_Atomic size_t head;		/* padded apart: producers and consumers */
	char pad1[64];			/* do not false-share a cache line */
	_Atomic size_t tail;
	char pad2[64];
};

struct db_pool {
	struct db_config cfg;
	pthread_mutex_t mu;		/* the checker's sleep only */
	pthread_cond_t check_cv;	/* wakes the checker early (stop) */
	struct db_job *jobs;		/* all of them, for free() */
	struct ring free_jobs;		/* jobs not in use */
	struct ring queue;		/* jobs waiting for a worker */
	sem_t queued;			/* counts pushes to queue (+ stop wake-ups) */
	bool sem_ok;
	_Atomic bool stopping;
	struct worker *workers;
	pthread_t checker;
	bool checker_started;
	bool lib_init;
	_Atomic bool ready;
	_Atomic uint64_t outage_gen;	/* bumped when the checker sees the DB go down */
	_Atomic unsigned connected, busy;
};

enum exec_result {
	EX_OK = 0,
	EX_CONN = -1,		/* connection lost: close it */
	EX_RETRY = -2,		/* deadlock / lock wait timeout: transaction rolled back */
	EX_DUP = -3,		/* duplicate key */
	EX_FAIL = -4,		/* other statement error */
};

static enum exec_result classify(unsigned err)
{
	switch (err) {
	case 0:
		return EX_OK;
	case ER_DUP_ENTRY:
		return EX_DUP;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return EX_RETRY;
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case ER_QUERY_INTERRUPTED:
	case ER_UNKNOWN_STMT_HANDLER:	/* statements gone: treat as a new session */
	case 4031:			/* ER_CLIENT_INTERACTION_TIMEOUT (MariaDB 10.4+):
					 * the server dropped an idle connection */
		return EX_CONN;
	default:
		/* 2000..2999 are client-side errors (errmsg.h): lost connection,
		 * timeouts, protocol trouble.  The connection is unusable. */
		return err >= CR_MIN_ERROR && err <= CR_MAX_ERROR ? EX_CONN : EX_FAIL;
	}
}

/* ---- the lock-free rings ---- */

static int ring_init(struct ring *r, size_t min_cap)
{
	size_t cap = 1;

	while (cap < min_cap)
		cap <<= 1;
	r->cells = calloc(cap, sizeof(*r->cells));
	if (!r->cells)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&r->cells[i].seq, i);
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

static bool ring_push(struct ring *r, struct db_job *j)
{
	size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct ring_cell *cell;

	for (;;) {
		size_t seq;
		intptr_t dif;

		cell = &r->cells[pos & r->mask];
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)pos;
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return false;	/* full */
		} else {
			pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
		}
	}
	cell->job = j;
	atomic_store_explicit(&cell->seq, pos + 1, memory_order_release);
	return true;
}

static struct db_job *ring_pop(struct ring *r)
{
	size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct ring_cell *cell;
	struct db_job *j;

	for (;;) {
		size_t seq;
		intptr_t dif;

		cell = &r->cells[pos & r->mask];
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)(pos + 1);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return NULL;	/* empty */
		} else {
			pos = atomic_load_explicit(&r->head, memory_order_relaxed);
		}
	}
	j = cell->job;
	atomic_store_explicit(&cell->seq, pos + r->mask + 1, memory_order_release);
	return j;
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
	MYSQL *my = mysql_init(NULL);

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
	if (!mysql_real_connect(my, NULL, NULL, NULL, NULL, 0, NULL, 0))
		goto fail;
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
	MYSQL_BIND *b = g->res;
	int i = 0;

	memset(b, 0, sizeof(g->res));
#define BIND_LL(field)                                          \
	b[i].buffer_type = MYSQL_TYPE_LONGLONG;                 \
	b[i].buffer = &g->field;                                \
	b[i].is_null = &g->isnull[i];                           \
	b[i].error = &g->error[i];                              \
	i++
#define BIND_STR(field)                                         \
	b[i].buffer_type = MYSQL_TYPE_STRING;                   \
	b[i].buffer = g->field;                                 \
	b[i].buffer_length = sizeof(g->field);                  \
	b[i].length = &g->field##_len;                          \
	b[i].is_null = &g->isnull[i];                           \
	b[i].error = &g->error[i];                              \
	i++
	BIND_LL(order_id);
	BIND_LL(o_cust);
	BIND_LL(c_cust);
	BIND_STR(name);
	BIND_STR(email);
	BIND_STR(status);
	BIND_STR(total);
	b[i].buffer_type = MYSQL_TYPE_DATETIME;
	b[i].buffer = &g->created;
	b[i].is_null = &g->isnull[i];
	b[i].error = &g->error[i];
	i++;
	BIND_LL(item_id);
	BIND_LL(product_id);
	BIND_LL(quantity);
	unsigned long *plen = &g->price_len;
	b[i].buffer_type = MYSQL_TYPE_STRING;
	b[i].buffer = g->price;
	b[i].buffer_length = sizeof(g->price);
	b[i].length = plen;
	b[i].is_null = &g->isnull[i];
	b[i].error = &g->error[i];
#undef BIND_LL
#undef BIND_STR
	memset(&g->param, 0, sizeof(g->param));
	g->param.buffer_type = MYSQL_TYPE_LONGLONG;
	g->param.buffer = &g->param_id;
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
	get_bind(&c->g);
	if (mysql_stmt_bind_result(c->st[Q_GET_ORDER], c->g.res) ||
	    mysql_stmt_bind_param(c->st[Q_GET_ORDER], &c->g.param)) {
		snprintf(err, sizeof(err), "bind: %s", mysql_stmt_error(c->st[Q_GET_ORDER]));
		goto fail;
	}
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
	return conn_open(p, c);
}

/* ---- statement helpers ---- */

/* Classify a statement's error, keeping its text for the log (a later
 * free_result or rollback would clear it). */
static enum exec_result stmt_error(struct dbconn *c, MYSQL_STMT *st)
{
	c->last_errno = mysql_stmt_errno(st);
	snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_stmt_error(st));
	if (c->last_errno == 0 && c->my) {
		/* Connector/C 3.3 reports an error that arrives while fetching
		 * INSERT ... RETURNING rows (e.g. 1062) on the connection only. */
		c->last_errno = mysql_errno(c->my);
		snprintf(c->last_error, sizeof(c->last_error), "%s", mysql_error(c->my));
	}
	if (c->last_errno == 0) {
		c->last_errno = CR_UNKNOWN_ERROR;
		snprintf(c->last_error, sizeof(c->last_error), "statement failed without an error code");
	}
	return classify(c->last_errno);
}

static enum exec_result stmt_exec(struct dbconn *c, enum query q)
{
	uint64_t t0 = daemon_now_ns();
	int r = mysql_stmt_execute(c->st[q]);

	histogram_observe_ns(om.query[q], daemon_now_ns() - t0);
	return r ? stmt_error(c, c->st[q]) : EX_OK;
}

static void log_stmt_error(struct dbconn *c, enum query q)
{
	char code[16];

	snprintf(code, sizeof(code), "%u", c->last_errno);
	log_warn("database statement failed", "statement", sql_text[q] ? sql_text[q] : "insert items",
		 "errno", code, "error", c->last_error, NULL);
}

static void format_time(const MYSQL_TIME *t, char out[32])
{
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", t->year % 10000, t->month % 100,
		 t->day % 100, t->hour % 100, t->minute % 100, t->second % 100);
}

/* Drain what is left of a result; returns EX_OK or the error. */
static enum exec_result fetch_rest(struct dbconn *c, MYSQL_STMT *st)
{
	int r;

	while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED)
		;
	if (r == MYSQL_NO_DATA)
		return EX_OK;
	r = stmt_error(c, st);
	mysql_stmt_free_result(st);
	return r == EX_OK ? EX_FAIL : (enum exec_result)r;
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

/*
 * Run the order query and write the order JSON into out.  0, -ENOENT (no
 * such order) or an exec_result (<0).  Items are written in item_id order:
 * if the unsorted statement ever returns them otherwise, the answer is
 * rebuilt from the sorted one.
 */
static int order_load(struct dbconn *c, int64_t id, struct buf *out)
{
	struct get_row *g = &c->g;
	MYSQL_STMT *st = c->st[Q_GET_ORDER];
	size_t start = out->len;
	enum exec_result ex;
	bool first, sorted = false;
	int64_t last_item;
	int rows, r;

	g->param_id = id;
again:
	first = true;
	rows = 0;
	last_item = INT64_MIN;
	if (sorted) {
		uint64_t t0 = daemon_now_ns();

		r = mysql_stmt_execute(st);
		histogram_observe_ns(om.query[Q_GET_ORDER], daemon_now_ns() - t0);
		ex = r ? stmt_error(c, st) : EX_OK;
	} else {
		ex = stmt_exec(c, Q_GET_ORDER);
	}
	if (ex != EX_OK)
		return ex;
	while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
		if (rows++ == 0) {
			char created[32];
			struct order_head h = {
				.order_id = g->order_id,
				.customer_id_null = g->isnull[1],
				.customer_null = g->isnull[2],
				.customer_id = g->o_cust,
				.name = g->isnull[3] ? NULL : g->name,
				.name_len = g->name_len,
				.email = g->isnull[4] ? NULL : g->email,
				.email_len = g->email_len,
				.status = g->isnull[5] ? NULL : g->status,
				.status_len = g->status_len,
				.total = g->isnull[6] ? NULL : g->total,
				.total_len = g->total_len,
				.created_at = NULL,
			};
			if (!g->isnull[7]) {
				format_time(&g->created, created);
				h.created_at = created;
			}
			order_json_begin(out, &h);
		}
		if (!g->isnull[8]) {
			if (g->item_id < last_item && !sorted) {
				ex = fetch_rest(c, st);
				if (ex != EX_OK)
					return ex;
				st = get_sorted_stmt(c);
				if (!st)
					return classify(c->last_errno) == EX_OK ? EX_FAIL
										: classify(c->last_errno);
				out->len = start;
				if (out->data)
					out->data[start] = '\0';
				sorted = true;
				goto again;
			}
			last_item = g->item_id;
			order_json_item(out, first, g->item_id, g->product_id, g->quantity,
					g->isnull[10], g->isnull[11] ? NULL : g->price, g->price_len);
			first = false;
		}
	}
	if (r != MYSQL_NO_DATA) {
		ex = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return ex == EX_OK ? EX_FAIL : ex;
	}
	if (rows == 0)
		return -ENOENT;
	order_json_end(out);
	return 0;
}

/* ---- jobs ---- */

static void answer(struct http_request *r)
{
	http_request_resume(r);
}

/* Returns true when it did not answer because the connection was lost and
 * may_retry allows another pass on a fresh connection. */
static bool job_get(struct worker *w, struct db_job *j, bool may_retry)
{
	struct buf *out = http_response_body(j->req);
	int r;

	buf_reset(out);
	r = order_load(&w->rc, j->order_id, out);
	if (r == 0) {
		http_respond_buf(j->req, 200, "application/json", false);
	} else if (r == -ENOENT) {
		api_fail(j->req, 404, ERR_NOT_FOUND, "order not found", "order_id");
	} else if (r == EX_CONN) {
		conn_close(w->pool, &w->rc);
		if (may_retry)
			return true;
		api_unavailable(j->req, ERR_DB_UNAVAILABLE, "database unavailable");
	} else {
		log_stmt_error(&w->rc, Q_GET_ORDER);
		api_fail(j->req, 500, ERR_DB, "database error", NULL);
	}
	answer(j->req);
	return false;
}

/* The INSERT of n items, prepared on first use on this connection. */
static MYSQL_STMT *items_stmt(struct dbconn *c, size_t n)
{
	static const char head[] =
		"INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ";
	static const char tail[] = " RETURNING item_id";
	char sql[sizeof(head) + ORDER_MAX_ITEMS * 11 + sizeof(tail)];
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
	memcpy(sql + len, tail, sizeof(tail));
	len += sizeof(tail) - 1;
	st = mysql_stmt_init(c->my);
	if (!st)
		return NULL;
	if (mysql_stmt_prepare(st, sql, len)) {
		mysql_stmt_close(st);
		return NULL;
	}
	c->items_st[n] = st;
	return st;
}

static void bind_items(struct dbconn *c, struct order_req *o, int64_t order_id)
{
	MYSQL_BIND *b = c->it_bind;

	c->it_order = order_id;
	memset(b, 0, 4 * o->nitems * sizeof(*b));
	for (size_t i = 0; i < o->nitems; i++, b += 4) {
		/* int32_t fields of the request, bound in place */
		b[0].buffer_type = MYSQL_TYPE_LONGLONG;
		b[0].buffer = &c->it_order;
		b[1].buffer_type = MYSQL_TYPE_LONG;
		b[1].buffer = &o->items[i].product_id;
		b[2].buffer_type = MYSQL_TYPE_LONG;
		b[2].buffer = &o->items[i].quantity;
		/* Money travels as its exact decimal text; the server parses it
		 * into DECIMAL(10,2) without a binary floating point step. */
		c->it_price_len[i] = order_money_format(o->items[i].unit_cents, c->it_price[i],
							sizeof(c->it_price[i]));
		b[3].buffer_type = MYSQL_TYPE_STRING;
		b[3].buffer = c->it_price[i];
		b[3].length = &c->it_price_len[i];
	}
}

/* The customer's stored name and email into c->g: 1 found, 0 not, <0 exec_result. */
static int customer_get(struct dbconn *c, int64_t id)
{
	MYSQL_STMT *st = c->st[Q_GET_CUSTOMER];
	struct get_row *g = &c->g;
	MYSQL_BIND p, res[2];
	int64_t pid = id;
	enum exec_result ex;
	int r;

	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONGLONG;
	p.buffer = &pid;
	memset(res, 0, sizeof(res));
	res[0].buffer_type = MYSQL_TYPE_STRING;
	res[0].buffer = g->name;
	res[0].buffer_length = sizeof(g->name);
	res[0].length = &g->name_len;
	res[0].is_null = &g->isnull[3];
	res[1].buffer_type = MYSQL_TYPE_STRING;
	res[1].buffer = g->email;
	res[1].buffer_length = sizeof(g->email);
	res[1].length = &g->email_len;
	res[1].is_null = &g->isnull[4];
	mysql_stmt_bind_param(st, &p);
	mysql_stmt_bind_result(st, res);
	ex = stmt_exec(c, Q_GET_CUSTOMER);
	if (ex != EX_OK)
		return ex;
	r = mysql_stmt_fetch(st);
	if (r == MYSQL_NO_DATA)
		return 0;
	if (r != 0 && r != MYSQL_DATA_TRUNCATED) {
		ex = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return ex == EX_OK ? EX_FAIL : ex;
	}
	ex = fetch_rest(c, st);
	return ex == EX_OK ? 1 : ex;
}

/*
 * The create-order transaction on the worker's writer connection
 * (autocommit=0: the first statement opens it): the customer (looked up;
 * inserted only when missing), the order and its items (RETURNING their ids
 * and created_at), COMMIT -- four round trips in the common case.  The answer is
 * built from what was written and returned, in GET's shape.
 * Returns EX_OK with the answer queued, or an exec_result for the caller's
 * retry logic; *commit_sent tells whether the COMMIT went out (then the
 * outcome is unknown on a lost connection).
 */
static enum exec_result create_tx(struct worker *w, struct db_job *j, bool *commit_sent)
{
	struct dbconn *c = &w->wc;
	struct get_row *g = &c->g;
	struct order_req *o = &j->order;
	struct buf *out = http_response_body(j->req);
	MYSQL_BIND b[4], res[2];
	MYSQL_STMT *st;
	char total[24], created[32];
	unsigned long total_len, name_len = strlen(o->name), email_len = strlen(o->email);
	unsigned long key_len = strlen(j->key), hash_len = ORDER_HASH_LEN;
	int64_t cust = o->customer_id, order_id = 0, item_id = 0;
	MYSQL_TIME created_tm;
	my_bool created_null = 0;
	enum exec_result ex;
	enum query failed;
	int r;

	/*
	 * READ COMMITTED: every read sees the latest committed rows, so the
	 * second lookup below (after INSERT IGNORE waited for a concurrent
	 * request that created the same customer) sees that row; under
	 * REPEATABLE READ the first lookup would have fixed an older snapshot.
	 */
	failed = Q_GET_CUSTOMER;
	r = customer_get(c, cust);
	if (r < 0) {
		ex = (enum exec_result)r;
		goto rollback;
	}
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
		ex = stmt_exec(c, failed = Q_INSERT_CUSTOMER);
		if (ex != EX_OK)
			goto rollback;
		if (mysql_stmt_affected_rows(c->st[Q_INSERT_CUSTOMER]) == 1) {
			memcpy(g->name, o->name, name_len + 1);
			g->name_len = name_len;
			memcpy(g->email, o->email, email_len + 1);
			g->email_len = email_len;
		} else {
			/* A concurrent request created it first: answer with its row. */
			failed = Q_GET_CUSTOMER;
			r = customer_get(c, cust);
			if (r <= 0) {
				ex = r == 0 ? EX_FAIL : (enum exec_result)r;
				goto rollback;
			}
		}
	}

	total_len = order_money_format(o->total_cents, total, sizeof(total));
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &cust;
	/* The exact decimal text; the server converts it to DECIMAL(10,2). */
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = total;
	b[1].length = &total_len;
	b[2].buffer_type = j->has_key ? MYSQL_TYPE_STRING : MYSQL_TYPE_NULL;
	b[2].buffer = j->key;
	b[2].length = &key_len;
	b[3].buffer_type = j->has_key ? MYSQL_TYPE_BLOB : MYSQL_TYPE_NULL;
	b[3].buffer = j->hash;
	b[3].length = &hash_len;
	memset(res, 0, sizeof(res));
	res[0].buffer_type = MYSQL_TYPE_LONGLONG;
	res[0].buffer = &order_id;
	res[1].buffer_type = MYSQL_TYPE_DATETIME;
	res[1].buffer = &created_tm;
	res[1].is_null = &created_null;
	st = c->st[Q_INSERT_ORDER];
	mysql_stmt_bind_param(st, b);
	ex = stmt_exec(c, failed = Q_INSERT_ORDER);
	if (ex != EX_OK)
		goto rollback;
	if (mysql_stmt_bind_result(st, res)) {
		ex = EX_FAIL;
		goto rollback;
	}
	r = mysql_stmt_fetch(st);
	if (r != 0 && r != MYSQL_DATA_TRUNCATED) {
		ex = r == MYSQL_NO_DATA ? EX_FAIL : stmt_error(c, st);
		if (ex == EX_OK)
			ex = EX_FAIL;
		mysql_stmt_free_result(st);
		goto rollback;
	}
	ex = fetch_rest(c, st);
	if (ex != EX_OK)
		goto rollback;
	created[0] = '\0';
	if (!created_null)
		format_time(&created_tm, created);

	failed = Q_INSERT_ITEMS;
	st = items_stmt(c, o->nitems);
	if (!st) {
		ex = classify(mysql_errno(c->my));
		if (ex == EX_OK)
			ex = EX_FAIL;
		goto rollback;
	}
	bind_items(c, o, order_id);
	memset(res, 0, sizeof(res));
	res[0].buffer_type = MYSQL_TYPE_LONGLONG;
	res[0].buffer = &item_id;
	mysql_stmt_bind_param(st, c->it_bind);
	{
		uint64_t t0 = daemon_now_ns();
		size_t k = 0;

		r = mysql_stmt_execute(st);
		histogram_observe_ns(om.query[Q_INSERT_ITEMS], daemon_now_ns() - t0);
		if (r) {
			ex = stmt_error(c, st);
			goto rollback_st;
		}
		/* RETURNING's metadata is known only after execute: bind now. */
		if (mysql_stmt_bind_result(st, res)) {
			ex = EX_FAIL;
			goto rollback_st;
		}
		/* RETURNING rows come in VALUES order. */
		while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED)
			if (k < o->nitems)
				c->item_ids[k++] = item_id;
		if (r != MYSQL_NO_DATA) {
			ex = stmt_error(c, st);
			mysql_stmt_free_result(st);
			goto rollback_st;
		}
		if (k != o->nitems) {
			ex = EX_FAIL;
			goto rollback_st;
		}
	}

	*commit_sent = true;
	ex = stmt_exec(c, failed = Q_COMMIT);
	if (ex != EX_OK)
		goto rollback;
	counter_inc(om.orders_created);

	buf_reset(out);
	{
		struct order_head h = {
			.order_id = order_id,
			.customer_id = cust,
			.name = g->name,
			.name_len = g->name_len,
			.email = g->email,
			.email_len = g->email_len,
			.status = "pending",
			.status_len = 7,
			.total = total,
			.total_len = total_len,
			.created_at = created[0] ? created : NULL,
		};
		char loc[48];

		order_json_begin(out, &h);
		for (size_t i = 0; i < o->nitems; i++)
			order_json_item(out, i == 0, c->item_ids[i], o->items[i].product_id,
					o->items[i].quantity, false, c->it_price[i], c->it_price_len[i]);
		order_json_end(out);
		snprintf(loc, sizeof(loc), "/api/order/%" PRId64, order_id);
		http_response_header(j->req, "Location", loc);
	}
	http_respond_buf(j->req, 201, "application/json", false);
	return EX_OK;
rollback_st:
	if (ex == EX_OK)
		ex = EX_FAIL;
rollback:
	if (ex != EX_CONN)
		mysql_rollback(c->my);
	if (ex == EX_FAIL)
		log_stmt_error(c, failed);
	return ex;
}

/* Same key again: the first order (same request) or 422 (another request). */
static enum exec_result idempotent_replay(struct worker *w, struct db_job *j, bool *found)
{
	struct dbconn *c = &w->wc;
	MYSQL_STMT *st = c->st[Q_FIND_IDEMPOTENT];
	MYSQL_BIND p, res[2];
	unsigned long key_len = strlen(j->key), hash_len = 0;
	int64_t order_id = 0;
	uint8_t hash[ORDER_HASH_LEN + 1];
	my_bool hash_null = 0;
	enum exec_result ex;
	int r;

	*found = false;
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
	ex = stmt_exec(c, Q_FIND_IDEMPOTENT);
	if (ex != EX_OK)
		return ex;
	r = mysql_stmt_fetch(st);
	if (r == 0 || r == MYSQL_DATA_TRUNCATED) {
		*found = true;
		while (mysql_stmt_fetch(st) == 0)
			;
	} else if (r != MYSQL_NO_DATA) {
		ex = stmt_error(c, st);
		mysql_stmt_free_result(st);
		return ex == EX_OK ? EX_FAIL : ex;
	}
	if (!*found)
		return EX_OK;
	if (hash_null || hash_len != ORDER_HASH_LEN || memcmp(hash, j->hash, ORDER_HASH_LEN) != 0) {
		api_fail(j->req, 422, ERR_IDEMPOTENCY,
			 "Idempotency-Key was already used with a different request", "Idempotency-Key");
		return EX_OK;
	}
	buf_reset(http_response_body(j->req));
	r = order_load(c, order_id, http_response_body(j->req));
	if (r != 0)
		return r == -ENOENT ? EX_FAIL : (enum exec_result)r;
	{
		char loc[48];

		snprintf(loc, sizeof(loc), "/api/order/%" PRId64, order_id);
		http_response_header(j->req, "Location", loc);
	}
	http_respond_buf(j->req, 200, "application/json", false);
	return EX_OK;
}

static bool job_create(struct worker *w, struct db_job *j, bool may_retry)
{
	bool commit_sent = false, found;
	enum exec_result ex;

	/* Deadlocks are retried at once (InnoDB rolled back the victim). */
	for (int attempt = 0; attempt < 4; attempt++) {
		commit_sent = false;
		ex = create_tx(w, j, &commit_sent);
		if (ex == EX_DUP && j->has_key) {
			/* The unique key decided: another request owns this key. */
			ex = idempotent_replay(w, j, &found);
			/* its reads opened a transaction on the writer: end it */
			if (ex != EX_CONN)
				mysql_rollback(w->wc.my);
			if (ex == EX_OK && !found) {
				/* that one rolled back meanwhile: try again */
				ex = EX_RETRY;
				continue;
			}
			if (ex == EX_OK)
				goto done;
		}
		if (ex != EX_RETRY)
			break;
	}
	switch (ex) {
	case EX_OK:
		break;		/* create_tx answered */
	case EX_CONN:
		conn_close(w->pool, &w->wc);
		if (may_retry && !commit_sent)
			return true;
		api_unavailable(j->req, ERR_DB_UNAVAILABLE,
				commit_sent ? "database connection lost during commit"
					    : "database unavailable");
		break;
	case EX_RETRY:
		api_unavailable(j->req, ERR_DB_UNAVAILABLE, "database busy, retry");
		break;
	default:
		api_fail(j->req, 500, ERR_DB, "database error", NULL);
		break;
	}
done:
	/*
	 * Never leave the writer inside a transaction (it would hold row and
	 * metadata locks while idle): the server reports it in every OK packet.
	 */
	if (w->wc.up && (w->wc.my->server_status & SERVER_STATUS_IN_TRANS)) {
		log_warn("writer connection left in a transaction: rolled back", NULL);
		mysql_rollback(w->wc.my);
	}
	answer(j->req);
	return false;
}

static void job_run(struct worker *w, struct db_job *j)
{
	/*
	 * At most two passes: the second on a fresh connection after a lost
	 * one.  Only a connection that failed fast (closed under us: KILL, a
	 * restart, wait_timeout) earns the retry; one that timed out means a
	 * hung server, and the client gets its 503 within one timeout.
	 */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t t0 = daemon_now_ns();
		bool again;

		struct dbconn *c = j->kind == JOB_GET_ORDER ? &w->rc : &w->wc;

		if (pass)
			c->next_try_ns = 0;
		if (conn_ensure(w->pool, c) < 0) {
			api_unavailable(j->req, ERR_DB_UNAVAILABLE, "database unavailable");
			answer(j->req);
			return;
		}
		if (j->kind == JOB_GET_ORDER)
			again = job_get(w, j, pass == 0);
		else
			again = job_create(w, j, pass == 0);
		if (!again)
			return;
		if (daemon_now_ns() - t0 > 250 * 1000000ull) {
			api_unavailable(j->req, ERR_DB_UNAVAILABLE, "database unavailable");
			answer(j->req);
			return;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct db_pool *p = w->pool;

	mysql_thread_init();
	if (atomic_load(&p->ready)) {
		conn_open(p, &w->rc);
		conn_open(p, &w->wc);
	}
	for (;;) {
		struct db_job *j;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (sem_timedwait(&p->queued, &ts) != 0) {
			/* Idle: reconnect ahead of traffic once the DB answers. */
			if (!w->rc.up && atomic_load(&p->ready) && daemon_now_ns() >= w->rc.next_try_ns)
				conn_open(p, &w->rc);
			if (!w->wc.up && atomic_load(&p->ready) && daemon_now_ns() >= w->wc.next_try_ns)
				conn_open(p, &w->wc);
			continue;
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

/* ---- readiness checker ---- */

static void set_ready(struct db_pool *p, bool up)
{
	bool was = atomic_exchange(&p->ready, up);

	gauge_set(om.ready, up ? 1 : 0);
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
		if (!my) {
			my = connect_db(&p->cfg, false, err, sizeof(err));
			if (!my && (attempts++ < 3 || attempts % 10 == 0))
				log_warn("database not reachable, retrying", "error", err, NULL);
		}
		if (my) {
			uint64_t t0 = daemon_now_ns();

			up = mysql_ping(my) == 0;
			histogram_observe_ns(om.query[Q_PING], daemon_now_ns() - t0);
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
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)wait_s;
		ts.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * 1e9);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
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

/* ---- pool ---- */

struct db_pool *db_pool_new(const struct db_config *cfg)
{
	struct db_pool *p = calloc(1, sizeof(*p));
	size_t njobs;

	if (!p)
		return NULL;
	p->cfg = *cfg;
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
	free(p->workers);
	free(p->jobs);
	free(p->free_jobs.cells);
	free(p->queue.cells);
	if (p->sem_ok)
		sem_destroy(&p->queued);
	pthread_cond_destroy(&p->check_cv);
	pthread_mutex_destroy(&p->mu);
	if (p->lib_init)
		mysql_library_end();
	free(p);
}
