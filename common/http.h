/*
 * http: HTTP serving over libmicrohttpd (epoll, thread pool).
 *
 * A server owns one MHD daemon per listen address and a static route table
 * {method, path template, handler}.  Path templates are exact paths whose
 * segments may be ":name" parameters ("/api/order/:id"); the template string
 * is what metrics label a request with (never the raw path).  Unknown paths
 * get 404, a known path with another method 405 + Allow; "GET" routes answer
 * HEAD too.  Limits live here: body size (413), header/connection memory
 * (libmicrohttpd answers 431 itself), connection cap, per-connection idle
 * timeout.  With json_errors the glue's own errors are JSON {"error": ...}.
 *
 * A handler runs on one of libmicrohttpd's threads with the whole body read
 * (bounded by max_body).  It answers with http_respond*() before returning,
 * or calls http_request_suspend() and later, from any thread, answers and
 * then calls http_request_resume() (orderd's worker pool uses this to shed
 * load with 503 instead of blocking I/O threads).
 *
 * Thread-safety: handlers and hooks run concurrently on several threads.
 * A request belongs to the thread handling it until it answers.
 * Ownership: the glue owns requests and libmicrohttpd's response objects;
 * request strings are valid until the request completes.
 */
#ifndef PRISM_HTTP_H
#define PRISM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "metrics.h"

struct http_server;
struct http_request;

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
	HTTP_OTHER,
	HTTP_METHOD_COUNT,
};

#define HTTP_ROUTE_UNKNOWN (-1)	/* route index of a request no path matched */
#define HTTP_MAX_PARAMS 4

typedef void (*http_handler_fn)(struct http_request *req, void *ctx);

struct http_route {
	const char *method;	/* "GET" (also serves HEAD), "POST", ... */
	const char *path;	/* template, e.g. "/metrics", "/api/order/:id" */
	http_handler_fn fn;
	void *ctx;
};

struct http_hooks {
	/* Called when a request is first seen (route resolved), any thread. */
	void (*on_begin)(void *ctx, struct http_request *req);
	/* Called once the response is queued; duration from first byte seen.
	 * Exactly once per on_begin: a request that ends unanswered (client
	 * gone mid-body, timeout) reports status 499 when it is torn down. */
	void (*on_complete)(void *ctx, struct http_request *req, int status, uint64_t duration_ns);
	void *ctx;
};

struct http_config {
	unsigned threads;		/* libmicrohttpd thread pool; 0 = number of CPUs */
	unsigned conn_limit;		/* concurrent connections per listener (default 1024) */
	unsigned conn_timeout_s;	/* idle timeout per connection (default 30) */
	size_t max_body;		/* request body cap, 413 above (default 64 KiB) */
	size_t conn_memory;		/* per-connection memory incl. headers (default 32 KiB) */
	size_t max_response;		/* response body cap (default 64 MiB) */
	bool json_errors;		/* glue errors (404, 405, 413, 503) as JSON */
	bool request_id;		/* X-Request-Id on every response (client's if sane) */
	int gzip_level;			/* 1..9, 0 = default (6) */
	const char *server_name;	/* for logs */
	struct http_hooks hooks;
	/* Called last for every request that reached the request line, when
	 * it is over: its answer sent (or given up on) and its state, buffers
	 * included, handed back; userdata is what the handler set (the
	 * request itself is gone).  On the connection's thread.  NULL: none. */
	void (*on_done)(void *userdata);
};

/* Fill cfg with the defaults above. */
void http_config_defaults(struct http_config *cfg);

/* routes is borrowed and must outlive the server. */
struct http_server *http_server_new(const struct http_config *cfg,
				    const struct http_route *routes, size_t nroutes);
/*
 * Bind one listen address: "host:port", "[v6addr]:port", ":port" (all
 * addresses, dual-stack).  Port 0 picks a free port (read it back with
 * http_server_port).  Returns 0 or a negative errno (the caller's message
 * names the address).
 */
int http_server_listen(struct http_server *s, const char *addr);
/*
 * Deadlines (Go's http.Server ReadHeaderTimeout / ReadTimeout): the request
 * head must be complete within header_s of its request line, the body read
 * within read_s of it, else the connection is closed (counted 408); a
 * connection idle between requests is closed after conn_timeout_s in total,
 * however slowly bytes trickle in.  0 = no deadline.  Before
 * http_server_start.  A connection that takes a listener past conn_limit
 * evicts that listener's longest-idle connection (libmicrohttpd keeps
 * accepting up to conn_limit + conn_limit/16 + 16).
 */
