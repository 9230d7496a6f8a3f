/*
 * orderd: the order API of seed 003 over MariaDB/MySQL, instrumented for
 * Prometheus.  main: orderd's own flags and the wiring of the DB pool, the
 * API server and the metrics server, on common's skeleton (app.h: standard
 * flags, start/stop lines, READY=1, SIGHUP, SIGTERM and the drain).
 */
#include "orderd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "daemon.h"
#include "flags.h"
#include "log.h"

static struct flag_list arg_metrics_listen;
static const char *arg_my_cnf;
static const char *arg_db_name;
static long arg_pool_size, arg_queue_size, arg_threads, arg_max_conns;
static double arg_db_timeout, arg_check_interval, arg_retry_max, arg_idle_timeout;
static uint64_t arg_max_body;
static const char *arg_log_requests;
static bool arg_metrics_requests;
static bool arg_drill;

static int check_db_timeout(const struct flag *f, const struct flagset *fs, char *err, size_t n)
{
	return *(double *)f->dst >= 1 && *(double *)f->dst <= 86400 ? 0 : -EINVAL;
}

static int check_max_body(const struct flag *f, const struct flagset *fs, char *err, size_t n)
{
	uint64_t v = *(uint64_t *)f->dst;

	return v > 0 && v <= 64 * 1024 * 1024 ? 0 : -EINVAL;
}

static int check_log_requests(const struct flag *f, const struct flagset *fs, char *err, size_t n)
{
	return api_log_requests_set(*(const char **)f->dst) < 0 ? -EINVAL : 0;
}

