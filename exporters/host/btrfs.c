/*
 * btrfs: the sysfs part of node_exporter 1.5's btrfs_linux.go (procfs
 * 0.8's btrfs package) from <sysfs>/fs/btrfs/<uuid>/ for every entry with a
 * '-' in its name (Go's Glob "*-*"; none or no fs/btrfs: success, no
 * series): node_btrfs_info{label,uuid}, _global_rsv_size_bytes{uuid},
 * _reserved_bytes{block_group_type,uuid}, _used_bytes, _size_bytes and
 * _allocation_ratio{block_group_type,mode,uuid} (one per directory under
 * allocation/{data,metadata,system}) and _device_size_bytes{device,uuid}
 * (devices/<name>/size x 512).  The uuid label is metadata_uuid's content,
 * or the directory's name when that is empty or missing.
 *
 * Values as the library reads them: one read of at most 128 bytes, trimmed,
 * strconv.ParseUint base 10 with its error ignored (garbage is 0, an
 * overflow 2^64-1), a missing file 0; after the first read error of a
 * reader every later value of that reader is 0.  The library's error
 * handling keeps only the last allocation directory's error (the
 * allocation/system reader overwrites everything before it), so only a
 * missing or unreadable allocation/system (or a read error under it) fails
 * the collector (success 0, no btrfs series); other read errors give zeros.
 *
 * Not here: node_exporter 1.5 also asks every mounted btrfs with ioctls
 * (BTRFS_IOC_FS_INFO/DEV_INFO/GET_DEV_STATS) and, when that works, exports
 * node_btrfs_device_size_bytes{btrfs_dev_uuid,device,uuid},
 * node_btrfs_device_unused_bytes and node_btrfs_device_errors_total{type}
 * instead of the sysfs device sizes; host-exporter always exports the
 * sysfs device sizes (see host-exporter(8)).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "sysdir.h"

enum kind { K_FS, K_ALLOC, K_LAYOUT, K_DEV };

struct rec {
	enum kind kind;
	unsigned fs;			/* index of the filesystem's record */
	const char *type;		/* K_ALLOC, K_LAYOUT: data/metadata/system */
	char name[NAME_MAX + 1];	/* K_FS: uuid; K_LAYOUT: mode; K_DEV: device */
	char label[SD_ATTR_MAX + 1];	/* K_FS */
	double v[3];
};

/* A reader of the library: the first error sticks (later values are 0). */
struct reader {
	char dir[PATH_MAX];
	int err;
};

static const char *rd_file(struct reader *r, const char *name, char *out)
{
	int e = sd_read_attr(r->dir, name, out);

	if (e < 0) {
		out[0] = '\0';
		if (e != -ENOENT)
			r->err = e;
	}
	return out;
}

static uint64_t rd_value(struct reader *r, const char *name)
{
	char buf[SD_ATTR_MAX + 1];
	uint64_t v = 0;
	int e;

	rd_file(r, name, buf);
	if (r->err)
		return 0;
	e = sd_parse_uint(buf, &v);
	return e == -ERANGE ? UINT64_MAX : e < 0 ? 0 : v;
}

static struct rec *rec_new(struct collector_ctx *c, size_t *n, enum kind k, unsigned fs)
{
	struct rbuf *arr = c->rb[0];
	struct rec *r;

	if (rbuf_reserve(arr, (*n + 1) * sizeof(struct rec)) < 0)
		return NULL;
	r = (struct rec *)(void *)arr->data + (*n)++;
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->fs = fs;
	return r;
}

static double ratio(const char *mode, size_t ndev)
{
	if (!strcmp(mode, "single") || !strcmp(mode, "raid0"))
		return 1;
	if (!strcmp(mode, "dup") || !strcmp(mode, "raid1") || !strcmp(mode, "raid10"))
		return 2;
	if (!strcmp(mode, "raid5"))
		return (double)ndev / ((double)ndev - 1);
	if (!strcmp(mode, "raid6"))
		return (double)ndev / ((double)ndev - 2);
	return 0;
}