void http_server_set_deadlines(struct http_server *s, double header_s, double read_s);
/* The bound port of the i-th listen address, or -1. */
int http_server_port(const struct http_server *s, size_t i);
/*
 * Apply a web configuration file as Prometheus's --web.config.file
 * (exporter-toolkit): tls_server_config {cert_file, key_file} serves HTTPS,
 * basic_auth_users {name: bcrypt hash} answers 401 without valid
 * credentials (every path).  Other keys are refused.  Call before
 * http_server_start.  0, or a negative errno with a message in err.
 */
int http_server_web_config(struct http_server *s, const char *path, char *err, size_t errlen);
/*
 * Re-read the file given to http_server_web_config and apply it to the
 * running server (SIGHUP): new basic_auth_users apply to new requests, a new
 * cert/key to new TLS handshakes; open connections are kept.  A file that
 * fails to load (or a key not matching its certificate, or TLS turned on or
 * off, which needs a restart) leaves the running config as it was: a
 * negative errno with the message in err.  Call from one thread at a time.
 */
int http_server_web_config_reload(struct http_server *s, char *err, size_t errlen);
/*
 * Bind every address of addrs[0..n) (a --web.listen-address list) and log
 * each one: msg="Listening on" listener=NAME address=... port=<bound port>,
 * or level=error msg="cannot listen" naming the address.  NAME labels the
 * listener in logs (NULL: "http").  0 or the first negative errno.
 */
int http_server_listen_all(struct http_server *s, const char *const *addrs, size_t n,
			   const char *name);
/*
 * What a daemon does with --web.config.file: with reload false, load path
 * (before http_server_start); with reload true (on SIGHUP), re-read it into
 * the running server.  Logs the outcome (an error names the file and the
 * problem; a reload that worked logs "web config reloaded").  An empty or
 * NULL path does nothing.  0 or a negative errno.
 */
int http_server_web_config_apply(struct http_server *s, const char *path, bool reload);
/* Start serving on every bound address. */
int http_server_start(struct http_server *s);
/* Stop accepting new connections (keeps serving accepted ones). */
void http_server_quiesce(struct http_server *s);
/* Wait up to timeout_ms for in-flight requests to finish; returns how many were left. */
unsigned http_server_drain(struct http_server *s, unsigned timeout_ms);
/* Stops (if needed) and frees.  NULL is fine.  Every suspended request must
 * have been resumed first: libmicrohttpd 0.9.75 aborts in MHD_stop_daemon()
 * otherwise. */
void http_server_free(struct http_server *s);
/* Requests currently being handled. */
unsigned http_server_in_flight(const struct http_server *s);
/* File descriptors a listener with conn_limit connections may hold at once:
 * the limit, the headroom kept for evicting idle connections, and the
 * sockets lingering after a refused upload. */
unsigned long http_fds_needed(unsigned conn_limit);

/* ---- request accessors (valid until the request completes) ---- */
enum http_method http_request_method(const struct http_request *r);
const char *http_request_method_str(const struct http_request *r);
const char *http_request_path(const struct http_request *r);	/* decoded, no query */
int http_request_route(const struct http_request *r);		/* index or HTTP_ROUTE_UNKNOWN */
const char *http_request_route_path(const struct http_request *r); /* template, or "unknown" */
const char *http_request_param(const struct http_request *r, const char *name);
const char *http_request_header(const struct http_request *r, const char *name);
const char *http_request_query(const struct http_request *r, const char *key);
/* Calls fn for every value of a repeated query key (e.g. collect[]). */
void http_request_query_each(const struct http_request *r, const char *key,
			     void (*fn)(void *ctx, const char *value), void *ctx);
const char *http_request_body(const struct http_request *r, size_t *ret_len);
const char *http_request_id(const struct http_request *r);	/* with cfg.request_id */
const char *http_request_peer(const struct http_request *r);	/* "ip:port" */
uint64_t http_request_start_ns(const struct http_request *r);	/* CLOCK_MONOTONIC */
void *http_request_userdata(const struct http_request *r);	/* for handlers, starts NULL */
void http_request_set_userdata(struct http_request *r, void *p);

/* ---- responses: exactly one per request ---- */
/* The request's response body buffer, to fill before http_respond_buf(). */
struct buf *http_response_body(struct http_request *r);
/* Add a header (copied; at most 8 per response). */
int http_response_header(struct http_request *r, const char *name, const char *value);
/* Send the body buffer.  gzip when the client accepts it and compress is set. */
void http_respond_buf(struct http_request *r, int status, const char *content_type, bool compress);
/* Send a copy of a body. */
void http_respond(struct http_request *r, int status, const char *content_type,
		  const void *body, size_t len);
/* {"error":"msg"} or {"error":"msg","field":"field"} (field may be NULL). */
void http_respond_json_error(struct http_request *r, int status, const char *msg, const char *field);

