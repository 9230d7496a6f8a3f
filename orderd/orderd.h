/*
 * orderd: the API layer (api.c): routes, handlers, request metrics and the
 * per-request log line, and the mapping of the order store's outcomes
 * (db.h) to HTTP.  main.c builds it; nothing here is global.
 *
 * Threads: libmicrohttpd's I/O threads run the handlers (parse, validate,
 * take a job, suspend, submit); db.c's workers call api_db_done, which
 * answers and resumes the request.  The request path takes no lock and
 * allocates nothing beyond json-c's parse tree: its metric series are
 * resolved once in api_new and only updated atomically.
 * Ownership: a request's job carries the request (job->ctx) and its
 * response buffer (job->out) from submission until api_db_done resumes it.
 */
#ifndef ORDERD_ORDERD_H
#define ORDERD_ORDERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "http.h"
#include "metrics.h"

/* ---- the API's routes (index = position in the route table) ---- */
enum route {
	ROUTE_ORDER_GET,
	ROUTE_ORDER_POST,
	ROUTE_HEALTH,
	ROUTE_LIVENESS,
	ROUTE_READINESS,
	/* the drill endpoints last: without --web.enable-drill-endpoints the
	 * server gets the table without them (their paths answer 404) */
	ROUTE_ECHO,
	ROUTE_ERROR,
	ROUTE_COUNT,
};

struct api;

/* Registers orderd_http_requests_total, orderd_http_request_duration_seconds
 * and orderd_errors_total in reg (borrowed for the api's lifetime), every
 * series resolved now.  NULL on failure (errno set). */
struct api *api_new(struct metrics_registry *reg, bool requests_on, bool drill_on);
/* NULL is fine; after the API server is freed. */
void api_free(struct api *a);
/* The order store the handlers use (borrowed); set before serving. */
void api_set_db(struct api *a, struct db_pool *db);
/* api_route_count(a) routes whose ctx is a; valid until api_free.  The
 * count is ROUTE_COUNT with the drill endpoints (drill_on), else without. */
const struct http_route *api_routes(struct api *a);
size_t api_route_count(const struct api *a);
/* http_hooks.on_complete, with ctx = the api: request metrics and log line. */
void api_on_complete(void *ctx, struct http_request *r, int status, uint64_t duration_ns);
/* db_config.done, with done_arg = the api: the outcome as an HTTP answer. */
void api_db_done(struct db_job *j, void *arg);
/* --log.requests: all | errors | none | a sample rate in (0, 1].  0 or
 * -EINVAL.  Set once at start-up, before serving.  Only "all" logs the
 * /health* probes; a line's level is error for a 5xx other than 503, warn
 * for 503 (shed, DB unavailable), else info. */
int api_log_requests_set(const char *spec);

#endif
