/*
 * conntrack: netfilter connection tracking, as node_exporter 1.5's
 * conntrack_linux.go: node_nf_conntrack_entries and _entries_limit from
 * /proc/sys/net/netfilter/nf_conntrack_{count,max} (one decimal each), then
 * node_nf_conntrack_stat_* summed over the per-CPU rows of
 * /proc/net/stat/nf_conntrack (a header line, then exactly 17 hex columns
 * per CPU, read by position as the procfs of node_exporter 1.5 does: entries,
 * [clashres or searched], found, new, invalid, ignore, delete, [delete_list or
 * chainlength], insert, insert_failed, drop, early_drop, icmp_error,
 * expect_new, expect_create, expect_delete, search_restart; another count is
 * an error, as there).  A missing
 * file means the module is not loaded: no data (what was read before stays,
 * as node_exporter sends it before it stops).  All gauges, as node_exporter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

/* One unsigned decimal from <procfs>/<rel>; -ENOENT quietly. */
static int read_u64(struct collector_ctx *c, const char *rel, uint64_t *ret)
{
	struct rbuf *b = c->rb[0];
	char *s, *e;
	int r;

	if ((r = pf_read_optional(c, b, c->cfg->procfs, rel)) < 0)
		return r;
	s = b->data;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	if (pf_u64(s, ret) < 0)
		return ctx_error(c, -EINVAL, "%s/%s: not an unsigned integer: \"%.40s\"", c->cfg->procfs, rel, s);
	return 0;
}

static int hex_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return 0;
}

int collect_conntrack(struct collector_ctx *c, struct metrics_writer *w)
{
	enum { FOUND, INVALID, IGNORE, INSERT, INSERT_FAILED, DROP, EARLY_DROP, SEARCH_RESTART, NSTAT };
	static const struct {
		const char *name, *help;
		int col;
	} st[NSTAT] = {
		[FOUND] = { "node_nf_conntrack_stat_found", "Number of searched entries which were successful.", 2 },
		[INVALID] = { "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked.", 4 },
		[IGNORE] = { "node_nf_conntrack_stat_ignore", "Number of packets seen which are already connected to a conntrack entry.", 5 },
		[INSERT] = { "node_nf_conntrack_stat_insert", "Number of entries inserted into the list.", 8 },
		[INSERT_FAILED] = { "node_nf_conntrack_stat_insert_failed", "Number of entries for which list insertion was attempted but failed.", 9 },
		[DROP] = { "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure.", 10 },
		[EARLY_DROP] = { "node_nf_conntrack_stat_early_drop", "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.", 11 },
		[SEARCH_RESTART] = { "node_nf_conntrack_stat_search_restart", "Number of conntrack table lookups which had to be restarted due to hashtable resizes.", 16 },
	};
	uint64_t v, sum[NSTAT] = { 0 };
	struct rbuf *b = c->rb[0];
	char *cur, *line;
	int r, ln = 0;

	if ((r = read_u64(c, "sys/net/netfilter/nf_conntrack_count", &v)) < 0)
		return r == -ENOENT ? -ENODATA : r;
	if ((r = wr_one_u64(w, "node_nf_conntrack_entries", METRIC_GAUGE,
			    "Number of currently allocated flow entries for connection tracking.", v)) < 0)
		return r;
	if ((r = read_u64(c, "sys/net/netfilter/nf_conntrack_max", &v)) < 0)
		return r == -ENOENT ? -ENODATA : r;
	if ((r = wr_one_u64(w, "node_nf_conntrack_entries_limit", METRIC_GAUGE,
			    "Maximum size of connection tracking table.", v)) < 0)
		return r;

	if ((r = pf_read_optional(c, b, c->cfg->procfs, "net/stat/nf_conntrack")) < 0)
		return r == -ENOENT ? -ENODATA : r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[64];
		uint64_t x[64];
		size_t n;

		if (ln++ == 0)
			continue;	/* the header */
		n = pf_split(line, f, 64);
		if (n == 0)
			continue;
		if (n != 17)
			return ctx_error(c, -EINVAL,
					 "%s/net/stat/nf_conntrack: line %d: %zu fields, not 17",
					 c->cfg->procfs, ln, n);
		for (size_t i = 0; i < n; i++)
			if (hex_u64(f[i], &x[i]) < 0)
				return ctx_error(c, -EINVAL, "%s/net/stat/nf_conntrack: line %d: bad number \"%.20s\"",
						 c->cfg->procfs, ln, f[i]);
		for (int i = 0; i < NSTAT; i++)
			sum[i] += x[st[i].col];
	}
	for (int i = 0; i < NSTAT; i++)
		if ((r = wr_one_u64(w, st[i].name, METRIC_GAUGE, st[i].help, sum[i])) < 0)
			return r;
	return 0;
}

const struct collector collector_conntrack = {
	.name = "conntrack", .default_on = true, .collect = collect_conntrack, .src = SRC_PROCFS,
};
