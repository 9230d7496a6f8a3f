/*
 * orderd: the order API of seed 003 over MariaDB/MySQL, instrumented for
 * Prometheus.  main: flags, start-up, signals, graceful shutdown
 * (systemd's small-daemon shape: READY=1 when serving, STOPPING=1 on
 * SIGTERM, drain within a bound, exit 0).
 */
#include "orderd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "flags.h"
#include "log.h"

static struct flag_list arg_web_listen, arg_metrics_listen;
static const char *arg_my_cnf;
static const char *arg_db_name;
static long arg_pool_size, arg_queue_size, arg_threads, arg_max_conns;
static double arg_db_timeout, arg_check_interval, arg_retry_max, arg_idle_timeout,
	arg_shutdown_timeout;
static uint64_t arg_max_body;
static const char *arg_log_level, *arg_log_format, *arg_log_requests;
static bool arg_metrics_requests;
static const char *arg_web_config;

static const struct flag flags[] = {
	{ "web.listen-address", FLAG_LIST, &arg_web_listen, ":5000",
	  "Address for the API (/api/*, /health*); repeatable.", NULL, 0, 0 },
	{ "metrics.listen-address", FLAG_LIST, &arg_metrics_listen, ":8000",
	  "Address for /metrics, / and /-/healthy; repeatable.", NULL, 0, 0 },
	{ "web.config.file", FLAG_STRING, &arg_web_config, NULL,
	  "Web configuration file (TLS, bcrypt basic auth; Prometheus exporter-toolkit format) "
	  "for the metrics listener; re-read on SIGHUP.", NULL, 0, 0 },
	{ "config.my-cnf", FLAG_STRING, &arg_my_cnf, "/etc/orderd/my.cnf",
	  "my.cnf-style file whose [client] section has user, password, host/port or socket "
	  "and optionally database. Credentials are read only from here.", NULL, 0, 0 },
	{ "db.name", FLAG_STRING, &arg_db_name, NULL,
	  "Database name (default: the my.cnf's database, else orders_db).", NULL, 0, 0 },
	{ "db.pool-size", FLAG_INT, &arg_pool_size, "8",
	  "DB worker threads; each holds a read and a write connection, so orderd opens "
	  "2 x N + 1 connections: keep that below MariaDB's max_connections.", NULL, 1, 1024 },
	{ "db.queue-size", FLAG_INT, &arg_queue_size, "1024",
	  "Requests waiting for a worker before answering 503 + Retry-After.", NULL, 1, 1000000 },
	{ "db.timeout", FLAG_DURATION, &arg_db_timeout, "2s",
	  "Connect, read and write timeout of every DB call (whole seconds, at least 1).", NULL,
	  0, 0 },
	{ "db.check-interval", FLAG_DURATION, &arg_check_interval, "1s",
	  "How often the readiness checker pings the DB.", NULL, 0, 0 },
	{ "db.retry-max-backoff", FLAG_DURATION, &arg_retry_max, "2s",
	  "Cap of the exponential backoff between DB connection attempts.", NULL, 0, 0 },
	{ "web.threads", FLAG_INT, &arg_threads, "0",
	  "libmicrohttpd I/O threads (0 = number of CPUs).", NULL, 0, 256 },
	{ "web.max-connections", FLAG_INT, &arg_max_conns, "4096",
	  "Concurrent API connections (above the shedding point; needs RLIMIT_NOFILE).", NULL, 1,
	  1000000 },
	{ "web.max-body", FLAG_SIZE, &arg_max_body, "64KiB",
	  "Request body limit; larger bodies get 413.", NULL, 0, 0 },
	{ "web.idle-timeout", FLAG_DURATION, &arg_idle_timeout, "30s",
	  "Idle keep-alive connection timeout.", NULL, 0, 0 },
	{ "web.shutdown-timeout", FLAG_DURATION, &arg_shutdown_timeout, "10s",
	  "On SIGTERM, how long in-flight requests may take to finish.", NULL, 0, 0 },
	{ "log.level", FLAG_ENUM, &arg_log_level, "info", "Log level.", log_level_names, 0, 0 },
	{ "log.format", FLAG_ENUM, &arg_log_format, "logfmt", "Log format.", log_format_names, 0,
	  0 },
	{ "log.requests", FLAG_STRING, &arg_log_requests, "all",
	  "Per-request log lines: all, errors, none, or a sample rate in (0,1].", NULL, 0, 0 },
	{ "metrics.requests", FLAG_BOOL, &arg_metrics_requests, "true",
	  "Count requests in orderd_http_* (off only for overhead comparisons).", NULL, 0, 0 },
};

static const struct flags_program program = {
	.name = "orderd",
	.summary = "The order API (seed 003) over MariaDB/MySQL, with Prometheus metrics.",
	.version = PRISM_VERSION,
	.revision = PRISM_REVISION,
};

