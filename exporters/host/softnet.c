/*
 * softnet: per-CPU packet processing from /proc/net/softnet_stat, as
 * node_exporter 1.5's softnet_linux.go over procfs 0.8's NetSoftnetStat:
 * one line per online CPU (numbered by line, from 0), hex columns; kernels
 * print 9 (< 2.6.36 era layouts still pad to 9), 10, 11 (+ received_rps,
 * flow_limit_count), 13 (+ backlog length, cpu index) or more columns;
 * node_exporter 1.5 needs at least 9 and reads only the first three:
 * processed, dropped, time_squeeze (each a 32-bit hex value; anything else
 * fails the whole file, no series).  A missing file is an error there too.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

#define SOFTNET_MIN_COLUMNS 9

int collect_softnet(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const names[] = { "cpu", NULL };
	static const struct {
		const char *name, *help;
	} fam[3] = {
		{ "node_softnet_processed_total", "Number of processed packets" },
		{ "node_softnet_dropped_total", "Number of dropped packets" },
		{ "node_softnet_times_squeezed_total", "Number of times processing packets ran out of quota" },
	};
	struct rbuf *b = c->rb[0], *vals = c->rb[1];
	char *cur, *line;
	size_t ncpu = 0;
	uint32_t *v;
	int r;

	if ((r = pf_read(c, b, c->cfg->procfs, "net/softnet_stat")) < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[SOFTNET_MIN_COLUMNS];
		size_t n;

		go_trim_cr(line, strlen(line));
		n = go_fields(line, f, SOFTNET_MIN_COLUMNS);
		if (n < SOFTNET_MIN_COLUMNS)
			return ctx_error(c, -EINVAL,
					 "could not get softnet statistics: failed to parse /proc/net/softnet_stat: %zu columns were detected, but at least %d were expected",
					 n, SOFTNET_MIN_COLUMNS);
		if ((r = rbuf_reserve(vals, (ncpu + 1) * 3 * sizeof(uint32_t))) < 0)
			return ctx_error(c, r, "softnet: %s", strerror(-r));
		v = (uint32_t *)(void *)vals->data + ncpu * 3;
		for (int i = 0; i < 3; i++) {
			uint64_t x;

			if (go_parse_uint(f[i], 16, 32, &x) < 0)
				return ctx_error(c, -EINVAL,
						 "could not get softnet statistics: failed to parse /proc/net/softnet_stat: bad hex value \"%.40s\" on CPU %zu",
						 f[i], ncpu);
			v[i] = (uint32_t)x;
		}
		ncpu++;
	}
	v = (uint32_t *)(void *)vals->data;
	for (int i = 0; i < 3 && ncpu; i++) {
		if ((r = writer_family(w, fam[i].name, METRIC_COUNTER, fam[i].help, names)) < 0)
			return r;
		for (size_t k = 0; k < ncpu; k++) {
			char cpu[24];

			xsnprintf(cpu, sizeof(cpu), "%zu", k);
			if ((r = writer_sample(w, (const char *const[]){ cpu }, (double)v[k * 3 + i])) < 0)
				return r;
		}
	}
	return 0;
}

const struct collector collector_softnet = {
	.name = "softnet", .default_on = true, .collect = collect_softnet, .src = SRC_PROCFS,
};
