/*
 * global_status: SHOW GLOBAL STATUS, mapped as mysqld_exporter 0.14's
 * collector/global_status.go does (names, types and labels are the
 * dashboards' contract):
 *   Com_*                      -> mysql_global_status_commands_total{command}
 *   Handler_*                  -> ..._handlers_total{handler}
 *   Connection_errors_*        -> ..._connection_errors_total{error}
 *   Innodb_buffer_pool_pages_{data,free,misc,old} -> ..._buffer_pool_pages{state}
 *   Innodb_buffer_pool_pages_dirty -> ..._buffer_pool_dirty_pages
 *   Innodb_buffer_pool_pages_total -> (dropped)
 *   Innodb_buffer_pool_pages_* -> ..._buffer_pool_page_changes_total{operation}
 *   Innodb_rows_*              -> ..._innodb_row_ops_total{operation}
 *   Performance_schema_*       -> ..._performance_schema_lost_total{instrumentation}
 *   anything else numeric      -> mysql_global_status_<name> (untyped)
 * Values: numbers, ON/OFF/YES/NO... as 1/0 (parse_status); text is skipped.
 *
 * Server cost: MariaDB answers SHOW GLOBAL STATUS/VARIABLES through an
 * information_schema temporary table, in memory (HEAP) by default, whose
 * rows have a fixed length: VARIABLE_VALUE is VARCHAR(2048) in utf8mb3, so
 * every one of the ~560 (status) or ~660 (variables) rows costs two ~6 KB
 * copies (fill, then read back), half the statement's CPU in perf.  With
 * "SET STATEMENT tmp_memory_table_size=0 FOR" (this statement only; MariaDB
 * 10.2.7+) the table is Aria with packed rows: the same rows in the same
 * order, measured on 10.11 0.47 instead of 0.74 ms (status) and 0.71 instead
 * of 1.06 ms (variables) of server CPU per statement.  The price is a
 * temporary file created and removed in the server's tmpdir per statement
 * (small, removed before write-back: /proc/PID/io cancelled_write_bytes
 * equals write_bytes).  If the server refuses it (no such variable, tmpdir
 * full), variant 1, the plain statement, is used on this connection.  MySQL
 * answers SHOW STATUS from performance_schema, without such a table: plain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrape.h"

enum gs_class {
	GS_COM,
	GS_HANDLER,
	GS_CONNERR,
	GS_BP_PAGES,
	GS_BP_DIRTY,
	GS_BP_CHANGES,
	GS_ROWS,
	GS_PS_LOST,
	GS_GENERIC,
	GS_SKIP,
	GS_NCLASS,
};

static const struct {
	const char *prefix;	/* after prom_name(), including the '_' */
	const char *family, *label, *help;
	enum metric_type type;
} groups[] = {
	[GS_COM] = { "com_", "mysql_global_status_commands_total", "command",
		     "Total number of executed MySQL commands.", METRIC_COUNTER },
	[GS_HANDLER] = { "handler_", "mysql_global_status_handlers_total", "handler",
			 "Total number of executed MySQL handlers.", METRIC_COUNTER },
	[GS_CONNERR] = { "connection_errors_", "mysql_global_status_connection_errors_total", "error",
			 "Total number of MySQL connection errors.", METRIC_COUNTER },
	[GS_BP_PAGES] = { "innodb_buffer_pool_pages_", "mysql_global_status_buffer_pool_pages", "state",
			  "Innodb buffer pool pages by state.", METRIC_GAUGE },
	[GS_BP_DIRTY] = { "innodb_buffer_pool_pages_", "mysql_global_status_buffer_pool_dirty_pages", NULL,
			  "Innodb buffer pool dirty pages.", METRIC_GAUGE },
	[GS_BP_CHANGES] = { "innodb_buffer_pool_pages_", "mysql_global_status_buffer_pool_page_changes_total",
			    "operation", "Innodb buffer pool page state changes.", METRIC_COUNTER },
	[GS_ROWS] = { "innodb_rows_", "mysql_global_status_innodb_row_ops_total", "operation",
		      "Total number of MySQL InnoDB row operations.", METRIC_COUNTER },
	[GS_PS_LOST] = { "performance_schema_", "mysql_global_status_performance_schema_lost_total",
			 "instrumentation",
			 "Total number of MySQL instrumentations that could not be loaded or created due to memory constraints.",
			 METRIC_COUNTER },
};

/* Does raw (a server name) start with prefix once prom_name()d? */
static size_t prefix_len(const char *raw, const char *prefix)
{
	size_t i;
	for (i = 0; prefix[i]; i++) {
		char c = raw[i];
		if (!c)
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (c != prefix[i])
			return 0;
	}
	return i;
}

/*
 * Classify a server name (without building its metric name: this runs for
 * every row in every pass); *ret_rest is the raw label value part.
 */
