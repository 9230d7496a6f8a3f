/*
 * loadavg: node_load1/5/15 from the first three fields of /proc/loadavg
 * (proc(5)); as node_exporter 1.5's loadavg_linux.go.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "util.h"

int collect_loadavg(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const names[] = { "node_load1", "node_load5", "node_load15" };
	static const char *const helps[] = { "1m load average.", "5m load average.", "15m load average." };
	struct rbuf *b = c->rb[0];
	char *f[3];
	double v[3];
	int r, i;

	r = pf_read(c, b, c->cfg->procfs, "loadavg");
	if (r < 0)
		return r;
	if (pf_split(b->data, f, 3) != 3)
		return ctx_error(c, -EINVAL, "unexpected content in %s/loadavg", c->cfg->procfs);
	for (i = 0; i < 3; i++)
		if (pf_double(f[i], &v[i]) < 0)
			return ctx_error(c, -EINVAL, "could not parse load %d in %s/loadavg", i,
					 c->cfg->procfs);
	for (i = 0; i < 3; i++) {
		r = wr_one(w, names[i], METRIC_GAUGE, helps[i], v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct collector collector_loadavg = {
	.name = "loadavg", .default_on = true, .collect = collect_loadavg, .src = SRC_PROCFS,
};
