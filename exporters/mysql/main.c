/*
 * mysql-exporter: Prometheus exporter for MySQL/MariaDB server metrics,
 * compatible with mysqld_exporter 0.14's flags and metric names (issue 5).
 *
 * main: the HTTP routes on common's skeleton (app.h).  A scrape of the
 * telemetry path runs every enabled collector over one persistent
 * connection (scrape.c, whose table entries declare the collectors' flags);
 * the request's X-Prometheus-Scrape-Timeout-Seconds (minus
 * --timeout-offset) is its deadline.  /probe is probe.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "app.h"
#include "daemon.h"
#include "dsn.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mycnf.h"
#include "probe.h"
#include "scrape.h"

static struct exporter *exporter;
static const char *my_cnf;	/* --config.my-cnf; NULL with DATA_SOURCE_NAME */
static struct dsn dsn;		/* DATA_SOURCE_NAME, parsed */

/*
 * DATA_SOURCE_NAME, as mysqld_exporter 0.14 reads it (Debian 12's
 * /etc/default/prometheus-mysqld-exporter sets it): when set and not empty
 * it wins over --config.my-cnf, which is then not read.  1 when it gives
 * the credentials (cfg updated), 0 when unset, -EINVAL (logged, naming the
 * variable and the expected form; never the value) when malformed.  The
 * password is then wiped from our environment block, so
 * /proc/PID/environ no longer shows it.
 */
static int use_dsn(struct exporter_config *cfg)
{
	char *env = getenv("DATA_SOURCE_NAME");
	char err[200];

	if (!env || !*env)
		return 0;
	if (dsn_parse(env, &dsn, err, sizeof(err)) < 0) {
		log_error("DATA_SOURCE_NAME is not a valid DSN: fix it (user:password@tcp(host:port)/ "
			  "or user:password@unix(/path/to/socket)/) or unset it to use --config.my-cnf",
			  "err", err, NULL);
		return -EINVAL;
	}
	if (dsn.password) {
		/* the same bytes sit in env after "user:"; overwrite them in place */
		char *at = strrchr(env, '@');
		char *colon = at ? memchr(env, ':', (size_t)(at - env)) : NULL;

		if (colon)
			memset(colon + 1, '*', (size_t)(at - colon - 1));
	}
	cfg->conn.my_cnf = NULL;
	cfg->conn.user = dsn.user;
	cfg->conn.password = dsn.password;
	cfg->conn.host = dsn.host;
	cfg->conn.port = dsn.port;
	cfg->conn.socket = dsn.socket;
	if (dsn.socket)
		log_info("credentials from DATA_SOURCE_NAME (--config.my-cnf is not read)", "user",
			 dsn.user ? dsn.user : "", "socket", dsn.socket, NULL);
	else {
		char port[8];

		snprintf(port, sizeof(port), "%u", dsn.port);
		log_info("credentials from DATA_SOURCE_NAME (--config.my-cnf is not read)", "user",
			 dsn.user ? dsn.user : "", "host", dsn.host, "port", port, NULL);
	}
	if (dsn.nparams)
		log_warn("DATA_SOURCE_NAME parameters are not used (the exporter's flags set "
			 "timeouts, lock_wait_timeout and TLS)", "first", dsn.first_param, NULL);
	return 1;
}

/*
 * At start and on SIGHUP: say (an error) while the option file holds the
 * package's placeholders.  The exporter keeps serving meanwhile, with
 * mysql_up 0, and never logs in with them (conn.c).  0 or -EINVAL.
 */
static int check_credentials(void *ctx, char *err, size_t errlen)
{
	char opt[64] = "";

	if (!my_cnf || mycnf_placeholder(my_cnf, opt, sizeof(opt)) != 1)
		return 0;
	log_error("database credentials are placeholders (" MYCNF_PLACEHOLDER
		  "): edit them, then systemctl reload mysql-exporter; mysql_up is 0 until then",
		  "file", my_cnf, "option", opt, NULL);
	if (err)
		snprintf(err, errlen, "database credentials in %s are still placeholders (%s)",
			 my_cnf, MYCNF_PLACEHOLDER);
	return -EINVAL;
}
static struct http_metrics_ctx metrics_ctx;
/* The request being scraped on this thread: the registry collector below
 * runs inside http_handle_metrics() on the same thread. */
static _Thread_local const struct scrape_req *tls_req;

static int collect_mysql(struct metrics_writer *w, void *ctx)
{
	struct scrape_req any;

	if (tls_req)
		return exporter_scrape(ctx, tls_req, w);
	any = (struct scrape_req){ .deadline_ns = exporter_deadline(ctx, NULL, daemon_now_ns()) };
	return exporter_scrape(ctx, &any, w);
}

