/*
 * api: orderd's routes, their handlers on libmicrohttpd's threads, the
 * request metrics (resolved once into enum-indexed arrays) and the
 * per-request log line.
 *
 * Handlers that need the DB validate first, take a job from the pool (503 +
 * Retry-After at once when none is free: shed, never reset), suspend the
 * request and submit the job; the pool reports the outcome to api_db_done,
 * which maps it to a status and resumes the request.
 */
#include "orderd.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "log.h"
#include "mycnf.h"
#include "utf8.h"

#define ROUTE_UNKNOWN ROUTE_COUNT	/* one label value for every unmatched path */
#define ROUTE_LABELS (ROUTE_COUNT + 1)
#define METHOD_LABELS 4			/* GET HEAD POST OTHER */
#define STATUS_LABELS 14		/* status_codes[] + "other" */

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
	ERR_DB_UNAVAILABLE,		/* 503: no DB connection, or the DB busy */
	ERR_DB,				/* 500: the DB refused a statement */
	ERR_SIMULATED,			/* /api/error */
	ERR_CLIENT_GONE,		/* 499: the client closed before the answer */
	ERR_INTERNAL,			/* other 4xx/5xx */
	ERR_TYPE_COUNT,
};

struct api {
	struct db_pool *db;
	bool requests_on;	/* --metrics.requests */
	bool drill_on;		/* --web.enable-drill-endpoints */
	/* /health/readiness's 503 body while the my.cnf holds placeholders */
	char creds_body[512];
	size_t creds_len;
	struct counter *requests[ROUTE_LABELS][METHOD_LABELS][STATUS_LABELS];
	struct histogram *duration[ROUTE_LABELS][METHOD_LABELS];
	struct counter *errors[ERR_TYPE_COUNT][ROUTE_LABELS];
	struct http_route routes[ROUTE_COUNT];
};

/* ---- error tags (userdata of a request: a pointer into this array) ---- */

static const enum err_type err_tags[ERR_TYPE_COUNT] = {
	ERR_NONE, ERR_VALIDATION, ERR_MALFORMED, ERR_NOT_FOUND, ERR_METHOD, ERR_TOO_LARGE,
	ERR_MEDIA_TYPE, ERR_IDEMPOTENCY, ERR_OVERLOADED, ERR_DB_UNAVAILABLE, ERR_DB, ERR_SIMULATED,
	ERR_CLIENT_GONE, ERR_INTERNAL,
};

static const char *const err_names[ERR_TYPE_COUNT] = {
	[ERR_NONE] = "none",
	[ERR_VALIDATION] = "validation",
	[ERR_MALFORMED] = "malformed_request",
	[ERR_NOT_FOUND] = "not_found",
	[ERR_METHOD] = "method_not_allowed",
	[ERR_TOO_LARGE] = "payload_too_large",
	[ERR_MEDIA_TYPE] = "unsupported_media_type",
	[ERR_IDEMPOTENCY] = "idempotency_conflict",
	[ERR_OVERLOADED] = "overloaded",
	[ERR_DB_UNAVAILABLE] = "db_unavailable",
	[ERR_DB] = "db_error",
	[ERR_SIMULATED] = "simulated",
	[ERR_CLIENT_GONE] = "client_closed",
	[ERR_INTERNAL] = "internal",
};

static void api_mark(struct http_request *r, enum err_type t)
{
	http_request_set_userdata(r, (void *)(uintptr_t)&err_tags[t]);
}

static void api_fail(struct http_request *r, int status, enum err_type t, const char *msg,
		     const char *field)
{
	api_mark(r, t);
	http_respond_json_error(r, status, msg, field && *field ? field : NULL);
}

static void api_unavailable(struct http_request *r, enum err_type t, const char *msg)
{
	api_mark(r, t);
	/* RFC 9110 section 10.2.3: when to come back. */
	http_response_header(r, "Retry-After", "1");
	http_respond_json_error(r, 503, msg, NULL);
}

/* ---- handlers ---- */

