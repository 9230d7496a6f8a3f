/*
 * diskstats: node_disk_* from /proc/diskstats (Documentation/admin-guide/
 * iostats.rst): "major minor name" then 11 (kernel < 4.18), 15 (+discard,
 * 4.18) or 17 (+flush, 5.5) counters; a line with fewer than 14 fields in
 * all (old partition lines) is skipped, and only the families a line has are
 * exported for it — as node_exporter 1.5's diskstats_linux.go with procfs.
 * Sectors are 512 bytes whatever the device (iostats.rst), times are ms.
 * node_disk_info{device,major,minor,model,path,revision,serial,wwn} takes
 * its labels from udev's database (<udev.data>/b<maj>:<min>, "E:KEY=value").
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

#define NSTATS 17

static const struct {
	const char *name, *help;
	enum metric_type type;
	int scale;	/* 0 raw, 1 sectors->bytes, 2 ms->s */
} fams[NSTATS] = {
	{ "node_disk_reads_completed_total", "The total number of reads completed successfully.", METRIC_COUNTER, 0 },
	{ "node_disk_reads_merged_total", "The total number of reads merged.", METRIC_COUNTER, 0 },
	{ "node_disk_read_bytes_total", "The total number of bytes read successfully.", METRIC_COUNTER, 1 },
	{ "node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", METRIC_COUNTER, 2 },
	{ "node_disk_writes_completed_total", "The total number of writes completed successfully.", METRIC_COUNTER, 0 },
	{ "node_disk_writes_merged_total", "The number of writes merged.", METRIC_COUNTER, 0 },
	{ "node_disk_written_bytes_total", "The total number of bytes written successfully.", METRIC_COUNTER, 1 },
	{ "node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", METRIC_COUNTER, 2 },
	{ "node_disk_io_now", "The number of I/Os currently in progress.", METRIC_GAUGE, 0 },
	{ "node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", METRIC_COUNTER, 2 },
	{ "node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", METRIC_COUNTER, 2 },
	{ "node_disk_discards_completed_total", "The total number of discards completed successfully.", METRIC_COUNTER, 0 },
	{ "node_disk_discards_merged_total", "The total number of discards merged.", METRIC_COUNTER, 0 },
	{ "node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", METRIC_COUNTER, 0 },
	{ "node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", METRIC_COUNTER, 2 },
	{ "node_disk_flush_requests_total", "The total number of flush requests completed successfully", METRIC_COUNTER, 0 },
	{ "node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", METRIC_COUNTER, 2 },
};

struct disk {
	const char *name;
	char major[24], minor[24];
	unsigned nstats;
	uint64_t v[NSTATS];
};

/* udev properties node_disk_info carries; "" when udev has no record. */
static void udev_props(struct collector_ctx *c, const struct disk *d, char props[5][128])
{
	static const char *const keys[5] = { "E:ID_MODEL=", "E:ID_PATH=", "E:ID_REVISION=",
					     "E:ID_SERIAL_SHORT=", "E:ID_WWN=" };
	char rel[64], path[PATH_MAX], *cur, *line;
	struct rbuf *b = c->rb[2];
	int k;

	for (k = 0; k < 5; k++)
		props[k][0] = '\0';
	if (!c->cfg->udev_data || !*c->cfg->udev_data)
		return;
	snprintf(rel, sizeof(rel), "b%s:%s", d->major, d->minor);
	if (pf_path(path, sizeof(path), c->cfg->udev_data, rel) < 0 || pf_read_quiet(b, path) < 0)
		return;
	cur = b->data;
	while ((line = pf_next_line(&cur)))
		for (k = 0; k < 5; k++)
			if (has_prefix(line, keys[k]))
				snprintf(props[k], 128, "%s", line + strlen(keys[k]));
}

