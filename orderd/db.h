/*
 * db: orderd's order store over MariaDB or MySQL.  It speaks no HTTP: a
 * caller fills a job, submits it, and gets it back through the completion
 * callback of its configuration with an outcome (job->result, one
 * vocabulary: 0 or a negative errno, below), the order's id and the order
 * JSON written into the caller's buffer.
 *
 * Threads: db_job_get/db_job_submit/db_job_put and db_pool_ready may be
 * called from any thread; they take no lock and allocate nothing (jobs are
 * made at start-up and kept in lock-free rings).  The pool's workers run
 * the jobs and call the completion callback on their own threads.
 * Ownership: a job belongs to the caller from db_job_get() until
 * db_job_submit() (or db_job_put() when not submitted); then to the pool,
 * which hands it to the callback once and takes it back when the callback
 * returns.  job->out is borrowed: it must stay valid until the callback.
 * The metric handles in db_config.metrics are borrowed for the pool's
 * lifetime and only updated atomically.
 */
#ifndef ORDERD_DB_H
#define ORDERD_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "metrics.h"
#include "order.h"

/* orderd_db_query_duration_seconds{query} values. */
enum db_query {
	Q_GET_ORDER,
	Q_GET_CUSTOMER,
	Q_INSERT_CUSTOMER,
	Q_INSERT_ORDER,
	Q_INSERT_ITEMS,
	Q_FIND_IDEMPOTENT,
	Q_COMMIT,
	Q_PING,
	Q_COUNT,
};

/* The pool's metric handles (any may be NULL: not measured). */
struct db_metrics {
	struct histogram *query[Q_COUNT];
	struct counter *orders_created;
	struct gauge *ready;		/* 1 while the DB answers the checker */
};

/* Register orderd_db_query_duration_seconds, orderd_orders_created_total and
 * orderd_ready in reg and resolve every series into *ret.  0 or -errno. */
int db_metrics_register(struct metrics_registry *reg, struct db_metrics *ret);

enum db_job_kind {
	DB_GET_ORDER,
	DB_CREATE_ORDER,
};

/*
 * job->result, the outcome of a job:
 *   0            GET: found.  POST: created, or (replayed) the order this
 *                Idempotency-Key created before, for the same request
 *   -ENOENT      GET: no such order
 *   -EEXIST      POST: the Idempotency-Key was used with a different request
 *   -ENOTCONN    no usable connection: the DB is down, the connection was
 *                lost before COMMIT, or a call exceeded --db.timeout
 *   -ECONNRESET  the connection was lost after COMMIT was sent: the
 *                outcome is unknown to orderd
 *   -EAGAIN      lock wait timeout or deadlock, retries used up
 *   -EIO         the DB refused a statement (logged)
 */
struct db_job {
	enum db_job_kind kind;
	void *ctx;				/* the caller's, untouched */
	struct buf *out;			/* the order JSON goes here (reset first) */
	int64_t order_id;			/* GET: which; result: the order's id */
	bool has_key;				/* POST: Idempotency-Key sent */
	char key[ORDER_MAX_IDEM_KEY + 1];
	uint8_t hash[ORDER_HASH_LEN];
	struct order_req order;			/* POST: the validated request */
	/* outcome, for the callback */
	int result;
	bool replayed;				/* POST answered from an earlier order */
};

struct db_config {
	const char *my_cnf;		/* [client] section: credentials, host/port/socket, database */
	const char *db_name;		/* NULL: the my.cnf's database, else "orders_db" */
	unsigned pool_size;		/* workers; each has a reader and a writer connection */
	unsigned queue_size;		/* waiting jobs beyond the workers before db_job_get fails */
	unsigned timeout_s;		/* connect/read/write timeout per DB call */
	double check_interval_s;	/* readiness ping period */
	double retry_max_s;		/* cap of the reconnect backoff */
	const struct db_metrics *metrics;	/* borrowed; NULL: none */
	/* Called once per submitted job on a worker thread with the outcome
	 * set; the job must not be used after it returns. */
	void (*done)(struct db_job *j, void *arg);
	void *done_arg;
};

struct db_pool;
/* A pool for cfg (copied; cfg->metrics is borrowed), or NULL (out of memory). */
struct db_pool *db_pool_new(const struct db_config *cfg);
/* Starts the checker and the workers.  0 or negative errno. */
int db_pool_start(struct db_pool *p);
/* A free job, or NULL when every worker is busy and the queue is full (shed). */
struct db_job *db_job_get(struct db_pool *p);
/* Give back a job that was not submitted. */
void db_job_put(struct db_pool *p, struct db_job *j);
/* Queue a job taken with db_job_get; cfg.done will be called for it. */
void db_job_submit(struct db_pool *p, struct db_job *j);
/*
 * Run a DB_GET_ORDER job taken with db_job_get on the calling thread, on a
 * reader connection of that thread's own (opened on its first use and kept
 * until db_pool_free), with no hand-off to a worker: true with
 * job->result set (cfg.done is NOT called; the job is still the caller's,
 * to db_job_put), or false without touching the job when it cannot run
 * here (the DB is not ready, the pool is stopping, or this thread's
 * connection cannot be opened now): then submit it.  It blocks the caller
 * for at most about two --db.timeout, like a worker's call.
 */
bool db_job_run_here(struct db_pool *p, struct db_job *j);
bool db_pool_ready(const struct db_pool *p);
/* The my.cnf still holds the package's CHANGE_ME placeholders: the pool
 * does not connect (logged once, an error) and is not ready. */
bool db_pool_placeholder(const struct db_pool *p);
/* cfg.my_cnf (valid until db_pool_free). */
const char *db_pool_my_cnf(const struct db_pool *p);
/* SIGHUP: re-read the my.cnf for placeholders and have the checker try to
 * connect now.  0, or -EINVAL (reason in err) while placeholders remain.
 * The client library reads the file at every connect anyway, so credentials
 * edited there reach new connections without it (within
 * --db.retry-max-backoff); open connections keep their session. */
int db_pool_reload(struct db_pool *p, char *err, size_t errlen);
/* Scrape-time: orderd_db_connections{state}. */
int db_pool_collect(struct metrics_writer *w, void *ctx);
/* Finish queued jobs, stop the threads, close connections.  NULL is fine. */
void db_pool_free(struct db_pool *p);

#endif
