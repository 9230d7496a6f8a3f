/*
 * exampled: the smallest daemon built the prism way, for common/'s
 * integration tests (and as the template orderd and the exporters follow):
 * common's skeleton (app.h) does flags -> logs -> bind -> READY=1 -> wait
 * for a signal -> STOPPING=1 -> quiesce -> drain; main adds the registry,
 * the routes and the frees.
 *
 * Routes: / (landing), /-/healthy, the telemetry path, and /work?sleep_ms=N
 * which sleeps N ms (so tests can hold a request in flight) and counts
 * itself in exampled_work_total and exampled_work_duration_seconds;
 * exampled_scrapes_total{format} counts the format each scrape negotiated;
 * each /work logs msg="work done" at debug.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

static bool arg_openmetrics;
static uint64_t arg_max_body;
static long arg_conn_limit;
static long arg_threads;
static double arg_idle_timeout;

static const struct flag flags[] = {
	{ .name = "web.openmetrics", .type = FLAG_BOOL, .dst = &arg_openmetrics, .def = "false",
	  .help = "Answer in OpenMetrics when the scraper asks for it." },
	{ .name = "web.max-body", .type = FLAG_SIZE, .dst = &arg_max_body, .def = "64KiB",
	  .help = "Largest request body accepted." },
	{ .name = "web.max-connections", .type = FLAG_INT, .dst = &arg_conn_limit, .def = "1024",
	  .help = "Concurrent connections per listen address.", .min = 1, .max = 1000000 },
	{ .name = "web.threads", .type = FLAG_INT, .dst = &arg_threads, .def = "0",
	  .help = "HTTP threads (0 = one per CPU).", .min = 0, .max = 1024 },
	{ .name = "web.idle-timeout", .type = FLAG_DURATION, .dst = &arg_idle_timeout, .def = "30s",
	  .help = "Close connections idle this long." },
};

/* http_requests_total{handler,code}: children resolved once, indexed [route][code] */
enum { CODE_200, CODE_400, CODE_404, CODE_405, CODE_408, CODE_413, CODE_500, CODE_OTHER, NCODES };
static const char *const code_names[NCODES] = { "200", "400", "404", "405", "408", "413", "500", "other" };
#define NROUTES 4
static struct counter *req_total[NROUTES + 1][NCODES];	/* last row: unknown route */
static struct histogram *req_duration[NROUTES + 1];
static struct gauge *in_flight;
static struct counter *work_total;
static struct counter *scrapes_by_format[2];	/* [enum metrics_format] */
static struct histogram *work_duration;

static int code_index(int status)
{
	switch (status) {
	case 200: return CODE_200;
	case 400: return CODE_400;
	case 404: return CODE_404;
	case 405: return CODE_405;
	case 408: return CODE_408;
	case 413: return CODE_413;
	case 500: return CODE_500;
	default: return CODE_OTHER;
	}
}

static void on_begin(void *ctx, struct http_request *r)
{
	gauge_inc(in_flight);
}

static void on_complete(void *ctx, struct http_request *r, int status, uint64_t ns)
{
	int route = http_request_route(r);
	int ri = route < 0 || route >= NROUTES ? NROUTES : route;

	gauge_dec(in_flight);
	counter_inc(req_total[ri][code_index(status)]);
	histogram_observe_ns(req_duration[ri], ns);
}