/* allocation/<type>: its reader's error (0 or negative errno). */
static int read_alloc(struct collector_ctx *c, const char *fsdir, const char *type, unsigned fs,
		      size_t ndev, size_t *n)
{
	static const char *const before[] = { "bytes_may_use", "bytes_pinned", "bytes_readonly" };
	static const char *const after[] = { "bytes_used", "disk_used", "disk_total", "flags",
		"total_bytes", "total_bytes_pinned" };
	struct reader sr = { .err = 0 };
	struct sd_ent *ents;
	struct rec *a;
	size_t ne = 0;
	double reserved;
	int e;

	if ((size_t)snprintf(sr.dir, sizeof(sr.dir), "%s/allocation/%s", fsdir, type) >= sizeof(sr.dir))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < 3; i++)
		(void)rd_value(&sr, before[i]);
	reserved = (double)rd_value(&sr, "bytes_reserved");
	for (size_t i = 0; i < 6; i++)
		(void)rd_value(&sr, after[i]);
	if (!(a = rec_new(c, n, K_ALLOC, fs)))
		return -ENOMEM;
	a->type = type;
	a->v[0] = reserved;
	if ((e = sd_list(sr.dir, c->rb[1], c->rb[2], &ne)) < 0)
		return sr.err = e;	/* no layouts */
	ents = (struct sd_ent *)(void *)c->rb[2]->data;
	for (size_t i = 0; i < ne; i++) {
		char rel[NAME_MAX + 32];
		struct rec *l;

		if (ents[i].type != DT_DIR)
			continue;
		if (!(l = rec_new(c, n, K_LAYOUT, fs)))
			return -ENOMEM;
		l->type = type;
		snprintf(l->name, sizeof(l->name), "%s", ents[i].name);
		snprintf(rel, sizeof(rel), "%s/total_bytes", ents[i].name);
		l->v[1] = (double)rd_value(&sr, rel);
		snprintf(rel, sizeof(rel), "%s/used_bytes", ents[i].name);
		l->v[0] = (double)rd_value(&sr, rel);
		l->v[2] = ratio(ents[i].name, ndev);
	}
	return sr.err;
}

static int read_fs(struct collector_ctx *c, const char *fsdir, const char *base, unsigned fs, size_t *n)
{
	static const char *const vals[] = { "clone_alignment", "nodesize", "quota_override",
		"sectorsize", "allocation/global_rsv_reserved" };
	struct reader r = { .err = 0 };
	char buf[SD_ATTR_MAX + 1], devdir[PATH_MAX + 16];
	size_t ndev = 0, nf = 0;
	struct rec *f;
	double rsv;
	int e;

	snprintf(r.dir, sizeof(r.dir), "%s", fsdir);
	if (!rec_new(c, n, K_FS, fs))
		return -ENOMEM;
	/* devices first (their count gives raid5/6 ratios) */
	snprintf(devdir, sizeof(devdir), "%s/devices", fsdir);
	if ((e = sd_list(devdir, c->rb[1], c->rb[2], &ndev)) < 0) {
		r.err = e;
		ndev = 0;
	}
	for (size_t i = 0; i < ndev; i++) {
		const struct sd_ent *ents = (const struct sd_ent *)(const void *)c->rb[2]->data;
		char rel[NAME_MAX + 32];
		struct rec *d;

		if (!(d = rec_new(c, n, K_DEV, fs)))
			return -ENOMEM;
		snprintf(d->name, sizeof(d->name), "%s", ents[i].name);
		snprintf(rel, sizeof(rel), "devices/%s/size", ents[i].name);
		d->v[0] = (double)(512 * rd_value(&r, rel));
	}
	f = (struct rec *)(void *)c->rb[0]->data + fs;
	rd_file(&r, "label", f->label);
	rd_file(&r, "metadata_uuid", buf);
	snprintf(f->name, sizeof(f->name), "%s", buf[0] ? buf : base);
	snprintf(devdir, sizeof(devdir), "%s/features", fsdir);
	if ((e = sd_list(devdir, c->rb[1], c->rb[2], &nf)) < 0)
		r.err = e;
	for (size_t i = 0; i < 5; i++)
		(void)rd_value(&r, vals[i]);
	rsv = (double)rd_value(&r, "allocation/global_rsv_size");
	((struct rec *)(void *)c->rb[0]->data + fs)->v[0] = rsv;
	/* each allocation reader's error replaces the one before */
	for (size_t i = 0; i < 3; i++) {
		static const char *const types[] = { "data", "metadata", "system" };

		e = read_alloc(c, fsdir, types[i], fs, ndev, n);
		if (e == -ENOMEM || e == -EFBIG)
			return ctx_error(c, e, "too many btrfs records");
	}
	if (e < 0)
		return ctx_error(c, e, "failed to retrieve Btrfs stats from procfs: %s/allocation/system: %s",
				 fsdir, strerror(-e));
	return 0;
}

