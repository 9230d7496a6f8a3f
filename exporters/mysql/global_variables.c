/*
 * global_variables: SHOW GLOBAL VARIABLES as mysqld_exporter 0.14's
 * collector/global_variables.go: every numeric (or ON/OFF) variable as the
 * gauge mysql_global_variables_<name>, plus mysql_version_info{innodb_version,
 * version,version_comment}, mysql_transaction_isolation{level} (from
 * transaction_isolation, else tx_isolation) and the Galera info gauges.
 *
 * On MariaDB the statement runs with an on-disk (Aria) temporary table, see
 * global_status.c: same statement, same rows in the same order, less server
 * CPU.  (information_schema.SYSTEM_VARIABLES was measured too: 0.84 ms,
 * between the two.)  Variant 1 is the plain statement, for a server that
 * refuses the SET STATEMENT form.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape.h"

static int gv_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	if (variant == 0)
		aria_tmp_prefix(o, s, sql);
	return buf_puts(sql, "SHOW GLOBAL VARIABLES");
}

/* gcache.size from wsrep_provider_options ("... gcache.size = 128M; ..."). */
static double gcache_size(const char *opts)
{
	const char *p = strstr(opts, "gcache.size = ");
	if (!p)
		return 0;
	p += strlen("gcache.size = ");
	char *end;
	double v = strtod(p, &end);
	if (end == p || *p < '0' || *p > '9')
		return 0;
	if (*end == 'M')
		v *= 1024.0 * 1024, end++;
	else if (*end == 'G')
		v *= 1024.0 * 1024 * 1024, end++;
	return *end == ';' ? v : 0;
}

static int gv_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
#define GV_PREFIX "mysql_global_variables_"
#define GV_PREFIX_LEN (sizeof(GV_PREFIX) - 1)
	char key[64], fam[320] = GV_PREFIX;
	const char *innodb_version = "", *version = "", *comment = "", *cluster = "", *provider_opts = "";
	const char *isolation = "", *tx_isolation = "";

	if (r->ncols < 2)
		return -EPROTO;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *name = sqlres_cell(r, i, 0), *val = sqlres_cell(r, i, 1);
		double v;
		if (!name || !val)
			continue;
		if (parse_status(val, &v)) {
			/* the family name is the prefix + prom_name(name), built in place */
			prom_name(fam + GV_PREFIX_LEN, sizeof(fam) - GV_PREFIX_LEN, name);
			struct lazy_family lf;
			lazy_init(&lf, w, fam, METRIC_GAUGE, "Generic gauge metric from SHOW GLOBAL VARIABLES.",
				  NULL);
			lazy_sample(&lf, NULL, v);
			continue;
		}
		/* the few text variables kept (their names need no prom_name) */
		if (strlen(name) >= sizeof(key))
			continue;
		for (size_t k = 0; (key[k] = (char)tolower((unsigned char)name[k])); k++)
			;
		if (!strcmp(key, "innodb_version"))
			innodb_version = val;
		else if (!strcmp(key, "version"))
			version = val;
		else if (!strcmp(key, "version_comment"))
			comment = val;
		else if (!strcmp(key, "wsrep_cluster_name"))
			cluster = val;
		else if (!strcmp(key, "wsrep_provider_options"))
			provider_opts = val;
		else if (!strcmp(key, "transaction_isolation"))
			isolation = val;
		else if (!strcmp(key, "tx_isolation"))
			tx_isolation = val;
	}
	struct lazy_family lf;
	static const char *const vlabels[] = { "innodb_version", "version", "version_comment", NULL };
	const char *vvalues[] = { innodb_version, version, comment, NULL };
	lazy_init(&lf, w, "mysql_version_info", METRIC_GAUGE, "MySQL version and distribution.", vlabels);
	lazy_sample(&lf, vvalues, 1);
	if (*cluster) {
		static const char *const labels[] = { "wsrep_cluster_name", NULL };
		const char *values[] = { cluster, NULL };
		lazy_init(&lf, w, "mysql_galera_variables_info", METRIC_GAUGE,
			  "PXC/Galera variables information.", labels);
		lazy_sample(&lf, values, 1);
	}
	if (*provider_opts) {
		lazy_init(&lf, w, "mysql_galera_gcache_size_bytes", METRIC_GAUGE, "PXC/Galera gcache size.",
			  NULL);
		lazy_sample(&lf, NULL, gcache_size(provider_opts));
	}
	if (*isolation || *tx_isolation) {
		static const char *const labels[] = { "level", NULL };
		const char *values[] = { *isolation ? isolation : tx_isolation, NULL };
		lazy_init(&lf, w, "mysql_transaction_isolation", METRIC_GAUGE, "MySQL transaction isolation.",
			  labels);
		lazy_sample(&lf, values, 1);
	}
	return 0;
}

const struct collector collector_global_variables = {
	.name = "global_variables",
	.default_on = true,
	.help = "Collect from SHOW GLOBAL VARIABLES",
	.query = gv_query,
	.parse = gv_parse,
	.variants = 2,
	.fallback_any_error = true,
};
