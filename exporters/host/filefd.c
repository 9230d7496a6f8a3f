/*
 * filefd: node_filefd_allocated / node_filefd_maximum from
 * /proc/sys/fs/file-nr ("allocated unused maximum", proc(5)).
 */
#include <errno.h>

#include "collector.h"
#include "util.h"

int collect_filefd(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
	uint64_t v[3];
	int r;

	r = pf_read(c, b, c->cfg->procfs, "sys/fs/file-nr");
	if (r < 0)
		return r;
	if (scan_u64s(b->data, v, 3) != 3)
		return ctx_error(c, -EINVAL, "unexpected content in %s/sys/fs/file-nr",
				 c->cfg->procfs);
	r = wr_one_u64(w, "node_filefd_allocated", METRIC_GAUGE,
		       "File descriptor statistics: allocated.", v[0]);
	if (r >= 0)
		r = wr_one_u64(w, "node_filefd_maximum", METRIC_GAUGE,
			       "File descriptor statistics: maximum.", v[2]);
	return r;
}

const struct collector collector_filefd = {
	.name = "filefd", .default_on = true, .collect = collect_filefd, .src = SRC_PROCFS,
};
