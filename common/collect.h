/*
 * collect: what both exporters do around their collectors, written once --
 * the request (deadline and collect[] selection) and the per-collector
 * outcome families and log lines.
 *
 *   node_exporter:   node_scrape_collector_duration_seconds{collector="cpu"}
 *                    node_scrape_collector_success{collector="cpu"}
 *   mysqld_exporter: mysql_exporter_collector_duration_seconds{collector="collect.x"}
 *                    mysql_exporter_collector_success{collector="collect.x"}
 *
 * The prefix, help texts and label prefix are parameters (struct
 * scrape_meta); the exporters keep their peers' names.  A collector's error
 * is logged once per distinct message, again only after it changed or the
 * collector recovered (collect_log_outcome); -ENODATA is "no data", at debug
 * (node_exporter's ErrNoData).
 *
 * Thread-safety: collect_write_outcomes writes only into the caller's
 * writer; collect_log_outcome is lock-free (one atomic per collector).
 * Nothing here allocates.
 */
#ifndef PRISM_COLLECT_H
#define PRISM_COLLECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* One scrape request: scrape(ctx, &req, writer) in both exporters. */
struct scrape_req {
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
	const char *const *only;	/* collect[] names (borrowed); NULL/0: the enabled set */
	size_t n_only;
	enum metrics_format fmt;
};

/* A request's collect[] values, bounded: more than SCRAPE_MAX_COLLECT sets
 * overflow (the handler answers 400, never drops names silently). */
#define SCRAPE_MAX_COLLECT 64
struct scrape_names {
	const char *v[SCRAPE_MAX_COLLECT];
	size_t n;
	bool overflow;
};
/* For http_request_query_each(req, "collect[]", scrape_names_add, &names). */
void scrape_names_add(void *ctx, const char *value);

/* Is name selected by req (or every enabled collector when it names none)? */
bool scrape_req_selects(const struct scrape_req *req, const char *name);

struct scrape_meta {
	const char *prefix;		/* "node_scrape_collector": NAME_duration_seconds, NAME_success */
	const char *duration_help, *success_help;
	const char *label_prefix;	/* prepended to the collector's name in the label ("collect.") */
	const char *log_msg;		/* "collector failed" */
	const char *log_key;		/* field naming the collector: "collector" */
};

struct scrape_outcome {
	const char *name;		/* collector name, without label_prefix */
	double seconds;
	bool ok;
	bool duration_only;		/* a duration row with no success row (mysql's "connection") */
	bool raw_label;			/* name is the whole label value (no label_prefix) */
};

/* Both families for o[0..n).  0 or the writer's negative errno. */
int collect_write_outcomes(struct metrics_writer *w, const struct scrape_meta *m,
			  const struct scrape_outcome *o, size_t n);

/*
 * Log collector name's outcome once per distinct error: rc >= 0 resets
 * *last (a recovery logs nothing, the next error logs again); rc < 0 logs
 * err (or strerror(-rc)) at error, at debug for -ENODATA, unless the same
 * message was the last one logged.
 */
void collect_log_outcome(const struct scrape_meta *m, _Atomic uint64_t *last, const char *name,
			int rc, const char *err);

#endif
