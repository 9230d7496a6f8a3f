/*
 * orderd: private declarations shared by main.c, api.c and db.c.
 *
 * Threads: libmicrohttpd's I/O threads run api.c's handlers (parse,
 * validate, take a job, suspend, enqueue); db.c's workers (one DB
 * connection each) run the queries, answer and resume; one checker thread
 * pings the DB for readiness.  Jobs and the queue are lock-free rings, so
 * the request path takes no lock and allocates nothing beyond json-c's
 * parse tree.  The metrics handles in `orderd_metrics` are resolved once at
 * start-up (metrics_init) and only atomically updated afterwards.
 * Ownership: a job belongs to the I/O thread from db_job_get() until
 * db_job_submit(), then to a worker until db_job_put(); its request stays
 * valid until the worker's http_request_resume().
 */
#ifndef ORDERD_ORDERD_H
#define ORDERD_ORDERD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "metrics.h"
#include "order.h"

/* ---- the API's routes (index = position in api_routes[]) ---- */
enum route {
	ROUTE_ORDER_GET,
	ROUTE_ORDER_POST,
	ROUTE_ECHO,
	ROUTE_ERROR,
	ROUTE_HEALTH,
	ROUTE_LIVENESS,
	ROUTE_READINESS,
	ROUTE_COUNT,
	ROUTE_UNKNOWN = ROUTE_COUNT,	/* one label value for every unmatched path */
	ROUTE_LABELS,
};

/* orderd_errors_total{type} values. */
enum err_type {
	ERR_NONE,
	ERR_VALIDATION,			/* 400 from the body or the path */
	ERR_MALFORMED,			/* 400: not JSON / not UTF-8 */
	ERR_NOT_FOUND,			/* 404 */
	ERR_METHOD,			/* 405 */
	ERR_TOO_LARGE,			/* 413 */
	ERR_MEDIA_TYPE,			/* 415 */
	ERR_IDEMPOTENCY,		/* 422 */
	ERR_OVERLOADED,			/* 503 shed: queue full */
	ERR_DB_UNAVAILABLE,		/* 503: no DB connection */
	ERR_DB,				/* 500: the DB refused a statement */
	ERR_SIMULATED,			/* /api/error */
	ERR_CLIENT_GONE,		/* 499: the client closed before the answer */
	ERR_INTERNAL,			/* other 4xx/5xx */
	ERR_TYPE_COUNT,
};

/* orderd_db_query_duration_seconds{query} values. */
enum query {
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

#define METHOD_LABELS 4		/* GET HEAD POST OTHER */
#define STATUS_LABELS 14	/* see api.c status_codes[] + "other" */

struct orderd_metrics {
	struct metrics_registry *reg;
	bool requests_on;	/* --metrics.requests */
	struct counter *requests[ROUTE_LABELS][METHOD_LABELS][STATUS_LABELS];
	struct histogram *duration[ROUTE_LABELS][METHOD_LABELS];
	struct counter *errors[ERR_TYPE_COUNT][ROUTE_LABELS];
	struct histogram *query[Q_COUNT];
	struct counter *orders_created;
	struct gauge *ready;
};
extern struct orderd_metrics om;

/* ---- api.c ---- */
extern const struct http_route api_routes[ROUTE_COUNT];
int metrics_init(struct metrics_registry *reg, bool requests_on);
/* Tag a request with its error type for the errors counter (any thread, before answering). */
void api_mark(struct http_request *r, enum err_type t);
/* JSON error answer + tag. */
void api_fail(struct http_request *r, int status, enum err_type t, const char *msg,
	      const char *field);
/* 503 + Retry-After: 1 (shed or DB down). */
void api_unavailable(struct http_request *r, enum err_type t, const char *msg);
void api_on_complete(void *ctx, struct http_request *r, int status, uint64_t duration_ns);
/* --log.requests: all | errors | none | a sample rate in (0, 1]. 0 or -EINVAL. */
int api_log_requests_set(const char *spec);

/* ---- db.c ---- */
struct db_config {
	const char *my_cnf;		/* [client] section: credentials, host/port/socket, database */
	const char *db_name;		/* NULL: the my.cnf's database, else "orders_db" */
	unsigned pool_size;		/* workers; each has a reader and a writer connection */
	unsigned queue_size;		/* waiting requests before 503 */
	unsigned timeout_s;		/* connect/read/write timeout per DB call */
	double check_interval_s;	/* readiness ping period */
	double retry_max_s;		/* cap of the reconnect backoff */
};

enum job_kind {
	JOB_GET_ORDER,
	JOB_CREATE_ORDER,
};

struct db_job {
	enum job_kind kind;
	struct http_request *req;
	int64_t order_id;			/* JOB_GET_ORDER */
	bool has_key;				/* JOB_CREATE_ORDER: Idempotency-Key sent */
	char key[ORDER_MAX_IDEM_KEY + 1];
	uint8_t hash[ORDER_HASH_LEN];
	struct order_req order;
};

struct db_pool;
struct db_pool *db_pool_new(const struct db_config *cfg);
/* Starts the checker and the workers.  0 or negative errno. */
int db_pool_start(struct db_pool *p);
/* A free job, or NULL when every worker is busy and the queue is full (shed). */
struct db_job *db_job_get(struct db_pool *p);
void db_job_put(struct db_pool *p, struct db_job *j);
/* Queue a job taken with db_job_get; its request must be suspended first. */
void db_job_submit(struct db_pool *p, struct db_job *j);
bool db_pool_ready(const struct db_pool *p);
/* Scrape-time: orderd_db_connections{state}. */
int db_pool_collect(struct metrics_writer *w, void *ctx);
/* Finish queued jobs, stop the threads, close connections.  NULL is fine. */
void db_pool_free(struct db_pool *p);

extern struct db_pool *api_db;		/* set by main before serving */

#endif
