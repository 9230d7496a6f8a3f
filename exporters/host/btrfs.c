/*
 * btrfs: node_exporter 1.5's btrfs_linux.go.
 *
 * The sysfs part (procfs 0.8's btrfs package) from <sysfs>/fs/btrfs/<uuid>/
 * for every entry with a '-' in its name (Go's Glob "*-*"; none or no
 * fs/btrfs: success, no series): node_btrfs_info{label,uuid},
 * _global_rsv_size_bytes{uuid}, _reserved_bytes{block_group_type,uuid},
 * _used_bytes, _size_bytes and _allocation_ratio{block_group_type,mode,uuid}
 * (one per directory under allocation/{data,metadata,system}) and
 * _device_size_bytes{device,uuid} (devices/<name>/size x 512).  The uuid
 * label is metadata_uuid's content, or the directory's name when that is
 * empty or missing.
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
 * The ioctl part (node_exporter's getIoctlStats with dennwc/btrfs): every
 * btrfs of the mount table <procfs>/1/mounts (<procfs>/mounts when that is
 * missing; a line with fewer than 4 fields drops the whole ioctl part) is
 * opened at <rootfs> + mount point, once per mount source, if it is a
 * subvolume root (inode 256, a directory, statfs magic BTRFS_SUPER_MAGIC).
 * BTRFS_IOC_FS_INFO gives the fsid, max_id and num_devices; for devid 0 ..
 * max_id BTRFS_IOC_DEV_INFO (ENODEV: no such devid, next) and
 * BTRFS_IOC_GET_DEV_STATS (<linux/btrfs.h>) until num_devices answered; any
 * other failure skips that mount (another mount of the filesystem may do).
 * A sysfs filesystem whose uuid without dashes is such an fsid (lowercase
 * hex) then exports, per device, node_btrfs_device_size_bytes (total_bytes),
 * node_btrfs_device_unused_bytes (total_bytes - bytes_used) and
 * node_btrfs_device_errors_total{type=write|read|flush|corruption|generation}
 * with labels btrfs_dev_uuid (the device's uuid), device (the basename of its
 * path) and uuid, instead of the sysfs device sizes.  An ioctl failure never
 * fails the collector (node_exporter logs it at debug).  These calls take the
 * filesystem's device_list_mutex, so the collector runs on a pool worker
 * under the collector deadline (SRC_DEVICE).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>

#include "collector.h"
#include "sysattr.h"
#include "sysdir.h"

enum kind { K_FS, K_ALLOC, K_LAYOUT, K_DEV, K_IOFS, K_IODEV, K_NKIND };

/* The ioctl values of a device, in node_exporter's order. */
enum { IO_SIZE, IO_UNUSED, IO_ERRS, IO_NV = IO_ERRS + 5 };

