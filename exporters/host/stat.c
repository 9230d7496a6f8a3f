/*
 * stat: the system-wide lines of /proc/stat (proc(5)): intr, ctxt, btime,
 * processes, procs_running, procs_blocked, and softirq per vector with
 * --collector.stat.softirq.  As node_exporter 1.5's stat_linux.go.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "util.h"

static const struct {
	const char *key, *name, *help;
	enum metric_type type;
} stat_lines[] = {
	{ "intr", "node_intr_total", "Total number of interrupts serviced.", METRIC_COUNTER },
	{ "ctxt", "node_context_switches_total", "Total number of context switches.", METRIC_COUNTER },
	{ "processes", "node_forks_total", "Total number of forks.", METRIC_COUNTER },
	{ "btime", "node_boot_time_seconds", "Node boot time, in unixtime.", METRIC_GAUGE },
	{ "procs_running", "node_procs_running", "Number of processes in runnable state.", METRIC_GAUGE },
	{ "procs_blocked", "node_procs_blocked",
	  "Number of processes blocked waiting for I/O to complete.", METRIC_GAUGE },
};

#define NSTAT (sizeof(stat_lines) / sizeof(stat_lines[0]))

/* proc(5) softirq order; node_exporter's vector names. */
static const char *const softirq_names[] = { "hi", "timer", "net_tx", "net_rx", "block",
					     "block_iopoll", "tasklet", "sched", "hrtimer", "rcu" };

int collect_stat(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
	uint64_t val[NSTAT], soft[11];
	bool have[NSTAT] = { false };
	size_t nsoft = 0, i;
	const char *p;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "stat");
	if (r < 0)
		return r;
	for (p = b->data; *p;) {
		const char *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		for (i = 0; i < NSTAT; i++) {
			size_t kl = strlen(stat_lines[i].key);

			if (strncmp(p, stat_lines[i].key, kl) == 0 && p[kl] == ' ') {
				/* intr: the first number is the total. */
				if (scan_u64s(p + kl, &val[i], 1) == 1)
					have[i] = true;
				break;
			}
		}
		if (strncmp(p, "softirq ", 8) == 0)
			nsoft = scan_u64s(p + 8, soft, 11);
		p = *eol ? eol + 1 : eol;
	}
	for (i = 0; i < NSTAT; i++) {
		if (!have[i])
			continue;
		r = wr_one_u64(w, stat_lines[i].name, stat_lines[i].type, stat_lines[i].help, val[i]);
		if (r < 0)
			return r;
	}
	if (c->cfg->stat_softirq && nsoft > 1) {
		static const char *const vl[] = { "vector", NULL };

		r = writer_family(w, "node_softirqs_total", METRIC_COUNTER,
				  "Number of softirq calls.", vl);
		if (r < 0)
			return r;
		for (i = 1; i < nsoft && i <= 10; i++) {
			const char *lv[] = { softirq_names[i - 1] };

			r = writer_sample_u64(w, lv, soft[i]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static const struct flag stat_flags[] = {
	{ .name = "collector.stat.softirq", .type = FLAG_BOOL, .dst = &host_cfg.stat_softirq,
	  .def = "false", .help = "Export softirq calls per vector." },
};

const struct collector collector_stat = {
	.name = "stat", .default_on = true, .collect = collect_stat, .src = SRC_PROCFS,
	COLLECTOR_FLAGS(stat_flags),
};
