/*
 * diskstats: node_disk_* from /proc/diskstats (Documentation/admin-guide/
 * iostats.rst): "major minor name" then 11 (kernel < 4.18), 15 (+discard,
 * 4.18) or 17 (+flush, 5.5) counters; a line with fewer than 14 fields in
 * all (old partition lines) is skipped, and only the families a line has are
 * exported for it — as node_exporter 1.5's diskstats_linux.go with procfs.
 * Sectors are 512 bytes whatever the device (iostats.rst), times are ms.
 * node_disk_info{device,major,minor,model,path,revision,serial,wwn} takes
 * its labels from udev's database (<udev.data>/b<maj>:<min>, "E:KEY=value"
 * lines, udevadm(8); the last of a key wins, a trailing CR is dropped), and
 * so do, as in node_exporter 1.5, node_disk_filesystem_info{device,type,
 * usage,uuid,version} (when ID_FS_TYPE is set), node_disk_device_mapper_info
 * {device,name,uuid,vg_name,lv_name,lv_layer} (when DM_NAME is set) and, for
 * a disk with ID_ATA set, node_disk_ata_write_cache, _ata_write_cache_enabled
 * and _ata_rotation_rate_rpm from ID_ATA_WRITE_CACHE, ID_ATA_WRITE_CACHE_
 * ENABLED and ID_ATA_ROTATION_RATE_RPM, each only when present and a number
 * to Go's ParseFloat.  A disk without a udev record has empty labels and no
 * udev-only series.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The udev properties the families use (the keys after "E:"). */
enum { P_MODEL, P_PATH, P_REVISION, P_SERIAL, P_WWN, P_FS_TYPE, P_FS_USAGE, P_FS_UUID,
       P_FS_VERSION, P_DM_NAME, P_DM_UUID, P_DM_VG_NAME, P_DM_LV_NAME, P_DM_LV_LAYER, P_ATA,
       P_ATA_WRITE_CACHE, P_ATA_WRITE_CACHE_ENABLED, P_ATA_ROTATION_RATE_RPM, NPROPS };
static const char *const prop_keys[NPROPS] = {
	[P_MODEL] = "ID_MODEL", [P_PATH] = "ID_PATH", [P_REVISION] = "ID_REVISION",
	[P_SERIAL] = "ID_SERIAL_SHORT", [P_WWN] = "ID_WWN", [P_FS_TYPE] = "ID_FS_TYPE",
	[P_FS_USAGE] = "ID_FS_USAGE", [P_FS_UUID] = "ID_FS_UUID", [P_FS_VERSION] = "ID_FS_VERSION",
	[P_DM_NAME] = "DM_NAME", [P_DM_UUID] = "DM_UUID", [P_DM_VG_NAME] = "DM_VG_NAME",
	[P_DM_LV_NAME] = "DM_LV_NAME", [P_DM_LV_LAYER] = "DM_LV_LAYER", [P_ATA] = "ID_ATA",
	[P_ATA_WRITE_CACHE] = "ID_ATA_WRITE_CACHE",
	[P_ATA_WRITE_CACHE_ENABLED] = "ID_ATA_WRITE_CACHE_ENABLED",
	[P_ATA_ROTATION_RATE_RPM] = "ID_ATA_ROTATION_RATE_RPM",
};
#define NO_PROP UINT32_MAX

/* Offsets into the read buffer: /proc/diskstats first, then the udev values
 * appended after it (offsets, as appending may move the buffer). */
struct disk {
	uint32_t name;
	uint32_t prop[NPROPS];	/* NO_PROP: not in udev's record */
	char major[24], minor[24];
	unsigned nstats;
	uint64_t v[NSTATS];
};

static const char *prop(const struct rbuf *b, const struct disk *d, int k)
{
	return d->prop[k] == NO_PROP ? "" : b->data + d->prop[k];
}

/* Read the disk's udev record (if any) and append the values of prop_keys
 * to b (after b->len), recording their offsets in d.  *nodb: set when a
 * record is missing because udev's database directory is (a host or a
 * container without udev; checked once per scrape, at the first missing
 * record): the other disks' records are then not looked for (each would
 * be a failed open), and set, it only clears d's properties. */
static int udev_props(struct collector_ctx *c, struct rbuf *b, struct disk *d, int *nodb)
{
	char rel[64], path[PATH_MAX], *cur, *line;
	struct rbuf *u = c->rb[2];
	struct stat st;
	int k, r;

	for (k = 0; k < NPROPS; k++)
		d->prop[k] = NO_PROP;
	if (!c->cfg->udev_data || !*c->cfg->udev_data || *nodb > 0)
		return 0;
	snprintf(rel, sizeof(rel), "b%s:%s", d->major, d->minor);
	if (pf_path(path, sizeof(path), c->cfg->udev_data, rel) < 0)
		return 0;
	if ((r = pf_read_quiet(u, path)) < 0) {
		if (r == -ENOENT && *nodb == 0)
			*nodb = stat(c->cfg->udev_data, &st) < 0 && errno == ENOENT ? 1 : -1;
		return 0;
	}
	cur = u->data;
	while ((line = pf_next_line(&cur))) {
		size_t len = strlen(line), kl;
		const char *eq;

		if (len && line[len - 1] == '\r')	/* bufio.ScanLines */
			line[--len] = '\0';
		if (line[0] != 'E' || line[1] != ':' || !(eq = strchr(line + 2, '=')))
			continue;
		kl = (size_t)(eq - line - 2);
		for (k = 0; k < NPROPS; k++)
			if (strlen(prop_keys[k]) == kl && memcmp(line + 2, prop_keys[k], kl) == 0)
				break;
		if (k == NPROPS)
			continue;
		len -= kl + 3;
		if (b->len + 1 + len + 1 > UINT32_MAX - 1)
			return ctx_error(c, -EFBIG, "udev data too large");
		if ((r = rbuf_reserve(b, b->len + 1 + len + 1)) < 0)
			return ctx_error(c, r, "out of memory");
		memcpy(b->data + b->len + 1, eq + 1, len);
		b->data[b->len + 1 + len] = '\0';
		d->prop[k] = (uint32_t)(b->len + 1);
		b->len += len + 1;
	}
	return 0;
}

