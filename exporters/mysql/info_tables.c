/*
 * info_schema.tables: per-table size and row estimates from
 * information_schema.TABLES, as mysqld_exporter 0.14's
 * collector/info_schema_tables.go:
 *   mysql_info_schema_table_version{schema,table,type,engine,row_format,create_options}
 *   mysql_info_schema_table_rows{schema,table}
 *   mysql_info_schema_table_size{schema,table,component=data_length|index_length|data_free}
 * for the schemas of --collect.info_schema.tables.databases ("*": every
 * schema but mysql, performance_schema and information_schema, as 0.14's
 * schemata list).  0.14 lists the schemas, then sends one statement per
 * schema; one statement with the same filter gives the same rows.  Off by
 * default (as in 0.14): on a server with many tables it opens every one.
 * Sees only the tables the exporter user has some privilege on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scrape.h"

static int tb_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	const char *dbs = o->tables_databases ? o->tables_databases : "*";

	buf_puts(sql, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, 'NONE'), "
		      "IFNULL(VERSION, 0), IFNULL(ROW_FORMAT, 'NONE'), IFNULL(TABLE_ROWS, 0), "
		      "IFNULL(DATA_LENGTH, 0), IFNULL(INDEX_LENGTH, 0), IFNULL(DATA_FREE, 0), "
		      "IFNULL(CREATE_OPTIONS, 'NONE') FROM information_schema.TABLES WHERE ");
	if (!strcmp(dbs, "*"))
		return buf_puts(sql, "TABLE_SCHEMA NOT IN ('mysql', 'performance_schema', "
				     "'information_schema')");
	/* "a,b" -> IN ('a','b'); the flag's check allowed no quote or backslash */
	buf_puts(sql, "TABLE_SCHEMA IN (");
	for (const char *p = dbs; *p;) {
		size_t n = strcspn(p, ",");

		buf_printf(sql, "%s'%.*s'", p == dbs ? "" : ", ", (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	return buf_puts(sql, ")");
}

static int tb_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const lv[] = { "schema", "table", "type", "engine", "row_format",
					  "create_options", NULL };
	static const char *const lr[] = { "schema", "table", NULL };
	static const char *const ls[] = { "schema", "table", "component", NULL };
	static const char *const comp[] = { "data_length", "index_length", "data_free" };
	struct lazy_family f;

	if (r->ncols < 11)
		return -EPROTO;
#define C(i, c) (sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "")
	lazy_init(&f, w, "mysql_info_schema_table_version", METRIC_GAUGE,
		  "The version number of the table's .frm file", lv);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), C(i, 2), C(i, 3), C(i, 5),
						       C(i, 10), NULL },
			    cell_u64(C(i, 4)));
	lazy_init(&f, w, "mysql_info_schema_table_rows", METRIC_GAUGE,
		  "The estimated number of rows in the table from information_schema.tables", lr);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), NULL }, cell_u64(C(i, 6)));
	lazy_init(&f, w, "mysql_info_schema_table_size", METRIC_GAUGE,
		  "The size of the table components from information_schema.tables", ls);
	for (size_t i = 0; i < r->nrows; i++)
		for (unsigned k = 0; k < 3; k++)
			lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), comp[k], NULL },
				    cell_u64(C(i, 7 + k)));
#undef C
	return f.failed ? -EIO : 0;
}

/* Schema names go into the SQL text: no quote, backslash or empty name. */
static int check_databases(const struct flag *fl, const struct flagset *fs, char *err, size_t errlen)
{
	const char *s = *(const char **)fl->dst;

	if (!strcmp(s, "*"))
		return 0;
	if (!*s || strpbrk(s, "'\"\\`") || strstr(s, ",,") || s[0] == ',' ||
	    s[strlen(s) - 1] == ',') {
		snprintf(err, errlen, "'*' or a comma-separated list of schema names "
				      "(no quotes or backslashes, no empty name)");
		return -EINVAL;
	}
	return 0;
}

static const struct flag tb_flags[] = {
	{ .name = "collect.info_schema.tables.databases", .type = FLAG_STRING,
	  .dst = &collector_opts.tables_databases, .def = "*",
	  .help = "The list of databases to collect table stats for, or '*' for all",
	  .check = check_databases },
};

const struct collector collector_info_tables = {
	.name = "info_schema.tables",
	.default_on = false,
	.help = "Collect metrics from information_schema.tables",
	.query = tb_query,
	.parse = tb_parse,
	COLLECTOR_FLAGS(tb_flags),
};
