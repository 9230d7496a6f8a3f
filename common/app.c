/*
 * app: standard flags, start/stop lines and the run loop shared by every
 * prism daemon (see app.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "daemon.h"
#include "http.h"
#include "log.h"

#define APP_MAX_SERVERS 4

struct app {
	struct app_spec spec;
	struct flags_program prog;
	struct flagset *fs;
	struct app_std std;
	struct http_server *srv[APP_MAX_SERVERS];
	bool srv_web_config[APP_MAX_SERVERS];
	size_t nsrv;
	bool started;		/* the start line was logged */
	char status[256];	/* STATUS= of READY=1 */
};

static int check_telemetry_path(const struct flag *f, const struct flagset *fs, char *err,
				size_t errlen)
{
	const char *p = *(const char **)f->dst;

	(void)fs;
	(void)err;
	(void)errlen;
	/* / is the landing page and /-/healthy the probe: the metrics cannot live there */
	return p[0] == '/' && strcmp(p, "/") != 0 && strcmp(p, "/-/healthy") != 0 ? 0 : -EINVAL;
}

static int check_shutdown(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	double v = *(double *)f->dst;

	(void)fs;
	(void)err;
	(void)errlen;
	return v >= 0 && v <= 3600 ? 0 : -EINVAL;
}

/*
 * --log.config.file: "level: debug" and "format: json" lines ('#' starts a
 * comment); a key present there overrides --log.level/--log.format.  Read
 * at start-up and on SIGHUP.  0, or -EINVAL with the reason in err.
 */
static int read_log_config(const char *path, char *level, char *format, size_t len, char *err,
			   size_t errlen)
{
	char line[256];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *key, *val, *end;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			r = -EINVAL;
			break;
		}
		if ((end = strchr(p, '#')))
			*end = '\0';
		p += strspn(p, " \t");
		end = p + strlen(p);
		while (end > p && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		if (!*p)
			continue;
		key = p;
		val = strchr(p, ':');
		if (!val) {
			snprintf(err, errlen, "%s:%u: expected \"level: LEVEL\" or \"format: FORMAT\"",
				 path, lineno);
			r = -EINVAL;
			break;
		}
		*val++ = '\0';
		val += strspn(val, " \t\"'");
		end = val + strlen(val);
		while (end > val && strchr(" \t\"'", end[-1]))
			*--end = '\0';
		end = key + strlen(key);
		while (end > key && strchr(" \t", end[-1]))
			*--end = '\0';
		if (strcmp(key, "level") == 0) {
			snprintf(level, len, "%s", val);
		} else if (strcmp(key, "format") == 0) {
			snprintf(format, len, "%s", val);
		} else {
			snprintf(err, errlen, "%s:%u: unknown key \"%s\" (level, format)", path, lineno,
				 key);
			r = -EINVAL;
			break;
		}
	}
	fclose(f);
	return r;
}

/* The flags' log settings, overridden by --log.config.file's.  On failure
 * nothing changes and err says why. */
static int apply_log(struct app *a, char *err, size_t errlen)
{
	char level[32], format[32];
	int r;

	snprintf(level, sizeof(level), "%s", a->std.log_level);
	snprintf(format, sizeof(format), "%s", a->std.log_format);
	if (a->std.log_config[0]) {
		r = read_log_config(a->std.log_config, level, format, sizeof(level), err, errlen);
		if (r < 0)
			return r;
	}
	/* validate both before applying either */
	r = -EINVAL;
	for (size_t i = 0; log_level_names[i]; i++)
		if (strcmp(level, log_level_names[i]) == 0)
			r = 0;
	if (r < 0) {
		snprintf(err, errlen, "%s: level \"%s\" is not one of debug, info, warn, error",
			 a->std.log_config, level);
		return r;
	}
	r = -EINVAL;
	for (size_t i = 0; log_format_names[i]; i++)
		if (strcmp(format, log_format_names[i]) == 0)
			r = 0;
	if (r < 0) {
		snprintf(err, errlen, "%s: format \"%s\" is not one of logfmt, json",
			 a->std.log_config, format);
		return r;
	}
	return log_setup(level, format);
}

struct app *app_new(const struct app_spec *spec)
{
	struct app *a;
	int r;

