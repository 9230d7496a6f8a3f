/*
 * innodb_metrics: information_schema.INNODB_METRICS (enabled counters) as
 * mysqld_exporter 0.14's collector/info_schema_innodb_metrics.go:
 *   buffer_page_io: buffer_page_{read,written}_<type>
 *       -> mysql_info_schema_innodb_metrics_buffer_page_{read,written}_total{type}
 *   buffer: buffer_pool_pages_<state> -> ..._buffer_pool_pages{state},
 *       _dirty -> ..._buffer_pool_dirty_pages, _total dropped
 *   else: ..._<subsystem>_<name>, with _total and counter type when TYPE is
 *       counter/status_counter and the value is >= 0, else a gauge.
 * HELP is the table's COMMENT.
 *
 * The "is enabled" column differs: STATUS='enabled' on MySQL 5.6+ (and
 * MariaDB before 10.5), ENABLED=1 on MariaDB 10.5+ (10.11 has no STATUS
 * column).  0.14 asks information_schema.COLUMNS first, every scrape; we
 * send the form the server's flavour and version suggest and fall back to
 * the other (variant 1) only if the server answers "unknown column" —
 * remembered for the connection, so a scrape costs one statement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

static int im_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	bool enabled_col = s->flavor == SERVER_MARIADB && s->version >= 100500;
	if (variant)
		enabled_col = !enabled_col;
	buf_puts(sql, "SELECT NAME, SUBSYSTEM, TYPE, COMMENT, COUNT FROM information_schema.INNODB_METRICS");
	return buf_puts(sql, enabled_col ? " WHERE ENABLED = 1" : " WHERE STATUS = 'enabled'");
}

enum { IM_READ, IM_WRITTEN, IM_POOL, IM_DIRTY, IM_SINGLE, IM_SKIP };

/* Which family a row goes to; *ret_label is the label value. */
static int im_class(const char *name, const char *subsystem, const char **ret_label)
{
	if (!strcmp(subsystem, "buffer_page_io")) {
		if (!strncmp(name, "buffer_page_read_", 17) && name[17]) {
			*ret_label = name + 17;
			return IM_READ;
		}
		if (!strncmp(name, "buffer_page_written_", 20) && name[20]) {
			*ret_label = name + 20;
			return IM_WRITTEN;
		}
		return IM_SKIP;	/* 0.14 warns and skips */
	}
	if (!strcmp(subsystem, "buffer") && !strncmp(name, "buffer_pool_pages_", 18)) {
		const char *st = name + 18;
		*ret_label = st;
		if (!strcmp(st, "total"))
			return IM_SKIP;
		return strcmp(st, "dirty") ? IM_POOL : IM_DIRTY;
	}
	return IM_SINGLE;
}

static int im_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const struct {
		const char *name, *help, *label;
		enum metric_type type;
	} fams[] = {
		[IM_READ] = { "mysql_info_schema_innodb_metrics_buffer_page_read_total",
			      "Total number of buffer pages read total.", "type", METRIC_COUNTER },
		[IM_WRITTEN] = { "mysql_info_schema_innodb_metrics_buffer_page_written_total",
				 "Total number of buffer pages written total.", "type", METRIC_COUNTER },
		[IM_POOL] = { "mysql_info_schema_innodb_metrics_buffer_pool_pages",
			      "Total number of buffer pool pages by state.", "state", METRIC_GAUGE },
		[IM_DIRTY] = { "mysql_info_schema_innodb_metrics_buffer_pool_dirty_pages",
			       "Total number of dirty pages in the buffer pool.", NULL, METRIC_GAUGE },
	};
	char fam[400];

	if (r->ncols < 5)
		return -EPROTO;
	for (int k = IM_READ; k <= IM_SINGLE; k++) {
		struct lazy_family lf;
		const char *labels[] = { k < IM_SINGLE ? fams[k].label : NULL, NULL };
		if (k < IM_SINGLE)
			lazy_init(&lf, w, fams[k].name, fams[k].type, fams[k].help,
				  fams[k].label ? labels : NULL);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *name = sqlres_cell(r, i, 0), *sub = sqlres_cell(r, i, 1);
			const char *type = sqlres_cell(r, i, 2), *comment = sqlres_cell(r, i, 3);
			const char *count = sqlres_cell(r, i, 4), *label = NULL;
			if (!name || !sub || !count)
				continue;
			if (im_class(name, sub, &label) != k)
				continue;
			char *end;
			double v = strtod(count, &end);
			if (end == count)
				continue;
			if (k < IM_SINGLE) {
				const char *values[] = { label, NULL };
				lazy_sample(&lf, fams[k].label ? values : NULL, v);
				continue;
			}
			bool counter = type && (!strcmp(type, "counter") || !strcmp(type, "status_counter")) &&
				       v >= 0;
			snprintf(fam, sizeof(fam), "mysql_info_schema_innodb_metrics_%s_%s%s", sub, name,
				 counter ? "_total" : "");
			struct lazy_family one;
			lazy_init(&one, w, fam, counter ? METRIC_COUNTER : METRIC_GAUGE,
				  comment ? comment : "", NULL);
			lazy_sample(&one, NULL, v);
		}
	}
	return 0;
}

const struct collector collector_innodb_metrics = {
	.name = "info_schema.innodb_metrics",
	.default_on = true,
	.help = "Collect metrics from information_schema.innodb_metrics",
	.query = im_query,
	.parse = im_parse,
	.variants = 2,
};
