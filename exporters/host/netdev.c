/*
 * netdev: node_network_{receive,transmit}_*_total{device} from /proc/net/dev
 * (net/core/net-procfs.c: "name: 8 receive then 8 transmit counters"), plus
 * receive_nohandler from sysfs (class/net/<dev>/statistics/rx_nohandler),
 * which node_exporter 1.5 gets over netlink and /proc/net/dev lacks.  Device
 * include/exclude as --collector.netdev.device-{include,exclude}.
 *
 * node_exporter 1.5 reads the statistics over netlink by default
 * (--collector.netdev.netlink): the same counters as /proc/net/dev once its
 * legacy names fold the detailed errors as the kernel's /proc file does,
 * plus rx_nohandler.  With --no-collector.netdev.netlink it reads
 * /proc/net/dev alone, so there is no receive_nohandler then, here either.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "sysdir.h"
#include "util.h"

static bool use_netlink;	/* --collector.netdev.netlink */

/*
 * rx_nohandler through kept descriptors (sysdir.h sd_keep), as netclass
 * keeps its attributes: a fresh open walks class/net/<dev> (a symlink) into
 * devices/...; three of them were a third of a default scrape's successful
 * opens here.  A descriptor is tied to the device's entry in class/net's
 * listing of the same scrape (name and d_ino), listed through a kept
 * descriptor (sd_kdir: lseek and one getdents64): a device renamed,
 * replaced or removed is read as a fresh open would read it.  Only on a
 * real sysfs; the listing's buffers belong to whoever holds lbusy (a
 * concurrent scrape opens afresh).
 */
static struct sd_keep kept;
static struct sd_kdir classdir = SD_KDIR_INIT;
static struct rbuf knames, kents;	/* under lbusy */
static _Atomic bool lbusy;