int collect_diskstats(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	static const char *const il[] = { "device", "major", "minor", "model", "path", "revision",
					  "serial", "wwn", NULL };
	struct rbuf *b = c->rb[0], *arr = c->rb[1];
	struct disk *disks;
	char *cur, *line;
	size_t nd = 0, i, f;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "diskstats");
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *fl[24];
		size_t n = pf_split(line, fl, 24), k;
		struct disk *d;

		if (n == 0)
			continue;
		if (n < 14)
			continue;	/* procfs keeps lines with >= 14 fields */
		if (device_filter_ignored(&c->cfg->disk_filter, fl[2]))
			continue;
		r = rbuf_reserve(arr, (nd + 1) * sizeof(struct disk));
		if (r < 0)
			return ctx_error(c, r, "out of memory");
		d = (struct disk *)(void *)arr->data + nd;
		memset(d, 0, sizeof(*d));
		d->name = fl[2];
		snprintf(d->major, sizeof(d->major), "%s", fl[0]);
		snprintf(d->minor, sizeof(d->minor), "%s", fl[1]);
		if (n > 3 + NSTATS)
			n = 3 + NSTATS;
		for (k = 3; k < n; k++)
			if (pf_u64(fl[k], &d->v[k - 3]) < 0)
				return ctx_error(c, -EINVAL, "invalid value in %s/diskstats for %s: %s",
						 c->cfg->procfs, d->name, fl[k]);
		d->nstats = (unsigned)(n - 3);
		nd++;
	}
	disks = (struct disk *)(void *)arr->data;

	if (nd) {
		r = writer_family(w, "node_disk_info", METRIC_GAUGE, "Info of /sys/block/<block_device>.", il);
		if (r < 0)
			return r;
	}
	for (i = 0; i < nd; i++) {
		char p[5][128];
		const char *lv[8];

		udev_props(c, &disks[i], p);
		lv[0] = disks[i].name;
		lv[1] = disks[i].major;
		lv[2] = disks[i].minor;
		lv[3] = p[0];
		lv[4] = p[1];
		lv[5] = p[2];
		lv[6] = p[3];
		lv[7] = p[4];
		(void)writer_sample(w, lv, 1);
	}
	for (f = 0; f < NSTATS; f++) {
		bool any = false;

		for (i = 0; i < nd && !any; i++)
			any = f < disks[i].nstats;
		if (!any)
			continue;
		r = writer_family(w, fams[f].name, fams[f].type, fams[f].help, dl);
		if (r < 0)
			return r;
		for (i = 0; i < nd; i++) {
			const char *lv[] = { disks[i].name };
			uint64_t v = disks[i].v[f];

			if (f >= disks[i].nstats)
				continue;
			if (fams[f].scale == 2)
				(void)writer_sample(w, lv, (double)v / 1000.0);
			else if (fams[f].scale == 1 && v <= UINT64_MAX / 512)
				(void)writer_sample_u64(w, lv, v * 512);
			else if (fams[f].scale == 1)
				(void)writer_sample(w, lv, (double)v * 512.0);
			else
				(void)writer_sample_u64(w, lv, v);
		}
	}
	return 0;
}

static const struct flag diskstats_flags[] = {
	{ .name = "collector.diskstats.device-exclude", .type = FLAG_STRING,
	  .dst = &host_cfg.disk_filter.exclude.src,
	  .def = "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$",
	  .help = "Regexp of diskstats devices to exclude (mutually exclusive to device-include).",
	  .check = host_regex_flag_check },
	{ .name = "collector.diskstats.device-include", .type = FLAG_STRING,
	  .dst = &host_cfg.disk_filter.include.src,
	  .help = "Regexp of diskstats devices to include (mutually exclusive to device-exclude).",
	  .check = device_filter_include_check },
};

static int diskstats_init(const struct flagset *fs, char *err, size_t errlen)
{
	device_filter_init(&host_cfg.disk_filter);
	return 0;
}

static void diskstats_teardown(void)
{
	device_filter_free(&host_cfg.disk_filter);
}

const struct collector collector_diskstats = {
	.name = "diskstats", .default_on = true, .collect = collect_diskstats, .src = SRC_UDEV,
	COLLECTOR_FLAGS(diskstats_flags), .init = diskstats_init, .teardown = diskstats_teardown,
};