	if (!spec || !spec->name)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->spec = *spec;
	a->prog = (struct flags_program){ spec->name, spec->summary, spec->version, spec->revision };
	a->fs = flagset_new(&a->prog);
	if (!a->fs)
		goto fail;
	{
		const struct flag std[] = {
			{ .name = "web.listen-address", .type = FLAG_LIST, .dst = &a->std.listen,
			  .def = spec->listen_default ? spec->listen_default : ":0",
			  .help = spec->listen_help ? spec->listen_help
				  : "Addresses on which to expose metrics and web interface. "
				    "Repeatable for multiple addresses." },
			{ .name = "web.config.file", .type = FLAG_STRING, .dst = &a->std.web_config,
			  .help = spec->web_config_help ? spec->web_config_help
				  : "Path to configuration file that can enable TLS or "
				    "authentication (exporter-toolkit format); re-read on SIGHUP." },
			{ .name = "web.shutdown-timeout", .type = FLAG_DURATION,
			  .dst = &a->std.shutdown_timeout,
			  .def = spec->shutdown_default ? spec->shutdown_default : "10s",
			  .help = "On SIGTERM, how long requests in flight may take to finish.",
			  .check = check_shutdown, .rule = "a duration in [0s, 1h]" },
			{ .name = "web.read-header-timeout", .type = FLAG_DURATION,
			  .dst = &a->std.read_header_timeout, .def = "10s",
			  .help = "Close a connection whose request headers are not complete this "
				  "long after its request line (counted as 408); 0 disables.",
			  .check = check_shutdown, .rule = "a duration in [0s, 1h]" },
			{ .name = "web.read-timeout", .type = FLAG_DURATION,
			  .dst = &a->std.read_timeout, .def = "30s",
			  .help = "Close a connection whose request body is not fully read this "
				  "long after its request line (counted as 408); 0 disables.",
			  .check = check_shutdown, .rule = "a duration in [0s, 1h]" },
			{ .name = "log.level", .type = FLAG_ENUM, .dst = &a->std.log_level,
			  .def = "info", .help = "Only log messages with the given severity or above.",
			  .choices = log_level_names },
			{ .name = "log.format", .type = FLAG_ENUM, .dst = &a->std.log_format,
			  .def = "logfmt", .help = "Output format of log messages.",
			  .choices = log_format_names },
			{ .name = "log.config.file", .type = FLAG_STRING, .dst = &a->std.log_config,
			  .help = "File with \"level: LEVEL\" and \"format: FORMAT\" lines, "
				  "overriding --log.level and --log.format; re-read on SIGHUP." },
		};
		const struct flag tel = {
			.name = "web.telemetry-path", .type = FLAG_STRING, .dst = &a->std.telemetry_path,
			.def = spec->telemetry_path, .help = "Path under which to expose metrics.",
			.check = check_telemetry_path,
			.rule = "an absolute path other than / and /-/healthy",
		};

		r = flagset_add(a->fs, std, 1);
		if (r == 0 && spec->telemetry_path)
			r = flagset_add(a->fs, &tel, 1);
		if (r == 0)
			r = flagset_add(a->fs, std + 1, sizeof(std) / sizeof(std[0]) - 1);
		if (r < 0)
			goto fail;
	}
	return a;
fail:
	flagset_free(a->fs);
	free(a);
	return NULL;
}

struct flagset *app_flags(struct app *a)
{
	return a->fs;
}

const struct app_std *app_std(const struct app *a)
{
	return &a->std;
}

int app_flag_error(const struct app *a, const void *dst, const char *why)
{
	/* the flag's name comes from the set: the message cannot misname it */
	const char *name = flagset_name(a->fs, dst), *text = flagset_text(a->fs, dst);

	fprintf(stderr, "%s: error: invalid value \"%s\" for flag '--%s': %s\n", a->spec.name,
		text ? text : "", name ? name : "?", why);
	return 2;
}

int app_parse(struct app *a, int argc, char **argv)
{
	char err[512] = "";
	int r;

	r = daemon_init();
	if (r < 0) {
		fprintf(stderr, "%s: error: cannot initialise: %s\n", a->spec.name, strerror(-r));
		return 1;
	}
	r = flagset_parse(a->fs, argc, argv, stdout, stderr);
	if (r == FLAGS_EXIT)
		return 0;
	if (r < 0)
		return 2;
	r = apply_log(a, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: error: invalid value \"%s\" for flag '--log.config.file': %s\n",
			a->spec.name, a->std.log_config, err);
		return 2;
	}
	log_info("Starting", "name", a->spec.name, "version",
		 a->spec.version ? a->spec.version : "unknown", "revision",
		 a->spec.revision ? a->spec.revision : "unknown", NULL);
	a->started = true;
	return APP_CONTINUE;
}

