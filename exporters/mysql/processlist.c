/*
 * processlist: thread counts by command and state from
 * information_schema.PROCESSLIST, as mysqld_exporter 0.14's
 * collector/info_schema_processlist.go:
 *   mysql_info_schema_processlist_threads{command,state}
 *   mysql_info_schema_processlist_seconds{command,state}
 *   mysql_info_schema_processlist_processes_by_user{mysql_user}
 *   mysql_info_schema_processlist_processes_by_host{client_host}
 * command/state are lower-cased, ";,:.()" removed, " " and "-" become "_",
 * empty is "unknown" (0.14's sanitizeState).  The server groups; we merge
 * groups that sanitise to the same key and sort like 0.14.
 * Needs PROCESS to see other users' threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

static int pl_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_printf(sql,
			  "SELECT USER, SUBSTRING_INDEX(HOST, ':', 1), COALESCE(COMMAND, ''), "
			  "COALESCE(STATE, ''), COUNT(*), SUM(TIME) FROM information_schema.PROCESSLIST "
			  "WHERE ID != CONNECTION_ID() AND TIME >= %ld "
			  "GROUP BY USER, SUBSTRING_INDEX(HOST, ':', 1), COMMAND, STATE",
			  o->processlist_min_time);
}

#define KEYLEN 96

struct agg {
	char a[KEYLEN], b[KEYLEN];
	double count, secs;
};

static void sanitize(char *dst, const char *src)
{
	size_t n = 0;
	if (!src || !*src)
		src = "unknown";
	for (; *src && n + 1 < KEYLEN; src++) {
		char ch = *src;
		if (strchr(";,:.()", ch))
			continue;
		if (ch == ' ' || ch == '-')
			ch = '_';
		else if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		dst[n++] = ch;
	}
	dst[n] = '\0';
}

static int agg_cmp(const void *x, const void *y)
{
	const struct agg *p = x, *q = y;
	int c = strcmp(p->a, q->a);
	return c ? c : strcmp(p->b, q->b);
}

/* Sort and merge equal keys in place; returns the new count. */
static size_t merge(struct agg *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), agg_cmp);
	size_t out = 0;
	for (size_t i = 1; i < n; i++) {
		if (!agg_cmp(&v[out], &v[i])) {
			v[out].count += v[i].count;
			v[out].secs += v[i].secs;
		} else {
			v[++out] = v[i];
		}
	}
	return out + 1;
}

static int pl_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	if (r->ncols < 6)
		return -EPROTO;
	if (r->nrows == 0)
		return 0;
	struct agg *states = calloc(r->nrows, sizeof(*states));
	struct agg *users = calloc(r->nrows, sizeof(*users));
	struct agg *hosts = calloc(r->nrows, sizeof(*hosts));
	int ret = -ENOMEM;
	if (!states || !users || !hosts)
		goto out;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *user = sqlres_cell(r, i, 0), *host = sqlres_cell(r, i, 1);
		double count = cell_u64(sqlres_cell(r, i, 4)), secs = cell_u64(sqlres_cell(r, i, 5));
		sanitize(states[i].a, sqlres_cell(r, i, 2));
		sanitize(states[i].b, sqlres_cell(r, i, 3));
		states[i].count = count;
		states[i].secs = secs;
		snprintf(users[i].a, KEYLEN, "%s", user ? user : "");
		users[i].count = count;
		snprintf(hosts[i].a, KEYLEN, "%s", host && *host ? host : "unknown");
		hosts[i].count = count;
	}
	size_t ns = merge(states, r->nrows), nu = merge(users, r->nrows), nh = merge(hosts, r->nrows);
	static const char *const cs[] = { "command", "state", NULL };
	struct lazy_family lf;
	lazy_init(&lf, w, "mysql_info_schema_processlist_threads", METRIC_GAUGE,
		  "The number of threads split by current state.", cs);
	for (size_t i = 0; i < ns; i++)
		lazy_sample(&lf, (const char *const[]){ states[i].a, states[i].b, NULL }, states[i].count);
	lazy_init(&lf, w, "mysql_info_schema_processlist_seconds", METRIC_GAUGE,
		  "The number of seconds threads have used split by current state.", cs);
	for (size_t i = 0; i < ns; i++)
		lazy_sample(&lf, (const char *const[]){ states[i].a, states[i].b, NULL }, states[i].secs);
	if (o->processes_by_host) {
		static const char *const l[] = { "client_host", NULL };
		lazy_init(&lf, w, "mysql_info_schema_processlist_processes_by_host", METRIC_GAUGE,
			  "The number of processes by host.", l);
		for (size_t i = 0; i < nh; i++)
			lazy_sample(&lf, (const char *const[]){ hosts[i].a, NULL }, hosts[i].count);
	}
	if (o->processes_by_user) {
		static const char *const l[] = { "mysql_user", NULL };
		lazy_init(&lf, w, "mysql_info_schema_processlist_processes_by_user", METRIC_GAUGE,
			  "The number of processes by user.", l);
		for (size_t i = 0; i < nu; i++)
			lazy_sample(&lf, (const char *const[]){ users[i].a, NULL }, users[i].count);
	}
	ret = 0;
out:
	free(states);
	free(users);
	free(hosts);
	return ret;
}

static const struct flag pl_flags[] = {
	{ .name = "collect.info_schema.processlist.min_time", .type = FLAG_INT,
	  .dst = &collector_opts.processlist_min_time, .def = "0",
	  .help = "Minimum time a thread must be in each state to be counted.", .min = 0,
	  .max = 31536000 },
	{ .name = "collect.info_schema.processlist.processes_by_user", .type = FLAG_BOOL,
	  .dst = &collector_opts.processes_by_user, .def = "true",
	  .help = "Enable collecting the number of processes by user." },
	{ .name = "collect.info_schema.processlist.processes_by_host", .type = FLAG_BOOL,
	  .dst = &collector_opts.processes_by_host, .def = "true",
	  .help = "Enable collecting the number of processes by host." },
};

const struct collector collector_processlist = {
	.name = "info_schema.processlist",
	.default_on = true,
	.help = "Collect current thread state counts from the information_schema.processlist",
	.query = pl_query,
	.parse = pl_parse,
	COLLECTOR_FLAGS(pl_flags),
};
