/*
 * zfs: OpenZFS kstats from <procfs>/spl/kstat/zfs/, as node_exporter 1.5's
 * zfs.go/zfs_linux.go:
 *  - no spl/kstat/zfs (ZFS not loaded): no data (-ENODATA, success 0, as
 *    node_exporter's ErrNoData);
 *  - abdstats, arcstats, dbuf_stats, dmu_tx, dnodestats, fm,
 *    vdev_cache_stats, vdev_mirror_stats, xuio_stats, zfetchstats, zil
 *    (each optional): after the "name type data" header every line of
 *    type 4 (uint64) is node_<subsystem>_<name> (untyped, HELP
 *    "kstat.zfs.misc.<file>.<name>", '-' in the name made '_', only the part
 *    after the last '.'), subsystems zfs_abd, zfs_arc, zfs_dbuf, zfs_dmu_tx,
 *    zfs_dnode, zfs_fm, zfs_vdev_cache, zfs_vdev_mirror, zfs_xuio,
 *    zfs_zfetch, zfs_zil; a file without the header or with a value that is
 *    no uint64 fails the collector;
 *  - <pool>/io: the line after the "nread ..." header (12 or more fields)
 *    gives node_zfs_zpool_<field>{zpool};
 *  - <pool>/objset-*: node_zfs_zpool_dataset_<name>{dataset,zpool} for its
 *    type-4 lines, the dataset from its dataset_name line;
 *  - <pool>/state: node_zfs_zpool_state{state,zpool} 1 for the state named
 *    on its first line (lower-cased), 0 for the other five of online,
 *    degraded, faulted, offline, removed, unavail.
 * On a failure the series written before it stay (as node_exporter's, which
 * reads the kstat files in random order): the kstat files' in table order;
 * pool series are written only after every pool file was read.  An io file
 * whose value line is shorter than its header kills node_exporter 1.5
 * (index out of range); here it fails the collector.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"

static const struct {
	const char *subsystem, *file;
} subs[] = {
	{ "zfs_abd", "abdstats" }, { "zfs_arc", "arcstats" }, { "zfs_dbuf", "dbuf_stats" },
	{ "zfs_dmu_tx", "dmu_tx" }, { "zfs_dnode", "dnodestats" }, { "zfs_fm", "fm" },
	{ "zfs_vdev_cache", "vdev_cache_stats" }, { "zfs_vdev_mirror", "vdev_mirror_stats" },
	{ "zfs_xuio", "xuio_stats" }, { "zfs_zfetch", "zfetchstats" }, { "zfs_zil", "zil" },
};

#define NFIELDS 64

/* strconv.ParseUint(s, 10, 64) */
static int parse_u10(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* zfsSysctl.metricName(): after the last '.', '-' made '_'. */
static void metric_name(char *out, size_t size, const char *prefix, const char *kname)
{
	const char *dot = strrchr(kname, '.');
	size_t n;

	n = (size_t)snprintf(out, size, "%s_%s", prefix, dot ? dot + 1 : kname);
	if (n >= size)
		n = size - 1;
	for (char *p = out + strlen(prefix); *p; p++)
		if (*p == '-')
			*p = '_';
}

static bool kstat_header(char **f, size_t n)
{
	return n == 3 && !strcmp(f[0], "name") && !strcmp(f[1], "type") && !strcmp(f[2], "data");
}

/* One subsystem file (present in b): its families. */
static int write_subsystem(struct collector_ctx *c, struct metrics_writer *w, int s, char *data)
{
	char *cur = data, *line, *f[4], name[512], help[512];
	bool parse = false;

	while ((line = pf_next_line(&cur))) {
		size_t n = pf_split(line, f, 4);
		uint64_t v;

		if (!parse && kstat_header(f, n)) {
			parse = true;
			continue;
		}
		if (!parse || n < 3 || strcmp(f[1], "4"))
			continue;
		snprintf(help, sizeof(help), "kstat.zfs.misc.%s.%s", subs[s].file, f[0]);
		if (parse_u10(f[2], &v) < 0)
			return ctx_error(c, -EINVAL, "could not parse expected integer value for \"%s\"", help);
		metric_name(name, sizeof(name), subs[s].subsystem, help);
		{
			char full[600];

			snprintf(full, sizeof(full), "node_%s", name);
			if (writer_family(w, full, METRIC_UNTYPED, help, NULL) == 0)
				(void)writer_sample(w, NULL, (double)v);
		}
	}
	if (!parse)
		return ctx_error(c, -EINVAL, "did not parse a single \"%s\" metric", subs[s].file);
	return 0;
}

/* A pool sample kept until every pool was read (families group pools). */
struct psample {
	int kind;			/* 0 io, 1 objset */
	char pool[NAME_MAX + 1];
	char dataset[256];
	char name[128];
	uint64_t v;
};

static int add_sample(struct collector_ctx *c, size_t *n, int kind, const char *pool,
		      const char *dataset, const char *name, uint64_t v)
{
	struct psample *p;

	if (rbuf_reserve(c->rb[0], (*n + 1) * sizeof(*p)) < 0)
		return ctx_error(c, -ENOMEM, "too many zfs pool values");
	p = (struct psample *)(void *)c->rb[0]->data + (*n)++;
	p->kind = kind;
	snprintf(p->pool, sizeof(p->pool), "%s", pool);
	snprintf(p->dataset, sizeof(p->dataset), "%s", dataset);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->v = v;
	return 0;
}

static int read_io(struct collector_ctx *c, const char *pool, char *data, size_t *n)
{
	char *cur = data, *line, *hdr[NFIELDS], *f[NFIELDS], hbuf[1024];
	size_t nh = 0;
	bool parse = false;
	int r;

	while ((line = pf_next_line(&cur))) {
		size_t nf;

		if (!parse) {
			char tmp[1024];

			snprintf(tmp, sizeof(tmp), "%s", line);
			nf = pf_split(tmp, f, NFIELDS);
			if (nf >= 12 && !strcmp(f[0], "nread")) {
				snprintf(hbuf, sizeof(hbuf), "%s", line);
				nh = pf_split(hbuf, hdr, NFIELDS);
				parse = true;
			}
			continue;
		}
		nf = pf_split(line, f, NFIELDS);
		for (size_t i = 0; i < nh; i++) {
			uint64_t v;

			if (i >= nf || parse_u10(f[i], &v) < 0)
				return ctx_error(c, -EINVAL, "could not parse expected integer value for "
					"\"kstat.zfs.misc.io.%s\" of pool %s", hdr[i], pool);
			if ((r = add_sample(c, n, 0, pool, "", hdr[i], v)) < 0)
				return r;
		}
	}
	return 0;
}

static int read_objset(struct collector_ctx *c, const char *pool, const char *file, char *data, size_t *n)
{
	char *cur = data, *line, *f[4], zpool[NAME_MAX + 1] = "", dataset[256] = "";
	bool parse = false;
	int r;

	while ((line = pf_next_line(&cur))) {
		size_t nf = pf_split(line, f, 4);
		uint64_t v;

		if (!parse && kstat_header(f, nf)) {
			parse = true;
			continue;
		}
		if (!parse || nf < 3)
			continue;
		if (!strcmp(f[0], "dataset_name")) {
			snprintf(zpool, sizeof(zpool), "%s", pool);
			snprintf(dataset, sizeof(dataset), "%s", f[2]);
			continue;
		}
		if (strcmp(f[1], "4"))
			continue;
		if (parse_u10(f[2], &v) < 0)
			return ctx_error(c, -EINVAL, "could not parse expected integer value for "
					 "\"kstat.zfs.misc.objset.%s\" (%s/%s)", f[0], pool, file);
		if ((r = add_sample(c, n, 1, zpool, dataset, f[0], v)) < 0)
			return r;
	}
	if (!parse)
		return ctx_error(c, -EINVAL, "did not parse a single %s/%s metric", pool, file);
	return 0;
}

static int collect_zfs(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const states[] = { "online", "degraded", "faulted", "offline", "removed", "unavail" };
	static const char *const l_pool[] = { "zpool", NULL };
	static const char *const l_ds[] = { "dataset", "zpool", NULL };
	static const char *const l_state[] = { "state", "zpool", NULL };
	char base[PATH_MAX], rel[NAME_MAX * 2 + 16];
	struct rbuf *b = c->rb[1];
	struct psample *ps;
	struct dirent *de;
	size_t n = 0, nstate = 0;
	int r;
	DIR *d;

	if ((r = pf_path(base, sizeof(base), c->cfg->procfs, "spl/kstat/zfs")) < 0)
		return ctx_error(c, r, "%s/spl/kstat/zfs: path too long", c->cfg->procfs);
	if (!(d = pf_opendir(base)))
		return -ENODATA;	/* ZFS / ZFS statistics are not available */
	closedir(d);
	for (size_t s = 0; s < sizeof(subs) / sizeof(subs[0]); s++) {
		if ((r = pf_read_optional(c, b, base, subs[s].file)) == -ENOENT)
			continue;
		if (r < 0 || (r = write_subsystem(c, w, (int)s, b->data)) < 0)
			return r;
	}
	/* pools: <pool>/io, <pool>/objset-*, <pool>/state */
	r = 0;
	if (!(d = opendir(base)))
		return 0;
	while ((de = readdir(d))) {
		char pdir[PATH_MAX + NAME_MAX + 2];
		DIR *pd;
		struct dirent *pe;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(rel, sizeof(rel), "%s/io", de->d_name);
		r = pf_read_optional(c, b, base, rel);
		if (r == -ENOENT || r == -ENOTDIR)
			r = 0;
		else if (r == 0)
			r = read_io(c, de->d_name, b->data, &n);
		if (r < 0)
			break;
		snprintf(pdir, sizeof(pdir), "%s/%s", base, de->d_name);
		if (!(pd = opendir(pdir)))
			continue;
		while ((pe = readdir(pd))) {
			if (strncmp(pe->d_name, "objset-", 7))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", de->d_name, pe->d_name);
			if ((r = pf_read(c, b, base, rel)) < 0 ||
			    (r = read_objset(c, de->d_name, pe->d_name, b->data, &n)) < 0)
				break;
		}
		closedir(pd);
		if (r < 0)
			break;
		snprintf(rel, sizeof(rel), "%s/state", de->d_name);
		r = pf_read_optional(c, b, base, rel);
		if (r == -ENOENT || r == -ENOTDIR) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		/* kept as a sample of kind 2: its state line in dataset */
		{
			char *cur = b->data, *line = pf_next_line(&cur);
			char st[256];

			snprintf(st, sizeof(st), "%s", line ? line : "");
			for (char *p = st; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			if ((r = add_sample(c, &n, 2, de->d_name, st, "state", 0)) < 0)
				break;
			nstate++;
		}
	}
	closedir(d);
	if (r < 0)
		return r;
	ps = (struct psample *)(void *)c->rb[0]->data;
	/* one family per distinct (kind, name), in first-seen order */
	for (size_t i = 0; i < n; i++) {
		char name[600], help[300];
		bool seen = false;

		if (ps[i].kind == 2)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = ps[j].kind == ps[i].kind && !strcmp(ps[j].name, ps[i].name);
		if (seen)
			continue;
		snprintf(help, sizeof(help), "kstat.zfs.misc.%s.%s", ps[i].kind ? "objset" : "io", ps[i].name);
		metric_name(name, sizeof(name), ps[i].kind ? "node_zfs_zpool_dataset" : "node_zfs_zpool", help);
		if (writer_family(w, name, METRIC_UNTYPED, help, ps[i].kind ? l_ds : l_pool) < 0)
			continue;
		for (size_t j = i; j < n; j++) {
			const char *lv[] = { ps[j].kind ? ps[j].dataset : ps[j].pool, ps[j].pool };

			if (ps[j].kind == ps[i].kind && !strcmp(ps[j].name, ps[i].name))
				(void)writer_sample(w, lv, (double)ps[j].v);
		}
	}
	if (nstate) {
		if ((r = writer_family(w, "node_zfs_zpool_state", METRIC_GAUGE, "kstat.zfs.misc.state", l_state)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			if (ps[i].kind != 2)
				continue;
			for (size_t s = 0; s < 6; s++) {
				const char *lv[] = { states[s], ps[i].pool };

				(void)writer_sample(w, lv, !strcmp(ps[i].dataset, states[s]) ? 1 : 0);
			}
		}
	}
	return 0;
}

const struct collector collector_zfs = {
	.name = "zfs", .default_on = true, .collect = collect_zfs, .src = SRC_PROCFS,
};
