/*
 * host-exporter: a node_exporter 1.5 drop-in for the collectors in
 * collector.c, reading /proc and /sys directly.
 *
 * main: flags (node_exporter's names and defaults), regex compilation (exit 2
 * on a bad one), the HTTP routes (/metrics with collect[], /, /-/healthy),
 * then the daemon loop: SIGHUP re-applies the log settings and keeps running,
 * SIGTERM/SIGINT drain and exit.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

struct host_config host_cfg;

static struct flag_list arg_listen;
static const char *arg_telemetry_path;
static const char *arg_web_config;	/* --web.config.file, "" = plain HTTP, no auth */
static long arg_max_requests;
static bool arg_disable_exporter_metrics;
static bool arg_disable_defaults;
static const char *arg_log_level, *arg_log_format;
static long arg_threads;
static uint64_t arg_textfile_max;

static struct scrape_pool *pool;
static struct metrics_registry *registry;	/* process_* and build_info */
static _Atomic long in_flight;

/* Per-collector --collector.NAME flag names (storage for the flag table). */
static char coll_flag_names[32][64];
static char coll_flag_help[32][96];

static void handle_collect_param(void *ctx, const char *value);

struct collect_sel {
	bool want[32];
	bool any;
	char err[160];
};

static void handle_collect_param(void *ctx, const char *value)
{
	struct collect_sel *s = ctx;
	int i = collector_find(value);

	if (s->err[0])
		return;
	if (i < 0) {
		snprintf(s->err, sizeof(s->err), "Couldn't create filtered metrics handler: missing collector: %s", value);
		return;
	}
	if (!collector_enabled[i]) {
		snprintf(s->err, sizeof(s->err), "Couldn't create filtered metrics handler: disabled collector: %s", value);
		return;
	}
	s->want[i] = true;
	s->any = true;
}

static void handle_metrics(struct http_request *req, void *ctx)
{
	struct collect_sel sel;
	enum metrics_format fmt;
	struct metrics_writer *w;
	struct buf *body;
	const char *hdr;
	double timeout = host_cfg.collector_timeout;
	long n;
	int r;

	(void)ctx;
	n = atomic_fetch_add(&in_flight, 1) + 1;
	if (arg_max_requests > 0 && n > arg_max_requests) {
		static const char msg[] = "Limit of concurrent requests reached (" "see --web.max-requests), try again later.\n";

		http_respond(req, 503, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
		goto out;
	}
	memset(&sel, 0, sizeof(sel));
	http_request_query_each(req, "collect[]", handle_collect_param, &sel);
	if (sel.err[0]) {
		http_respond(req, 400, "text/plain; charset=utf-8", sel.err, strlen(sel.err));
		goto out;
	}
	/* Prometheus says how long it waits; answer before that. */
	hdr = http_request_header(req, "X-Prometheus-Scrape-Timeout-Seconds");
	if (hdr) {
		char *end;
		double t = strtod(hdr, &end);

		if (end != hdr && t > 0 && t * 0.9 < timeout)
			timeout = t * 0.9;
	}
	/* node_exporter 1.5 does not enable OpenMetrics: 0.0.4 always. */
	fmt = metrics_negotiate(http_request_header(req, "Accept"), false);
	body = http_response_body(req);
	buf_reset(body);
	w = metrics_writer_new(body, fmt);
	if (!w) {
		http_respond_json_error(req, 503, "out of memory", NULL);
		goto out;
	}
	r = scrape_run(pool, sel.any ? sel.want : NULL, fmt, timeout, w);
	if (r >= 0 && !arg_disable_exporter_metrics) {
		metrics_writer_free(w);
		w = NULL;
		r = metrics_registry_expose(registry, fmt, body);
	} else if (r >= 0) {
		r = metrics_writer_finish(w);
	}
	metrics_writer_free(w);
	if (r < 0 || buf_failed(body)) {
		char e[16];

		snprintf(e, sizeof(e), "%d", r);
		log_error("metrics exposition failed", "errno", e, NULL);
		buf_reset(body);
		http_respond(req, 500, "text/plain; charset=utf-8", "metrics exposition failed\n", 26);
		goto out;
	}
	http_respond_buf(req, 200, metrics_content_type(fmt), true);
out:
	atomic_fetch_sub(&in_flight, 1);
}

/* Was --[no-]collector.NAME given explicitly?  (--collector.disable-defaults
 * turns off only the collectors not named on the command line.) */
static bool argv_names(int argc, char **argv, const char *flag)
{
	size_t fl = strlen(flag);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--no-", 5) == 0)
			a += 5;
		else if (strncmp(a, "--", 2) == 0)
			a += 2;
		else
			continue;
		if (strncmp(a, flag, fl) == 0 && (a[fl] == '\0' || a[fl] == '='))
			return true;
	}
	return false;
}

