/*
 * slave_status: replica state as mysqld_exporter 0.14's
 * collector/slave_status.go: every numeric column of each replication
 * channel as the untyped mysql_slave_status_<lower(column)>{master_host,
 * master_uuid,channel_name,connection_name}.  Empty (and successful) on a
 * server that is not a replica.
 *
 * Statement per server: MariaDB "SHOW ALL SLAVES STATUS" (every named
 * connection; needs SLAVE MONITOR since 10.5.9, REPLICATION CLIENT is not
 * enough); MySQL "SHOW SLAVE STATUS" (0.14's column names) up to 8.3 and
 * "SHOW REPLICA STATUS" from 8.4, where the old syntax is gone (its columns
 * are Source_* / Replica_*, hence different metric names there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scrape.h"

static int ss_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	if (s->flavor == SERVER_MARIADB)
		return buf_puts(sql, "SHOW ALL SLAVES STATUS");
	if (s->version >= 80400)
		return buf_puts(sql, "SHOW REPLICA STATUS");
	return buf_puts(sql, "SHOW SLAVE STATUS");
}

static int column(const struct sqlres *r, const char *name)
{
	for (unsigned i = 0; i < r->ncols; i++)
		if (r->names[i] && !strcmp(r->names[i], name))
			return (int)i;
	return -1;
}

static const char *cell_or_empty(const struct sqlres *r, size_t row, int col)
{
	const char *v = col >= 0 ? sqlres_cell(r, row, (unsigned)col) : NULL;
	return v ? v : "";
}

static int ss_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "master_host", "master_uuid", "channel_name",
					      "connection_name", NULL };
	int c_host = column(r, "Master_Host"), c_uuid = column(r, "Master_UUID");
	int c_chan = column(r, "Channel_Name"), c_conn = column(r, "Connection_name");
	char fam[320], lower[256];

	if (r->nrows == 0)
		return 0;
	/* Column-major: one family per column, one sample per channel. */
	for (unsigned c = 0; c < r->ncols; c++) {
		size_t n = 0;
		for (const char *p = r->names[c]; p && *p && n + 1 < sizeof(lower); p++)
			lower[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
		lower[n] = '\0';
		snprintf(fam, sizeof(fam), "mysql_slave_status_%s", lower);
		struct lazy_family lf;
		lazy_init(&lf, w, fam, METRIC_UNTYPED, "Generic metric from SHOW SLAVE STATUS.", labels);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *val = sqlres_cell(r, i, c);
			double v;
			if (!val || !parse_status(val, &v))
				continue;
			const char *values[] = { cell_or_empty(r, i, c_host), cell_or_empty(r, i, c_uuid),
						 cell_or_empty(r, i, c_chan), cell_or_empty(r, i, c_conn), NULL };
			lazy_sample(&lf, values, v);
		}
	}
	return 0;
}

const struct collector collector_slave_status = {
	.name = "slave_status",
	.default_on = true,
	.help = "Collect from SHOW SLAVE STATUS (MariaDB: SHOW ALL SLAVES STATUS)",
	.query = ss_query,
	.parse = ss_parse,
};