struct rec {
	enum kind kind;
	unsigned fs;			/* index of the filesystem's record (K_IODEV: its K_IOFS) */
	const char *type;		/* K_ALLOC, K_LAYOUT: data/metadata/system */
	char name[NAME_MAX + 1];	/* K_FS: uuid; K_LAYOUT: mode; K_DEV, K_IODEV: device;
					 * K_IOFS: the mount source */
	char label[SD_ATTR_MAX + 1];	/* K_FS: label; K_IOFS: fsid (hex); K_IODEV: device uuid */
	double v[IO_NV];
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


/* ---- the ioctl part ---- */

static void hex_uuid(const unsigned char *u, char *out, bool dashes)
{
	static const char hx[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (dashes && (i == 4 || i == 6 || i == 8 || i == 10))
			*o++ = '-';
		*o++ = hx[u[i] >> 4];
		*o++ = hx[u[i] & 15];
	}
	*o = '\0';
}

/* dennwc/btrfs's Open(path, true): a subvolume root of a btrfs, opened
 * O_RDONLY|O_NOATIME.  The descriptor or negative errno. */
static int open_btrfs(const char *path)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_ino != BTRFS_FIRST_FREE_OBJECTID || !S_ISDIR(st.st_mode))
		return -ENOTTY;
	if (statfs(path, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != BTRFS_SUPER_MAGIC)
		return -ENOTTY;
	if ((fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

/* The devices of one filesystem as K_IODEV records after its K_IOFS at
 * index fs: 0, a negative errno of an ioctl (the mount is skipped: the
 * caller drops the records), -ENOMEM/-EFBIG. */
static int read_devices(struct collector_ctx *c, int fd, const struct btrfs_ioctl_fs_info_args *fi,
			unsigned fs, size_t *n)
{
	uint64_t found = 0;

	for (uint64_t id = 0; id <= fi->max_id; id++) {
		struct btrfs_ioctl_dev_info_args di;
		struct btrfs_ioctl_get_dev_stats ds;
		const char *base;
		struct rec *d;

		memset(&di, 0, sizeof(di));
		di.devid = id;
		if (ioctl(fd, BTRFS_IOC_DEV_INFO, &di) < 0) {
			if (errno == ENODEV)
				continue;	/* devids have gaps */
			return -errno;
		}
		memset(&ds, 0, sizeof(ds));
		ds.devid = id;
		ds.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
		if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &ds) < 0)
			return -errno;
		if (!(d = rec_new(c, n, K_IODEV, fs)))
			return -ENOMEM;
		di.path[sizeof(di.path) - 1] = '\0';
		base = strrchr((const char *)di.path, '/');
		base = base ? base + 1 : (const char *)di.path;
		snprintf(d->name, sizeof(d->name), "%.*s", (int)(sizeof(d->name) - 1), base);
		hex_uuid(di.uuid, d->label, true);
		d->v[IO_SIZE] = (double)di.total_bytes;
		d->v[IO_UNUSED] = (double)(di.total_bytes - di.bytes_used);	/* wraps as Go's */
		for (int i = 0; i < 5; i++)
			d->v[IO_ERRS + i] = (double)ds.values[BTRFS_DEV_STAT_WRITE_ERRS + i];
		if (++found == fi->num_devices)
			break;
	}
	return 0;
}

static bool fs_known(const struct rec *recs, size_t n, enum kind k, const char *s, bool by_label)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == k && !strcmp(by_label ? recs[i].label : recs[i].name, s))
			return true;
	return false;
}

/* Go's "\040" -> ' ', "\011" -> '\t' replacements, in place. */
static void unescape_mp(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] == '0' && s[2] == '4' && s[3] == '0')
			*o++ = ' ', s += 4;
		else if (s[0] == '\\' && s[1] == '0' && s[2] == '1' && s[3] == '1')
			*o++ = '\t', s += 4;
		else
			*o++ = *s++;
	}
	*o = '\0';
}

/* <rootfs> + the mount point as node_exporter's rootfsFilePath(
 * rootfsStripPrefix(mp)). */
static int mount_path(char *out, size_t size, const char *rootfs, const char *mp)
{
	size_t rl = strlen(rootfs);

	if (!strcmp(rootfs, "/"))
		return (size_t)snprintf(out, size, "%s", mp) >= size ? -ENAMETOOLONG : 0;
	if (!strncmp(mp, rootfs, rl))
		mp = mp[rl] ? mp + rl : "/";
	return pf_path(out, size, rootfs, mp);
}

/* Every mounted btrfs by ioctl, as K_IOFS + K_IODEV records (nothing when
 * the mount table cannot be read or parsed); -ENOMEM/-EFBIG only. */
