/*
 * auto_increment.columns: how close each AUTO_INCREMENT column is to its
 * type's largest value, as mysqld_exporter 0.14's
 * collector/info_schema_auto_increment.go:
 *   mysql_info_schema_auto_increment_column{schema,table,column}
 *     information_schema.TABLES.AUTO_INCREMENT: the next value to be given
 *   mysql_info_schema_auto_increment_column_max{schema,table,column}
 *     2^bits - 1 of the column's integer type (one bit more if unsigned),
 *     computed by the server with POW() as 0.14 does, so a BIGINT UNSIGNED
 *     is the double 1.8446744073709552e+19
 * A column whose type has no such maximum (AUTO_INCREMENT on FLOAT or
 * DOUBLE, which MariaDB still accepts) makes 0.14's whole scrape fail
 * (NULL into a float64); here it only lacks the _max series.  Sees only
 * the tables the exporter's account has a privilege on; off by default (it
 * opens every such table), as in 0.14.
 */
#include <errno.h>

#include "scrape.h"

static int ai_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, t.AUTO_INCREMENT, "
			     "POW(2, CASE c.DATA_TYPE WHEN 'tinyint' THEN 7 WHEN 'smallint' THEN 15 "
			     "WHEN 'mediumint' THEN 23 WHEN 'int' THEN 31 WHEN 'bigint' THEN 63 END "
			     "+ (c.COLUMN_TYPE LIKE '% unsigned')) - 1 "
			     "FROM information_schema.TABLES t JOIN information_schema.COLUMNS c "
			     "USING (TABLE_SCHEMA, TABLE_NAME) "
			     "WHERE c.EXTRA = 'auto_increment' AND t.AUTO_INCREMENT IS NOT NULL");
}

static int ai_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "schema", "table", "column", NULL };
	struct lazy_family f;

	if (r->ncols < 5)
		return -EPROTO;
#define C(i, c) (sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "")
	lazy_init(&f, w, "mysql_info_schema_auto_increment_column", METRIC_GAUGE,
		  "The current value of an auto_increment column from information_schema.", labels);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), C(i, 2), NULL },
			    cell_u64(C(i, 3)));
	bool failed = f.failed;
	lazy_init(&f, w, "mysql_info_schema_auto_increment_column_max", METRIC_GAUGE,
		  "The max value of an auto_increment column from information_schema.", labels);
	for (size_t i = 0; i < r->nrows; i++) {
		if (!sqlres_cell(r, i, 4))
			continue;	/* FLOAT/DOUBLE: no integer maximum */
		lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), C(i, 2), NULL },
			    cell_u64(C(i, 4)));
	}
#undef C
	return failed || f.failed ? -EIO : 0;
}

const struct collector collector_auto_increment = {
	.name = "auto_increment.columns",
	.default_on = false,
	.help = "Collect auto_increment columns and max values from information_schema",
	.query = ai_query,
	.parse = ai_parse,
};