static void handle_work(struct http_request *r, void *ctx)
{
	const char *ms = http_request_query(r, "sleep_ms");
	uint64_t t0 = daemon_now_ns();
	char body[64], *end;
	long v = 0;
	int n;

	if (ms) {
		errno = 0;
		v = strtol(ms, &end, 10);
		if (errno || *end || end == ms || v < 0 || v > 60000) {
			http_respond_json_error(r, 400, "sleep_ms must be an integer in [0, 60000]",
						"sleep_ms");
			return;
		}
	}
	if (v > 0) {
		struct timespec ts = { v / 1000, (v % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	counter_inc(work_total);
	histogram_observe_ns(work_duration, daemon_now_ns() - t0);
	n = snprintf(body, sizeof(body), "{\"slept_ms\":%ld}\n", v);
	/* a debug line per /work: tests see the log level change on SIGHUP */
	log_debug("work done", "slept_ms", ms ? ms : "0", NULL);
	http_respond(r, 200, "application/json", body, (size_t)n);
}

/* The stock handler, counting which format each scrape negotiated (so tests
 * can see that a real Prometheus asked for and got OpenMetrics). */
static void handle_metrics(struct http_request *r, void *ctx)
{
	const struct http_metrics_ctx *m = ctx;

	counter_inc(scrapes_by_format[metrics_negotiate(http_request_header(r, "Accept"),
							  m->openmetrics)]);
	http_handle_metrics(r, ctx);
}

static int metrics_setup(struct metrics_registry *reg, const struct http_route *routes)
{
	static const char *const rc[] = { "handler", "code", NULL };
	static const char *const rh[] = { "handler", NULL };
	static const double lat[] = { 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5 };
	static const char *const rf[] = { "format", NULL };
	struct metric_family *fr, *fd, *fw, *fwd, *fs, *fi;

	fr = metrics_counter_new(reg, "exampled_http_requests_total",
				 "HTTP requests answered, by route template and status code.", rc);
	fd = metrics_histogram_new(reg, "exampled_http_request_duration_seconds",
				   "Time from the request line to the queued answer.", rh, lat,
				   sizeof(lat) / sizeof(lat[0]));
	fw = metrics_counter_new(reg, "exampled_work_total", "Completed /work requests.", NULL);
	fwd = metrics_histogram_new(reg, "exampled_work_duration_seconds",
				    "Time spent in /work handlers.", NULL, lat,
				    sizeof(lat) / sizeof(lat[0]));
	fs = metrics_counter_new(reg, "exampled_scrapes_total",
				 "Scrapes of the telemetry path, by negotiated format.", rf);
	fi = metrics_gauge_new(reg, "exampled_http_requests_in_flight",
			       "Requests being handled (the scrape itself included).", NULL);
	if (!fr || !fd || !fw || !fwd || !fs || !fi || !(in_flight = gauge_get(fi)))
		return -errno;
	scrapes_by_format[METRICS_FORMAT_TEXT] = counter_labels(fs, (const char *const[]){ "text" });
	scrapes_by_format[METRICS_FORMAT_OPENMETRICS] =
		counter_labels(fs, (const char *const[]){ "openmetrics" });
	if (!scrapes_by_format[0] || !scrapes_by_format[1])
		return -errno;
	for (int i = 0; i <= NROUTES; i++) {
		const char *h = i < NROUTES ? routes[i].path : "unknown";

		for (int c = 0; c < NCODES; c++) {
			const char *v[] = { h, code_names[c] };

			req_total[i][c] = counter_labels(fr, v);
			if (!req_total[i][c])
				return -errno;
		}
		req_duration[i] = histogram_labels(fd, (const char *const[]){ h });
		if (!req_duration[i])
			return -errno;
	}
	work_total = counter_get(fw);
	work_duration = histogram_get(fwd);
	if (!work_total || !work_duration)
		return -errno;
	if (metrics_register_process(reg) < 0 ||
	    metrics_register_build_info(reg, "exampled", PRISM_VERSION, PRISM_REVISION) < 0)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.name = "exampled",
		.summary = "An example prism daemon for common/'s integration tests.",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
		.listen_default = ":9199",
		.telemetry_path = "/metrics",
		.shutdown_default = "10s",
	};
	struct metrics_registry *reg = NULL;
	struct http_server *srv = NULL;
	struct http_config cfg;
	struct http_metrics_ctx mctx;
	struct http_landing_ctx lctx;
	struct app *a = app_new(&spec);
	int r;

	if (!a || flagset_add(app_flags(a), flags, sizeof(flags) / sizeof(flags[0])) < 0)
		return app_done(a, 1);
	if ((r = app_parse(a, argc, argv)) != APP_CONTINUE)
		return app_done(a, r);
	r = 1;
	mctx = (struct http_metrics_ctx){ NULL, arg_openmetrics };
	lctx = (struct http_landing_ctx){ "prism exampled", app_std(a)->telemetry_path,
					  PRISM_VERSION };
	const struct http_route routes[NROUTES] = {
		{ "GET", "/", http_handle_landing, &lctx },
		{ "GET", "/-/healthy", http_handle_healthy, NULL },
		{ "GET", app_std(a)->telemetry_path, handle_metrics, &mctx },
		{ "GET", "/work", handle_work, NULL },
	};

	reg = metrics_registry_new();
	if (!reg || metrics_setup(reg, routes) < 0) {
		log_error("cannot set up metrics", NULL);
		goto out;
	}
	mctx.registry = reg;

	http_config_defaults(&cfg);
	cfg.threads = (unsigned)arg_threads;
	cfg.conn_limit = (unsigned)arg_conn_limit;
	/* durations are doubles ("100y" parses): clamp before converting,
	 * an out-of-range double to unsigned conversion is undefined */
	cfg.conn_timeout_s = arg_idle_timeout < 1 ? 1
			     : arg_idle_timeout > 86400 ? 86400 : (unsigned)arg_idle_timeout;
	cfg.max_body = arg_max_body;
	cfg.json_errors = true;
	cfg.request_id = true;
	cfg.server_name = "exampled";
	cfg.hooks = (struct http_hooks){ on_begin, on_complete, NULL };
	srv = http_server_new(&cfg, routes, NROUTES);
	if (!srv) {
		log_error("cannot create the HTTP server", NULL);
		goto out;
	}
	if (app_serve(a, srv, NULL, 0, NULL, true) == 0)
		r = app_run(a);
out:
	http_server_free(srv);
	metrics_registry_free(reg);
	return app_done(a, r);
}