static void handle_metrics(struct http_request *r, void *ctx)
{
	struct scrape_names names = { .n = 0 };
	struct scrape_req req;
	uint64_t t0 = http_request_start_ns(r);

	http_request_query_each(r, "collect[]", scrape_names_add, &names);
	if (names.overflow) {
		http_respond_json_error(r, 400, "too many collect[] parameters", "collect[]");
		return;
	}
	req = (struct scrape_req){
		.deadline_ns = exporter_deadline(
			exporter, http_request_header(r, "X-Prometheus-Scrape-Timeout-Seconds"),
			t0 ? t0 : daemon_now_ns()),
		.only = names.v,
		.n_only = names.n,
	};
	tls_req = &req;
	http_handle_metrics(r, &metrics_ctx);
	tls_req = NULL;
}

int main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.name = "mysql-exporter",
		.summary = "Prometheus exporter for MySQL/MariaDB server metrics "
			   "(mysqld_exporter-compatible).",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
		.listen_default = ":9104",
		.telemetry_path = "/metrics",
		.shutdown_default = "5s",
		.reload = check_credentials,
	};
	static struct http_landing_ctx landing = { "prism mysql-exporter", NULL, PRISM_VERSION };
	struct http_route routes[4];
	struct metrics_registry *reg = NULL;
	struct http_server *srv = NULL;
	struct exporter_config cfg;
	struct http_config hc;
	struct app *a = app_new(&spec);
	bool lib = false;
	int r;

	if (!a || exporter_add_flags(app_flags(a)) < 0 || probe_add_flags(app_flags(a)) < 0) {
		fprintf(stderr, "mysql-exporter: error: cannot declare the flags\n");
		return app_done(a, 1);
	}
	if ((r = app_parse(a, argc, argv)) != APP_CONTINUE)
		goto out;
	r = 1;
	if (mysql_library_init(0, NULL, NULL)) {
		log_error("mysql_library_init failed", NULL);
		goto out;
	}
	lib = true;
	exporter_config_from_flags(&cfg);
	if (use_dsn(&cfg) < 0) {
		r = 2;
		goto out;
	}
	my_cnf = cfg.conn.my_cnf;
	check_credentials(NULL, NULL, 0);
	probe_setup(&cfg);
	exporter = exporter_new(&cfg);
	reg = metrics_registry_new();
	if (!exporter || !reg || metrics_register_process(reg) < 0 ||
	    metrics_register_build_info(reg, "mysql_exporter", PRISM_VERSION, PRISM_REVISION) < 0 ||
	    metrics_registry_add_collector(reg, collect_mysql, exporter) < 0) {
		log_error("cannot set up metrics", NULL);
		goto out;
	}
	metrics_ctx = (struct http_metrics_ctx){ .registry = reg, .openmetrics = false };
	landing.telemetry_path = app_std(a)->telemetry_path;
	routes[0] = (struct http_route){ "GET", app_std(a)->telemetry_path, handle_metrics, NULL };
	routes[1] = (struct http_route){ "GET", "/", http_handle_landing, &landing };
	routes[2] = (struct http_route){ "GET", "/-/healthy", http_handle_healthy, NULL };
	routes[3] = (struct http_route){ "GET", "/probe", handle_probe, NULL };
	http_config_defaults(&hc);
	/*
	 * Two HTTP threads: scrapes share one server connection and queue on
	 * its mutex anyway, so two let a scrape waiting behind a stuck one give
	 * up at its own deadline (tests/integration/mysql/test_concurrent.sh)
	 * while the other runs.  Each more thread keeps its own cached response
	 * buffer (the whole exposition, ~420 kB with the default collectors) and
	 * malloc arena: 4 threads measured 0.7 MB more anonymous RSS under
	 * concurrent scrapes, for no throughput (one connection).
	 */
	hc.threads = 2;
	hc.conn_limit = 64;
	/*
	 * Prometheus asks for gzip.  Level 6 (the glue's default, and Go's)
	 * costs more CPU than the whole scrape (~1.7 ms for 420 kB here);
	 * level 1 compresses this repetitive text nearly as well for a quarter
	 * of that (bench/mysql-exporter-bench.sh with BENCH_GZIP=1).
	 */
	hc.gzip_level = 1;
	hc.server_name = "mysql-exporter";
	srv = http_server_new(&hc, routes, sizeof(routes) / sizeof(routes[0]));
	if (!srv) {
		log_error("http server setup failed", NULL);
		goto out;
	}
	if (app_serve(a, srv, NULL, 0, NULL, true) < 0)
		goto out;
	/* The option file is re-read at every (re)connect anyway; SIGHUP
	 * only reports whether it still holds placeholders. */
	r = app_run(a);
out:
	http_server_free(srv);
	metrics_registry_free(reg);
	exporter_free(exporter);
	probe_free();
	dsn_done(&dsn);
	if (lib)
		mysql_library_end();
	return app_done(a, r);
}
