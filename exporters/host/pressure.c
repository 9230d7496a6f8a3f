/*
 * pressure: PSI totals from /proc/pressure/{cpu,io,memory} (kernel
 * Documentation/accounting/psi.rst: "some|full avg10=.. avg60=.. avg300=..
 * total=<us>").  As node_exporter 1.5's pressure_linux.go: cpu exports only
 * "some" (waiting); io and memory export some (waiting) and full (stalled).
 * A kernel without PSI (no cpu file) is -ENODATA.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "util.h"

static int psi_total(const char *data, const char *kind, double *ret)
{
	const char *p = data;
	size_t kl = strlen(kind);

	while (p && *p) {
		if (strncmp(p, kind, kl) == 0 && p[kl] == ' ') {
			const char *t = strstr(p, "total=");
			const char *eol = strchr(p, '\n');
			uint64_t v;

			if (!t || (eol && t > eol) || scan_u64s(t + 6, &v, 1) != 1)
				return -EINVAL;
			*ret = (double)v / 1e6;	/* microseconds */
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int collect_pressure(struct collector_ctx *c, struct metrics_writer *w)
{
	static const struct {
		const char *file, *kind, *name, *help;
	} m[] = {
		{ "pressure/cpu", "some", "node_pressure_cpu_waiting_seconds_total",
		  "Total time in seconds that processes have waited for CPU time" },
		{ "pressure/io", "some", "node_pressure_io_waiting_seconds_total",
		  "Total time in seconds that processes have waited due to IO congestion" },
		{ "pressure/io", "full", "node_pressure_io_stalled_seconds_total",
		  "Total time in seconds no process could make progress due to IO congestion" },
		{ "pressure/memory", "some", "node_pressure_memory_waiting_seconds_total",
		  "Total time in seconds that processes have waited for memory" },
		{ "pressure/memory", "full", "node_pressure_memory_stalled_seconds_total",
		  "Total time in seconds no process could make progress due to memory congestion" },
	};
	struct rbuf *b = c->rb[0];
	const char *loaded = NULL;
	size_t i;
	int r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		double v;

		if (!loaded || strcmp(loaded, m[i].file) != 0) {
			r = pf_read(c, b, c->cfg->procfs, m[i].file);
			if (r == -ENOENT && i == 0) {
				/* No PSI: node_exporter's ErrNoData. */
				snprintf(c->err, sizeof(c->err), "pressure information is unavailable, you need a Linux kernel >= 4.20 and/or CONFIG_PSI enabled for your kernel");
				return -ENODATA;
			}
			if (r < 0)
				return r;
			loaded = m[i].file;
		}
		r = psi_total(b->data, m[i].kind, &v);
		if (r < 0)
			return ctx_error(c, -EINVAL, "no \"%s ... total=\" line in %s/%s", m[i].kind,
					 c->cfg->procfs, m[i].file);
		r = wr_one(w, m[i].name, METRIC_COUNTER, m[i].help, v);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct collector collector_pressure = {
	.name = "pressure", .default_on = true, .collect = collect_pressure, .src = SRC_PROCFS,
};