static const struct fam {
	enum kind kind;
	int idx;
	const char *name, *help;
} fams[] = {
	{ K_FS, -1, "node_btrfs_info", "Filesystem information" },
	{ K_FS, 0, "node_btrfs_global_rsv_size_bytes", "Size of global reserve." },
	{ K_ALLOC, 0, "node_btrfs_reserved_bytes", "Amount of space reserved for a data type" },
	{ K_LAYOUT, 0, "node_btrfs_used_bytes", "Amount of used space by a layout/data type" },
	{ K_LAYOUT, 1, "node_btrfs_size_bytes", "Amount of space allocated for a layout/data type" },
	{ K_LAYOUT, 2, "node_btrfs_allocation_ratio", "Data allocation ratio for a layout/data type" },
	{ K_DEV, 0, "node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem." },
};

static int collect_btrfs(struct collector_ctx *c, struct metrics_writer *w)
{
	/* client_golang writes label pairs sorted by name */
	static const char *const l_info[] = { "label", "uuid", NULL };
	static const char *const l_fs[] = { "uuid", NULL };
	static const char *const l_alloc[] = { "block_group_type", "uuid", NULL };
	static const char *const l_layout[] = { "block_group_type", "mode", "uuid", NULL };
	static const char *const l_dev[] = { "device", "uuid", NULL };
	char dir[PATH_MAX], fsdir[PATH_MAX];
	size_t n = 0, count[4] = { 0 };
	struct dirent *de;
	struct rec *recs;
	int r;
	DIR *d;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "fs/btrfs")) < 0)
		return ctx_error(c, r, "%s/fs/btrfs: path too long", c->cfg->sysfs);
	if (!(d = opendir(dir)))
		return 0;	/* Glob: an unreadable directory matches nothing */
	while ((de = readdir(d))) {
		if (!strchr(de->d_name, '-'))
			continue;
		if ((size_t)snprintf(fsdir, sizeof(fsdir), "%s/%s", dir, de->d_name) >= sizeof(fsdir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", dir, de->d_name);
			break;
		}
		if ((r = read_fs(c, fsdir, de->d_name, (unsigned)n, &n)) < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	recs = (struct rec *)(void *)c->rb[0]->data;
	for (size_t i = 0; i < n; i++)
		count[recs[i].kind]++;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		enum kind k = fams[f].kind;
		const char *const *ln = k == K_FS ? (fams[f].idx < 0 ? l_info : l_fs)
				      : k == K_ALLOC ? l_alloc : k == K_LAYOUT ? l_layout : l_dev;

		if (!count[k])
			continue;
		if ((r = writer_family(w, fams[f].name, METRIC_GAUGE, fams[f].help, ln)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			const struct rec *x = &recs[i];
			const char *uuid = recs[x->fs].name;
			const char *lv[3];

			if (x->kind != k)
				continue;
			switch (k) {
			case K_FS:
				lv[0] = fams[f].idx < 0 ? x->label : uuid;
				lv[1] = uuid;
				break;
			case K_ALLOC:
				lv[0] = x->type, lv[1] = uuid;
				break;
			case K_LAYOUT:
				lv[0] = x->type, lv[1] = x->name, lv[2] = uuid;
				break;
			case K_DEV:
				lv[0] = x->name, lv[1] = uuid;
				break;
			}
			(void)writer_sample(w, lv, fams[f].idx < 0 ? 1 : x->v[fams[f].idx]);
		}
	}
	return 0;
}

const struct collector collector_btrfs = {
	.name = "btrfs", .default_on = true, .collect = collect_btrfs, .src = SRC_SYSFS,
};