int app_serve(struct app *a, struct http_server *srv, const char *const *addrs, size_t n,
	      const char *listener, bool web_config)
{
	int r;

	if (a->nsrv == APP_MAX_SERVERS) {
		log_error("too many HTTP servers", "name", a->spec.name, NULL);
		return -E2BIG;
	}
	if (!addrs) {
		addrs = a->std.listen.v;
		n = a->std.listen.n;
	}
	if (web_config && (r = http_server_web_config_apply(srv, a->std.web_config, false)) < 0)
		return r;
	if ((r = http_server_listen_all(srv, addrs, n, listener)) < 0)
		return r;
	http_server_set_deadlines(srv, a->std.read_header_timeout, a->std.read_timeout);
	r = http_server_start(srv);
	if (r < 0) {
		log_error("cannot start the HTTP server", "listener", listener ? listener : "http",
			  "err", strerror(-r), NULL);
		return r;
	}
	a->srv[a->nsrv] = srv;
	a->srv_web_config[a->nsrv] = web_config;
	a->nsrv++;
	/* STATUS: the first server's first address (what an operator looks for) */
	if (!a->status[0] && n)
		snprintf(a->status, sizeof(a->status), "serving on %s", addrs[0]);
	return 0;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	default: return "error";
	}
}

static void reload(struct app *a)
{
	char err[512] = "", why[512] = "";
	int r;

	log_info("Reloading", "name", a->spec.name, "signal", "SIGHUP", NULL);
	for (size_t i = 0; i < a->nsrv; i++) {
		if (!a->srv_web_config[i] || !a->std.web_config[0])
			continue;
		/* logs its own error; the running configuration stays */
		if (http_server_web_config_apply(a->srv[i], a->std.web_config, true) < 0 && !why[0])
			snprintf(why, sizeof(why), "cannot apply %s", a->std.web_config);
	}
	if (a->std.log_config[0]) {
		if (apply_log(a, err, sizeof(err)) < 0) {
			log_error("log config reload failed", "file", a->std.log_config, "err", err,
				  NULL);
			if (!why[0])
				snprintf(why, sizeof(why), "%s", err);
		} else {
			log_info("log config reloaded", "file", a->std.log_config, NULL);
		}
	}
	if (a->spec.reload) {
		err[0] = '\0';
		r = a->spec.reload(a->spec.reload_ctx, err, sizeof(err));
		if (r < 0 && !why[0])
			snprintf(why, sizeof(why), "%s", err[0] ? err : strerror(-r));
	}
	if (why[0])
		log_error("Reload failed", "name", a->spec.name, "err", why, NULL);
	else
		log_info("Reloaded", "name", a->spec.name, NULL);
}

int app_run(struct app *a)
{
	uint64_t t0, budget_ms, spent_ms;
	unsigned left = 0;
	int sig;

	daemon_notify_ready(a->status[0] ? a->status : "serving");
	while ((sig = daemon_wait(0)) == SIGHUP || sig == 0)
		if (sig == SIGHUP)
			reload(a);
	log_info("Shutting down", "name", a->spec.name, "signal", signame(sig), NULL);
	daemon_notify_stopping();
	for (size_t i = 0; i < a->nsrv; i++)
		http_server_quiesce(a->srv[i]);
	/* one budget for all servers: the flag bounds the whole drain */
	budget_ms = (uint64_t)(a->std.shutdown_timeout * 1000);
	t0 = daemon_now_ns();
	for (size_t i = 0; i < a->nsrv; i++) {
		spent_ms = (daemon_now_ns() - t0) / 1000000u;
		left += http_server_drain(a->srv[i],
					  spent_ms < budget_ms ? (unsigned)(budget_ms - spent_ms) : 0);
	}
	if (left) {
		char n[16];

		snprintf(n, sizeof(n), "%u", left);
		log_warn("shutdown timeout: requests still in flight", "count", n, NULL);
	}
	return 0;
}

int app_done(struct app *a, int status)
{
	if (!a)
		return status;
	if (a->started)
		log_info("Stopped", "name", a->spec.name, NULL);
	flagset_free(a->fs);
	free(a);
	return status;
}