/* application/json, optionally with parameters (RFC 9110 section 8.3). */
static bool content_type_json(struct http_request *r)
{
	const char *ct = http_request_header(r, "Content-Type");
	size_t n = sizeof("application/json") - 1;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void shed(struct http_request *r)
{
	api_unavailable(r, ERR_OVERLOADED, "server overloaded, retry later");
}

static void api_answer(struct http_request *r, const struct db_job *j, void *arg);

static void h_order_get(struct http_request *r, void *ctx)
{
	struct api *a = ctx;
	struct db_job *j;
	int64_t id;

	if (order_id_parse(http_request_param(r, "id"), &id) < 0) {
		api_fail(r, 400, ERR_VALIDATION, "order id must be an integer between 1 and 2147483647",
			 "order_id");
		return;
	}
	j = db_job_get(a->db);
	if (!j) {
		shed(r);
		return;
	}
	j->kind = DB_GET_ORDER;
	j->ctx = r;
	j->out = http_response_body(r);
	j->order_id = id;
	/* on this thread when it can (no hand-off), else through the pool */
	if (db_job_run_here(a->db, j)) {
		api_answer(r, j, a);
		db_job_put(a->db, j);
		return;
	}
	http_request_suspend(r);
	db_job_submit(a->db, j);
}

static void h_order_post(struct http_request *r, void *ctx)
{
	struct api *a = ctx;
	struct order_error err = { 0 };
	const char *body, *key;
	struct db_job *j;
	size_t len;

	if (!content_type_json(r)) {
		api_fail(r, 415, ERR_MEDIA_TYPE, "Content-Type must be application/json", NULL);
		return;
	}
	key = http_request_header(r, "Idempotency-Key");
	if (key && order_idem_key_check(key) < 0) {
		api_fail(r, 400, ERR_VALIDATION,
			 "Idempotency-Key must be 1 to 128 visible ASCII characters", "Idempotency-Key");
		return;
	}
	j = db_job_get(a->db);
	if (!j) {
		shed(r);
		return;
	}
	body = http_request_body(r, &len);
	if (order_parse(body ? body : "", body ? len : 0, &j->order, &err) < 0) {
		db_job_put(a->db, j);
		api_fail(r, 400, err.field[0] ? ERR_VALIDATION : ERR_MALFORMED, err.msg, err.field);
		return;
	}
	j->kind = DB_CREATE_ORDER;
	j->ctx = r;
	j->out = http_response_body(r);
	j->has_key = key != NULL;
	if (key) {
		snprintf(j->key, sizeof(j->key), "%s", key);
		order_req_hash(&j->order, j->hash);
	} else {
		j->key[0] = '\0';
	}
	http_request_suspend(r);
	db_job_submit(a->db, j);
}

/* The outcome of j as r's answer. */
static void api_answer(struct http_request *r, const struct db_job *j, void *arg)
{
	char loc[48];

	switch (j->result) {
	case 0:
		if (j->kind == DB_CREATE_ORDER) {
			snprintf(loc, sizeof(loc), "/api/order/%" PRId64, j->order_id);
			http_response_header(r, "Location", loc);
		}
		/* 201 for a new order; 200 for GET and for a replayed key */
		http_respond_buf(r, j->kind == DB_CREATE_ORDER && !j->replayed ? 201 : 200,
				 "application/json", false);
		break;
	case -ENOENT:
		api_fail(r, 404, ERR_NOT_FOUND, "order not found", "order_id");
		break;
	case -EEXIST:
		api_fail(r, 422, ERR_IDEMPOTENCY,
			 "Idempotency-Key was already used with a different request", "Idempotency-Key");
		break;
	case -EAGAIN:
		api_unavailable(r, ERR_DB_UNAVAILABLE, "database busy, retry");
		break;
	case -ECONNRESET:
		api_unavailable(r, ERR_DB_UNAVAILABLE, "database connection lost during commit");
		break;
	case -ENOTCONN:
		api_unavailable(r, ERR_DB_UNAVAILABLE,
				db_pool_placeholder(((struct api *)arg)->db)
					? "database credentials not configured"
					: "database unavailable");
		break;
	default:	/* -EIO, or anything new: never a 4xx by accident */
		api_fail(r, 500, ERR_DB, "database error", NULL);
		break;
	}
}

void api_db_done(struct db_job *j, void *arg)
{
	struct http_request *r = j->ctx;

	api_answer(r, j, arg);
	http_request_resume(r);
}

/* Seed 004's echo: {"status":"success","data":<the JSON sent>}. */
static void h_echo(struct http_request *r, void *ctx)
{
	struct order_error err = { 0 };
	json_object *root;
	const char *body;
	size_t len;
	struct buf *out;

	if (!content_type_json(r)) {
		api_fail(r, 415, ERR_MEDIA_TYPE, "Content-Type must be application/json", NULL);
		return;
	}
	body = http_request_body(r, &len);
	if (!body)
		body = "", len = 0;
	/* only RFC 8259 text in, so only JSON out (json-c would echo NaN) */
	if (order_json_read(body, len, &root, &err) < 0) {
		api_fail(r, 400, ERR_MALFORMED, err.msg, NULL);
		return;
	}
	out = http_response_body(r);
	buf_puts(out, "{\"status\":\"success\",\"data\":");
	buf_puts(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(out, '}');
	json_object_put(root);
	http_respond_buf(r, 200, "application/json", false);
}

/* Seed 004's alert drill: ?type=client is 400, anything else 500. */
static void h_error(struct http_request *r, void *ctx)
{
	const char *type = http_request_query(r, "type");

	if (type && strcmp(type, "client") == 0)
		api_fail(r, 400, ERR_SIMULATED, "simulated client error", NULL);
	else
		api_fail(r, 500, ERR_SIMULATED, "simulated server error", NULL);
}

static void h_health(struct http_request *r, void *ctx)
{
	struct api *a = ctx;
	bool up = db_pool_ready(a->db);
	char body[96];
	int n = snprintf(body, sizeof(body), "{\"status\":\"ok\",\"database\":\"%s\"}",
			 up ? "up" : "down");

	http_respond(r, 200, "application/json", body, (size_t)n);
}

static void h_liveness(struct http_request *r, void *ctx)
{
	static const char body[] = "{\"status\":\"alive\"}";

	http_respond(r, 200, "application/json", body, sizeof(body) - 1);
}

static void h_readiness(struct http_request *r, void *ctx)
{
	static const char ok[] = "{\"status\":\"ready\",\"database\":\"up\"}";
	static const char no[] = "{\"status\":\"not ready\",\"database\":\"down\","
				 "\"reason\":\"database not reachable\"}";
	struct api *a = ctx;

	if (db_pool_ready(a->db)) {
		http_respond(r, 200, "application/json", ok, sizeof(ok) - 1);
	} else if (db_pool_placeholder(a->db)) {
		api_mark(r, ERR_DB_UNAVAILABLE);
		http_respond(r, 503, "application/json", a->creds_body, a->creds_len);
	} else {
		api_mark(r, ERR_DB_UNAVAILABLE);
		http_respond(r, 503, "application/json", no, sizeof(no) - 1);
	}
}

static const struct http_route route_table[ROUTE_COUNT] = {
	[ROUTE_ORDER_GET] = { "GET", "/api/order/:id", h_order_get, NULL },
	[ROUTE_ORDER_POST] = { "POST", "/api/order", h_order_post, NULL },
	[ROUTE_HEALTH] = { "GET", "/health", h_health, NULL },
	[ROUTE_LIVENESS] = { "GET", "/health/liveness", h_liveness, NULL },
	[ROUTE_READINESS] = { "GET", "/health/readiness", h_readiness, NULL },
	[ROUTE_ECHO] = { "POST", "/api/echo", h_echo, NULL },
	[ROUTE_ERROR] = { "GET", "/api/error", h_error, NULL },
};

/* The probes: never a request line for them unless --log.requests=all. */
static bool route_is_health(unsigned ro)
{
	return ro == ROUTE_HEALTH || ro == ROUTE_LIVENESS || ro == ROUTE_READINESS;
}

/* ---- metrics ---- */

static const char *const method_names[METHOD_LABELS] = { "GET", "HEAD", "POST", "OTHER" };
/* Every status orderd or its HTTP glue answers (499: the client went away
 * before the answer, as nginx counts it); anything else is "other". */
static const int status_codes[STATUS_LABELS - 1] = {
	200, 201, 400, 404, 405, 408, 413, 415, 422, 431, 499, 500, 503,
};

static unsigned method_index(enum http_method m)
{
	switch (m) {
	case HTTP_GET: return 0;
	case HTTP_HEAD: return 1;
	case HTTP_POST: return 2;
	default: return 3;
	}
}

static unsigned status_index(int status)
{
	for (unsigned i = 0; i < STATUS_LABELS - 1; i++)
		if (status_codes[i] == status)
			return i;
	return STATUS_LABELS - 1;
}

static unsigned route_index(const struct http_request *r)
{
	int i = http_request_route(r);

	return i < 0 || i >= ROUTE_COUNT ? ROUTE_UNKNOWN : (unsigned)i;
}

static const char *route_label(unsigned i)
{
	return i == ROUTE_UNKNOWN ? "unknown" : route_table[i].path;
}

struct api *api_new(struct metrics_registry *reg, bool requests_on, bool drill_on)
{
	static const char *const req_labels[] = { "endpoint", "method", "status", NULL };
	static const char *const dur_labels[] = { "endpoint", "method", NULL };
	static const char *const err_labels[] = { "type", "endpoint", NULL };
	/*
	 * 100 us .. 10 s, six bounds a decade (1, 1.5, 2, 3, 5, 7: about two an
	 * octave, neighbours at most 1.67x apart), so histogram_quantile's linear
	 * interpolation stays within one such step of the truth from a cached GET
	 * (~0.3 ms) to a stalled database (seconds).  0.3 stays a bound: the
	 * 300 ms SLO (slo.yml) counts le="0.3".  The old first bound, 5 ms, put
	 * every ~1 ms GET in one bucket and made the median 2.5 ms (issue 15).
	 */
	static const double http_bounds[] = { .0001, .00015, .0002, .0003, .0005, .0007,
					      .001,  .0015,  .002,  .003,  .005,  .007,
					      .01,   .015,   .02,   .03,   .05,   .07,
					      .1,    .15,    .2,    .3,    .5,    .7,
					      1,     1.5,    2,     3,     5,     7,     10 };
	struct metric_family *req, *dur, *err;
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->requests_on = requests_on;
	a->drill_on = drill_on;
	for (unsigned i = 0; i < ROUTE_COUNT; i++) {
		a->routes[i] = route_table[i];
		a->routes[i].ctx = a;
	}
	req = metrics_counter_new(reg, "orderd_http_requests_total",
				  "HTTP requests answered, by route template, method and status.",
				  req_labels);
	/* exemplars: the X-Request-Id orderd logs; native buckets for protobuf */
	static const struct metrics_histogram_opts dur_opts = {
		.exemplars = true, .exemplar_label = "request_id", .native = true,
	};
	dur = metrics_histogram_new_opts(reg, "orderd_http_request_duration_seconds",
					 "HTTP request duration from first byte to response queued.",
					 dur_labels, http_bounds,
					 sizeof(http_bounds) / sizeof(http_bounds[0]), &dur_opts);
	err = metrics_counter_new(reg, "orderd_errors_total",
				  "Requests answered with an error, by error type and route template.",
				  err_labels);
	if (!req || !dur || !err)
		goto fail;
	/* Resolve every series now: the request path only adds atomically. */
	for (unsigned ro = 0; ro < ROUTE_LABELS; ro++)
		for (unsigned m = 0; m < METHOD_LABELS; m++) {
			const char *dv[] = { route_label(ro), method_names[m] };

			a->duration[ro][m] = histogram_labels(dur, dv);
			if (!a->duration[ro][m])
				goto fail;
			for (unsigned s = 0; s < STATUS_LABELS; s++) {
				char code[8];
				const char *rv[] = { route_label(ro), method_names[m], code };

				if (s < STATUS_LABELS - 1)
					snprintf(code, sizeof(code), "%d", status_codes[s]);
				else
					snprintf(code, sizeof(code), "other");
				a->requests[ro][m][s] = counter_labels(req, rv);
				if (!a->requests[ro][m][s])
					goto fail;
			}
		}
	for (unsigned t = ERR_NONE + 1; t < ERR_TYPE_COUNT; t++)
		for (unsigned ro = 0; ro < ROUTE_LABELS; ro++) {
			const char *ev[] = { err_names[t], route_label(ro) };

			a->errors[t][ro] = counter_labels(err, ev);
			if (!a->errors[t][ro])
				goto fail;
		}
	return a;
fail:
	{
		int e = errno;

		free(a);
		errno = e ? e : ENOMEM;
	}
	return NULL;
}

void api_free(struct api *a)
{
	free(a);
}

void api_set_db(struct api *a, struct db_pool *db)
{
	static const char head[] = "{\"status\":\"not ready\",\"database\":\"down\","
				   "\"reason\":\"database credentials in ";
	static const char tail[] = " are placeholders (" MYCNF_PLACEHOLDER
				   "): edit them, then systemctl reload orderd\"}";
	const char *path = db_pool_my_cnf(db);
	size_t n = sizeof(head) - 1, used;

	a->db = db;
	/* built once: the probe only copies it */
	memcpy(a->creds_body, head, n);
	n += json_escape(a->creds_body + n, sizeof(a->creds_body) - n - sizeof(tail), path,
			 strlen(path), &used);
	memcpy(a->creds_body + n, tail, sizeof(tail) - 1);
	a->creds_len = n + sizeof(tail) - 1;
}

const struct http_route *api_routes(struct api *a)
{
	return a->routes;
}

size_t api_route_count(const struct api *a)
{
	return a->drill_on ? ROUTE_COUNT : ROUTE_ECHO;
}

/* ---- per-request hooks: metrics and the log line ---- */

enum log_mode { LOGREQ_ALL, LOGREQ_ERRORS, LOGREQ_NONE, LOGREQ_SAMPLE };
static enum log_mode log_mode = LOGREQ_ERRORS;
static uint32_t log_sample_threshold;	/* of 2^32 */

int api_log_requests_set(const char *spec)
{
	char *end;
	double rate;

	if (strcmp(spec, "all") == 0) {
		log_mode = LOGREQ_ALL;
	} else if (strcmp(spec, "errors") == 0) {
		log_mode = LOGREQ_ERRORS;
	} else if (strcmp(spec, "none") == 0) {
		log_mode = LOGREQ_NONE;
	} else {
		errno = 0;
		rate = strtod(spec, &end);
		if (errno || end == spec || *end || !(rate > 0) || rate > 1)
			return -EINVAL;
		log_mode = rate >= 1 ? LOGREQ_ALL : LOGREQ_SAMPLE;
		log_sample_threshold = (uint32_t)(rate * 4294967295.0);
	}
	return 0;
}

/* Per-thread xorshift32 for sampling: no shared state on the request path. */
static bool sample(void)
{
	static _Thread_local uint32_t x;

	if (!x)
		x = (uint32_t)(uintptr_t)&x ^ 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x < log_sample_threshold;
}

static enum err_type err_from_status(int status)
{
	switch (status) {
	case 400: return ERR_MALFORMED;
	case 404: return ERR_NOT_FOUND;
	case 405: return ERR_METHOD;
	case 413: return ERR_TOO_LARGE;
	case 415: return ERR_MEDIA_TYPE;
	case 499: return ERR_CLIENT_GONE;
	case 503: return ERR_OVERLOADED;
	default: return ERR_INTERNAL;
	}
}

void api_on_complete(void *ctx, struct http_request *r, int status, uint64_t duration_ns)
{
	struct api *a = ctx;
	unsigned ro = route_index(r), m = method_index(http_request_method(r));

	if (a->requests_on) {
		counter_inc(a->requests[ro][m][status_index(status)]);
		histogram_observe_ns_ex(a->duration[ro][m], duration_ns, http_request_id(r));
	}
	if (status >= 400) {
		const enum err_type *tag = http_request_userdata(r);
		enum err_type t = tag ? *tag : err_from_status(status);

		if (t == ERR_NONE)
			t = err_from_status(status);
		counter_inc(a->errors[t][ro]);
	}
	if (log_mode == LOGREQ_NONE || (log_mode != LOGREQ_ALL && route_is_health(ro)) ||
	    (log_mode == LOGREQ_ERRORS && status < 400) || (log_mode == LOGREQ_SAMPLE && !sample()))
		return;
	{
		/* 503 is load shed or the DB away: a warning; any other 5xx a fault */
		enum log_level lvl = status == 503 ? LOGL_WARN : status >= 500 ? LOGL_ERROR : LOGL_INFO;
		char st[8], dur[24];
		const char *id = http_request_id(r);

		if (!log_enabled(lvl))
			return;
		snprintf(st, sizeof(st), "%d", status);
		snprintf(dur, sizeof(dur), "%.6f", (double)duration_ns / 1e9);
		log_kv(lvl, "request", "method", http_request_method_str(r), "endpoint",
		       route_label(ro), "path", http_request_path(r), "status", st,
		       "duration_seconds", dur, "request_id", id ? id : "", "remote",
		       http_request_peer(r), NULL);
	}
}
