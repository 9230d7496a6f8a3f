/*
 * exampled: the smallest daemon built the prism way, for common/'s
 * integration tests (and as the template orderd and the exporters follow):
 * flags -> logs -> registry -> bind -> READY=1 -> wait for a signal ->
 * STOPPING=1 -> quiesce -> drain -> free.
 *
 * Routes: / (landing), /-/healthy, the telemetry path, and /work?sleep_ms=N
 * which sleeps N ms (so tests can hold a request in flight) and counts
 * itself in exampled_work_total and exampled_work_duration_seconds;
 * exampled_scrapes_total{format} counts the format each scrape negotiated.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

static struct flag_list arg_listen;
static const char *arg_telemetry_path;
static bool arg_openmetrics;
static uint64_t arg_max_body;
static long arg_conn_limit;
static long arg_threads;
static double arg_idle_timeout;
static double arg_drain_timeout;
static const char *arg_web_config;
static const char *arg_log_level;
static const char *arg_log_format;

static const struct flag flags[] = {
	{ "web.listen-address", FLAG_LIST, &arg_listen, ":9199",
	  "Addresses on which to expose metrics and the API (repeatable).", NULL, 0, 0 },
	{ "web.telemetry-path", FLAG_STRING, &arg_telemetry_path, "/metrics",
	  "Path under which to expose metrics.", NULL, 0, 0 },
	{ "web.openmetrics", FLAG_BOOL, &arg_openmetrics, "false",
	  "Answer in OpenMetrics when the scraper asks for it.", NULL, 0, 0 },
	{ "web.max-body", FLAG_SIZE, &arg_max_body, "64KiB", "Largest request body accepted.",
	  NULL, 0, 0 },
	{ "web.max-connections", FLAG_INT, &arg_conn_limit, "1024",
	  "Concurrent connections per listen address.", NULL, 1, 1000000 },
	{ "web.threads", FLAG_INT, &arg_threads, "0", "HTTP threads (0 = one per CPU).", NULL, 0,
	  1024 },
	{ "web.idle-timeout", FLAG_DURATION, &arg_idle_timeout, "30s",
	  "Close connections idle this long.", NULL, 0, 0 },
	{ "web.drain-timeout", FLAG_DURATION, &arg_drain_timeout, "10s",
	  "On SIGTERM, wait this long for requests in flight.", NULL, 0, 0 },
	{ "web.config.file", FLAG_STRING, &arg_web_config, NULL,
	  "Path to a web configuration file (TLS, basic auth), as Prometheus's.", NULL, 0, 0 },
	{ "log.level", FLAG_ENUM, &arg_log_level, "info", "Only log messages at or above this level.",
	  log_level_names, 0, 0 },
	{ "log.format", FLAG_ENUM, &arg_log_format, "logfmt", "Output format of log messages.",
	  log_format_names, 0, 0 },
};

static const struct flags_program prog = {
	"exampled", "An example prism daemon for common/'s integration tests.", PRISM_VERSION,
	PRISM_REVISION,
};

/* http_requests_total{handler,code}: children resolved once, indexed [route][code] */
enum { CODE_200, CODE_400, CODE_404, CODE_405, CODE_413, CODE_500, CODE_OTHER, NCODES };
static const char *const code_names[NCODES] = { "200", "400", "404", "405", "413", "500", "other" };
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
	struct metrics_registry *reg = NULL;
	struct http_server *srv = NULL;
	struct http_config cfg;
	struct http_metrics_ctx mctx;
	struct http_landing_ctx lctx;
	char status[256];
	int r, sig, ret = 1;
	unsigned left;

	/* before any thread: every thread inherits the blocked stop signals */
	r = daemon_init();
	if (r < 0) {
		fprintf(stderr, "exampled: cannot initialise: %s\n", strerror(-r));
		return 1;
	}
	r = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), &prog, argc, argv, stdout, stderr);
	if (r != 0) {
		flags_free_lists(flags, sizeof(flags) / sizeof(flags[0]));
		return r == FLAGS_EXIT ? 0 : 2;
	}
	if (arg_telemetry_path[0] != '/') {
		fprintf(stderr, "exampled: error: --web.telemetry-path must start with '/'\n");
		flags_free_lists(flags, sizeof(flags) / sizeof(flags[0]));
		return 2;
	}
	log_setup(arg_log_level, arg_log_format);

	mctx = (struct http_metrics_ctx){ NULL, arg_openmetrics };
	lctx = (struct http_landing_ctx){ "prism exampled", arg_telemetry_path, PRISM_VERSION };
	const struct http_route routes[NROUTES] = {
		{ "GET", "/", http_handle_landing, &lctx },
		{ "GET", "/-/healthy", http_handle_healthy, NULL },
		{ "GET", arg_telemetry_path, handle_metrics, &mctx },
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
	if (http_server_serve(srv, arg_web_config, arg_listen.v, arg_listen.n) < 0)
		goto out;
	snprintf(status, sizeof(status), "serving on %s", arg_listen.v[0]);
	daemon_notify_ready(status);

	/* re-read --web.config.file; a bad file keeps the old one */
	while ((sig = daemon_wait(0)) == SIGHUP) {
		if (!arg_web_config[0])
			log_info("SIGHUP: nothing to reload", NULL);
		else
			http_server_web_config_apply(srv, arg_web_config, true);
	}
	log_info("stopping", "signal", sig > 0 ? strsignal(sig) : "error", NULL);
	daemon_notify_stopping();
	http_server_quiesce(srv);
	left = http_server_drain(srv, arg_drain_timeout > 86400 ? 86400000u
							       : (unsigned)(arg_drain_timeout * 1000));
	if (left) {
		char n[16];

		snprintf(n, sizeof(n), "%u", left);
		log_warn("requests still in flight after the drain timeout", "count", n, NULL);
	}
	log_info("stopped", NULL);
	ret = 0;
out:
	http_server_free(srv);
	metrics_registry_free(reg);
	flags_free_lists(flags, sizeof(flags) / sizeof(flags[0]));
	return ret;
}