static int read_ioctl(struct collector_ctx *c, size_t *n)
{
	struct rbuf *b = c->rb[1];
	char *line, *save = NULL;
	int r;

	r = pf_read_optional(c, b, c->cfg->procfs, "1/mounts");
	if (r == -ENOENT)
		r = pf_read_optional(c, b, c->cfg->procfs, "mounts");
	if (r < 0) {
		c->err[0] = '\0';	/* logged at debug by node_exporter; not a failure */
		return 0;
	}
	/* strings.Fields per line: any line with fewer than 4 fields drops all */
	for (const char *p = b->data; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int nf = 0;
		bool in = false;

		for (size_t i = 0; i < len; i++) {
			bool sp = p[i] == ' ' || p[i] == '\t' || p[i] == '\v' || p[i] == '\f' || p[i] == '\r';

			if (!sp && !in)
				nf++;
			in = !sp;
		}
		if (nf < 4)
			return 0;
		p += len + (e ? 1 : 0);
	}
	for (line = strtok_r(b->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sep = " \t\v\f\r";
		char *fsave = NULL, *dev, *mp, *type, path[PATH_MAX];
		struct btrfs_ioctl_fs_info_args fi;
		char fsid[33];
		size_t start = *n;
		struct rec *f;
		int fd;

		dev = strtok_r(line, sep, &fsave);
		mp = strtok_r(NULL, sep, &fsave);
		type = strtok_r(NULL, sep, &fsave);
		if (!dev || !mp || !type || strcmp(type, "btrfs"))
			continue;
		if (fs_known((const struct rec *)(const void *)c->rb[0]->data, *n, K_IOFS, dev, false))
			continue;	/* this filesystem, found by another mount point */
		unescape_mp(mp);
		if (mount_path(path, sizeof(path), c->cfg->rootfs, mp) < 0)
			continue;
		if ((fd = open_btrfs(path)) < 0)
			continue;
		memset(&fi, 0, sizeof(fi));
		if (ioctl(fd, BTRFS_IOC_FS_INFO, &fi) < 0) {
			close(fd);
			continue;
		}
		hex_uuid(fi.fsid, fsid, false);
		if (fs_known((const struct rec *)(const void *)c->rb[0]->data, *n, K_IOFS, fsid, true)) {
			close(fd);
			continue;
		}
		if (!(f = rec_new(c, n, K_IOFS, (unsigned)start))) {
			close(fd);
			return -ENOMEM;
		}
		snprintf(f->name, sizeof(f->name), "%s", dev);
		snprintf(f->label, sizeof(f->label), "%s", fsid);
		r = read_devices(c, fd, &fi, (unsigned)start, n);
		close(fd);
		if (r == -ENOMEM || r == -EFBIG)
			return r;
		if (r < 0)
			*n = start;	/* skipped: this mount gave no device stats */
	}
	return 0;
}

/* The K_IOFS record matching a sysfs filesystem's uuid, or -1. */
static long ioctl_match(const struct rec *recs, size_t n, const char *uuid)
{
	char plain[NAME_MAX + 1];
	size_t j = 0;

	for (const char *s = uuid; *s && j < sizeof(plain) - 1; s++)
		if (*s != '-')
			plain[j++] = *s;
	plain[j] = '\0';
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == K_IOFS && !strcmp(recs[i].label, plain))
			return (long)i;
	return -1;
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
	/* sysfs sizes of filesystems without ioctl data, then the ioctl ones */
	{ K_DEV, 0, "node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem." },
	{ K_IODEV, IO_UNUSED, "node_btrfs_device_unused_bytes",
	  "Unused bytes unused on a device that is part of the filesystem." },
	{ K_IODEV, IO_ERRS, "node_btrfs_device_errors_total", "Errors reported for the device" },
};

static int filter_dash(const struct dirent *d)
{
	return strchr(d->d_name, '-') != NULL;
}

/* The ioctl devices of every sysfs filesystem that has them: one family's
 * samples (idx: IO_SIZE, IO_UNUSED or IO_ERRS, five per device). */
static void write_iodev(struct metrics_writer *w, const struct rec *recs, size_t n, int idx)
{
	static const char *const types[] = { "write", "read", "flush", "corruption", "generation" };

	for (size_t f = 0; f < n; f++) {
		if (recs[f].kind != K_FS || recs[f].v[1] < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct rec *x = &recs[i];

			if (x->kind != K_IODEV || x->fs != (unsigned)recs[f].v[1])
				continue;
			if (idx != IO_ERRS) {
				const char *lv[] = { x->label, x->name, recs[f].name };

				(void)writer_sample(w, lv, x->v[idx]);
				continue;
			}
			for (int t = 0; t < 5; t++) {
				const char *lv[] = { x->label, x->name, types[t], recs[f].name };

				(void)writer_sample(w, lv, x->v[IO_ERRS + t]);
			}
		}
	}
}

