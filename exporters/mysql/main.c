/*
 * mysql-exporter: Prometheus exporter for MySQL/MariaDB server metrics,
 * compatible with mysqld_exporter 0.14's flags and metric names (issue 5).
 *
 * main: flags, the HTTP routes and the daemon lifecycle.  A scrape of the
 * telemetry path runs every enabled collector over one persistent
 * connection (scrape.c); the request's X-Prometheus-Scrape-Timeout-Seconds
 * (minus --timeout-offset) is its deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "scrape.h"

#ifndef PRISM_VERSION
#define PRISM_VERSION "dev"
#endif
#ifndef PRISM_REVISION
#define PRISM_REVISION "unknown"
#endif

static struct flag_list arg_listen;
static const char *arg_telemetry_path;
static const char *arg_web_config;
static const char *arg_my_cnf;
static const char *arg_timeout_offset;
static double arg_connect_timeout, arg_read_timeout, arg_scrape_timeout;
static long arg_lock_wait_timeout;
static bool arg_log_slow_filter;
static bool arg_disk_tmp;
static long arg_st_limit, arg_st_timelimit, arg_st_digest_limit, arg_pl_min_time;
static bool arg_pl_by_user, arg_pl_by_host;
static const char *arg_mem_prefix;
static const char *arg_log_level, *arg_log_format;
static bool arg_collect[32];
static struct flag_list arg_probe_targets;

static struct exporter *exporter;
static struct exporter_config base_cfg;	/* for /probe targets */

/* Per-request scrape parameters, handed to the registry collector callback
 * that runs on the same thread inside http_handle_metrics(). */
struct scrape_req {
	uint64_t deadline;
	const char *only[32];
	size_t n_only;
};
static _Thread_local struct scrape_req *tls_req;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int collect_mysql(struct metrics_writer *w, void *ctx)
{
	struct exporter *e = ctx;
	struct scrape_req *q = tls_req;
	if (!q)
		return exporter_scrape(e, w, exporter_deadline(e, NULL, mono_ns()), NULL, 0);
	return exporter_scrape(e, w, q->deadline, q->only, q->n_only);
}

static void add_only(void *ctx, const char *value)
{
	struct scrape_req *q = ctx;
	if (q->n_only < sizeof(q->only) / sizeof(q->only[0]))
		q->only[q->n_only++] = value;
}

static struct http_metrics_ctx metrics_ctx;

static void handle_metrics(struct http_request *r, void *ctx)
{
	struct scrape_req q = { .n_only = 0 };
	q.deadline = exporter_deadline(exporter, http_request_header(r, "X-Prometheus-Scrape-Timeout-Seconds"),
				       http_request_start_ns(r) ? http_request_start_ns(r) : mono_ns());
	http_request_query_each(r, "collect[]", add_only, &q);
	tls_req = &q;
	http_handle_metrics(r, &metrics_ctx);
	tls_req = NULL;
}

/*
 * /probe?target=host:port[&auth_module=client.NAME] (mysqld_exporter 0.15's
 * multi-target mode): scrape another server with the option file's
 * credentials ([client], then [client.NAME]).  Only targets listed with
 * --probe.target are accepted: probing an arbitrary host would hand it the
 * exporter's login.  Each (target, auth_module) keeps its own persistent
 * connection.
 */
#define MAX_PROBES 32
static struct probe {
	char key[320];
	struct exporter *e;
} probes[MAX_PROBES];
static size_t nprobes;
static pthread_mutex_t probes_lock = PTHREAD_MUTEX_INITIALIZER;

static bool target_allowed(const char *target)
{
	for (size_t i = 0; i < arg_probe_targets.n; i++)
		if (!strcmp(arg_probe_targets.v[i], target))
			return true;
	return false;
}