/* Defer the answer: the handler returns, the connection waits.  Call it
 * from the handler itself (on its thread), before handing r to another. */
void http_request_suspend(struct http_request *r);
/* After answering a suspended request (any thread): send it.  r must not
 * be touched after this call: the glue may send, complete and recycle it
 * before the call even returns. */
void http_request_resume(struct http_request *r);

/* ---- stock handlers ---- */
struct http_metrics_ctx {
	struct metrics_registry *registry;
	bool openmetrics;		/* allow OpenMetrics and protobuf when the client asks */
};
/* ctx: struct http_metrics_ctx*. Negotiates format, gzip, 405 on non-GET/HEAD. */
void http_handle_metrics(struct http_request *r, void *ctx);
struct http_landing_ctx {
	const char *title;		/* "prism host-exporter" */
	const char *telemetry_path;	/* linked */
	const char *version;
};
void http_handle_landing(struct http_request *r, void *ctx);	/* ctx: struct http_landing_ctx* */
void http_handle_healthy(struct http_request *r, void *ctx);	/* 200 "OK" */

/* gzip-compress in to out (RFC 1952, libdeflate).  0 or negative errno. */
int http_gzip(const void *in, size_t len, int level, struct buf *out);

/*
 * Request checks the glue applies before any handler sees a request (pure
 * functions, no allocation; exposed for tests/fuzz/fuzz_http_head.c).
 * Each returns 0 when the bytes are acceptable, -EINVAL when not.
 * The glue refuses a head failing any of them with a JSON error (whatever
 * json_errors says) and Connection: close, before routing.
 *
 * http_check_target: the raw request-target (before percent-decoding):
 * only visible ASCII (RFC 9112 section 3.2, RFC 3986 section 2), well-formed
 * %XX escapes, and no escape that decodes to a control character (%00-%1F,
 * %7F): "/api/order/1%00999" must not become "/api/order/1".
 * http_check_field_name: a token (RFC 9110 section 5.1): so no whitespace
 * before the colon, no NUL, no control character.
 * http_check_field_value: no NUL or other control character except HTAB
 * (RFC 9110 section 5.5); obs-text (0x80-0xff) is allowed.
 */
int http_check_target(const char *raw, size_t len);
int http_check_field_name(const char *name, size_t len);
int http_check_field_value(const char *value, size_t len);

/*
 * Message framing facts of one request head, and the verdict on them
 * (RFC 9112 sections 6.1 and 6.3, RFC 9110 section 7.2): 0 to serve it,
 * or the status to refuse it with (400, 501) and *ret_msg the reason.
 * Refused: more than one Content-Length (equal ones too), Content-Length
 * with Transfer-Encoding, a Transfer-Encoding other than exactly one
 * "chunked", no Host on HTTP/1.1, more than one Host.
 */
struct http_head_facts {
	unsigned n_host;		/* Host fields */
	unsigned n_content_length;	/* Content-Length fields */
	unsigned n_transfer_encoding;	/* Transfer-Encoding fields */
	bool te_chunked;		/* the one TE value is exactly "chunked" (any case) */
	bool http11;			/* HTTP/1.1 (Host required) */
};
int http_head_verdict(const struct http_head_facts *f, const char **ret_msg);

/*
 * Routing as the glue does it for a request, without a connection (for
 * tests/fuzz/fuzz_route.c; not for the request path: it allocates).
 * method is the request method, path the decoded path.  ret->route is the
 * index of the first route whose template matches the path and whose method
 * allows it ("GET" also HEAD), or HTTP_ROUTE_UNKNOWN with ret->status 404
 * (no template matches) or 405 (one does, with another method; ret->allow
 * is then the Allow header value).  A ":name" segment matches one non-empty
 * segment; a route with more than HTTP_MAX_PARAMS parameters, or whose
 * values take more than 255 bytes with their NULs, matches nothing.  The
 * parameters: names point into the route's template (not NUL-terminated),
 * values into ret->arena.  0, or -EINVAL / -ENOMEM.
 */
struct http_route_result {
	int route;
	int status;			/* 0 (routed), 404 or 405 */
	char allow[128];
	size_t nparams;
	const char *param_name[HTTP_MAX_PARAMS];
	size_t param_name_len[HTTP_MAX_PARAMS];
	const char *param_val[HTTP_MAX_PARAMS];
	char arena[256];
};
int http_server_route(struct http_server *s, const char *method, const char *path,
		      struct http_route_result *ret);

/* Split "host:port", "[v6]:port", ":port".  host is "" for any. */
int http_parse_listen_address(const char *addr, char *host, size_t hostlen, uint16_t *ret_port);

#endif
