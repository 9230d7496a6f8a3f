/*
 * schedstat: per-CPU scheduler statistics from /proc/schedstat
 * (Documentation/scheduler/sched-stats.rst), as node_exporter 1.5's
 * schedstat_linux.go over procfs 0.8's Schedstat: a line matches when it
 * contains "cpu<N>" followed by nine single-space-separated decimal fields
 * (the regular expression cpu(\d+) (\d+) x9, unanchored); the 7th, 8th and
 * 9th are the time spent running and waiting (ns since CFS, though the
 * kernel document says jiffies) and the timeslices run.  Other lines
 * (version, timestamp, domain<N>) are skipped, as is a line whose value
 * overflows 64 bits.  A missing file (no CONFIG_SCHEDSTATS) is no data.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

struct sched_cpu {
	char num[24];	/* the digits after "cpu", as written */
	uint64_t run_ns, wait_ns, slices;
};

/* Digits at s: their count (0: none). */
static size_t digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/*
 * The leftmost match of cpu(\d+)( \d+){9} in line (each \d+ greedy: a run of
 * digits ends at the space that must follow it); 1 with the CPU number and
 * the last three values, 0 without a match, -ERANGE on an overflow.
 */
static int match_line(const char *line, struct sched_cpu *ret)
{
	for (const char *p = line; (p = strstr(p, "cpu")); p++) {
		const char *s = p + 3, *val[9];
		size_t n = digits(s), nlen = n, vlen[9];
		int i;

		if (!n)
			continue;
		s += n;
		for (i = 0; i < 9; i++) {
			if (*s != ' ' || !(n = digits(s + 1)))
				break;
			val[i] = s + 1;
			vlen[i] = n;
			s += 1 + n;
		}
		if (i < 9)
			continue;
		if (nlen >= sizeof(ret->num))
			return -ERANGE;
		memcpy(ret->num, p + 3, nlen);
		ret->num[nlen] = '\0';
		uint64_t *dst[3] = { &ret->run_ns, &ret->wait_ns, &ret->slices };
		for (i = 0; i < 3; i++) {
			char tmp[32];

			if (vlen[6 + i] >= sizeof(tmp))
				return -ERANGE;
			memcpy(tmp, val[6 + i], vlen[6 + i]);
			tmp[vlen[6 + i]] = '\0';
			if (go_parse_uint(tmp, 10, 64, dst[i]) < 0)
				return -ERANGE;
		}
		return 1;
	}
	return 0;
}

int collect_schedstat(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const names[] = { "cpu", NULL };
	static const struct {
		const char *name, *help;
	} fam[3] = {
		{ "node_schedstat_running_seconds_total", "Number of seconds CPU spent running a process." },
		{ "node_schedstat_waiting_seconds_total", "Number of seconds spent by processing waiting for this CPU." },
		{ "node_schedstat_timeslices_total", "Number of timeslices executed by CPU." },
	};
	struct rbuf *b = c->rb[0], *cpus = c->rb[1];
	struct sched_cpu *cp;
	char *cur, *line;
	size_t ncpu = 0;
	int r;

	r = pf_read_optional(c, b, c->cfg->procfs, "schedstat");
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		struct sched_cpu one;

		go_trim_cr(line, strlen(line));
		if (match_line(line, &one) != 1)
			continue;	/* no match, or a value past 64 bits: skipped */
		if ((r = rbuf_reserve(cpus, (ncpu + 1) * sizeof(one))) < 0)
			return ctx_error(c, r, "schedstat: %s", strerror(-r));
		memcpy(cpus->data + ncpu * sizeof(one), &one, sizeof(one));
		ncpu++;
	}
	cp = (struct sched_cpu *)(void *)cpus->data;
	for (int i = 0; i < 3 && ncpu; i++) {
		if ((r = writer_family(w, fam[i].name, METRIC_COUNTER, fam[i].help, names)) < 0)
			return r;
		for (size_t k = 0; k < ncpu; k++) {
			double v = i == 0 ? (double)cp[k].run_ns / 1e9 :
				   i == 1 ? (double)cp[k].wait_ns / 1e9 : (double)cp[k].slices;

			if ((r = writer_sample(w, (const char *const[]){ cp[k].num }, v)) < 0)
				return r;
		}
	}
	return 0;
}

const struct collector collector_schedstat = {
	.name = "schedstat", .default_on = true, .collect = collect_schedstat, .src = SRC_PROCFS,
};