static bool auth_module_valid(const char *m)
{
	if (strncmp(m, "client.", 7) || !m[7] || strlen(m) > 64)
		return false;
	return strspn(m + 7, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(m + 7);
}

static struct exporter *probe_exporter(const char *target, const char *host, uint16_t port, const char *module)
{
	char key[320];
	struct exporter *e = NULL;
	snprintf(key, sizeof(key), "%s|%s", target, module ? module : "");
	pthread_mutex_lock(&probes_lock);
	for (size_t i = 0; i < nprobes; i++)
		if (!strcmp(probes[i].key, key))
			e = probes[i].e;
	if (!e && nprobes < MAX_PROBES) {
		struct exporter_config cfg = base_cfg;
		cfg.conn.host = host;
		cfg.conn.port = port;
		cfg.conn.group = module;
		e = exporter_new(&cfg);
		if (e) {
			snprintf(probes[nprobes].key, sizeof(probes[nprobes].key), "%s", key);
			probes[nprobes++].e = e;
		}
	}
	pthread_mutex_unlock(&probes_lock);
	return e;
}

static void handle_probe(struct http_request *r, void *ctx)
{
	const char *target = http_request_query(r, "target");
	const char *module = http_request_query(r, "auth_module");
	char host[256];
	uint16_t port;

	if (!target || !*target) {
		http_respond_json_error(r, 400, "target parameter is missing", "target");
		return;
	}
	if (http_parse_listen_address(target, host, sizeof(host), &port) < 0 || !host[0] || !port) {
		http_respond_json_error(r, 400, "target must be host:port", "target");
		return;
	}
	if (module && *module && !auth_module_valid(module)) {
		http_respond_json_error(r, 400, "auth_module must be client.NAME", "auth_module");
		return;
	}
	if (!target_allowed(target)) {
		http_respond_json_error(r, 403, "target not allowed (see --probe.target)", "target");
		return;
	}
	struct exporter *e = probe_exporter(target, host, port, module && *module ? module : NULL);
	if (!e) {
		http_respond_json_error(r, 503, "too many probe targets", NULL);
		return;
	}
	struct scrape_req q = { .n_only = 0 };
	q.deadline = exporter_deadline(e, http_request_header(r, "X-Prometheus-Scrape-Timeout-Seconds"),
				       mono_ns());
	http_request_query_each(r, "collect[]", add_only, &q);
	struct buf *b = http_response_body(r);
	buf_reset(b);
	struct metrics_writer *w = metrics_writer_new(b, METRICS_FORMAT_TEXT);
	if (!w) {
		http_respond_json_error(r, 503, "out of memory", NULL);
		return;
	}
	int rc = exporter_scrape(e, w, q.deadline, q.only, q.n_only);
	if (rc == 0)
		rc = metrics_writer_finish(w);
	metrics_writer_free(w);
	if (rc < 0 || buf_failed(b)) {
		http_respond_json_error(r, 503, "exposition failed", NULL);
		return;
	}
	http_respond_buf(r, 200, metrics_content_type(METRICS_FORMAT_TEXT), true);
}

/* mysqld_exporter's --timeout-offset is seconds ("0.25"); also take "250ms". */
static int parse_offset(const char *s, double *ret)
{
	char *end;
	double v = strtod(s, &end);
	if (end != s && !*end && v >= 0) {
		*ret = v;
		return 0;
	}
	return flags_parse_duration(s, ret);
}

/*
 * The option file must exist and be readable, and name a user under
 * [client] (as mysqld_exporter requires), unless it !includes others.
 * Only the user key is looked at; the password is never read here.
 */
static int check_my_cnf(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read --config.my-cnf=%s: %s", path, strerror(errno));
		return -errno;
	}
	char line[1024];
	bool in_client = false, user = false, includes = false;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		if (*p == '[') {
			in_client = !strncmp(p, "[client]", 8);
			continue;
		}
		if (!strncmp(p, "!include", 8))
			includes = true;
		if (in_client && !strncmp(p, "user", 4)) {
			char *q = p + 4 + strspn(p + 4, " \t");
			if (*q == '=' && q[1 + strspn(q + 1, " \t\r\n")] != '\0')
				user = true;
		}
	}
	fclose(f);
	if (!user && !includes) {
		snprintf(err, errlen, "no user specified under [client] in %s", path);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
	static const char *const log_formats[] = { "logfmt", "json", NULL };
	char names[32][96], helps[32][160];
	struct flag flags[64];
	size_t nf = 0;
	int ret = 1, r;
	struct metrics_registry *reg = NULL;
	struct http_server *srv = NULL;

	flags[nf++] = (struct flag){ .name = "web.listen-address", .type = FLAG_LIST, .dst = &arg_listen, .def = ":9104", .help = "Addresses on which to expose metrics and web interface (repeatable)." };
	flags[nf++] = (struct flag){ .name = "web.telemetry-path", .type = FLAG_STRING, .dst = &arg_telemetry_path, .def = "/metrics", .help = "Path under which to expose metrics." };
	flags[nf++] = (struct flag){ .name = "web.config.file", .type = FLAG_STRING, .dst = &arg_web_config, .def = NULL, .help = "Path to a configuration file that can enable TLS or authentication (exporter-toolkit format); re-read on SIGHUP." };
	flags[nf++] = (struct flag){ .name = "config.my-cnf", .type = FLAG_STRING, .dst = &arg_my_cnf, .def = "/etc/mysql-exporter/my.cnf", .help = "Option file with the [client] credentials (user, password, host, port or socket)." };
	flags[nf++] = (struct flag){ .name = "timeout-offset", .type = FLAG_STRING, .dst = &arg_timeout_offset, .def = "0.25", .help = "Seconds subtracted from X-Prometheus-Scrape-Timeout-Seconds." };
	flags[nf++] = (struct flag){ .name = "exporter.scrape_timeout", .type = FLAG_DURATION, .dst = &arg_scrape_timeout, .def = "10s", .help = "Scrape deadline when the request carries no X-Prometheus-Scrape-Timeout-Seconds." };
	flags[nf++] = (struct flag){ .name = "exporter.connect_timeout", .type = FLAG_DURATION, .dst = &arg_connect_timeout, .def = "2s", .help = "Timeout for connecting to the server (also bounded by the scrape deadline)." };
	flags[nf++] = (struct flag){ .name = "exporter.read_timeout", .type = FLAG_DURATION, .dst = &arg_read_timeout, .def = "30s", .help = "Client library read/write timeout (a safety net; the scrape deadline is stricter)." };
	flags[nf++] = (struct flag){ .name = "exporter.lock_wait_timeout", .type = FLAG_INT, .dst = &arg_lock_wait_timeout, .def = "2", .help = "Set a lock_wait_timeout (in seconds) on the connection to avoid long metadata locking.", .choices = NULL, .min = 1, .max = 31536000 };
	flags[nf++] = (struct flag){ .name = "exporter.disk_tmp_tables", .type = FLAG_BOOL, .dst = &arg_disk_tmp, .def = "false", .help = "MariaDB: run SHOW GLOBAL STATUS/VARIABLES with an on-disk (Aria) temporary table: a third less server CPU, but each scrape then adds 2 to Created_tmp_disk_tables (off by default: alerts watch that counter)." };
	flags[nf++] = (struct flag){ .name = "exporter.log_slow_filter", .type = FLAG_BOOL, .dst = &arg_log_slow_filter, .def = "false", .help = "Add a log_slow_filter to avoid slow query logging of scrapes (not Oracle MySQL)." };
	for (size_t i = 0; i < collectors_count && i < 32; i++) {
		snprintf(names[i], sizeof(names[i]), "collect.%s", collectors[i]->name);
		snprintf(helps[i], sizeof(helps[i]), "%s.", collectors[i]->help);
		flags[nf++] = (struct flag){ .name = names[i], .type = FLAG_BOOL, .dst = &arg_collect[i], .def = collectors[i]->default_on ? "true" : "false", .help = helps[i] };
	}
	flags[nf++] = (struct flag){ .name = "collect.perf_schema.eventsstatements.limit", .type = FLAG_INT, .dst = &arg_st_limit, .def = "250", .help = "Limit the number of events statements digests by response time.", .choices = NULL, .min = 1, .max = 100000 };
	flags[nf++] = (struct flag){ .name = "collect.perf_schema.eventsstatements.timelimit", .type = FLAG_INT, .dst = &arg_st_timelimit, .def = "86400", .help = "Limit how old the 'last_seen' events statements can be, in seconds.", .choices = NULL, .min = 1, .max = 31536000 };
	flags[nf++] = (struct flag){ .name = "collect.perf_schema.eventsstatements.digest_text_limit", .type = FLAG_INT, .dst = &arg_st_digest_limit, .def = "120", .help = "Maximum length of the normalized statement text.", .choices = NULL, .min = 1, .max = 65536 };
	flags[nf++] = (struct flag){ .name = "collect.perf_schema.memory_events.remove_prefix", .type = FLAG_STRING, .dst = &arg_mem_prefix, .def = "memory/", .help = "Remove instrument prefix in performance_schema.memory_summary_global_by_event_name." };
	flags[nf++] = (struct flag){ .name = "collect.info_schema.processlist.min_time", .type = FLAG_INT, .dst = &arg_pl_min_time, .def = "0", .help = "Minimum time a thread must be in each state to be counted.", .choices = NULL, .min = 0, .max = 31536000 };
	flags[nf++] = (struct flag){ .name = "collect.info_schema.processlist.processes_by_user", .type = FLAG_BOOL, .dst = &arg_pl_by_user, .def = "true", .help = "Enable collecting the number of processes by user." };
	flags[nf++] = (struct flag){ .name = "collect.info_schema.processlist.processes_by_host", .type = FLAG_BOOL, .dst = &arg_pl_by_host, .def = "true", .help = "Enable collecting the number of processes by host." };
	flags[nf++] = (struct flag){ .name = "probe.target", .type = FLAG_LIST, .dst = &arg_probe_targets, .def = NULL, .help = "A host:port that /probe?target= may scrape (repeatable; none: /probe refuses all)." };
	flags[nf++] = (struct flag){ .name = "log.level", .type = FLAG_ENUM, .dst = &arg_log_level, .def = "info", .help = "Only log messages with the given severity or above.", .choices = log_levels };
	flags[nf++] = (struct flag){ .name = "log.format", .type = FLAG_ENUM, .dst = &arg_log_format, .def = "logfmt", .help = "Output format of log messages.", .choices = log_formats };

	const struct flags_program prog = {
		.name = "mysql-exporter",
		.summary = "Prometheus exporter for MySQL/MariaDB server metrics (mysqld_exporter-compatible).",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
	};
	r = flags_parse(flags, nf, &prog, argc, argv, stdout, stderr);
	if (r == FLAGS_EXIT)
		return 0;
	if (r < 0)
		return 2;
	if (log_setup(arg_log_level, arg_log_format) < 0) {
		fprintf(stderr, "mysql-exporter: error: bad --log.level or --log.format\n");
		ret = 2;
		goto out;
	}
	double offset;
	if (parse_offset(arg_timeout_offset, &offset) < 0) {
		fprintf(stderr, "mysql-exporter: error: --timeout-offset: not a duration: %s\n", arg_timeout_offset);
		ret = 2;
		goto out;
	}
	if (arg_telemetry_path[0] != '/') {
		fprintf(stderr, "mysql-exporter: error: --web.telemetry-path must start with '/'\n");
		ret = 2;
		goto out;
	}
	char err[512];
	if (check_my_cnf(arg_my_cnf, err, sizeof(err)) < 0) {
		fprintf(stderr, "mysql-exporter: error: %s\n", err);
		log_error("Error parsing my.cnf", "file", arg_my_cnf, "err", err, NULL);
		ret = 2;
		goto out;
	}

	r = daemon_init();
	if (r < 0) {
		log_error("daemon_init failed", "err", strerror(-r), NULL);
		goto out;
	}
	if (mysql_library_init(0, NULL, NULL)) {
		log_error("mysql_library_init failed", NULL);
		goto out;
	}

	struct exporter_config cfg = {
		.conn = {
			.my_cnf = arg_my_cnf,
			.connect_timeout = arg_connect_timeout,
			.read_timeout = arg_read_timeout,
			.lock_wait_timeout = arg_lock_wait_timeout,
			.log_slow_filter = arg_log_slow_filter,
		},
		.opts = {
			.statements_limit = arg_st_limit,
			.statements_timelimit = arg_st_timelimit,
			.digest_text_limit = arg_st_digest_limit,
			.memory_remove_prefix = arg_mem_prefix,
			.processlist_min_time = arg_pl_min_time,
			.processes_by_user = arg_pl_by_user,
			.processes_by_host = arg_pl_by_host,
			.log_slow_filter = arg_log_slow_filter,
			.disk_tmp = arg_disk_tmp,
		},
		.timeout_offset = offset,
		.default_timeout = arg_scrape_timeout,
	};
	for (size_t i = 0; i < collectors_count && i < 32; i++) {
		cfg.enabled[i] = arg_collect[i];
		if (arg_collect[i])
			log_info("Scraper enabled", "scraper", collectors[i]->name, NULL);
	}
	base_cfg = cfg;
	exporter = exporter_new(&cfg);
	reg = metrics_registry_new();
	if (!exporter || !reg) {
		log_error("out of memory", NULL);
		goto out;
	}
	if ((r = metrics_register_process(reg)) < 0 ||
	    (r = metrics_register_build_info(reg, "mysql_exporter", PRISM_VERSION, PRISM_REVISION)) < 0 ||
	    (r = metrics_registry_add_collector(reg, collect_mysql, exporter)) < 0) {
		log_error("registering metrics failed", "err", strerror(-r), NULL);
		goto out;
	}
	metrics_ctx = (struct http_metrics_ctx){ .registry = reg, .openmetrics = false };
	static struct http_landing_ctx landing;
	landing = (struct http_landing_ctx){ .title = "prism mysql-exporter",
					     .telemetry_path = arg_telemetry_path,
					     .version = PRISM_VERSION };
	const struct http_route routes[] = {
		{ "GET", arg_telemetry_path, handle_metrics, NULL },
		{ "GET", "/", http_handle_landing, &landing },
		{ "GET", "/-/healthy", http_handle_healthy, NULL },
		{ "GET", "/probe", handle_probe, NULL },
	};
	struct http_config hc;
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
	if (http_server_serve(srv, arg_web_config, arg_listen.v, arg_listen.n) < 0)
		goto out;
	daemon_notify_ready("serving");
	int sig;
	/* SIGHUP re-reads --web.config.file (a bad file keeps the old one);
	 * the option file is re-read at every (re)connect anyway. */
	while ((sig = daemon_wait(0)) == SIGHUP)
		http_server_web_config_apply(srv, arg_web_config, true);
	log_info("shutting down", NULL);
	daemon_notify_stopping();
	http_server_quiesce(srv);
	http_server_drain(srv, 5000);
	ret = 0;
out:
	http_server_free(srv);
	metrics_registry_free(reg);
	exporter_free(exporter);
	for (size_t i = 0; i < nprobes; i++)
		exporter_free(probes[i].e);
	mysql_library_end();
	flags_free_lists(flags, nf);
	return ret;
}
