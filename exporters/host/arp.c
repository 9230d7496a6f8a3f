/*
 * arp: node_arp_entries{device}, the neighbour entries of /proc/net/arp
 * counted by interface (the last column), as node_exporter 1.5's
 * arp_linux.go: a header line (first field "IP") is skipped; every line
 * must have at least 6 fields (IP address, HW type, Flags, HW address,
 * Mask, Device) or the whole read fails.  --collector.arp.device-include /
 * --collector.arp.device-exclude filter the devices; unlike netdev's pair,
 * node_exporter 1.5 does not make them exclusive (both apply).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

static struct device_filter arp_filter;

struct arp_dev {
	const char *name;	/* into the read buffer */
	uint32_t n;
};

/* deviceFilter.ignored() of node_exporter 1.5: either pattern may reject
 * (device_filter_ignored() applies only one, as the exclusive pairs do). */
static bool arp_ignored(const char *name)
{
	return (arp_filter.exclude.re && host_regex_match(&arp_filter.exclude, name)) ||
	       (arp_filter.include.re && !host_regex_match(&arp_filter.include, name));
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct arp_dev *)a)->name, ((const struct arp_dev *)b)->name);
}

int collect_arp(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const names[] = { "device", NULL };
	struct rbuf *b = c->rb[0], *devs = c->rb[1];
	struct arp_dev *dv;
	char *cur, *line;
	size_t ndev = 0, i, fam = 0;
	int r;

	if ((r = pf_read(c, b, c->cfg->procfs, "net/arp")) < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[1] = { line }, *end, *dev;
		size_t len = strlen(line);

		go_trim_cr(line, len);
		if (go_fields(line, f, 0) < 6)
			return ctx_error(c, -EINVAL, "could not get ARP entries: unexpected ARP table format");
		/* the last field, NUL-terminated in place */
		end = line + strlen(line);
		while (end > line && go_space(end[-1]))
			end--;
		*end = '\0';
		dev = end;
		while (dev > line && !go_space(dev[-1]))
			dev--;
		go_fields(line, f, 1);	/* ends the first field */
		if (!strcmp(f[0], "IP"))
			continue;
		dv = (struct arp_dev *)(void *)devs->data;
		for (i = 0; i < ndev && strcmp(dv[i].name, dev); i++)
			;
		if (i == ndev) {
			if ((r = rbuf_reserve(devs, (ndev + 1) * sizeof(*dv))) < 0)
				return ctx_error(c, r, "arp: %s", strerror(-r));
			dv = (struct arp_dev *)(void *)devs->data;
			dv[ndev++] = (struct arp_dev){ .name = dev, .n = 0 };
		}
		dv[i].n++;
	}
	if (!ndev)
		return 0;
	dv = (struct arp_dev *)(void *)devs->data;
	qsort(dv, ndev, sizeof(*dv), cmp_dev);
	for (i = 0; i < ndev; i++) {
		if (arp_ignored(dv[i].name))
			continue;
		/* the family only with a sample (an empty one is not exposed) */
		if (!fam++ && (r = writer_family(w, "node_arp_entries", METRIC_GAUGE,
						 "ARP entries by device", names)) < 0)
			return r;
		if ((r = writer_sample(w, (const char *const[]){ dv[i].name }, (double)dv[i].n)) < 0)
			return r;
	}
	return 0;
}

static const struct flag arp_flags[] = {
	{ .name = "collector.arp.device-include", .type = FLAG_STRING, .dst = &arp_filter.include.src,
	  .help = "Regexp of arp devices to include (mutually exclusive to device-exclude).",
	  .check = host_regex_flag_check },
	{ .name = "collector.arp.device-exclude", .type = FLAG_STRING, .dst = &arp_filter.exclude.src,
	  .help = "Regexp of arp devices to exclude (mutually exclusive to device-include).",
	  .check = host_regex_flag_check },
};

static void arp_teardown(void)
{
	device_filter_free(&arp_filter);
}

const struct collector collector_arp = {
	.name = "arp", .default_on = true, .collect = collect_arp, .src = SRC_PROCFS,
	COLLECTOR_FLAGS(arp_flags), .teardown = arp_teardown,
};