static enum gs_class classify(const char *raw, const char **ret_rest)
{
	for (int g = GS_COM; g <= GS_PS_LOST; g++) {
		if (g == GS_BP_DIRTY || g == GS_BP_CHANGES)
			continue;	/* same prefix as GS_BP_PAGES */
		size_t n = prefix_len(raw, groups[g].prefix);
		if (!n)
			continue;
		const char *rest = raw + n;
		*ret_rest = rest;
		if (g == GS_BP_PAGES) {
			if (!strcasecmp(rest, "data") || !strcasecmp(rest, "free") || !strcasecmp(rest, "misc") ||
			    !strcasecmp(rest, "old"))
				return GS_BP_PAGES;
			if (!strcasecmp(rest, "dirty"))
				return GS_BP_DIRTY;
			if (!strcasecmp(rest, "total"))
				return GS_SKIP;
			return GS_BP_CHANGES;
		}
		return (enum gs_class)g;
	}
	*ret_rest = raw;
	return GS_GENERIC;
}

static int gs_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	if (variant == 0)
		aria_tmp_prefix(o, s, sql);
	return buf_puts(sql, "SHOW GLOBAL STATUS");
}

static int gs_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
#define GENERIC_PREFIX "mysql_global_status_"
	char key[256], fam[320] = GENERIC_PREFIX;
	const char *uuid = NULL, *cluster_uuid = NULL, *provider = NULL;

	if (r->ncols < 2)
		return -EPROTO;
	/* Classify every row once (a byte each; the passes below only compare). */
	uint8_t stack_cls[1024], *cls = stack_cls;
	if (r->nrows > sizeof(stack_cls)) {
		cls = malloc(r->nrows);
		if (!cls)
			return -ENOMEM;
	}
	for (size_t i = 0; i < r->nrows; i++) {
		const char *name = sqlres_cell(r, i, 0), *rest;
		cls[i] = name && sqlres_cell(r, i, 1) ? (uint8_t)classify(name, &rest) : GS_SKIP;
	}
	/*
	 * One pass per labelled family keeps each family's samples together
	 * (the server's order is alphabetical, which interleaves some).
	 */
	for (int g = GS_COM; g <= GS_PS_LOST; g++) {
		struct lazy_family lf;
		const char *labels[] = { groups[g].label, NULL };
		lazy_init(&lf, w, groups[g].family, groups[g].type, groups[g].help,
			  groups[g].label ? labels : NULL);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *rest;
			double v;
			if (cls[i] != g || !parse_status(sqlres_cell(r, i, 1), &v))
				continue;
			classify(sqlres_cell(r, i, 0), &rest);
			prom_name(key, sizeof(key), rest);
			const char *values[] = { key, NULL };
			lazy_sample(&lf, groups[g].label ? values : NULL, v);
		}
	}
	for (size_t i = 0; i < r->nrows; i++) {
		const char *name = sqlres_cell(r, i, 0), *val = sqlres_cell(r, i, 1);
		double v;
		if (cls[i] != GS_GENERIC)
			continue;
		if (!parse_status(val, &v)) {
			/* the text items 0.14 keeps for mysql_galera_status_info */
			if (!strcmp(name, "wsrep_local_state_uuid"))
				uuid = val;
			else if (!strcmp(name, "wsrep_cluster_state_uuid"))
				cluster_uuid = val;
			else if (!strcmp(name, "wsrep_provider_version"))
				provider = val;
			continue;
		}
		/* the family name is the prefix + prom_name(name), built in place */
		prom_name(fam + sizeof(GENERIC_PREFIX) - 1, sizeof(fam) - (sizeof(GENERIC_PREFIX) - 1), name);
		struct lazy_family lf;
		lazy_init(&lf, w, fam, METRIC_UNTYPED, "Generic metric from SHOW GLOBAL STATUS.", NULL);
		lazy_sample(&lf, NULL, v);
	}
	if (cls != stack_cls)
		free(cls);
	if (uuid && *uuid) {
		static const char *const labels[] = { "wsrep_local_state_uuid", "wsrep_cluster_state_uuid",
						      "wsrep_provider_version", NULL };
		const char *values[] = { uuid, cluster_uuid ? cluster_uuid : "", provider ? provider : "", NULL };
		struct lazy_family lf;
		lazy_init(&lf, w, "mysql_galera_status_info", METRIC_GAUGE, "PXC/Galera status information.",
			  labels);
		lazy_sample(&lf, values, 1);
	}
	return 0;
}

const struct collector collector_global_status = {
	.name = "global_status",
	.default_on = true,
	.help = "Collect from SHOW GLOBAL STATUS",
	.query = gs_query,
	.parse = gs_parse,
	.variants = 2,
	.fallback_any_error = true,
};
