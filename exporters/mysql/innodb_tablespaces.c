/*
 * info_schema.innodb_tablespaces: InnoDB's tablespaces, as mysqld_exporter
 * 0.14's collector/info_schema_innodb_sys_tablespaces.go:
 *   mysql_info_schema_innodb_tablespace_space_info{tablespace_name,file_format,row_format,space_type}
 *       (the value is the SPACE id)
 *   mysql_info_schema_innodb_tablespace_file_size_bytes{tablespace_name}
 *   mysql_info_schema_innodb_tablespace_allocated_size_bytes{tablespace_name}
 * from information_schema.INNODB_SYS_TABLESPACES (MariaDB, MySQL 5.7) or
 * INNODB_TABLESPACES (MySQL 8.0).  0.14 first looks the table name up (one
 * more statement); here the server's flavour and version choose it.  As in
 * 0.14, file_format is the text "FILE_FORMAT" when the table has such a
 * column and "NONE" otherwise, and a NULL row_format or space_type is "NONE".
 *
 * MariaDB 10.5 and later dropped SPACE_TYPE from INNODB_SYS_TABLESPACES:
 * there 0.14's statement fails on every scrape (unknown column).  We try
 * 0.14's statement first and, on "unknown column", a second variant that
 * reports space_type "NONE" and collects the rest.  Off by default, as 0.14.
 * Needs PROCESS.
 */
#include <errno.h>

#include "scrape.h"

static int ts_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	const char *table = s->flavor == SERVER_MYSQL && s->version >= 80000 ? "INNODB_TABLESPACES"
									     : "INNODB_SYS_TABLESPACES";

	return buf_printf(sql,
			  "SELECT SPACE, NAME, IFNULL((SELECT COLUMN_NAME FROM information_schema.COLUMNS "
			  "WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = '%s' "
			  "AND COLUMN_NAME = 'FILE_FORMAT' LIMIT 1), 'NONE'), IFNULL(ROW_FORMAT, 'NONE'), %s, "
			  "FILE_SIZE, ALLOCATED_SIZE FROM information_schema.`%s`",
			  table, variant == 0 ? "IFNULL(SPACE_TYPE, 'NONE')" : "'NONE'", table);
}

static int ts_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const li[] = { "tablespace_name", "file_format", "row_format", "space_type", NULL };
	static const char *const ln[] = { "tablespace_name", NULL };
	struct lazy_family f;
	bool failed = false;

	if (r->ncols < 7)
		return -EPROTO;
#define C(i, c) (sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "")
	lazy_init(&f, w, "mysql_info_schema_innodb_tablespace_space_info", METRIC_GAUGE,
		  "The Tablespace information and Space ID.", li);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 1), C(i, 2), C(i, 3), C(i, 4), NULL },
			    cell_u64(C(i, 0)));
	failed |= f.failed;
	lazy_init(&f, w, "mysql_info_schema_innodb_tablespace_file_size_bytes", METRIC_GAUGE,
		  "The apparent size of the file, which represents the maximum size of the file, "
		  "uncompressed.", ln);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 1), NULL }, cell_u64(C(i, 5)));
	failed |= f.failed;
	lazy_init(&f, w, "mysql_info_schema_innodb_tablespace_allocated_size_bytes", METRIC_GAUGE,
		  "The actual size of the file, which is the amount of space allocated on disk.", ln);
	for (size_t i = 0; i < r->nrows; i++)
		lazy_sample(&f, (const char *const[]){ C(i, 1), NULL }, cell_u64(C(i, 6)));
#undef C
	return failed || f.failed ? -EIO : 0;
}

const struct collector collector_innodb_tablespaces = {
	.name = "info_schema.innodb_tablespaces",
	.default_on = false,
	.help = "Collect metrics from information_schema.innodb_sys_tablespaces",
	.query = ts_query,
	.parse = ts_parse,
	.variants = 2,
};
