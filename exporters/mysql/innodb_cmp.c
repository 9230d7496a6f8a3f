/*
 * info_schema.innodb_cmp and info_schema.innodb_cmpmem: InnoDB's compressed
 * page statistics, information_schema.INNODB_CMP (per compressed page size)
 * and INNODB_CMPMEM (per page size and buffer pool instance), as
 * mysqld_exporter 0.14's collector/info_schema_innodb_cmp{,mem}.go:
 *   mysql_info_schema_innodb_cmp_*_total{page_size}
 *   mysql_info_schema_innodb_cmpmem_*_total{page_size,buffer_pool}
 * INNODB_CMP's COMPRESS_TIME/UNCOMPRESS_TIME are whole seconds (MariaDB KB:
 * "Information Schema INNODB_CMP Table"); INNODB_CMPMEM's RELOCATION_TIME is
 * microseconds, which 0.14 divides by 1000 (so its "seconds" are really
 * milliseconds): we keep 0.14's value, as a drop-in must.  The rows exist
 * (all zero) even without compressed tables.  Needs PROCESS.
 */
#include <errno.h>

#include "scrape.h"

static int cmp_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		     struct buf *sql)
{
	return buf_puts(sql, "SELECT page_size, compress_ops, compress_ops_ok, compress_time, "
			     "uncompress_ops, uncompress_time FROM information_schema.innodb_cmp");
}

#define S(c) (const struct perf_series[]){ { c, NULL, NULL, 0 } }, 1
static const struct perf_family cmp_fams[] = {
	{ "mysql_info_schema_innodb_cmp_compress_ops_total",
	  "Number of times a B-tree page of the size PAGE_SIZE has been compressed.", METRIC_COUNTER, 1,
	  S(1) },
	{ "mysql_info_schema_innodb_cmp_compress_ops_ok_total",
	  "Number of times a B-tree page of the size PAGE_SIZE has been successfully compressed.",
	  METRIC_COUNTER, 1, S(2) },
	{ "mysql_info_schema_innodb_cmp_compress_time_seconds_total",
	  "Total time in seconds spent in attempts to compress B-tree pages.", METRIC_COUNTER, 1, S(3) },
	{ "mysql_info_schema_innodb_cmp_uncompress_ops_total",
	  "Number of times a B-tree page of the size PAGE_SIZE has been uncompressed.", METRIC_COUNTER, 1,
	  S(4) },
	{ "mysql_info_schema_innodb_cmp_uncompress_time_seconds_total",
	  "Total time in seconds spent in uncompressing B-tree pages.", METRIC_COUNTER, 1, S(5) },
};

static int cmp_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "page_size", NULL };
	if (r->ncols < 6)
		return -EPROTO;
	return perf_emit(w, r, 1, labels, cmp_fams, sizeof(cmp_fams) / sizeof(cmp_fams[0]), NULL);
}

const struct collector collector_innodb_cmp = {
	.name = "info_schema.innodb_cmp",
	.default_on = true,
	.help = "Collect metrics from information_schema.innodb_cmp",
	.query = cmp_query,
	.parse = cmp_parse,
};

static int cmpmem_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
			struct buf *sql)
{
	return buf_puts(sql, "SELECT page_size, buffer_pool_instance, pages_used, pages_free, "
			     "relocation_ops, relocation_time FROM information_schema.innodb_cmpmem");
}

static const struct perf_family cmpmem_fams[] = {
	{ "mysql_info_schema_innodb_cmpmem_pages_used_total",
	  "Number of blocks of the size PAGE_SIZE that are currently in use.", METRIC_COUNTER, 1, S(2) },
	{ "mysql_info_schema_innodb_cmpmem_pages_free_total",
	  "Number of blocks of the size PAGE_SIZE that are currently available for allocation.",
	  METRIC_COUNTER, 1, S(3) },
	{ "mysql_info_schema_innodb_cmpmem_relocation_ops_total",
	  "Number of times a block of the size PAGE_SIZE has been relocated.", METRIC_COUNTER, 1, S(4) },
	{ "mysql_info_schema_innodb_cmpmem_relocation_time_seconds_total",
	  "Total time in seconds spent in relocating blocks.", METRIC_COUNTER, 1000, S(5) },
};

static int cmpmem_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "page_size", "buffer_pool", NULL };
	if (r->ncols < 6)
		return -EPROTO;
	return perf_emit(w, r, 2, labels, cmpmem_fams, sizeof(cmpmem_fams) / sizeof(cmpmem_fams[0]),
			 NULL);
}

const struct collector collector_innodb_cmpmem = {
	.name = "info_schema.innodb_cmpmem",
	.default_on = true,
	.help = "Collect metrics from information_schema.innodb_cmpmem",
	.query = cmpmem_query,
	.parse = cmpmem_parse,
};