static struct http_server *api_server;

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
	int r, ret = 1, sig;
	unsigned left;
	uint64_t nofile;

	r = daemon_init();
	if (r < 0) {
		fprintf(stderr, "orderd: init: %s\n", strerror(-r));
		return 1;
	}
	r = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), &program, argc, argv, stdout, stderr);
	if (r == FLAGS_EXIT)
		return 0;
	if (r < 0)
		return 2;
	if (log_setup(arg_log_level, arg_log_format) < 0 || api_log_requests_set(arg_log_requests) < 0) {
		fprintf(stderr, "orderd: error: --log.requests must be all, errors, none or a rate in (0,1]\n");
		ret = 2;
		goto out;
	}
	if (arg_db_timeout < 1 || arg_check_interval <= 0 || arg_retry_max <= 0 ||
	    arg_max_body == 0 || arg_max_body > 64 * 1024 * 1024) {
		fprintf(stderr, "orderd: error: --db.timeout must be >= 1s, intervals > 0, "
				"--web.max-body in (0, 64MiB]\n");
		ret = 2;
		goto out;
	}
	if (access(arg_my_cnf, R_OK) < 0) {
		fprintf(stderr, "orderd: error: --config.my-cnf %s: %s\n", arg_my_cnf, strerror(errno));
		ret = 2;
		goto out;
	}
	nofile = daemon_nofile_limit();
	if ((uint64_t)arg_max_conns + 64 + (uint64_t)arg_pool_size * 2 > nofile) {
		char have[32];

		snprintf(have, sizeof(have), "%llu", (unsigned long long)nofile);
		arg_max_conns = nofile > 256 + (uint64_t)arg_pool_size * 2
					? (long)(nofile - 64 - (uint64_t)arg_pool_size * 2)
					: 128;
		log_warn("RLIMIT_NOFILE is low: lowering --web.max-connections", "nofile", have, NULL);
	}

	reg = metrics_registry_new();
	if (!reg || metrics_register_process(reg) < 0 ||
	    metrics_register_build_info(reg, "orderd", PRISM_VERSION, PRISM_REVISION) < 0 ||
	    !(api = api_new(reg, arg_metrics_requests)) || db_metrics_register(reg, &dbm) < 0 ||
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

	http_config_defaults(&cfg);
	cfg.threads = (unsigned)arg_threads;
	cfg.conn_limit = (unsigned)arg_max_conns;
	cfg.conn_timeout_s = (unsigned)(arg_idle_timeout + 0.5);
	cfg.max_body = (size_t)arg_max_body;
	cfg.json_errors = true;
	cfg.request_id = true;
	cfg.server_name = "orderd";
	/* in-flight is read from the server at scrape time: no on_begin work */
	cfg.hooks = (struct http_hooks){ NULL, api_on_complete, api };
	api_server = http_server_new(&cfg, api_routes(api), ROUTE_COUNT);

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
	if (http_server_web_config_apply(msrv, arg_web_config, false) < 0)
		goto out;
	if (http_server_listen_all(api_server, arg_web_listen.v, arg_web_listen.n, "api") < 0 ||
	    http_server_listen_all(msrv, arg_metrics_listen.v, arg_metrics_listen.n, "metrics") < 0)
		goto out;

	r = db_pool_start(pool);
	if (r < 0) {
		log_error("cannot start DB workers", "error", strerror(-r), NULL);
		goto out;
	}
	if ((r = http_server_start(api_server)) < 0 || (r = http_server_start(msrv)) < 0) {
		log_error("cannot start HTTP servers", "error", strerror(-r), NULL);
		goto out;
	}
	daemon_notify_ready("serving");

	/* SIGHUP re-reads --web.config.file (a bad file keeps the old one). */
	while ((sig = daemon_wait(0)) == SIGHUP) {
		if (arg_web_config[0])
			http_server_web_config_apply(msrv, arg_web_config, true);
		else
			log_info("SIGHUP ignored: nothing to reload", NULL);
	}
	{
		char signame[16], ms[24];

		snprintf(signame, sizeof(signame), "%d", sig);
		log_info("shutting down", "signal", signame, NULL);
		daemon_notify_stopping();
		http_server_quiesce(api_server);
		http_server_quiesce(msrv);
		left = http_server_drain(api_server, (unsigned)(arg_shutdown_timeout * 1000));
		snprintf(ms, sizeof(ms), "%u", left);
		if (left)
			log_warn("shutdown timeout: requests still in flight", "left", ms, NULL);
	}
	ret = 0;
out:
	/* The metrics server goes first (its collectors read the pool and the
	 * API server); then the workers finish what is queued (bounded by the
	 * DB timeouts) before the API server, which owns the requests, goes. */
	http_server_free(msrv);
	db_pool_free(pool);
	http_server_free(api_server);
	api_server = NULL;
	api_free(api);
	metrics_registry_free(reg);
	flags_free_lists(flags, sizeof(flags) / sizeof(flags[0]));
	return ret;
}
