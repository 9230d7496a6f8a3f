/*
 * engine_innodb_status: the few gauges mysqld_exporter 0.14's
 * collector/engine_innodb.go reads from SHOW ENGINE INNODB STATUS (one row:
 * Type, Name, Status; Status is InnoDB's multi-line monitor text):
 *   "N queries inside InnoDB, M queries in queue" (the ROW OPERATIONS
 *     section, under innodb_thread_concurrency; MariaDB 10.6+ no longer
 *     prints it) ->
 *     mysql_engine_innodb_queries_inside_innodb, ..._queries_in_queue
 *   "N read views open inside InnoDB" (TRANSACTIONS / ROW OPERATIONS) ->
 *     mysql_engine_innodb_read_views_open_inside_innodb
 * 0.14 emits one sample per matching line and fails the scrape if a line
 * repeats; here the first match counts.  Off by default (as 0.14): the
 * statement takes InnoDB's monitor mutex.  Needs PROCESS.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

static int ei_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SHOW ENGINE INNODB STATUS");
}

/*
 * The number that ends right before p (within [line, p)), as the regexp
 * `(\d+) <text>` captures it: at least one digit, as many as precede.
 */
static bool digits_before(const char *line, const char *p, double *ret)
{
	const char *q = p;

	while (q > line && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == p)
		return false;
	*ret = strtod(q, NULL);
	return true;
}

/* "<digits><text>" at the start of p: the digits' value and the end. */
static bool digits_then(const char *p, const char *text, double *ret)
{
	const char *q = p;

	while (*q >= '0' && *q <= '9')
		q++;
	if (q == p || strncmp(q, text, strlen(text)))
		return false;
	*ret = strtod(p, NULL);
	return true;
}

static int ei_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char inside[] = " queries inside InnoDB, ";
	static const char views[] = " read views open inside InnoDB";
	double v_inside = 0, v_queue = 0, v_views = 0;
	bool have_queries = false, have_views = false;

	if (r->ncols < 3)
		return -EPROTO;
	/* the first row only, as 0.14 */
	const char *st = r->nrows ? sqlres_cell(r, 0, 2) : NULL;
	for (const char *line = st; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *p;

		/* 0.14 tries the queries pattern first, then the views one, per line */
		if (!have_queries && (p = memmem(line, len, inside, sizeof(inside) - 1)) &&
		    digits_before(line, p, &v_inside) &&
		    digits_then(p + sizeof(inside) - 1, " queries in queue", &v_queue)) {
			have_queries = true;
		} else if (!have_views && (p = memmem(line, len, views, sizeof(views) - 1)) &&
			   digits_before(line, p, &v_views)) {
			have_views = true;
		}
		line = eol ? eol + 1 : line + len;
	}
	if (have_queries) {
		writer_family(w, "mysql_engine_innodb_queries_inside_innodb", METRIC_GAUGE,
			      "Queries inside InnoDB.", NULL);
		writer_sample(w, NULL, v_inside);
		writer_family(w, "mysql_engine_innodb_queries_in_queue", METRIC_GAUGE,
			      "Queries in queue.", NULL);
		writer_sample(w, NULL, v_queue);
	}
	if (have_views) {
		writer_family(w, "mysql_engine_innodb_read_views_open_inside_innodb", METRIC_GAUGE,
			      "Read views open inside InnoDB.", NULL);
		writer_sample(w, NULL, v_views);
	}
	return 0;
}

const struct collector collector_engine_innodb = {
	.name = "engine_innodb_status",
	.default_on = false,
	.help = "Collect from SHOW ENGINE INNODB STATUS",
	.query = ei_query,
	.parse = ei_parse,
};
