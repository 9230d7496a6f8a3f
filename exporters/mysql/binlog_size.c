/*
 * binlog_size: SHOW BINARY LOGS, as mysqld_exporter 0.14's
 * collector/binlog.go: mysql_binlog_size_bytes (sum of File_size),
 * mysql_binlog_files (row count) and mysql_binlog_file_number (the number
 * after the '.' in the last file's name).  0.14 first asks SELECT @@log_bin
 * and reports nothing when it is off; we send SHOW BINARY LOGS alone and
 * take its ER_NO_BINARY_LOGGING the same way (nodata_sqlerr: success, no
 * series, not sent again on this connection; log_bin cannot change while
 * the server runs).  Needs BINLOG MONITOR (MariaDB) / REPLICATION CLIENT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "scrape.h"

static int bl_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SHOW BINARY LOGS");
}

static int bl_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	double size = 0, number = 0;

	if (r->ncols < 2)
		return -EPROTO;
	for (size_t i = 0; i < r->nrows; i++)
		size += cell_u64(sqlres_cell(r, i, 1));
	if (r->nrows) {
		/* "mysql-bin.000042" -> 42 (0.14: the part after the first '.') */
		const char *name = sqlres_cell(r, r->nrows - 1, 0);
		const char *dot = name ? strchr(name, '.') : NULL;

		if (dot) {
			char *end;
			double v = strtod(dot + 1, &end);

			if (end != dot + 1 && (*end == '\0' || *end == '.'))
				number = v;
		}
	}
	writer_family(w, "mysql_binlog_size_bytes", METRIC_GAUGE,
		      "Combined size of all registered binlog files.", NULL);
	writer_sample(w, NULL, size);
	writer_family(w, "mysql_binlog_files", METRIC_GAUGE, "Number of registered binlog files.", NULL);
	writer_sample(w, NULL, (double)r->nrows);
	writer_family(w, "mysql_binlog_file_number", METRIC_GAUGE, "The last binlog file number.", NULL);
	return writer_sample(w, NULL, number) < 0 ? -EIO : 0;
}

const struct collector collector_binlog_size = {
	.name = "binlog_size",
	.default_on = false,
	.help = "Collect the current size of all registered binlog files",
	.query = bl_query,
	.parse = bl_parse,
	.nodata_sqlerr = ER_NO_BINARY_LOGGING,
};