static int check_readable(const struct flag *f, const struct flagset *fs, char *err, size_t n)
{
	if (access(*(const char **)f->dst, R_OK) < 0) {
		snprintf(err, n, "cannot read it: %s", strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static const struct flag flags[] = {
	{ .name = "metrics.listen-address", .type = FLAG_LIST, .dst = &arg_metrics_listen,
	  .def = ":8000", .help = "Address for /metrics, / and /-/healthy; repeatable." },
	{ .name = "config.my-cnf", .type = FLAG_STRING, .dst = &arg_my_cnf,
	  .def = "/etc/orderd/my.cnf",
	  .help = "my.cnf-style file whose [client] section has user, password, host/port or "
		  "socket and optionally database. Credentials are read only from here.",
	  .check = check_readable },
	{ .name = "db.name", .type = FLAG_STRING, .dst = &arg_db_name,
	  .help = "Database name; without it, the my.cnf's database, else orders_db." },
	{ .name = "db.pool-size", .type = FLAG_INT, .dst = &arg_pool_size, .def = "16",
	  .help = "DB worker threads: the POSTs in flight at once. Each holds a write "
		  "connection, and a read connection only once it has served a GET (while "
		  "the database is not ready or an I/O thread's reader cannot connect); each --web.threads thread opens a reader for "
		  "its GETs. So orderd usually holds N + web.threads + 1 connections and at "
		  "most 2 x N + web.threads + 1: keep that below MariaDB's max_connections.",
	  .min = 1, .max = 1024 },
	{ .name = "db.queue-size", .type = FLAG_INT, .dst = &arg_queue_size, .def = "1024",
	  .help = "Requests waiting for a worker before answering 503 + Retry-After.", .min = 1,
	  .max = 1000000 },
	{ .name = "db.timeout", .type = FLAG_DURATION, .dst = &arg_db_timeout, .def = "2s",
	  .help = "Connect, read and write timeout of every DB call (whole seconds).",
	  .check = check_db_timeout, .rule = "a duration in [1s, 1d]" },
	{ .name = "db.check-interval", .type = FLAG_DURATION, .dst = &arg_check_interval,
	  .def = "1s", .help = "How often the readiness checker pings the DB.",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "db.retry-max-backoff", .type = FLAG_DURATION, .dst = &arg_retry_max, .def = "2s",
	  .help = "Cap of the exponential backoff between DB connection attempts.",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "web.threads", .type = FLAG_INT, .dst = &arg_threads, .def = "0",
	  .help = "libmicrohttpd I/O threads (0 = number of CPUs); each runs its GETs on a DB "
		  "connection of its own.", .min = 0, .max = 256 },
	{ .name = "web.max-connections", .type = FLAG_INT, .dst = &arg_max_conns, .def = "4096",
	  .help = "Concurrent API connections (above the shedding point; needs RLIMIT_NOFILE).",
	  .min = 1, .max = 1000000 },
	{ .name = "web.max-body", .type = FLAG_SIZE, .dst = &arg_max_body, .def = "64KiB",
	  .help = "Request body limit; larger bodies get 413.", .check = check_max_body,
	  .rule = "a size in (0, 64MiB]" },
	{ .name = "web.idle-timeout", .type = FLAG_DURATION, .dst = &arg_idle_timeout, .def = "30s",
	  .help = "Idle keep-alive connection timeout.", .check = flag_check_positive,
	  .rule = "a duration > 0" },
	{ .name = "log.requests", .type = FLAG_STRING, .dst = &arg_log_requests, .def = "errors",
	  .help = "Per-request log lines (/health* probes only with all; 5xx at warn or error).",
	  .check = check_log_requests,
	  .rule = "all, errors, none, or a sample rate in (0,1]" },
	{ .name = "metrics.requests", .type = FLAG_BOOL, .dst = &arg_metrics_requests,
	  .def = "true", .help = "Count requests in orderd_http_* (off only for overhead comparisons)." },
	{ .name = "web.enable-drill-endpoints", .type = FLAG_BOOL, .dst = &arg_drill,
	  .def = "false",
	  .help = "Serve the alert drills POST /api/echo and GET /api/error (500s that page "
		  "through HighErrorRate); off, they answer 404." },
};

static struct http_server *api_server;
static struct db_pool *db_pool;

/* SIGHUP (after common's web config and log settings): the my.cnf. */
static int reload(void *ctx, char *err, size_t errlen)
{
	return db_pool ? db_pool_reload(db_pool, err, errlen) : 0;
}

static int collect_in_flight(struct metrics_writer *w, void *ctx)
{
	int r = writer_family(w, "orderd_http_requests_in_flight", METRIC_GAUGE,
			      "API requests being handled now.", NULL);

	if (r < 0)
		return r;
	return writer_sample_u64(w, NULL, api_server ? http_server_in_flight(api_server) : 0);
}

int main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.name = "orderd",
		.summary = "The order API (seed 003) over MariaDB/MySQL, with Prometheus metrics.",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
		.listen_default = ":5000",
		.listen_help = "Address for the API (/api/*, /health*); repeatable.",
		.shutdown_default = "10s",
		.web_config_help = "Web configuration file (TLS, bcrypt basic auth; Prometheus "
				   "exporter-toolkit format) for the metrics listener; re-read on SIGHUP.",
		.reload = reload,
	};
	struct http_route mroutes[3];
	struct http_metrics_ctx mctx;
	struct http_landing_ctx lctx = { "prism orderd", "/metrics", PRISM_VERSION };
	struct metrics_registry *reg = NULL;
	struct http_server *msrv = NULL;
	struct db_pool *pool = NULL;
	struct api *api = NULL;
	struct db_metrics dbm;
	struct http_config cfg;
	struct db_config dcfg;
	struct app *a = app_new(&spec);
	uint64_t nofile;
	int r;

	if (!a || flagset_add(app_flags(a), flags, sizeof(flags) / sizeof(flags[0])) < 0) {
		fprintf(stderr, "orderd: error: cannot declare the flags\n");
		return app_done(a, 1);
	}
	if ((r = app_parse(a, argc, argv)) != APP_CONTINUE)
		goto out;
	r = 1;
	nofile = daemon_nofile_limit();
	/* The API listener's connections (with eviction headroom and lingering
	 * sockets), the database connections (pool, readers), the metrics
	 * listener and the rest: all must fit under RLIMIT_NOFILE. */
	uint64_t other = 64 + (uint64_t)arg_pool_size * 2 + (uint64_t)arg_threads + 256;
	if (arg_max_conns > 0 && http_fds_needed((unsigned)arg_max_conns) + other > nofile) {
		char have[32], now[32];
		long m = arg_max_conns;

		snprintf(have, sizeof(have), "%llu", (unsigned long long)nofile);
		while (m > 128 && http_fds_needed((unsigned)m) + other > nofile)
			m -= m / 16 + 1;
		arg_max_conns = m > 128 ? m : 128;
		snprintf(now, sizeof(now), "%ld", arg_max_conns);
		log_warn("RLIMIT_NOFILE is low: lowering --web.max-connections", "nofile", have,
			 "web_max_connections", now, NULL);
	}

	reg = metrics_registry_new();
	if (!reg || metrics_register_process(reg) < 0 ||
	    metrics_register_build_info(reg, "orderd", PRISM_VERSION, PRISM_REVISION) < 0 ||
	    !(api = api_new(reg, arg_metrics_requests, arg_drill)) || db_metrics_register(reg, &dbm) < 0 ||
	    metrics_registry_add_collector(reg, collect_in_flight, NULL) < 0) {
		log_error("cannot set up metrics", NULL);
		goto out;
	}

	dcfg = (struct db_config){
		.my_cnf = arg_my_cnf,
		.db_name = arg_db_name && *arg_db_name ? arg_db_name : NULL,
		.pool_size = (unsigned)arg_pool_size,
		.queue_size = (unsigned)arg_queue_size,
		.timeout_s = (unsigned)(arg_db_timeout + 0.999),
		.check_interval_s = arg_check_interval,
		.retry_max_s = arg_retry_max,
		.metrics = &dbm,
		.done = api_db_done,
		.done_arg = api,
	};
	pool = db_pool_new(&dcfg);
	if (!pool || metrics_registry_add_collector(reg, db_pool_collect, pool) < 0) {
		log_error("cannot set up the DB pool", NULL);
		goto out;
	}
	api_set_db(api, pool);
	db_pool = pool;

	http_config_defaults(&cfg);
	cfg.threads = (unsigned)arg_threads;
	cfg.conn_limit = (unsigned)arg_max_conns;
	cfg.conn_timeout_s = arg_idle_timeout > 86400 ? 86400 : (unsigned)(arg_idle_timeout + 0.5);
	cfg.max_body = (size_t)arg_max_body;
	cfg.json_errors = true;
	cfg.request_id = true;
	cfg.server_name = "orderd";
	/* in-flight is read from the server at scrape time: no on_begin work */
	cfg.hooks = (struct http_hooks){ NULL, api_on_complete, api };
	api_server = http_server_new(&cfg, api_routes(api), api_route_count(api));

	mctx = (struct http_metrics_ctx){ reg, true };
	mroutes[0] = (struct http_route){ "GET", "/metrics", http_handle_metrics, &mctx };
	mroutes[1] = (struct http_route){ "GET", "/", http_handle_landing, &lctx };
	mroutes[2] = (struct http_route){ "GET", "/-/healthy", http_handle_healthy, NULL };
	http_config_defaults(&cfg);
	cfg.threads = 1;
	cfg.conn_limit = 64;
	cfg.server_name = "orderd-metrics";
	msrv = http_server_new(&cfg, mroutes, 3);
	if (!api_server || !msrv) {
		log_error("cannot create HTTP servers", NULL);
		goto out;
	}
	r = db_pool_start(pool);
	if (r < 0) {
		log_error("cannot start DB workers", "error", strerror(-r), NULL);
		r = 1;
		goto out;
	}
	r = 1;
	/* --web.config.file guards the metrics listener; the API has its own rules */
	if (app_serve(a, api_server, NULL, 0, "api", false) < 0 ||
	    app_serve(a, msrv, arg_metrics_listen.v, arg_metrics_listen.n, "metrics", true) < 0)
		goto out;
	r = app_run(a);
out:
	/* The metrics server goes first (its collectors read the pool and the
	 * API server); then the workers finish what is queued (bounded by the
	 * DB timeouts) before the API server, which owns the requests, goes. */
	http_server_free(msrv);
	db_pool = NULL;
	db_pool_free(pool);
	http_server_free(api_server);
	api_server = NULL;
	api_free(api);
	metrics_registry_free(reg);
	return app_done(a, r);
}