static int compile(struct host_regex *r, const char *flag)
{
	char err[300];

	if (host_regex_compile(r, err, sizeof(err)) < 0) {
		fprintf(stderr, "host-exporter: error: --%s: invalid regular expression %s: %s\n", flag,
			r->src, err);
		return -EINVAL;
	}
	return 0;
}

static void free_regexes(void)
{
	struct host_regex *all[] = {
		&host_cfg.cpu_flags_include, &host_cfg.cpu_bugs_include, &host_cfg.fs_mount_exclude,
		&host_cfg.fs_type_exclude, &host_cfg.disk_filter.include, &host_cfg.disk_filter.exclude,
		&host_cfg.netdev_filter.include, &host_cfg.netdev_filter.exclude,
		&host_cfg.netstat_fields, &host_cfg.vmstat_fields,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		host_regex_free(all[i]);
}

/* include/exclude: node_exporter 1.5 refuses both; a default exclude yields
 * to an explicit include. */
static int filter_setup(struct device_filter *f, const char *name, int argc, char **argv)
{
	char inc[96], exc[96];
	bool inc_set, exc_set;

	snprintf(inc, sizeof(inc), "collector.%s.device-include", name);
	snprintf(exc, sizeof(exc), "collector.%s.device-exclude", name);
	inc_set = f->include.src && *f->include.src;
	exc_set = argv_names(argc, argv, exc);
	if (inc_set && exc_set && f->exclude.src && *f->exclude.src) {
		fprintf(stderr, "host-exporter: error: --%s and --%s are mutually exclusive\n", exc, inc);
		return -EINVAL;
	}
	if (inc_set)
		f->exclude.src = NULL;
	if (compile(&f->include, inc) < 0 || compile(&f->exclude, exc) < 0)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const level_choices[] = { "debug", "info", "warn", "error", NULL };
	static const char *const format_choices[] = { "logfmt", "json", NULL };
	struct flag flags[96];
	size_t nf = 0, i;
	struct flags_program prog = {
		.name = "host-exporter",
		.summary = "Prometheus exporter for host metrics (node_exporter 1.5 compatible).",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
	};
	struct http_route routes[3];
	struct http_landing_ctx landing = { "prism host-exporter", NULL, PRISM_VERSION };
	struct http_config hc;
	struct http_server *srv = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char status[256];
	int r, rc = 1, sig;

#define F(n, t, d, df, h) flags[nf++] = (struct flag){ .name = n, .type = t, .dst = d, .def = df, .help = h }
	F("web.listen-address", FLAG_LIST, &arg_listen, ":9100",
	  "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses.");
	F("web.telemetry-path", FLAG_STRING, &arg_telemetry_path, "/metrics", "Path under which to expose metrics.");
	F("web.config.file", FLAG_STRING, &arg_web_config, NULL,
	  "Path to configuration file that can enable TLS or authentication (re-read on SIGHUP).");
	F("web.disable-exporter-metrics", FLAG_BOOL, &arg_disable_exporter_metrics, "false",
	  "Exclude metrics about the exporter itself (process_*, host_exporter_build_info).");
	F("web.max-requests", FLAG_INT, &arg_max_requests, "40",
	  "Maximum number of parallel scrape requests. Use 0 to disable.");
	flags[nf - 1].min = 0;
	flags[nf - 1].max = 1000000;
	F("path.procfs", FLAG_STRING, &host_cfg.procfs, "/proc", "procfs mountpoint.");
	F("path.sysfs", FLAG_STRING, &host_cfg.sysfs, "/sys", "sysfs mountpoint.");
	F("path.rootfs", FLAG_STRING, &host_cfg.rootfs, "/", "rootfs mountpoint.");
	F("path.udev.data", FLAG_STRING, &host_cfg.udev_data, "/run/udev/data", "udev data path.");
	F("collector.disable-defaults", FLAG_BOOL, &arg_disable_defaults, "false",
	  "Set all collectors to disabled by default.");
	F("collector.timeout", FLAG_DURATION, &host_cfg.collector_timeout, "5s",
	  "Per-collector deadline within a scrape: a collector still running then reports success 0 (also capped by 90% of X-Prometheus-Scrape-Timeout-Seconds).");
	F("collector.threads", FLAG_INT, &arg_threads, "0",
	  "Collector worker threads (0: twice the CPUs, at least 4).");
	flags[nf - 1].min = 0;
	flags[nf - 1].max = 256;
	F("collector.cpu.guest", FLAG_BOOL, &host_cfg.cpu_guest, "true", "Enables metric node_cpu_guest_seconds_total");
	F("collector.cpu.info", FLAG_BOOL, &host_cfg.cpu_info, "false", "Enables metric cpu_info");
	F("collector.cpu.info.flags-include", FLAG_STRING, &host_cfg.cpu_flags_include.src, NULL,
	  "Filter the `flags` field in cpuInfo with a value that must be a regular expression");
	F("collector.cpu.info.bugs-include", FLAG_STRING, &host_cfg.cpu_bugs_include.src, NULL,
	  "Filter the `bugs` field in cpuInfo with a value that must be a regular expression");
	F("collector.diskstats.device-exclude", FLAG_STRING, &host_cfg.disk_filter.exclude.src,
	  "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$",
	  "Regexp of diskstats devices to exclude (mutually exclusive to device-include).");
	F("collector.diskstats.device-include", FLAG_STRING, &host_cfg.disk_filter.include.src, NULL,
	  "Regexp of diskstats devices to include (mutually exclusive to device-exclude).");
	F("collector.filesystem.mount-points-exclude", FLAG_STRING, &host_cfg.fs_mount_exclude.src,
	  "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
	  "Regexp of mount points to exclude for filesystem collector.");
	F("collector.filesystem.fs-types-exclude", FLAG_STRING, &host_cfg.fs_type_exclude.src,
	  "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$",
	  "Regexp of filesystem types to exclude for filesystem collector.");
	F("collector.filesystem.mount-timeout", FLAG_DURATION, &host_cfg.mount_timeout, "5s",
	  "How long to wait for a mount to respond before marking it as stale (device_error 1).");
	F("collector.netdev.device-include", FLAG_STRING, &host_cfg.netdev_filter.include.src, NULL,
	  "Regexp of net devices to include (mutually exclusive to device-exclude).");
	F("collector.netdev.device-exclude", FLAG_STRING, &host_cfg.netdev_filter.exclude.src, "^lo$",
	  "Regexp of net devices to exclude (mutually exclusive to device-include).");
	F("collector.netstat.fields", FLAG_STRING, &host_cfg.netstat_fields.src,
	  "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$",
	  "Regexp of fields to return for netstat collector.");
	F("collector.stat.softirq", FLAG_BOOL, &host_cfg.stat_softirq, "false", "Export softirq calls per vector");
	F("collector.textfile.directory", FLAG_STRING, &host_cfg.textfile_dir, "/var/lib/prometheus/node-exporter",
	  "Directory to read text files with metrics from.");
	F("collector.textfile.max-bytes", FLAG_SIZE, &arg_textfile_max, "16MiB",
	  "Largest text file read; a larger one is an error.");
	F("collector.vmstat.fields", FLAG_STRING, &host_cfg.vmstat_fields.src, "^(oom_kill|pgpg|pswp|pg.*fault).*",
	  "Regexp of fields to return for vmstat collector.");
	F("log.level", FLAG_ENUM, &arg_log_level, "info",
	  "Only log messages with the given severity or above. One of: [debug, info, warn, error]");
	flags[nf - 1].choices = level_choices;
	F("log.format", FLAG_ENUM, &arg_log_format, "logfmt",
	  "Output format of log messages. One of: [logfmt, json]");
	flags[nf - 1].choices = format_choices;
	for (i = 0; i < ncollectors && i < 32; i++) {
		snprintf(coll_flag_names[i], sizeof(coll_flag_names[i]), "collector.%s", collectors[i].name);
		snprintf(coll_flag_help[i], sizeof(coll_flag_help[i]),
			 "Enable the %s collector (default: %s).", collectors[i].name,
			 collectors[i].default_on ? "enabled" : "disabled");
		F(coll_flag_names[i], FLAG_BOOL, &collector_enabled[i],
		  collectors[i].default_on ? "true" : "false", coll_flag_help[i]);
	}
#undef F

	r = flags_parse(flags, nf, &prog, argc, argv, stdout, stderr);
	if (r == FLAGS_EXIT)
		return 0;
	if (r < 0)
		return 2;
	host_cfg.textfile_max_bytes = (size_t)arg_textfile_max;
	if (arg_disable_defaults)
		for (i = 0; i < ncollectors; i++)
			if (!argv_names(argc, argv, coll_flag_names[i]))
				collector_enabled[i] = false;
	if (host_cfg.collector_timeout <= 0 || host_cfg.mount_timeout <= 0) {
		fprintf(stderr, "host-exporter: error: --collector.timeout and --collector.filesystem.mount-timeout must be positive\n");
		goto bad_flags;
	}
	if (arg_telemetry_path[0] != '/' || strcmp(arg_telemetry_path, "/") == 0 ||
	    strcmp(arg_telemetry_path, "/-/healthy") == 0) {
		fprintf(stderr, "host-exporter: error: --web.telemetry-path must be an absolute path other than / and /-/healthy\n");
		goto bad_flags;
	}
	if (compile(&host_cfg.cpu_flags_include, "collector.cpu.info.flags-include") < 0 ||
	    compile(&host_cfg.cpu_bugs_include, "collector.cpu.info.bugs-include") < 0 ||
	    compile(&host_cfg.fs_mount_exclude, "collector.filesystem.mount-points-exclude") < 0 ||
	    compile(&host_cfg.fs_type_exclude, "collector.filesystem.fs-types-exclude") < 0 ||
	    compile(&host_cfg.netstat_fields, "collector.netstat.fields") < 0 ||
	    compile(&host_cfg.vmstat_fields, "collector.vmstat.fields") < 0 ||
	    filter_setup(&host_cfg.disk_filter, "diskstats", argc, argv) < 0 ||
	    filter_setup(&host_cfg.netdev_filter, "netdev", argc, argv) < 0)
		goto bad_flags;
	if (log_setup(arg_log_level, arg_log_format) < 0)
		goto bad_flags;

	r = daemon_init();
	if (r < 0) {
		log_error("daemon init failed", "err", strerror(-r), NULL);
		goto out;
	}
	tzset();	/* localtime_r (time collector) does not promise to */
	/* Collectors whose sources cannot hang run on the scraping thread
	 * (see collector_classify()); the others on the deadline-guarded pool. */
	collector_classify(&host_cfg);
	pf_cache_root(host_cfg.procfs);
	/* Few, short allocations per scrape: one malloc arena per pair of
	 * threads is plenty and keeps the resident set small (glibc would
	 * otherwise make one per thread, up to 8 per core). */
	mallopt(M_ARENA_MAX, 2);
	log_info("Starting host-exporter", "version", PRISM_VERSION, "revision", PRISM_REVISION, NULL);
	for (i = 0; i < ncollectors; i++)
		if (collector_enabled[i])
			log_info("Enabled collector", "collector", collectors[i].name, "runs",
				 collector_inline[i] ? "inline" : "pool", NULL);

	registry = metrics_registry_new();
	if (!registry || metrics_register_process(registry) < 0 ||
	    metrics_register_build_info(registry, "host_exporter", PRISM_VERSION, PRISM_REVISION) < 0) {
		log_error("metrics registry setup failed", NULL);
		goto out;
	}
	if (ncpu < 1)
		ncpu = 1;
	pool = scrape_pool_new(arg_threads > 0 ? (unsigned)arg_threads : (unsigned)(ncpu * 2 < 4 ? 4 : ncpu * 2));
	if (!pool) {
		log_error("could not start collector threads", NULL);
		goto out;
	}

	landing.telemetry_path = arg_telemetry_path;
	routes[0] = (struct http_route){ "GET", arg_telemetry_path, handle_metrics, NULL };
	routes[1] = (struct http_route){ "GET", "/", http_handle_landing, &landing };
	routes[2] = (struct http_route){ "GET", "/-/healthy", http_handle_healthy, NULL };
	http_config_defaults(&hc);
	/* A scrape blocks its libmicrohttpd thread until its deadline at worst:
	 * enough threads that a few slow scrapes do not queue the rest. */
	hc.threads = (unsigned)(ncpu * 2 < 8 ? 8 : ncpu * 2 > 64 ? 64 : ncpu * 2);
	hc.server_name = "host-exporter";
	/* Prometheus always asks for gzip.  Level 6 (node_exporter's Go
	 * default) took ~0.5 ms with zlib for a 37 kB scrape here -- more
	 * than the scrape itself; libdeflate's level 1 takes ~0.07 ms for
	 * 7% more bytes (6.4 kB instead of 6.0 kB; bench/host-exporter-bench.sh). */
	hc.gzip_level = 1;
	srv = http_server_new(&hc, routes, 3);
	if (!srv) {
		log_error("http server setup failed", NULL);
		goto out;
	}
	if (http_server_serve(srv, arg_web_config, arg_listen.v, arg_listen.n) < 0)
		goto out;
	snprintf(status, sizeof(status), "serving on %s", arg_listen.n ? arg_listen.v[0] : "");
	daemon_notify_ready(status);

	while ((sig = daemon_wait(0)) == SIGHUP || sig == 0) {
		if (sig == 0)
			continue;
		/* node_exporter 1.5 exits here; we re-apply the log settings,
		 * re-read --web.config.file (a bad file keeps the old one) and
		 * keep serving. */
		log_setup(arg_log_level, arg_log_format);
		log_info("SIGHUP received: configuration re-applied, still serving", NULL);
		http_server_web_config_apply(srv, arg_web_config, true);
	}
	log_info("Shutting down", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
	daemon_notify_stopping();
	http_server_quiesce(srv);
	http_server_drain(srv, 5000);
	rc = 0;
out:
	http_server_free(srv);
	scrape_pool_free(pool);
	metrics_registry_free(registry);
	filesystem_shutdown();
	pf_cache_close();
	free_regexes();
	flags_free_lists(flags, nf);
	return rc;
bad_flags:
	free_regexes();
	flags_free_lists(flags, nf);
	return 2;
}
