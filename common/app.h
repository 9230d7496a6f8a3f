/*
 * app: the skeleton every prism daemon is built on -- the standard flags,
 * the start and stop lines, and the run loop (systemd's small-daemon shape).
 *
 *   struct app *a = app_new(&spec);              // standard flags declared
 *   flagset_add(app_flags(a), my_flags, n);      // the daemon's own
 *   if ((r = app_parse(a, argc, argv)) != APP_CONTINUE)
 *           return app_done(a, r);               // --help, --version, bad flag (2)
 *   ...build state, http_server_new()...
 *   if (app_serve(a, srv, NULL, 0, NULL, true) < 0) ...   // bind, web config
 *   r = app_run(a);                              // READY=1 ... SIGTERM, drain
 *   ...free state...
 *   return app_done(a, r);
 *
 * Standard flags (declared here once, for every daemon):
 *   --web.listen-address (repeatable), --web.config.file, --web.telemetry-path
 *   (when spec.telemetry_path is set), --log.level, --log.format,
 *   --log.config.file, --web.shutdown-timeout; --help and --version.
 *
 * Lines every daemon logs the same way (same words, same fields):
 *   msg=Starting name=NAME version=V revision=R     (after the flags parsed)
 *   msg=Reloading name=NAME signal=SIGHUP            (SIGHUP, before re-reading)
 *   msg=Reloaded name=NAME, or level=error msg="Reload failed" name=NAME err=WHY
 *   msg="Shutting down" name=NAME signal=SIGTERM     (SIGTERM or SIGINT)
 *   msg=Stopped name=NAME                            (app_done, after the frees)
 *
 * SIGHUP re-reads --web.config.file into every server registered with
 * web_config true (a bad file keeps the running one), re-applies the log
 * settings -- --log.config.file, if given, may change the level and format
 * of a running daemon -- and calls spec.reload.  A step that fails keeps
 * what was running and makes the outcome line "Reload failed" (the later
 * steps still run), so `journalctl -u NAME` shows each `systemctl reload`.
 *
 * Not thread-safe: the main thread drives it.  app_new() calls nothing that
 * starts threads; app_parse() blocks the stop signals (daemon_init) before
 * the daemon creates any.
 */
#ifndef PRISM_APP_H
#define PRISM_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "flags.h"

struct http_server;
struct app;

struct app_spec {
	const char *name;		/* "host-exporter": logs, --help, --version */
	const char *summary;		/* one line for --help */
	const char *version, *revision;
	const char *listen_default;	/* ":9100" */
	const char *listen_help;	/* NULL: the stock text */
	const char *telemetry_path;	/* default of --web.telemetry-path; NULL: no such flag */
	const char *shutdown_default;	/* "5s" */
	const char *web_config_help;	/* NULL: the stock text */
	/* Optional, on SIGHUP after the web config and log settings: 0, or a
	 * negative errno with the reason in err (errlen bytes). */
	int (*reload)(void *ctx, char *err, size_t errlen);
	void *reload_ctx;
};

/* The standard flags' values (valid after app_parse, until app_done). */
struct app_std {
	struct flag_list listen;
	const char *web_config;		/* "" = none */
	const char *telemetry_path;	/* NULL without the flag */
	const char *log_level, *log_format;
	const char *log_config;		/* "" = none */
	double shutdown_timeout;	/* seconds */
	double read_header_timeout;	/* seconds, 0 = none (http_server_set_deadlines) */
	double read_timeout;		/* seconds, 0 = none */
};

#define APP_CONTINUE (-1)

/* NULL on ENOMEM (or a spec without name). */
struct app *app_new(const struct app_spec *spec);
/* The set to add the daemon's own flags to (before app_parse). */
struct flagset *app_flags(struct app *a);
const struct app_std *app_std(const struct app *a);

/*
 * daemon_init(), parse the flags, apply the log settings, log the start
 * line.  APP_CONTINUE, or the exit status to return: 0 after --help or
 * --version, 2 after a bad flag (the message names that flag), 1 when the
 * process cannot be set up.
 */
int app_parse(struct app *a, int argc, char **argv);
/* For a daemon's own checks after app_parse: prints
 * "NAME: error: invalid value "TEXT" for flag '--FLAG': WHY" and returns 2. */
int app_flag_error(const struct app *a, const void *dst, const char *why);

/*
 * Register a server: apply --web.config.file when web_config, bind addrs
 * (NULL: --web.listen-address) logged as listener NAME (NULL: "http"),
 * start it.  Every registered server is quiesced and drained at SIGTERM.
 * 0 or negative errno (logged).  At most 4 servers.
 */
int app_serve(struct app *a, struct http_server *srv, const char *const *addrs, size_t n,
	      const char *listener, bool web_config);

/*
 * READY=1 with STATUS=serving on ADDRS; wait for signals (SIGHUP: reload);
 * on SIGTERM/SIGINT log the stop line, STOPPING=1, quiesce every server and
 * drain them within --web.shutdown-timeout.  Returns 0 (the exit status)
 * with the servers stopped accepting; the caller frees them.
 */
int app_run(struct app *a);

/* Log the final line (if the daemon started), free a; returns status. */
int app_done(struct app *a, int status);

#endif