static int collect_btrfs(struct collector_ctx *c, struct metrics_writer *w)
{
	/* client_golang writes label pairs sorted by name */
	static const char *const l_info[] = { "label", "uuid", NULL };
	static const char *const l_fs[] = { "uuid", NULL };
	static const char *const l_alloc[] = { "block_group_type", "uuid", NULL };
	static const char *const l_layout[] = { "block_group_type", "mode", "uuid", NULL };
	static const char *const l_dev[] = { "device", "uuid", NULL };
	static const char *const l_iodev[] = { "btrfs_dev_uuid", "device", "uuid", NULL };
	static const char *const l_ioerr[] = { "btrfs_dev_uuid", "device", "type", "uuid", NULL };
	char dir[PATH_MAX], fsdir[PATH_MAX];
	size_t n = 0, count[K_NKIND] = { 0 }, niodev = 0;
	struct dirent **ents = NULL;
	struct rec *recs;
	int r, ne;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "fs/btrfs")) < 0)
		return ctx_error(c, r, "%s/fs/btrfs: path too long", c->cfg->sysfs);
	if ((ne = sa_list(dir, filter_dash, &ents)) < 0)
		return 0;	/* Glob: an unreadable directory matches nothing */
	if (ne > 0 && (r = read_ioctl(c, &n)) < 0) {
		sa_free_list(ents, ne);
		return ctx_error(c, r, "too many btrfs records");
	}
	for (int i = 0; i < ne; i++) {
		if ((size_t)snprintf(fsdir, sizeof(fsdir), "%s/%s", dir, ents[i]->d_name) >= sizeof(fsdir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", dir, ents[i]->d_name);
			break;
		}
		if ((r = read_fs(c, fsdir, ents[i]->d_name, (unsigned)n, &n)) < 0)
			break;
	}
	sa_free_list(ents, ne);
	if (r < 0)
		return r;
	recs = (struct rec *)(void *)c->rb[0]->data;
	for (size_t i = 0; i < n; i++) {
		struct rec *x = &recs[i];

		if (x->kind == K_FS) {
			/* v[1]: the matching K_IOFS record, or -1 (sysfs device sizes) */
			long m = ioctl_match(recs, n, x->name);

			x->v[1] = (double)m;
			for (size_t j = 0; m >= 0 && j < n; j++)
				niodev += recs[j].kind == K_IODEV && recs[j].fs == (unsigned)m;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind != K_DEV || recs[recs[i].fs].v[1] < 0)
			count[recs[i].kind]++;
	count[K_IODEV] = niodev;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		enum kind k = fams[f].kind;
		const char *const *ln = k == K_FS ? (fams[f].idx < 0 ? l_info : l_fs)
				      : k == K_ALLOC ? l_alloc : k == K_LAYOUT ? l_layout
				      : k == K_DEV ? (count[K_DEV] ? l_dev : l_iodev)
				      : fams[f].idx == IO_ERRS ? l_ioerr : l_iodev;

		if (!count[k] && !(k == K_DEV && niodev))
			continue;
		if ((r = writer_family(w, fams[f].name,
				       k == K_IODEV && fams[f].idx == IO_ERRS ? METRIC_COUNTER
									       : METRIC_GAUGE,
				       fams[f].help, ln)) < 0)
			return r;
		if (k == K_IODEV) {
			write_iodev(w, recs, n, fams[f].idx);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			const struct rec *x = &recs[i];
			const char *uuid = recs[x->fs].name;
			const char *lv[3];

			if (x->kind != k || (k == K_DEV && recs[x->fs].v[1] >= 0))
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
			default:
				lv[0] = x->name, lv[1] = uuid;
				break;
			}
			(void)writer_sample(w, lv, fams[f].idx < 0 ? 1 : x->v[fams[f].idx]);
		}
		if (k == K_DEV && niodev) {
			/* one family, two label sets, as node_exporter gives it on a
			 * host where only some filesystems answer the ioctls */
			if (count[K_DEV] && (r = writer_family_relabel(w, l_iodev)) < 0)
				return r;
			write_iodev(w, recs, n, IO_SIZE);
		}
	}
	return 0;
}

const struct collector collector_btrfs = {
	.name = "btrfs", .default_on = true, .collect = collect_btrfs, .src = SRC_DEVICE,
};
