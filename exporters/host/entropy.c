/*
 * entropy: node_entropy_available_bits and node_entropy_pool_size_bits from
 * /proc/sys/kernel/random/{entropy_avail,poolsize} (random(4)), as
 * node_exporter 1.5's entropy_linux.go (procfs KernelRandom: each file one
 * decimal; a missing one is an error naming it, after what was read).
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "util.h"

static int read_one(struct collector_ctx *c, const char *rel, const char *what, uint64_t *ret)
{
	char path[4096];
	struct rbuf *b = c->rb[0];
	char *v, *e;
	int r;

	if ((r = pf_path(path, sizeof(path), c->cfg->procfs, rel)) < 0)
		return ctx_error(c, r, "%s/%s: path too long", c->cfg->procfs, rel);
	r = pf_read_quiet(b, path);
	if (r < 0)
		return ctx_error(c, r, "couldn't get %s: %s: %s", what, path, strerror(-r));
	/* util.ReadUintFromFile: ParseUint(TrimSpace(content), 10, 64) */
	for (v = b->data; *v && strchr(" \t\n\r\v\f", *v); v++)
		;
	for (e = v + strlen(v); e > v && strchr(" \t\n\r\v\f", e[-1]); e--)
		;
	*e = '\0';
	if (pf_u64(v, ret) < 0)
		return ctx_error(c, -EINVAL, "failed to get kernel random stats: %s: not an unsigned integer",
				 path);
	return 0;
}

int collect_entropy(struct collector_ctx *c, struct metrics_writer *w)
{
	uint64_t v;
	int r;

	if ((r = read_one(c, "sys/kernel/random/entropy_avail", "entropy_avail", &v)) < 0)
		return r;
	if ((r = wr_one_u64(w, "node_entropy_available_bits", METRIC_GAUGE,
			    "Bits of available entropy.", v)) < 0)
		return r;
	if ((r = read_one(c, "sys/kernel/random/poolsize", "entropy poolsize", &v)) < 0)
		return r;
	return wr_one_u64(w, "node_entropy_pool_size_bits", METRIC_GAUGE, "Bits of entropy pool.", v);
}

const struct collector collector_entropy = {
	.name = "entropy", .default_on = true, .collect = collect_entropy, .src = SRC_PROCFS,
};