static const struct sd_ent *find_ent(const struct sd_ent *e, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {	/* the listing is sorted by name (byte order) */
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(e[mid].name, name);

		if (cmp == 0)
			return &e[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *const fields[] = {
	"receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo",
	"receive_frame", "receive_compressed", "receive_multicast",
	"transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo",
	"transmit_colls", "transmit_carrier", "transmit_compressed",
	"receive_nohandler",
};
#define NPROC 16
#define NFIELDS 17

struct dev {
	const char *name;
	uint64_t v[NFIELDS];
	bool nohandler;
};

int collect_netdev(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	struct rbuf *b = c->rb[0], *arr = c->rb[1], *tmp = c->rb[2];
	struct dev *devs;
	char *cur, *line;
	size_t ndev = 0, i, f;
	int r, lineno = 0;

	r = pf_read(c, b, c->cfg->procfs, "net/dev");
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *colon, *name;
		struct dev *d;
		uint64_t v[NPROC];

		if (++lineno <= 2)
			continue;	/* the two header lines */
		colon = strchr(line, ':');
		if (!colon)
			return ctx_error(c, -EINVAL, "invalid line in %s/net/dev: %s", c->cfg->procfs, line);
		*colon = '\0';
		name = line;
		while (*name == ' ')
			name++;
		if (!*name)
			continue;
		if (scan_u64s(colon + 1, v, NPROC) != NPROC)
			return ctx_error(c, -EINVAL, "invalid line in %s/net/dev for %s", c->cfg->procfs, name);
		if (device_filter_ignored(&c->cfg->netdev_filter, name))
			continue;
		r = rbuf_reserve(arr, (ndev + 1) * sizeof(struct dev));
		if (r < 0)
			return ctx_error(c, r, "out of memory");
		d = (struct dev *)(void *)arr->data + ndev++;
		d->name = name;
		memcpy(d->v, v, sizeof(v));
		d->v[NPROC] = 0;
		d->nohandler = false;
	}
	devs = (struct dev *)(void *)arr->data;
	if (use_netlink && ndev) {
		char base[PATH_MAX];
		const struct sd_ent *ents = NULL;
		size_t ne = 0;
		bool idle = false, listed = false, keep = false;

		if (pf_path(base, sizeof(base), c->cfg->sysfs, "class/net") == 0 &&
		    atomic_compare_exchange_strong(&lbusy, &idle, true)) {
			listed = true;
			if (sd_list_keep(&classdir, base, &knames, &kents, &ne) == 1 &&
			    (keep = sd_keep_begin(&kept, base, true)))
				ents = (const struct sd_ent *)(const void *)kents.data;
		}
		for (i = 0; i < ndev; i++) {
			char rel[PATH_MAX], path[PATH_MAX], val[SD_ATTR_MAX + 1];
			const struct sd_ent *e;
			uint64_t u;

			/* Optional (older kernels, fixtures without sysfs): skipped. */
			if (keep && (e = find_ent(ents, ne, devs[i].name)) != NULL) {
				struct sd_kdev *kd = sd_keep_dev(&kept, e);

				if (snprintf(path, sizeof(path), "%s/%s", base, e->name) < (int)sizeof(path) &&
				    sd_keep_read(kd, 0, path, "statistics/rx_nohandler", val) == 0 &&
				    scan_u64s(val, &u, 1) == 1) {
					devs[i].v[NPROC] = u;
					devs[i].nohandler = true;
				}
				continue;
			}
			if (snprintf(rel, sizeof(rel), "class/net/%s/statistics/rx_nohandler", devs[i].name) >=
				    (int)sizeof(rel) ||
			    pf_path(path, sizeof(path), c->cfg->sysfs, rel) < 0)
				continue;
			if (pf_read_quiet(tmp, path) == 0 && scan_u64s(tmp->data, &u, 1) == 1) {
				devs[i].v[NPROC] = u;
				devs[i].nohandler = true;
			}
		}
		if (keep)
			sd_keep_end(&kept);
		if (listed)
			atomic_store(&lbusy, false);
	}
	for (f = 0; f < NFIELDS; f++) {
		char name[96], help[96];
		bool any = false;

		for (i = 0; i < ndev && !any; i++)
			any = f < NPROC || devs[i].nohandler;
		if (!any)
			continue;
		str_join(name, sizeof(name), "node_network_", fields[f], "_total", (char *)NULL);
		str_join(help, sizeof(help), "Network device statistic ", fields[f], ".", (char *)NULL);
		r = writer_family(w, name, METRIC_COUNTER, help, dl);
		if (r < 0)
			return r;
		for (i = 0; i < ndev; i++) {
			const char *lv[] = { devs[i].name };

			if (f == NPROC && !devs[i].nohandler)
				continue;
			(void)writer_sample_u64(w, lv, devs[i].v[f]);
		}
	}
	return 0;
}

static const struct flag netdev_flags[] = {
	{ .name = "collector.netdev.device-include", .type = FLAG_STRING,
	  .dst = &host_cfg.netdev_filter.include.src,
	  .help = "Regexp of net devices to include (mutually exclusive to device-exclude).",
	  .check = device_filter_include_check },
	{ .name = "collector.netdev.device-exclude", .type = FLAG_STRING,
	  .dst = &host_cfg.netdev_filter.exclude.src, .def = "^lo$",
	  .help = "Regexp of net devices to exclude (mutually exclusive to device-include).",
	  .check = host_regex_flag_check },
	{ .name = "collector.netdev.netlink", .type = FLAG_BOOL, .dst = &use_netlink, .def = "true",
	  .help = "Use netlink to gather stats instead of /proc/net/dev." },
};

static int netdev_init(const struct flagset *fs, char *err, size_t errlen)
{
	device_filter_init(&host_cfg.netdev_filter);
	return 0;
}

static void netdev_teardown(void)
{
	device_filter_free(&host_cfg.netdev_filter);
	sd_keep_free(&kept);
	sd_kdir_close(&classdir);
	rbuf_free(&knames);
	rbuf_free(&kents);
}

const struct collector collector_netdev = {
	.name = "netdev", .default_on = true, .collect = collect_netdev, .src = SRC_SYSFS,
	COLLECTOR_FLAGS(netdev_flags), .init = netdev_init, .teardown = netdev_teardown,
};