/* The families only udev's record gives (node_exporter 1.5 sends them per
 * disk after its counters; here family by family). */
static int udev_families(const struct rbuf *b, const struct disk *disks, size_t nd,
			 struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	static const char *const fsl[] = { "device", "type", "usage", "uuid", "version", NULL };
	/* (client_golang writes label names sorted) */
	static const char *const dml[] = { "device", "lv_layer", "lv_name", "name", "uuid", "vg_name", NULL };
	static const struct {
		int prop;
		const char *name, *help;
	} ata[] = {
		{ P_ATA_WRITE_CACHE, "node_disk_ata_write_cache", "ATA disk has a write cache." },
		{ P_ATA_WRITE_CACHE_ENABLED, "node_disk_ata_write_cache_enabled",
		  "ATA disk has its write cache enabled." },
		{ P_ATA_ROTATION_RATE_RPM, "node_disk_ata_rotation_rate_rpm",
		  "ATA disk rotation rate in RPMs (0 for SSDs)." },
	};
	bool fam = false;
	size_t i;
	int r;

	for (i = 0; i < nd; i++) {
		const struct disk *d = &disks[i];
		const char *lv[] = { b->data + d->name, prop(b, d, P_FS_TYPE), prop(b, d, P_FS_USAGE),
				     prop(b, d, P_FS_UUID), prop(b, d, P_FS_VERSION) };

		if (!*lv[1])
			continue;
		if (!fam && (r = writer_family(w, "node_disk_filesystem_info", METRIC_GAUGE,
					       "Info about disk filesystem.", fsl)) < 0)
			return r;
		fam = true;
		(void)writer_sample(w, lv, 1);
	}
	fam = false;
	for (i = 0; i < nd; i++) {
		const struct disk *d = &disks[i];
		const char *lv[] = { b->data + d->name, prop(b, d, P_DM_LV_LAYER), prop(b, d, P_DM_LV_NAME),
				     prop(b, d, P_DM_NAME), prop(b, d, P_DM_UUID), prop(b, d, P_DM_VG_NAME) };

		if (!*lv[3])
			continue;
		if (!fam && (r = writer_family(w, "node_disk_device_mapper_info", METRIC_GAUGE,
					       "Info about disk device mapper.", dml)) < 0)
			return r;
		fam = true;
		(void)writer_sample(w, lv, 1);
	}
	for (size_t a = 0; a < sizeof(ata) / sizeof(ata[0]); a++) {
		fam = false;
		for (i = 0; i < nd; i++) {
			const struct disk *d = &disks[i];
			const char *lv[] = { b->data + d->name };
			const char *s = prop(b, d, ata[a].prop);
			double v;

			if (!*prop(b, d, P_ATA) || d->prop[ata[a].prop] == NO_PROP ||
			    go_parse_float(s, strlen(s), &v) < 0)
				continue;
			if (!fam && (r = writer_family(w, ata[a].name, METRIC_GAUGE, ata[a].help, dl)) < 0)
				return r;
			fam = true;
			(void)writer_sample(w, lv, v);
		}
	}
	return 0;
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
	int r, nodb = 0;	/* udev_props() */

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
		d->name = (uint32_t)(fl[2] - b->data);
		snprintf(d->major, sizeof(d->major), "%s", fl[0]);
		snprintf(d->minor, sizeof(d->minor), "%s", fl[1]);
		if (n > 3 + NSTATS)
			n = 3 + NSTATS;
		for (k = 3; k < n; k++)
			if (pf_u64(fl[k], &d->v[k - 3]) < 0)
				return ctx_error(c, -EINVAL, "invalid value in %s/diskstats for %s: %s",
						 c->cfg->procfs, fl[2], fl[k]);
		d->nstats = (unsigned)(n - 3);
		nd++;
	}
	disks = (struct disk *)(void *)arr->data;
	if (b->len >= UINT32_MAX)
		return ctx_error(c, -EFBIG, "%s/diskstats too large", c->cfg->procfs);
	for (i = 0; i < nd; i++)
		if ((r = udev_props(c, b, &disks[i], &nodb)) < 0)
			return r;

	if (nd) {
		r = writer_family(w, "node_disk_info", METRIC_GAUGE, "Info of /sys/block/<block_device>.", il);
		if (r < 0)
			return r;
	}
	for (i = 0; i < nd; i++) {
		const struct disk *d = &disks[i];
		const char *lv[8] = { b->data + d->name, d->major, d->minor, prop(b, d, P_MODEL),
				      prop(b, d, P_PATH), prop(b, d, P_REVISION), prop(b, d, P_SERIAL),
				      prop(b, d, P_WWN) };

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
			const char *lv[] = { b->data + disks[i].name };
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
	return udev_families(b, disks, nd, w);
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
